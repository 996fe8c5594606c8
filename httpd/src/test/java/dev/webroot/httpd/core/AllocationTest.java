package dev.webroot.httpd.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.format.Encoding;
import dev.webroot.format.Webroot;
import dev.webroot.format.WebrootWriter;
import dev.webroot.httpd.log.AsyncAccessLog;
import dev.webroot.httpd.log.ErrorLog;
import dev.webroot.io.Connection;
import dev.webroot.io.Connection.Operation;
import dev.webroot.io.Output;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Steady-state keep-alive requests (200 of a small file, 304, a single range, a 404 page; and site
 * rules: a redirect with a splat, a template rewrite, a fixed rewrite) allocate nothing per request
 * once warmed up, with the access log on as it is by default (the real asynchronous log, writing to
 * a file): measured with the serving thread's allocation counter, and with every thread's, which
 * includes the log's writer.
 */
class AllocationTest {
    private static final int WARM_UP = 30_000;
    private static final int MEASURED = 10_000;
    /** Far below one object per request: a stray allocation on the request path costs at least 16 bytes each time. */
    private static final long MAX_BYTES_PER_REQUEST = 8;

    @TempDir
    Path dir;

    @Test
    void keepAliveRequestsDoNotAllocateWithTheAccessLogOn() throws IOException {
        try (TestSites sites = TestSites.create(dir)) {
            assertNoAllocation(sites.site, new byte[][] {
                bytes("GET /plain.txt HTTP/1.1\r\nHost: site.test\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n"),
                bytes("GET /index.html HTTP/1.1\r\nHost: site.test\r\nAccept-Encoding: gzip, br\r\nIf-None-Match: "
                        + TestSites.etag(TestSites.INDEX_BR) + "\r\nReferer: http://site.test/\r\n\r\n"),
                bytes("GET /big.bin HTTP/1.1\r\nHost: site.test\r\nRange: bytes=0-1\r\n\r\n"),
                bytes("GET /missing HTTP/1.1\r\nHost: site.test\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n"),
            }, new int[] {200, 304, 206, 404}, "\"GET /missing HTTP/1\\.1\" 404 \\d+ \"-\" \"-\" \"site\\.test\" identity");
        }
    }

    @Test
    void siteRulesDoNotAllocate() throws IOException {
        WebrootWriter w = new WebrootWriter();
        w.addFile("/index.html", "text/html; charset=utf-8", TestSites.MODIFIED, "no-cache",
                List.of(TestSites.rep(Encoding.IDENTITY, TestSites.INDEX)));
        w.addFile("/posts/a.html", "text/html; charset=utf-8", TestSites.MODIFIED, "no-cache",
                List.of(TestSites.rep(Encoding.IDENTITY, TestSites.PLAIN)));
        w.addRule(new WebrootWriter.Rule(1, "/blog/*", 301, false, "/posts/:splat"));
        w.addRule(new WebrootWriter.Rule(2, "/shop/:item", 200, false, "/posts/:item"));
        w.addRule(new WebrootWriter.Rule(3, "/*", 200, false, "/index.html"));
        w.write(dir.resolve("rules.webroot"));
        try (Webroot rules = Webroot.open(dir.resolve("rules.webroot"))) {
            assertNoAllocation(rules, new byte[][] {
                bytes("GET /blog/2024/some%20post?page=2 HTTP/1.1\r\nHost: site.test\r\n\r\n"),
                bytes("GET /shop/a.html HTTP/1.1\r\nHost: site.test\r\n\r\n"),
                bytes("GET /app/deep/route HTTP/1.1\r\nHost: site.test\r\n\r\n"),
            }, new int[] {301, 200, 200}, "\"GET /blog/2024/some%20post\\?page=2 HTTP/1\\.1\" 301 0 \"-\" \"-\" \"site\\.test\" identity");
        }
    }

    /**
     * Serves {@code requests} round-robin through one connection with the asynchronous log on, and
     * checks their first answers' statuses, that every request was logged (the last one, request
     * {@code (MEASURED - 1) % requests.length}, matching {@code lastLine}), and the bytes allocated per request.
     */
    private void assertNoAllocation(Webroot site, byte[][] requests, int[] expectedStatuses, String lastLine)
            throws IOException {
        assertNoAllocation(site, false, requests.length, i -> requests[i % requests.length],
                c -> {
                    for (int i = 0; i < requests.length; i++) {
                        assertThat(status((HttpConnection) c, requests[i], i)).as("answer to request %d", i)
                                .isEqualTo(expectedStatuses[i]);
                    }
                }, lastLine);
    }

    /**
     * Serves {@code first} requests checked by {@code check}, then WARM_UP and MEASURED more from
     * {@code request} (by their number), through one connection (HTTP/2 with prior knowledge when
     * {@code http2}) with the asynchronous log on; checks that every request was logged, the last
     * line, and the bytes allocated per request.
     */
    private void assertNoAllocation(Webroot site, boolean http2, int first, java.util.function.IntFunction<byte[]> request,
            java.util.function.Consumer<Connection> check, String lastLine) throws IOException {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);
        Path accessLog = Files.createTempFile(dir, "access", ".log");
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        AsyncAccessLog log = AsyncAccessLog.toFile(accessLog, "combined",
                ErrorLog.to(new PrintStream(errors, true, StandardCharsets.UTF_8)));
        long servingBytes;
        long allBytes;
        int served = first + WARM_UP + MEASURED;
        try (log) {
            Generation generation = Generation.pinned(site);
            Sites fixed = (host, offset, length) -> generation;
            Limits limits = Limits.defaults().withMaxRequestsPerConnection(Integer.MAX_VALUE);
            WorkspacePool pool = new WorkspacePool(fixed, limits, TestSites.DATES, log, 1);
            Connection connection = http2 ? new Http2Connection(pool, "192.0.2.1:4000")
                    : new HttpConnection(pool, "192.0.2.1:4000");
            connection.opened(0);
            check.accept(connection);
            for (int i = first; i < first + WARM_UP; i++) {
                exchange(connection, request.apply(i), i);
            }
            long thread = Thread.currentThread().threadId();
            long servingBefore = threads.getThreadAllocatedBytes(thread);
            long allBefore = threads.getTotalThreadAllocatedBytes();
            for (int i = first + WARM_UP; i < served; i++) {
                exchange(connection, request.apply(i), i);
            }
            servingBytes = threads.getThreadAllocatedBytes(thread) - servingBefore;
            allBytes = threads.getTotalThreadAllocatedBytes() - allBefore;
        }
        List<String> lines = Files.readAllLines(accessLog);
        assertThat(lines.size() + log.dropped()).as("lines written or counted as dropped").isEqualTo(served);
        assertThat(lines.getLast()).matches("192\\.0\\.2\\.1 - - \\[.+] " + lastLine + " \\d+\\.\\d{3}");
        assertThat(servingBytes / MEASURED).as("bytes the serving thread allocated per request (%d in total)", servingBytes)
                .isLessThan(MAX_BYTES_PER_REQUEST);
        assertThat(allBytes / MEASURED).as("bytes every thread allocated per request (%d in total)", allBytes)
                .isLessThan(MAX_BYTES_PER_REQUEST);
    }

    @Test
    void http2StreamsDoNotAllocateWithTheAccessLogOn() throws IOException {
        try (TestSites sites = TestSites.create(dir)) {
            // The connection's window opened as far as it goes: every body of the run fits in it.
            byte[] preface = H2.client().frame(Http2.WINDOW_UPDATE, 0, 0, H2.int32(Integer.MAX_VALUE - 65_535)).bytes();
            // One HEADERS frame, its stream id rewritten for each request: odd and increasing.
            byte[] frame = new H2().get(1, "/plain.txt", "user-agent", "bench", "accept-encoding", "gzip, br").bytes();
            java.util.function.IntFunction<byte[]> request = i -> {
                H2.put32(frame, 5, 2 * i + 1);
                return frame;
            };
            assertNoAllocation(sites.site, true, 1, request, c -> {
                Driver d = new Driver(c, false).feed(preface).feed(request.apply(0));
                assertThat(H2.responses(H2.frames(d.outputBytes())).get(1).bodyText()).isEqualTo(TestSites.PLAIN);
            }, "\"GET /plain\\.txt HTTP/2\\.0\" 200 12 \"-\" \"bench\" \"site\\.test\" identity");
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
    private static void exchange(Connection c, byte[] request, long now) {
        ByteBuffer in = c.readBuffer();
        in.put(request);
        c.read(request.length, now);
        while (c.nextWrite() == Operation.PROCEED) {
            Output out = c.output();
            long n = 0;
            for (int s = 0; s < out.segmentCount(); s++) {
                n += out.buffer(s).remaining();
            }
            c.written(n, now);
        }
    }
}
