package dev.webroot.e2e;

import dev.webroot.httpd.tls.TestCertificates;
import dev.webroot.httpd.tls.TestCertificates.KeyForm;
import dev.webroot.httpd.tls.TestCertificates.KeyType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Debian's Pebble (a test ACME CA) on loopback, with pebble-challtestsrv as its DNS server answering
 * every name with 127.0.0.1, so it validates challenges against {@code httpPort} and {@code tlsPort}
 * on this machine. Its own HTTPS certificate is made here ({@link #trustAnchor}).
 */
final class Pebble implements AutoCloseable {
    private static final String READY = "ACME directory available";

    final String directoryUrl;
    final Path trustAnchor;
    private final Process dns;
    /** How Pebble is started: the same configuration, listener certificate and ports every time. */
    private final ProcessBuilder command;
    private volatile Process pebble;
    /** Every Pebble process's output, in order. */
    private final List<String> log = new CopyOnWriteArrayList<>();

    private Pebble(String directoryUrl, Path trustAnchor, Process dns, ProcessBuilder command) {
        this.directoryUrl = directoryUrl;
        this.trustAnchor = trustAnchor;
        this.dns = dns;
        this.command = command;
    }

    /** A free loopback port (closed again, for a process to bind next). */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /**
     * Starts Pebble validating on {@code httpPort}/{@code tlsPort}, issuing certificates valid for
     * {@code validitySeconds}; validation is real (no PEBBLE_VA_ALWAYS_VALID), without random sleeps,
     * nonce rejections or authorization reuse.
     */
    static Pebble start(Path dir, int httpPort, int tlsPort, long validitySeconds) throws Exception {
        TestCertificates.Authority ca = TestCertificates.createAuthority("pebble listener CA");
        TestCertificates.Issued listener = ca.issue(KeyType.EC, "localhost");
        Path cert = dir.resolve("pebble-cert.pem");
        Path key = dir.resolve("pebble-key.pem");
        Files.writeString(cert, TestCertificates.pem(listener.leaf()));
        Files.writeString(key, TestCertificates.pem(listener.keys().getPrivate(), KeyForm.PKCS8));
        Path anchor = dir.resolve("pebble-ca.pem");
        ca.writeCertificate(anchor);
        int acmePort = freePort();
        int managementPort = freePort();
        int dnsPort = freePort();
        int dnsManagementPort = freePort();
        Path config = dir.resolve("pebble-config.json");
        Files.writeString(config, """
                {"pebble": {"listenAddress": "127.0.0.1:%d", "managementListenAddress": "127.0.0.1:%d",
                  "certificate": "%s", "privateKey": "%s", "httpPort": %d, "tlsPort": %d,
                  "ocspResponderURL": "", "externalAccountBindingRequired": false,
                  "certificateValidityPeriod": %d}}
                """.formatted(acmePort, managementPort, cert, key, httpPort, tlsPort, validitySeconds));
        Process dns = new ProcessBuilder("pebble-challtestsrv", "-dns01", "127.0.0.1:" + dnsPort, "-defaultIPv4",
                "127.0.0.1", "-defaultIPv6", "", "-http01", "", "-https01", "", "-tlsalpn01", "", "-management",
                "127.0.0.1:" + dnsManagementPort).redirectErrorStream(true).redirectOutput(dir.resolve("dns.log").toFile())
                .start();
        ProcessBuilder builder = new ProcessBuilder("pebble", "-config", config.toString(), "-dnsserver",
                "127.0.0.1:" + dnsPort).redirectErrorStream(true);
        builder.environment().put("PEBBLE_VA_NOSLEEP", "1");
        builder.environment().put("PEBBLE_WFE_NONCEREJECT", "0");
        builder.environment().put("PEBBLE_AUTHZREUSE", "0");
        Pebble started = new Pebble("https://localhost:" + acmePort + "/dir", anchor, dns, builder);
        started.launch();
        return started;
    }

    /** Starts a Pebble process (a new CA: no accounts, orders or roots of an earlier one) and waits until it serves. */
    private void launch() throws IOException, InterruptedException {
        long ready = log.stream().filter(line -> line.contains(READY)).count();
        Process process = command.start();
        pebble = process;
        Thread.ofPlatform().daemon().name("pebble-log").start(() -> {
            try (BufferedReader reader = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                    log.add(line);
                }
            } catch (IOException ignored) {
                // Pebble ended.
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (log.stream().filter(line -> line.contains(READY)).count() == ready) {
            if (!process.isAlive()) {
                throw new AssertionError("pebble exited: " + log);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("pebble logged no '" + READY + "' within 60 s: " + log);
            }
            Thread.sleep(20);
        }
    }

    /** Kills the Pebble process (SIGKILL: no clean shutdown), leaving its DNS server running. */
    void kill() throws InterruptedException {
        pebble.destroyForcibly();
        if (!pebble.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError("pebble did not die within 10 s of SIGKILL");
        }
    }

    /** After {@link #kill()}: a new Pebble process with the same configuration, on the same ports. */
    void restart() throws IOException, InterruptedException {
        launch();
    }

    /** Waits until the Pebble processes have been sent {@code count} orders in all. */
    void awaitOrders(long count, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (orders() < count) {
            if (!pebble.isAlive()) {
                throw new AssertionError("pebble exited: " + log);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("pebble got no order " + count + " within " + seconds + " s: " + log);
            }
            Thread.sleep(10);
        }
    }

    /** How many orders the Pebble processes have been sent. */
    long orders() {
        return log.stream().filter(line -> line.contains("Added order")).count();
    }

    /** Stops Pebble (its DNS server too); what it issued stays valid for the test's trust-all clients. */
    @Override
    public void close() throws InterruptedException {
        for (Process process : List.of(pebble, dns)) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
