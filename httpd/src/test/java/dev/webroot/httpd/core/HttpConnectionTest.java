package dev.webroot.httpd.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.io.Connection.Operation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HttpConnectionTest {
    static final String D = "Date: " + TestSites.DATE + "\r\n";
    static final String LM = "Last-Modified: " + TestSites.DATE + "\r\n";
    static final String PLAIN_200 = "HTTP/1.1 200 OK\r\n" + D
            + "ETag: " + TestSites.etag(TestSites.PLAIN) + "\r\n" + LM
            + "Accept-Ranges: bytes\r\nX-Content-Type-Options: nosniff\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 12\r\n";
    static final String GET_PLAIN = "GET /plain.txt HTTP/1.1\r\nHost: site.test\r\n\r\n";

    @TempDir
    Path dir;
    TestSites sites;
    final List<String> logged = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        sites = TestSites.create(dir);
    }

    @AfterEach
    void tearDown() throws IOException {
        sites.close();
    }

    HttpConnection connection(Limits limits) {
        return new HttpConnection(new WorkspacePool(sites, limits, TestSites.DATES,
                r -> logged.add(r.remoteAddress() + " \"" + r.requestLine() + "\" " + r.host() + " " + r.status() + " "
                        + r.bodyBytes() + " " + r.encoding() + " \"" + r.referer() + "\" \"" + r.userAgent() + "\""),
                42), "192.0.2.1");
    }

    Driver driver() {
        return new Driver(connection(Limits.defaults()));
    }

    /** Feeds {@code requests} to a new connection and expects exactly {@code responses} back. */
    Driver answers(String requests, String responses) {
        Driver d = driver().feed(requests);
        assertThat(d.output()).isEqualTo(responses);
        return d;
    }

    @Test
    void servesAFileWithItsPrecomputedHeaders() {
        Driver d = answers(GET_PLAIN, PLAIN_200 + "\r\nhello world\n");
        assertThat(d.connection.nextRead()).isEqualTo(Operation.PROCEED);
        assertThat(d.connection.nextWrite()).isEqualTo(Operation.YIELD);
        sites.assertBalanced();
        assertThat(logged).containsExactly(
                "192.0.2.1 \"GET /plain.txt HTTP/1.1\" site.test 200 12 identity \"\" \"\"");
    }

    @Test
    void aConnectionHoldsAWorkspaceOnlyWhileItHasUnansweredBytesOrUnsentOutput() {
        HttpConnection connection = connection(Limits.defaults());
        Driver d = new Driver(connection).feed(GET_PLAIN);
        assertThat(d.output()).isEqualTo(PLAIN_200 + "\r\nhello world\n");
        assertThat(connection.holdsWorkspace()).as("idle after a whole exchange").isFalse();
        d.feed("GET /plain.txt HTTP/1.1\r\nHo");
        assertThat(connection.holdsWorkspace()).as("in the middle of a request head").isTrue();
        d.feed("st: site.test\r\n\r\n");
        assertThat(d.output()).isEqualTo((PLAIN_200 + "\r\nhello world\n").repeat(2));
        assertThat(connection.holdsWorkspace()).isFalse();
        connection.closed();
        assertThat(connection.holdsWorkspace()).isFalse();
        sites.assertBalanced();
    }

    @Test
    void connectionsSharingAPoolKeepTheirOwnWorkspaceWhileOutputIsPending() {
        WorkspacePool pool = new WorkspacePool(sites, Limits.defaults(), TestSites.DATES, AccessLog.DISABLED, 1);
        HttpConnection pending = new HttpConnection(pool, "a");
        Driver held = new Driver(pending);
        byte[] request = GET_PLAIN.getBytes(StandardCharsets.ISO_8859_1);
        pending.readBuffer().put(request);
        pending.read(request.length, held.now);
        assertThat(pending.nextWrite()).isEqualTo(Operation.PROCEED);
        assertThat(pending.holdsWorkspace()).as("output not yet sent").isTrue();

        for (int i = 0; i < 3; i++) {
            HttpConnection other = new HttpConnection(pool, "b");
            Driver d = new Driver(other).feed("GET /nope HTTP/1.1\r\nHost: site.test\r\n\r\n");
            assertThat(d.output()).startsWith("HTTP/1.1 404 ");
            assertThat(other.holdsWorkspace()).isFalse();
        }

        held.drain();
        assertThat(held.output()).isEqualTo(PLAIN_200 + "\r\nhello world\n");
        assertThat(pending.holdsWorkspace()).as("idle once sent").isFalse();
        sites.assertBalanced();
    }

    @Test
    void aReadThatFindsNothingGivesTheWorkspaceBack() {
        HttpConnection connection = connection(Limits.defaults());
        Driver d = new Driver(connection);
        connection.readBuffer();
        assertThat(connection.holdsWorkspace()).as("prepared for a read").isTrue();
        connection.readNothing();
        assertThat(connection.holdsWorkspace()).isFalse();

        d.feed("GET /plain.txt HTTP/1.1\r\nHo");
        connection.readBuffer();
        connection.readNothing();
        assertThat(connection.holdsWorkspace()).as("part of a head is still buffered").isTrue();
        d.feed("st: site.test\r\n\r\n");
        assertThat(d.output()).isEqualTo(PLAIN_200 + "\r\nhello world\n");
        assertThat(connection.holdsWorkspace()).isFalse();
    }

    @Test
    void aRequestWithoutHostIsServedByTheDefaultSiteNotByThePreviousRequestsHost() {
        Driver d = driver().feed("GET /nope HTTP/1.1\r\nHost: bare.test\r\n\r\n"
                + "GET /nope HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        String[] responses = d.output().split("(?=HTTP/1\\.1 )");
        assertThat(responses).hasSize(2);
        assertThat(responses[0]).startsWith("HTTP/1.1 404 ").contains("Content-Type: text/plain");
        assertThat(responses[1]).startsWith("HTTP/1.1 404 ").contains("Content-Type: text/html");
        sites.assertBalanced();
    }

    @Test
    void headSendsTheSameHeadersWithoutABody() {
        answers("HEAD /plain.txt HTTP/1.1\r\nHost: site.test\r\n\r\n", PLAIN_200 + "\r\n");
        sites.assertBalanced();
    }

    @Test
    void pipelinedRequestsInOneReadAreAnsweredInOrder() {
        String head = "HEAD /plain.txt HTTP/1.1\r\nHost: site.test\r\n\r\n";
        String missing = "GET /nope HTTP/1.1\r\nHost: bare.test\r\n\r\n";
        answers(GET_PLAIN + head + missing,
                PLAIN_200 + "\r\nhello world\n" + PLAIN_200 + "\r\n"
                + "HTTP/1.1 404 Not Found\r\n" + D + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\n\r\n"
                + "Not Found\n");
        sites.assertBalanced();
    }

    @Test
    void pipelinedResponsesLeaveInOneGatherWrite() {
        HttpConnection c = connection(Limits.defaults());
        c.opened(0);
        Driver d = new Driver(c);
        c.readBuffer().put((GET_PLAIN + GET_PLAIN).getBytes());
        c.read(GET_PLAIN.length() * 2, 0);
        assertThat(c.output().segmentCount()).isEqualTo(4);
        assertThat(c.output().isFileSpan(0)).isFalse();
        assertThat(c.output().isFileSpan(1)).isTrue();
        assertThat(c.output().filePosition(1)).isEqualTo(sites.site.dataOffset(sites.site.representation(sites.site.lookup("/plain.txt"), 0)));
        d.drain();
        assertThat(d.output()).isEqualTo((PLAIN_200 + "\r\nhello world\n").repeat(2));
    }

    @Test
    void readYieldsWhileTheResponseQueueIsFull() {
        Limits limits = new Limits(8192, 32768, 100, 2, 1000, 16,
                Duration.ofSeconds(60), Duration.ofSeconds(75), Duration.ofSeconds(60));
        HttpConnection c = connection(limits);
        c.opened(0);
        byte[] three = (GET_PLAIN + GET_PLAIN + GET_PLAIN).getBytes();
        c.readBuffer().put(three);
        c.read(three.length, 0);
        assertThat(c.nextRead()).isEqualTo(Operation.YIELD);
        assertThat(c.nextWrite()).isEqualTo(Operation.PROCEED);
        Driver d = new Driver(c);
        d.drain();
        assertThat(d.output()).isEqualTo((PLAIN_200 + "\r\nhello world\n").repeat(3));
        assertThat(c.nextRead()).isEqualTo(Operation.PROCEED);
        sites.assertBalanced();
    }

    @Test
    void connectionCloseEndsTheConnectionAfterTheResponse() {
        Driver d = answers("GET /plain.txt HTTP/1.1\r\nHost: site.test\r\nConnection: Keep-Alive, CLOSE\r\n\r\n" + GET_PLAIN,
                PLAIN_200 + "Connection: close\r\n\r\nhello world\n");
        assertThat(d.closeRequested).isTrue();
        assertThat(d.connection.nextRead()).isEqualTo(Operation.CLOSE);
        assertThat(d.connection.peerMaySend()).as("the request after it is unread").isTrue();
        sites.assertBalanced();
    }

    @Test
    void aClientThatAskedToCloseAndWasAnsweredSendsNothingMore() {
        Driver done = answers("GET /plain.txt HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n",
                PLAIN_200 + "Connection: close\r\n\r\nhello world\n");
        assertThat(done.closeRequested).isTrue();
        assertThat(done.connection.peerMaySend()).isFalse();

        Driver http10 = answers("GET /plain.txt HTTP/1.0\r\n\r\n", PLAIN_200 + "Connection: close\r\n\r\nhello world\n");
        assertThat(http10.connection.peerMaySend()).isFalse();

        // Refused for its body, which may still be on its way.
        Driver refused = driver().feed("GET /plain.txt HTTP/1.1\r\nHost: site.test\r\nContent-Length: 9\r\n"
                + "Connection: close\r\n\r\n");
        assertThat(refused.output()).startsWith("HTTP/1.1 413 ");
        assertThat(refused.closeRequested).isTrue();
        assertThat(refused.connection.peerMaySend()).isTrue();

        Driver keptOpen = answers(GET_PLAIN, PLAIN_200 + "\r\nhello world\n");
        assertThat(keptOpen.connection.peerMaySend()).isTrue();
        sites.assertBalanced();
    }

    @Test
    void http10ClosesUnlessKeepAliveIsAsked() {
        Driver plain = answers("GET /plain.txt HTTP/1.0\r\n\r\n" + GET_PLAIN,
                PLAIN_200 + "Connection: close\r\n\r\nhello world\n");
        assertThat(plain.closeRequested).isTrue();

        Driver keepAlive = answers("GET /plain.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + GET_PLAIN,
                PLAIN_200 + "Connection: keep-alive\r\n\r\nhello world\n"
                + PLAIN_200 + "\r\nhello world\n");
        assertThat(keepAlive.closeRequested).isFalse();
        sites.assertBalanced();
    }

    @Test
    void theLastAllowedRequestIsAnsweredWithClose() {
        Limits limits = new Limits(8192, 32768, 100, 16, 2, 16,
                Duration.ofSeconds(60), Duration.ofSeconds(75), Duration.ofSeconds(60));
        Driver d = new Driver(connection(limits)).feed(GET_PLAIN + GET_PLAIN + GET_PLAIN);
        assertThat(d.output()).isEqualTo(PLAIN_200 + "\r\nhello world\n" + PLAIN_200 + "Connection: close\r\n\r\nhello world\n");
        assertThat(d.closeRequested).isTrue();
        assertThat(d.connection.peerMaySend()).as("closed by the server's limit, with a request pipelined").isTrue();
        sites.assertBalanced();
    }

    @Test
    void endOfInputAfterCompleteRequestsAnswersThemThenCloses() {
        Driver d = driver().feed(GET_PLAIN + "GET /plain.txt HT").eof();
        assertThat(d.output()).isEqualTo(PLAIN_200 + "\r\nhello world\n");
        assertThat(d.closeRequested).isTrue();
        sites.assertBalanced();
    }

    @Test
    void unknownHostWithoutDefaultSiteIs404() throws IOException {
        try (TestSites noDefault = TestSites.create(dir.resolve("..").resolve(dir.getFileName() + "x").toAbsolutePath()
                .normalize().getParent().resolve(dir.getFileName().toString()), false)) {
            HttpConnection c = new HttpConnection(new WorkspacePool(noDefault, Limits.defaults(), TestSites.DATES, AccessLog.DISABLED, 1), "a");
            Driver d = new Driver(c).feed("GET /plain.txt HTTP/1.1\r\nHost: other.test\r\n\r\n");
            assertThat(d.output()).isEqualTo("HTTP/1.1 404 Not Found\r\n" + D
                    + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\n\r\nNot Found\n");
            assertThat(noDefault.acquired).isZero();
        }
    }

    @Test
    void headTimeoutMidRequestAnswers408AndCloses() {
        Driver d = driver().feed("GET /plain.txt HTTP/1.1\r\nHost: si");
        long deadline = d.connection.deadline();
        assertThat(deadline).isEqualTo(d.now + Duration.ofSeconds(60).toNanos());
        d.now = deadline - 1;
        d.connection.timedOut(d.now);
        assertThat(d.connection.nextWrite()).isEqualTo(Operation.YIELD);
        d.now = deadline;
        d.connection.timedOut(d.now);
        d.drain();
        assertThat(d.output()).isEqualTo("HTTP/1.1 408 Request Timeout\r\n" + D
                + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 16\r\nConnection: close\r\n\r\nRequest Timeout\n");
        assertThat(d.closeRequested).isTrue();
        assertThat(logged).containsExactly("192.0.2.1 \"GET /plain.txt HTTP/1.1\"  408 16 identity \"\" \"\"");
    }

    @Test
    void headTimeoutBehindAQueuedResponseKeepsOrderAndReleasesEverything() {
        HttpConnection c = connection(Limits.defaults());
        c.opened(0);
        byte[] input = ("GET /big.bin HTTP/1.1\r\nHost: site.test\r\n\r\n" + "GET /pla").getBytes();
        c.readBuffer().put(input);
        c.read(input.length, 0);
        c.written(1000, 5);
        long headDeadline = Duration.ofSeconds(60).toNanos();
        assertThat(c.deadline()).isEqualTo(headDeadline);
        c.timedOut(headDeadline);
        Driver d = new Driver(c);
        d.now = headDeadline;
        d.drain();
        String out = d.output();
        assertThat(out).endsWith("\r\n\r\nRequest Timeout\n");
        assertThat(out.length() + 1000).isEqualTo(driver().feed("GET /big.bin HTTP/1.1\r\nHost: site.test\r\n\r\n").output().length()
                + ("HTTP/1.1 408 Request Timeout\r\n" + D + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 16\r\n"
                + "Connection: close\r\n\r\nRequest Timeout\n").length());
        assertThat(d.closeRequested).isTrue();
        sites.assertBalanced();
    }

    @Test
    void firstRequestTimeoutWithoutBytesClosesSilently() {
        Driver d = driver();
        assertThat(d.connection.deadline()).isEqualTo(d.now + Duration.ofSeconds(60).toNanos());
        d.connection.timedOut(d.connection.deadline());
        d.drain();
        assertThat(d.output()).isEmpty();
        assertThat(d.closeRequested).isTrue();
    }

    @Test
    void idleTimeoutBetweenRequestsClosesWithoutBytes() {
        Driver d = driver().feed(GET_PLAIN);
        int before = d.output().length();
        d.now += 5;
        assertThat(d.connection.deadline()).isEqualTo(1_000_000_000L + Duration.ofSeconds(75).toNanos());
        d.connection.timedOut(d.connection.deadline());
        d.drain();
        assertThat(d.output()).hasSize(before);
        assertThat(d.closeRequested).isTrue();
    }

    @Test
    void deadlinesMoveOnProgress() {
        Driver d = driver();
        d.now = 2_000_000_000L;
        d.feed("GET /plain.txt HTTP/1.1\r\n");
        assertThat(d.connection.deadline()).isEqualTo(2_000_000_000L + Duration.ofSeconds(60).toNanos());
        d.now = 3_000_000_000L;
        d.feed("Host: site.test\r\n\r\n");
        assertThat(d.connection.deadline()).isEqualTo(3_000_000_000L + Duration.ofSeconds(75).toNanos());
    }

    @Test
    void theHeadTimerDoesNotRunWhileReadingIsPaused() {
        Limits limits = new Limits(8192, 32768, 100, 1, 1000, 16,
                Duration.ofSeconds(60), Duration.ofSeconds(75), Duration.ofSeconds(60));
        HttpConnection c = connection(limits);
        c.opened(0);
        byte[] input = (GET_PLAIN + "GET /plain.txt HTTP/1.1\r\n").getBytes();
        c.readBuffer().put(input);
        c.read(input.length, 0);
        assertThat(c.nextRead()).isEqualTo(Operation.YIELD);
        assertThat(c.deadline()).isEqualTo(Duration.ofSeconds(60).toNanos());
        long later = Duration.ofSeconds(59).toNanos();
        c.written(c.output().totalRemaining(), later);
        assertThat(c.nextRead()).isEqualTo(Operation.PROCEED);
        assertThat(c.deadline()).isEqualTo(later + Duration.ofSeconds(60).toNanos());
    }

    @Test
    void sendTimeoutClosesAndReleasesTheGeneration() {
        HttpConnection c = connection(Limits.defaults());
        c.opened(0);
        byte[] request = "GET /big.bin HTTP/1.1\r\nHost: site.test\r\n\r\n".getBytes();
        c.readBuffer().put(request);
        c.read(request.length, 10);
        assertThat(c.deadline()).isEqualTo(10 + Duration.ofSeconds(60).toNanos());
        c.written(100, 20);
        assertThat(c.deadline()).isEqualTo(20 + Duration.ofSeconds(60).toNanos());
        c.timedOut(c.deadline());
        assertThat(c.nextWrite()).isEqualTo(Operation.CLOSE);
        assertThat(c.nextRead()).isEqualTo(Operation.CLOSE);
        sites.assertBalanced();
        assertThat(sites.acquired).isEqualTo(1);
    }

    @Test
    void closeMidResponseReleasesEveryHeldGeneration() {
        HttpConnection c = connection(Limits.defaults());
        c.opened(0);
        byte[] two = ("GET /big.bin HTTP/1.1\r\nHost: site.test\r\n\r\n" + GET_PLAIN).getBytes();
        c.readBuffer().put(two);
        c.read(two.length, 0);
        c.written(10, 0);
        assertThat(sites.acquired).isEqualTo(2);
        assertThat(sites.released).isZero();
        c.closed();
        c.closed();
        sites.assertBalanced();
        assertThat(c.nextWrite()).isEqualTo(Operation.CLOSE);
    }

    @Test
    void writesCompletingOneByteAtATimeGiveTheSameBytes() {
        Driver whole = driver().feed(GET_PLAIN + "GET /big.bin HTTP/1.1\r\nHost: site.test\r\nRange: bytes=0-1,500-600\r\n\r\n");
        Driver bytewise = driver();
        bytewise.writeChunk = 1;
        bytewise.feed(GET_PLAIN + "GET /big.bin HTTP/1.1\r\nHost: site.test\r\nRange: bytes=0-1,500-600\r\n\r\n");
        assertThat(bytewise.output()).isEqualTo(whole.output());
        sites.assertBalanced();
    }

    @Test
    void gatherListsStayCorrectWhileSegmentsAreRecycled() {
        String multipart = "GET /big.bin HTTP/1.1\r\nHost: site.test\r\nRange: bytes=0-1,500-600,1000-1100,2000-2001\r\n\r\n";
        String script = multipart + GET_PLAIN + multipart + GET_PLAIN + multipart;
        String expected = driver().feed(script).output();
        for (int chunk : new int[] {1, 7, 100, 333}) {
            Driver d = driver();
            d.writeChunk = chunk;
            assertThat(d.feed(script).output()).as("writes of %d bytes", chunk).isEqualTo(expected);
        }
        sites.assertBalanced();
    }

    @Test
    void recycledSegmentSlotsNeverShareABuffer() {
        String multipart = "GET /big.bin HTTP/1.1\r\nHost: site.test\r\nRange: bytes=0-1,500-600,1000-1100,2000-2001\r\n\r\n";
        String three = GET_PLAIN + GET_PLAIN.replace("/plain.txt", "/dir/") + GET_PLAIN.replace("/plain.txt", "/gz.txt");
        String fourth = GET_PLAIN.replace("/plain.txt", "/index.html");
        String expected = driver().feed(multipart + three + fourth).output();
        HttpConnection c = connection(Limits.defaults());
        c.opened(0);
        byte[] first = (multipart + three).getBytes();
        c.readBuffer().put(first);
        c.read(first.length, 0);
        for (int s = 0; s < c.output().segmentCount(); s++) {
            c.output().buffer(s);
        }
        long sent = 0;
        for (int s = 0; s < 4; s++) {
            sent += c.output().remaining(s);
        }
        c.written(sent, 0);
        byte[] last = fourth.getBytes();
        c.readBuffer().put(last);
        c.read(last.length, 0);
        Driver d = new Driver(c);
        d.drain();
        assertThat(d.output()).isEqualTo(expected.substring((int) sent));
        sites.assertBalanced();
    }

    @Test
    void oversizedHeadsAreRefusedWithTheirOwnStatus() {
        String longLine = "GET /" + "a".repeat(8200) + " HTTP/1.1\r\nHost: site.test\r\n\r\n";
        assertThat(driver().feed(longLine).output()).startsWith("HTTP/1.1 414 URI Too Long\r\n");
        String bigHeaders = "GET / HTTP/1.1\r\nHost: site.test\r\n" + ("X-Filler: " + "b".repeat(1000) + "\r\n").repeat(40) + "\r\n";
        assertThat(driver().feed(bigHeaders).output()).startsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n");
        String manyFields = "GET / HTTP/1.1\r\nHost: site.test\r\n" + "X: y\r\n".repeat(100) + "\r\n";
        assertThat(driver().feed(manyFields).output()).startsWith("HTTP/1.1 431 ");
        String justEnoughFields = "GET /plain.txt HTTP/1.1\r\nHost: site.test\r\n" + "X: y\r\n".repeat(99) + "\r\n";
        assertThat(driver().feed(justEnoughFields).output()).isEqualTo(PLAIN_200 + "\r\nhello world\n");
        String longestLine = "GET /plain.txt?" + "q".repeat(8192 - 24) + " HTTP/1.1\r\nHost: site.test\r\n\r\n";
        assertThat(longestLine.indexOf('\r')).isEqualTo(8192);
        assertThat(driver().feed(longestLine).output()).isEqualTo(PLAIN_200 + "\r\nhello world\n");
        sites.assertBalanced();
    }

    @Test
    void accessLogShowsRequestLineHostRefererAgentAndEncoding() {
        driver().feed("GET /index.html HTTP/1.1\r\nHost: SITE.test.:8080\r\nReferer: http://r/\r\nUser-Agent: ua/1\r\n"
                + "Accept-Encoding: gzip\r\n\r\n");
        assertThat(logged).containsExactly(
                "192.0.2.1 \"GET /index.html HTTP/1.1\" site.test 200 20 gzip \"http://r/\" \"ua/1\"");
    }

    @Test
    void pumpRunsOneRequestWithoutASocket() {
        HttpConnection c = connection(Limits.defaults());
        c.opened(0);
        long n = ConnectionPump.pump(c, java.nio.ByteBuffer.wrap(GET_PLAIN.getBytes()), 0);
        assertThat(n).isEqualTo((PLAIN_200 + "\r\nhello world\n").length());
        sites.assertBalanced();
    }
}
