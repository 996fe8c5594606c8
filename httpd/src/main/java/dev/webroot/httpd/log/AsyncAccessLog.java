package dev.webroot.httpd.log;

import dev.webroot.httpd.core.AccessLog;
import dev.webroot.httpd.core.AccessRecord;
import dev.webroot.io.LoopFailureHandler;
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
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The access log, written off the serving threads in 64 KiB blocks.
 *
 * <p>A serving thread formats its line straight into the current block of a shard: one of a few
 * (at least two per core) picked by thread, each with its own lock, so event loops almost never
 * meet and a line costs an uncontended lock and the formatting, with no queue node, no wake-up and
 * no system call. Only when a block is full does the thread hand it to the writer thread and take an empty
 * one from a fixed pool, once per several hundred lines. The writer writes each block whole, so
 * lines from different threads interleave only as whole lines, and takes partly filled blocks
 * every {@value #FLUSH_INTERVAL_MILLIS} ms, so a line reaches the file within about that time.
 * Lines of different shards are therefore not in time order across blocks.
 *
 * <p>Serving never waits for the log: when the writer falls behind (a slow or blocked destination)
 * and the pool is empty, lines are dropped and counted; when a write fails (a full disk), the
 * block's lines are counted as dropped. A separate thread reports drops in the error log at most
 * once a minute, so a writer stuck in a write still gets its drops reported.
 */
public final class AsyncAccessLog implements AccessLog, AutoCloseable {
    static final int BLOCK_BYTES = 64 * 1024;
    /** Blocks beyond one per shard: 4 MiB of lines may wait for the writer before lines are dropped. */
    static final int SPARE_BLOCKS = 64;
    static final long FLUSH_INTERVAL_MILLIS = 250;
    private static final long FLUSH_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(FLUSH_INTERVAL_MILLIS);
    private static final long WARNING_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final long DROP_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long CLOSE_WAIT_MILLIS = 3_000;

    private static final class Block {
        final byte[] bytes;
        int length;
        int lines;

        Block(int size) {
            bytes = new byte[size];
        }
    }

    private static final class Shard {
        final ReentrantLock lock = new ReentrantLock();
        /** Null after the writer took a partly filled block; the next line takes a fresh one. */
        Block block;
    }

    /** Queued by {@link #close} so that a writer waiting for a block notices at once. */
    private static final Block WAKE_UP = new Block(0);

    private final LineFormat format;
    private final Shard[] shards;
    private final ArrayBlockingQueue<Block> free;
    private final ArrayBlockingQueue<Block> full;
    private final Path file;
    private final ErrorLog errors;
    private OutputStream out;
    private final LongAdder droppedBehind = new LongAdder();
    private final AtomicLong droppedFailed = new AtomicLong();
    private volatile String writeFailure;
    private final Thread writer;
    private final Thread dropReporter;
    private volatile boolean closing;
    private volatile boolean reopenRequested;
    private long reportedBehind;
    private long reportedFailed;

    /**
     * @param file the file {@code out} appends to, reopened on request; null when {@code out} is not ours to reopen or close
     * @param shardCount a power of two
     */
    AsyncAccessLog(OutputStream out, Path file, LineFormat format, int shardCount, int spareBlocks, ErrorLog errors) {
        if (Integer.bitCount(shardCount) != 1) {
            throw new IllegalArgumentException("shard count " + shardCount + " is not a power of two");
        }
        this.out = out;
        this.file = file;
        this.format = format;
        this.errors = errors;
        int blocks = shardCount + spareBlocks;
        this.free = new ArrayBlockingQueue<>(blocks);
        this.full = new ArrayBlockingQueue<>(blocks + 1);
        for (int i = 0; i < blocks; i++) {
            free.add(new Block(BLOCK_BYTES));
        }
        this.shards = new Shard[shardCount];
        for (int i = 0; i < shardCount; i++) {
            shards[i] = new Shard();
        }
        this.writer = Thread.ofPlatform().name("access-log").daemon().start(() -> endsTheProcessOnFailure(this::writeLoop));
        this.dropReporter = Thread.ofPlatform().name("access-log-drops").daemon()
                .start(() -> endsTheProcessOnFailure(this::reportLoop));
    }

    private AsyncAccessLog(OutputStream out, Path file, String format, ErrorLog errors) {
        this(out, file, LineFormat.named(format), defaultShards(), SPARE_BLOCKS, errors);
    }

    private static int defaultShards() {
        return Integer.highestOneBit(Math.max(1, Runtime.getRuntime().availableProcessors()) * 4 - 1);
    }

    /** @param format "combined" or "json" */
    public static AsyncAccessLog toStdout(String format, ErrorLog errors) {
        return new AsyncAccessLog(new FileOutputStream(FileDescriptor.out), null, format, errors);
    }

    /** Appends to a file, creating it if needed; {@code format} is "combined" or "json". */
    public static AsyncAccessLog toFile(Path file, String format, ErrorLog errors) throws IOException {
        return new AsyncAccessLog(openAppending(file), file, format, errors);
    }

    private static OutputStream openAppending(Path file) throws IOException {
        return Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }

    /**
     * Asks the writer to close and reopen the file by name (after logrotate moved it), within a
     * quarter of a second; lines logged before go to the old file. Nothing to do for standard output.
     */
    public void reopen() {
        reopenRequested = true;
    }

    @Override
    public void log(AccessRecord record) {
        Shard shard = lockShard();
        try {
            Block block = shard.block;
            if (block == null || block.length > BLOCK_BYTES - LineFormat.MAX_LINE) {
                if (block != null) {
                    full.add(block);
                }
                block = shard.block = free.poll();
                if (block == null) {
                    droppedBehind.increment();
                    return;
                }
            }
            block.length = format.format(record, System.currentTimeMillis(), block.bytes, block.length);
            block.lines++;
        } finally {
            shard.lock.unlock();
        }
    }

    /** The thread's own shard if it is free, else the first free one after it, else waits for its own. */
    private Shard lockShard() {
        int mask = shards.length - 1;
        int home = (int) (Thread.currentThread().threadId() * 0x9E3779B97F4A7C15L >>> 40) & mask;
        for (int i = 0; i <= mask; i++) {
            Shard shard = shards[(home + i) & mask];
            if (shard.lock.tryLock()) {
                return shard;
            }
        }
        Shard shard = shards[home];
        shard.lock.lock();
        return shard;
    }

    /** Lines lost so far: dropped because the writer was behind, or in a write that failed. */
    public long dropped() {
        return droppedBehind.sum() + droppedFailed.get();
    }

    /**
     * Runs a log thread; one that still ends on a failure ends the process (status 70, one line), as
     * an I/O loop does, rather than leaving a server whose log silently stopped.
     */
    private static void endsTheProcessOnFailure(Runnable loop) {
        try {
            loop.run();
        } catch (Throwable t) {
            LoopFailureHandler.HALT.loopFailed(Thread.currentThread().getName(), t);
        }
    }

    private void writeLoop() {
        long lastSweep = System.nanoTime();
        while (true) {
            Block block;
            try {
                block = full.poll(FLUSH_INTERVAL_NANOS, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                block = null;
            }
            if (block != null && block != WAKE_UP) {
                write(block);
            }
            boolean stopping = closing;
            long now = System.nanoTime();
            if (reopenRequested) {
                reopenRequested = false;
                sweep();
                reopenFile();
                lastSweep = now;
            } else if (now - lastSweep >= FLUSH_INTERVAL_NANOS) {
                sweep();
                lastSweep = now;
            }
            if (stopping && full.isEmpty()) {
                sweep();
                if (file != null) {
                    try {
                        out.close();
                    } catch (IOException e) {
                        writeFailure = describe(e);
                    }
                }
                return;
            }
        }
    }

    /** Writes the partly filled block of every shard. */
    private void sweep() {
        for (Shard shard : shards) {
            Block taken = null;
            shard.lock.lock();
            try {
                if (shard.block != null && shard.block.length > 0) {
                    taken = shard.block;
                    shard.block = null;
                }
            } finally {
                shard.lock.unlock();
            }
            if (taken != null) {
                write(taken);
            }
        }
    }

    private void write(Block block) {
        try {
            out.write(block.bytes, 0, block.length);
        } catch (IOException | RuntimeException e) {
            // Counted and reported like any failed write; the block goes back to the pool either way.
            writeFailure = describe(e);
            droppedFailed.addAndGet(block.lines);
        } finally {
            block.length = 0;
            block.lines = 0;
            free.add(block);
        }
    }

    private void reopenFile() {
        if (file == null) {
            return;
        }
        OutputStream reopened;
        try {
            reopened = openAppending(file);
        } catch (IOException e) {
            errors.log("access log: cannot reopen " + file + " (" + describe(e) + "); still writing to the old file");
            return;
        }
        try {
            out.close();
        } catch (IOException e) {
            errors.log("access log: closing the old file failed (" + describe(e) + ")");
        }
        out = reopened;
    }

    private void reportLoop() {
        long lastWarning = System.nanoTime() - WARNING_INTERVAL_NANOS;
        while (!closing) {
            LockSupport.parkNanos(DROP_CHECK_NANOS);
            long now = System.nanoTime();
            if (now - lastWarning >= WARNING_INTERVAL_NANOS && reportDrops()) {
                lastWarning = now;
            }
        }
    }

    /** Logs the lines dropped since the last report, if any, with why; true if it logged. */
    private synchronized boolean reportDrops() {
        long behind = droppedBehind.sum();
        long failed = droppedFailed.get();
        long newBehind = behind - reportedBehind;
        long newFailed = failed - reportedFailed;
        if (newBehind == 0 && newFailed == 0) {
            return false;
        }
        reportedBehind = behind;
        reportedFailed = failed;
        String why = newFailed == 0 ? "writer behind"
                : (newBehind == 0 ? "" : "writer behind; ") + "write failed: " + writeFailure;
        errors.log("access log: " + (newBehind + newFailed) + " lines dropped (" + why + ")");
        return true;
    }

    private static String describe(Exception e) {
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    /**
     * Lets the writer write every line logged so far and stop, then reports drops not yet reported.
     * Waits at most a few seconds: a log destination that blocks (a full pipe) must not hold up
     * shutdown. Lines logged after this are not written.
     */
    @Override
    public void close() {
        // No interrupt: it would close a file destination under a write in progress.
        closing = true;
        full.offer(WAKE_UP);
        LockSupport.unpark(dropReporter);
        try {
            writer.join(CLOSE_WAIT_MILLIS);
            dropReporter.join(CLOSE_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            errors.log("access log: the destination is not accepting writes; lines not yet written are lost");
        }
        reportDrops();
    }
}
