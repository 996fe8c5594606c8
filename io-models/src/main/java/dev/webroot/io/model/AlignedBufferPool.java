package dev.webroot.io.model;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * A bounded pool of direct buffers aligned for O_DIRECT, allocated on first need. Used by one loop
 * thread; when all buffers are out, callers take the copy path instead of waiting.
 */
final class AlignedBufferPool {
    private final int bufferSize;
    private final int alignment;
    private final int maxBuffers;
    private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
    private int allocated;

    AlignedBufferPool(int bufferSize, int alignment, int maxBuffers) {
        this.bufferSize = bufferSize;
        this.alignment = alignment;
        this.maxBuffers = maxBuffers;
    }

    /** A cleared buffer, or null if the pool is exhausted. */
    ByteBuffer acquire() {
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

    void release(ByteBuffer buffer) {
        free.push(buffer);
    }
}
