package dev.webroot.httpd.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A refused request is logged with as much of its request line as arrived, not "-". */
class RefusedRequestLogTest {
    @RegisterExtension
    static final SharedTestSites fixture = new SharedTestSites();
    final List<String> logged = new ArrayList<>();
    final List<Boolean> truncated = new ArrayList<>();

    private String logOf(String input) {
        logged.clear();
        truncated.clear();
        AccessLog log = r -> {
            logged.add(r.status() + " " + r.requestLine());
            truncated.add(r.requestLine().truncated());
        };
        Driver d = new Driver(new HttpConnection(new WorkspacePool(fixture.sites(), Limits.defaults(), TestSites.DATES, log, 1), "a"));
        d.feed(input);
        assertThat(logged).hasSize(1);
        return logged.getFirst();
    }

    @Test
    void aBadRequestLineIsLoggedAsReceived() {
        assertThat(logOf("GET /a\u0001b HTTP/1.1\r\nHost: site.test\r\n\r\n")).isEqualTo("400 GET /a\u0001b HTTP/1.1");
        assertThat(logOf("GET / HTTP/1.1\nHost: site.test\r\n\r\n")).isEqualTo("400 GET / HTTP/1.1");
        assertThat(logOf("\r\nBAD LINE\r\n\r\n")).isEqualTo("400 BAD LINE");
        String binary = "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u00fc\u0003\u0003";
        assertThat(logOf(binary + "\r\n")).isEqualTo("400 " + binary);
    }

    @Test
    void anUnsupportedVersionIsLoggedWithItsLine() {
        assertThat(logOf("GET / HTTP/2.0\r\nHost: site.test\r\n\r\n")).isEqualTo("505 GET / HTTP/2.0");
    }

    @Test
    void aTooLongRequestLineIsLoggedCutAtTheFieldCap() {
        String target = "/" + "a".repeat(9000);
        assertThat(logOf("GET " + target)).isEqualTo("414 " + ("GET " + target).substring(0, AccessRecord.MAX_REQUEST_LINE));
        assertThat(truncated).containsExactly(true);
    }

    @Test
    void aHeadRefusedAfterItsRequestLineKeepsTheParsedLine() {
        String huge = "GET /plain.txt HTTP/1.1\r\nHost: site.test\r\nX: " + "y".repeat(40_000) + "\r\n\r\n";
        assertThat(logOf(huge)).isEqualTo("431 GET /plain.txt HTTP/1.1");
        assertThat(truncated).containsExactly(false);
    }

    @Test
    void anAnsweredRequestIsLoggedWithItsLine() {
        assertThat(logOf("GET /plain.txt HTTP/1.1\r\nHost: site.test\r\n\r\n")).isEqualTo("200 GET /plain.txt HTTP/1.1");
    }
}
