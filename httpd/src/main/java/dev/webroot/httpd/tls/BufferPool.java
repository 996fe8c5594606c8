package dev.webroot.httpd.tls;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * The record buffers of TLS connections, lent while a connection has bytes in flight and given back
 * when it is idle, so that an idle keep-alive connection holds only its engine (about what OpenSSL
 * keeps with {@code SSL_MODE_RELEASE_BUFFERS}). Heap buffers for JSSE, which encrypts arrays
 * fastest; native ones for OpenSSL, which reads and writes them in place.
 */
final class BufferPool {
    /** Enough for every connection that is busy at once on a loaded server; beyond it buffers are dropped. */
    private static final int KEPT = 1024;

    /** One connection's buffers: ciphertext received, plaintext not yet taken by the next layer, ciphertext to send. */
    static final class Set {
        final ByteBuffer netIn;
        final ByteBuffer appIn;
        final ByteBuffer netOut;
        /** Native buffers only: where plaintext from the heap is copied to be encrypted; null for heap sets. */
        final ByteBuffer plainOut;

        Set(int packetBytes, int applicationBytes, boolean direct) {
            netIn = allocate(packetBytes, direct);
            appIn = allocate(applicationBytes, direct);
            // Two records per write: a large body leaves in 32 KiB writes rather than 16 KiB ones.
            netOut = allocate(2 * packetBytes, direct);
            plainOut = direct ? ByteBuffer.allocateDirect(applicationBytes) : null;
        }

        private static ByteBuffer allocate(int bytes, boolean direct) {
            return direct ? ByteBuffer.allocateDirect(bytes) : ByteBuffer.allocate(bytes);
        }

        /** A native buffer's memory from index {@code from} to {@code to}. */
        static MemorySegment span(ByteBuffer buffer, int from, int to) {
            return MemorySegment.ofBuffer(buffer.duplicate().limit(to).position(from));
        }
    }

    private final ArrayBlockingQueue<Set> free = new ArrayBlockingQueue<>(KEPT);
    private final int packetBytes;
    private final int applicationBytes;
    private final boolean direct;

    BufferPool(int packetBytes, int applicationBytes, boolean direct) {
        this.packetBytes = packetBytes;
        this.applicationBytes = applicationBytes;
        this.direct = direct;
    }

    Set take() {
        Set set = free.poll();
        return set != null ? set : new Set(packetBytes, applicationBytes, direct);
    }

    /** Takes back a set whose buffers are all empty. */
    void giveBack(Set set) {
        set.netIn.clear();
        set.appIn.clear();
        set.netOut.clear();
        free.offer(set);
    }
}
