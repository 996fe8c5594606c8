package dev.webroot.httpd.core;

import dev.webroot.format.Encoding;

/**
 * One queued response and what the access log needs about it. A {@link Workspace} owns a fixed ring
 * of these and reuses them: the header and part buffers grow when a response needs more and then stay.
 */
final class Exchange implements AccessRecord {
    private String remoteAddress;
    byte[] header = new byte[512];
    int headerLength;
    /** Multipart part headers and the closing delimiter, one after another. */
    byte[] parts = new byte[0];
    int partsLength;

    Generation generation;
    /** The vhost that answered, or null. */
    String site;
    int status;
    long bodyBytes;
    String encoding;
    long startNanos;
    long durationNanos;

    /** Null when nothing is logged, and then never read. */
    private final LoggedBytes requestLine;
    private final LoggedBytes host;
    private final LoggedBytes referer;
    private final LoggedBytes userAgent;

    Exchange(boolean logged) {
        this.requestLine = logged ? new LoggedBytes(MAX_REQUEST_LINE) : null;
        this.host = logged ? new LoggedBytes(MAX_HOST) : null;
        this.referer = logged ? new LoggedBytes(MAX_REFERER) : null;
        this.userAgent = logged ? new LoggedBytes(MAX_USER_AGENT) : null;
    }

    void begin(long startNanos, String remoteAddress) {
        this.startNanos = startNanos;
        this.remoteAddress = remoteAddress;
        headerLength = 0;
        partsLength = 0;
        generation = null;
        site = null;
        status = 0;
        bodyBytes = 0;
        encoding = Encoding.IDENTITY.token();
        if (requestLine != null) {
            requestLine.clear();
            host.clear();
            referer.clear();
            userAgent.clear();
        }
    }

    /** Copies what the access log shows of a request whose request line was parsed, when there is a log. */
    void describe(RequestHead head) {
        if (requestLine == null) {
            return;
        }
        byte[] b = head.buffer;
        requestLine.set(b, head.base + head.requestLineStart, head.base + head.requestLineEnd);
        copyFirst(head, RequestHead.REFERER, referer);
        copyFirst(head, RequestHead.USER_AGENT, userAgent);
    }

    /**
     * For a head refused before its request line was accepted (or timed out): the log shows the
     * first line of what arrived in {@code b[from, to)}, up to its LF (a CR before it dropped), or
     * all of it when no LF came; one tolerated empty line before it is skipped.
     */
    void describeReceived(byte[] b, int from, int to) {
        if (requestLine == null) {
            return;
        }
        int lineStart = to - from >= 2 && b[from] == '\r' && b[from + 1] == '\n' ? from + 2 : from;
        // One byte beyond what is kept is enough to know the line was cut.
        int scanEnd = Math.min(to, lineStart + MAX_REQUEST_LINE + 1);
        int lineEnd = lineStart;
        while (lineEnd < scanEnd && b[lineEnd] != '\n') {
            lineEnd++;
        }
        if (lineEnd < scanEnd && lineEnd > lineStart && b[lineEnd - 1] == '\r') {
            lineEnd--;
        }
        requestLine.set(b, lineStart, lineEnd);
    }

    private static void copyFirst(RequestHead head, int field, LoggedBytes into) {
        if (head.count(field) > 0) {
            into.set(head.buffer, head.valueStart(field, 0), head.valueEnd(field, 0));
        }
    }

    void describeHost(byte[] b, int length) {
        if (host != null) {
            host.set(b, 0, length);
        }
    }

    /** Makes room for {@code n} more header bytes. */
    void reserveHeader(int n) {
        if (headerLength + n > header.length) {
            header = java.util.Arrays.copyOf(header, Math.max(header.length * 2, headerLength + n));
        }
    }

    void put(byte[] bytes) {
        put(bytes, 0, bytes.length);
    }

    void put(byte[] bytes, int from, int to) {
        reserveHeader(to - from);
        System.arraycopy(bytes, from, header, headerLength, to - from);
        headerLength += to - from;
    }

    void put(byte b) {
        reserveHeader(1);
        header[headerLength++] = b;
    }

    void putDecimal(long value) {
        reserveHeader(20);
        headerLength = Ascii.putDecimal(header, headerLength, value);
    }

    void reserveParts(int n) {
        if (partsLength + n > parts.length) {
            parts = java.util.Arrays.copyOf(parts, Math.max(parts.length * 2, partsLength + n));
        }
    }

    void releaseGeneration() {
        if (generation != null) {
            Generation g = generation;
            generation = null;
            g.release();
        }
    }

    @Override
    public String remoteAddress() {
        return remoteAddress;
    }

    @Override
    public LoggedBytes requestLine() {
        return requestLine;
    }

    @Override
    public LoggedBytes host() {
        return host;
    }

    @Override
    public String site() {
        return site;
    }

    @Override
    public int status() {
        return status;
    }

    @Override
    public long bodyBytes() {
        return bodyBytes;
    }

    @Override
    public LoggedBytes referer() {
        return referer;
    }

    @Override
    public LoggedBytes userAgent() {
        return userAgent;
    }

    @Override
    public String encoding() {
        return encoding;
    }

    @Override
    public long durationNanos() {
        return durationNanos;
    }
}
