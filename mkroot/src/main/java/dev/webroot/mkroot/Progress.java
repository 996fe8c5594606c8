package dev.webroot.mkroot;

import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The progress line on stderr: redrawn in place with {@code \r} ten times a second while a user
 * watches a terminal, and never otherwise, so logs and pipes stay clean.
 */
final class Progress implements AutoCloseable {
    private static final long REDRAW_MILLIS = 100;

    private final Io io;
    private final int totalFiles;
    private final long totalBytes;
    private final long startNanos = System.nanoTime();
    private final AtomicLong files = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final ScheduledExecutorService ticker;
    private volatile String phase = "packing";
    private int lastWidth;

    private Progress(Io io, int totalFiles, long totalBytes, boolean visible) {
        this.io = io;
        this.totalFiles = totalFiles;
        this.totalBytes = totalBytes;
        if (visible) {
            ticker = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("progress").factory());
            ticker.scheduleAtFixedRate(this::redraw, REDRAW_MILLIS, REDRAW_MILLIS, TimeUnit.MILLISECONDS);
        } else {
            ticker = null;
        }
    }

    /** Starts showing progress over this many files and bytes if stderr belongs to a watching user. */
    static Progress start(Io io, int totalFiles, long totalBytes) {
        return new Progress(io, totalFiles, totalBytes, io.terminal());
    }

    void fileDone() {
        files.incrementAndGet();
    }

    void bytesRead(long n) {
        bytes.addAndGet(n);
    }

    /** Names what is happening now, e.g. writing the output. */
    void phase(String description) {
        phase = description;
    }

    private synchronized void redraw() {
        double seconds = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
        String line = String.format(Locale.ROOT, "mkroot: %s: %d/%d files, %s/%s, %.1f MB/s", phase, files.get(),
                totalFiles, megabytes(bytes.get()), megabytes(totalBytes), bytes.get() / 1e6 / seconds);
        io.err().print("\r" + line + " ".repeat(Math.max(0, lastWidth - line.length())));
        io.err().flush();
        lastWidth = line.length();
    }

    /** Stops redrawing and replaces the line with a summary of the finished build. */
    void finish(String outputName, long outputBytes) {
        close();
        if (ticker == null) {
            return;
        }
        double seconds = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
        String line = String.format(Locale.ROOT, "mkroot: packed %d files (%s) into %s (%s) in %.1f s, %.1f MB/s",
                totalFiles, megabytes(totalBytes), outputName, megabytes(outputBytes), seconds, totalBytes / 1e6 / seconds);
        io.err().println(line);
    }

    /** Stops redrawing; on failure the error message starts on a fresh line. */
    @Override
    public void close() {
        if (ticker != null && !ticker.isShutdown()) {
            ticker.shutdownNow();
            awaitTicker();
            synchronized (this) {
                if (lastWidth > 0) {
                    io.err().print("\r" + " ".repeat(lastWidth) + "\r");
                    io.err().flush();
                    lastWidth = 0;
                }
            }
        }
    }

    private void awaitTicker() {
        try {
            ticker.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String megabytes(long n) {
        return String.format(Locale.ROOT, "%.1f MB", n / 1e6);
    }
}
