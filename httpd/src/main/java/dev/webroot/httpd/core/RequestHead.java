package dev.webroot.httpd.core;

/**
 * One parsed request head, as offsets into the connection's read buffer: nothing is copied. Offsets
 * are kept relative to the head's first byte so that the buffer may be compacted while a head is
 * still arriving; {@link #base} turns them into indexes once the head is complete. Reused for every
 * request of a connection.
 */
final class RequestHead {
    static final int METHOD_GET = 1;
    static final int METHOD_HEAD = 2;
    /** A standard method this server does not allow on static resources (405). */
    static final int METHOD_NOT_ALLOWED = 3;
    /** A method this server does not know (501). */
    static final int METHOD_UNKNOWN = 4;

    static final int HOST = 0;
    static final int CONTENT_LENGTH = 1;
    static final int TRANSFER_ENCODING = 2;
    static final int CONNECTION = 3;
    static final int IF_MATCH = 4;
    static final int IF_NONE_MATCH = 5;
    static final int IF_MODIFIED_SINCE = 6;
    static final int IF_UNMODIFIED_SINCE = 7;
    static final int IF_RANGE = 8;
    static final int RANGE = 9;
    static final int ACCEPT_ENCODING = 10;
    static final int REFERER = 11;
    static final int USER_AGENT = 12;
    static final int FIELD_IDS = 13;

    /** Lines of one known field kept per request; more is refused (431) rather than silently dropped. */
    static final int MAX_REPEATS = 8;

    byte[] buffer;
    int base;
    int method;
    /** 0 for HTTP/1.0, 1 for HTTP/1.1 (and later 1.x minors, which are treated as 1.1). */
    int minorVersion;
    int requestLineStart;
    int requestLineEnd;
    int targetStart;
    int targetEnd;
    private final int[] counts = new int[FIELD_IDS];
    private final int[] valueStarts = new int[FIELD_IDS * MAX_REPEATS];
    private final int[] valueEnds = new int[FIELD_IDS * MAX_REPEATS];

    void reset() {
        method = 0;
        minorVersion = 0;
        requestLineStart = requestLineEnd = 0;
        targetStart = targetEnd = 0;
        java.util.Arrays.fill(counts, 0);
    }

    /** Records one value (relative offsets, OWS trimmed); false when the field repeats too often. */
    boolean addField(int id, int start, int end) {
        int n = counts[id];
        if (n == MAX_REPEATS) {
            return false;
        }
        valueStarts[id * MAX_REPEATS + n] = start;
        valueEnds[id * MAX_REPEATS + n] = end;
        counts[id] = n + 1;
        return true;
    }

    int count(int id) {
        return counts[id];
    }

    /** Absolute index of the start of the {@code i}-th value of a field. */
    int valueStart(int id, int i) {
        return base + valueStarts[id * MAX_REPEATS + i];
    }

    int valueEnd(int id, int i) {
        return base + valueEnds[id * MAX_REPEATS + i];
    }

    boolean isHead() {
        return method == METHOD_HEAD;
    }
}
