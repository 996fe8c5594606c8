package dev.webroot.io.model;

import dev.webroot.io.Output;
import java.io.IOException;
import java.nio.channels.SocketChannel;

/**
 * How an event loop moves a connection's output to its socket: by copying from the mapping, by
 * {@code transferTo} (sendfile), or by reading the file with direct I/O. One instance per loop,
 * used by that loop's thread only.
 */
interface BodyTransfer extends AutoCloseable {
    /** Per-connection transfer state. */
    interface Sender {
        /**
         * Writes some of {@code output} to the non-blocking socket; returns the bytes written, 0
         * when the socket is full.
         */
        long send(Output output, SocketChannel socket) throws IOException;

        /** The connection has no output in flight: give back pooled buffers. */
        default void release() {}
    }

    Sender newSender();

    /** Periodic upkeep on the loop thread (closing unused files). */
    default void housekeeping() {}

    @Override
    default void close() {}
}
