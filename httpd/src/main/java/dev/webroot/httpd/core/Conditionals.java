package dev.webroot.httpd.core;

/**
 * The preconditions of RFC 9110 §13.2.2 for GET and HEAD on an existing file, evaluated in order:
 * If-Match (strong), else If-Unmodified-Since; If-None-Match (weak), else If-Modified-Since; and
 * If-Range for a range request. The ETag compared is the selected representation's. A field whose
 * syntax is invalid, or a date field given more than once, is ignored.
 */
final class Conditionals {
    static final int PROCEED = 0;
    static final int NOT_MODIFIED = 304;
    static final int PRECONDITION_FAILED = 412;

    private static final int NO_MATCH = 0;
    private static final int MATCH = 1;
    private static final int INVALID = -1;

    private Conditionals() {}

    /**
     * @param etag the quoted strong ETag at {@code etag[0..etagLength)}
     * @param lastModified seconds since the epoch
     */
    static int evaluate(RequestHead head, byte[] etag, int etagLength, long lastModified, int currentYear) {
        int ifMatch = listMatch(head, RequestHead.IF_MATCH, etag, etagLength, true);
        if (ifMatch == NO_MATCH) {
            return PRECONDITION_FAILED;
        }
        if (ifMatch == INVALID) {
            long date = singleDate(head, RequestHead.IF_UNMODIFIED_SINCE, currentYear);
            if (date != HttpDates.INVALID && lastModified > date) {
                return PRECONDITION_FAILED;
            }
        }
        int ifNoneMatch = listMatch(head, RequestHead.IF_NONE_MATCH, etag, etagLength, false);
        if (ifNoneMatch == MATCH) {
            return NOT_MODIFIED;
        }
        if (ifNoneMatch == INVALID) {
            long date = singleDate(head, RequestHead.IF_MODIFIED_SINCE, currentYear);
            if (date != HttpDates.INVALID && lastModified <= date) {
                return NOT_MODIFIED;
            }
        }
        return PROCEED;
    }

    /** Whether a Range may be honoured: true without If-Range, else only for an exact strong validator. */
    static boolean ifRangeHolds(RequestHead head, byte[] etag, int etagLength, long lastModified, int currentYear) {
        if (head.count(RequestHead.IF_RANGE) == 0) {
            return true;
        }
        if (head.count(RequestHead.IF_RANGE) > 1) {
            return false;
        }
        byte[] b = head.buffer;
        int from = head.valueStart(RequestHead.IF_RANGE, 0);
        int to = head.valueEnd(RequestHead.IF_RANGE, 0);
        if (from < to && (b[from] == '"' || b[from] == 'W')) {
            return to - from == etagLength && java.util.Arrays.equals(b, from, to, etag, 0, etagLength);
        }
        return HttpDates.parse(b, from, to, currentYear) == lastModified;
    }

    private static long singleDate(RequestHead head, int field, int currentYear) {
        if (head.count(field) != 1) {
            return HttpDates.INVALID;
        }
        return HttpDates.parse(head.buffer, head.valueStart(field, 0), head.valueEnd(field, 0), currentYear);
    }

    /** MATCH, NO_MATCH, or INVALID when the field is absent or malformed (so it is ignored). */
    private static int listMatch(RequestHead head, int field, byte[] etag, int etagLength, boolean strong) {
        int count = head.count(field);
        if (count == 0) {
            return INVALID;
        }
        byte[] b = head.buffer;
        if (count == 1) {
            int from = head.valueStart(field, 0);
            int to = head.valueEnd(field, 0);
            if (to - from == 1 && b[from] == '*') {
                return MATCH;
            }
        }
        int result = NO_MATCH;
        for (int k = 0; k < count; k++) {
            int to = head.valueEnd(field, k);
            int i = head.valueStart(field, k);
            while (i < to) {
                i = Ascii.skipOws(b, i, to);
                if (i < to && b[i] == ',') {
                    i++;
                    continue;
                }
                boolean weak = false;
                if (i + 1 < to && b[i] == 'W' && b[i + 1] == '/') {
                    weak = true;
                    i += 2;
                }
                if (i >= to || b[i] != '"') {
                    return INVALID;
                }
                int tagStart = i++;
                while (i < to && b[i] != '"') {
                    int c = b[i] & 0xff;
                    if (c < 0x21 || c == 0x7f) {
                        return INVALID;
                    }
                    i++;
                }
                if (i >= to) {
                    return INVALID;
                }
                int tagEnd = ++i;
                if (!(strong && weak) && tagEnd - tagStart == etagLength
                        && java.util.Arrays.equals(b, tagStart, tagEnd, etag, 0, etagLength)) {
                    result = MATCH;
                }
                i = Ascii.skipOws(b, i, to);
                if (i < to && b[i] != ',') {
                    return INVALID;
                }
            }
        }
        return result;
    }
}
