package dev.webroot.httpd.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.io.Connection.Operation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Property-based fuzzing of the parser with jqwik: requests built from valid templates by a few
 * mutations (replaced, inserted, deleted, repeated or upper-cased bytes), followed by a valid
 * request, never throw, always produce a sequence of well-formed HTTP/1.1 responses that a close
 * ends, produce the same bytes however the input is split and written, and release every
 * generation. jqwik shrinks a failing case to its smallest mutation list.
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

    /** One edit of a request: {@code at} is a fraction of its length, so edits stay in range as it changes. */
    record Mutation(int kind, double at, byte value, int length) {}

    static byte[] mutate(byte[] request, List<Mutation> mutations) {
        byte[] b = request.clone();
        for (Mutation m : mutations) {
            int at = (int) (m.at() * b.length);
            int len = Math.min(b.length - at, m.length());
            switch (m.kind()) {
                case 0 -> {
                    if (at < b.length) {
                        b[at] = m.value();
                    }
                }
                case 1 -> {
                    byte[] n = new byte[b.length + 1];
                    System.arraycopy(b, 0, n, 0, at);
                    n[at] = m.value();
                    System.arraycopy(b, at, n, at + 1, b.length - at);
                    b = n;
                }
                case 2 -> {
                    byte[] n = new byte[b.length - len];
                    System.arraycopy(b, 0, n, 0, at);
                    System.arraycopy(b, at + len, n, at, b.length - at - len);
                    b = n;
                }
                case 3 -> {
                    byte[] n = new byte[b.length + len];
                    System.arraycopy(b, 0, n, 0, at + len);
                    System.arraycopy(b, at, n, at + len, b.length - at);
                    b = n;
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

    @Provide
    Arbitrary<byte[]> mutatedRequests() {
        Arbitrary<Byte> special = Arbitraries.of(toBoxed(SPECIAL));
        Arbitrary<Mutation> mutation = Combinators.combine(
                Arbitraries.integers().between(0, 4),
                Arbitraries.doubles().between(0, 1).ofScale(4),
                Arbitraries.oneOf(special, Arbitraries.bytes()),
                Arbitraries.integers().between(1, 20)).as(Mutation::new);
        return Combinators.combine(Arbitraries.of(TEMPLATES), mutation.list().ofMinSize(1).ofMaxSize(4))
                .as((template, edits) -> mutate(template.getBytes(StandardCharsets.ISO_8859_1), edits));
    }

    private static Byte[] toBoxed(byte[] bytes) {
        Byte[] boxed = new Byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            boxed[i] = bytes[i];
        }
        return boxed;
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

    private static Path dir;
    private static TestSites sites;

    @BeforeContainer
    static void createSites() throws IOException {
        dir = Files.createTempDirectory("fuzz-sites");
        sites = TestSites.create(dir);
    }

    @AfterContainer
    static void deleteSites() throws IOException {
        sites.assertBalanced();
        sites.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }

    @Property(tries = 3000, seed = "20261122")
    void mutatedRequestsNeverBreakTheConnection(@ForAll("mutatedRequests") byte[] request,
                                                @ForAll("splits") double splitAt, @ForAll("writeChunks") int writeChunk) {
        byte[] followUp = MalformedRequestsTest.FOLLOW_UP.getBytes(StandardCharsets.ISO_8859_1);
        byte[] input = Arrays.copyOf(request, request.length + followUp.length);
        System.arraycopy(followUp, 0, input, request.length, followUp.length);

        Driver whole = driver().feed(input).eof();
        String out = whole.output();
        boolean head = new String(request, StandardCharsets.ISO_8859_1).startsWith("HEAD ");
        assertThat(assertWellFormed(out, head)).isBetween(0, 2);
        assertThat(whole.closeRequested).isTrue();
        assertThat(whole.connection.nextRead()).isEqualTo(Operation.CLOSE);

        Driver parts = driver();
        parts.writeChunk = writeChunk;
        parts.feed(input, 1 + (int) (splitAt * (input.length - 1))).eof();
        assertThat(parts.output()).as(new String(input, StandardCharsets.ISO_8859_1)).isEqualTo(out);
    }

    @Provide
    Arbitrary<Double> splits() {
        return Arbitraries.doubles().between(0, 0.999).ofScale(3);
    }

    @Provide
    Arbitrary<Integer> writeChunks() {
        return Arbitraries.integers().between(1, 64);
    }

    private static Driver driver() {
        return new Driver(new HttpConnection(new WorkspacePool(sites, Limits.defaults(), TestSites.DATES, AccessLog.DISABLED, 9), "t"));
    }
}
