package dev.webroot.io;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * A way of moving bytes between sockets and {@link Connection}s. It knows nothing of HTTP: it
 * accepts, reads, writes what the connection asks, and enforces the connection's deadlines.
 *
 * <p>The model opens its own listening socket ({@link #bind}) because the asynchronous model can
 * only accept on an {@code AsynchronousServerSocketChannel} of its own channel group; binding is a
 * separate step so that it can happen before privileges are dropped. Life cycle: {@code bind},
 * {@code start}, {@code shutdown}; each at most once.
 */
public interface IoModel {
    /** The name used on the command line: sync, sendfile, async, direct or epoll. */
    String name();

    /**
     * Opens the listening socket and binds it ({@code SO_REUSEADDR} on).
     *
     * @return the bound address, with the port resolved when {@code address} asked for port 0
     */
    InetSocketAddress bind(InetSocketAddress address, int backlog) throws IOException;

    /** Starts accepting on the bound listener; returns once serving has begun. */
    void start(ConnectionFactory factory) throws IOException;

    /** Number of connections currently open. */
    int openConnections();

    /**
     * Stops accepting and closes the listener, closes connections with no output in flight at once,
     * lets the others finish within the settings' grace period, then closes every connection. Blocks
     * until done; {@link Connection#closed} has then been called for every accepted connection.
     */
    void shutdown();
}
