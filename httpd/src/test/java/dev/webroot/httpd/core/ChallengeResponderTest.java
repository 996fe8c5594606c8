package dev.webroot.httpd.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ACME HTTP-01 answers on a cleartext listener: before the HTTPS redirect and the site lookup, byte for byte. */
class ChallengeResponderTest {
    private static final String D = "Date: " + TestSites.DATE + "\r\n";
    private static final String KEY_AUTHORIZATION = "tok-EN_1.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

    @RegisterExtension
    static final SharedTestSites fixture = new SharedTestSites();
    final ChallengeResponder challenges = new ChallengeResponder();

    private Driver driver(ListenerPolicy policy) {
        return new Driver(new HttpConnection(new WorkspacePool(fixture.sites(), Limits.defaults(), TestSites.DATES,
                AccessLog.DISABLED, policy.answering(challenges)), "192.0.2.1"));
    }

    @Test
    void aPendingTokenIsAnsweredWithItsKeyAuthorizationDespiteTheRedirect() {
        challenges.publish("tok-EN_1", KEY_AUTHORIZATION);
        Driver d = driver(ListenerPolicy.redirectToHttps(8443))
                .feed("GET /.well-known/acme-challenge/tok-EN_1 HTTP/1.1\r\nHost: unknown.example\r\n\r\n");
        assertThat(d.output()).isEqualTo("HTTP/1.1 200 OK\r\n" + D + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: " + KEY_AUTHORIZATION.length() + "\r\n\r\n" + KEY_AUTHORIZATION);
    }

    @Test
    void headGetsTheHeaderOnly() {
        challenges.publish("t", KEY_AUTHORIZATION);
        Driver d = driver(ListenerPolicy.PLAIN)
                .feed("HEAD /.well-known/acme-challenge/t HTTP/1.1\r\nHost: site.test\r\n\r\n");
        assertThat(d.output()).startsWith("HTTP/1.1 200 OK\r\n")
                .endsWith("Content-Length: " + KEY_AUTHORIZATION.length() + "\r\n\r\n");
    }

    @Test
    void unknownAndWithdrawnTokensFallThroughToTheSite() {
        challenges.publish("t", KEY_AUTHORIZATION);
        challenges.withdraw("t");
        challenges.publish("other", KEY_AUTHORIZATION);
        String request = "GET /.well-known/acme-challenge/t HTTP/1.1\r\nHost: site.test\r\n\r\n";
        assertThat(driver(ListenerPolicy.PLAIN).feed(request).output()).startsWith("HTTP/1.1 404 Not Found\r\n");
        // The prefix alone, and longer paths, are not tokens.
        assertThat(driver(ListenerPolicy.PLAIN)
                .feed("GET /.well-known/acme-challenge/ HTTP/1.1\r\nHost: site.test\r\n\r\n").output())
                .startsWith("HTTP/1.1 404 Not Found\r\n");
        assertThat(driver(ListenerPolicy.PLAIN)
                .feed("GET /.well-known/acme-challenge/other/x HTTP/1.1\r\nHost: site.test\r\n\r\n").output())
                .startsWith("HTTP/1.1 404 Not Found\r\n");
    }
}
