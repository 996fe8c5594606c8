package dev.webroot.httpd.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a listener adds to every answer: the HTTPS redirect of cleartext listeners and HSTS on TLS ones, byte for byte. */
class ListenerPolicyTest {
    private static final String D = "Date: " + TestSites.DATE + "\r\n";

    @TempDir
    Path dir;
    TestSites sites;

    @BeforeEach
    void setUp() throws IOException {
        sites = TestSites.create(dir);
    }

    @AfterEach
    void tearDown() throws IOException {
        sites.close();
    }

    private Driver driver(ListenerPolicy policy) {
        return new Driver(new HttpConnection(new WorkspacePool(sites, Limits.defaults(), TestSites.DATES,
                AccessLog.DISABLED, policy), "192.0.2.1"));
    }

    @Test
    void cleartextRequestsAreRedirectedToTheSameHostAndTargetOnTheHttpsPort() {
        Driver d = driver(ListenerPolicy.redirectToHttps(8443))
                .feed("GET /plain.txt?a=1&b=%20 HTTP/1.1\r\nHost: Site.Test:8080\r\n\r\n");
        assertThat(d.output()).isEqualTo("HTTP/1.1 308 Permanent Redirect\r\n" + D
                + "Location: https://site.test:8443/plain.txt?a=1&b=%20\r\nContent-Length: 0\r\n\r\n");
        sites.assertBalanced();
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
