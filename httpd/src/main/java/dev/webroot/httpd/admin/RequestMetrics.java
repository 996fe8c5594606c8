package dev.webroot.httpd.admin;

import dev.webroot.httpd.core.AccessLog;
import dev.webroot.httpd.core.AccessRecord;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Counts every completed response on its way to the access log (it is the log the connections see,
 * and passes each record on to {@code next}): responses by vhost, status class and content coding,
 * body bytes by vhost, and a histogram of request durations. Counting allocates nothing once a vhost
 * has been seen (its counters are created on its first response); values are summed when scraped.
 */
public final class RequestMetrics implements AccessLog {
    /** The vhost label of responses no site answered. */
    static final String NO_SITE = "-";
    static final String[] STATUS_CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    static final String[] ENCODINGS = {"identity", "br", "gzip", "zstd", "other"};
    private static final int BYTES = STATUS_CLASSES.length * ENCODINGS.length;
    /** Upper bounds of the duration buckets, in seconds; the last bucket, +Inf, is implied. */
    static final double[] BUCKETS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    private static final long[] BUCKET_NANOS = new long[BUCKETS.length];
    private static final int DURATION_SUM = BUCKETS.length + 1;

    static {
        for (int i = 0; i < BUCKETS.length; i++) {
            BUCKET_NANOS[i] = (long) (BUCKETS[i] * TimeUnit.SECONDS.toNanos(1));
        }
    }

    private final AccessLog next;
    private final ConcurrentHashMap<String, StripedCounters> sites = new ConcurrentHashMap<>();
    /** Per bucket (not cumulative, +Inf last), then the sum of durations in nanoseconds. */
    private final StripedCounters durations = new StripedCounters(BUCKETS.length + 2);

    /** @param next where records go after counting ({@link AccessLog#DISABLED} for none) */
    public RequestMetrics(AccessLog next) {
        this.next = next;
    }

    @Override
    public void log(AccessRecord record) {
        String site = record.site() == null ? NO_SITE : record.site();
        StripedCounters counters = sites.get(site);
        if (counters == null) {
            counters = sites.computeIfAbsent(site, name -> new StripedCounters(BYTES + 1));
        }
        int status = Math.clamp(record.status() / 100 - 1, 0, STATUS_CLASSES.length - 1);
        counters.add(status * ENCODINGS.length + encoding(record.encoding()), 1);
        counters.add(BYTES, record.bodyBytes());
        long nanos = Math.max(0, record.durationNanos());
        int bucket = 0;
        while (bucket < BUCKET_NANOS.length && nanos > BUCKET_NANOS[bucket]) {
            bucket++;
        }
        durations.add(bucket, 1);
        durations.add(DURATION_SUM, nanos);
        next.log(record);
    }

    private static int encoding(String token) {
        return switch (token) {
            case "identity" -> 0;
            case "br" -> 1;
            case "gzip" -> 2;
            case "zstd" -> 3;
            default -> 4;
        };
    }

    /** Appends the request families: {@code httpd_requests_total}, {@code httpd_response_body_bytes_total}, the histogram. */
    void writeTo(MetricsText text) {
        Map<String, StripedCounters> sorted = new TreeMap<>(sites);
        text.family("httpd_requests_total", "counter",
                "Responses completed, by vhost (- when no site answered), status class and content coding.");
        sorted.forEach((site, counters) -> {
            for (int s = 0; s < STATUS_CLASSES.length; s++) {
                for (int e = 0; e < ENCODINGS.length; e++) {
                    long n = counters.sum(s * ENCODINGS.length + e);
                    if (n > 0) {
                        text.sample("httpd_requests_total", n, "vhost", site, "status", STATUS_CLASSES[s],
                                "encoding", ENCODINGS[e]);
                    }
                }
            }
        });
        text.family("httpd_response_body_bytes_total", "counter", "Body bytes of completed responses, by vhost.");
        sorted.forEach((site, counters) -> text.sample("httpd_response_body_bytes_total", counters.sum(BYTES), "vhost", site));
        text.family("httpd_request_duration_seconds", "histogram",
                "Time from the first byte of a request to the last byte of its response.");
        long cumulative = 0;
        for (int i = 0; i < BUCKETS.length; i++) {
            cumulative += durations.sum(i);
            text.sample("httpd_request_duration_seconds_bucket", cumulative, "le",
                    java.math.BigDecimal.valueOf(BUCKETS[i]).stripTrailingZeros().toPlainString());
        }
        cumulative += durations.sum(BUCKETS.length);
        text.sample("httpd_request_duration_seconds_bucket", cumulative, "le", "+Inf");
        text.sample("httpd_request_duration_seconds_sum", durations.sum(DURATION_SUM) / 1e9);
        text.sample("httpd_request_duration_seconds_count", cumulative);
    }
}
