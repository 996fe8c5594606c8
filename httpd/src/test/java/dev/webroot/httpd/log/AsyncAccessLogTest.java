package dev.webroot.httpd.log;

import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.httpd.core.AccessRecord;
import dev.webroot.httpd.core.LoggedBytes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class AsyncAccessLogTest {
    private final ByteArrayOutputStream errors = new ByteArrayOutputStream();
    private final ErrorLog errorLog = ErrorLog.to(new PrintStream(errors, true, StandardCharsets.UTF_8));

    record Exchange(String remoteAddress, LoggedBytes requestLine, LoggedBytes host, int status, long bodyBytes,
                    LoggedBytes referer, LoggedBytes userAgent, String encoding, long durationNanos) implements AccessRecord {
        Exchange(String remoteAddress, String requestLine, String host, int status, long bodyBytes, String referer,
                 String userAgent, String encoding, long durationNanos) {
            this(remoteAddress, field(requestLine, MAX_REQUEST_LINE), field(host, MAX_HOST), status, bodyBytes,
                    field(referer, MAX_REFERER), field(userAgent, MAX_USER_AGENT), encoding, durationNanos);
        }
    }

    /** A field as the core keeps it: one byte per char of {@code text} (ISO-8859-1), cut at {@code capacity}. */
    static LoggedBytes field(String text, int capacity) {
        return field(text.getBytes(StandardCharsets.ISO_8859_1), capacity);
    }

    static LoggedBytes field(byte[] bytes, int capacity) {
        LoggedBytes field = new LoggedBytes(capacity);
        field.set(bytes, 0, bytes.length);
        return field;
    }

    static final Exchange TYPICAL = new Exchange("127.0.0.1:41234", "GET /index.html HTTP/1.1",
            "www.example.com", 200, 1234, "", "curl/8.5.0", "br", 3_400_000);

    @Test
    void writesCombinedLogFormatWithHostEncodingAndRequestTime(@TempDir Path temp) throws Exception {
        Path file = temp.resolve("access.log");
        try (AsyncAccessLog log = AsyncAccessLog.toFile(file, "combined", errorLog)) {
            log.log(TYPICAL);
        }
        String line = Files.readString(file);
        assertThat(line).matches("127\\.0\\.0\\.1 - - \\[\\d\\d/[A-Z][a-z]{2}/\\d{4}:\\d\\d:\\d\\d:\\d\\d \\+0000] "
                + "\"GET /index.html HTTP/1\\.1\" 200 1234 \"-\" \"curl/8\\.5\\.0\" \"www\\.example\\.com\" br 0\\.003\n");
    }

    @Test
    void escapesQuotesControlBytesAndCapsLongFields(@TempDir Path temp) throws Exception {
        Path file = temp.resolve("access.log");
        String forged = "x\" 200 1 \"-\" \"-\"\nfake line\\";
        try (AsyncAccessLog log = AsyncAccessLog.toFile(file, "combined", errorLog)) {
            log.log(new Exchange("0:0:0:0:0:0:0:1:5555", "GET /" + "a".repeat(10_000) + " HTTP/1.1", "h", 404, 0, forged,
                    "\u00ff", "identity", 0));
        }
        String text = Files.readString(file, StandardCharsets.ISO_8859_1);
        assertThat(text.lines()).hasSize(1);
        assertThat(text).startsWith("0:0:0:0:0:0:0:1 - - [");
        assertThat(text).contains("\"x\\x22 200 1 \\x22-\\x22 \\x22-\\x22\\x0afake line\\x5c\" \"\\xff\"");
        assertThat(text).contains("\"GET /" + "a".repeat(AccessRecord.MAX_REQUEST_LINE - 8) + "...\" 404 0");
    }

    /** Every field at its cap, made of the bytes with the longest escapes: the line still fits. */
    @Test
    void everyFieldAtItsCapFitsOneLineInBothFormats() {
        byte[] worst = new byte[4 * AccessRecord.MAX_REQUEST_LINE];
        for (int i = 0; i < worst.length; i++) {
            worst[i] = (byte) (i % 3 == 0 ? 0x01 : i % 3 == 1 ? 0xff : ' ');
        }
        String remote = "\u0001".repeat(200) + ":1";
        Exchange hostile = new Exchange(remote, field(worst, AccessRecord.MAX_REQUEST_LINE),
                field(worst, AccessRecord.MAX_HOST), Integer.MAX_VALUE, Long.MAX_VALUE, field(worst, AccessRecord.MAX_REFERER),
                field(worst, AccessRecord.MAX_USER_AGENT), "\u0001".repeat(200), Long.MAX_VALUE);
        for (LineFormat format : List.of(new CombinedLogFormat(), new JsonLogFormat())) {
            byte[] line = new byte[LineFormat.MAX_LINE];
            int length = format.format(hostile, System.currentTimeMillis(), line, 0);
            assertThat(length).as("%s line", format).isLessThanOrEqualTo(LineFormat.MAX_LINE);
            assertThat(line[length - 1]).isEqualTo((byte) '\n');
            assertThat(new String(line, 0, length - 1, StandardCharsets.ISO_8859_1)).doesNotContain("\n");
        }
    }

    @Test
    void jsonLinesParseWithTheHostileValuesIntact(@TempDir Path temp) throws Exception {
        Path file = temp.resolve("access.json");
        byte[] agent = concat("ok \u00e9\u20ac\ud83d\ude00 ".getBytes(StandardCharsets.UTF_8),
                new byte[] {(byte) 0xff, ' ', (byte) 0xc0, (byte) 0xaf, ' ', (byte) 0xed, (byte) 0xa0, (byte) 0x80, ' ',
                    (byte) 0xe2, (byte) 0x82});
        String agentDecoded = "ok \u00e9\u20ac\ud83d\ude00 \ufffd \ufffd\ufffd \ufffd\ufffd\ufffd \ufffd\ufffd";
        String referer = "q\"uote b\\ack \u0001\u001f ctl\nnl\ttab\u007fdel </script>";
        String target = "/a\"b\\c%00?x=\u0002";
        Exchange hostile = new Exchange("192.0.2.7:1", field("GET " + target + " HTTP/1.1", AccessRecord.MAX_REQUEST_LINE),
                field("h\"ost", AccessRecord.MAX_HOST), 200, 11, field(referer, AccessRecord.MAX_REFERER),
                field(agent, AccessRecord.MAX_USER_AGENT), "gzip", 1_500_000_000L);
        Exchange refused = new Exchange("[::1]:2", "\u0016\u0003\u0001\u0000", "", 400, 0, "", "", "identity", 0);
        Exchange cut = new Exchange("192.0.2.8:3", "GET /" + "x".repeat(3000) + " HTTP/1.1", "", 414, 0, "", "", "identity", 0);
        try (AsyncAccessLog log = AsyncAccessLog.toFile(file, "json", errorLog)) {
            log.log(hostile);
            log.log(refused);
            log.log(cut);
        }
        List<String> parsed = parseJsonLines(file);
        assertThat(parsed).hasSize(3);
        assertThat(parsed.get(0)).isEqualTo(String.join(" ", "remote=" + hex("192.0.2.7"), "time=TIME",
                "method=" + hex("GET"), "target=" + hex(target), "protocol=" + hex("HTTP/1.1"), "status=200", "bytes=11",
                "referer=" + hex(referer), "user_agent=" + hex(agentDecoded), "host=" + hex("h\"ost"),
                "encoding=" + hex("gzip"), "duration=1.5"));
        assertThat(parsed.get(1)).isEqualTo(String.join(" ", "remote=" + hex("[::1]"), "time=TIME",
                "method=" + hex("\u0016\u0003\u0001\u0000"), "target=null", "protocol=null", "status=400", "bytes=0",
                "referer=null", "user_agent=null", "host=null", "encoding=" + hex("identity"), "duration=0.0"));
        assertThat(parsed.get(2)).contains("method=" + hex("GET"),
                "target=" + hex("/" + "x".repeat(AccessRecord.MAX_REQUEST_LINE - 5) + "..."), "protocol=null");
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    private static String hex(String text) {
        return java.util.HexFormat.of().formatHex(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Parses each line with Python's json module (the file read as strict UTF-8) and describes it as
     * {@code key=value} pairs in the file's key order: strings as the hex of their UTF-8, the time
     * checked against ISO-8601 and shown as TIME.
     */
    private static List<String> parseJsonLines(Path file) throws Exception {
        String script = """
                import json, re, sys
                for line in open(sys.argv[1], encoding='utf-8', errors='strict'):
                    record = json.loads(line)
                    assert re.fullmatch(r'\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z', record['time']), record['time']
                    record['time'] = 'TIME'
                    print(' '.join(k + '=' + ('null' if v is None else 'TIME' if k == 'time'
                                              else v.encode('utf-8').hex() if isinstance(v, str) else str(v))
                                   for k, v in record.items()))
                """;
        Process python = new ProcessBuilder("python3", "-c", script, file.toString()).redirectErrorStream(true).start();
        String output = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(python.waitFor()).as("python3 parsing %s: %s", file, output).isZero();
        return output.lines().toList();
    }

    @Test
    void reopensTheFileByNameAfterItWasMoved(@TempDir Path temp) throws Exception {
        Path file = temp.resolve("access.log");
        Path rotated = temp.resolve("access.log.1");
        try (AsyncAccessLog log = AsyncAccessLog.toFile(file, "combined", errorLog)) {
            log.log(TYPICAL);
            awaitContent(file);
            Files.move(file, rotated);
            log.reopen();
            await("reopened", () -> Files.exists(file));
            log.log(TYPICAL);
        }
        assertThat(Files.readAllLines(rotated)).hasSize(1);
        assertThat(Files.readAllLines(file)).hasSize(1);
    }

    private static void awaitContent(Path file) {
        await("written without being closed", () -> {
            try {
                return Files.size(file) > 0;
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
    }

    /** Waits up to 10 s for {@code condition}; generous, since the machine may be busy. */
    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void writesWithoutBeingClosedWithinAFlushInterval(@TempDir Path temp) throws Exception {
        Path file = temp.resolve("access.log");
        try (AsyncAccessLog log = AsyncAccessLog.toFile(file, "combined", errorLog)) {
            long started = System.nanoTime();
            log.log(TYPICAL);
            awaitContent(file);
            // Indicative only: the writer takes partly filled blocks every quarter of a second.
            assertThat(System.nanoTime() - started).isLessThan(TimeUnit.SECONDS.toNanos(5));
        }
    }

    /** Lines logged by many threads at once: every one written, whole, none torn or lost. */
    @Test
    void linesFromManyThreadsArriveWholeAndNoneIsLost(@TempDir Path temp) throws Exception {
        Path file = temp.resolve("access.log");
        int threads = 8;
        int perThread = 5_000;
        // Room for every line even if the writer did not run until the end: the count must not depend on timing.
        try (AsyncAccessLog log = new AsyncAccessLog(Files.newOutputStream(file), file, new CombinedLogFormat(), 4, 160,
                errorLog)) {
            List<Thread> started = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                Runnable work = () -> {
                    for (int i = 0; i < perThread; i++) {
                        log.log(new Exchange("10.0.0." + thread + ":80", "GET /t" + thread + "/" + i + " HTTP/1.1",
                                "site", 200, i, "", "agent " + "z".repeat(i % 100), "identity", 0));
                    }
                };
                started.add(t % 2 == 0 ? Thread.ofPlatform().start(work) : Thread.ofVirtual().start(work));
            }
            for (Thread t : started) {
                t.join();
            }
            assertThat(log.dropped()).isZero();
        }
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(threads * perThread);
        Set<String> requests = new HashSet<>();
        for (String line : lines) {
            assertThat(line).matches("10\\.0\\.0\\.(\\d) - - \\[[^]]+] \"GET /t\\1/(\\d+) HTTP/1\\.1\" 200 \\2 \"-\" "
                    + "\"agent z*\" \"site\" identity 0\\.000");
            requests.add(line.substring(line.indexOf("GET"), line.indexOf(" HTTP")));
        }
        assertThat(requests).hasSize(threads * perThread);
    }

    /** A destination that accepts nothing until released, as a pipe nobody reads. */
    private static final class StuckStream extends OutputStream {
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch entered = new CountDownLatch(1);

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void aBlockedWriterNeverStallsLoggingAndDropsAreCountedAndWarnedOnce() throws Exception {
        StuckStream stuck = new StuckStream();
        try (AsyncAccessLog log = new AsyncAccessLog(stuck, null, new CombinedLogFormat(), 2, 4, errorLog)) {
            try {
                long logged = 0;
                long started = System.nanoTime();
                // Fill the blocks until the writer is stuck in a write and lines are being dropped.
                while (log.dropped() == 0 || stuck.entered.getCount() > 0) {
                    log.log(TYPICAL);
                    logged++;
                    assertThat(System.nanoTime() - started).as("blocks filled").isLessThan(TimeUnit.SECONDS.toNanos(10));
                }
                long before = System.nanoTime();
                for (int i = 0; i < 200_000; i++) {
                    log.log(TYPICAL);
                }
                logged += 200_000;
                // A dropped line costs less than a written one; 200,000 take milliseconds, never seconds.
                assertThat(System.nanoTime() - before).isLessThan(TimeUnit.SECONDS.toNanos(5));
                await("a drop warning", () -> warnings().size() == 1);
                long untilAfterNextCheck = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2_500);
                while (System.nanoTime() < untilAfterNextCheck) {
                    log.log(TYPICAL);
                    logged++;
                }
                assertThat(warnings()).as("one warning a minute").hasSize(1);
                assertThat(warnings().getFirst()).matches("httpd: access log: \\d+ lines dropped \\(writer behind\\)");
                // Six blocks of 64 KiB hold at most this many lines; all the others were dropped.
                assertThat(log.dropped()).isGreaterThan(logged - 6 * AsyncAccessLog.BLOCK_BYTES / 100);
            } finally {
                stuck.release.countDown();
            }
        }
    }

    private List<String> warnings() {
        return errors.toString(StandardCharsets.UTF_8).lines().filter(line -> line.contains("lines dropped")).toList();
    }

    @Test
    void aFailingWriteCountsItsLinesAsDroppedWithTheReason() throws Exception {
        Path full = Path.of("/dev/full");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isWritable(full), "/dev/full (Linux)");
        long logged = 0;
        AsyncAccessLog log = AsyncAccessLog.toFile(full, "combined", errorLog);
        try (log) {
            long started = System.nanoTime();
            while (warnings().isEmpty()) {
                for (int i = 0; i < 1000; i++) {
                    log.log(TYPICAL);
                }
                logged += 1000;
                Thread.sleep(1);
                assertThat(System.nanoTime() - started).as("a drop warning").isLessThan(TimeUnit.SECONDS.toNanos(10));
            }
            assertThat(warnings()).hasSize(1);
            assertThat(warnings().getFirst())
                    .matches("httpd: access log: \\d+ lines dropped \\(write failed: No space left on device\\)");
        }
        // Closing writes what is left (and fails too): every line logged is accounted for.
        assertThat(log.dropped()).isEqualTo(logged);
    }
}
