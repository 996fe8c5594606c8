package dev.webroot.io;

import java.io.IOException;
import java.nio.channels.ServerSocketChannel;

/**
 * A way of moving bytes between sockets and {@link Connection}s. It knows nothing of HTTP: it
 * accepts, reads, writes what the connection asks, and enforces the connection's deadlines.
 */
public interface IoModel {
    /** The name used on the command line: sync, sendfile, async or direct. */
    String name();

    /** Starts accepting on a bound listener; returns once serving has begun. */
    void start(ServerSocketChannel listener, ConnectionFactory factory) throws IOException;

    /** Number of connections currently open. */
    int openConnections();

    /**
     * Stops accepting, lets in-flight responses finish within the settings' grace period, then
     * closes every connection. Blocks until done.
     */
    void shutdown();
}
