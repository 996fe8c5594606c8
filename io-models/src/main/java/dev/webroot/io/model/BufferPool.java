package dev.webroot.io.model;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * A bounded pool of equal-sized direct buffers, aligned (for O_DIRECT), allocated on first need.
 * When every buffer is out, {@link #acquire} returns null and the caller falls back rather than
 * waits, so memory stays bounded without blocking anyone. Thread-safe; uncontended on a loop.
 */
final class BufferPool {
    private final int bufferSize;
    private final int alignment;
    private final int maxBuffers;
    private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
    private int allocated;

    BufferPool(int bufferSize, int alignment, int maxBuffers) {
        this.bufferSize = bufferSize;
        this.alignment = alignment;
        this.maxBuffers = maxBuffers;
    }

    /** A cleared buffer, or null if the pool is exhausted. */
    synchronized ByteBuffer acquire() {
        ByteBuffer buffer = free.poll();
        if (buffer == null && allocated < maxBuffers) {
            allocated++;
            buffer = ByteBuffer.allocateDirect(bufferSize + alignment).alignedSlice(alignment).limit(bufferSize).slice();
        }
        if (buffer != null) {
            buffer.clear();
        }
        return buffer;
    }

    synchronized void release(ByteBuffer buffer) {
        free.push(buffer);
    }
}
