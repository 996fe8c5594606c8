package dev.webroot.httpd.tls;

import dev.webroot.io.Connection;
import dev.webroot.io.ConnectionFactory;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.SequencedMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIMatcher;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.StandardConstants;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Opens the TLS layer for each connection accepted on a TLS listener, in the manner of Jetty's
 * {@code SslConnectionFactory}: the layer wraps the transport, runs the handshake, and hands the
 * plaintext to the protocol chosen by ALPN (the next {@link ConnectionFactory}).
 *
 * <p>The profile is Mozilla's "intermediate" one restricted to forward-secret AEAD suites: TLS 1.3
 * and 1.2, ECDHE key exchange, AES-GCM and ChaCha20-Poly1305. No renegotiation (TLS 1.3 has none,
 * and client-initiated TLS 1.2 renegotiation is refused), no 0-RTT (JSSE accepts no early data).
 * Resumption uses JSSE's stateless session tickets, whose keys live in this process's memory only and
 * are replaced every {@code jdk.tls.server.statelessKeyTimeout} (an hour by default).
 */
public final class TlsConnectionFactory implements ConnectionFactory {
    public static final String HTTP_1_1 = "http/1.1";
    public static final String H2 = "h2";

    /** In order of preference: TLS 1.3's suites, then TLS 1.2's ECDHE AEAD suites. */
    private static final List<String> CIPHER_SUITES = List.of(
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
    private static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    /** Hybrid post-quantum first where the JDK has it, then the curves every client offers. */
    private static final List<String> NAMED_GROUPS = List.of("X25519MLKEM768", "x25519", "secp256r1", "secp384r1");

    static {
        // Read when JSSE initialises, so it must be set before the first SSLContext exists.
        System.setProperty("jdk.tls.rejectClientInitiatedRenegotiation", "true");
    }

    private final SSLContext context;
    private final SSLParameters parameters;
    /** TLS-ALPN-01 handshakes get their own context, whose key manager presents challenge certificates. */
    private final AlpnChallenges challenges;
    private final SSLContext challengeContext;
    private final SSLParameters challengeParameters;
    private final SequencedMap<String, ConnectionFactory> protocols;
    private final Predicate<String> hasCertificate;
    final long handshakeTimeoutNanos;
    final long sendTimeoutNanos;
    final BufferPool buffers;
    final int packetBytes;
    final int applicationBytes;
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
     * @param challenges the ACME TLS-ALPN-01 certificates to present to hellos offering
     *     {@code acme-tls/1} (which is then offered too), or null to offer no such protocol
     */
    public TlsConnectionFactory(X509ExtendedKeyManager keys, Predicate<String> hasCertificate,
            SequencedMap<String, ConnectionFactory> protocols, Duration handshakeTimeout, Duration sendTimeout,
            AlpnChallenges challenges) {
        if (protocols.isEmpty()) {
            throw new IllegalArgumentException("no protocol to offer after the handshake");
        }
        context = newContext(keys);
        this.challenges = challenges;
        challengeContext = challenges == null ? null : newContext(challenges.keyManager());
        challengeParameters = challenges == null ? null : profile(challengeContext, challenges::has);
        this.protocols = new LinkedHashMap<>(protocols);
        this.hasCertificate = hasCertificate;
        this.handshakeTimeoutNanos = handshakeTimeout.toNanos();
        this.sendTimeoutNanos = sendTimeout.toNanos();
        this.parameters = profile(context, hasCertificate);
        SSLEngine probe = newEngine(null);
        this.packetBytes = probe.getSession().getPacketBufferSize();
        this.applicationBytes = probe.getSession().getApplicationBufferSize();
        this.buffers = new BufferPool(packetBytes, applicationBytes);
    }

    private static SSLContext newContext(X509ExtendedKeyManager keys) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(new KeyManager[] {keys}, null, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no usable TLS implementation: " + e.getMessage(), e);
        }
    }

    private static SSLParameters profile(SSLContext context, Predicate<String> hasCertificate) {
        SSLParameters supported = context.getSupportedSSLParameters();
        SSLParameters p = context.getDefaultSSLParameters();
        p.setProtocols(intersect(PROTOCOLS, supported.getProtocols()));
        p.setCipherSuites(intersect(CIPHER_SUITES, supported.getCipherSuites()));
        p.setUseCipherSuitesOrder(true);
        String[] groups = p.getNamedGroups();
        if (groups != null) {
            p.setNamedGroups(intersect(NAMED_GROUPS, groups));
        }
        p.setSNIMatchers(List.of(new SNIMatcher(StandardConstants.SNI_HOST_NAME) {
            @Override
            public boolean matches(SNIServerName name) {
                return name instanceof SNIHostName host
                        && hasCertificate.test(host.getAsciiName().toLowerCase(Locale.ROOT));
            }
        }));
        p.setNeedClientAuth(false);
        p.setWantClientAuth(false);
        return p;
    }

    private static String[] intersect(List<String> wanted, String[] available) {
        List<String> have = Arrays.asList(available);
        List<String> result = new ArrayList<>();
        for (String name : wanted) {
            if (have.contains(name)) {
                result.add(name);
            }
        }
        return result.toArray(String[]::new);
    }

    @Override
    public Connection open(String remoteAddress) {
        return new TlsConnection(this, remoteAddress);
    }

    /**
     * An engine for one handshake. The server name the hello asked for is passed as the engine's peer
     * host, which the key manager falls back to while JSSE restores a session from a ticket: it
     * chooses the certificate then, before it has read the hello's server_name extension.
     */
    SSLEngine newEngine(String serverName) {
        return newEngine(serverName, false);
    }

    /**
     * As {@link #newEngine(String)}; a hello offering {@code acme-tls/1} for a name with a pending
     * TLS-ALPN-01 challenge gets an engine that presents the challenge certificate and agrees on
     * nothing else.
     */
    SSLEngine newEngine(String serverName, boolean offersAcmeTls) {
        if (offersAcmeTls && challenges != null && challenges.has(serverName)) {
            SSLEngine engine = challengeContext.createSSLEngine(serverName, -1);
            engine.setUseClientMode(false);
            engine.setSSLParameters(challengeParameters);
            engine.setHandshakeApplicationProtocolSelector(
                    (e, offered) -> offered.contains(AlpnChallenges.ACME_TLS_1) ? AlpnChallenges.ACME_TLS_1 : null);
            return engine;
        }
        SSLEngine engine = serverName == null ? context.createSSLEngine() : context.createSSLEngine(serverName, -1);
        engine.setUseClientMode(false);
        engine.setSSLParameters(parameters);
        engine.setHandshakeApplicationProtocolSelector((e, offered) -> selectProtocol(offered));
        return engine;
    }

    /** The first protocol of ours that the client offers; null (a {@code no_application_protocol} alert) if none. */
    private String selectProtocol(List<String> offered) {
        if (offered.isEmpty()) {
            return "";
        }
        for (String protocol : protocols.sequencedKeySet()) {
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
        return "JDK SSLEngine (" + context.getProvider().getName() + "), " + String.join(" ", parameters.getProtocols())
                + ", ALPN " + String.join(" ", protocols());
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
