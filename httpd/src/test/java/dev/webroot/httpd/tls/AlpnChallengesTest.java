package dev.webroot.httpd.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.httpd.tls.TestCertificates.KeyType;
import dev.webroot.io.ConnectionFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TLS-ALPN-01 on the TLS layer: a hello offering {@code acme-tls/1} for a name with a pending
 * challenge gets the challenge certificate (even for a name with no certificate of its own) and the
 * connection closes after the handshake; every other hello is served as before. The JDK engine here,
 * the OpenSSL one in {@link OpenSslAlpnChallengesTest}.
 */
class AlpnChallengesTest {
    private static TestCertificates.Authority ca;
    private static SSLContext trustingAnything;
    private static SiteKeys site;
    static TestCertificates.Issued siteIssued;

    /** The site certificate for site.test, as a key manager. */
    private record SiteKeys(javax.net.ssl.X509ExtendedKeyManager keys, X509Certificate leaf) {}

    final AlpnChallenges challenges = new AlpnChallenges();
    private int opened;

    @BeforeAll
    static void certificates() throws Exception {
        ca = TestCertificates.createAuthority("alpn test CA");
        TestCertificates.Issued issued = ca.issue(KeyType.EC, "site.test");
        siteIssued = issued;
        java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("site", issued.keys().getPrivate(), "x".toCharArray(), issued.chain());
        javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance("PKIX");
        kmf.init(store, "x".toCharArray());
        site = new SiteKeys((javax.net.ssl.X509ExtendedKeyManager) kmf.getKeyManagers()[0],
                issued.leaf());
        trustingAnything = SSLContext.getInstance("TLS");
        trustingAnything.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
    }

    /** A factory with the JDK engine serving site.test; {@link OpenSslAlpnChallengesTest} makes an OpenSSL one. */
    TlsConnectionFactory factory() {
        return new TlsConnectionFactory(site.keys(), "site.test"::equals, protocols(), Duration.ofSeconds(10),
                Duration.ofSeconds(60), challenges);
    }

    /** HTTP/1.1 as an echo protocol, counting the connections opened. */
    LinkedHashMap<String, ConnectionFactory> protocols() {
        LinkedHashMap<String, ConnectionFactory> protocols = new LinkedHashMap<>();
        protocols.put(TlsConnectionFactory.HTTP_1_1, remote -> {
            opened++;
            return new EchoConnection();
        });
        return protocols;
    }

    private static SSLEngine client(String serverName, String... protocols) {
        SSLEngine engine = trustingAnything.createSSLEngine();
        engine.setUseClientMode(true);
        SSLParameters p = engine.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName(serverName)));
        p.setApplicationProtocols(protocols);
        engine.setSSLParameters(p);
        return engine;
    }

    /** Runs a handshake to its end; an acme-tls/1 client sends no application data. */
    private static TlsConnectionTest.Pair handshake(SSLEngine client, TlsConnectionFactory factory) throws Exception {
        client.beginHandshake();
        return new TlsConnectionTest.Pair(client, factory.open("r")).run();
    }

    private static X509Certificate peer(SSLEngine client) throws SSLPeerUnverifiedException {
        return (X509Certificate) client.getSession().getPeerCertificates()[0];
    }

    @Test
    void anAcmeTlsHelloForAPendingNameGetsTheChallengeCertificateAndIsClosed() throws Exception {
        TestCertificates.Issued challenge = ca.issue(KeyType.RSA, "new.test");
        challenges.publish("new.test", challenge.leaf(), challenge.keys().getPrivate());
        TlsConnectionFactory f = factory();
        assertThat(f.protocols()).containsExactly("http/1.1", "acme-tls/1");
        TlsConnectionTest.Pair pair = handshake(client("new.test", "acme-tls/1"), f);
        assertThat(pair.clientFailure).isNull();
        assertThat(pair.client.getApplicationProtocol()).isEqualTo("acme-tls/1");
        assertThat(peer(pair.client)).isEqualTo(challenge.leaf());
        assertThat(pair.clientSawCloseNotify).isTrue();
        assertThat(opened).isZero();
    }

    @Test
    void otherHellosForThatNameKeepTheSiteCertificate() throws Exception {
        TestCertificates.Issued challenge = ca.issue(KeyType.RSA, "site.test");
        challenges.publish("site.test", challenge.leaf(), challenge.keys().getPrivate());
        TlsConnectionTest.Pair pair = new TlsConnectionTest.Pair(client("site.test", "http/1.1"), factory().open("r"));
        pair.send("x\n");
        pair.run();
        assertThat(pair.text()).isEqualTo("X\n");
        assertThat(peer(pair.client)).isEqualTo(site.leaf());
    }

    @Test
    void aWithdrawnChallengeIsUnrecognized() throws Exception {
        TestCertificates.Issued challenge = ca.issue(KeyType.RSA, "new.test");
        challenges.publish("new.test", challenge.leaf(), challenge.keys().getPrivate());
        challenges.withdraw("new.test");
        TlsConnectionTest.Pair pair = handshake(client("new.test", "acme-tls/1"), factory());
        assertThat(pair.clientFailure).hasMessageContaining("unrecognized_name");
    }

    @Test
    void anAcmeTlsHelloForTheSiteWithoutAPendingChallengeAgreesOnNoProtocol() throws Exception {
        TlsConnectionTest.Pair pair = handshake(client("site.test", "acme-tls/1"), factory());
        assertThat(pair.clientFailure).hasMessageContaining("no_application_protocol");
        assertThat(opened).isZero();
    }
}
