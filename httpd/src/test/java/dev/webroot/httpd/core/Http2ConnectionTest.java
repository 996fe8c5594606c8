package dev.webroot.httpd.core;

import static dev.webroot.httpd.core.TestSites.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.format.Hpack;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The HTTP/2 codec driven with scripted frames: semantics as HTTP/1.1's, framing, flow control, defences. */
class Http2ConnectionTest {
    @RegisterExtension
    static final SharedTestSites fixture = new SharedTestSites();

    private static final Limits SHORT = new Limits(8192, 32768, 100, 16, 1000, 16, Duration.ofSeconds(60),
            Duration.ofSeconds(75), Duration.ofSeconds(5));

    private static Http2Connection connection() {
        return connection(Limits.defaults(), AccessLog.DISABLED);
    }

    private static Http2Connection connection(Limits limits, AccessLog log) {
        return new Http2Connection(new WorkspacePool(fixture.sites(), limits, DATES, log, 7), "t");
    }

    private static List<H2.Frame> exchange(H2 client) {
        Driver d = new Driver(connection()).feed(client.bytes());
        return H2.frames(d.outputBytes());
    }

    // ---- the semantics table, over HTTP/2 ----

    /** The table's cases that say something about semantics rather than HTTP/1.1's syntax. */
    static Stream<Arguments> table() {
        return SemanticsTableTest.cases().stream()
                .filter(c -> c.request().startsWith("GET /") || c.request().startsWith("HEAD /"))
                .filter(c -> c.request().contains(" HTTP/1.1\r\n") && c.request().contains("\r\nHost: "))
                // HTTP/2 field values have no white space at their ends (RFC 9113 §8.2.1).
                .filter(c -> !c.name().equals("tab in value and OWS"))
                // A list in Content-Length is HTTP/1.1's to accept; an HTTP/2 length is one number (8.1.1).
                .filter(c -> !c.name().equals("Content-Length 00"))
                .map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void answersAsHttp11Does(SemanticsTableTest.Case c) {
        String[] lines = c.request().split("\r\n");
        String[] requestLine = lines[0].split(" ");
        List<String> fields = new ArrayList<>(List.of(":method", requestLine[0], ":scheme", "https",
                ":path", requestLine[1]));
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            String name = lines[i].substring(0, colon).toLowerCase(Locale.ROOT);
            String value = lines[i].substring(colon + 1).strip();
            fields.add(name.equals("host") ? ":authority" : name);
            fields.add(value);
        }
        byte[] block = H2.block(fields.toArray(String[]::new));
        H2 client = H2.client().settings(Http2.SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20)
                .frame(Http2.WINDOW_UPDATE, 0, 0, H2.int32(1 << 20))
                .frame(Http2.HEADERS, Http2.FLAG_END_HEADERS | Http2.FLAG_END_STREAM, 1, block);
        H2.Response r = H2.responses(exchange(client)).get(1);
        assertThat(r).as("a response on stream 1").isNotNull();
        assertThat(r.ended()).as("%s ended", r.fields().stream().map(f -> f[0] + ": " + f[1]).toList()).isTrue();

        String actualBody = r.bodyText();
        String expected = c.expected();
        if (expected.contains(SemanticsTableTest.BOUNDARY)) {
            String type = r.field("content-type");
            expected = expected.replace(SemanticsTableTest.BOUNDARY, type.substring(type.indexOf('=') + 1));
        }
        int split = expected.indexOf("\r\n\r\n");
        String[] head = expected.substring(0, split).split("\r\n");
        List<String> expectedFields = new ArrayList<>();
        expectedFields.add(":status: " + head[0].split(" ")[1]);
        for (int i = 1; i < head.length; i++) {
            int colon = head[i].indexOf(':');
            expectedFields.add(head[i].substring(0, colon).toLowerCase(Locale.ROOT) + head[i].substring(colon));
        }
        List<String> actualFields = r.fields().stream().map(f -> f[0] + ": " + f[1]).toList();
        assertThat(actualFields).isEqualTo(expectedFields);
        assertThat(actualBody).isEqualTo(expected.substring(split + 4));
        fixture.sites().assertBalanced();
    }

    // ---- exact bytes and splits ----

    @Test
    void theServerPrefaceAndAnAnswerAreExactBytes() {
        List<H2.Frame> frames = exchange(H2.client().get(1, "/plain.txt"));
        assertThat(frames).extracting(H2.Frame::type)
                .containsExactly(Http2.SETTINGS, Http2.SETTINGS, Http2.HEADERS, Http2.DATA);
        H2.Frame settings = frames.get(0);
        assertThat(settings.flags()).isZero();
        assertThat(settings.payload()).containsExactly(0, 3, 0, 0, 0, (byte) 128, 0, 6, 0, 0, (byte) 0x80, 0,
                0, 2, 0, 0, 0, 0);
        assertThat(frames.get(1).flags()).isEqualTo(Http2.FLAG_ACK);
        H2.Frame headers = frames.get(2);
        assertThat(headers.stream()).isEqualTo(1);
        assertThat(headers.flags()).isEqualTo(Http2.FLAG_END_HEADERS);
        // :status 200 indexed, then date as a literal with the static name, then the packed fragment.
        assertThat(headers.payload()[0]).isEqualTo((byte) 0x88);
        assertThat(Arrays.copyOfRange(headers.payload(), 1, 4)).containsExactly(0x0f, 0x12, 29);
        assertThat(new String(headers.payload(), 4, 29, StandardCharsets.US_ASCII)).isEqualTo(DATE);
        H2.Frame data = frames.get(3);
        assertThat(data.flags()).isEqualTo(Http2.FLAG_END_STREAM);
        assertThat(new String(data.payload(), StandardCharsets.US_ASCII)).isEqualTo(PLAIN);
    }

    /**
     * Each stream's frames, and the connection's own, exactly; how streams interleave depends on
     * when their requests arrived, which is what splitting changes.
     */
    private static Map<Integer, List<String>> byStream(byte[] output) {
        Map<Integer, List<String>> streams = new java.util.TreeMap<>();
        for (H2.Frame f : H2.frames(output)) {
            streams.computeIfAbsent(f.stream(), k -> new ArrayList<>())
                    .add(f.type() + "/" + f.flags() + "/" + java.util.HexFormat.of().formatHex(f.payload()));
        }
        return streams;
    }

    @Test
    void outputDoesNotDependOnHowTheInputWasSplit() {
        byte[] input = H2.client().get(1, "/plain.txt").get(3, "/index.html", "accept-encoding", "br")
                .frame(Http2.PING, 0, 0, new byte[8]).get(5, "/missing").bytes();
        Map<Integer, List<String>> whole = byStream(new Driver(connection()).feed(input).outputBytes());
        for (int i = 1; i < input.length; i++) {
            assertThat(byStream(new Driver(connection()).feed(input, i).outputBytes())).as("split at %d", i)
                    .isEqualTo(whole);
        }
        assertThat(byStream(new Driver(connection()).feedBytewise(input).outputBytes())).isEqualTo(whole);
        assertThat(whole).containsOnlyKeys(0, 1, 3, 5);
        fixture.sites().assertBalanced();
    }

    @Test
    void headersAcrossContinuationFramesAreOneBlock() {
        byte[] block = H2.block(":method", "GET", ":scheme", "https", ":path", "/plain.txt", ":authority", "site.test");
        H2 client = H2.client()
                .frame(Http2.HEADERS, Http2.FLAG_END_STREAM, 1, Arrays.copyOfRange(block, 0, 5))
                .frame(Http2.CONTINUATION, 0, 1, Arrays.copyOfRange(block, 5, 20))
                .frame(Http2.CONTINUATION, Http2.FLAG_END_HEADERS, 1, Arrays.copyOfRange(block, 20, block.length));
        assertThat(H2.responses(exchange(client)).get(1).bodyText()).isEqualTo(PLAIN);
    }

    @Test
    void theAccessLogShowsAnHttp2RequestLine() {
        List<String> lines = new ArrayList<>();
        AccessLog log = r -> lines.add(r.status() + " " + r.requestLine() + " " + r.host() + " " + r.bodyBytes());
        Driver d = new Driver(connection(Limits.defaults(), log)).feed(H2.client().get(1, "/plain.txt?x=1").bytes());
        assertThat(H2.responses(H2.frames(d.outputBytes())).get(1).status()).isEqualTo("200");
        assertThat(lines).containsExactly("200 GET /plain.txt?x=1 HTTP/2.0 site.test " + PLAIN.length());
    }

    @Test
    void theLastRequestAllowedOnAConnectionIsAnsweredAfterAGoAwayNamingIt() {
        Limits three = Limits.defaults().withMaxRequestsPerConnection(3);
        Driver d = new Driver(connection(three, AccessLog.DISABLED))
                .feed(H2.client().get(1, "/plain.txt").get(3, "/plain.txt").get(5, "/plain.txt").get(7, "/plain.txt").bytes());
        List<H2.Frame> frames = H2.frames(d.outputBytes());
        H2.Frame goAway = H2.first(frames, Http2.GOAWAY);
        assertThat(goAway.errorCode()).isEqualTo(Http2.NO_ERROR);
        assertThat(H2.int32(5)).isEqualTo(Arrays.copyOfRange(goAway.payload(), 0, 4));
        assertThat(H2.responses(frames)).containsOnlyKeys(1, 3, 5);
        assertThat(d.closeRequested).isTrue();
        fixture.sites().assertBalanced();
    }

    // ---- flow control and fairness ----

    @Test
    void aSmallWindowHoldsTheBodyUntilTheClientOpensIt() {
        Http2Connection c = connection();
        Driver d = new Driver(c).feed(H2.client().settings(Http2.SETTINGS_INITIAL_WINDOW_SIZE, 1000)
                .get(1, "/big.bin").bytes());
        H2.Response first = H2.responses(H2.frames(d.outputBytes())).get(1);
        assertThat(first.body()).hasSize(1000);
        assertThat(first.ended()).isFalse();
        int before = d.outputBytes().length;
        d.feed(new H2().frame(Http2.WINDOW_UPDATE, 0, 1, H2.int32(BIG_LENGTH)).bytes());
        // The stream's window is open now, but the connection's (65,535) still bounds what is sent.
        H2.Response second = H2.responses(H2.frames(d.outputBytes())).get(1);
        assertThat(second.body()).hasSize(Http2.DEFAULT_WINDOW);
        d.feed(new H2().frame(Http2.WINDOW_UPDATE, 0, 0, H2.int32(BIG_LENGTH)).bytes());
        H2.Response done = H2.responses(H2.frames(d.outputBytes())).get(1);
        assertThat(done.ended()).isTrue();
        assertThat(done.body()).isEqualTo(big());
        assertThat(d.outputBytes().length).isGreaterThan(before);
        fixture.sites().assertBalanced();
    }

    @Test
    void aSmallResponseIsNotQueuedBehindALargeOne() {
        H2 client = H2.client().settings(Http2.SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20)
                .frame(Http2.WINDOW_UPDATE, 0, 0, H2.int32(1 << 20)).get(1, "/big.bin")
                .get(3, "/plain.txt");
        List<H2.Frame> frames = exchange(client);
        int bigEnd = -1;
        int smallEnd = -1;
        for (int i = 0; i < frames.size(); i++) {
            H2.Frame f = frames.get(i);
            if (f.type() == Http2.DATA && f.endStream()) {
                if (f.stream() == 1) {
                    bigEnd = i;
                } else {
                    smallEnd = i;
                }
            }
        }
        assertThat(smallEnd).as("the small response ends").isPositive();
        assertThat(bigEnd).as("before the large one").isGreaterThan(smallEnd);
        Map<Integer, H2.Response> r = H2.responses(frames);
        assertThat(r.get(1).body()).isEqualTo(big());
        assertThat(r.get(3).bodyText()).isEqualTo(PLAIN);
        assertThat(frames).filteredOn(f -> f.type() == Http2.DATA)
                .allSatisfy(f -> assertThat(f.payload().length).isLessThanOrEqualTo(Http2.MIN_MAX_FRAME_SIZE));
    }

    @Test
    void aWindowHeldAtZeroClosesTheConnectionAfterTheSendTimeout() {
        Driver d = new Driver(connection(SHORT, AccessLog.DISABLED))
                .feed(H2.client().settings(Http2.SETTINGS_INITIAL_WINDOW_SIZE, 0).get(1, "/plain.txt").bytes());
        Http2Connection c = (Http2Connection) d.connection;
        assertThat(c.deadline()).isLessThanOrEqualTo(d.now + Duration.ofSeconds(5).toNanos());
        d.now = c.deadline();
        c.timedOut(d.now);
        d.drain();
        H2.Frame goAway = H2.first(H2.frames(d.outputBytes()), Http2.GOAWAY);
        assertThat(goAway).isNotNull();
        assertThat(d.closeRequested).isTrue();
        fixture.sites().assertBalanced();
    }

    // ---- requests that are refused ----

    @Test
    void aRequestBodyIsRefusedWith413AndTheStreamReset() {
        H2 client = H2.client().request(1, "POST", "/plain.txt", 0).frame(Http2.DATA, 0, 1, new byte[10]);
        List<H2.Frame> frames = exchange(client);
        assertThat(H2.responses(frames).get(1).status()).isEqualTo("405");
        List<H2.Frame> body = exchange(H2.client().request(3, "GET", "/plain.txt", 0).frame(Http2.DATA, 0, 3, new byte[10]));
        assertThat(H2.responses(body).get(3).status()).isEqualTo("413");
        H2.Frame reset = H2.first(body, Http2.RST_STREAM);
        assertThat(reset.stream()).isEqualTo(3);
        assertThat(reset.errorCode()).isEqualTo(Http2.NO_ERROR);
    }

    @Test
    void anEmptyDataFrameEndingTheStreamIsAnOrdinaryRequest() {
        H2 client = H2.client().request(1, "GET", "/plain.txt", 0).frame(Http2.DATA, Http2.FLAG_END_STREAM, 1, new byte[0]);
        H2.Response r = H2.responses(exchange(client)).get(1);
        assertThat(r.status()).isEqualTo("200");
        assertThat(r.bodyText()).isEqualTo(PLAIN);
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("upper-case name", new String[] {"X-Thing", "1"}),
                Arguments.of("connection-specific field", new String[] {"connection", "keep-alive"}),
                Arguments.of("transfer-encoding", new String[] {"transfer-encoding", "chunked"}),
                Arguments.of("te other than trailers", new String[] {"te", "gzip"}),
                Arguments.of("unknown pseudo-header", new String[] {":protocol", "x"}),
                Arguments.of("duplicate pseudo-header", new String[] {":path", "/"}),
                Arguments.of("CR in a value", new String[] {"x-a", "a\rb"}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedRequestsResetTheStreamWithProtocolError(String name, String[] extra) {
        List<H2.Frame> frames = exchange(H2.client().get(1, "/plain.txt", extra).get(3, "/plain.txt"));
        H2.Frame reset = H2.first(frames, Http2.RST_STREAM);
        assertThat(reset).isNotNull();
        assertThat(reset.stream()).isEqualTo(1);
        assertThat(reset.errorCode()).isEqualTo(Http2.PROTOCOL_ERROR);
        assertThat(H2.responses(frames)).containsOnlyKeys(3);
    }

    @Test
    void aPseudoHeaderAfterARegularFieldOrAMissingOneIsMalformed() {
        byte[] late = H2.block(":method", "GET", ":scheme", "https", "x-a", "1", ":path", "/");
        byte[] noPath = H2.block(":method", "GET", ":scheme", "https", ":authority", "site.test");
        List<H2.Frame> frames = exchange(H2.client()
                .frame(Http2.HEADERS, Http2.FLAG_END_HEADERS | Http2.FLAG_END_STREAM, 1, late)
                .frame(Http2.HEADERS, Http2.FLAG_END_HEADERS | Http2.FLAG_END_STREAM, 3, noPath));
        assertThat(frames).filteredOn(f -> f.type() == Http2.RST_STREAM)
                .extracting(H2.Frame::stream, H2.Frame::errorCode)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1, Http2.PROTOCOL_ERROR),
                        org.assertj.core.groups.Tuple.tuple(3, Http2.PROTOCOL_ERROR));
    }

    @Test
    void aContentLengthTheBodyDoesNotMatchOrAPseudoHeaderInTrailersIsMalformed() {
        List<H2.Frame> frames = exchange(H2.client().get(1, "/plain.txt", "content-length", "4")
                .request(3, "GET", "/plain.txt", 0)
                .frame(Http2.HEADERS, Http2.FLAG_END_HEADERS | Http2.FLAG_END_STREAM, 3, H2.block(":path", "/"))
                .request(5, "GET", "/plain.txt", 0)
                .frame(Http2.HEADERS, Http2.FLAG_END_HEADERS | Http2.FLAG_END_STREAM, 5, H2.block("x-trailer", "1")));
        assertThat(frames).filteredOn(f -> f.type() == Http2.RST_STREAM)
                .extracting(H2.Frame::stream, H2.Frame::errorCode)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1, Http2.PROTOCOL_ERROR),
                        org.assertj.core.groups.Tuple.tuple(3, Http2.PROTOCOL_ERROR));
        assertThat(H2.responses(frames).get(5).bodyText()).isEqualTo(PLAIN);
    }

    @Test
    void aHeaderTableSizeSettingIsAnsweredWithASizeUpdateToZero() {
        List<H2.Frame> frames = exchange(H2.client().settings(Http2.SETTINGS_HEADER_TABLE_SIZE, 0)
                .get(1, "/plain.txt").get(3, "/plain.txt"));
        List<H2.Frame> headers = frames.stream().filter(f -> f.type() == Http2.HEADERS).toList();
        assertThat(headers.get(0).payload()[0]).isEqualTo((byte) 0x20);
        assertThat(headers.get(1).payload()[0]).isEqualTo((byte) 0x88);
        assertThat(H2.responses(frames).get(1).bodyText()).isEqualTo(PLAIN);
    }

    // ---- connection errors ----

    static Stream<Arguments> connectionErrors() {
        byte[] oversized = new byte[Http2.MIN_MAX_FRAME_SIZE + 1];
        return Stream.of(
                Arguments.of("a bad preface", new H2().raw("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n".getBytes()).bytes(),
                        Http2.PROTOCOL_ERROR),
                Arguments.of("no SETTINGS first", new H2().preface().frame(Http2.PING, 0, 0, new byte[8]).bytes(),
                        Http2.PROTOCOL_ERROR),
                Arguments.of("a frame over the maximum size", H2.client().frame(Http2.DATA, 0, 1, oversized).bytes(),
                        Http2.FRAME_SIZE_ERROR),
                Arguments.of("an even stream id", H2.client().get(2, "/").bytes(), Http2.PROTOCOL_ERROR),
                Arguments.of("a decreasing stream id", H2.client().get(5, "/").get(3, "/").bytes(), Http2.PROTOCOL_ERROR),
                Arguments.of("DATA on an idle stream", H2.client().frame(Http2.DATA, 0, 7, new byte[1]).bytes(),
                        Http2.PROTOCOL_ERROR),
                Arguments.of("DATA on stream 0", H2.client().frame(Http2.DATA, 0, 0, new byte[1]).bytes(),
                        Http2.PROTOCOL_ERROR),
                Arguments.of("SETTINGS ACK with a payload", H2.client().frame(Http2.SETTINGS, Http2.FLAG_ACK, 0,
                        new byte[6]).bytes(), Http2.FRAME_SIZE_ERROR),
                Arguments.of("SETTINGS of a wrong length", H2.client().frame(Http2.SETTINGS, 0, 0, new byte[5]).bytes(),
                        Http2.FRAME_SIZE_ERROR),
                Arguments.of("ENABLE_PUSH 2", H2.client().settings(Http2.SETTINGS_ENABLE_PUSH, 2).bytes(),
                        Http2.PROTOCOL_ERROR),
                Arguments.of("a window over 2^31-1", H2.client().settings(Http2.SETTINGS_INITIAL_WINDOW_SIZE,
                        0x80000000).bytes(), Http2.FLOW_CONTROL_ERROR),
                Arguments.of("MAX_FRAME_SIZE too small", H2.client().settings(Http2.SETTINGS_MAX_FRAME_SIZE, 100).bytes(),
                        Http2.PROTOCOL_ERROR),
                Arguments.of("PING of 7 bytes", H2.client().frame(Http2.PING, 0, 0, new byte[7]).bytes(),
                        Http2.FRAME_SIZE_ERROR),
                Arguments.of("a zero connection WINDOW_UPDATE", H2.client().frame(Http2.WINDOW_UPDATE, 0, 0,
                        H2.int32(0)).bytes(), Http2.PROTOCOL_ERROR),
                Arguments.of("a connection window overflow", H2.client().frame(Http2.WINDOW_UPDATE, 0, 0,
                        H2.int32(0x7fffffff)).bytes(), Http2.FLOW_CONTROL_ERROR),
                Arguments.of("PUSH_PROMISE from a client", H2.client().frame(Http2.PUSH_PROMISE, Http2.FLAG_END_HEADERS,
                        1, new byte[4]).bytes(), Http2.PROTOCOL_ERROR),
                Arguments.of("CONTINUATION without HEADERS", H2.client().frame(Http2.CONTINUATION, Http2.FLAG_END_HEADERS,
                        1, new byte[0]).bytes(), Http2.PROTOCOL_ERROR),
                Arguments.of("another frame inside a header block", H2.client().frame(Http2.HEADERS, 0, 1,
                        new byte[] {(byte) 0x82}).frame(Http2.PING, 0, 0, new byte[8]).bytes(), Http2.PROTOCOL_ERROR),
                Arguments.of("an invalid HPACK index", H2.client().frame(Http2.HEADERS, Http2.FLAG_END_HEADERS
                        | Http2.FLAG_END_STREAM, 1, new byte[] {(byte) 0xff, 0x7f}).bytes(), Http2.COMPRESSION_ERROR),
                Arguments.of("RST_STREAM on an idle stream", H2.client().frame(Http2.RST_STREAM, 0, 9,
                        H2.int32(0)).bytes(), Http2.PROTOCOL_ERROR));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("connectionErrors")
    void connectionErrorsSendGoAwayAndClose(String name, byte[] input, int code) {
        Driver d = new Driver(connection()).feed(input);
        List<H2.Frame> frames = H2.frames(d.outputBytes());
        H2.Frame goAway = H2.first(frames, Http2.GOAWAY);
        if (code >= 0) {
            assertThat(goAway).as("GOAWAY").isNotNull();
            assertThat(goAway.errorCode()).isEqualTo(code);
        }
        assertThat(d.closeRequested).isTrue();
        fixture.sites().assertBalanced();
    }

    @Test
    void headersOnAStreamThatIsOverAreAConnectionErrorButOnAHalfClosedOneAStreamError() {
        Driver d = new Driver(connection()).feed(H2.client().get(1, "/plain.txt").bytes());
        d.feed(new H2().get(1, "/plain.txt").bytes());
        H2.Frame goAway = H2.first(H2.frames(d.outputBytes()), Http2.GOAWAY);
        assertThat(goAway.errorCode()).isEqualTo(Http2.STREAM_CLOSED);
        assertThat(d.closeRequested).isTrue();

        // Before its answer is written the stream is only half-closed: the second HEADERS resets it.
        List<H2.Frame> frames = exchange(H2.client().get(1, "/plain.txt").get(1, "/plain.txt").get(3, "/plain.txt"));
        H2.Frame reset = H2.first(frames, Http2.RST_STREAM);
        assertThat(reset.stream()).isEqualTo(1);
        assertThat(reset.errorCode()).isEqualTo(Http2.STREAM_CLOSED);
        assertThat(H2.responses(frames).get(3).bodyText()).isEqualTo(PLAIN);
        fixture.sites().assertBalanced();
    }

    // ---- defences ----

    @Test
    void rapidResetEndsTheConnectionWithEnhanceYourCalm() {
        H2 client = H2.client();
        for (int i = 0; i < 1000; i++) {
            int id = 1 + 2 * i;
            client.get(id, "/big.bin").frame(Http2.RST_STREAM, 0, id, H2.int32(Http2.CANCEL));
        }
        Driver d = new Driver(connection()).feed(client.bytes());
        H2.Frame goAway = H2.first(H2.frames(d.outputBytes()), Http2.GOAWAY);
        assertThat(goAway.errorCode()).isEqualTo(Http2.ENHANCE_YOUR_CALM);
        assertThat(d.closeRequested).isTrue();
        fixture.sites().assertBalanced();
    }

    @Test
    void aContinuationFloodEndsTheConnectionBeforeTheBlockGrowsBeyondTwiceTheHeaderLimit() {
        H2 client = H2.client().frame(Http2.HEADERS, 0, 1, H2.block(":method", "GET"));
        for (int i = 0; i < 100; i++) {
            client.frame(Http2.CONTINUATION, 0, 1, H2.block("x-a", "b".repeat(1000)));
        }
        Driver d = new Driver(connection()).feed(client.bytes());
        assertThat(H2.first(H2.frames(d.outputBytes()), Http2.GOAWAY).errorCode()).isEqualTo(Http2.ENHANCE_YOUR_CALM);
        assertThat(d.closeRequested).isTrue();
    }

    @Test
    void anHpackBombIsAnswered431AndTheConnectionGoesOn() {
        // One 4,000-byte entry in the dynamic table, then a block of 100 one-byte references to it.
        byte[] value = "v".repeat(4000).getBytes(StandardCharsets.US_ASCII);
        byte[] first = new byte[4100];
        int at = 0;
        first[at++] = 0x40;
        at = Hpack.putString(first, at, "x-bomb".getBytes(StandardCharsets.US_ASCII), 0, 6);
        at = Hpack.putString(first, at, value, 0, value.length);
        byte[] pseudo = H2.block(":method", "GET", ":scheme", "https", ":path", "/plain.txt", ":authority", "site.test");
        byte[] bomb = new byte[pseudo.length + at + 100];
        System.arraycopy(pseudo, 0, bomb, 0, pseudo.length);
        System.arraycopy(first, 0, bomb, pseudo.length, at);
        Arrays.fill(bomb, pseudo.length + at, bomb.length, (byte) 0xbe);
        List<H2.Frame> frames = exchange(H2.client()
                .frame(Http2.HEADERS, Http2.FLAG_END_HEADERS | Http2.FLAG_END_STREAM, 1, bomb)
                .get(3, "/plain.txt"));
        Map<Integer, H2.Response> r = H2.responses(frames);
        assertThat(r.get(1).status()).isEqualTo("431");
        assertThat(r.get(3).status()).isEqualTo("200");
        assertThat(H2.first(frames, Http2.GOAWAY)).isNull();
    }

    static Stream<Arguments> floods() {
        return Stream.of(
                Arguments.of("SETTINGS", new H2().frame(Http2.SETTINGS, 0, 0, new byte[0]).bytes()),
                Arguments.of("PING", new H2().frame(Http2.PING, 0, 0, new byte[8]).bytes()),
                Arguments.of("PRIORITY", new H2().frame(Http2.PRIORITY, 0, 1, new byte[] {0, 0, 0, 0, 16}).bytes()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("floods")
    void floodsOfFramesThatAskNothingEndTheConnection(String name, byte[] frame) {
        H2 client = H2.client();
        for (int i = 0; i < 10_000; i++) {
            client.raw(frame);
        }
        Driver d = new Driver(connection()).feed(client.bytes());
        assertThat(H2.first(H2.frames(d.outputBytes()), Http2.GOAWAY).errorCode()).isEqualTo(Http2.ENHANCE_YOUR_CALM);
        assertThat(d.closeRequested).isTrue();
    }

    @Test
    void anEmptyDataFloodEndsTheConnection() {
        H2 client = H2.client().request(1, "GET", "/plain.txt", 0);
        for (int i = 0; i < 10_000; i++) {
            client.frame(Http2.DATA, 0, 1, new byte[0]);
        }
        Driver d = new Driver(connection()).feed(client.bytes());
        assertThat(H2.first(H2.frames(d.outputBytes()), Http2.GOAWAY).errorCode()).isEqualTo(Http2.ENHANCE_YOUR_CALM);
    }

    @Test
    void streamsBeyondTheConcurrencyLimitAreRefused() {
        H2 client = H2.client().settings(Http2.SETTINGS_INITIAL_WINDOW_SIZE, 0);
        for (int i = 0; i < Http2Connection.MAX_CONCURRENT_STREAMS + 1; i++) {
            client.get(1 + 2 * i, "/plain.txt");
        }
        Driver d = new Driver(connection()).feed(client.bytes());
        H2.Frame reset = H2.first(H2.frames(d.outputBytes()), Http2.RST_STREAM);
        assertThat(reset.stream()).isEqualTo(1 + 2 * Http2Connection.MAX_CONCURRENT_STREAMS);
        assertThat(reset.errorCode()).isEqualTo(Http2.REFUSED_STREAM);
        // The streams still waiting for a window give their generations back when the connection goes.
        d.connection.closed();
        fixture.sites().assertBalanced();
    }

    @Test
    void anOverLongHeaderListIsAnswered431() {
        H2 client = H2.client();
        byte[] block = H2.block(":method", "GET", ":scheme", "https", ":path", "/plain.txt", ":authority", "site.test",
                "x-long", "a".repeat(40_000));
        client.frame(Http2.HEADERS, Http2.FLAG_END_STREAM, 1, Arrays.copyOfRange(block, 0, 16_000));
        client.frame(Http2.CONTINUATION, 0, 1, Arrays.copyOfRange(block, 16_000, 32_000));
        client.frame(Http2.CONTINUATION, Http2.FLAG_END_HEADERS, 1, Arrays.copyOfRange(block, 32_000, block.length));
        assertThat(H2.responses(exchange(client.get(3, "/plain.txt"))).get(1).status()).isEqualTo("431");
    }

    // ---- prior knowledge on a cleartext connection ----

    @Test
    void aCleartextConnectionOpeningWithThePrefaceIsServedAsHttp2() {
        byte[] input = H2.client().get(1, "/plain.txt").bytes();
        for (int split : new int[] {1, 5, 18, 23, 24, 30}) {
            Driver d = new Driver(fixture.connection(7)).feed(input, split);
            H2.Response r = H2.responses(H2.frames(d.outputBytes())).get(1);
            assertThat(r.bodyText()).as("split at %d", split).isEqualTo(PLAIN);
        }
        Driver http11 = new Driver(fixture.connection(7)).feed("GET /plain.txt HTTP/1.1\r\nHost: site.test\r\n\r\n");
        assertThat(http11.output()).startsWith("HTTP/1.1 200 OK\r\n");
        fixture.sites().assertBalanced();
    }
}
