package dev.webroot.httpd.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.webroot.io.Connection;
import dev.webroot.io.Connection.Operation;
import dev.webroot.io.ConnectionFactory;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TLS layer driven in memory by a JSSE client engine, over a plaintext echo protocol; the JDK
 * engine here, the OpenSSL one in {@link OpenSslConnectionTest}, which runs the same tests.
 */
class TlsConnectionTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @TempDir
    static Path dir;
    static X509ExtendedKeyManager keys;
    static KeyStore keyStore;
    static SSLContext clientContext;

    final List<EchoConnection> opened = new ArrayList<>();

    @BeforeAll
    static void certificate() throws Exception {
        Path store = dir.resolve("site.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "site", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=site.test",
                "-ext", "SAN=dns:site.test", "-validity", "2", "-keystore", store.toString(), "-storepass", "secret",
                "-storetype", "PKCS12").redirectErrorStream(true).start();
        String said = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(keytool.waitFor()).as(said).isZero();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, "secret".toCharArray());
        }
        keyStore = ks;
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
        kmf.init(ks, "secret".toCharArray());
        keys = (X509ExtendedKeyManager) kmf.getKeyManagers()[0];
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("site", ks.getCertificate("site"));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(trusted);
        clientContext = SSLContext.getInstance("TLS");
        clientContext.init(null, tmf.getTrustManagers(), null);
    }

    /** A factory serving site.test, and with {@code withDefault} any other name with the same certificate. */
    TlsConnectionFactory factory(boolean withDefault) {
        return new TlsConnectionFactory(keys, name -> "site.test".equals(name) || withDefault, echo(),
                Duration.ofSeconds(10), Duration.ofSeconds(60));
    }

    /** HTTP/1.1 as the echo protocol, recording each connection opened. */
    LinkedHashMap<String, ConnectionFactory> echo() {
        LinkedHashMap<String, ConnectionFactory> protocols = new LinkedHashMap<>();
        protocols.put(TlsConnectionFactory.HTTP_1_1, remote -> {
            EchoConnection c = new EchoConnection();
            opened.add(c);
            return c;
        });
        return protocols;
    }

    /** A client engine and the server's layer, with the bytes each sent the other. */
    static final class Pair {
        final SSLEngine client;
        final Connection server;
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final ByteArrayOutputStream rawFromServer = new ByteArrayOutputStream();
        ByteBuffer toServer = ByteBuffer.allocate(1 << 17);
        ByteBuffer toClient = ByteBuffer.allocate(1 << 20);
        final ByteBuffer clientApp = ByteBuffer.allocate(1 << 20);
        ByteBuffer pending = ByteBuffer.allocate(0);
        long now = SECOND;
        int readChunk = Integer.MAX_VALUE;
        int writeChunk = Integer.MAX_VALUE;
        boolean serverClosed;
        SSLException clientFailure;
        boolean clientSawCloseNotify;

        Pair(SSLEngine client, Connection server) {
            this.client = client;
            this.server = server;
            server.opened(now);
        }

        void send(String text) {
            ByteBuffer more = ByteBuffer.allocate(pending.remaining() + text.length());
            more.put(pending).put(text.getBytes(StandardCharsets.US_ASCII)).flip();
            pending = more;
        }

        /** Moves bytes both ways until nothing moves (bounded). */
        Pair run() {
            for (int round = 0; round < 10_000; round++) {
                boolean moved = clientStep() | feedServer() | drainServer() | clientReceive();
                if (!moved) {
                    return this;
                }
            }
            throw new AssertionError("no quiescence");
        }

        /** Encrypts what the client has to send (handshake or data) without delivering it yet. */
        void encrypt() {
            clientStep();
        }

        private boolean clientStep() {
            if (clientFailure != null || client.isOutboundDone()) {
                return false;
            }
            boolean moved = false;
            try {
                while (true) {
                    SSLEngineResult.HandshakeStatus hs = client.getHandshakeStatus();
                    if (hs == SSLEngineResult.HandshakeStatus.NEED_TASK) {
                        Runnable task;
                        while ((task = client.getDelegatedTask()) != null) {
                            task.run();
                        }
                        continue;
                    }
                    boolean handshaking = hs == SSLEngineResult.HandshakeStatus.NEED_WRAP;
                    if (!handshaking && (hs != SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING || !pending.hasRemaining())) {
                        return moved;
                    }
                    SSLEngineResult r = client.wrap(pending, toServer);
                    if (r.bytesProduced() == 0) {
                        return moved;
                    }
                    moved = true;
                }
            } catch (SSLException e) {
                clientFailure = e;
                return true;
            }
        }

        void raw(byte[] bytes) {
            toServer.put(bytes);
        }

        private boolean feedServer() {
            toServer.flip();
            boolean moved = false;
            while (toServer.hasRemaining() && !serverClosed && server.nextRead() == Operation.PROCEED) {
                ByteBuffer into = server.readBuffer();
                int n = Math.min(Math.min(readChunk, into.remaining()), toServer.remaining());
                if (n == 0) {
                    break;
                }
                into.put(into.position(), toServer, toServer.position(), n);
                into.position(into.position() + n);
                toServer.position(toServer.position() + n);
                server.read(n, now);
                moved = true;
            }
            if (!serverClosed && server.nextRead() == Operation.CLOSE && server.nextWrite() == Operation.CLOSE) {
                serverClosed = true;
                server.closed();
                moved = true;
            }
            toServer.compact();
            return moved;
        }

        private boolean drainServer() {
            if (writeChunk == 0) {
                return false; // the socket is full: nothing leaves
            }
            boolean moved = false;
            while (!serverClosed && server.nextWrite() == Operation.PROCEED) {
                ByteBuffer out = server.output().buffer(0);
                int n = Math.min(writeChunk, out.remaining());
                byte[] bytes = new byte[n];
                out.get(bytes);
                toClient.put(bytes);
                rawFromServer.writeBytes(bytes);
                server.written(n, now);
                moved = true;
            }
            if (!serverClosed && server.nextWrite() == Operation.CLOSE) {
                serverClosed = true;
                server.closed();
                moved = true;
            }
            return moved;
        }

        private boolean clientReceive() {
            if (clientFailure != null) {
                return false;
            }
            toClient.flip();
            boolean moved = false;
            try {
                while (toClient.hasRemaining()) {
                    SSLEngineResult r = client.unwrap(toClient, clientApp);
                    if (r.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_TASK) {
                        Runnable task;
                        while ((task = client.getDelegatedTask()) != null) {
                            task.run();
                        }
                    }
                    if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                        clientSawCloseNotify = true;
                        moved = true;
                        break;
                    }
                    if (r.bytesConsumed() == 0 && r.bytesProduced() == 0) {
                        break;
                    }
                    moved = true;
                }
            } catch (SSLException e) {
                clientFailure = e;
                moved = true;
            }
            toClient.compact();
            clientApp.flip();
            byte[] plain = new byte[clientApp.remaining()];
            clientApp.get(plain);
            received.writeBytes(plain);
            clientApp.clear();
            return moved;
        }

        String text() {
            return received.toString(StandardCharsets.US_ASCII);
        }
    }

    SSLEngine client(String serverName, String... protocols) {
        // No peer host and port: each engine makes a full handshake instead of resuming an earlier test's session.
        SSLEngine engine = clientContext.createSSLEngine();
        engine.setUseClientMode(true);
        SSLParameters p = engine.getSSLParameters();
        if (serverName != null) {
            p.setServerNames(List.of(new SNIHostName(serverName)));
        } else {
            p.setServerNames(List.of());
        }
        p.setEndpointIdentificationAlgorithm(null);
        p.setApplicationProtocols(protocols);
        engine.setSSLParameters(p);
        return engine;
    }

    @Test
    void handshakesNegotiatesHttp11AndCarriesTheProtocolBothWays() throws Exception {
        TlsConnectionFactory f = factory(false);
        Pair pair = new Pair(client("site.test", "h2", "http/1.1"), f.open("192.0.2.1:5000"));
        pair.send("hello\nworld\n");
        pair.run();
        assertThat(pair.clientFailure).isNull();
        assertThat(pair.text()).isEqualTo("HELLO\nWORLD\n");
        assertThat(pair.client.getApplicationProtocol()).isEqualTo("http/1.1");
        assertThat(pair.client.getSession().getProtocol()).isEqualTo("TLSv1.3");
        assertThat(f.completedHandshakes()).isEqualTo(1);
        assertThat(opened).hasSize(1);
    }

    @Test
    void everySplitOfTheClientBytesGivesTheSameAnswer() {
        for (int chunk : new int[] {1, 2, 3, 5, 7, 64, 517, 4096}) {
            opened.clear();
            Pair pair = new Pair(client("site.test", "http/1.1"), factory(false).open("r"));
            pair.readChunk = chunk;
            pair.writeChunk = chunk * 3;
            pair.send("split\n");
            pair.run();
            assertThat(pair.text()).as("chunk " + chunk).isEqualTo("SPLIT\n");
        }
    }

    @Test
    void tls12WithAnEcdheAeadSuiteAndNoAlpn() {
        SSLEngine engine = client("site.test");
        engine.setEnabledProtocols(new String[] {"TLSv1.2"});
        Pair pair = new Pair(engine, factory(false).open("r"));
        pair.send("twelve\n");
        pair.run();
        assertThat(pair.text()).isEqualTo("TWELVE\n");
        assertThat(engine.getSession().getProtocol()).isEqualTo("TLSv1.2");
        assertThat(engine.getSession().getCipherSuite()).startsWith("TLS_ECDHE_").contains("_GCM_");
    }

    @Test
    void aNameWithoutCertificateGetsUnrecognizedName() {
        TlsConnectionFactory f = factory(false);
        Pair pair = new Pair(client("other.test", "http/1.1"), f.open("r"));
        pair.send("x\n");
        pair.run();
        assertThat(pair.clientFailure).hasMessageContaining("unrecognized_name");
        assertThat(pair.serverClosed).isTrue();
        assertThat(f.failedHandshakes()).isEqualTo(1);
    }

    @Test
    void noServerNameAndNoDefaultGetsUnrecognizedName() {
        Pair pair = new Pair(client(null, "http/1.1"), factory(false).open("r"));
        pair.send("x\n");
        pair.run();
        assertThat(pair.clientFailure).hasMessageContaining("unrecognized_name");
        assertThat(pair.serverClosed).isTrue();
    }

    @Test
    void noServerNameIsServedByTheDefault() {
        Pair pair = new Pair(client(null, "http/1.1"), factory(true).open("r"));
        pair.send("x\n");
        pair.run();
        assertThat(pair.text()).isEqualTo("X\n");
    }

    @Test
    void onlyUnknownProtocolsOfferedGetNoApplicationProtocol() {
        Pair pair = new Pair(client("site.test", "h2", "spdy/3"), factory(false).open("r"));
        pair.send("x\n");
        pair.run();
        assertThat(pair.clientFailure).hasMessageContaining("no_application_protocol");
        assertThat(opened).isEmpty();
    }

    @Test
    void cleartextHttpOnTheTlsPortGetsAPlain400() {
        Pair pair = new Pair(client("site.test"), factory(false).open("r"));
        pair.raw("GET / HTTP/1.1\r\nHost: site.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        pair.run();
        String answer = pair.rawFromServer.toString(StandardCharsets.US_ASCII);
        assertThat(answer).startsWith("HTTP/1.1 400 Bad Request\r\n").contains("Connection: close\r\n")
                .endsWith("use an https:// URL\n");
        int body = answer.indexOf("\r\n\r\n") + 4;
        assertThat(answer.substring(answer.indexOf("Content-Length: ") + 16, answer.indexOf("\r\n", answer.indexOf("Content-Length: "))))
                .isEqualTo(String.valueOf(answer.length() - body));
        assertThat(pair.serverClosed).isTrue();
    }

    @Test
    void hostileFirstBytesAreRefusedWithoutAnEscapingException() {
        Random random = new Random(7);
        byte[] hello = clientHello();
        List<byte[]> corpus = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            byte[] noise = new byte[1 + random.nextInt(600)];
            random.nextBytes(noise);
            corpus.add(noise);
        }
        for (int cut = 1; cut < hello.length; cut += 13) {
            corpus.add(java.util.Arrays.copyOf(hello, cut));
        }
        for (int i = 0; i < 40; i++) {
            byte[] flipped = hello.clone();
            flipped[5 + random.nextInt(flipped.length - 5)] ^= (byte) (1 << random.nextInt(8));
            corpus.add(flipped);
        }
        byte[] oversized = hello.clone();
        oversized[3] = (byte) 0x7f;
        corpus.add(oversized);
        corpus.add(new byte[] {(byte) 0x80, 0x2e, 0x01, 0x00, 0x02});
        for (byte[] bytes : corpus) {
            Connection server = factory(false).open("r");
            Pair pair = new Pair(client("site.test"), server);
            pair.raw(bytes);
            pair.run();
            if (!pair.serverClosed) {
                // Incomplete input: the connection waits for more, and its handshake deadline ends it.
                assertThat(server.deadline()).isEqualTo(SECOND + 10 * SECOND);
                server.timedOut(SECOND + 10 * SECOND);
                assertThat(server.nextRead()).isEqualTo(Operation.CLOSE);
            }
            assertThat(opened).isEmpty();
        }
    }

    /** The first flight of a real client. */
    private byte[] clientHello() {
        return firstFlight(client("site.test", "http/1.1"));
    }

    static byte[] firstFlight(SSLEngine engine) {
        ByteBuffer out = ByteBuffer.allocate(1 << 16);
        try {
            engine.wrap(ByteBuffer.allocate(0), out);
        } catch (SSLException e) {
            throw new AssertionError(e);
        }
        out.flip();
        byte[] bytes = new byte[out.remaining()];
        out.get(bytes);
        return bytes;
    }

    @Test
    void aClientThatStopsMidHandshakeIsClosedAtTheHandshakeTimeout() {
        TlsConnectionFactory f = factory(false);
        Connection server = f.open("r");
        server.opened(SECOND);
        byte[] hello = clientHello();
        ByteBuffer into = server.readBuffer();
        into.put(hello, 0, 100);
        server.read(100, SECOND);
        assertThat(server.nextRead()).isEqualTo(Operation.PROCEED);
        assertThat(server.deadline()).isEqualTo(11 * SECOND);
        server.timedOut(11 * SECOND - 1);
        assertThat(server.nextRead()).isEqualTo(Operation.PROCEED);
        server.timedOut(11 * SECOND);
        assertThat(server.nextRead()).isEqualTo(Operation.CLOSE);
        server.closed();
        assertThat(f.failedHandshakes()).isEqualTo(1);
    }

    @Test
    void largeAnswersFlowThroughSmallWritesAndTheBuffersGoBackWhenIdle() {
        Pair pair = new Pair(client("site.test", "http/1.1"), factory(false).open("r"));
        pair.writeChunk = 1000;
        pair.send("big 300000\n");
        pair.run();
        assertThat(pair.text()).hasSize(300_000).matches("x+");
        assertThat(((TlsConnection) pair.server).holdsBuffers()).isFalse();
    }

    @Test
    void aClosingProtocolEndsWithCloseNotify() {
        Pair pair = new Pair(client("site.test", "http/1.1"), factory(false).open("r"));
        pair.send("last\nbye\n");
        pair.run();
        assertThat(pair.text()).isEqualTo("LAST\n");
        assertThat(pair.clientSawCloseNotify).isTrue();
        assertThat(pair.serverClosed).isTrue();
        assertThat(opened.getFirst().closed).isTrue();
    }

    @Test
    void aPeerCloseNotifyEndsTheInputButTheAnswerStillLeaves() throws Exception {
        Pair pair = new Pair(client("site.test", "http/1.1"), factory(false).open("r"));
        pair.send("half\n");
        pair.run();
        pair.client.closeOutbound();
        pair.run();
        assertThat(pair.text()).isEqualTo("HALF\n");
        assertThat(opened.getFirst().eof).isTrue();
        assertThat(pair.serverClosed).isTrue();
    }

    @Test
    void aRequestArrivingWithTheClientsCloseNotifyIsStillAnswered() throws Exception {
        Pair pair = new Pair(client("site.test", "http/1.1"), factory(false).open("r"));
        pair.client.beginHandshake();
        pair.run();
        pair.send("first\nsecond\n");
        pair.encrypt();
        pair.client.closeOutbound();
        pair.encrypt();
        pair.run();
        assertThat(pair.text()).isEqualTo("FIRST\nSECOND\n");
        assertThat(opened.getFirst().eof).isTrue();
        assertThat(pair.clientSawCloseNotify).isTrue();
        assertThat(pair.serverClosed).isTrue();
    }

    @Test
    void theSendTimeoutRunsFromWhenOutputBecamePendingNotFromTheLastWrite() throws Exception {
        TlsConnectionFactory f = factory(false);
        Pair pair = new Pair(client("site.test", "http/1.1"), f.open("r"));
        pair.client.beginHandshake();
        pair.run();
        Connection server = pair.server;
        long idle = server.deadline();
        pair.now += 50 * SECOND;
        pair.writeChunk = 0;
        pair.send("late\n");
        pair.run();
        assertThat(server.nextWrite()).isEqualTo(Operation.PROCEED);
        assertThat(server.deadline()).as("idle deadline was %d", idle).isEqualTo(pair.now + 60 * SECOND);
    }

    @Test
    void aRecordHeaderClaimingMoreThanAnyRecordGetsRecordOverflowAtOnce() {
        Pair pair = new Pair(client("site.test"), factory(false).open("r"));
        pair.raw(new byte[] {0x16, 0x03, 0x01, 0x7f, (byte) 0xff, 0x01});
        pair.run();
        assertThat(pair.rawFromServer.toByteArray()).containsExactly(0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 22);
        assertThat(pair.serverClosed).isTrue();
    }

    @Test
    void aFactoryNeedsAProtocolToOffer() {
        assertThatThrownBy(() -> new TlsConnectionFactory(keys, n -> true, new LinkedHashMap<>(), Duration.ofSeconds(1),
                Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
    }
}
