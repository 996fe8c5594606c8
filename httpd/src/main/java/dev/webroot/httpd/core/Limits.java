package dev.webroot.httpd.core;

import java.time.Duration;

/**
 * Bounds on what one connection may cost. Defaults follow nginx: 8 KiB request line
 * (large_client_header_buffers), 60 s to send a request head (client_header_timeout), 75 s idle
 * keep-alive (keepalive_timeout), 60 s without send progress (send_timeout), 1000 requests per
 * connection (keepalive_requests).
 */
public record Limits(
        int maxRequestLineBytes,
        int maxHeaderBytes,
        int maxHeaderCount,
        int maxPipelinedResponses,
        int maxRequestsPerConnection,
        int maxRanges,
        Duration requestHeadTimeout,
        Duration keepAliveTimeout,
        Duration sendTimeout) {

    /** These limits with another cap on requests per connection. */
    public Limits withMaxRequestsPerConnection(int max) {
        return new Limits(maxRequestLineBytes, maxHeaderBytes, maxHeaderCount, maxPipelinedResponses, max, maxRanges,
                requestHeadTimeout, keepAliveTimeout, sendTimeout);
    }

    public static Limits defaults() {
        return new Limits(8192, 32768, 100, 16, 1000, 16,
                Duration.ofSeconds(60), Duration.ofSeconds(75), Duration.ofSeconds(60));
    }
}
