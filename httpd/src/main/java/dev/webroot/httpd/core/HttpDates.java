package dev.webroot.httpd.core;

/**
 * Parses the three HTTP-date formats a recipient must accept (RFC 9110 §5.6.7) into epoch seconds:
 * IMF-fixdate {@code Sun, 06 Nov 1994 08:49:37 GMT}, RFC 850 {@code Sunday, 06-Nov-94 08:49:37 GMT}
 * and asctime {@code Sun Nov  6 08:49:37 1994}. Day names must be valid but are not checked against
 * the date. Anything else is {@link #INVALID}.
 */
final class HttpDates {
    static final long INVALID = Long.MIN_VALUE;

    private static final byte[][] DAYS = {
        Ascii.bytes("Mon"), Ascii.bytes("Tue"), Ascii.bytes("Wed"), Ascii.bytes("Thu"),
        Ascii.bytes("Fri"), Ascii.bytes("Sat"), Ascii.bytes("Sun")
    };
    private static final byte[][] LONG_DAYS = {
        Ascii.bytes("Monday"), Ascii.bytes("Tuesday"), Ascii.bytes("Wednesday"), Ascii.bytes("Thursday"),
        Ascii.bytes("Friday"), Ascii.bytes("Saturday"), Ascii.bytes("Sunday")
    };
    private static final byte[] MONTHS = Ascii.bytes("JanFebMarAprMayJunJulAugSepOctNovDec");

    private HttpDates() {}

    /**
     * @param currentYear the year now, for RFC 850's two-digit years: a year that would lie more
     *                    than 50 years in the future is taken from the previous century (RFC 9110 §5.6.7)
     */
    static long parse(byte[] b, int from, int to, int currentYear) {
        int n = to - from;
        if (n == 29 && b[from + 3] == ',') {
            return imfFixdate(b, from);
        }
        if (n == 24 && b[from + 3] == ' ') {
            return asctime(b, from);
        }
        return rfc850(b, from, to, currentYear);
    }

    /** The year of an IMF-fixdate (as {@link DateSource} gives), or 1970 if it is not one. */
    static int year(byte[] imfFixdate) {
        int y = digits(imfFixdate, 12, 4);
        return y < 0 ? 1970 : y;
    }

    private static long imfFixdate(byte[] b, int p) {
        if (!isDay(b, p, p + 3, DAYS) || b[p + 4] != ' ' || b[p + 7] != ' ' || b[p + 11] != ' ' || b[p + 16] != ' '
                || b[p + 25] != ' ' || b[p + 26] != 'G' || b[p + 27] != 'M' || b[p + 28] != 'T') {
            return INVALID;
        }
        return epoch(digits(b, p + 12, 4), month(b, p + 8), digits(b, p + 5, 2), b, p + 17);
    }

    private static long asctime(byte[] b, int p) {
        if (!isDay(b, p, p + 3, DAYS) || b[p + 7] != ' ' || b[p + 10] != ' ' || b[p + 19] != ' ') {
            return INVALID;
        }
        int day = b[p + 8] == ' ' ? digits(b, p + 9, 1) : digits(b, p + 8, 2);
        return epoch(digits(b, p + 20, 4), month(b, p + 4), day, b, p + 11);
    }

    private static long rfc850(byte[] b, int from, int to, int currentYear) {
        int comma = Ascii.elementEnd(b, from, to);
        int p = comma + 2;
        if (comma == to || !isDay(b, from, comma, LONG_DAYS) || to - p != 22 || b[comma + 1] != ' '
                || b[p + 2] != '-' || b[p + 6] != '-' || b[p + 9] != ' ' || b[p + 18] != ' '
                || b[p + 19] != 'G' || b[p + 20] != 'M' || b[p + 21] != 'T') {
            return INVALID;
        }
        int yy = digits(b, p + 7, 2);
        if (yy < 0) {
            return INVALID;
        }
        int year = currentYear - currentYear % 100 + yy;
        if (year > currentYear + 50) {
            year -= 100;
        }
        return epoch(year, month(b, p + 3), digits(b, p, 2), b, p + 10);
    }

    private static boolean isDay(byte[] b, int from, int to, byte[][] names) {
        for (byte[] name : names) {
            if (to - from == name.length && java.util.Arrays.equals(b, from, to, name, 0, name.length)) {
                return true;
            }
        }
        return false;
    }

    private static int month(byte[] b, int p) {
        for (int m = 0; m < 12; m++) {
            if (b[p] == MONTHS[3 * m] && b[p + 1] == MONTHS[3 * m + 1] && b[p + 2] == MONTHS[3 * m + 2]) {
                return m + 1;
            }
        }
        return -1;
    }

    private static int digits(byte[] b, int p, int count) {
        if (p + count > b.length) {
            return -1;
        }
        int v = 0;
        for (int i = p; i < p + count; i++) {
            if (!Ascii.isDigit(b[i])) {
                return -1;
            }
            v = v * 10 + (b[i] - '0');
        }
        return v;
    }

    /** Seconds since the epoch for a validated date and an {@code HH:MM:SS} at {@code t}. */
    private static long epoch(int year, int month, int day, byte[] b, int t) {
        if (b[t + 2] != ':' || b[t + 5] != ':') {
            return INVALID;
        }
        int hour = digits(b, t, 2);
        int minute = digits(b, t + 3, 2);
        int second = digits(b, t + 6, 2);
        if (year < 0 || month < 1 || day < 1 || day > daysInMonth(year, month) || hour < 0 || hour > 23
                || minute < 0 || minute > 59 || second < 0 || second > 60) {
            return INVALID;
        }
        return daysFromCivil(year, month, day) * 86400L + hour * 3600L + minute * 60L + second;
    }

    private static int daysInMonth(int year, int month) {
        return switch (month) {
            case 2 -> (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28;
            case 4, 6, 9, 11 -> 30;
            default -> 31;
        };
    }

    /** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
    private static long daysFromCivil(int year, int month, int day) {
        int y = month <= 2 ? year - 1 : year;
        int era = Math.floorDiv(y, 400);
        int yoe = y - era * 400;
        int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
        int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097L + doe - 719468;
    }
}
