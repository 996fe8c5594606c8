package dev.webroot.httpd.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.io.Connection.Operation;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Seeded mutation fuzzing of whole requests (a bounded run of about two seconds): mutated requests,
 * followed by a valid one, never throw, always produce a sequence of well-formed HTTP/1.1 responses
 * that a close ends, produce the same bytes however the input is split, and release every generation.
 */
class ParserFuzzTest {
    private static final String[] TEMPLATES = {
        "GET /plain.txt HTTP/1.1\r\nHost: site.test\r\n\r\n",
        "GET /index.html HTTP/1.1\r\nHost: site.test\r\nAccept-Encoding: gzip;q=0.5, br\r\nIf-None-Match: \"x\", W/\"y\"\r\n\r\n",
        "GET /big.bin HTTP/1.1\r\nHost: site.test\r\nRange: bytes=0-10,-5,100-\r\nIf-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n",
        "GET http://bare.test/%70lain.txt?q=1 HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
        "GET /dir/../caf%C3%A9.txt HTTP/1.1\r\nHost: SITE.test.:80\r\nIf-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT\r\n\r\n",
    };
    private static final byte[] SPECIAL = {'\r', '\n', 0, ' ', '\t', ':', ',', ';', '%', '/', '.', '"', '-', '=', (byte) 0xff, (byte) 0xc3, '0', '9'};
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.1 (\\d{3}) [A-Za-z ]+\r\n");
    private static final Pattern FIELD_LINE = Pattern.compile("[A-Za-z-]+: [\\x20-\\x7e]*\r\n");

    @RegisterExtension
    static final SharedTestSites fixture = new SharedTestSites();

    static byte[] mutate(byte[] request, SplittableRandom random) {
        byte[] b = request.clone();
        int mutations = 1 + random.nextInt(4);
        for (int m = 0; m < mutations; m++) {
            int at = random.nextInt(b.length + 1);
            switch (random.nextInt(5)) {
                case 0 -> {
                    if (at < b.length) {
                        b[at] = random.nextBoolean() ? SPECIAL[random.nextInt(SPECIAL.length)] : (byte) random.nextInt(256);
                    }
                }
                case 1 -> {
                    byte[] n = new byte[b.length + 1];
                    System.arraycopy(b, 0, n, 0, at);
                    n[at] = SPECIAL[random.nextInt(SPECIAL.length)];
                    System.arraycopy(b, at, n, at + 1, b.length - at);
                    b = n;
                }
                case 2 -> {
                    if (at < b.length) {
                        int len = Math.min(b.length - at, 1 + random.nextInt(6));
                        byte[] n = new byte[b.length - len];
                        System.arraycopy(b, 0, n, 0, at);
                        System.arraycopy(b, at + len, n, at, b.length - at - len);
                        b = n;
                    }
                }
                case 3 -> {
                    if (at < b.length) {
                        int len = Math.min(b.length - at, 1 + random.nextInt(20));
                        byte[] n = new byte[b.length + len];
                        System.arraycopy(b, 0, n, 0, at + len);
                        System.arraycopy(b, at, n, at + len, b.length - at);
                        b = n;
                    }
                }
                default -> {
                    if (at < b.length) {
                        b[at] = (byte) Character.toUpperCase(b[at]);
                    }
                }
            }
        }
        return b;
    }

    /** Checks the output is whole responses; returns how many, and that only the last may say close. */
    static int assertWellFormed(String out, boolean firstIsHead) {
        int at = 0;
        int responses = 0;
        boolean closed = false;
        while (at < out.length()) {
            assertThat(closed).as("a response after Connection: close in %s", out).isFalse();
            Matcher status = STATUS_LINE.matcher(out).region(at, out.length());
            assertThat(status.lookingAt()).as("status line at %d of %s", at, out).isTrue();
            int code = Integer.parseInt(status.group(1));
            at = status.end();
            long length = -1;
            while (!out.startsWith("\r\n", at)) {
                Matcher field = FIELD_LINE.matcher(out).region(at, out.length());
                assertThat(field.lookingAt()).as("field line at %d of %s", at, out).isTrue();
                String line = field.group();
                if (line.startsWith("Content-Length: ")) {
                    length = Long.parseLong(line.substring(16, line.length() - 2));
                }
                closed |= line.equals("Connection: close\r\n");
                at = field.end();
            }
            at += 2;
            if (code != 304) {
                assertThat(length).as("Content-Length of %s", out).isGreaterThanOrEqualTo(0);
                boolean bodiless = responses == 0 && firstIsHead && at == out.length();
                at += bodiless ? 0 : (int) length;
            }
            assertThat(at).isLessThanOrEqualTo(out.length());
            responses++;
        }
        return responses;
    }

    @Test
    void mutatedRequestsNeverBreakTheConnection() {
        SplittableRandom random = new SplittableRandom(0x5eedL);
        byte[] followUp = MalformedRequestsTest.FOLLOW_UP.getBytes(StandardCharsets.ISO_8859_1);
        long stop = System.nanoTime() + 2_000_000_000L;
        int runs = 0;
        while (runs < 20_000 && System.nanoTime() < stop) {
            byte[] template = TEMPLATES[random.nextInt(TEMPLATES.length)].getBytes(StandardCharsets.ISO_8859_1);
            byte[] request = mutate(template, random);
            byte[] input = Arrays.copyOf(request, request.length + followUp.length);
            System.arraycopy(followUp, 0, input, request.length, followUp.length);

            Driver whole = driver().feed(input).eof();
            String out = whole.output();
            boolean head = new String(request, StandardCharsets.ISO_8859_1).startsWith("HEAD ");
            int responses = assertWellFormed(out, head);
            assertThat(responses).isBetween(0, 2);
            assertThat(whole.closeRequested).isTrue();
            assertThat(whole.connection.nextRead()).isEqualTo(Operation.CLOSE);

            int split = 1 + random.nextInt(input.length - 1);
            Driver parts = driver();
            parts.writeChunk = 1 + random.nextInt(64);
            parts.feed(input, split).eof();
            assertThat(parts.output()).as(new String(input, StandardCharsets.ISO_8859_1)).isEqualTo(out);
            runs++;
        }
        fixture.sites().assertBalanced();
        assertThat(runs).isGreaterThan(500);
    }

    private static Driver driver() {
        return new Driver(fixture.connection(9));
    }
}
