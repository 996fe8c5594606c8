package dev.webroot.io.model;

import dev.webroot.io.Output;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.util.Arrays;

/**
 * The copy path: segments of an {@link Output} as one gathering write (one {@code writev}), file
 * spans as views of their mapping. Owns a reusable buffer array, so one instance serves one thread
 * (or one outstanding asynchronous write) at a time.
 */
final class GatheringWrite {
    private final ByteBuffer[] buffers;

    GatheringWrite(int maxBuffers) {
        buffers = new ByteBuffer[maxBuffers];
    }

    /** Index of the first segment with bytes left, or {@code segmentCount()} if none. */
    static int firstPending(Output output) {
        int count = output.segmentCount();
        int i = 0;
        while (i < count && output.remaining(i) == 0) {
            i++;
        }
        return i;
    }

    /**
     * Index of the first file span at or after {@code from} with at least {@code threshold} bytes
     * left, or {@code segmentCount()} if none.
     */
    static int firstLargeFileSpan(Output output, int from, long threshold) {
        int count = output.segmentCount();
        int i = from;
        while (i < count && !(output.isFileSpan(i) && output.remaining(i) >= threshold)) {
            i++;
        }
        return i;
    }

    /** Fills the array with the non-empty segments in {@code [from, to)}, as many as fit. */
    int fill(Output output, int from, int to) {
        int n = 0;
        for (int i = from; i < to && n < buffers.length; i++) {
            if (output.remaining(i) > 0) {
                buffers[n++] = output.buffer(i);
            }
        }
        return n;
    }

    ByteBuffer[] buffers() {
        return buffers;
    }

    /** Forgets the views handed out by {@link #fill}, so that they do not outlive the output. */
    void clear(int n) {
        Arrays.fill(buffers, 0, n, null);
    }

    /** Writes segments {@code [from, to)} in one gathering write; returns the bytes written. */
    long write(Output output, int from, int to, GatheringByteChannel channel) throws IOException {
        int n = fill(output, from, to);
        try {
            return n == 0 ? 0 : channel.write(buffers, 0, n);
        } finally {
            clear(n);
        }
    }
}
