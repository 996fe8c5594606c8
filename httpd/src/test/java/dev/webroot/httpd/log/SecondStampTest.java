package dev.webroot.httpd.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SecondStampTest {
    /** java.time's formatters as the reference ({@code uuuu}: the proleptic year, so year 0 is 0000). */
    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM uuuu HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter COMMON_LOG =
            DateTimeFormatter.ofPattern("dd/MMM/uuuu:HH:mm:ss '+0000'", Locale.US).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter ISO_SECOND =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final long YEAR_0 = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
    private static final long AFTER_YEAR_9999 = Instant.parse("+10000-01-01T00:00:00Z").getEpochSecond();

    private static String text(SecondStamp.Format format, long second) {
        return new String(SecondStamp.format(format, second), StandardCharsets.US_ASCII);
    }

    private static void assertLikeJavaTime(long second) {
        Instant instant = Instant.ofEpochSecond(second);
        assertThat(text(SecondStamp.Format.IMF_FIXDATE, second)).as("%s", instant).isEqualTo(IMF_FIXDATE.format(instant));
        assertThat(text(SecondStamp.Format.COMMON_LOG, second)).as("%s", instant).isEqualTo(COMMON_LOG.format(instant));
        assertThat(text(SecondStamp.Format.ISO_SECOND, second)).as("%s", instant).isEqualTo(ISO_SECOND.format(instant));
    }

    @Test
    void writesTheThreeFormats() {
        assertThat(text(SecondStamp.Format.IMF_FIXDATE, 784111777L)).isEqualTo("Sun, 06 Nov 1994 08:49:37 GMT");
        assertThat(text(SecondStamp.Format.COMMON_LOG, 784111777L)).isEqualTo("06/Nov/1994:08:49:37 +0000");
        assertThat(text(SecondStamp.Format.ISO_SECOND, 784111777L)).isEqualTo("1994-11-06T08:49:37");
    }

    @Test
    void agreesWithJavaTimeAtEveryCalendarEdge() {
        for (String edge : new String[] {"1970-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "2000-02-29T12:00:00Z",
                "2000-03-01T00:00:00Z", "1900-02-28T23:59:59Z", "1900-03-01T00:00:00Z", "2100-02-28T23:59:59Z",
                "2100-03-01T00:00:00Z", "2024-02-29T23:59:59Z", "2024-12-31T23:59:59Z", "2025-01-01T00:00:00Z",
                "1600-02-29T00:00:00Z", "0000-01-01T00:00:00Z", "0000-02-29T00:00:00Z", "9999-12-31T23:59:59Z"}) {
            assertLikeJavaTime(Instant.parse(edge).getEpochSecond());
        }
    }

    @Test
    void agreesWithJavaTimeAcrossTheYearsItWrites() {
        SplittableRandom random = new SplittableRandom(20261203);
        for (int i = 0; i < 200_000; i++) {
            assertLikeJavaTime(random.nextLong(YEAR_0, AFTER_YEAR_9999));
        }
    }

    @Test
    void refusesYearsOutsideFourDigits() {
        assertThatThrownBy(() -> SecondStamp.format(SecondStamp.Format.IMF_FIXDATE, AFTER_YEAR_9999))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("year 10000");
        assertThatThrownBy(() -> SecondStamp.format(SecondStamp.Format.ISO_SECOND, YEAR_0 - 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("year -1");
    }

    @Test
    void formatsAgainOnlyWhenTheSecondChanges() {
        SecondStamp stamp = new SecondStamp(SecondStamp.Format.COMMON_LOG);
        byte[] first = stamp.at(784111777L);
        assertThat(stamp.at(784111777L)).isSameAs(first);
        assertThat(new String(stamp.at(784111778L), StandardCharsets.US_ASCII)).isEqualTo("06/Nov/1994:08:49:38 +0000");
    }
}
