package dev.webroot.httpd.core;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Read buffers shared by all connections, so that a connection holds one only while it has
 * unparsed bytes: an idle keep-alive connection holds none. Taking and giving back allocate
 * nothing once the pool is warm; a buffer that finds no free slot is left to the collector, so the
 * pool never holds more than {@link #SLOTS} buffers.
 */
final class ReadBufferPool {
    static final int BUFFER_SIZE = 4096;
    private static final int SLOTS = 1024;
    private static final int PROBES = 8;

    static final ReadBufferPool SHARED = new ReadBufferPool();

    /** A pooled array with its reusable buffer view. */
    record ReadBuffer(byte[] bytes, ByteBuffer view) {}

    private final AtomicReferenceArray<ReadBuffer> slots = new AtomicReferenceArray<>(SLOTS);

    ReadBuffer take() {
        int first = firstSlot();
        for (int i = 0; i < PROBES; i++) {
            int slot = (first + i) & (SLOTS - 1);
            ReadBuffer buffer = slots.get(slot);
            if (buffer != null && slots.compareAndSet(slot, buffer, null)) {
                return buffer;
            }
        }
        byte[] bytes = new byte[BUFFER_SIZE];
        return new ReadBuffer(bytes, ByteBuffer.wrap(bytes));
    }

    void giveBack(ReadBuffer buffer) {
        int first = firstSlot();
        for (int i = 0; i < PROBES; i++) {
            int slot = (first + i) & (SLOTS - 1);
            if (slots.get(slot) == null && slots.compareAndSet(slot, null, buffer)) {
                return;
            }
        }
    }

    /** Threads start probing at different slots, so that event loops rarely contend. */
    private static int firstSlot() {
        return (int) (Thread.currentThread().threadId() * 0x9E3779B9L >>> 7) & (SLOTS - 1);
    }
}
