package dev.webroot.httpd.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.httpd.registry.Identity;
import dev.webroot.httpd.tls.TestCertificates.Authority;
import dev.webroot.httpd.tls.TestCertificates.KeyForm;
import dev.webroot.httpd.tls.TestCertificates.KeyType;
import dev.webroot.io.Connection;
import dev.webroot.io.ConnectionFactory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/** {@link TlsConnectionTest}'s cases with the OpenSSL engine, and what is particular to it. */
class OpenSslConnectionTest extends TlsConnectionTest {
    private static long versions;

    final AtomicReference<CertificateIndex> index = new AtomicReference<>(CertificateIndex.EMPTY);

    @Override
    TlsConnectionFactory factory(boolean withDefault) {
        return factory(withDefault, System::nanoTime);
    }

    TlsConnectionFactory factory(boolean withDefault, LongSupplier clock) {
        try {
            X509Certificate leaf = (X509Certificate) keyStore.getCertificate("site");
            PrivateKey key = (PrivateKey) keyStore.getKey("site", "secret".toCharArray());
            Map<String, LoadedCertificate> files = new TreeMap<>();
            files.put("site.pem", loaded("site.pem", new X509Certificate[] {leaf}, key));
            if (withDefault) {
                files.put(CertificateIndex.DEFAULT_FILE, loaded(CertificateIndex.DEFAULT_FILE, new X509Certificate[] {leaf}, key));
            }
            index.set(new CertificateIndex(files, List.of()));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return TlsConnectionFactory.openSsl(index::get, echo(), Duration.ofSeconds(10), Duration.ofSeconds(60), clock, null);
    }

    private static TlsConnectionFactory openSsl(Supplier<CertificateIndex> index,
            SequencedMap<String, ConnectionFactory> protocols, AlpnChallenges challenges) {
        return TlsConnectionFactory.openSsl(index, protocols, Duration.ofSeconds(10), Duration.ofSeconds(60),
                System::nanoTime, challenges);
    }

    static LoadedCertificate loaded(String fileName, X509Certificate[] chain, PrivateKey key) throws Exception {
        PemBundle bundle = PemBundle.parse(TestCertificates.bundle(chain, key, KeyForm.PKCS8)
                .getBytes(StandardCharsets.US_ASCII), Instant.now());
        return new LoadedCertificate(fileName, fileName + "#" + ++versions, new Identity(null, 0, 0), bundle, Instant.now());
    }

    private static OpenSslContexts contexts(TlsConnectionFactory factory) {
        return (OpenSslContexts) factory.engine();
    }

    @Test
    void theStartUpLineNamesOpenSsl() {
        assertThat(factory(false).describe()).matches("OpenSSL 3\\.\\S+ \\(libssl\\.so\\.3\\), TLSv1\\.3 TLSv1\\.2, ALPN http/1\\.1");
    }

    @Test
    void everySslObjectIsFreedWhenItsConnectionCloses() {
        TlsConnectionFactory f = factory(false);
        OpenSslContexts contexts = contexts(f);
        long before = contexts.liveConnections();
        for (int i = 0; i < 300; i++) {
            opened.clear();
            Pair pair = new Pair(client("site.test", "http/1.1"), f.open("r"));
            pair.send(i % 3 == 0 ? "bye\n" : "x\n");
            pair.run();
            assertThat(pair.text()).isEqualTo(i % 3 == 0 ? "" : "X\n");
            if (i == 0) {
                assertThat(contexts.liveConnections()).isEqualTo(before + (pair.serverClosed ? 0 : 1));
            }
            pair.server.closed();
            pair.server.closed();
        }
        for (int i = 0; i < 60; i++) {
            Pair refused = new Pair(client("other.test", "http/1.1"), f.open("r"));
            refused.send("x\n");
            refused.run();
            refused.server.closed();
        }
        assertThat(contexts.liveConnections()).isEqualTo(before);
        assertThat(f.completedHandshakes()).isEqualTo(300);
    }

    /**
     * Tickets resume while their keys are under an hour old; after that a client offering one gets
     * a full handshake, and the new ticket it is then given resumes. A resumed handshake is told
     * by its size: the server sends no certificate and no CertificateVerify.
     */
    @Test
    void ticketsResumeUntilTheirKeysAreAnHourOldThenAFullHandshakeGivesNewOnes() throws Exception {
        AtomicLong now = new AtomicLong(System.nanoTime());
        TlsConnectionFactory f = factory(false, now::get);
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("site", keyStore.getCertificate("site"));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(trusted);
        // A context of its own: its session cache holds only this test's tickets.
        SSLContext resuming = SSLContext.getInstance("TLS");
        resuming.init(null, tmf.getTrustManagers(), null);
        byte[] certificate = keyStore.getCertificate("site").getEncoded();

        Pair first = handshake(f, resuming);
        assertThat(first.rawFromServer.size()).as("a full handshake carries the certificate").isGreaterThan(certificate.length);
        Pair resumed = handshake(f, resuming);
        assertThat(resumed.rawFromServer.size()).as("resumed").isLessThan(first.rawFromServer.size() - certificate.length);

        now.addAndGet(OpenSslContexts.TICKET_KEY_LIFETIME - TimeUnit.SECONDS.toNanos(1));
        assertThat(handshake(f, resuming).rawFromServer.size()).as("resumed with keys just under an hour old")
                .isLessThan(first.rawFromServer.size() - certificate.length);

        now.addAndGet(TimeUnit.SECONDS.toNanos(2));
        Pair afterRenewal = handshake(f, resuming);
        assertThat(afterRenewal.rawFromServer.size()).as("full: the ticket's keys were renewed")
                .isGreaterThan(resumed.rawFromServer.size() + certificate.length);
        assertThat(handshake(f, resuming).rawFromServer.size()).as("the new ticket resumes")
                .isLessThan(afterRenewal.rawFromServer.size() - certificate.length);
    }

    /** One exchange over TLS 1.3 to site.test:443 from {@code context}, which offers a ticket it holds for it. */
    private Pair handshake(TlsConnectionFactory f, SSLContext context) {
        SSLEngine engine = context.createSSLEngine("site.test", 443);
        engine.setUseClientMode(true);
        SSLParameters p = engine.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName("site.test")));
        p.setProtocols(new String[] {"TLSv1.3"});
        p.setApplicationProtocols(new String[] {"http/1.1"});
        engine.setSSLParameters(p);
        Pair pair = new Pair(engine, f.open("r"));
        pair.send("hi\n");
        pair.run();
        assertThat(pair.clientFailure).isNull();
        assertThat(pair.text()).isEqualTo("HI\n");
        pair.server.closed();
        return pair;
    }

    @Test
    void sniChoosesTheCertificateAndAReloadedOneServesNewHandshakes() throws Exception {
        Authority authority = TestCertificates.createAuthority("OpenSSL test CA");
        TestCertificates.Issued a = authority.issue(KeyType.EC, "a.test");
        TestCertificates.Issued b = authority.issue(KeyType.RSA, "*.b.test");
        TestCertificates.Issued a2 = authority.issue(KeyType.ED25519, "a.test");
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("ca", authority.certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(trusted);
        SSLContext trusting = SSLContext.getInstance("TLS");
        trusting.init(null, tmf.getTrustManagers(), null);

        Map<String, LoadedCertificate> files = new TreeMap<>();
        files.put("a.pem", loaded("a.pem", withIssuer(a, authority), a.keys().getPrivate()));
        files.put("b.pem", loaded("b.pem", withIssuer(b, authority), b.keys().getPrivate()));
        index.set(new CertificateIndex(files, List.of()));
        TlsConnectionFactory f = openSsl(index::get, echo(), null);

        assertThat(servedTo(f, trusting, "a.test")).isEqualTo(a.chain()[0]);
        assertThat(servedTo(f, trusting, "www.b.test")).isEqualTo(b.chain()[0]);
        Pair established = new Pair(verifying(trusting, "a.test"), f.open("r"));
        established.send("before\n");
        established.run();

        Map<String, LoadedCertificate> replaced = new TreeMap<>(files);
        replaced.put("a.pem", loaded("a.pem", withIssuer(a2, authority), a2.keys().getPrivate()));
        index.set(new CertificateIndex(replaced, List.of(files.get("a.pem"))));
        assertThat(servedTo(f, trusting, "a.test")).isEqualTo(a2.chain()[0]);
        // The connection that began before the reload goes on with its session.
        established.send("after\n");
        established.run();
        assertThat(established.text()).isEqualTo("BEFORE\nAFTER\n");
    }

    private static X509Certificate[] withIssuer(TestCertificates.Issued issued, Authority authority) {
        return new X509Certificate[] {issued.chain()[0], authority.certificate()};
    }

    private X509Certificate servedTo(TlsConnectionFactory f, SSLContext trusting, String name) throws Exception {
        Pair pair = new Pair(verifying(trusting, name), f.open("r"));
        pair.send("hi\n");
        pair.run();
        assertThat(pair.clientFailure).isNull();
        assertThat(pair.text()).isEqualTo("HI\n");
        X509Certificate leaf = (X509Certificate) pair.client.getSession().getPeerCertificates()[0];
        pair.server.closed();
        return leaf;
    }

    private static SSLEngine verifying(SSLContext trusting, String name) {
        SSLEngine engine = trusting.createSSLEngine();
        engine.setUseClientMode(true);
        SSLParameters p = engine.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName(name)));
        p.setApplicationProtocols(new String[] {"http/1.1"});
        engine.setSSLParameters(p);
        return engine;
    }

    @Test
    void theServernameCallbackRefusesANameTheIndexNoLongerHasWithUnrecognizedName() {
        factory(false);
        CertificateIndex loaded = index.get();
        // The hello check still sees the certificate; by the time OpenSSL asks, it is gone.
        java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
        TlsConnectionFactory f = openSsl(() -> reads.getAndIncrement() == 0 ? loaded : CertificateIndex.EMPTY, echo(), null);
        Pair pair = new Pair(client("site.test", "http/1.1"), f.open("r"));
        pair.send("x\n");
        pair.run();
        assertThat(reads.get()).isGreaterThan(1);
        assertThat(pair.clientFailure).hasMessageContaining("unrecognized_name");
        assertThat(pair.serverClosed).isTrue();
        assertThat(opened).isEmpty();
        assertThat(contexts(f).liveConnections()).isZero();
    }

    @Test
    void h2IsChosenWhenOfferedAndServedAsTheirOrderSays() {
        factory(false);
        LinkedHashMap<String, ConnectionFactory> protocols = new LinkedHashMap<>();
        List<String> chosen = new java.util.ArrayList<>();
        protocols.put(TlsConnectionFactory.H2, remote -> {
            chosen.add("h2");
            return new EchoConnection();
        });
        protocols.putAll(echo());
        TlsConnectionFactory f = openSsl(index::get, protocols, null);
        Pair h2 = new Pair(client("site.test", "http/1.1", "h2"), f.open("r"));
        h2.send("two\n");
        h2.run();
        assertThat(h2.client.getApplicationProtocol()).isEqualTo("h2");
        assertThat(chosen).containsExactly("h2");
        Pair none = new Pair(client("site.test"), f.open("r"));
        none.send("one\n");
        none.run();
        assertThat(none.client.getApplicationProtocol()).isEmpty();
        assertThat(none.text()).isEqualTo("ONE\n");
        assertThat(opened).hasSize(1);
    }

    @Test
    void aConnectionClosedMidHandshakeFreesItsSslObject() {
        TlsConnectionFactory f = factory(false);
        Connection server = f.open("r");
        server.opened(1);
        byte[] hello = firstFlight(client("site.test", "http/1.1"));
        server.readBuffer().put(hello);
        server.read(hello.length, 1);
        assertThat(server.nextWrite()).isEqualTo(Connection.Operation.PROCEED);
        long live = contexts(f).liveConnections();
        server.closed();
        assertThat(contexts(f).liveConnections()).isEqualTo(live - 1);
    }

    /**
     * Small keep-alive exchanges leave the memory BIOs in place (replacing them would cost more
     * than the few KiB they keep); after the handshake and after a large answer an idle connection
     * trades them for empty ones, so it keeps neither the handshake's flights nor large records.
     */
    @Test
    void anIdleConnectionKeepsItsSmallBiosAndTradesLargeOnes() {
        Pair pair = new Pair(client("site.test", "http/1.1"), factory(false).open("r"));
        OpenSslConnection server = (OpenSslConnection) pair.server;
        pair.send("first\n");
        pair.run();
        assertThat(server.holdsBuffers()).isFalse();
        assertThat(bufferBytes(server.rbio)).as("the BIO that took the hello, traded").isZero();
        assertThat(bufferBytes(server.wbio)).as("the BIO that held the server's flight, traded").isZero();
        MemorySegment rbio = server.rbio;
        MemorySegment wbio = server.wbio;
        for (int i = 0; i < 20; i++) {
            pair.send("line " + i + "\n");
            pair.run();
            assertThat(server.holdsBuffers()).isFalse();
        }
        assertThat(pair.text()).endsWith("LINE 19\n");
        assertThat(server.rbio).isEqualTo(rbio);
        assertThat(server.wbio).isEqualTo(wbio);
        assertThat(bufferBytes(wbio)).isPositive().isLessThanOrEqualTo(OpenSslConnection.IDLE_BIO_BYTES * 4 / 3 + 1);

        pair.send("big 100000\n");
        pair.run();
        assertThat(server.holdsBuffers()).isFalse();
        assertThat(server.wbio).isNotEqualTo(wbio);
        assertThat(bufferBytes(server.rbio)).isZero();
        assertThat(bufferBytes(server.wbio)).isZero();
    }

    /** The size of a memory BIO's buffer (BIO_get_mem_ptr, then the BUF_MEM's max). */
    private static long bufferBytes(MemorySegment bio) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pointer = arena.allocate(ValueLayout.ADDRESS);
            LibSsl.BIO_ctrl(bio, BIO_C_GET_BUF_MEM_PTR, 0, pointer);
            return pointer.get(ValueLayout.ADDRESS, 0).reinterpret(24).get(ValueLayout.JAVA_LONG, 16);
        }
    }

    private static final int BIO_C_GET_BUF_MEM_PTR = 115;
}
