package dev.webroot.httpd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.httpd.log.SecondStamp;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;

class SystemDateSourceTest {
    @Test
    void formatsAnImfFixdate() {
        String formatted = new String(new SecondStamp(SecondStamp.Format.IMF_FIXDATE).at(784111777L),
                StandardCharsets.US_ASCII);
        assertThat(formatted).isEqualTo("Sun, 06 Nov 1994 08:49:37 GMT");
    }

    @Test
    void tracksTheClock() {
        String now = new String(new SystemDateSource().imfFixdate(), StandardCharsets.US_ASCII);
        ZonedDateTime parsed = ZonedDateTime.parse(now, DateTimeFormatter.RFC_1123_DATE_TIME);
        assertThat(Math.abs(parsed.toEpochSecond() - System.currentTimeMillis() / 1000)).isLessThanOrEqualTo(1);
        assertThat(now).hasSize(29);
    }

    @Test
    void repeatedCallsWithinASecondDoNotAllocate() {
        SystemDateSource dates = new SystemDateSource();
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().threadId();
        for (int i = 0; i < 100_000; i++) {
            dates.imfFixdate();
        }
        long before = threads.getThreadAllocatedBytes(id);
        for (int i = 0; i < 100_000; i++) {
            dates.imfFixdate();
        }
        // At most a couple of second boundaries can fall inside the loop.
        assertThat(threads.getThreadAllocatedBytes(id) - before).isLessThan(2048);
    }
}
