package dev.webroot.httpd.core;

/**
 * A Range header resolved against a representation's length (RFC 9110 §14). Syntax errors, other
 * units, an empty representation, more specifiers than the cap, or ranges that add up to more than
 * the representation (an amplification guard, counted before coalescing) all mean "ignore Range"
 * and serve 200. Satisfiable ranges are clamped and coalesced when they overlap or lie within
 * {@link #COALESCE_GAP} bytes of each other, keeping the order in which they were requested.
 */
final class RangeSet {
    static final int IGNORE = 0;
    static final int SATISFIABLE = 1;
    static final int UNSATISFIABLE = 2;
    /** Parts closer than this are sent as one (lighttpd's rule): a part header costs about as much. */
    static final long COALESCE_GAP = 80;

    private static final byte[] BYTES = Ascii.bytes("bytes");

    private final long[] first;
    private final long[] last;
    private final int maxRanges;
    private int count;

    RangeSet(int maxRanges) {
        this.maxRanges = Math.max(1, maxRanges);
        this.first = new long[this.maxRanges];
        this.last = new long[this.maxRanges];
    }

    int count() {
        return count;
    }

    long first(int i) {
        return first[i];
    }

    long last(int i) {
        return last[i];
    }

    /** Parses {@code b[from..to)} for a representation of {@code length} bytes. */
    int parse(byte[] b, int from, int to, long length) {
        count = 0;
        if (length == 0 || !Ascii.startsWithIgnoreCase(b, from, to, BYTES) || from + 5 >= to || b[from + 5] != '=') {
            return IGNORE;
        }
        int specs = 0;
        long total = 0;
        int i = from + 6;
        while (i < to) {
            i = Ascii.skipOws(b, i, to);
            if (i < to && b[i] == ',') {
                i++;
                continue;
            }
            if (i >= to) {
                break;
            }
            long a;
            long z;
            if (b[i] == '-') {
                int start = ++i;
                while (i < to && Ascii.isDigit(b[i])) {
                    i++;
                }
                long suffix = Ascii.parseDecimal(b, start, i);
                if (suffix < 0) {
                    return IGNORE;
                }
                a = suffix >= length ? 0 : length - suffix;
                z = suffix == 0 ? -1 : length - 1;
            } else {
                int start = i;
                while (i < to && Ascii.isDigit(b[i])) {
                    i++;
                }
                a = Ascii.parseDecimal(b, start, i);
                if (a < 0 || i >= to || b[i] != '-') {
                    return IGNORE;
                }
                start = ++i;
                while (i < to && Ascii.isDigit(b[i])) {
                    i++;
                }
                if (i == start) {
                    z = length - 1;
                } else {
                    z = Ascii.parseDecimal(b, start, i);
                    if (z < a) {
                        return IGNORE;
                    }
                    z = Math.min(z, length - 1);
                }
                if (a >= length) {
                    z = -1;
                }
            }
            i = Ascii.skipOws(b, i, to);
            if (i < to && b[i] != ',') {
                return IGNORE;
            }
            if (++specs > maxRanges) {
                return IGNORE;
            }
            if (z >= a) {
                total += z - a + 1;
                if (total > length) {
                    return IGNORE;
                }
                add(a, z);
            }
        }
        if (specs == 0) {
            return IGNORE;
        }
        return count == 0 ? UNSATISFIABLE : SATISFIABLE;
    }

    private void add(long a, long z) {
        first[count] = a;
        last[count] = z;
        count++;
        boolean merged = true;
        while (merged) {
            merged = false;
            for (int i = 0; i < count && !merged; i++) {
                for (int j = i + 1; j < count && !merged; j++) {
                    if (first[i] <= last[j] + 1 + COALESCE_GAP && first[j] <= last[i] + 1 + COALESCE_GAP) {
                        first[i] = Math.min(first[i], first[j]);
                        last[i] = Math.max(last[i], last[j]);
                        System.arraycopy(first, j + 1, first, j, count - j - 1);
                        System.arraycopy(last, j + 1, last, j, count - j - 1);
                        count--;
                        merged = true;
                    }
                }
            }
        }
    }
}
