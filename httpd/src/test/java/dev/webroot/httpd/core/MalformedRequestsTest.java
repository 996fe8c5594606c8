package dev.webroot.httpd.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The corpus of malformed and smuggling requests ({@code malformed-requests.txt} plus a few generated
 * oversized heads): each is refused with its status and {@code Connection: close}, the connection
 * closes, and the valid request pipelined after it is never answered.
 */
class MalformedRequestsTest {
    static final String FOLLOW_UP = "GET /plain.txt HTTP/1.1\r\nHost: site.test\r\n\r\n";

    @RegisterExtension
    static final SharedTestSites fixture = new SharedTestSites();

    static List<MalformedCorpus.Case> corpus() {
        List<MalformedCorpus.Case> cases = new ArrayList<>(MalformedCorpus.load());
        String host = "Host: site.test\r\n";
        cases.add(generated(414, "GET /" + "a".repeat(8188) + " HTTP/1.1\r\n" + host + "\r\n", "request line of 8193 bytes"));
        cases.add(generated(414, "GET /" + "a".repeat(20000), "endless request line"));
        cases.add(generated(431, "GET / HTTP/1.1\r\n" + host + ("X-Filler: " + "b".repeat(1000) + "\r\n").repeat(33) + "\r\n",
                "header section over 32 KiB"));
        cases.add(generated(431, "GET / HTTP/1.1\r\n" + host + "X: " + "c".repeat(40000), "endless field line"));
        cases.add(generated(431, "GET / HTTP/1.1\r\n" + host + "X: y\r\n".repeat(100) + "\r\n", "101 fields"));
        return cases;
    }

    private static MalformedCorpus.Case generated(int status, String request, String description) {
        return new MalformedCorpus.Case(status, request.getBytes(StandardCharsets.ISO_8859_1), description);
    }

    static Stream<Arguments> cases() {
        return corpus().stream().map(Arguments::of);
    }

    static byte[] withFollowUp(byte[] request) {
        byte[] follow = FOLLOW_UP.getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = java.util.Arrays.copyOf(request, request.length + follow.length);
        System.arraycopy(follow, 0, all, request.length, follow.length);
        return all;
    }

    Driver driver() {
        return new Driver(fixture.connection(1));
    }

    @Test
    void theCorpusIsLargeEnough() {
        assertThat(corpus()).hasSizeGreaterThanOrEqualTo(100);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void isRefusedAndNothingAfterItIsAnswered(MalformedCorpus.Case c) {
        byte[] input = withFollowUp(c.request());
        Driver whole = driver().feed(input);
        String out = whole.output();
        assertThat(out).startsWith("HTTP/1.1 " + c.status() + " ");
        int headerEnd = out.indexOf("\r\n\r\n") + 4;
        String header = out.substring(0, headerEnd);
        assertThat(header).contains("\r\nConnection: close\r\n").contains("\r\nContent-Type: text/plain; charset=utf-8\r\n");
        if (c.status() == 405) {
            assertThat(header).contains("\r\nAllow: GET, HEAD\r\n");
        }
        Matcher length = Pattern.compile("\r\nContent-Length: (\\d+)\r\n").matcher(header);
        assertThat(length.find()).isTrue();
        boolean head = new String(c.request(), StandardCharsets.ISO_8859_1).startsWith("HEAD ");
        assertThat(out.length() - headerEnd).isEqualTo(head ? 0 : Integer.parseInt(length.group(1)));
        assertThat(whole.closeRequested).isTrue();
        fixture.sites().assertBalanced();

        Driver bytewise = driver().feedBytewise(input);
        assertThat(bytewise.output()).isEqualTo(out);
        assertThat(bytewise.closeRequested).isTrue();
        Driver slowWrites = driver();
        slowWrites.writeChunk = 1;
        slowWrites.feed(input);
        assertThat(slowWrites.output()).isEqualTo(out);
        fixture.sites().assertBalanced();
    }
}
