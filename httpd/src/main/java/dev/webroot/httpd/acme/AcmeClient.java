package dev.webroot.httpd.acme;

import dev.webroot.httpd.core.ChallengeResponder;
import dev.webroot.httpd.tls.AlpnChallenges;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Authorization;
import org.shredzone.acme4j.Identifier;
import org.shredzone.acme4j.Login;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.OrderBuilder;
import org.shredzone.acme4j.RenewalInfo;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Challenge;
import org.shredzone.acme4j.challenge.Http01Challenge;
import org.shredzone.acme4j.challenge.TlsAlpn01Challenge;
import org.shredzone.acme4j.connector.NetworkSettings;
import org.shredzone.acme4j.connector.Resource;
import org.shredzone.acme4j.exception.AcmeException;
import org.shredzone.acme4j.exception.AcmeProtocolException;
import org.shredzone.acme4j.exception.AcmeServerException;
import org.shredzone.acme4j.provider.GenericAcmeProvider;
import org.shredzone.acme4j.toolbox.AcmeUtils;

/**
 * One ACME account at one CA (RFC 8555, through acme4j): registers (or finds) the account for its
 * key, then orders a certificate for one DNS name, answering the CA's challenge on this server's own
 * listeners: HTTP-01 on the cleartext ones when there are any, else TLS-ALPN-01 on the TLS ones.
 * Reads the CA's renewal information (RFC 9773) when its directory offers it, and then names the
 * certificate an order renews. Thread-safe: orders for different names run at once.
 */
final class AcmeClient {
    /** How long the CA may take to validate a challenge or to issue. */
    private static final Duration CA_TIMEOUT = Duration.ofMinutes(2);
    private static final URI ACCOUNT_DOES_NOT_EXIST = URI.create("urn:ietf:params:acme:error:accountDoesNotExist");

    private final Session session;
    private final KeyPair accountKey;
    private final String email;
    private final ChallengeResponder http;
    private final AlpnChallenges alpn;
    private Login login;

    /**
     * @param trust PEM trust anchors for the CA's HTTPS certificate, or null for the JDK's
     * @param http where HTTP-01 answers are published, or null when there is no cleartext listener
     * @param alpn where TLS-ALPN-01 certificates are published
     */
    AcmeClient(URI directory, Path trust, KeyPair accountKey, String email, ChallengeResponder http,
            AlpnChallenges alpn) throws IOException, GeneralSecurityException {
        SSLContext tls = trust == null ? SSLContext.getDefault() : trusting(trust);
        this.session = new Session(directory, new GenericAcmeProvider() {
            @Override
            public HttpClient createHttpClient(NetworkSettings settings) {
                return HttpClient.newBuilder()
                        .followRedirects(HttpClient.Redirect.NORMAL)
                        .connectTimeout(settings.getTimeout())
                        .proxy(settings.getProxySelector())
                        .sslContext(tls)
                        .build();
            }
        });
        this.accountKey = accountKey;
        this.email = email;
        this.http = http;
        this.alpn = alpn;
    }

    /** An SSLContext trusting exactly the certificates of a PEM file. */
    static SSLContext trusting(Path pem) throws IOException, GeneralSecurityException {
        KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
        anchors.load(null, null);
        int n = 0;
        try (InputStream in = Files.newInputStream(pem)) {
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                anchors.setCertificateEntry("anchor-" + n++, certificate);
            }
        } catch (IOException e) {
            throw new IOException("--acme-trust " + pem + ": cannot read it (" + e + ")", e);
        } catch (GeneralSecurityException e) {
            throw new GeneralSecurityException("--acme-trust " + pem + ": not PEM certificates (" + e.getMessage() + ")", e);
        }
        if (n == 0) {
            throw new GeneralSecurityException("--acme-trust " + pem + " holds no PEM certificate");
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(anchors);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    /** The account, registered on first use (the CA answers an existing one for a known key). */
    private synchronized Login login() throws AcmeException {
        if (login == null) {
            AccountBuilder account = new AccountBuilder().agreeToTermsOfService().useKeyPair(accountKey);
            if (email != null) {
                account.addEmail(email);
            }
            login = account.createLogin(session);
        }
        return login;
    }

    /** Drops {@code stale} so the next {@link #login()} registers the key again (unless another order already did). */
    private synchronized void forget(Login stale) {
        if (login == stale) {
            login = null;
        }
    }

    /** Whether the CA's directory offers renewal information (RFC 9773); reads the directory if it is not cached. */
    boolean offersRenewalInfo() throws AcmeException {
        return session.resourceUrlOptional(Resource.RENEWAL_INFO).isPresent();
    }

    /** The CA's renewal information for {@code leaf}, which it issued; only when {@link #offersRenewalInfo()}. */
    RenewalPolicy.RenewalWindow renewalWindow(X509Certificate leaf) throws AcmeException {
        RenewalInfo info = login().bindRenewalInfo(leaf);
        Instant retryAfter = info.fetch().orElse(null);
        return new RenewalPolicy.RenewalWindow(info.getSuggestedWindowStart(), info.getSuggestedWindowEnd(),
                retryAfter);
    }

    /**
     * Orders and downloads a certificate for {@code name} with a key of {@code domainKey}: the chain,
     * leaf first. {@code replacing} (null: none) is the certificate it renews, named to the CA as
     * replaced when the CA offers renewal information.
     */
    List<X509Certificate> order(String name, KeyPair domainKey, X509Certificate replacing)
            throws AcmeException, InterruptedException {
        String replaced = null;
        if (replacing != null && offersRenewalInfo()) {
            try {
                replaced = AcmeUtils.getRenewalUniqueIdentifier(replacing);
            } catch (AcmeProtocolException e) {
                // A leaf without an authority key identifier is not from an ACME CA: it replaces nothing there.
            }
        }
        Login account = login();
        Order order;
        try {
            order = newOrder(account, name, replaced);
        } catch (AcmeServerException e) {
            if (!ACCOUNT_DOES_NOT_EXIST.equals(e.getType())) {
                throw e;
            }
            // The CA no longer knows the account (deactivated, or a test CA restarted): register the key again.
            forget(account);
            order = newOrder(login(), name, replaced);
        }
        for (Authorization authorization : order.getAuthorizations()) {
            if (authorization.getStatus() != Status.VALID) {
                authorize(name, authorization);
            }
        }
        if (order.waitUntilReady(CA_TIMEOUT) != Status.READY) {
            throw new AcmeException("the order is " + describe(order.getStatus())
                    + order.getError().map(p -> ": " + p).orElse(""));
        }
        order.execute(domainKey);
        if (order.waitForCompletion(CA_TIMEOUT) != Status.VALID) {
            throw new AcmeException("finalizing failed, the order is " + describe(order.getStatus())
                    + order.getError().map(p -> ": " + p).orElse(""));
        }
        return order.getCertificate().getCertificateChain();
    }

    /** @param replaced the RFC 9773 identifier of the certificate this order replaces, or null */
    private static Order newOrder(Login account, String name, String replaced) throws AcmeException {
        OrderBuilder builder = account.newOrder().domain(name);
        if (replaced != null) {
            builder.replaces(replaced);
        }
        return builder.create();
    }

    private void authorize(String name, Authorization authorization) throws AcmeException, InterruptedException {
        Http01Challenge httpChallenge = http == null ? null
                : authorization.findChallenge(Http01Challenge.class).orElse(null);
        Challenge challenge;
        Runnable withdraw;
        if (httpChallenge != null) {
            http.publish(httpChallenge.getToken(), httpChallenge.getAuthorization());
            challenge = httpChallenge;
            withdraw = () -> http.withdraw(httpChallenge.getToken());
        } else {
            TlsAlpn01Challenge alpnChallenge = authorization.findChallenge(TlsAlpn01Challenge.class)
                    .orElseThrow(() -> new AcmeException("the CA offers neither http-01"
                            + (http == null ? " (and there is no cleartext listener for it)" : "")
                            + " nor tls-alpn-01 for " + name));
            KeyPair key = Keys.rsa();
            alpn.publish(name, alpnChallenge.createCertificate(key, Identifier.dns(name)), key.getPrivate());
            challenge = alpnChallenge;
            withdraw = () -> alpn.withdraw(name);
        }
        try {
            challenge.trigger();
            Status status = challenge.waitForCompletion(CA_TIMEOUT);
            if (status != Status.VALID) {
                throw new AcmeException(challenge.getType() + " validation failed"
                        + challenge.getError().map(p -> ": " + p).orElse(" (" + describe(status) + ")"));
            }
        } finally {
            withdraw.run();
        }
    }

    private static String describe(Status status) {
        return status.name().toLowerCase(java.util.Locale.ROOT);
    }
}
