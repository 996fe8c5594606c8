package dev.webroot.httpd.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The ACME TLS-ALPN-01 challenge certificates (RFC 8737) pending on the TLS listeners, by the DNS
 * name they validate: a handshake whose hello offers {@code acme-tls/1} for such a name is answered
 * with that self-signed certificate and closed once it completes; every other handshake is untouched.
 */
public final class AlpnChallenges {
    public static final String ACME_TLS_1 = "acme-tls/1";

    /** A challenge certificate (self-signed, with the acmeIdentifier extension) and its key. */
    record Pending(X509Certificate certificate, PrivateKey key) {}

    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final X509ExtendedKeyManager keyManager = new ChallengeKeyManager();

    /** Presents {@code certificate} to acme-tls/1 handshakes for {@code name} (lowercase) until {@link #withdraw}. */
    public void publish(String name, X509Certificate certificate, PrivateKey key) {
        pending.put(name, new Pending(certificate, key));
    }

    public void withdraw(String name) {
        pending.remove(name);
    }

    boolean has(String name) {
        return name != null && pending.containsKey(name);
    }

    /** The challenge pending for {@code name}, or null. */
    Pending pending(String name) {
        return name == null ? null : pending.get(name);
    }

    X509ExtendedKeyManager keyManager() {
        return keyManager;
    }

    /** Aliases are the names themselves; the challenge key is EC or RSA, whichever the manager made. */
    private final class ChallengeKeyManager extends X509ExtendedKeyManager {
        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            String name = engine == null ? null : SniKeyManager.requestedHostName(engine.getHandshakeSession());
            if (name == null && engine != null) {
                name = engine.getPeerHost();
            }
            Pending challenge = name == null ? null : pending.get(name);
            return challenge != null && suits(challenge.key(), keyType) ? name : null;
        }

        /** As {@link PemBundle#hasKeyType}: JSSE asks for "EC", "RSA", or such a name with a suffix. */
        private static boolean suits(PrivateKey key, String keyType) {
            String algorithm = key.getAlgorithm();
            return keyType != null && (keyType.equals(algorithm) || keyType.startsWith(algorithm + "_"));
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            Pending challenge = alias == null ? null : pending.get(alias);
            return challenge == null ? null : new X509Certificate[] {challenge.certificate()};
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            Pending challenge = alias == null ? null : pending.get(alias);
            return challenge == null ? null : challenge.key();
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return pending.keySet().toArray(String[]::new);
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return null;
        }
    }
}
