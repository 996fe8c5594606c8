package dev.webroot.httpd.registry;

import dev.webroot.httpd.log.ErrorLog;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The thread that keeps a directory's reader current: it runs a check whenever the directory
 * changes (inotify), once the burst of events has settled, and at least every check interval, so
 * that a change the kernel does not report (a network filesystem, a lost event) is noticed too. It
 * can also watch further directories (those holding the targets of symlinks). When the directory
 * cannot be watched, or can no longer be, it checks on the interval alone and says so once.
 */
public final class DirectoryWatcher implements AutoCloseable {
    /** Events usually come in bursts (create temp, write, rename); collect the rest of a burst before checking. */
    private static final long EVENT_SETTLE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /** A copy over a watched file sends events without pause: a burst is cut off after this, so a check is never put off. */
    private static final long MAX_SETTLE_NANOS = TimeUnit.MILLISECONDS.toNanos(30);
    private static final long JOIN_MILLIS = TimeUnit.SECONDS.toMillis(5);

    private final Path directory;
    private final String description;
    private final Duration interval;
    private final ErrorLog log;
    private final Runnable check;
    private final Thread thread;
    private volatile WatchService service;
    private final WatchKey directoryKey;
    /** The further directories, with their keys (null: could not be watched); guarded by this. */
    private final Map<Path, WatchKey> further = new HashMap<>();
    private volatile boolean closed;

    /**
     * Registers {@code directory} for events; {@link #start} then runs {@code check} on a thread
     * named {@code threadName}. {@code description} names the directory in log lines ("vhosts directory").
     */
    public DirectoryWatcher(String threadName, String description, Path directory, Duration interval, ErrorLog log,
            Runnable check) {
        this.directory = directory;
        this.description = description;
        this.interval = interval;
        this.log = log;
        this.check = check;
        WatchService opened = null;
        WatchKey key = null;
        try {
            opened = directory.getFileSystem().newWatchService();
            key = register(directory, opened);
        } catch (IOException | RuntimeException e) {
            closeQuietly(opened);
            opened = null;
            log.log("cannot watch " + directory + " (" + VhostRegistry.reason(e) + "); checking it every "
                    + interval.toMillis() + " ms instead");
        }
        this.service = opened;
        this.directoryKey = key;
        this.thread = Thread.ofPlatform().name(threadName).daemon().unstarted(this::run);
    }

    public void start() {
        thread.start();
    }

    /** Whether the caller is the thread that runs the check. */
    public boolean onWatcherThread() {
        return Thread.currentThread() == thread;
    }

    /**
     * Watches exactly these directories besides the main one, from now on: drops those no longer
     * wanted and registers new ones, and again those whose registration became invalid. A directory
     * that cannot be watched is logged once and left to the interval.
     */
    public synchronized void watchAlso(Set<Path> directories) {
        WatchService current = service;
        if (current == null) {
            return;
        }
        further.entrySet().removeIf(watched -> {
            WatchKey key = watched.getValue();
            boolean stale = !directories.contains(watched.getKey()) || key != null && !key.isValid();
            if (stale && key != null) {
                key.cancel();
            }
            return stale;
        });
        for (Path other : directories) {
            if (other.equals(directory) || further.containsKey(other)) {
                continue;
            }
            try {
                further.put(other, register(other, current));
            } catch (IOException | RuntimeException e) {
                further.put(other, null);
                log.log("cannot watch " + other + " (" + VhostRegistry.reason(e) + "); a change in it is noticed within "
                        + interval.toMillis() + " ms");
            }
        }
    }

    private static WatchKey register(Path directory, WatchService service) throws IOException {
        return directory.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
                StandardWatchEventKinds.ENTRY_MODIFY);
    }

    private void run() {
        while (!closed) {
            try {
                awaitChange();
                check.run();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                if (closed) {
                    return;
                }
            } catch (RuntimeException | Error e) {
                // One file's fault must not end the checks of the whole directory.
                log.log(thread.getName() + ": unexpected " + e + "; continuing");
            }
        }
    }

    /** Returns on an event (after its burst settles, for at most {@link #MAX_SETTLE_NANOS}) or when the interval elapses. */
    private void awaitChange() throws InterruptedException {
        WatchService current = service;
        if (current == null) {
            Thread.sleep(interval);
            return;
        }
        WatchKey key = current.poll(interval.toMillis(), TimeUnit.MILLISECONDS);
        long settled = System.nanoTime() + MAX_SETTLE_NANOS;
        while (key != null) {
            key.pollEvents();
            if (!key.reset() && key == directoryKey) {
                log.log(description + " " + directory + " can no longer be watched; checking it every "
                        + interval.toMillis() + " ms instead");
                service = null;
                closeQuietly(current);
                return;
            }
            // A further directory's key that became invalid is registered again by the next watchAlso.
            long left = settled - System.nanoTime();
            if (left <= 0) {
                return;
            }
            key = current.poll(Math.min(EVENT_SETTLE_NANOS, left), TimeUnit.NANOSECONDS);
        }
    }

    /** Stops the thread, waiting for a check in progress to end (for a few seconds at most). */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        closeQuietly(service);
        try {
            thread.join(JOIN_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(WatchService service) {
        if (service == null) {
            return;
        }
        try {
            service.close();
        } catch (IOException ignored) {
            // Closing only releases the inotify descriptor; nothing to recover.
        }
    }
}
