package dev.webroot.httpd.log;

import java.nio.charset.StandardCharsets;

/**
 * A second as ASCII text in one format, formatted again only when the second changes: a reader pays
 * one volatile read, a busy server one small allocation a second, and a published array is never
 * modified.
 *
 * <p>The formats are written by arithmetic on the epoch second (UTC, years 0 to 9999) rather than by
 * {@code java.time}'s pattern formatters: the first use of a formatter with month or day names loads
 * the locale data of the JDK's CLDR provider, about 0.1 s of a cold start on one core, before the
 * first response can carry its Date header.
 */
public final class SecondStamp {
    /** How the second is written: a template of the epoch's text and where each field goes in it (-1: absent). */
    public enum Format {
        /** HTTP's IMF-fixdate (RFC 9110, section 5.6.7): {@code Sun, 06 Nov 1994 08:49:37 GMT}. */
        IMF_FIXDATE("Thu, 01 Jan 1970 00:00:00 GMT", 0, 5, 8, -1, 12, 17),
        /** The common log format's time: {@code 06/Nov/1994:08:49:37 +0000}. */
        COMMON_LOG("01/Jan/1970:00:00:00 +0000", -1, 0, 3, -1, 7, 12),
        /** ISO 8601 local date and time, to the second: {@code 1994-11-06T08:49:37}. */
        ISO_SECOND("1970-01-01T00:00:00", -1, 8, -1, 5, 0, 11);

        private final byte[] template;
        private final int dayName;
        private final int day;
        private final int monthName;
        private final int monthNumber;
        private final int year;
        private final int time;

        Format(String template, int dayName, int day, int monthName, int monthNumber, int year, int time) {
            this.template = template.getBytes(StandardCharsets.US_ASCII);
            this.dayName = dayName;
            this.day = day;
            this.monthName = monthName;
            this.monthNumber = monthNumber;
            this.year = year;
            this.time = time;
        }
    }

    private static final byte[] DAYS = "ThuFriSatSunMonTueWed".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec".getBytes(StandardCharsets.US_ASCII);
    private static final long SECONDS_PER_DAY = 86_400;

    private record Stamp(long second, byte[] bytes) {}

    private final Format format;
    private volatile Stamp stamp;

    public SecondStamp(Format format) {
        this.format = format;
        long now = System.currentTimeMillis() / 1000;
        this.stamp = new Stamp(now, format(format, now));
    }

    /** The text of {@code epochSecond}; callers ask for the current second, so it is almost always cached. */
    public byte[] at(long epochSecond) {
        Stamp current = stamp;
        if (current.second() != epochSecond) {
            current = new Stamp(epochSecond, format(format, epochSecond));
            stamp = current;
        }
        return current.bytes();
    }

    /** {@code epochSecond} written in {@code format}. */
    public static byte[] format(Format format, long epochSecond) {
        long days = Math.floorDiv(epochSecond, SECONDS_PER_DAY);
        int secondOfDay = (int) Math.floorMod(epochSecond, SECONDS_PER_DAY);
        // Civil date from days since 1970-01-01 (the proleptic Gregorian calendar), in 400-year eras
        // counted from 0000-03-01, so that the leap day ends a year.
        long shifted = days + 719_468;
        long era = Math.floorDiv(shifted, 146_097);
        int dayOfEra = (int) (shifted - era * 146_097);
        int yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
        int dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
        int monthFromMarch = (5 * dayOfYear + 2) / 153;
        int day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1;
        int month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
        long year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
        if (year < 0 || year > 9999) {
            throw new IllegalArgumentException("year " + year + " is outside 0 to 9999");
        }
        byte[] out = format.template.clone();
        if (format.dayName >= 0) {
            System.arraycopy(DAYS, (int) Math.floorMod(days, 7) * 3, out, format.dayName, 3);
        }
        two(out, format.day, day);
        if (format.monthName >= 0) {
            System.arraycopy(MONTHS, (month - 1) * 3, out, format.monthName, 3);
        }
        if (format.monthNumber >= 0) {
            two(out, format.monthNumber, month);
        }
        two(out, format.year, (int) year / 100);
        two(out, format.year + 2, (int) year % 100);
        two(out, format.time, secondOfDay / 3600);
        two(out, format.time + 3, secondOfDay / 60 % 60);
        two(out, format.time + 6, secondOfDay % 60);
        return out;
    }

    private static void two(byte[] out, int at, int value) {
        out[at] = (byte) ('0' + value / 10);
        out[at + 1] = (byte) ('0' + value % 10);
    }
}
