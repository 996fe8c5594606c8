package dev.webroot.httpd.core;

/**
 * What the combined log format needs about one exchange. The connection reuses one instance, so
 * values are only valid during {@link AccessLog#log}.
 */
public interface AccessRecord {
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
