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
import java.security.cert.CertificateFactory;
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
 * 30 seconds, so renewal (after two thirds) happens within the test. The test that kills its CA
 * runs a Pebble of its own. Pebble 2.4.0 offers no renewal information (RFC 9773), so renewal here
 * is always at two thirds; RenewalPolicyTest covers the renewal-information decisions.
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
    void httpOneIssuesThenRenewsAndAVhostAddedLaterGetsItsOwnUntilItIsRemoved() throws Exception {
        Path certificates = Files.createDirectories(dir.resolve("certs-http"));
        try (Server server = withCleartext(certificates, "--redirect-to-https")) {
            server.awaitLog(line -> line.contains(issued("www.acme.test")), Duration.ofSeconds(90));
            Path pem = certificates.resolve("www.acme.test.pem");
            assertThat(Files.getPosixFilePermissions(pem)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
            assertThat(Files.getPosixFilePermissions(certificates.resolve(".acme/account.key")))
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));
            assertThat(Files.getPosixFilePermissions(certificates.resolve(".acme")))
                    .isEqualTo(PosixFilePermissions.fromString("rwx------"));
            // Written as dot-files renamed into place: none is left behind.
            try (var files = Files.list(certificates)) {
                assertThat(files.map(file -> file.getFileName().toString())).containsExactlyInAnyOrder(
                        ".acme", "www.acme.test.pem");
            }
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
            X509Certificate added = awaitServed(server, "new.acme.test", null);
            assertThat(added.getSubjectAlternativeNames().toString()).contains("new.acme.test");

            // Removed while running: past its renewal time, no order for it, while www.acme.test still renews.
            Files.delete(vhosts.resolve("new.acme.test"));
            int removedAt = server.errorLog().size();
            Instant due = twoThirds(added);
            X509Certificate current = served(server, "www.acme.test");
            awaitServed(server, "www.acme.test", current.getSerialNumber());
            Thread.sleep(Math.max(0, Duration.between(Instant.now(), due.plusSeconds(3)).toMillis()));
            assertThat(server.errorLog().subList(removedAt, server.errorLog().size()))
                    .noneMatch(line -> line.contains("acme new.acme.test"));
            assertThat(certificates.resolve("new.acme.test.pem")).exists();
            assertThat(storedLeaf(certificates.resolve("new.acme.test.pem"))).isEqualTo(added);
            assertThat(server.terminate(Duration.ofSeconds(15))).isZero();
            assertThat(server.errorLog()).noneMatch(line -> line.contains("Exception") || line.contains("\tat "));
        } finally {
            Files.deleteIfExists(vhosts.resolve("new.acme.test"));
        }
    }

    @Test
    void withTheOpenSslEngineHttpOneAndTlsAlpnOneBothIssue() throws Exception {
        Path certificates = Files.createDirectories(dir.resolve("certs-openssl"));
        try (Server server = withCleartext(certificates, "--tls-engine", "openssl")) {
            server.awaitLog(line -> line.contains(issued("www.acme.test")), Duration.ofSeconds(90));
            X509Certificate first = awaitServed(server, "www.acme.test", null);
            assertThat(first.getIssuerX500Principal().getName()).contains("Pebble");
            assertThat(server.terminate(Duration.ofSeconds(15))).isZero();
        }
        // No cleartext listener: the CA validates over TLS-ALPN-01, which OpenSSL answers.
        Path tlsOnly = Files.createDirectories(dir.resolve("certs-openssl-tls-only"));
        List<String> command = new ArrayList<>(List.of(Project.java().toString(), "-XX:+UseSerialGC", "-jar",
                Project.httpdJar().toString(), vhosts.toString(), "--listen-tls", "127.0.0.1:" + tlsPort,
                "--tls-engine", "openssl"));
        command.addAll(acmeOptions(tlsOnly));
        try (Server server = Server.launch(command, null)) {
            server.awaitLog(line -> line.contains("TLS: OpenSSL") && line.contains("acme-tls/1"), Duration.ofSeconds(10));
            server.awaitLog(line -> line.contains(issued("www.acme.test")), Duration.ofSeconds(90));
            X509Certificate issued = awaitServed(server, "www.acme.test", null);
            assertThat(issued.getIssuerX500Principal().getName()).contains("Pebble");
            assertThat(server.terminate(Duration.ofSeconds(15))).isZero();
            assertThat(server.errorLog()).noneMatch(line -> line.contains("Exception") || line.contains("\tat "));
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
    void aCaStoppedWhileARenewalIsDueIsRetriedWithGrowingBackoffAndRenewsOnceItIsBack() throws Exception {
        Path own = Files.createDirectories(dir.resolve("stopped"));
        int http = Pebble.freePort();
        // Certificates of 24 s: renewal is due 16 s after issuance, and the first three retries come before expiry.
        try (Pebble ca = Pebble.start(own, http, Pebble.freePort(), 24);
                Server server = Server.start(vhosts, "epoll", "--listen", "127.0.0.1:" + http, "--listen-tls",
                        "127.0.0.1:0", "--tls-certs", Files.createDirectories(own.resolve("certs")).toString(),
                        "--acme", ca.directoryUrl, "--acme-agree-tos", "--acme-trust", ca.trustAnchor.toString(),
                        "--acme-retry", "1s")) {
            server.awaitLog(line -> line.contains(issued("www.acme.test")), Duration.ofSeconds(90));
            X509Certificate first = awaitServed(server, "www.acme.test", null);
            ca.kill();

            long[] failedAt = new long[3];
            for (int attempt = 1; attempt <= 3; attempt++) {
                int n = attempt;
                String line = server.awaitLog(l -> l.contains("acme www.acme.test: attempt " + n + " failed"),
                        Duration.ofSeconds(40));
                failedAt[attempt - 1] = System.nanoTime();
                assertThat(line).endsWith("retrying in " + (1 << (attempt - 1)) + "s");
                // Serving goes on with the certificate the stopped CA issued.
                assertThat(served(server, "www.acme.test").getSerialNumber()).isEqualTo(first.getSerialNumber());
            }
            Duration firstGap = Duration.ofNanos(failedAt[1] - failedAt[0]);
            Duration secondGap = Duration.ofNanos(failedAt[2] - failedAt[1]);
            // Each wait is the announced one, 1 s then 2 s, plus up to a second to the manager's next tick.
            assertThat(firstGap).isBetween(Duration.ofMillis(900), Duration.ofMillis(3000));
            assertThat(secondGap).isBetween(Duration.ofMillis(1900), Duration.ofMillis(4500)).isGreaterThan(firstGap);

            ca.restart();
            assertThat(server.errorLog()).filteredOn(line -> line.contains("attempt")).hasSize(3);
            awaitLines(server, issued("www.acme.test"), 2, Duration.ofSeconds(40));
            // The fourth attempt waited its 4 s although the CA was back sooner, and it succeeded.
            assertThat(Duration.ofNanos(System.nanoTime() - failedAt[2])).isGreaterThan(Duration.ofMillis(3900));
            assertThat(server.errorLog()).filteredOn(line -> line.contains("attempt")).hasSize(3);
            X509Certificate renewed = awaitServed(server, "www.acme.test", first.getSerialNumber());
            assertThat(renewed.getNotAfter()).isAfter(first.getNotAfter());
            assertThat(server.terminate(Duration.ofSeconds(15))).isZero();
            // Failures are one line each (naming the exception), never a stack trace.
            assertThat(server.errorLog()).noneMatch(line -> line.contains("\tat "));
        }
    }

    @Test
    void twoServersSharingTheDirectoryPlaceOneOrderForAName() throws Exception {
        Path certificates = Files.createDirectories(dir.resolve("certs-shared"));
        Path lockFile = Files.createDirectories(certificates.resolve(".acme")).resolve("www.acme.test.lock");
        List<Server> servers = new ArrayList<>();
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            // Held by the test until both servers want the name, so they contend for it.
            FileLock lock = channel.lock();
            for (int i = 0; i < 2; i++) {
                servers.add(Server.start(vhosts, "epoll", "--listen-tls", "127.0.0.1:0", "--tls-certs",
                        certificates.toString(), "--acme", pebble.directoryUrl, "--acme-agree-tos", "--acme-trust",
                        pebble.trustAnchor.toString(), "--acme-retry", "1s"));
            }
            try (ChallengeFanOut challenges = ChallengeFanOut.start(httpPort, servers)) {
                for (Server server : servers) {
                    server.awaitLog(line -> line.contains("acme www.acme.test: attempt 1 failed: another process holds "
                            + lockFile), Duration.ofSeconds(30));
                }
                long orders = pebble.orders();
                lock.release();
                Server issuer = awaitIssuer(servers, Duration.ofSeconds(60));
                X509Certificate issued = awaitServed(issuer, "www.acme.test", null);
                // The other serves the same certificate once its store has loaded the file, and orders none.
                for (Server server : servers) {
                    assertThat(awaitServed(server, "www.acme.test", null)).isEqualTo(issued);
                }
                Thread.sleep(1000);
                assertThat(pebble.orders()).isEqualTo(orders + 1);
                assertThat(servers.stream().mapToLong(server -> server.errorLog().stream()
                        .filter(line -> line.contains(issued("www.acme.test"))).count()).sum()).isEqualTo(1);
                for (Server server : servers) {
                    assertThat(server.terminate(Duration.ofSeconds(15))).isZero();
                }
            }
        } finally {
            servers.forEach(Server::close);
        }
    }

    /** The one of {@code servers} that logs an issuance for www.acme.test first. */
    private static Server awaitIssuer(List<Server> servers, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            for (Server server : servers) {
                if (server.errorLog().stream().anyMatch(line -> line.contains(issued("www.acme.test")))) {
                    return server;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no server issued within " + limit + ": "
                + servers.stream().map(Server::errorLog).toList());
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

    @Test
    void aCertificateWrittenByAnotherProcessWhileItHeldTheLockIsNotOrderedAgain() throws Exception {
        Path certificates = Files.createDirectories(dir.resolve("certs-meanwhile"));
        Path pem = certificates.resolve("www.acme.test.pem");
        Path lockFile = Files.createDirectories(certificates.resolve(".acme")).resolve("www.acme.test.lock");
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = channel.lock();
                Server server = withCleartext(certificates, "--acme-retry", "1s")) {
            server.awaitLog(line -> line.contains("acme www.acme.test: attempt 1 failed: another process holds"),
                    Duration.ofSeconds(60));
            // The other process writes the file, then releases the lock. This file's key does not match its leaf,
            // so the store refuses it: only the manager's look at the file under the lock can find it.
            TestCertificates.Authority ca = TestCertificates.createAuthority("another process's CA");
            Files.writeString(pem, TestCertificates.bundle(ca.issue(KeyType.EC, "www.acme.test").chain(),
                    ca.issue(KeyType.EC, "www.acme.test").keys().getPrivate(), KeyForm.PKCS8));
            long orders = pebble.orders();
            lock.release();
            server.awaitLog(line -> line.contains("acme www.acme.test: " + pem + " was replaced since the name was "
                    + "found due"), Duration.ofSeconds(30));
            Thread.sleep(1000);
            assertThat(pebble.orders()).isEqualTo(orders);
            assertThat(server.errorLog()).noneMatch(line -> line.contains(issued("www.acme.test")));
            assertThat(server.terminate(Duration.ofSeconds(15))).isZero();
        }
    }

    /** Waits until {@code count} error-log lines contain {@code text}. */
    private static void awaitLines(Server server, String text, int count, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (server.errorLog().stream().filter(line -> line.contains(text)).count() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("fewer than " + count + " lines with '" + text + "' within " + limit + ": "
                        + server.errorLog());
            }
            Thread.sleep(10);
        }
    }

    /** When the manager renews a certificate from a CA without renewal information. */
    private static Instant twoThirds(X509Certificate leaf) {
        Instant notBefore = leaf.getNotBefore().toInstant();
        return notBefore.plus(Duration.between(notBefore, leaf.getNotAfter().toInstant()).multipliedBy(2).dividedBy(3));
    }

    /** The first certificate of a PEM file: the leaf of a bundle. */
    private static X509Certificate storedLeaf(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
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
