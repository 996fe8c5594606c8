package dev.webroot.httpd.tls;

import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SequencedCollection;
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
 * The JDK's TLS engine: one {@link SSLContext} whose key manager picks the certificate by SNI, and
 * the profile every {@link SSLEngine} gets.
 */
final class JsseEngine implements TlsEngine {
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
    private final SequencedCollection<String> protocols;
    private final int packetBytes;
    private final int applicationBytes;

    JsseEngine(X509ExtendedKeyManager keys, Predicate<String> hasCertificate, SequencedCollection<String> protocols,
            AlpnChallenges challenges) {
        context = newContext(keys);
        this.challenges = challenges;
        challengeContext = challenges == null ? null : newContext(challenges.keyManager());
        challengeParameters = challenges == null ? null : profile(challengeContext, challenges::has);
        this.protocols = List.copyOf(protocols);
        this.parameters = profile(context, hasCertificate);
        SSLEngine probe = newEngine(null, false);
        this.packetBytes = probe.getSession().getPacketBufferSize();
        this.applicationBytes = probe.getSession().getApplicationBufferSize();
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
    public TlsConnection open(TlsConnectionFactory factory, String remoteAddress) {
        return new JsseConnection(factory, remoteAddress);
    }

    /**
     * An engine for one handshake. The server name the hello asked for is passed as the engine's peer
     * host, which the key manager falls back to while JSSE restores a session from a ticket: it
     * chooses the certificate then, before it has read the hello's server_name extension. A hello
     * offering {@code acme-tls/1} for a name with a pending TLS-ALPN-01 challenge gets an engine that
     * presents the challenge certificate and agrees on nothing else.
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
        engine.setHandshakeApplicationProtocolSelector(
                (e, offered) -> TlsConnectionFactory.selectProtocol(protocols, offered));
        return engine;
    }

    @Override
    public String describe() {
        return "JDK SSLEngine (" + context.getProvider().getName() + "), " + String.join(" ", parameters.getProtocols());
    }

    @Override
    public int packetBytes() {
        return packetBytes;
    }

    @Override
    public int applicationBytes() {
        return applicationBytes;
    }

    @Override
    public boolean nativeBuffers() {
        return false;
    }
}
