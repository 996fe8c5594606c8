package dev.webroot.httpd;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

class StopDeadlineTest {
    private final ReentrantLock closeLock = new ReentrantLock();

    @Test
    void aStopThatHangsIsEndedWithALineNamingWhereTheIoThreadWaits() throws Exception {
        closeLock.lock();
        Thread stuck = Thread.ofPlatform().name("io-test-0").daemon().start(this::closeThatNeverReturns);
        try {
            CompletableFuture<String> expired = new CompletableFuture<>();
            long started = System.nanoTime();
            StopDeadline.start(TimeUnit.MILLISECONDS.toNanos(200), expired::complete);
            String line = expired.get(10, TimeUnit.SECONDS);
            assertThat(System.nanoTime() - started).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(200));
            assertThat(line).startsWith("the orderly stop did not finish within 200 ms (still running: ")
                    .contains("io-test-0 in " + StopDeadlineTest.class.getName() + ".closeThatNeverReturns")
                    .endsWith("); exiting now");
        } finally {
            closeLock.unlock();
            stuck.join();
        }
    }

    @Test
    void aStopThatFinishesCancelsIt() throws Exception {
        CompletableFuture<String> expired = new CompletableFuture<>();
        Thread deadline = StopDeadline.start(TimeUnit.MILLISECONDS.toNanos(200), expired::complete);
        deadline.interrupt();
        deadline.join(TimeUnit.SECONDS.toMillis(5));
        assertThat(deadline.isAlive()).isFalse();
        assertThat(expired).isNotDone();
    }

    private void closeThatNeverReturns() {
        closeLock.lock();
        closeLock.unlock();
    }
}
