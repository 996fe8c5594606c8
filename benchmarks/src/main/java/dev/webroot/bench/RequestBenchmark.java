package dev.webroot.bench;

import dev.webroot.format.Content;
import dev.webroot.format.Encoding;
import dev.webroot.format.Webroot;
import dev.webroot.format.WebrootWriter;
import dev.webroot.httpd.core.AccessLog;
import dev.webroot.httpd.core.ConnectionPump;
import dev.webroot.httpd.core.Generation;
import dev.webroot.httpd.core.HttpConnection;
import dev.webroot.httpd.core.Limits;
import dev.webroot.httpd.core.WorkspacePool;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One keep-alive request through the protocol core (parse, host and path lookup, conditionals,
 * negotiation, response assembly), with no socket: what each request costs in CPU and allocation.
 * Run with {@code -prof gc}; steady state should allocate about 0 bytes per operation.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RequestBenchmark {
    private static final byte[] DATE = "Sun, 22 Nov 2026 06:00:00 GMT".getBytes(StandardCharsets.US_ASCII);

    private Path dir;
    private Webroot webroot;
    private HttpConnection connection;
    private ByteBuffer get;
    private ByteBuffer getGzip;
    private ByteBuffer notModified;
    private ByteBuffer range;
    private long now;

    @Setup
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("request-bench");
        byte[] page = "<p>static</p>\n".repeat(74).getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(page);
        }
        WebrootWriter writer = new WebrootWriter();
        writer.addFile("/page.html", "text/html; charset=utf-8", 1_700_000_000L, "no-cache", List.of(
                new WebrootWriter.Representation(Encoding.IDENTITY, Content.ofBytes(page, "page")),
                new WebrootWriter.Representation(Encoding.GZIP, Content.ofBytes(gz.toByteArray(), "page.gz"))));
        Path file = dir.resolve("bench.webroot");
        writer.write(file);
        webroot = Webroot.open(file);
        String etag = webroot.etag(webroot.representation(webroot.lookup("/page.html"), 0));

        Generation generation = Generation.pinned(webroot);
        Limits endless = Limits.defaults().withMaxRequestsPerConnection(Integer.MAX_VALUE);
        connection = new HttpConnection(new WorkspacePool((host, offset, length) -> generation, endless, () -> DATE,
                AccessLog.DISABLED, 1), "127.0.0.1:40000");
        connection.opened(now);
        get = request("GET /page.html HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n");
        getGzip = request("GET /page.html HTTP/1.1\r\nHost: www.example.com\r\nAccept-Encoding: gzip, deflate, br;q=0\r\n\r\n");
        notModified = request("GET /page.html HTTP/1.1\r\nHost: www.example.com\r\nIf-None-Match: " + etag + "\r\n\r\n");
        range = request("GET /page.html HTTP/1.1\r\nHost: www.example.com\r\nRange: bytes=100-199\r\n\r\n");
        for (ByteBuffer request : List.of(get, getGzip, notModified, range)) {
            if (run(request) <= 0) {
                throw new IllegalStateException("the connection did not answer the benchmark request");
            }
        }
    }

    private static ByteBuffer request(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }

    private long run(ByteBuffer request) {
        request.rewind();
        now += 1_000;
        return ConnectionPump.pump(connection, request, now);
    }

    @TearDown
    public void tearDown() throws IOException {
        connection.closed();
        webroot.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    public long getSmallFile() {
        return run(get);
    }

    @Benchmark
    public long getGzipVariant() {
        return run(getGzip);
    }

    @Benchmark
    public long notModified() {
        return run(notModified);
    }

    @Benchmark
    public long singleRange() {
        return run(range);
    }
}
