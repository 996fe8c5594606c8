package dev.webroot.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Operations against real peers: a Prometheus server scraping the admin listener, and systemd's
 * {@code systemd-socket-activate} handing httpd its listening socket while a datagram socket of the
 * test's own receives the sd_notify messages. Both programs come from Debian packages that
 * {@code scripts/install-test-deps} installs.
 */
class OperationsTest {
    static {
        // The tests name the Host themselves; the JDK's client refuses to set it otherwise.
        System.setProperty("jdk.httpclient.allowRestrictedHeaders", "host");
    }

    private static final Pattern ADMIN = Pattern.compile("admin endpoints on http://127\\.0\\.0\\.1:(\\d+)");
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @Test
    void prometheusScrapesTheAdminListenerAndSeesTheRequestsSent() throws Exception {
        Path prometheus = requireProgram("/usr/bin/prometheus");
        try (Server httpd = Server.start(Project.exampleVhosts(), "epoll", "--admin", "127.0.0.1:0")) {
            int adminPort = adminPort(httpd);
            // The admin listener needs no site: it answers whatever the Host.
            assertThat(get(adminPort, "/healthz", "nowhere.invalid").statusCode()).isEqualTo(200);
            assertThat(get(adminPort, "/readyz", "nowhere.invalid").body()).isEqualTo("ready\n");
            assertThat(get(adminPort, "/index.html", "www.example.com").statusCode()).isEqualTo(404);
            HttpResponse<String> vhosts = get(adminPort, "/vhosts", "localhost");
            assertThat(vhosts.headers().firstValue("content-type")).hasValue("application/json");
            assertThat(vhosts.body()).contains("\"name\": \"blog.example.org\"", "\"entries\": ", "\"serving\": true")
                    .containsPattern("\"index_sha256\": \"[0-9a-f]{64}\"");

            for (int i = 0; i < 7; i++) {
                assertThat(get(httpd.port, "/", "blog.example.org").statusCode()).isEqualTo(200);
            }
            for (int i = 0; i < 3; i++) {
                assertThat(get(httpd.port, "/no-such-page", "www.example.com").statusCode()).isEqualTo(404);
            }

            Path dir = Project.freshDirectory("prometheus");
            int prometheusPort = freePort();
            Path config = dir.resolve("prometheus.yml");
            Files.writeString(config, """
                    global:
                      scrape_interval: 1s
                    scrape_configs:
                      - job_name: httpd
                        scrape_interval: 1s
                        static_configs:
                          - targets: ['127.0.0.1:%d']
                    """.formatted(adminPort));
            Process server = new ProcessBuilder(prometheus.toString(), "--config.file=" + config,
                    "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + prometheusPort)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            try {
                awaitValue(prometheusPort, "up{job=\"httpd\"}", v -> v == 1);
                awaitValue(prometheusPort, "httpd_requests_total{vhost=\"blog.example.org\",status=\"2xx\"}", v -> v == 7);
                awaitValue(prometheusPort, "sum(httpd_requests_total{vhost=\"www.example.com\",status=\"4xx\"})", v -> v == 3);
                awaitValue(prometheusPort, "httpd_request_duration_seconds_count", v -> v == 10);
                awaitValue(prometheusPort, "httpd_request_duration_seconds_bucket{le=\"+Inf\"}", v -> v == 10);
                awaitValue(prometheusPort, "httpd_response_body_bytes_total{vhost=\"blog.example.org\"}", v -> v > 0);
                // At least the test's connections to each listener and Prometheus's own (all keep-alive).
                awaitValue(prometheusPort, "httpd_connections_accepted_total", v -> v >= 3);
                awaitValue(prometheusPort, "httpd_vhost_serving{vhost=\"www.example.com\"}", v -> v == 1);
                awaitValue(prometheusPort, "httpd_generations_mapped", v -> v >= 2);
                awaitValue(prometheusPort, "httpd_ready", v -> v == 1);
            } finally {
                server.destroy();
                if (!server.waitFor(20, TimeUnit.SECONDS)) {
                    server.destroyForcibly();
                }
            }
            assertThat(httpd.terminate(Duration.ofSeconds(30))).isZero();
        }
    }

    @Test
    void systemdSocketActivationHandsTheListenerOverAndNotifyHearsReadyAndStopping() throws Exception {
        Path activate = requireProgram("/usr/bin/systemd-socket-activate");
        Path dir = Project.freshDirectory("notify");
        Path socket = dir.resolve("notify.sock");
        Process listener = new ProcessBuilder("python3", "-u", "-c", """
                import socket, sys
                s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                s.bind(sys.argv[1])
                print("bound", flush=True)
                while True:
                    data = s.recv(4096).decode()
                    print(data.replace("\\n", " "), flush=True)
                """, socket.toString()).redirectErrorStream(true).start();
        List<String> heard = new CopyOnWriteArrayList<>();
        Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(listener.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                    heard.add(line);
                }
            } catch (java.io.IOException ignored) {
                // the listener ended
            }
        });
        try {
            await(heard, line -> line.equals("bound"));
            int port = freePort();
            int adminPort = freePort();
            List<String> command = new ArrayList<>(List.of(activate.toString(),
                    "-l", "127.0.0.1:" + port, "--fdname=http", "-l", "127.0.0.1:" + adminPort, "--fdname=admin",
                    "-E", "NOTIFY_SOCKET=" + socket, "-E", "WATCHDOG_USEC=1000000", "-E", "JAVA_HOME=" + System.getProperty("java.home"),
                    Project.java().toString(), "-XX:+UseSerialGC", "-jar", Project.httpdJar().toString(),
                    Project.exampleVhosts().toString(), "--io", "epoll", "--access-log", "off"));
            // systemd-socket-activate starts its program at the first connection, as systemd does.
            CompletableFuture<Server> launched = CompletableFuture.supplyAsync(() -> {
                try {
                    return Server.launch(command, null);
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            });
            int first = getOnceListening(port, "/", "blog.example.org");
            try (Server httpd = launched.get(60, TimeUnit.SECONDS)) {
                assertThat(first).isEqualTo(200);
                assertThat(httpd.port).isEqualTo(port);
                assertThat(httpd.errorLog()).anyMatch(line -> line.contains("sockets from systemd"));
                await(heard, line -> line.startsWith("READY=1"));
                // Half the watchdog interval: a ping every 500 ms while the loops run.
                await(heard, line -> line.equals("WATCHDOG=1"));
                Process hup = new ProcessBuilder("kill", "-HUP", Long.toString(httpd.process.pid())).start();
                assertThat(hup.waitFor()).isZero();
                await(heard, line -> line.startsWith("RELOADING=1 MONOTONIC_USEC="));
                await(heard, line -> line.equals("READY=1"));
                assertThat(get(adminPort, "/readyz", "localhost").statusCode()).isEqualTo(200);
                assertThat(get(adminPort, "/metrics", "localhost").body())
                        .contains("httpd_requests_total{vhost=\"blog.example.org\",status=\"2xx\",encoding=\"identity\"} 1");
                assertThat(httpd.terminate(Duration.ofSeconds(30))).isZero();
                await(heard, line -> line.equals("STOPPING=1"));
            }
        } finally {
            listener.destroy();
        }
    }

    @Test
    void aModelThatCannotAdoptAnInheritedSocketSaysSo() throws Exception {
        Path activate = requireProgram("/usr/bin/systemd-socket-activate");
        int port = freePort();
        List<String> command = List.of(activate.toString(), "-l", "127.0.0.1:" + port, "--fdname=http",
                Project.java().toString(), "-jar", Project.httpdJar().toString(), Project.exampleVhosts().toString(),
                "--io", "sendfile");
        CompletableFuture<Project.Result> run = CompletableFuture.supplyAsync(() -> {
            try {
                return Project.run(command, 60);
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        });
        Project.Result result;
        try (java.net.Socket trigger = connectOnceListening(port)) {
            result = run.get(90, TimeUnit.SECONDS);
        }
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.output()).contains("sendfile I/O model cannot take over an inherited socket", "--io epoll");
    }

    /** Connects as soon as something listens on {@code port} (within 30 s), which starts an activated program. */
    private static java.net.Socket connectOnceListening(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                return new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port);
            } catch (java.net.ConnectException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    /** The status of a GET sent once something listens on {@code port}, answered within 60 s. */
    private int getOnceListening(int port, String path, String host) throws Exception {
        try (java.net.Socket socket = connectOnceListening(port)) {
            socket.setSoTimeout(60_000);
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String statusLine = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
            assertThat(statusLine).isNotNull();
            return Integer.parseInt(statusLine.split(" ")[1]);
        }
    }

    private static Path requireProgram(String path) {
        Path program = Path.of(path);
        assertThat(Files.isExecutable(program)).as("%s is missing: run scripts/install-test-deps", path).isTrue();
        return program;
    }

    private HttpResponse<String> get(int port, String path, String host) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Host", host).timeout(Duration.ofSeconds(20)).build();
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static int adminPort(Server httpd) throws InterruptedException {
        Matcher matcher = ADMIN.matcher(httpd.awaitLog(line -> ADMIN.matcher(line).find(), Duration.ofSeconds(10)));
        assertThat(matcher.find()).isTrue();
        return Integer.parseInt(matcher.group(1));
    }

    /** Polls an instant query until its single value satisfies {@code expected}, for at most a minute. */
    private void awaitValue(int prometheusPort, String query, java.util.function.DoublePredicate expected) throws Exception {
        Pattern value = Pattern.compile("\"value\":\\[[0-9.]+,\"([^\"]+)\"\\]");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + prometheusPort + "/api/v1/query?query=" + java.net.URLEncoder.encode(query, StandardCharsets.UTF_8)))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                last = response.body();
                Matcher m = value.matcher(last);
                if (response.statusCode() == 200 && m.find()) {
                    double found = Double.parseDouble(m.group(1));
                    if (!m.find() && expected.test(found)) {
                        return;
                    }
                }
            } catch (java.io.IOException e) {
                last = e.toString();
            }
            Thread.sleep(250);
        }
        throw new AssertionError("Prometheus query " + query + " did not give the expected value within 60 s; last answer: " + last);
    }

    private static void await(List<String> lines, Predicate<String> matching) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (lines.stream().anyMatch(matching)) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("not received within 30 s; received: " + lines);
    }

    private static int freePort() throws java.io.IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }
}
