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
    int status;
    long bodyBytes;
    String encoding;
    long startNanos;
    long durationNanos;

    /** Null when nothing is logged, and then never read. */
    private final ByteChars requestLine;
    private final ByteChars host;
    private final ByteChars referer;
    private final ByteChars userAgent;

    Exchange(boolean logged) {
        this.requestLine = logged ? new ByteChars(MAX_REQUEST_LINE) : null;
        this.host = logged ? new ByteChars(MAX_HOST) : null;
        this.referer = logged ? new ByteChars(MAX_REFERER) : null;
        this.userAgent = logged ? new ByteChars(MAX_USER_AGENT) : null;
    }

    void begin(long startNanos, String remoteAddress) {
        this.startNanos = startNanos;
        this.remoteAddress = remoteAddress;
        headerLength = 0;
        partsLength = 0;
        generation = null;
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

    /** Copies what the access log shows of the request, when there is a log. */
    void describe(RequestHead head, boolean hasRequestLine) {
        if (requestLine == null || !hasRequestLine) {
            return;
        }
        byte[] b = head.buffer;
        requestLine.set(b, head.base + head.requestLineStart, head.base + head.requestLineEnd);
        copyFirst(head, RequestHead.REFERER, referer);
        copyFirst(head, RequestHead.USER_AGENT, userAgent);
    }

    private static void copyFirst(RequestHead head, int field, ByteChars into) {
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
    public CharSequence requestLine() {
        return requestLine;
    }

    @Override
    public CharSequence host() {
        return host;
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
    public CharSequence referer() {
        return referer;
    }

    @Override
    public CharSequence userAgent() {
        return userAgent;
    }

    @Override
    public CharSequence encoding() {
        return encoding;
    }

    @Override
    public long durationNanos() {
        return durationNanos;
    }
}
