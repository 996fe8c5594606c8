package dev.webroot.httpd.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.webroot.httpd.log.ErrorLog;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryWatcherTest {
    /** Far longer than any test: a check that comes sooner came from an event. */
    private static final Duration NEVER = Duration.ofHours(1);

    @TempDir
    Path directory;
    @TempDir
    Path other;

    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    private final ErrorLog log = ErrorLog.to(new PrintStream(logBytes, true, StandardCharsets.UTF_8));
    /** One element per check, naming the thread that ran it. */
    private final LinkedBlockingQueue<String> checks = new LinkedBlockingQueue<>();
    private DirectoryWatcher watcher;

    @AfterEach
    void close() {
        if (watcher != null) {
            watcher.close();
        }
    }

    private DirectoryWatcher start(Path watched, Duration interval, Runnable check) {
        watcher = new DirectoryWatcher("test-watcher", "test directory", watched, interval, log, check);
        watcher.start();
        return watcher;
    }

    private void recordCheck() {
        checks.add(Thread.currentThread().getName() + (watcher.onWatcherThread() ? "" : " (not the watcher thread)"));
    }

    private String nextCheck(long millis) throws InterruptedException {
        return checks.poll(millis, TimeUnit.MILLISECONDS);
    }

    private String logged() {
        return logBytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aChangeInTheDirectoryRunsTheCheckOnTheWatcherThread() throws Exception {
        start(directory, NEVER, this::recordCheck);
        assertNull(nextCheck(200), "no check before a change");

        Files.writeString(directory.resolve("site.webroot"), "x");

        assertEquals("test-watcher", nextCheck(5_000));
        assertFalse(watcher.onWatcherThread());
    }

    @Test
    void aBurstOfEventsGivesFewChecks() throws Exception {
        start(directory, NEVER, this::recordCheck);
        for (int i = 0; i < 20; i++) {
            Path temporary = directory.resolve(".tmp" + i);
            Files.writeString(temporary, "x");
            Files.move(temporary, directory.resolve("f" + i));
        }
        assertNotNull(nextCheck(5_000));
        Thread.sleep(300);
        // Twenty creates and renames take a few milliseconds: one check, or up to three on a slow
        // machine where the burst outlasts the 30 ms cut-off; without settling there is one per event or so.
        assertTrue(checks.size() <= 2, checks.size() + 1 + " checks for one burst");
    }

    @Test
    void withoutEventsTheCheckStillRunsOnTheInterval() throws Exception {
        start(directory, Duration.ofMillis(100), this::recordCheck);
        for (int i = 0; i < 3; i++) {
            assertEquals("test-watcher", nextCheck(5_000));
        }
    }

    @Test
    void furtherDirectoriesWakeItUntilDropped() throws Exception {
        start(directory, NEVER, this::recordCheck);
        watcher.watchAlso(Set.of(other));

        Files.writeString(other.resolve("a.webroot"), "x");
        assertEquals("test-watcher", nextCheck(5_000));

        watcher.watchAlso(Set.of());
        Thread.sleep(100);
        checks.clear();
        Files.writeString(other.resolve("b.webroot"), "x");
        assertNull(nextCheck(500), "a directory no longer watched must not wake the watcher");
    }

    @Test
    void aFurtherDirectoryThatCannotBeWatchedIsLoggedOnce() {
        start(directory, NEVER, this::recordCheck);
        Path missing = other.resolve("missing");

        watcher.watchAlso(Set.of(missing));
        watcher.watchAlso(Set.of(missing));

        assertEquals(1, logged().split("cannot watch " + missing, -1).length - 1, logged());
        assertTrue(logged().contains("no such file or directory); a change in it is noticed within 3600000 ms"), logged());
    }

    @Test
    void aDirectoryThatCannotBeWatchedIsCheckedOnTheInterval() throws Exception {
        Path missing = directory.resolve("missing");
        start(missing, Duration.ofMillis(100), this::recordCheck);

        assertEquals("test-watcher", nextCheck(5_000));
        assertEquals("test-watcher", nextCheck(5_000));
        assertTrue(logged().contains("cannot watch " + missing + " (no such file or directory); checking it every 100 ms instead"),
                logged());
    }

    @Test
    void aDirectoryThatGoesAwayIsThenCheckedOnTheInterval() throws Exception {
        Path watched = Files.createDirectory(directory.resolve("watched"));
        start(watched, Duration.ofMillis(200), this::recordCheck);

        Files.delete(watched);

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!logged().contains("can no longer be watched") && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(logged().contains("test directory " + watched + " can no longer be watched; checking it every 200 ms instead"),
                logged());
        checks.clear();
        assertEquals("test-watcher", nextCheck(5_000));
        assertEquals("test-watcher", nextCheck(5_000));
    }

    @Test
    void aFailingCheckIsLoggedAndTheWatcherGoesOn() throws Exception {
        int[] runs = {0};
        start(directory, Duration.ofMillis(50), () -> {
            if (runs[0]++ == 0) {
                throw new IllegalStateException("broken file");
            }
            recordCheck();
        });

        assertEquals("test-watcher", nextCheck(5_000));
        assertTrue(logged().contains("test-watcher: unexpected java.lang.IllegalStateException: broken file; continuing"), logged());
    }

    @Test
    void closeStopsTheChecks() throws Exception {
        start(directory, Duration.ofMillis(50), this::recordCheck);
        assertNotNull(nextCheck(5_000));

        watcher.close();
        checks.clear();
        Files.writeString(directory.resolve("late.webroot"), "x");

        assertNull(nextCheck(300), "a check after close");
    }
}
