package dev.webroot.httpd.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.format.Webroot;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A site out of service, or a body whose bytes do not match its hash, is answered 503 with Retry-After, never with the body. */
class OutOfServiceTest {
    private static final String D = "Date: " + TestSites.DATE + "\r\n";
    private static final String UNAVAILABLE = "HTTP/1.1 503 Service Unavailable\r\n" + D
            + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 20\r\nRetry-After: 5\r\n\r\n";

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

    private static Driver driver(Sites sites) {
        return new Driver(new HttpConnection(new WorkspacePool(sites, Limits.defaults(), TestSites.DATES, AccessLog.DISABLED), "a"));
    }

    @Test
    void aSiteOutOfServiceIsAnswered503WithRetryAfterAndTheConnectionStaysOpen() {
        Driver d = driver((host, offset, length) -> Sites.OUT_OF_SERVICE).feed(
                "GET /plain.txt HTTP/1.1\r\nHost: site.test\r\n\r\nHEAD / HTTP/1.1\r\nHost: site.test\r\n\r\n");
        assertThat(d.output()).isEqualTo(UNAVAILABLE + "Service Unavailable\n" + UNAVAILABLE);
        assertThat(d.closeRequested).isFalse();
    }

    /** A generation of site.test whose /plain.txt body is known to be damaged. */
    private Sites damagedPlainText() {
        Webroot w = sites.site;
        int damaged = w.representation(w.lookup("/plain.txt"), 0);
        return (host, offset, length) -> {
            Generation g = sites.acquire(host, offset, length);
            return new Generation() {
                @Override
                public Webroot webroot() {
                    return g.webroot();
                }

                @Override
                public void release() {
                    g.release();
                }

                @Override
                public boolean bodyIntact(int representation) {
                    return representation != damaged;
                }
            };
        };
    }

    @Test
    void aDamagedBodyIsAnswered503EvenToAConditionalOrRangeRequestAndOtherFilesAreServed() {
        String etag = TestSites.etag(TestSites.PLAIN);
        Driver d = driver(damagedPlainText()).feed("GET /plain.txt HTTP/1.1\r\nHost: site.test\r\n\r\n"
                + "GET /plain.txt HTTP/1.1\r\nHost: site.test\r\nIf-None-Match: " + etag + "\r\n\r\n"
                + "GET /plain.txt HTTP/1.1\r\nHost: site.test\r\nRange: bytes=0-1\r\n\r\n"
                + "GET /gz.txt HTTP/1.1\r\nHost: site.test\r\n\r\n");
        String body = "Service Unavailable\n";
        assertThat(d.output()).startsWith((UNAVAILABLE + body).repeat(3) + "HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\nhello world\n");
        sites.assertBalanced();
    }
}
