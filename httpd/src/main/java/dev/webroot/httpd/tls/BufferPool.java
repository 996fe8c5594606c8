package dev.webroot.httpd.tls;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * The record buffers of TLS connections, lent while a connection has bytes in flight and given back
 * when it is idle, so that an idle keep-alive connection holds only its engine (about what OpenSSL
 * keeps with {@code SSL_MODE_RELEASE_BUFFERS}). Heap buffers: JSSE encrypts arrays fastest.
 */
final class BufferPool {
    /** Enough for every connection that is busy at once on a loaded server; beyond it buffers are dropped. */
    private static final int KEPT = 1024;

    /** One connection's buffers: ciphertext received, plaintext not yet taken by the next layer, ciphertext to send. */
    static final class Set {
        final ByteBuffer netIn;
        final ByteBuffer appIn;
        final ByteBuffer netOut;

        Set(int packetBytes, int applicationBytes) {
            netIn = ByteBuffer.allocate(packetBytes);
            appIn = ByteBuffer.allocate(applicationBytes);
            // Two records per write: a large body leaves in 32 KiB writes rather than 16 KiB ones.
            netOut = ByteBuffer.allocate(2 * packetBytes);
        }
    }

    private final ArrayBlockingQueue<Set> free = new ArrayBlockingQueue<>(KEPT);
    private final int packetBytes;
    private final int applicationBytes;

    BufferPool(int packetBytes, int applicationBytes) {
        this.packetBytes = packetBytes;
        this.applicationBytes = applicationBytes;
    }

    Set take() {
        Set set = free.poll();
        return set != null ? set : new Set(packetBytes, applicationBytes);
    }

    /** Takes back a set whose buffers are all empty. */
    void giveBack(Set set) {
        set.netIn.clear();
        set.appIn.clear();
        set.netOut.clear();
        free.offer(set);
    }
}
