package dev.webroot.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.httpd.tls.TestCertificates;
import dev.webroot.httpd.tls.TestCertificates.Authority;
import dev.webroot.httpd.tls.TestCertificates.KeyForm;
import dev.webroot.httpd.tls.TestCertificates.KeyType;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * HTTPS end to end with real clients (curl, openssl s_client, Python's ssl module, a JSSE client)
 * against the real httpd on every I/O model, with certificates from a test CA made here. The
 * checks that concern the TLS engine are static, so {@link OpenSslHttpsTest} runs them against the
 * OpenSSL engine too.
 */
class HttpsTest {
    static final List<String> MODELS = Project.MODELS;
    private static final ServersByModel SERVERS = new ServersByModel(true, model -> Server.start(Project.exampleVhosts(),
            model, "--listen-tls", "127.0.0.1:0", "--tls-certs", HttpsTest.certificates.toString(), "--hsts", "31536000"));
    static Authority ca;
    static Path certificates;
    static Path caFile;
    private static TestCertificates.Issued www;

    @BeforeAll
    static void certificates() throws Exception {
        ca = TestCertificates.createAuthority("httpd test CA");
        Path dir = Project.freshDirectory("https");
        certificates = Files.createDirectories(dir.resolve("certs"));
        caFile = dir.resolve("ca.pem");
        ca.writeCertificate(caFile);
        www = ca.issue(KeyType.EC, "www.example.com", "localhost");
        TestCertificates.writeBundle(certificates.resolve("www.pem"), www, KeyForm.TRADITIONAL);
        TestCertificates.writeBundle(certificates.resolve("blog.pem"), ca.issue(KeyType.RSA, "blog.example.org"),
                KeyForm.PKCS8);
        for (Path pem : List.of(certificates.resolve("www.pem"), certificates.resolve("blog.pem"))) {
            Files.setPosixFilePermissions(pem, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        }
    }

    private static Server server(String model) throws Exception {
        return SERVERS.get(model);
    }

    @AfterAll
    static void stopServers() throws Exception {
        SERVERS.stopAll();
    }

    static Project.Result curl(int port, String host, String... extra) throws Exception {
        // HTTP/1.1 as these tests' answers are spelled; Http2Test has curl over h2.
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--http1.1", "--max-time", "20", "--cacert", caFile.toString(),
                "--resolve", host + ":" + port + ":127.0.0.1"));
        command.addAll(List.of(extra));
        return Project.run(command, 30);
    }

    static Project.Result openssl(int port, String input, String... options) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", "-c",
                "(sleep 0.5; printf '" + input + "') | openssl s_client " + (input.isEmpty() ? "" : "-ign_eof ")
                        + "-connect 127.0.0.1:" + port + " -CAfile "
                        + caFile + " " + String.join(" ", options)));
        return Project.run(command, 30);
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void curlGetsTheSiteOverHttp11WithHstsAndBrotli(String model) throws Exception {
        curlGetsTheSite(server(model));
    }

    static void curlGetsTheSite(Server server) throws Exception {
        byte[] expected = Files.readAllBytes(Project.root().resolve("vhosts-example/sites/www.example.com/index.html"));
        Project.Result result = curl(server.tlsPort, "www.example.com", "-D", "-", "-o", "/dev/null", "-w",
                "%{http_version} %{size_download}\n", "https://www.example.com:" + server.tlsPort + "/");
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).startsWith("HTTP/1.1 200 OK\r\n")
                .contains("Strict-Transport-Security: max-age=31536000\r\n")
                .endsWith("1.1 " + expected.length + "\n");
        Project.Result br = curl(server.tlsPort, "www.example.com", "-D", "-", "-o", "/dev/null",
                "-H", "Accept-Encoding: br", "https://www.example.com:" + server.tlsPort + "/");
        assertThat(br.output()).contains("Content-Encoding: br\r\n");
        Project.Result blog = curl(server.tlsPort, "blog.example.org", "-o", "/dev/null", "-w", "%{http_code}",
                "https://blog.example.org:" + server.tlsPort + "/");
        assertThat(blog.output()).isEqualTo("200");
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void opensslNegotiatesAlpnAndPicksTheCertificateBySni(String model) throws Exception {
        alpnAndSni(server(model));
    }

    static void alpnAndSni(Server server) throws Exception {
        Project.Result www = openssl(server.tlsPort, "GET / HTTP/1.1\\r\\nHost: www.example.com\\r\\nConnection: close\\r\\n\\r\\n",
                "-servername", "www.example.com", "-alpn", "http/1.1,spdy/3");
        assertThat(www.output()).contains("ALPN protocol: http/1.1", "Verify return code: 0 (ok)",
                "subject=CN = www.example.com", "HTTP/1.1 200 OK");
        // The server's preference decides: h2 when the client offers it, whatever its order.
        Project.Result h2 = openssl(server.tlsPort, "", "-servername", "www.example.com", "-alpn", "http/1.1,h2");
        assertThat(h2.output()).contains("ALPN protocol: h2");
        Project.Result blog = openssl(server.tlsPort, "", "-servername", "blog.example.org", "-tls1_2");
        assertThat(blog.output()).contains("subject=CN = blog.example.org", "Verify return code: 0 (ok)",
                "Protocol  : TLSv1.2", "Cipher    : ECDHE-RSA-AES128-GCM-SHA256");
    }

    @Test
    void aNameWithoutCertificateAndNoDefaultIsRefusedWithUnrecognizedName() throws Exception {
        unrecognizedName(server("epoll"));
    }

    static void unrecognizedName(Server server) throws Exception {
        Project.Result other = openssl(server.tlsPort, "", "-servername", "unknown.example.net");
        assertThat(other.output()).contains("SSL alert number 112");
        Project.Result none = openssl(server.tlsPort, "", "-noservername");
        assertThat(none.output()).contains("SSL alert number 112");
    }

    @Test
    void tls11AndWeakSuitesAreRefused() throws Exception {
        oldVersionsAndWeakSuitesRefused(server("epoll"));
    }

    static void oldVersionsAndWeakSuitesRefused(Server server) throws Exception {
        Project.Result old = openssl(server.tlsPort, "", "-servername", "www.example.com", "-tls1_1", "-cipher",
                "'DEFAULT@SECLEVEL=0'");
        assertThat(old.output()).contains("SSL alert number 70");
        Project.Result cbc = openssl(server.tlsPort, "", "-servername", "www.example.com", "-tls1_2", "-cipher",
                "ECDHE-ECDSA-AES128-SHA256:AES128-GCM-SHA256");
        assertThat(cbc.output()).contains("SSL alert number 40");
    }

    @Test
    void sessionsResumeOverTls13AndTls12() throws Exception {
        sessionsResume(server("epoll"));
    }

    static void sessionsResume(Server server) throws Exception {
        Path sessions = Project.freshDirectory("https-sessions-" + server.tlsPort);
        for (String version : List.of("-tls1_3", "-tls1_2")) {
            Path session = sessions.resolve(version + ".pem");
            String request = "GET / HTTP/1.1\\r\\nHost: www.example.com\\r\\nConnection: close\\r\\n\\r\\n";
            Project.Result first = openssl(server.tlsPort, request, "-servername", "www.example.com", version,
                    "-sess_out", session.toString());
            assertThat(first.output()).contains("New, TLSv1.");
            Project.Result second = openssl(server.tlsPort, request, "-servername", "www.example.com", version,
                    "-sess_in", session.toString());
            assertThat(second.output()).as(version).contains("Reused, TLSv1.").contains("HTTP/1.1 200 OK");
        }
    }

    @Test
    void pythonSslClientVerifiesAndIsServed() throws Exception {
        Server server = server("epoll");
        String script = String.join("\n",
                "import socket, ssl, sys",
                "ctx = ssl.create_default_context(cafile=sys.argv[1])",
                "ctx.set_alpn_protocols(['http/1.1'])",
                "with socket.create_connection(('127.0.0.1', int(sys.argv[2]))) as raw:",
                "    with ctx.wrap_socket(raw, server_hostname='www.example.com') as s:",
                "        s.sendall(b'GET /about.html HTTP/1.1\\r\\nHost: www.example.com\\r\\nConnection: close\\r\\n\\r\\n')",
                "        data = b''",
                "        while True:",
                "            chunk = s.recv(65536)",
                "            if not chunk: break",
                "            data += chunk",
                "        print(s.version(), s.selected_alpn_protocol(), data.split(b'\\r\\n')[0].decode())");
        Project.Result result = Project.run(List.of("python3", "-c", script, caFile.toString(),
                String.valueOf(server.tlsPort)), 30);
        assertThat(result.output().strip()).isEqualTo("TLSv1.3 http/1.1 HTTP/1.1 200 OK");
    }

    @Test
    void headlessChromiumLoadsTheSiteOverHttpsAndIsSentBrotli() throws Exception {
        Server server = server("epoll");
        String spki = java.util.Base64.getEncoder().encodeToString(
                java.security.MessageDigest.getInstance("SHA-256").digest(www.leaf().getPublicKey().getEncoded()));
        Path profile = Project.freshDirectory("https-chromium");
        Project.Result page = Project.run(List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile, "--host-resolver-rules=MAP www.example.com 127.0.0.1",
                "--ignore-certificate-errors-spki-list=" + spki, "--dump-dom",
                "https://www.example.com:" + server.tlsPort + "/"), 90);
        String title = Files.readString(Project.root().resolve("vhosts-example/sites/www.example.com/index.html"))
                .replaceAll("(?s).*<title>(.*?)</title>.*", "$1");
        assertThat(page.output()).contains("<title>" + title + "</title>");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<String> lines = List.of();
        while (System.nanoTime() < deadline) {
            lines = Files.readAllLines(server.accessLog());
            if (lines.stream().anyMatch(l -> l.contains("\"GET / HTTP/2.0\" 200") && l.contains("Chrome"))) {
                break;
            }
            Thread.sleep(100);
        }
        assertThat(lines).anyMatch(l -> l.contains("\"GET / HTTP/2.0\" 200") && l.contains("Chrome")
                && l.contains("\"www.example.com\" br "));
    }

    @Test
    void cleartextHttpOnTheTlsPortGetsA400ThatSaysSo() throws Exception {
        Server server = server("epoll");
        Project.Result result = Project.run(List.of("curl", "-sS", "-i", "--max-time", "10",
                "http://127.0.0.1:" + server.tlsPort + "/"), 20);
        assertThat(result.output()).startsWith("HTTP/1.1 400 Bad Request").contains("use an https:// URL");
    }

    @Test
    void hostileHandshakesGetAnAlertOrACloseAndHarmNobody() throws Exception {
        hostileHandshakesHarmNobody(server("epoll"), true);
    }

    /**
     * @param noiseGetsAlerts whether the engine answers some first records that are not TLS at all
     *     with an alert (JSSE) rather than closing (OpenSSL sends no alert to what is not TLS)
     */
    static void hostileHandshakesHarmNobody(Server server, boolean noiseGetsAlerts) throws Exception {
        Random random = new Random(11);
        List<byte[]> corpus = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            byte[] noise = new byte[1 + random.nextInt(2000)];
            random.nextBytes(noise);
            corpus.add(noise);
        }
        // Records whose header the engine can judge at once: each must get an alert, not a silent close.
        List<byte[]> judged = List.of(
                new byte[] {0x16, 0x03, 0x01, 0x7f, (byte) 0xff, 0x01},
                new byte[] {0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x03});
        corpus.addAll(judged);
        corpus.add(new byte[] {(byte) 0x80, 0x2e, 0x01, 0x00, 0x02, 0x00, 0x15});
        int alerts = 0;
        for (byte[] bytes : corpus) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", server.tlsPort), 5000);
                socket.setSoTimeout(15_000);
                OutputStream out = socket.getOutputStream();
                try {
                    out.write(bytes);
                    out.flush();
                } catch (java.io.IOException e) {
                    // refused early: also fine
                }
                InputStream in = socket.getInputStream();
                ByteArrayOutputStream answer = new ByteArrayOutputStream();
                try {
                    in.transferTo(answer);
                } catch (java.io.IOException e) {
                    // reset after the alert
                }
                byte[] got = answer.toByteArray();
                if (judged.contains(bytes)) {
                    assertThat(got).as("answer to %s", java.util.HexFormat.of().formatHex(bytes)).isNotEmpty();
                }
                if (got.length > 0) {
                    assertThat(got[0]).as("an alert record").isEqualTo((byte) 0x15);
                    alerts++;
                }
            }
        }
        assertThat(alerts).as("alerts among %d hostile first flights", corpus.size())
                .isGreaterThanOrEqualTo(judged.size() + (noiseGetsAlerts ? 1 : 0));
        assertThat(server.errorLog()).noneMatch(line -> line.contains("Exception") || line.contains("\tat "));
        // A client that stops mid-handshake holds nothing up, everybody else is served meanwhile, and it
        // is closed at the handshake timeout (10 s by default).
        try (Socket stalled = new Socket("127.0.0.1", server.tlsPort)) {
            long started = System.nanoTime();
            stalled.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01});
            Project.Result ok = curl(server.tlsPort, "www.example.com", "-o", "/dev/null", "-w", "%{http_code}",
                    "https://www.example.com:" + server.tlsPort + "/");
            assertThat(ok.output()).isEqualTo("200");
            stalled.setSoTimeout(30_000);
            int end;
            try {
                end = stalled.getInputStream().read();
            } catch (java.net.SocketException reset) {
                end = -1;
            }
            assertThat(end).as("the stalled handshake is closed, not answered").isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofSeconds(9), Duration.ofSeconds(25));
        }
    }

    @Test
    void aCertificateReplacedUnderLoadIsPickedUpWithoutAFailedHandshake() throws Exception {
        replacedCertificateIsPickedUp("epoll");
    }

    static void replacedCertificateIsPickedUp(String model, String... engine) throws Exception {
        Path dir = Project.freshDirectory("https-reload-" + model + String.join("", engine));
        Path certs = Files.createDirectories(dir.resolve("certs"));
        TestCertificates.writeBundle(certs.resolve("site.pem"), ca.issue(KeyType.EC, "www.example.com"), KeyForm.PKCS8);
        List<String> options = new ArrayList<>(List.of("--listen-tls", "127.0.0.1:0", "--tls-certs", certs.toString()));
        options.addAll(List.of(engine));
        try (Server server = Server.start(Project.exampleVhosts(), model, options.toArray(String[]::new))) {
            BigInteger before = serialSeen(server.tlsPort);
            AtomicInteger handshakes = new AtomicInteger();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread load = Thread.ofPlatform().start(() -> {
                long end = System.nanoTime() + Duration.ofSeconds(4).toNanos();
                while (System.nanoTime() < end && failure.get() == null) {
                    try {
                        serialSeen(server.tlsPort);
                        handshakes.incrementAndGet();
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                }
            });
            Thread.sleep(500);
            TestCertificates.Issued replacement = ca.issue(KeyType.EC, "www.example.com");
            TestCertificates.writeBundle(certs.resolve("site.pem"), replacement, KeyForm.PKCS8);
            load.join();
            assertThat(failure.get()).isNull();
            assertThat(handshakes.get()).isGreaterThan(10);
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            BigInteger after = serialSeen(server.tlsPort);
            while (!after.equals(replacement.leaf().getSerialNumber()) && System.nanoTime() < deadline) {
                Thread.sleep(50);
                after = serialSeen(server.tlsPort);
            }
            assertThat(after).isNotEqualTo(before).isEqualTo(replacement.leaf().getSerialNumber());
            assertThat(server.terminate(Duration.ofSeconds(15))).isZero();
        }
    }

    /** One handshake and request through JSSE; returns the serial number of the leaf the server sent. */
    static BigInteger serialSeen(int port) throws Exception {
        try (SSLSocket socket = (SSLSocket) ca.clientContext().getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName("www.example.com")));
            parameters.setApplicationProtocols(new String[] {"http/1.1"});
            socket.setSSLParameters(parameters);
            socket.getOutputStream().write("GET /about.html HTTP/1.1\r\nHost: www.example.com\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(answer).startsWith("HTTP/1.1 200 OK\r\n");
            return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
        }
    }

    @Test
    void cleartextRedirectsToHttpsExceptAcmeChallenges() throws Exception {
        try (Server server = Server.start(Project.exampleVhosts(), "epoll", "--listen-tls", "127.0.0.1:0",
                "--tls-certs", certificates.toString(), "--redirect-to-https")) {
            Project.Result redirected = Project.run(List.of("curl", "-sS", "-i", "--max-time", "10",
                    "-H", "Host: www.example.com:" + server.port,
                    "http://127.0.0.1:" + server.port + "/docs/?page=2"), 20);
            assertThat(redirected.output()).startsWith("HTTP/1.1 308 Permanent Redirect\r\n")
                    .contains("Location: https://www.example.com:" + server.tlsPort + "/docs/?page=2\r\n");
            Project.Result followed = curl(server.tlsPort, "www.example.com", "-L", "-o", "/dev/null", "-w",
                    "%{http_code} %{num_redirects}", "http://www.example.com:" + server.port + "/about.html",
                    "--resolve", "www.example.com:" + server.port + ":127.0.0.1");
            assertThat(followed.output()).isEqualTo("200 1");
            Project.Result challenge = Project.run(List.of("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                    "--max-time", "10", "-H", "Host: www.example.com",
                    "http://127.0.0.1:" + server.port + "/.well-known/acme-challenge/token"), 20);
            assertThat(challenge.output()).isEqualTo("404");
            assertThat(server.terminate(Duration.ofSeconds(15))).isZero();
        }
    }
}
