package dev.webroot.httpd.core;

import java.util.Arrays;

/**
 * An incremental, strict RFC 9112 request-head parser. It is given the unconsumed bytes of the read
 * buffer each time more arrive, validates every complete line once, and keeps its progress as
 * offsets relative to the head's first byte. Because a line is judged only when it is complete (or
 * when it has already outgrown its limit), the outcome never depends on how the bytes were split
 * into reads.
 *
 * <p>{@link #parse} returns the head's length when it is complete, 0 when more bytes are needed, or
 * minus a status code (400, 414, 431, 505) when the request must be refused.
 */
final class RequestParser {
    static final int NEED_MORE = 0;

    private static final byte[] GET = Ascii.bytes("GET");
    private static final byte[] HEAD = Ascii.bytes("HEAD");
    private static final byte[][] NOT_ALLOWED = {
        Ascii.bytes("POST"), Ascii.bytes("PUT"), Ascii.bytes("DELETE"), Ascii.bytes("PATCH"),
        Ascii.bytes("OPTIONS"), Ascii.bytes("TRACE"), Ascii.bytes("CONNECT")
    };
    private static final byte[][] FIELD_NAMES = new byte[RequestHead.FIELD_IDS][];

    static {
        FIELD_NAMES[RequestHead.HOST] = Ascii.bytes("host");
        FIELD_NAMES[RequestHead.CONTENT_LENGTH] = Ascii.bytes("content-length");
        FIELD_NAMES[RequestHead.TRANSFER_ENCODING] = Ascii.bytes("transfer-encoding");
        FIELD_NAMES[RequestHead.CONNECTION] = Ascii.bytes("connection");
        FIELD_NAMES[RequestHead.IF_MATCH] = Ascii.bytes("if-match");
        FIELD_NAMES[RequestHead.IF_NONE_MATCH] = Ascii.bytes("if-none-match");
        FIELD_NAMES[RequestHead.IF_MODIFIED_SINCE] = Ascii.bytes("if-modified-since");
        FIELD_NAMES[RequestHead.IF_UNMODIFIED_SINCE] = Ascii.bytes("if-unmodified-since");
        FIELD_NAMES[RequestHead.IF_RANGE] = Ascii.bytes("if-range");
        FIELD_NAMES[RequestHead.RANGE] = Ascii.bytes("range");
        FIELD_NAMES[RequestHead.ACCEPT_ENCODING] = Ascii.bytes("accept-encoding");
        FIELD_NAMES[RequestHead.REFERER] = Ascii.bytes("referer");
        FIELD_NAMES[RequestHead.USER_AGENT] = Ascii.bytes("user-agent");
    }

    private final RequestHead head;
    /** Longest request line, counting its CRLF. */
    private final int lineLimit;
    /** Longest header section (field lines and the empty line), counting CRLFs. */
    private final int headerLimit;
    private final int fieldLimit;

    private boolean started;
    private boolean requestLineDone;
    private int lineStart;
    private int scanned;
    private int headersStart;
    private int fieldCount;

    RequestParser(RequestHead head, Limits limits) {
        this.head = head;
        this.lineLimit = limits.maxRequestLineBytes() + 2;
        this.headerLimit = limits.maxHeaderBytes();
        this.fieldLimit = limits.maxHeaderCount();
        reset();
    }

    /** Forgets the previous request; call after each complete or refused head. */
    void reset() {
        started = false;
        requestLineDone = false;
        lineStart = 0;
        scanned = 0;
        headersStart = 0;
        fieldCount = 0;
        head.reset();
    }

    /** Whether a request line has been read for the head in progress (for the access log of a refusal). */
    boolean hasRequestLine() {
        return requestLineDone;
    }

    int parse(byte[] b, int start, int end) {
        int available = end - start;
        if (!started) {
            // One empty line before a request line is tolerated (RFC 9112 §2.2); a second one is not.
            if (available == 0) {
                return NEED_MORE;
            }
            int first = 0;
            if (b[start] == '\r') {
                if (available < 2) {
                    return NEED_MORE;
                }
                if (b[start + 1] != '\n') {
                    return -400;
                }
                first = 2;
            }
            if (available == first) {
                return NEED_MORE;
            }
            // A request line starts with its method, a token: any other byte (a TLS or SSLv2 hello, a
            // control byte, white space) cannot begin one, so the refusal need not wait for a line end.
            if (!Ascii.isTchar(b[start + first])) {
                return -400;
            }
            lineStart = scanned = first;
            started = true;
        }
        while (true) {
            int lf = -1;
            for (int i = start + scanned; i < end; i++) {
                if (b[i] == '\n') {
                    lf = i - start;
                    break;
                }
            }
            if (lf < 0) {
                scanned = available;
                int tail = available - lineStart;
                if (!requestLineDone) {
                    return tail + 1 > lineLimit ? -414 : NEED_MORE;
                }
                return lineStart - headersStart + tail + 1 > headerLimit ? -431 : NEED_MORE;
            }
            int lineEnd = lf + 1;
            if (!requestLineDone) {
                if (lineEnd - lineStart > lineLimit) {
                    return -414;
                }
                int status = requestLine(b, start, lineStart, lf);
                if (status != 0) {
                    return -status;
                }
                requestLineDone = true;
                headersStart = lineEnd;
            } else {
                if (lineEnd - headersStart > headerLimit) {
                    return -431;
                }
                if (lf == lineStart + 1 && b[start + lineStart] == '\r') {
                    return lineEnd;
                }
                int status = fieldLine(b, start, lineStart, lf);
                if (status != 0) {
                    return -status;
                }
            }
            lineStart = scanned = lineEnd;
        }
    }

    /** Validates {@code method SP target SP HTTP/d.d CRLF}; relative offsets; returns 0 or a status. */
    private int requestLine(byte[] b, int base, int from, int lf) {
        if (lf == from || b[base + lf - 1] != '\r') {
            return 400;
        }
        int end = lf - 1;
        int methodEnd = tokenBefore(b, base, from, end, ' ');
        if (methodEnd < 0) {
            return 400;
        }
        int i = methodEnd + 1;
        int targetStart = i;
        while (i < end) {
            int c = b[base + i] & 0xff;
            if (c == ' ') {
                break;
            }
            if (c <= 0x20 || c >= 0x7f || c == '#') {
                return 400;
            }
            i++;
        }
        if (i == targetStart || i >= end) {
            return 400;
        }
        int targetEnd = i;
        int v = base + i + 1;
        if (end - (i + 1) != 8 || b[v] != 'H' || b[v + 1] != 'T' || b[v + 2] != 'T' || b[v + 3] != 'P'
                || b[v + 4] != '/' || !Ascii.isDigit(b[v + 5]) || b[v + 6] != '.' || !Ascii.isDigit(b[v + 7])) {
            return 400;
        }
        if (b[v + 5] != '1') {
            return 505;
        }
        head.minorVersion = b[v + 7] == '0' ? 0 : 1;
        head.method = method(b, base + from, base + methodEnd);
        head.requestLineStart = from;
        head.requestLineEnd = end;
        head.targetStart = targetStart;
        head.targetEnd = targetEnd;
        return 0;
    }

    /**
     * The offset of the {@code delimiter} that ends a non-empty token (RFC 9110 tchar) starting at
     * {@code from}, before {@code end}; -1 if there is no such token or delimiter. Relative offsets.
     */
    private static int tokenBefore(byte[] b, int base, int from, int end, char delimiter) {
        int i = from;
        while (i < end && Ascii.isTchar(b[base + i])) {
            i++;
        }
        return i == from || i >= end || b[base + i] != delimiter ? -1 : i;
    }

    static int method(byte[] b, int from, int to) {
        if (Arrays.equals(b, from, to, GET, 0, GET.length)) {
            return RequestHead.METHOD_GET;
        }
        if (Arrays.equals(b, from, to, HEAD, 0, HEAD.length)) {
            return RequestHead.METHOD_HEAD;
        }
        for (byte[] name : NOT_ALLOWED) {
            if (Arrays.equals(b, from, to, name, 0, name.length)) {
                return RequestHead.METHOD_NOT_ALLOWED;
            }
        }
        return RequestHead.METHOD_UNKNOWN;
    }

    /** Validates {@code field-name ":" OWS field-value OWS CRLF}; relative offsets; returns 0 or a status. */
    private int fieldLine(byte[] b, int base, int from, int lf) {
        if (b[base + lf - 1] != '\r') {
            return 400;
        }
        if (++fieldCount > fieldLimit) {
            return 431;
        }
        int end = lf - 1;
        // A leading SP/HTAB is obs-fold (or whitespace before the first field): refused, never unfolded.
        int nameEnd = tokenBefore(b, base, from, end, ':');
        if (nameEnd < 0) {
            return 400;
        }
        int valueStart = Ascii.skipOws(b, base + nameEnd + 1, base + end) - base;
        for (int j = valueStart; j < end; j++) {
            int c = b[base + j] & 0xff;
            if (c < 0x20 && c != '\t' || c == 0x7f) {
                return 400;
            }
        }
        int valueEnd = Ascii.trimOwsEnd(b, base + valueStart, base + end) - base;
        int id = fieldId(b, base + from, base + nameEnd);
        if (id >= 0 && !head.addField(id, valueStart, valueEnd)) {
            return 431;
        }
        return 0;
    }

    static int fieldId(byte[] b, int from, int to) {
        for (int id = 0; id < FIELD_NAMES.length; id++) {
            if (Ascii.equalsIgnoreCase(b, from, to, FIELD_NAMES[id])) {
                return id;
            }
        }
        return -1;
    }
}
