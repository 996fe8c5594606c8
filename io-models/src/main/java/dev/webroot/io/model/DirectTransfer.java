package dev.webroot.io.model;

import com.sun.nio.file.ExtendedOpenOption;
import dev.webroot.io.Output;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * File spans of at least the threshold are read with O_DIRECT into pooled aligned buffers and
 * written from there; everything else goes by the copy path. The read is a blocking {@code pread}
 * on the loop thread: the other connections of that loop wait for it. A reader pool would hide
 * that latency but add a hand-off, a second owner for the buffer and a completion queue per loop;
 * since this model exists to compare against the page cache (whose hits never block), the simple
 * form is kept and the cost is visible in measurements.
 *
 * <p>A span's current position may be unaligned (after a partial write, or a range): the aligned
 * blocks covering it are read and the head is skipped. Each file is opened once per loop, keyed by
 * the webroot's own channel so that a new generation of a webroot never reuses an older one's
 * descriptor; a cached descriptor is closed once its generation's channel is closed, or after
 * it has gone unused for a housekeeping period.
 */
final class DirectTransfer implements BodyTransfer {
    static final int ALIGNMENT = 4096;
    static final int BUFFER_SIZE = 256 * 1024;
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    /** A file opened for direct I/O, or a refusal (null channel): use the copy path for it. */
    private static final class DirectFile {
        final FileChannel channel;
        int users;
        boolean used = true;

        DirectFile(FileChannel channel) {
            this.channel = channel;
        }
    }

    private final long threshold;
    private final GatheringWrite gather;
    private final BufferPool pool;
    private final Map<FileChannel, DirectFile> files = new HashMap<>();

    DirectTransfer(long threshold, int maxBuffers, int maxPooledBuffers) {
        this.threshold = threshold;
        this.gather = new GatheringWrite(maxBuffers);
        this.pool = new BufferPool(BUFFER_SIZE, ALIGNMENT, maxPooledBuffers);
    }

    @Override
    public Sender newSender() {
        return new DirectSender();
    }

    @Override
    public void housekeeping() {
        for (Iterator<Map.Entry<FileChannel, DirectFile>> it = files.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<FileChannel, DirectFile> entry = it.next();
            DirectFile file = entry.getValue();
            if (file.users == 0 && (!file.used || !entry.getKey().isOpen())) {
                closeQuietly(file);
                it.remove();
            } else {
                file.used = false;
            }
        }
    }

    @Override
    public void close() {
        files.values().forEach(DirectTransfer::closeQuietly);
        files.clear();
    }

    private DirectFile file(Output output, int segment) {
        FileChannel source = output.channel(segment);
        DirectFile file = files.get(source);
        if (file == null) {
            file = new DirectFile(openDirect(output.file(segment), output.mapping(segment)));
            files.put(source, file);
        }
        file.used = true;
        return file;
    }

    /**
     * Opens {@code path} with O_DIRECT if it still is the mapped file; null means use the copy path.
     * A file renamed over the path since it was mapped (a vhost entry replaced by another webroot)
     * must not be read for the old mapping's offsets: its size and its first block (a webroot's
     * header and index checksum) must match the mapping's.
     */
    private static FileChannel openDirect(Path path, MemorySegment mapping) {
        FileChannel channel = null;
        try {
            long blockSize = Files.getFileStore(path).getBlockSize();
            if (blockSize > ALIGNMENT || ALIGNMENT % blockSize != 0) {
                warnOnce(path, "its file system's block size " + blockSize + " exceeds " + ALIGNMENT);
                return null;
            }
            channel = FileChannel.open(path, StandardOpenOption.READ, ExtendedOpenOption.DIRECT);
            if (channel.size() != mapping.byteSize() || !startsLike(channel, mapping)) {
                warnOnce(path, "it is no longer the mapped file");
                channel.close();
                return null;
            }
            return channel;
        } catch (IOException | UnsupportedOperationException e) {
            warnOnce(path, e.toString());
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // already failing over to the copy path
                }
            }
            return null;
        }
    }

    /** Whether the first block read through {@code channel} (O_DIRECT) equals the mapping's. */
    private static boolean startsLike(FileChannel channel, MemorySegment mapping) throws IOException {
        int length = (int) Math.min(ALIGNMENT, mapping.byteSize());
        ByteBuffer block = ByteBuffer.allocateDirect(2 * ALIGNMENT).alignedSlice(ALIGNMENT).limit(ALIGNMENT);
        while (block.position() < length) {
            if (channel.read(block, block.position()) < 0) {
                return false;
            }
        }
        return block.flip().limit(length).equals(mapping.asSlice(0, length).asByteBuffer());
    }

    private static void warnOnce(Path path, String why) {
        if (WARNED.compareAndSet(false, true)) {
            IoLog.warn("direct I/O unavailable for " + path + " (" + why
                    + "); copying from the mapping instead (logged once)");
        }
    }

    private static void closeQuietly(DirectFile file) {
        if (file.channel != null) {
            try {
                file.channel.close();
            } catch (IOException ignored) {
                // read-only descriptor; nothing to flush
            }
        }
    }

    /** Holds one pooled buffer, filled with the file bytes {@code [blockStart, blockStart + block.limit())}. */
    private final class DirectSender implements Sender {
        private ByteBuffer block;
        private DirectFile blockFile;
        private long blockStart;
        private int blockLength;

        @Override
        public long send(Output output, SocketChannel socket) throws IOException {
            int first = GatheringWrite.firstPending(output);
            if (first == output.segmentCount()) {
                return 0;
            }
            boolean large = output.isFileSpan(first) && output.remaining(first) >= threshold;
            boolean continuing = output.isFileSpan(first) && holds(output, first);
            if (!large && !continuing) {
                int end = GatheringWrite.firstLargeFileSpan(output, first, threshold);
                return gather.write(output, first, end, socket);
            }
            if (!continuing && !fill(output, first)) {
                return gather.write(output, first, first + 1, socket);
            }
            long offset = output.filePosition(first) - blockStart;
            long end = Math.min(blockLength, offset + output.remaining(first));
            block.limit((int) end).position((int) offset);
            return socket.write(block);
        }

        private boolean holds(Output output, int segment) {
            if (block == null || blockFile != files.get(output.channel(segment))) {
                return false;
            }
            long position = output.filePosition(segment);
            return position >= blockStart && position < blockStart + blockLength;
        }

        /** Reads the aligned blocks covering the span's position; false means use the copy path. */
        private boolean fill(Output output, int segment) throws IOException {
            DirectFile file = file(output, segment);
            if (file.channel == null) {
                return false;
            }
            if (block == null && (block = pool.acquire()) == null) {
                return false;
            }
            switchTo(file);
            long position = output.filePosition(segment);
            blockStart = position & -ALIGNMENT;
            block.clear();
            int n;
            do {
                n = file.channel.read(block, blockStart + block.position());
            } while (n > 0 && block.hasRemaining() && block.position() % ALIGNMENT == 0);
            blockLength = block.position();
            return position < blockStart + blockLength;
        }

        private void switchTo(DirectFile file) {
            if (blockFile != file) {
                if (blockFile != null) {
                    blockFile.users--;
                }
                file.users++;
                blockFile = file;
            }
            blockLength = 0;
        }

        @Override
        public void release() {
            if (block != null) {
                pool.release(block);
                block = null;
            }
            if (blockFile != null) {
                blockFile.users--;
                blockFile = null;
            }
            blockLength = 0;
        }
    }
}
