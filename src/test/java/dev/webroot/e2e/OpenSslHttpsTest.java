package dev.webroot.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * HTTPS end to end with {@code --tls-engine openssl}: {@link HttpsTest}'s engine checks (curl,
 * {@code openssl s_client} ALPN and SNI, refusals, resumption, the hostile corpus, a reload) on the
 * epoll model and the blocking sync one, plus what only this engine has.
 */
class OpenSslHttpsTest {
    private static final ServersByModel SERVERS = new ServersByModel(true, model -> Server.start(Project.exampleVhosts(),
            model, "--listen-tls", "127.0.0.1:0", "--tls-certs", HttpsTest.certificates.toString(), "--hsts", "31536000",
            "--tls-engine", "openssl"));

    @BeforeAll
    static void certificates() throws Exception {
        HttpsTest.certificates();
    }

    private static Server server(String model) throws Exception {
        return SERVERS.get(model);
    }

    @AfterAll
    static void stopServers() throws Exception {
        SERVERS.stopAll();
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "sync"})
    void curlAndOpensslClientsAreServed(String model) throws Exception {
        Server server = server(model);
        // Logged just after the listening line.
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (server.errorLog().stream().noneMatch(line -> line.contains("TLS: ")) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(server.errorLog()).anyMatch(line -> line.matches(
                ".*TLS: OpenSSL 3\\.\\S+ \\(libssl\\.so\\.3\\), TLSv1\\.3 TLSv1\\.2, ALPN h2 http/1\\.1$"));
        HttpsTest.curlGetsTheSite(server);
        HttpsTest.alpnAndSni(server);
    }

    @Test
    void curlSpeaksHttp2OverIt() throws Exception {
        Server server = server("epoll");
        Project.Result result = HttpsTest.curl(server.tlsPort, "www.example.com", "--http2", "-o", "/dev/null", "-o", "/dev/null", "-w",
                "%{http_version} %{http_code}", "https://www.example.com:" + server.tlsPort + "/",
                "https://www.example.com:" + server.tlsPort + "/about.html");
        assertThat(result.output()).isEqualTo("2 2002 200");
    }

    @Test
    void unknownNamesOldVersionsWeakSuitesAndRenegotiationAreRefused() throws Exception {
        Server server = server("epoll");
        HttpsTest.unrecognizedName(server);
        HttpsTest.oldVersionsAndWeakSuitesRefused(server);
        // s_client's R command asks for a TLS 1.2 renegotiation (commands are read only without -ign_eof).
        Project.Result renegotiation = Project.run(List.of("bash", "-c", "(sleep 0.5; printf 'R\\n'; sleep 2) | "
                + "openssl s_client -connect 127.0.0.1:" + server.tlsPort + " -CAfile " + HttpsTest.caFile
                + " -servername www.example.com -tls1_2"), 30);
        assertThat(renegotiation.output()).contains("RENEGOTIATING", "no renegotiation");
    }

    @Test
    void sessionsResumeOverTls13AndTls12() throws Exception {
        HttpsTest.sessionsResume(server("epoll"));
    }

    @Test
    void hostileHandshakesGetAnAlertOrACloseAndHarmNobody() throws Exception {
        HttpsTest.hostileHandshakesHarmNobody(server("epoll"), false);
    }

    @Test
    void aCertificateReplacedUnderLoadIsPickedUpWithoutAFailedHandshake() throws Exception {
        HttpsTest.replacedCertificateIsPickedUp("epoll", "--tls-engine", "openssl");
    }

    @Test
    void aLibsslThatCannotBeLoadedIsAStartUpErrorNamingIt() throws Exception {
        Project.Result result = Project.run(withUnloadableLibssl("openssl-missing", "--tls-engine", "openssl"), 30);
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.output()).contains("--tls-engine openssl: cannot load libssl.so.3 (OpenSSL 3)")
                .doesNotContain("listening on");
    }

    /** {@code --tls-engine auto} is OpenSSL where libssl.so.3 loads, and the JDK's, with a line saying why, where it does not. */
    @Test
    void autoIsOpenSslWhereLibsslLoadsAndTheJdksWhereItCannot() throws Exception {
        try (Server server = Server.start(Project.exampleVhosts(), "epoll", "--listen-tls", "127.0.0.1:0",
                "--tls-certs", HttpsTest.certificates.toString(), "--tls-engine", "auto")) {
            server.awaitLog(line -> line.contains("TLS: OpenSSL 3"), Duration.ofSeconds(10));
        }
        try (Server server = Server.launch(withUnloadableLibssl("openssl-missing-auto", "--tls-engine", "auto"), null)) {
            assertThat(server.errorLog()).anyMatch(line -> line.contains(
                    "TLS: OpenSSL is not available (cannot load libssl.so.3 (OpenSSL 3)")
                    && line.contains("using the JDK's SSLEngine"));
            server.awaitLog(line -> line.contains("TLS: JDK SSLEngine"), Duration.ofSeconds(10));
            Project.Result served = HttpsTest.curl(server.tlsPort, "www.example.com", "-o", "/dev/null", "-w",
                    "%{http_code}", "https://www.example.com:" + server.tlsPort + "/");
            assertThat(served.output()).isEqualTo("200");
        }
    }

    /** httpd on the example sites with a TLS listener, where libssl.so.3 and libcrypto.so.3 are files that are not libraries. */
    private static List<String> withUnloadableLibssl(String name, String... options) throws Exception {
        Path fake = Project.freshDirectory(name);
        for (String library : List.of("libssl.so.3", "libcrypto.so.3")) {
            Files.writeString(fake.resolve(library), "not a shared object\n");
        }
        List<String> command = new ArrayList<>(List.of("env", "LD_LIBRARY_PATH=" + fake, Project.java().toString(),
                "-jar", Project.httpdJar().toString(), Project.exampleVhosts().toString(), "--listen-tls",
                "127.0.0.1:0", "--tls-certs", HttpsTest.certificates.toString()));
        command.addAll(List.of(options));
        return command;
    }
}
