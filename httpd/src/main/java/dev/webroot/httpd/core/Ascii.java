package dev.webroot.httpd.core;

/** Byte-level character classes and helpers of RFC 9110/9112, with no allocation. */
final class Ascii {
    private static final boolean[] TCHAR = new boolean[256];

    static {
        for (int c = '0'; c <= '9'; c++) {
            TCHAR[c] = true;
        }
        for (int c = 'a'; c <= 'z'; c++) {
            TCHAR[c] = true;
            TCHAR[c - 32] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TCHAR[c] = true;
        }
    }

    private Ascii() {}

    static boolean isTchar(byte b) {
        return TCHAR[b & 0xff];
    }

    static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    static boolean isOws(int c) {
        return c == ' ' || c == '\t';
    }

    /** The value of a hex digit, or -1. */
    static int hexValue(int c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    static int toLower(int c) {
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    }

    /** Whether {@code b[from..to)} equals {@code lower} ignoring ASCII case; {@code lower} must be lowercase. */
    static boolean equalsIgnoreCase(byte[] b, int from, int to, byte[] lower) {
        if (to - from != lower.length) {
            return false;
        }
        for (int i = 0; i < lower.length; i++) {
            if (toLower(b[from + i]) != lower[i]) {
                return false;
            }
        }
        return true;
    }

    static boolean startsWithIgnoreCase(byte[] b, int from, int to, byte[] lower) {
        return to - from >= lower.length && equalsIgnoreCase(b, from, from + lower.length, lower);
    }

    /** The index of the first comma in [from, to), or {@code to}: where a list element ends. */
    static int elementEnd(byte[] b, int from, int to) {
        while (from < to && b[from] != ',') {
            from++;
        }
        return from;
    }

    static int skipOws(byte[] b, int from, int to) {
        while (from < to && isOws(b[from])) {
            from++;
        }
        return from;
    }

    static int trimOwsEnd(byte[] b, int from, int to) {
        while (to > from && isOws(b[to - 1])) {
            to--;
        }
        return to;
    }

    static byte[] bytes(String ascii) {
        return ascii.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** Writes {@code value >= 0} in decimal at {@code at}; returns the position after it. */
    static int putDecimal(byte[] b, int at, long value) {
        int digits = 1;
        for (long v = value; v >= 10; v /= 10) {
            digits++;
        }
        for (int i = at + digits - 1; i >= at; i--) {
            b[i] = (byte) ('0' + value % 10);
            value /= 10;
        }
        return at + digits;
    }

    /**
     * Parses {@code 1*DIGIT} of at most 18 digits (so it cannot overflow); returns -1 for anything
     * else, including signs, spaces and non-ASCII digits.
     */
    static long parseDecimal(byte[] b, int from, int to) {
        if (from >= to || to - from > 18) {
            return -1;
        }
        long value = 0;
        for (int i = from; i < to; i++) {
            if (!isDigit(b[i])) {
                return -1;
            }
            value = value * 10 + (b[i] - '0');
        }
        return value;
    }
}
