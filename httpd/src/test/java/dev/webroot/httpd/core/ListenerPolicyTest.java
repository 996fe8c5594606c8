package dev.webroot.httpd.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What a listener adds to every answer: the HTTPS redirect of cleartext listeners and HSTS on TLS ones, byte for byte. */
class ListenerPolicyTest {
    private static final String D = "Date: " + TestSites.DATE + "\r\n";

    @RegisterExtension
    static final SharedTestSites fixture = new SharedTestSites();

    private Driver driver(ListenerPolicy policy) {
        return new Driver(new HttpConnection(new WorkspacePool(fixture.sites(), Limits.defaults(), TestSites.DATES,
                AccessLog.DISABLED, policy), "192.0.2.1"));
    }

    /** Answers /status with its own text and the path it was given; nothing else. */
    private static final Responder STATUS = (path, length) -> {
        String p = new String(path, 0, length, java.nio.charset.StandardCharsets.UTF_8);
        return p.equals("/status") ? Responder.Answer.text(200, "up at " + p + "\n")
                : p.equals("/busy") ? new Responder.Answer(503, "application/json", "{}".getBytes()) : null;
    };

    @Test
    void aResponderAnswersEveryHostWithoutASiteLookup() {
        Driver d = driver(ListenerPolicy.respondWith(STATUS))
                .feed("GET /./status?x=1 HTTP/1.1\r\nHost: no-such-site.test\r\n\r\n"
                        + "GET /busy HTTP/1.1\r\nHost: site.test\r\n\r\n"
                        + "HEAD /status HTTP/1.1\r\nHost: x\r\n\r\n"
                        + "GET /plain.txt HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n");
        assertThat(d.output()).isEqualTo("HTTP/1.1 200 OK\r\n" + D
                + "Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\nContent-Length: 14\r\n\r\n"
                + "up at /status\n"
                + "HTTP/1.1 503 Service Unavailable\r\n" + D
                + "Content-Type: application/json\r\nCache-Control: no-store\r\nContent-Length: 2\r\n\r\n{}"
                + "HTTP/1.1 200 OK\r\n" + D
                + "Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\nContent-Length: 14\r\n\r\n"
                + "HTTP/1.1 404 Not Found\r\n" + D
                + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\nConnection: close\r\n\r\nNot Found\n");
        fixture.sites().assertBalanced();
    }

    @Test
    void aResponderIsNotAskedAboutRequestsTheCoreRefuses() {
        Driver d = driver(ListenerPolicy.respondWith((path, length) -> {
            throw new AssertionError("asked");
        })).feed("POST /status HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(d.output()).startsWith("HTTP/1.1 405 Method Not Allowed\r\n");
    }

    @Test
    void cleartextRequestsAreRedirectedToTheSameHostAndTargetOnTheHttpsPort() {
        Driver d = driver(ListenerPolicy.redirectToHttps(8443))
                .feed("GET /plain.txt?a=1&b=%20 HTTP/1.1\r\nHost: Site.Test:8080\r\n\r\n");
        assertThat(d.output()).isEqualTo("HTTP/1.1 308 Permanent Redirect\r\n" + D
                + "Location: https://site.test:8443/plain.txt?a=1&b=%20\r\nContent-Length: 0\r\n\r\n");
        fixture.sites().assertBalanced();
    }

    @Test
    void theDefaultHttpsPortIsLeftOutAndAbsoluteFormTargetsKeepOnlyPathAndQuery() {
        Driver d = driver(ListenerPolicy.redirectToHttps(443))
                .feed("HEAD http://site.test/dir/?x HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n");
        assertThat(d.output()).isEqualTo("HTTP/1.1 308 Permanent Redirect\r\n" + D
                + "Location: https://site.test/dir/?x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    }

    @Test
    void acmeChallengesAreServedInCleartext() {
        Driver d = driver(ListenerPolicy.redirectToHttps(8443))
                .feed("GET /.well-known/acme-challenge/token HTTP/1.1\r\nHost: site.test\r\n\r\n");
        assertThat(d.output()).startsWith("HTTP/1.1 404 Not Found\r\n");
    }

    @Test
    void aRequestWithoutAHostCannotBeRedirectedAndIsRefused() {
        Driver d = driver(ListenerPolicy.redirectToHttps(8443)).feed("GET / HTTP/1.0\r\n\r\n");
        assertThat(d.output()).startsWith("HTTP/1.1 400 Bad Request\r\n").contains("Connection: close\r\n");
    }

    @Test
    void httpsListenersAddHstsToEveryResponseErrorsIncluded() {
        Driver d = driver(ListenerPolicy.https(31536000))
                .feed("GET /plain.txt HTTP/1.1\r\nHost: site.test\r\n\r\nGET /nope HTTP/1.1\r\nHost: site.test\r\n\r\n");
        String hsts = "Strict-Transport-Security: max-age=31536000\r\n";
        assertThat(d.output()).startsWith("HTTP/1.1 200 OK\r\n" + D + hsts + "ETag: ")
                .contains("HTTP/1.1 404 Not Found\r\n" + D + hsts);
    }

    @Test
    void withoutHstsHttpsAddsNothing() {
        String plain = driver(ListenerPolicy.PLAIN).feed("GET /plain.txt HTTP/1.1\r\nHost: site.test\r\n\r\n").output();
        String https = driver(ListenerPolicy.https(-1)).feed("GET /plain.txt HTTP/1.1\r\nHost: site.test\r\n\r\n").output();
        assertThat(https).isEqualTo(plain).doesNotContain("Strict-Transport-Security");
    }
}
