package dev.webroot.httpd.log;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;

/**
 * A second as ASCII text in one format, formatted again only when the second changes: a reader pays
 * one volatile read, a busy server one small allocation a second, and a published array is never
 * modified.
 */
public final class SecondStamp {
    private record Stamp(long second, byte[] bytes) {}

    private final DateTimeFormatter format;
    private volatile Stamp stamp;

    /** @param format a formatter with a zone */
    public SecondStamp(DateTimeFormatter format) {
        this.format = format;
        this.stamp = format(System.currentTimeMillis() / 1000);
    }

    /** The text of {@code epochSecond}; callers ask for the current second, so it is almost always cached. */
    public byte[] at(long epochSecond) {
        Stamp current = stamp;
        if (current.second() != epochSecond) {
            current = format(epochSecond);
            stamp = current;
        }
        return current.bytes();
    }

    private Stamp format(long epochSecond) {
        return new Stamp(epochSecond, format.format(Instant.ofEpochSecond(epochSecond)).getBytes(StandardCharsets.US_ASCII));
    }
}
