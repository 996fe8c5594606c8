package dev.webroot.httpd.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bytes that cannot begin a request line are refused with 400 and a close as soon as they arrive,
 * before any line end: a TLS client's first bytes sent to the cleartext port must not wait for the
 * request-head timeout. Each input is fed whole and split at every position, with the same answer.
 */
class NotHttpRequestsTest {
    @RegisterExtension
    static final SharedTestSites fixture = new SharedTestSites();

    /** The input, and how many of its bytes suffice for the refusal. */
    static Stream<Arguments> inputs() {
        return Stream.of(
                Arguments.of("TLS 1.2 ClientHello record", hex("160301020001000200fc0303") + "GET / HTTP/1.1\r\n", 1),
                Arguments.of("TLS ClientHello after the tolerated empty line", "\r\n" + hex("1603010200"), 3),
                Arguments.of("SSLv2-compatible hello", hex("802e0100020015000000100000"), 1),
                Arguments.of("CR not followed by LF", "\rGET / HTTP/1.1\r\n", 2),
                Arguments.of("NUL", "\0GET / HTTP/1.1\r\nHost: site.test\r\n\r\n", 1),
                Arguments.of("control byte", "\u0001GET /", 1),
                Arguments.of("DEL", "\u007fGET /", 1),
                Arguments.of("tab before the method", "\tGET / HTTP/1.1\r\n", 1),
                Arguments.of("space before the method", " GET / HTTP/1.1\r\n", 1),
                Arguments.of("bare LF", "\nGET / HTTP/1.1\r\n", 1),
                Arguments.of("a second empty line", "\r\n\r\nGET / HTTP/1.1\r\n", 3),
                Arguments.of("byte above 0x7f", "\u00e9GET /", 1));
    }

    private static String hex(String digits) {
        return new String(HexFormat.of().parseHex(digits), java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    Driver driver() {
        return new Driver(fixture.connection(1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inputs")
    void isRefusedAtOnceWhateverTheSplit(String description, String input, int enough) {
        Driver prefix = driver().feed(input.substring(0, enough));
        String out = prefix.output();
        assertThat(out).as("the answer to the first %d bytes alone", enough).startsWith("HTTP/1.1 400 ");
        assertThat(out).contains("\r\nConnection: close\r\n");
        assertThat(prefix.closeRequested).isTrue();
        if (enough > 1) {
            assertThat(driver().feed(input.substring(0, enough - 1)).output()).as("one byte fewer").isEmpty();
        }
        for (int split = 1; split < input.length(); split++) {
            Driver splitFeed = driver().feed(input, split);
            assertThat(splitFeed.output()).as("split at %d", split).isEqualTo(out);
            assertThat(splitFeed.closeRequested).isTrue();
        }
        assertThat(driver().feedBytewise(input.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)).output())
                .isEqualTo(out);
        fixture.sites().assertBalanced();
    }

    @Test
    void theToleratedEmptyLineStillWaitsForTheRequest() {
        assertThat(driver().feed("\r").output()).isEmpty();
        assertThat(driver().feed("\r\n").output()).isEmpty();
        assertThat(driver().feed("\r\nGET /plain.txt HTTP/1.1\r\nHost: site.test\r\n\r\n").output())
                .startsWith("HTTP/1.1 200 ");
    }
}
