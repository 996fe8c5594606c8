package dev.webroot.httpd.log;

import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.httpd.core.AccessRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class AsyncAccessLogTest {
    private final ByteArrayOutputStream errors = new ByteArrayOutputStream();
    private final ErrorLog errorLog = ErrorLog.to(new PrintStream(errors, true, StandardCharsets.UTF_8));

    private record Exchange(String remoteAddress, CharSequence requestLine, CharSequence host, int status,
                            long bodyBytes, CharSequence referer, CharSequence userAgent, CharSequence encoding,
                            long durationNanos) implements AccessRecord {}

    private static final Exchange TYPICAL = new Exchange("127.0.0.1:41234", "GET /index.html HTTP/1.1",
            "www.example.com", 200, 1234, "", "curl/8.5.0", "br", 3_400_000);

    @Test
    void writesCombinedLogFormatWithHostEncodingAndRequestTime(@TempDir Path temp) throws Exception {
        Path file = temp.resolve("access.log");
        try (AsyncAccessLog log = AsyncAccessLog.toFile(file, errorLog)) {
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
        try (AsyncAccessLog log = AsyncAccessLog.toFile(file, errorLog)) {
            log.log(new Exchange("0:0:0:0:0:0:0:1:5555", "GET /" + "a".repeat(10_000) + " HTTP/1.1", "h", 404, 0, forged,
                    "\u00ff", "identity", 0));
        }
        String text = Files.readString(file);
        assertThat(text.lines()).hasSize(1);
        assertThat(text).startsWith("0:0:0:0:0:0:0:1 - - [");
        assertThat(text).contains("\"x\\x22 200 1 \\x22-\\x22 \\x22-\\x22\\x0afake line\\x5c\" \"\\xff\"");
        assertThat(text).contains("aaa...\" 404 0");
        assertThat(text.length()).isLessThan(CombinedLogFormat.MAX_LINE);
    }

    @Test
    void reopensTheFileByNameAfterItWasMoved(@TempDir Path temp) throws Exception {
        Path file = temp.resolve("access.log");
        Path rotated = temp.resolve("access.log.1");
        try (AsyncAccessLog log = AsyncAccessLog.toFile(file, errorLog)) {
            log.log(TYPICAL);
            awaitContent(file);
            Files.move(file, rotated);
            log.reopen();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (!Files.exists(file)) {
                assertThat(System.nanoTime()).as("reopened").isLessThan(deadline);
                Thread.sleep(10);
            }
            log.log(TYPICAL);
        }
        assertThat(Files.readAllLines(rotated)).hasSize(1);
        assertThat(Files.readAllLines(file)).hasSize(1);
    }

    private static void awaitContent(Path file) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (Files.size(file) == 0) {
            assertThat(System.nanoTime()).as("flushed within a second").isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    @Test
    void flushesWithinASecondWithoutBeingClosed(@TempDir Path temp) throws Exception {
        Path file = temp.resolve("access.log");
        try (AsyncAccessLog log = AsyncAccessLog.toFile(file, errorLog)) {
            log.log(TYPICAL);
            awaitContent(file);
        }
    }

    @Test
    void dropsAndCountsInsteadOfBlockingWhenTheWriterIsStuck() throws Exception {
        CountDownLatch unblock = new CountDownLatch(1);
        OutputStream stuck = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                try {
                    unblock.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        try (AsyncAccessLog log = new AsyncAccessLog(stuck, null, 4, errorLog)) {
            try {
                long started = System.nanoTime();
                for (int i = 0; i < 100_000; i++) {
                    log.log(TYPICAL);
                }
                assertThat(System.nanoTime() - started).isLessThan(TimeUnit.SECONDS.toNanos(2));
                // The writer takes lines until its 64 KiB buffer fills and the stream blocks; the rest are dropped.
                assertThat(log.dropped()).isGreaterThan(90_000);
            } finally {
                unblock.countDown();
            }
        }
        assertThat(errors.toString(StandardCharsets.UTF_8)).contains("access log: dropped");
    }
}
