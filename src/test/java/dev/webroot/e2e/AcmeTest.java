package dev.webroot.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.httpd.tls.TestCertificates;
import dev.webroot.httpd.tls.TestCertificates.KeyForm;
import dev.webroot.httpd.tls.TestCertificates.KeyType;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Automatic HTTPS against a real ACME CA: Debian's Pebble on loopback, validating by connecting to
 * the httpd under test (its DNS answers every name with 127.0.0.1), issuing certificates that live
 * 30 seconds, so renewal (after two thirds) happens within the test.
 */
class AcmeTest {
    private static final long VALIDITY_SECONDS = 30;
    private static Path dir;
    private static Path vhosts;
    private static Path webroot;
    private static int httpPort;
    private static int tlsPort;
    private static Pebble pebble;

    @BeforeAll
    static void startPebble() throws Exception {
        dir = Project.freshDirectory("acme");
        Path site = Files.createDirectories(dir.resolve("site"));
        Files.writeString(site.resolve("index.html"), "<h1>acme</h1>\n");
        webroot = dir.resolve("site.webroot");
        Project.mkroot(site, webroot);
        vhosts = Files.createDirectories(dir.resolve("vhosts"));
        Files.copy(webroot, vhosts.resolve("www.acme.test"));
        httpPort = Pebble.freePort();
        tlsPort = Pebble.freePort();
        pebble = Pebble.start(dir, httpPort, tlsPort, VALIDITY_SECONDS);
    }

    @AfterAll
    static void stopPebble() throws Exception {
        if (pebble != null) {
            pebble.close();
        }
    }

    private static List<String> acmeOptions(Path certificates) {
        return List.of("--tls-certs", certificates.toString(), "--acme", pebble.directoryUrl, "--acme-agree-tos",
                "--acme-email", "admin@acme.test", "--acme-trust", pebble.trustAnchor.toString());
    }

    private static Server withCleartext(Path certificates, String... more) throws Exception {
        List<String> options = new ArrayList<>(List.of("--listen", "127.0.0.1:" + httpPort, "--listen-tls",
                "127.0.0.1:" + tlsPort));
        options.addAll(acmeOptions(certificates));
        options.addAll(List.of(more));
        return Server.start(vhosts, "epoll", options.toArray(String[]::new));
    }

    private static String issued(String name) {
        return "acme " + name + ": certificate issued";
    }

    @Test
    void httpOneIssuesThenRenewsAndAVhostAddedLaterGetsItsOwn() throws Exception {
        Path certificates = Files.createDirectories(dir.resolve("certs-http"));
        try (Server server = withCleartext(certificates, "--redirect-to-https")) {
            server.awaitLog(line -> line.contains(issued("www.acme.test")), Duration.ofSeconds(90));
            Path pem = certificates.resolve("www.acme.test.pem");
            assertThat(Files.getPosixFilePermissions(pem)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
            assertThat(Files.getPosixFilePermissions(certificates.resolve(".acme/account.key")))
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));
            // The CA fetched the key authorization from the cleartext listener, despite the redirect.
            assertThat(Files.readString(server.accessLog()))
                    .containsPattern("\"GET /\\.well-known/acme-challenge/\\S+ HTTP/1.1\" 200 ");
            X509Certificate first = awaitServed(server, "www.acme.test", null);
            assertThat(first.getIssuerX500Principal().getName()).contains("Pebble");
            assertThat(Duration.between(first.getNotBefore().toInstant(), first.getNotAfter().toInstant()))
                    .isLessThanOrEqualTo(Duration.ofSeconds(VALIDITY_SECONDS + 1));

            // Two thirds of 30 s later, the manager orders a replacement, and handshakes get it.
            X509Certificate renewed = awaitServed(server, "www.acme.test", first.getSerialNumber());
            assertThat(renewed.getNotAfter()).isAfter(first.getNotAfter());

            Files.copy(webroot, vhosts.resolve(".tmp-new"));
            Files.move(vhosts.resolve(".tmp-new"), vhosts.resolve("new.acme.test"));
            server.awaitLog(line -> line.contains(issued("new.acme.test")), Duration.ofSeconds(90));
            assertThat(awaitServed(server, "new.acme.test", null).getSubjectAlternativeNames().toString())
                    .contains("new.acme.test");
            assertThat(server.terminate(Duration.ofSeconds(15))).isZero();
            assertThat(server.errorLog()).noneMatch(line -> line.contains("Exception") || line.contains("\tat "));
        } finally {
            Files.deleteIfExists(vhosts.resolve("new.acme.test"));
        }
    }

    @Test
    void tlsAlpnOneIssuesOnATlsOnlyServerAndARestartReusesTheCertificate() throws Exception {
        Path certificates = Files.createDirectories(dir.resolve("certs-alpn"));
        List<String> command = new ArrayList<>(List.of(Project.java().toString(), "-XX:+UseSerialGC", "-jar",
                Project.httpdJar().toString(), vhosts.toString(), "--listen-tls", "127.0.0.1:" + tlsPort));
        command.addAll(acmeOptions(certificates));
        X509Certificate issued;
        try (Server server = Server.launch(command, null)) {
            assertThat(server.port).isEqualTo(-1);
            server.awaitLog(line -> line.contains(issued("www.acme.test")), Duration.ofSeconds(90));
            issued = awaitServed(server, "www.acme.test", null);
            assertThat(server.terminate(Duration.ofSeconds(15))).isZero();
        }
        long orders = pebble.orders();
        try (Server restarted = Server.launch(command, null)) {
            // The stored certificate serves at once, and no new order is placed for it.
            assertThat(served(restarted, "www.acme.test").getSerialNumber()).isEqualTo(issued.getSerialNumber());
            Thread.sleep(3000);
            assertThat(pebble.orders()).isEqualTo(orders);
            assertThat(restarted.errorLog()).noneMatch(line -> line.contains(issued("www.acme.test")));
            assertThat(restarted.terminate(Duration.ofSeconds(15))).isZero();
        }
    }

    @Test
    void anUnreachableCaIsRetriedWithBackoffWhileEverythingServes() throws Exception {
        Path certificates = Files.createDirectories(dir.resolve("certs-down"));
        // A stored certificate past two thirds of its lifetime: due for renewal, still valid, so it must keep serving.
        TestCertificates.Issued old = TestCertificates.createAuthority("earlier CA").issue(KeyType.EC,
                Instant.now().minus(Duration.ofDays(10)), Instant.now().plus(Duration.ofDays(1)), "www.acme.test");
        TestCertificates.writeBundle(certificates.resolve("www.acme.test.pem"), old, KeyForm.PKCS8);
        int deadPort = Pebble.freePort();
        try (Server server = Server.start(vhosts, "epoll", "--listen-tls", "127.0.0.1:0", "--tls-certs",
                certificates.toString(), "--acme", "https://localhost:" + deadPort + "/dir", "--acme-agree-tos",
                "--acme-trust", pebble.trustAnchor.toString())) {
            String failure = server.awaitLog(line -> line.contains("acme www.acme.test: attempt 1 failed"),
                    Duration.ofSeconds(60));
            assertThat(failure).endsWith("retrying in 60s");
            try (Socket socket = new Socket("127.0.0.1", server.port)) {
                socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: www.acme.test\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertThat(response).startsWith("HTTP/1.1 200 ").contains("<h1>acme</h1>");
            }
            assertThat(served(server, "www.acme.test")).isEqualTo(old.leaf());
            Thread.sleep(2000);
            assertThat(server.errorLog()).filteredOn(line -> line.contains("attempt")).hasSize(1);
            assertThat(server.terminate(Duration.ofSeconds(15))).isZero();
        }
    }

    @Test
    void aNameLockedByAnotherProcessIsLeftToIt() throws Exception {
        Path certificates = Files.createDirectories(dir.resolve("certs-locked"));
        Path lockFile = Files.createDirectories(certificates.resolve(".acme")).resolve("www.acme.test.lock");
        long orders = pebble.orders();
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = channel.tryLock();
                Server server = withCleartext(certificates)) {
            assertThat(lock).isNotNull();
            String failure = server.awaitLog(line -> line.contains("acme www.acme.test: attempt 1 failed"),
                    Duration.ofSeconds(60));
            assertThat(failure).contains("another process holds " + lockFile).endsWith("retrying in 60s");
            assertThat(pebble.orders()).isEqualTo(orders);
            assertThat(Files.exists(certificates.resolve("www.acme.test.pem"))).isFalse();
            assertThat(server.terminate(Duration.ofSeconds(15))).isZero();
        }
    }

    /** Polls handshakes for {@code name} until one gets a leaf with another serial than {@code previous}. */
    private static X509Certificate awaitServed(Server server, String name, BigInteger previous) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                X509Certificate leaf = served(server, name);
                if (previous == null || !leaf.getSerialNumber().equals(previous)) {
                    return leaf;
                }
            } catch (Exception e) {
                last = e;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no new certificate for " + name + " within 90 s; log: " + server.errorLog(), last);
    }

    /** The leaf a handshake for {@code name} gets, after a request for / over it answered 200. */
    private static X509Certificate served(Server server, String name) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new TrustingAnything()}, null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", server.tlsPort)) {
            socket.setSoTimeout(10_000);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(name)));
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            OutputStream out = socket.getOutputStream();
            out.write(("GET / HTTP/1.1\r\nHost: " + name + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 200 ");
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }

    /** The test checks the issuer itself: Pebble's roots are made afresh at each start. */
    private static final class TrustingAnything implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
