package dev.webroot.httpd.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.io.Connection.Operation;
import dev.webroot.io.Output;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Steady-state keep-alive requests (200 of a small file, 304, a single range, a 404 page) allocate
 * nothing per request once warmed up, measured with the thread's allocation counter.
 */
class AllocationTest {
    private static final int WARM_UP = 30_000;
    private static final int MEASURED = 10_000;

    @TempDir
    Path dir;

    @Test
    void keepAliveRequestsDoNotAllocate() throws IOException {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);
        try (TestSites sites = TestSites.create(dir)) {
            Generation generation = Generation.pinned(sites.site);
            Sites fixed = (host, offset, length) -> generation;
            Limits limits = Limits.defaults().withMaxRequestsPerConnection(Integer.MAX_VALUE);
            HttpConnection connection = new HttpConnection(new WorkspacePool(fixed, limits, TestSites.DATES, AccessLog.DISABLED, 1), "a");
            connection.opened(0);
            byte[][] requests = {
                bytes("GET /plain.txt HTTP/1.1\r\nHost: site.test\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n"),
                bytes("GET /index.html HTTP/1.1\r\nHost: site.test\r\nAccept-Encoding: gzip, br\r\nIf-None-Match: "
                        + TestSites.etag(TestSites.INDEX_BR) + "\r\n\r\n"),
                bytes("GET /big.bin HTTP/1.1\r\nHost: site.test\r\nRange: bytes=0-1\r\n\r\n"),
                bytes("GET /missing HTTP/1.1\r\nHost: site.test\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n"),
            };
            int[] expectedStatuses = {200, 304, 206, 404};
            for (int i = 0; i < requests.length; i++) {
                assertThat(status(connection, requests[i], i)).as("answer to request %d", i).isEqualTo(expectedStatuses[i]);
            }
            long sink = 0;
            for (int i = 0; i < WARM_UP; i++) {
                sink += exchange(connection, requests[i % requests.length], i);
            }
            long before = threads.getThreadAllocatedBytes(Thread.currentThread().threadId());
            for (int i = 0; i < MEASURED; i++) {
                sink += exchange(connection, requests[i % requests.length], i);
            }
            long allocated = threads.getThreadAllocatedBytes(Thread.currentThread().threadId()) - before;
            assertThat(sink).isPositive();
            assertThat(allocated / MEASURED).as("bytes allocated per request (%d in total)", allocated).isLessThan(64);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** The status code the connection answers {@code request} with (the request must be answered in one write). */
    private static int status(HttpConnection c, byte[] request, long now) {
        ByteBuffer in = c.readBuffer();
        in.put(request);
        c.read(request.length, now);
        ByteBuffer head = c.output().buffer(0).duplicate();
        byte[] statusLine = new byte[12];
        head.get(statusLine);
        c.written(c.output().totalRemaining(), now);
        assertThat(c.nextWrite()).isNotEqualTo(Operation.PROCEED);
        return Integer.parseInt(new String(statusLine, 9, 3, StandardCharsets.US_ASCII));
    }

    /** One request through the connection the way a gathering-write driver does it. */
    private static long exchange(HttpConnection c, byte[] request, long now) {
        ByteBuffer in = c.readBuffer();
        in.put(request);
        c.read(request.length, now);
        long total = 0;
        while (c.nextWrite() == Operation.PROCEED) {
            Output out = c.output();
            long n = 0;
            for (int s = 0; s < out.segmentCount(); s++) {
                n += out.buffer(s).remaining();
            }
            c.written(n, now);
            total += n;
        }
        return total;
    }
}
