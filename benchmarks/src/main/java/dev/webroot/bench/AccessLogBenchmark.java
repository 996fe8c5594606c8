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
import dev.webroot.httpd.log.AsyncAccessLog;
import dev.webroot.httpd.log.ErrorLog;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One keep-alive request of a 1 KiB page through the protocol core, with the access log off or
 * writing to a file in each format: the difference is what a log line costs the serving thread.
 * Lines the writer could not keep up with are dropped (which is cheaper) and printed at the end.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AccessLogBenchmark {
    @Param({"off", "combined", "json"})
    public String log;

    private Path dir;
    private Webroot webroot;
    private AsyncAccessLog accessLog;
    private HttpConnection connection;
    private ByteBuffer get;
    private long now;

    @Setup
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("access-log-bench");
        byte[] page = "<p>static</p>\n".repeat(74).getBytes(StandardCharsets.UTF_8);
        WebrootWriter writer = new WebrootWriter();
        writer.addFile("/page.html", "text/html; charset=utf-8", 1_700_000_000L, "no-cache",
                List.of(new WebrootWriter.Representation(Encoding.IDENTITY, Content.ofBytes(page, "page"))));
        Path file = dir.resolve("bench.webroot");
        writer.write(file);
        webroot = Webroot.open(file);
        Generation generation = Generation.pinned(webroot);
        AccessLog sink = AccessLog.DISABLED;
        if (!log.equals("off")) {
            accessLog = AsyncAccessLog.toFile(dir.resolve("access.log"), log, ErrorLog.toStderr());
            sink = accessLog;
        }
        Limits endless = Limits.defaults().withMaxRequestsPerConnection(Integer.MAX_VALUE);
        byte[] date = "Sun, 22 Nov 2026 06:00:00 GMT".getBytes(StandardCharsets.US_ASCII);
        connection = new HttpConnection(new WorkspacePool((host, offset, length) -> generation, endless, () -> date, sink, 1),
                "127.0.0.1:40000");
        connection.opened(now);
        get = ByteBuffer.wrap(("GET /page.html HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux "
                + "x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36\r\nReferer: "
                + "https://www.example.com/\r\nAccept: */*\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    }

    @TearDown
    public void tearDown() throws IOException {
        connection.closed();
        if (accessLog != null) {
            accessLog.close();
            System.out.println("access log lines dropped: " + accessLog.dropped());
        }
        webroot.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    public long getWithLog() {
        get.rewind();
        now += 1_000;
        return ConnectionPump.pump(connection, get, now);
    }
}
