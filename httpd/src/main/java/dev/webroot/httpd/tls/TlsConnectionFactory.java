package dev.webroot.httpd.tls;

import dev.webroot.io.Connection;
import dev.webroot.io.ConnectionFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Opens the TLS layer for each connection accepted on a TLS listener, in the manner of Jetty's
 * {@code SslConnectionFactory}: the layer wraps the transport, runs the handshake, and hands the
 * plaintext to the protocol chosen by ALPN (the next {@link ConnectionFactory}).
 *
 * <p>The profile is Mozilla's "intermediate" one restricted to forward-secret AEAD suites: TLS 1.3
 * and 1.2, ECDHE key exchange, AES-GCM and ChaCha20-Poly1305. No renegotiation (TLS 1.3 has none,
 * and client-initiated TLS 1.2 renegotiation is refused), no 0-RTT. Two engines run it: JSSE (the
 * default), whose stateless session tickets' keys live in this process's memory only and are
 * replaced every {@code jdk.tls.server.statelessKeyTimeout} (an hour by default); and OpenSSL's
 * libssl ({@link #openSsl}), whose ticket keys are replaced hourly too (see {@link OpenSslContexts}).
 */
public final class TlsConnectionFactory implements ConnectionFactory {
    public static final String HTTP_1_1 = "http/1.1";
    public static final String H2 = "h2";

    private final TlsEngine engine;
    private final AlpnChallenges challenges;
    private final SequencedMap<String, ConnectionFactory> protocols;
    private final Predicate<String> hasCertificate;
    final long handshakeTimeoutNanos;
    final long sendTimeoutNanos;
    final BufferPool buffers;
    final int packetBytes;
    final LongAdder handshakes = new LongAdder();
    final LongAdder failedHandshakes = new LongAdder();

    /**
     * @param keys picks the certificate for each handshake (by SNI)
     * @param hasCertificate whether a server name (lowercase, or null for a hello without SNI) has a
     *     certificate; a name that has none is refused with the {@code unrecognized_name} alert
     * @param protocols the protocols offered by ALPN, in order of preference; a client that sends no
     *     ALPN extension gets HTTP/1.1 if it is among them (RFC 9113 §3.2: h2 is only ever negotiated),
     *     else the first
     */
    public TlsConnectionFactory(X509ExtendedKeyManager keys, Predicate<String> hasCertificate,
            SequencedMap<String, ConnectionFactory> protocols, Duration handshakeTimeout, Duration sendTimeout) {
        this(keys, hasCertificate, protocols, handshakeTimeout, sendTimeout, null);
    }

    /**
     * A factory whose handshakes and records the JDK's JSSE runs.
     *
     * @param challenges the ACME TLS-ALPN-01 certificates to present to hellos offering
     *     {@code acme-tls/1} (which is then offered too), or null to offer no such protocol
     */
    public TlsConnectionFactory(X509ExtendedKeyManager keys, Predicate<String> hasCertificate,
            SequencedMap<String, ConnectionFactory> protocols, Duration handshakeTimeout, Duration sendTimeout,
            AlpnChallenges challenges) {
        this(new JsseEngine(keys, hasCertificate, requireSome(protocols).sequencedKeySet(), challenges), hasCertificate,
                protocols, handshakeTimeout, sendTimeout, challenges);
    }

    private TlsConnectionFactory(TlsEngine engine, Predicate<String> hasCertificate,
            SequencedMap<String, ConnectionFactory> protocols, Duration handshakeTimeout, Duration sendTimeout,
            AlpnChallenges challenges) {
        this.engine = engine;
        this.challenges = challenges;
        this.protocols = new LinkedHashMap<>(protocols);
        this.hasCertificate = hasCertificate;
        this.handshakeTimeoutNanos = handshakeTimeout.toNanos();
        this.sendTimeoutNanos = sendTimeout.toNanos();
        this.packetBytes = engine.packetBytes();
        this.buffers = new BufferPool(packetBytes, engine.applicationBytes(), engine.nativeBuffers());
    }

    /**
     * A factory whose handshakes and records OpenSSL's libssl runs (loaded at run time through the
     * foreign-function API), with the certificates of {@code store} chosen by SNI as the JDK engine
     * chooses them.
     *
     * @param challenges the ACME TLS-ALPN-01 certificates to present to hellos offering
     *     {@code acme-tls/1} (which is then offered too), or null to offer no such protocol
     * @throws IllegalStateException when libssl.so.3 cannot be loaded or is not OpenSSL 3
     */
    public static TlsConnectionFactory openSsl(CertificateStore store, SequencedMap<String, ConnectionFactory> protocols,
            Duration handshakeTimeout, Duration sendTimeout, AlpnChallenges challenges) {
        return openSsl(store::index, protocols, handshakeTimeout, sendTimeout, System::nanoTime, challenges);
    }

    /** @param clock nanoseconds, as {@link System#nanoTime}: when session ticket keys are renewed */
    static TlsConnectionFactory openSsl(Supplier<CertificateIndex> index, SequencedMap<String, ConnectionFactory> protocols,
            Duration handshakeTimeout, Duration sendTimeout, LongSupplier clock, AlpnChallenges challenges) {
        OpenSslContexts contexts = new OpenSslContexts(index, List.copyOf(requireSome(protocols).sequencedKeySet()), clock,
                challenges);
        return new TlsConnectionFactory(contexts, name -> index.get().select(name) != null, protocols,
                handshakeTimeout, sendTimeout, challenges);
    }

    private static SequencedMap<String, ConnectionFactory> requireSome(SequencedMap<String, ConnectionFactory> protocols) {
        if (protocols.isEmpty()) {
            throw new IllegalArgumentException("no protocol to offer after the handshake");
        }
        return protocols;
    }

    @Override
    public Connection open(String remoteAddress) {
        return engine.open(this, remoteAddress);
    }

    TlsEngine engine() {
        return engine;
    }

    JsseEngine jsse() {
        return (JsseEngine) engine;
    }

    /** The first of our protocols that the client offers; "" when it offers none; null (a {@code no_application_protocol} alert) if none of ours. */
    static String selectProtocol(Collection<String> ours, List<String> offered) {
        if (offered.isEmpty()) {
            return "";
        }
        for (String protocol : ours) {
            if (offered.contains(protocol)) {
                return protocol;
            }
        }
        return null;
    }

    /** The next layer for a protocol ALPN chose ("" or null: none was negotiated). */
    ConnectionFactory protocol(String negotiated) {
        if (AlpnChallenges.ACME_TLS_1.equals(negotiated)) {
            return ClosingConnection.FACTORY;
        }
        ConnectionFactory next = negotiated == null ? null : protocols.get(negotiated);
        if (next != null) {
            return next;
        }
        ConnectionFactory http11 = protocols.get(HTTP_1_1);
        return http11 != null ? http11 : protocols.firstEntry().getValue();
    }

    boolean hasCertificateFor(String serverName, boolean offersAcmeTls) {
        return offersAcmeTls && challenges != null && challenges.has(serverName) || hasCertificate.test(serverName);
    }

    /** What the start-up log names: the engine, the protocol versions and the ALPN protocols. */
    public String describe() {
        return engine.describe() + ", ALPN " + String.join(" ", protocols());
    }

    /** Handshakes completed and failed since start (a client that vanishes mid-handshake counts as failed). */
    public long completedHandshakes() {
        return handshakes.sum();
    }

    public long failedHandshakes() {
        return failedHandshakes.sum();
    }

    /** The ALPN protocol names on offer, in order of preference. */
    public List<String> protocols() {
        List<String> names = new ArrayList<>(protocols.sequencedKeySet());
        if (challenges != null) {
            names.add(AlpnChallenges.ACME_TLS_1);
        }
        return List.copyOf(names);
    }
}
