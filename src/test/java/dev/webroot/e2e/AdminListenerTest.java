package dev.webroot.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import dev.webroot.httpd.tls.TestCertificates;
import dev.webroot.httpd.tls.TestCertificates.Authority;
import dev.webroot.httpd.tls.TestCertificates.KeyForm;
import dev.webroot.httpd.tls.TestCertificates.KeyType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The admin listener on every I/O model: its counters follow what the model saw. */
class AdminListenerTest {
    private static final Pattern ADMIN = Pattern.compile("admin endpoints on http://127\\.0\\.0\\.1:(\\d+)");

    static Iterable<String> models() {
        return Project.MODELS;
    }

    @ParameterizedTest
    @MethodSource("models")
    void countersFollowRequestsTimeoutsAndRefusedConnections(String model) throws Exception {
        try (Server httpd = Server.start(Project.exampleVhosts(), model, "--admin", "127.0.0.1:0",
                "--max-connections", "2", "--request-head-timeout", "1s")) {
            Matcher matcher = ADMIN.matcher(httpd.awaitLog(line -> ADMIN.matcher(line).find(), Duration.ofSeconds(10)));
            assertThat(matcher.find()).isTrue();
            int admin = Integer.parseInt(matcher.group(1));
            assertThat(exchange(httpd.port, "GET / HTTP/1.1\r\nHost: blog.example.org\r\nConnection: close\r\n\r\n"))
                    .startsWith("HTTP/1.1 200 OK\r\n");
            // A head that never completes: 408 at the timeout.
            assertThat(exchange(httpd.port, "GET / HTTP/1.1\r\nHost: blog")).startsWith("HTTP/1.1 408 Request Timeout\r\n");
            awaitMetric(admin, "httpd_connections_timed_out_total", 1);
            // Connections close asynchronously on some models: wait until only the scrape itself is open,
            // and give that scrape's own close the moment it takes.
            awaitMetric(admin, "httpd_connections_open", 1);
            Thread.sleep(500);
            // Two keep-alive connections, each answered (so admitted), fill --max-connections: a third is closed on accept.
            try (Socket a = keptAlive(httpd.port); Socket b = keptAlive(httpd.port)) {
                try (Socket c = new Socket(InetAddress.getLoopbackAddress(), httpd.port)) {
                    c.setSoTimeout(10_000);
                    assertThat(c.getInputStream().read()).as("refused connection closed at once").isEqualTo(-1);
                }
            }
            // Scrapes that come while the model still counts the two as open are refused too.
            awaitMetric(admin, "httpd_connections_refused_total", n -> n >= 1);
            String metrics = awaitMetric(admin,
                    "httpd_requests_total{vhost=\"blog.example.org\",status=\"2xx\",encoding=\"identity\"}", 3);
            assertThat(metrics).contains("httpd_requests_total{vhost=\"-\",status=\"4xx\",encoding=\"identity\"} 1\n",
                    "httpd_vhost_serving{vhost=\"blog.example.org\"} 1\n", "httpd_ready 1\n");
            assertThat(httpd.terminate(Duration.ofSeconds(30))).isZero();
        }
    }

    @Test
    void tlsHandshakesAndFailuresAreCounted() throws Exception {
        Authority ca = TestCertificates.createAuthority("admin test CA");
        Path dir = Project.freshDirectory("admin-tls");
        Path certificates = Files.createDirectories(dir.resolve("certs"));
        Path caFile = dir.resolve("ca.pem");
        ca.writeCertificate(caFile);
        Path pem = certificates.resolve("__default__.pem");
        TestCertificates.writeBundle(pem, ca.issue(KeyType.EC, "localhost"), KeyForm.PKCS8);
        Files.setPosixFilePermissions(pem, PosixFilePermissions.fromString("rw-------"));
        try (Server httpd = Server.start(Project.exampleVhosts(), "epoll", "--admin", "127.0.0.1:0",
                "--listen-tls", "127.0.0.1:0", "--tls-certs", certificates.toString())) {
            Matcher matcher = ADMIN.matcher(httpd.awaitLog(line -> ADMIN.matcher(line).find(), Duration.ofSeconds(10)));
            assertThat(matcher.find()).isTrue();
            int admin = Integer.parseInt(matcher.group(1));
            Project.Result curl = Project.run(List.of("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                    "--max-time", "20", "--cacert", caFile.toString(), "https://localhost:" + httpd.tlsPort + "/"), 30);
            assertThat(curl.output()).isEqualTo("200");
            // Not a TLS record: the engine's alert, and the connection ends before any handshake completed.
            exchange(httpd.tlsPort, "\u0016\u0003\u0001\u0000\u0005hello");
            awaitMetric(admin, "httpd_tls_handshakes_total", 1);
            String metrics = awaitMetric(admin, "httpd_tls_handshake_failures_total", 1);
            assertThat(metrics).contains("httpd_requests_total{vhost=\"__default__\",status=\"2xx\",encoding=\"identity\"} 1\n");
            assertThat(httpd.terminate(Duration.ofSeconds(30))).isZero();
        }
    }

    /** Sends {@code request} on a new connection and returns all the server sends until it closes. */
    private static String exchange(int port, String request) throws Exception {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    /** Waits until an admin scrape shows {@code metric} with {@code value}; returns that scrape. */
    private static String awaitMetric(int admin, String metric, long value) throws Exception {
        return awaitMetric(admin, metric, n -> n == value);
    }

    /** Waits until an admin scrape shows {@code metric} with a value {@code expected} accepts; returns that scrape. */
    private static String awaitMetric(int admin, String metric, java.util.function.LongPredicate expected) throws Exception {
        Pattern sample = Pattern.compile("\n" + Pattern.quote(metric) + " (\\d+)\n");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String text = "";
        while (System.nanoTime() < deadline) {
            try {
                text = exchange(admin, "GET /metrics HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n");
                Matcher found = sample.matcher(text);
                if (found.find() && expected.test(Long.parseLong(found.group(1)))) {
                    return text;
                }
            } catch (java.io.IOException e) {
                // refused while the connection limit is reached: try again
                text = e.toString();
            }
            Thread.sleep(50);
        }
        throw new AssertionError(metric + " not as expected in /metrics within 30 s: " + text);
    }

    /** A connection that has had one HEAD answered and stays open. */
    private static Socket keptAlive(int port) throws Exception {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(20_000);
        socket.getOutputStream().write("HEAD / HTTP/1.1\r\nHost: blog.example.org\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        while (head.indexOf("\r\n\r\n") < 0) {
            int c = in.read();
            assertThat(c).as("answer to HEAD so far: %s", head).isNotNegative();
            head.append((char) c);
        }
        assertThat(head.toString()).startsWith("HTTP/1.1 200 OK\r\n");
        return socket;
    }
}
