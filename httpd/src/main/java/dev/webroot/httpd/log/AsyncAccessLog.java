package dev.webroot.httpd.log;

import dev.webroot.httpd.core.AccessLog;
import dev.webroot.httpd.core.AccessRecord;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The access log, written off the serving threads. A serving thread takes a preallocated line
 * buffer from a free pool, formats the record into it (no allocation) and queues it; one writer
 * thread copies queued lines to a buffered stream and flushes whenever it runs idle and at least
 * once a second. When every buffer is in use the record is dropped and counted, never waited for.
 */
public final class AsyncAccessLog implements AccessLog, AutoCloseable {
    static final int DEFAULT_CAPACITY = 1024;
    private static final long FLUSH_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long DROP_REPORT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private static final class Line {
        final byte[] bytes = new byte[CombinedLogFormat.MAX_LINE];
        int length;
    }

    private final CombinedLogFormat format = new CombinedLogFormat();
    private final ArrayBlockingQueue<Line> free;
    private final ArrayBlockingQueue<Line> queued;
    private final Path file;
    private final ErrorLog errors;
    private OutputStream out;
    private final AtomicLong dropped = new AtomicLong();
    private final Thread writer;
    private volatile boolean closing;
    private volatile boolean reopenRequested;
    private long droppedReported;
    private boolean failed;

    /** @param file the file {@code out} appends to, reopened on request; null when {@code out} is not ours to reopen or close */
    AsyncAccessLog(OutputStream out, Path file, int capacity, ErrorLog errors) {
        this.out = new BufferedOutputStream(out, 64 * 1024);
        this.file = file;
        this.errors = errors;
        this.free = new ArrayBlockingQueue<>(capacity);
        this.queued = new ArrayBlockingQueue<>(capacity);
        for (int i = 0; i < capacity; i++) {
            free.add(new Line());
        }
        this.writer = Thread.ofPlatform().name("access-log").daemon().start(this::writeLoop);
    }

    public static AsyncAccessLog toStdout(ErrorLog errors) {
        return new AsyncAccessLog(new FileOutputStream(FileDescriptor.out), null, DEFAULT_CAPACITY, errors);
    }

    /** Appends to a file, creating it if needed. */
    public static AsyncAccessLog toFile(Path file, ErrorLog errors) throws IOException {
        return new AsyncAccessLog(openAppending(file), file, DEFAULT_CAPACITY, errors);
    }

    private static OutputStream openAppending(Path file) throws IOException {
        return Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }

    /**
     * Asks the writer to close and reopen the file by name (after logrotate moved it), within a
     * tenth of a second; lines already queued go to the old file. Nothing to do for standard output.
     */
    public void reopen() {
        reopenRequested = true;
    }

    @Override
    public void log(AccessRecord record) {
        Line line = free.poll();
        if (line == null) {
            dropped.incrementAndGet();
            return;
        }
        line.length = format.format(record, System.currentTimeMillis(), line.bytes);
        queued.add(line);
    }

    /** Records dropped so far because the writer could not keep up. */
    public long dropped() {
        return dropped.get();
    }

    private void writeLoop() {
        long lastFlush = System.nanoTime();
        long lastDropReport = lastFlush;
        boolean dirty = false;
        while (true) {
            Line line;
            try {
                line = queued.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                line = null;
            }
            if (line != null) {
                write(line);
                free.add(line);
                dirty = true;
            }
            long now = System.nanoTime();
            if (dirty && (line == null || now - lastFlush >= FLUSH_INTERVAL_NANOS)) {
                flush();
                dirty = false;
                lastFlush = now;
            }
            if (reopenRequested) {
                reopenRequested = false;
                reopenFile();
                dirty = false;
            }
            if (now - lastDropReport >= DROP_REPORT_INTERVAL_NANOS) {
                reportDrops();
                lastDropReport = now;
            }
            if (line == null && closing && queued.isEmpty()) {
                finish();
                return;
            }
        }
    }

    private void reopenFile() {
        if (file == null) {
            return;
        }
        OutputStream reopened;
        try {
            reopened = new BufferedOutputStream(openAppending(file), 64 * 1024);
        } catch (IOException e) {
            errors.log("access log: cannot reopen " + file + " (" + e.getMessage() + "); still writing to the old file");
            return;
        }
        flush();
        try {
            out.close();
        } catch (IOException e) {
            fail(e);
        }
        out = reopened;
        failed = false;
    }

    private void write(Line line) {
        try {
            out.write(line.bytes, 0, line.length);
        } catch (IOException e) {
            fail(e);
        }
    }

    private void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            fail(e);
        }
    }

    private void fail(IOException e) {
        if (!failed) {
            errors.log("access log: write failed (" + e.getMessage() + "); lines are being lost");
            failed = true;
        }
    }

    private void reportDrops() {
        long total = dropped.get();
        if (total != droppedReported) {
            errors.log("access log: dropped " + (total - droppedReported) + " records because the writer fell behind");
            droppedReported = total;
        }
    }

    private void finish() {
        reportDrops();
        flush();
        if (file != null) {
            try {
                out.close();
            } catch (IOException e) {
                fail(e);
            }
        }
    }

    /**
     * Lets the writer write what is queued, flush and stop. Waits at most a few seconds: a log
     * destination that blocks (a full pipe) must not hold up shutdown.
     */
    @Override
    public void close() {
        // No interrupt: it would close a file destination under a write in progress; the writer sees
        // closing within one poll and stops once the queue is empty.
        closing = true;
        try {
            writer.join(TimeUnit.SECONDS.toMillis(3));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            errors.log("access log: the destination is not accepting writes; " + queued.size()
                    + " queued lines may be lost");
        }
    }
}
