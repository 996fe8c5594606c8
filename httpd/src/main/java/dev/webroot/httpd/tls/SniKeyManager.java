package dev.webroot.httpd.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.StandardConstants;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The server side of a handshake: picks the certificate by the SNI host name the client sent, from
 * whatever index the store holds at that moment, so one instance (and one SSLContext) serves across
 * reloads. An alias names one version of one file; when that file's key does not suit the key type
 * JSSE asks for, the answer is no alias, and JSSE tries its next signature scheme.
 */
final class SniKeyManager extends X509ExtendedKeyManager {
    private final Supplier<CertificateIndex> index;

    SniKeyManager(Supplier<CertificateIndex> index) {
        this.index = index;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        if (engine == null) {
            return chooseAlias(keyType, (String) null);
        }
        String name = requestedHostName(engine.getHandshakeSession());
        // Restoring a session from a ticket chooses before the hello's server_name is read: the TLS
        // layer then has the name it read from the hello set as the engine's peer host.
        return chooseAlias(keyType, name != null ? name : engine.getPeerHost());
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return chooseAlias(keyType, socket instanceof SSLSocket tls ? tls.getHandshakeSession() : null);
    }

    private String chooseAlias(String keyType, SSLSession handshake) {
        return chooseAlias(keyType, requestedHostName(handshake));
    }

    private String chooseAlias(String keyType, String serverName) {
        LoadedCertificate certificate = index.get().select(serverName);
        return certificate != null && keyType != null && certificate.bundle().hasKeyType(keyType)
                ? certificate.alias() : null;
    }

    /** The SNI host name of a handshake, lowercased, or null when the client sent none. */
    static String requestedHostName(SSLSession handshake) {
        if (!(handshake instanceof ExtendedSSLSession extended)) {
            return null;
        }
        for (SNIServerName name : extended.getRequestedServerNames()) {
            if (name.getType() == StandardConstants.SNI_HOST_NAME && name instanceof SNIHostName host) {
                return host.getAsciiName().toLowerCase(Locale.ROOT);
            }
        }
        return null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        List<String> aliases = index.get().aliases(keyType);
        return aliases.isEmpty() ? null : aliases.toArray(String[]::new);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        LoadedCertificate certificate = index.get().byAlias(alias);
        return certificate == null ? null : certificate.bundle().chain();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        LoadedCertificate certificate = index.get().byAlias(alias);
        return certificate == null ? null : certificate.bundle().key();
    }

    /** This is a server's key manager: it never authenticates as a client. */
    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return null;
    }
}
