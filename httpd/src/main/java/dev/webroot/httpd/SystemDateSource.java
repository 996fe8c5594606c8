package dev.webroot.httpd;

import dev.webroot.httpd.core.DateSource;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The Date header value from the wall clock. A call reads the clock and one volatile field; the
 * bytes are reformatted (one small allocation) only when the second changes, so a busy server
 * allocates at most once a second here, and a published array is never modified.
 */
public final class SystemDateSource implements DateSource {
    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    record Stamp(long second, byte[] bytes) {}

    private volatile Stamp stamp = format(System.currentTimeMillis() / 1000);

    @Override
    public byte[] imfFixdate() {
        long second = System.currentTimeMillis() / 1000;
        Stamp current = stamp;
        if (current.second() != second) {
            current = format(second);
            stamp = current;
        }
        return current.bytes();
    }

    static Stamp format(long epochSecond) {
        return new Stamp(epochSecond,
                IMF_FIXDATE.format(Instant.ofEpochSecond(epochSecond)).getBytes(StandardCharsets.US_ASCII));
    }
}
