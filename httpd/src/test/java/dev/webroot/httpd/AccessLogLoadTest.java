package dev.webroot.httpd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.format.Content;
import dev.webroot.format.Encoding;
import dev.webroot.format.WebrootWriter;
import dev.webroot.format.WebrootWriter.Representation;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real server under a bounded load, its access log in a file: every request served is one whole
 * line, whichever event loop or thread served it, and a refused request is logged with its line.
 */
@Timeout(180)
class AccessLogLoadTest {
    private static final int CONNECTIONS = 8;
    private static final int REQUESTS_PER_CONNECTION = 2_500;
    private static final int PIPELINED = 25;

    @TempDir
    Path dir;

    @Test
    void everyRequestOfEventLoopsIsOneCombinedLine() throws Exception {
        List<String> lines = serveLoad("epoll", "combined");
        // Lines of different threads are not in time order: the refused one may come anywhere.
        List<String> refused = lines.stream().filter(line -> line.contains("\" 400 ")).toList();
        assertThat(refused).hasSize(1);
        assertThat(refused.getFirst()).matches("127\\.0\\.0\\.1 - - \\[[^]]+] \"GET /\\\\x01 HTTP/1\\.1\" 400 \\d+ \"-\" \"-\" \"-\" "
                + "identity \\d+\\.\\d{3}");
        Set<String> requests = new HashSet<>();
        for (String line : lines) {
            if (line == refused.getFirst()) {
                continue;
            }
            assertThat(line).matches("127\\.0\\.0\\.1 - - \\[[^]]+] \"GET /index\\.html\\?c=\\d+&i=\\d+ HTTP/1\\.1\" 200 1024 "
                    + "\"-\" \"load\" \"localhost\" identity \\d+\\.\\d{3}");
            requests.add(line.substring(line.indexOf("GET"), line.indexOf(" HTTP/1.1")));
        }
        assertThat(requests).hasSize(CONNECTIONS * REQUESTS_PER_CONNECTION);
    }

    @Test
    void everyRequestOfVirtualThreadsIsOneJsonLine() throws Exception {
        List<String> lines = serveLoad("sync", "json");
        List<String> refused = lines.stream().filter(line -> line.contains("\"status\":400")).toList();
        assertThat(refused).hasSize(1);
        assertThat(refused.getFirst()).contains("\"method\":\"GET\",\"target\":\"/\\u0001\",\"protocol\":\"HTTP/1.1\",\"status\":400");
        Set<String> requests = new HashSet<>();
        for (String line : lines) {
            if (line == refused.getFirst()) {
                continue;
            }
            assertThat(line).matches("\\{\"remote\":\"127\\.0\\.0\\.1\",\"time\":\"[-0-9T:.]+Z\",\"method\":\"GET\","
                    + "\"target\":\"/index\\.html\\?c=\\d+&i=\\d+\",\"protocol\":\"HTTP/1\\.1\",\"status\":200,\"bytes\":1024,"
                    + "\"referer\":null,\"user_agent\":\"load\",\"host\":\"localhost\",\"encoding\":\"identity\","
                    + "\"duration\":\\d+\\.\\d{3}}");
            requests.add(line.substring(line.indexOf("/index"), line.indexOf("\",\"protocol")));
        }
        assertThat(requests).hasSize(CONNECTIONS * REQUESTS_PER_CONNECTION);
    }

    /** Serves the load, then one refused request, stops the server and returns the log's lines. */
    private List<String> serveLoad(String model, String format) throws Exception {
        Path vhosts = Files.createDirectories(dir.resolve("vhosts"));
        byte[] page = new byte[1024];
        Arrays.fill(page, (byte) 'p');
        WebrootWriter writer = new WebrootWriter();
        writer.addFile("/index.html", "text/html; charset=utf-8", 0, "no-cache",
                List.of(new Representation(Encoding.IDENTITY, Content.ofBytes(page, "index.html"))));
        writer.write(vhosts.resolve("__default__"));
        Path accessLog = dir.resolve("access.log");
        Settings settings = CommandLine.parse(List.of(vhosts.toString(), "--io", model, "--workers", "2",
                "--listen", "127.0.0.1:0", "--access-log", accessLog.toString(), "--access-log-format", format,
                "--max-requests-per-connection", "100000", "--error-log", dir.resolve("error.log").toString()));
        Httpd httpd = new Httpd(settings);
        Thread server = Thread.ofPlatform().name("access-log-load").start(httpd::serve);
        try {
            InetSocketAddress address = httpd.listening().get(30, TimeUnit.SECONDS);
            try (ExecutorService clients = Executors.newFixedThreadPool(CONNECTIONS)) {
                List<Future<Integer>> answered = new ArrayList<>();
                for (int c = 0; c < CONNECTIONS; c++) {
                    int connection = c;
                    answered.add(clients.submit(() -> load(address, connection)));
                }
                for (Future<Integer> f : answered) {
                    assertThat(f.get()).isEqualTo(REQUESTS_PER_CONNECTION);
                }
            }
            try (Socket socket = new Socket(address.getAddress(), address.getPort())) {
                socket.getOutputStream().write("GET /\u0001 HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                assertThat(new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1))
                        .startsWith("HTTP/1.1 400 ");
            }
        } finally {
            httpd.requestStop("the end of the test");
            server.join(TimeUnit.SECONDS.toMillis(30));
        }
        assertThat(server.isAlive()).isFalse();
        assertThat(Files.readString(dir.resolve("error.log"))).doesNotContain("dropped");
        List<String> lines = Files.readAllLines(accessLog, StandardCharsets.ISO_8859_1);
        assertThat(lines).hasSize(CONNECTIONS * REQUESTS_PER_CONNECTION + 1);
        return lines;
    }

    /** Sends this connection's requests in pipelined batches and reads every response; returns how many were 200. */
    private static int load(InetSocketAddress address, int connection) throws IOException {
        int ok = 0;
        try (Socket socket = new Socket(address.getAddress(), address.getPort())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            for (int i = 0; i < REQUESTS_PER_CONNECTION; i += PIPELINED) {
                StringBuilder batch = new StringBuilder();
                for (int k = i; k < Math.min(i + PIPELINED, REQUESTS_PER_CONNECTION); k++) {
                    batch.append("GET /index.html?c=").append(connection).append("&i=").append(k)
                            .append(" HTTP/1.1\r\nHost: localhost\r\nUser-Agent: load\r\n\r\n");
                }
                out.write(batch.toString().getBytes(StandardCharsets.US_ASCII));
                for (int k = i; k < Math.min(i + PIPELINED, REQUESTS_PER_CONNECTION); k++) {
                    if (readResponse(in) == 200) {
                        ok++;
                    }
                }
            }
        }
        return ok;
    }

    /** Reads one response with a Content-Length body; returns its status. */
    private static int readResponse(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the server closed the connection mid-response: " + head);
            }
            head.append((char) b);
        }
        String text = head.toString();
        int at = text.toLowerCase(java.util.Locale.ROOT).indexOf("content-length: ");
        long length = Long.parseLong(text.substring(at + 16, text.indexOf('\r', at)));
        in.skipNBytes(length);
        return Integer.parseInt(text.substring(9, 12));
    }
}
