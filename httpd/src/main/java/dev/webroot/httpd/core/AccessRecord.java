package dev.webroot.httpd.core;

/**
 * What the access log needs about one exchange. The connection reuses one instance, so values are
 * only valid during {@link AccessLog#log}.
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

    /** The peer as "ip:port". */
    String remoteAddress();

    /**
     * The request line as received, without CRLF; empty when no byte of one was read. For a refused
     * head (400, 414, 505, 408) it is as much of the first line as arrived, which may be anything.
     */
    LoggedBytes requestLine();

    /** The Host the request was served for, as normalized for lookup; empty for a refused request. */
    LoggedBytes host();

    /**
     * The name of the vhost whose site answered (also with 503 while it is out of service), or null
     * when no site did: a request refused before the lookup, an unknown host without a default site,
     * a redirect to HTTPS, an admin request.
     */
    default String site() {
        return null;
    }

    int status();

    /** Body bytes sent (not counting headers). */
    long bodyBytes();

    LoggedBytes referer();

    LoggedBytes userAgent();

    /** The content coding of the body sent ("identity", "br", ...). */
    String encoding();

    /** Nanoseconds from the first byte of the request to the last byte of the response. */
    long durationNanos();
}
