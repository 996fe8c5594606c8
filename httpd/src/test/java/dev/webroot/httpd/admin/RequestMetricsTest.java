package dev.webroot.httpd.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.httpd.core.AccessLog;
import dev.webroot.httpd.core.AccessRecord;
import dev.webroot.httpd.core.LoggedBytes;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RequestMetricsTest {
    /** A record as a connection hands it to the log; only what the metrics read is set. */
    private static final class Record implements AccessRecord {
        String site;
        int status;
        long bodyBytes;
        String encoding;
        long durationNanos;

        Record set(String site, int status, long bodyBytes, String encoding, long durationNanos) {
            this.site = site;
            this.status = status;
            this.bodyBytes = bodyBytes;
            this.encoding = encoding;
            this.durationNanos = durationNanos;
            return this;
        }

        @Override
        public String site() {
            return site;
        }

        @Override
        public String remoteAddress() {
            return "127.0.0.1:1";
        }

        @Override
        public LoggedBytes requestLine() {
            return new LoggedBytes(0);
        }

        @Override
        public LoggedBytes host() {
            return new LoggedBytes(0);
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
            return new LoggedBytes(0);
        }

        @Override
        public LoggedBytes userAgent() {
            return new LoggedBytes(0);
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

    @Test
    void exposesCountsByVhostStatusClassAndEncodingWithACumulativeHistogram() {
        List<Integer> passedOn = new ArrayList<>();
        RequestMetrics metrics = new RequestMetrics(record -> passedOn.add(record.status()));
        Record r = new Record();
        metrics.log(r.set("a.example", 200, 1000, "br", TimeUnit.MICROSECONDS.toNanos(300)));
        metrics.log(r.set("a.example", 200, 500, "br", TimeUnit.MILLISECONDS.toNanos(2)));
        metrics.log(r.set("a.example", 304, 0, "identity", TimeUnit.MILLISECONDS.toNanos(20)));
        metrics.log(r.set("b\"x\\y", 404, 10, "gzip", TimeUnit.SECONDS.toNanos(30)));
        metrics.log(r.set(null, 400, 12, "identity", TimeUnit.MILLISECONDS.toNanos(1)));
        metrics.log(r.set("a.example", 503, 20, "compress", TimeUnit.MILLISECONDS.toNanos(1)));
        MetricsText text = new MetricsText();
        metrics.writeTo(text);

        assertThat(passedOn).containsExactly(200, 200, 304, 404, 400, 503);
        assertThat(text.toString()).isEqualTo("""
                # HELP httpd_requests_total Responses completed, by vhost (- when no site answered), status class and content coding.
                # TYPE httpd_requests_total counter
                httpd_requests_total{vhost="-",status="4xx",encoding="identity"} 1
                httpd_requests_total{vhost="a.example",status="2xx",encoding="br"} 2
                httpd_requests_total{vhost="a.example",status="3xx",encoding="identity"} 1
                httpd_requests_total{vhost="a.example",status="5xx",encoding="other"} 1
                httpd_requests_total{vhost="b\\"x\\\\y",status="4xx",encoding="gzip"} 1
                # HELP httpd_response_body_bytes_total Body bytes of completed responses, by vhost.
                # TYPE httpd_response_body_bytes_total counter
                httpd_response_body_bytes_total{vhost="-"} 12
                httpd_response_body_bytes_total{vhost="a.example"} 1520
                httpd_response_body_bytes_total{vhost="b\\"x\\\\y"} 10
                # HELP httpd_request_duration_seconds Time from the first byte of a request to the last byte of its response.
                # TYPE httpd_request_duration_seconds histogram
                httpd_request_duration_seconds_bucket{le="0.0005"} 1
                httpd_request_duration_seconds_bucket{le="0.001"} 3
                httpd_request_duration_seconds_bucket{le="0.0025"} 4
                httpd_request_duration_seconds_bucket{le="0.005"} 4
                httpd_request_duration_seconds_bucket{le="0.01"} 4
                httpd_request_duration_seconds_bucket{le="0.025"} 5
                httpd_request_duration_seconds_bucket{le="0.05"} 5
                httpd_request_duration_seconds_bucket{le="0.1"} 5
                httpd_request_duration_seconds_bucket{le="0.25"} 5
                httpd_request_duration_seconds_bucket{le="0.5"} 5
                httpd_request_duration_seconds_bucket{le="1"} 5
                httpd_request_duration_seconds_bucket{le="2.5"} 5
                httpd_request_duration_seconds_bucket{le="5"} 5
                httpd_request_duration_seconds_bucket{le="10"} 5
                httpd_request_duration_seconds_bucket{le="+Inf"} 6
                httpd_request_duration_seconds_sum 30.0243
                httpd_request_duration_seconds_count 6
                """);
    }

    @Test
    void countsFromManyThreadsAddUp() throws InterruptedException {
        RequestMetrics metrics = new RequestMetrics(AccessLog.DISABLED);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                Record r = new Record();
                for (int i = 0; i < 10_000; i++) {
                    metrics.log(r.set("a", 200, 3, "identity", 1));
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        MetricsText text = new MetricsText();
        metrics.writeTo(text);
        assertThat(text.toString()).contains("httpd_requests_total{vhost=\"a\",status=\"2xx\",encoding=\"identity\"} 80000\n",
                "httpd_response_body_bytes_total{vhost=\"a\"} 240000\n", "httpd_request_duration_seconds_count 80000\n");
    }

    @Test
    void countingAllocatesNothingOnceAVhostIsKnown() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);
        RequestMetrics metrics = new RequestMetrics(AccessLog.DISABLED);
        Record r = new Record();
        String[] sites = {"a", "b", null};
        String[] encodings = {"identity", "br", "gzip", "zstd"};
        for (int i = 0; i < 20_000; i++) {
            metrics.log(r.set(sites[i % 3], 200 + 100 * (i % 4), i, encodings[i % 4], i * 1000L));
        }
        long before = threads.getThreadAllocatedBytes(Thread.currentThread().threadId());
        for (int i = 0; i < 100_000; i++) {
            metrics.log(r.set(sites[i % 3], 200 + 100 * (i % 4), i, encodings[i % 4], i * 1000L));
        }
        long allocated = threads.getThreadAllocatedBytes(Thread.currentThread().threadId()) - before;
        assertThat(allocated).as("bytes allocated by 100,000 counted responses").isLessThan(1024);
    }
}
