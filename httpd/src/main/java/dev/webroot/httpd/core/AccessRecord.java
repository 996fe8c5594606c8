package dev.webroot.httpd.core;

/**
 * What the combined log format needs about one exchange. The connection reuses one instance, so
 * values are only valid during {@link AccessLog#log}.
 */
public interface AccessRecord {
    /*
     * The most bytes a record keeps of each request field: what the log line has room for, so that
     * nothing is copied per request that the log would never print.
     */
    int MAX_REQUEST_LINE = 1536;
    int MAX_HOST = 256;
    int MAX_REFERER = 768;
    int MAX_USER_AGENT = 768;

    String remoteAddress();

    /** The request line as received, without CRLF (ASCII); empty when no request line was read. */
    CharSequence requestLine();

    /** The Host the request was served for, as normalized for lookup. */
    CharSequence host();

    int status();

    /** Body bytes sent (not counting headers). */
    long bodyBytes();

    CharSequence referer();

    CharSequence userAgent();

    /** The content coding of the body sent ("identity", "br", ...). */
    CharSequence encoding();

    /** Nanoseconds from the first byte of the request to the last byte of the response. */
    long durationNanos();
}
