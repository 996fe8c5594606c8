package dev.webroot.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** A 100 MiB file packed, served and checked by SHA-256; and SIGTERM in the middle of sending it. */
@Timeout(180)
class LargeFileTest {
    static final List<String> MODELS = Project.MODELS;
    private static final int SIZE = 100 * 1024 * 1024;

    private static Path vhosts;
    private static String expectedSha256;

    @BeforeAll
    static void packALargeSite() throws Exception {
        Path work = Project.work("large");
        Path site = Files.createDirectories(work.resolve("site"));
        Path big = site.resolve("big.bin");
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        SplittableRandom random = new SplittableRandom(42);
        try (OutputStream out = Files.newOutputStream(big)) {
            ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
            for (int written = 0; written < SIZE; written += chunk.capacity()) {
                chunk.clear();
                while (chunk.hasRemaining()) {
                    chunk.putLong(random.nextLong());
                }
                out.write(chunk.array());
                digest.update(chunk.array());
            }
        }
        expectedSha256 = HexFormat.of().formatHex(digest.digest());
        Path webroot = work.resolve("large.webroot");
        Project.mkroot(site, webroot, "--no-compress");
        Files.delete(big);
        vhosts = Project.freshDirectory("large/vhosts");
        Files.createSymbolicLink(vhosts.resolve("__default__"), webroot);
    }

    /** Reads a response head, then digests exactly Content-Length body bytes, pausing after {@code pauseAfter} bytes. */
    private static String download(InputStream in, long pauseAfter, Runnable atPause) throws IOException {
        Http.Response head = Http.read(in, true);
        assertThat(head.status()).isEqualTo(200);
        long length = Long.parseLong(head.header("Content-Length"));
        assertThat(length).isEqualTo(SIZE);
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buffer = new byte[64 * 1024];
        long received = 0;
        boolean paused = false;
        while (received < length) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, length - received));
            if (n < 0) {
                throw new IOException("connection closed after " + received + " of " + length + " bytes");
            }
            digest.update(buffer, 0, n);
            received += n;
            if (!paused && received >= pauseAfter) {
                paused = true;
                atPause.run();
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void downloadsAHundredMebibytesIntact(String model) throws Exception {
        try (Server server = Server.start(vhosts, model);
             Http.Client client = new Http.Client(server.port, 30_000)) {
            client.send(Http.request("GET", "any.example", "/big.bin"));
            assertThat(download(client.in, Long.MAX_VALUE, () -> {})).isEqualTo(expectedSha256);
            // The connection stays usable after a body that went through sendfile or direct I/O.
            assertThat(client.get("any.example", "/no-such-file").status()).isEqualTo(404);
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void sigtermDuringADownloadLetsItFinishStopsAcceptingAndExitsZero(String model) throws Exception {
        try (Server server = Server.start(vhosts, model, "--shutdown-grace", "30s");
             Http.Client client = new Http.Client(server.port, 30_000)) {
            client.send(Http.request("GET", "any.example", "/big.bin"));
            String sha256 = download(client.in, 4 << 20, () -> {
                server.sigterm();
                try {
                    server.awaitLog(line -> line.contains("received SIGTERM"), Duration.ofSeconds(5));
                    Thread.sleep(100);
                    assertThatThrownBy(() -> {
                        try (Socket late = new Socket()) {
                            late.connect(new InetSocketAddress("127.0.0.1", server.port), 2000);
                            late.setSoTimeout(2000);
                            late.getOutputStream().write(Http.request("GET", "any.example", "/").getBytes());
                            if (late.getInputStream().read() < 0) {
                                throw new IOException("closed without a response");
                            }
                        }
                    }).as("a connection attempted after SIGTERM is not served").isInstanceOf(IOException.class);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(sha256).isEqualTo(expectedSha256);
            assertThat(server.awaitExit(Duration.ofSeconds(20))).isZero();
            assertThat(server.errorLog()).anyMatch(line -> line.startsWith("httpd: stopped after"));
        }
    }

    @Test
    void aSecondStopSignalExitsAtOnceWithOneWhileAResponseIsStillInFlight() throws Exception {
        try (Server server = Server.start(vhosts, "sendfile", "--shutdown-grace", "60s");
             Http.Client client = new Http.Client(server.port, 30_000)) {
            client.send(Http.request("GET", "any.example", "/big.bin"));
            Http.read(client.in, true);
            // The client reads nothing more, so the 100 MiB response stays in flight.
            server.sigterm();
            server.awaitLog(line -> line.contains("received SIGTERM"), Duration.ofSeconds(5));
            server.sigterm();
            assertThat(server.awaitExit(Duration.ofSeconds(10))).isEqualTo(1);
        }
    }
}
