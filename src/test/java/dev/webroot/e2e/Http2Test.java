package dev.webroot.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.httpd.tls.TestCertificates;
import dev.webroot.httpd.tls.TestCertificates.Authority;
import dev.webroot.httpd.tls.TestCertificates.KeyForm;
import dev.webroot.httpd.tls.TestCertificates.KeyType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * HTTP/2 end to end on every I/O model: the frame-level conformance suite (src/test/h2/conformance.py,
 * RFC 9113 and RFC 7541, with the server's flood defences) over cleartext prior knowledge and over TLS
 * with ALPN h2, then real clients: curl, nghttp, headless Chromium, and an HTTP/1.1-only client that
 * must still get HTTP/1.1.
 */
class Http2Test {
    static final List<String> MODELS = Project.MODELS;
    /** Short, so that the suite's zero-window case sees the connection closed within seconds. */
    private static final int SEND_TIMEOUT_SECONDS = 3;
    private static final String SITE = "vhosts-example/sites/www.example.com";
    private static final ServersByModel SERVERS = new ServersByModel(true, model -> Server.start(Project.exampleVhosts(),
            model, "--listen-tls", "127.0.0.1:0", "--tls-certs", Http2Test.certificates.toString(),
            "--send-timeout", SEND_TIMEOUT_SECONDS + "s"));
    private static Path certificates;
    private static Path caFile;
    private static TestCertificates.Issued www;

    @BeforeAll
    static void certificates() throws Exception {
        Authority ca = TestCertificates.createAuthority("httpd h2 test CA");
        Path dir = Project.freshDirectory("http2");
        certificates = Files.createDirectories(dir.resolve("certs"));
        caFile = dir.resolve("ca.pem");
        ca.writeCertificate(caFile);
        www = ca.issue(KeyType.EC, "www.example.com", "localhost");
        Path bundle = certificates.resolve("www.pem");
        TestCertificates.writeBundle(bundle, www, KeyForm.PKCS8);
        Files.setPosixFilePermissions(bundle, PosixFilePermissions.fromString("rw-------"));
    }

    /** One server per model with a cleartext and a TLS listener. */
    private static Server server(String model) throws Exception {
        return SERVERS.get(model);
    }

    @AfterAll
    static void stopServers() throws Exception {
        SERVERS.stopAll();
    }

    private static byte[] indexHtml() throws Exception {
        return Files.readAllBytes(Project.root().resolve(SITE + "/index.html"));
    }

    /** Runs the conformance suite, bounded by timeout(1) on top of the suite's own per-case limits. */
    private static Project.Result conformance(int port, String... transport) throws Exception {
        List<String> command = new ArrayList<>(List.of("timeout", "-k", "5", "600", "/usr/bin/python3",
                Project.root().resolve("src/test/h2/conformance.py").toString(), "--port", String.valueOf(port),
                "--authority", "www.example.com", "--path", "/", "--expect-body",
                Project.root().resolve(SITE + "/index.html").toString(), "--expect-br",
                "--expect-max-concurrent-streams", "128", "--defences",
                "--send-timeout-seconds", String.valueOf(SEND_TIMEOUT_SECONDS)));
        command.addAll(List.of(transport));
        return Project.run(command, 620);
    }

    private static void assertConformant(Project.Result result) {
        assertThat(result.exitCode()).as("conformance suite output:\n%s", result.output()).isZero();
        assertThat(result.output()).as("the suite ran its cases")
                .contains("PASS 3.4 server-preface-is-settings", "PASS 8.1 get-served-with-exact-body",
                        "PASS defence rapid-reset")
                .doesNotContain("FAIL ");
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void conformanceSuiteOverCleartextPriorKnowledge(String model) throws Exception {
        assertConformant(conformance(server(model).port));
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void conformanceSuiteOverTlsWithAlpnH2(String model) throws Exception {
        Server server = server(model);
        Project.Result result = conformance(server.tlsPort, "--tls", "--ca", caFile.toString(), "--sni", "www.example.com");
        assertConformant(result);
        assertThat(result.output()).contains("PASS 9.2 tls-version-and-compression");
    }

    private static Project.Result curl(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--max-time", "20"));
        command.addAll(List.of(arguments));
        return Project.run(command, 30);
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void curlGetsTheSiteOverHttp2OnBothListeners(String model) throws Exception {
        Server server = server(model);
        Path dir = Project.work("http2");
        Path tlsBody = dir.resolve("curl-tls-" + model + ".html");
        Project.Result tls = curl("--http2", "--cacert", caFile.toString(), "--resolve",
                "www.example.com:" + server.tlsPort + ":127.0.0.1", "-D", "-", "-o", tlsBody.toString(),
                "https://www.example.com:" + server.tlsPort + "/");
        assertThat(tls.exitCode()).as(tls.output()).isZero();
        assertThat(tls.output()).startsWith("HTTP/2 200");
        assertThat(Files.readAllBytes(tlsBody)).isEqualTo(indexHtml());

        Path clearBody = dir.resolve("curl-h2c-" + model + ".html");
        Project.Result clear = curl("--http2-prior-knowledge", "--resolve",
                "www.example.com:" + server.port + ":127.0.0.1", "-D", "-", "-o", clearBody.toString(),
                "http://www.example.com:" + server.port + "/");
        assertThat(clear.exitCode()).as(clear.output()).isZero();
        assertThat(clear.output()).startsWith("HTTP/2 200");
        assertThat(Files.readAllBytes(clearBody)).isEqualTo(indexHtml());
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void nghttpExchangesSettingsAndIsServed(String model) throws Exception {
        Server server = server(model);
        // nghttp has no option to trust a CA: -y lets it go on after its (printed) verification failure.
        Project.Result result = Project.run(List.of("nghttp", "-nvy", "-t", "20",
                "https://localhost:" + server.tlsPort + "/"), 30);
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).as(result.output())
                .contains("The negotiated protocol: h2")
                .containsPattern("recv SETTINGS frame <length=\\d+, flags=0x00, stream_id=0>")
                .contains("recv SETTINGS frame <length=0, flags=0x01, stream_id=0>")
                .containsPattern("recv \\(stream_id=\\d+\\) :status: 200");
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void headlessChromiumNegotiatesH2(String model) throws Exception {
        Server server = server(model);
        String spki = Base64.getEncoder().encodeToString(
                MessageDigest.getInstance("SHA-256").digest(www.leaf().getPublicKey().getEncoded()));
        Path profile = Project.freshDirectory("http2-chromium-" + model);
        Project.Result page = Project.run(List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile, "--host-resolver-rules=MAP www.example.com 127.0.0.1",
                "--ignore-certificate-errors-spki-list=" + spki, "--dump-dom",
                "https://www.example.com:" + server.tlsPort + "/"), 90);
        String title = Files.readString(Project.root().resolve(SITE + "/index.html"))
                .replaceAll("(?s).*<title>(.*?)</title>.*", "$1");
        assertThat(page.output()).contains("<title>" + title + "</title>");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<String> lines = List.of();
        while (System.nanoTime() < deadline) {
            lines = Files.readAllLines(server.accessLog());
            if (lines.stream().anyMatch(Http2Test::chromiumOverH2)) {
                break;
            }
            Thread.sleep(100);
        }
        assertThat(lines).as("access log").anyMatch(Http2Test::chromiumOverH2);
    }

    private static boolean chromiumOverH2(String line) {
        return line.contains("\"GET / HTTP/2.0\" 200") && line.contains("Chrome");
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void aClientOfferingOnlyHttp11GetsHttp11(String model) throws Exception {
        Server server = server(model);
        Project.Result curl = curl("--http1.1", "--cacert", caFile.toString(), "--resolve",
                "www.example.com:" + server.tlsPort + ":127.0.0.1", "-o", "/dev/null", "-w",
                "%{http_version} %{http_code}", "https://www.example.com:" + server.tlsPort + "/");
        assertThat(curl.output()).isEqualTo("1.1 200");
        Project.Result openssl = Project.run(List.of("bash", "-c",
                "(sleep 0.5; printf 'GET / HTTP/1.1\\r\\nHost: www.example.com\\r\\nConnection: close\\r\\n\\r\\n') "
                        + "| openssl s_client -ign_eof -connect 127.0.0.1:" + server.tlsPort + " -CAfile " + caFile
                        + " -servername www.example.com -alpn http/1.1"), 30);
        assertThat(openssl.output()).contains("ALPN protocol: http/1.1", "HTTP/1.1 200 OK");
    }
}
