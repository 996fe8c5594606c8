package dev.webroot.io;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * A way of moving bytes between sockets and {@link Connection}s. It knows nothing of HTTP: it
 * accepts, reads, writes what the connection asks, and enforces the connection's deadlines.
 *
 * <p>The model opens its own listening sockets ({@link #bind}) because the asynchronous model can
 * only accept on an {@code AsynchronousServerSocketChannel} of its own channel group; binding is a
 * separate step so that it can happen before privileges are dropped. A model may listen on several
 * addresses, each with its own {@link ConnectionFactory} (cleartext, TLS, admin); their connections
 * share the model's workers and its {@code maxConnections}. Life cycle: {@code bind} once per
 * listener, {@code start} once, {@code shutdown}.
 */
public interface IoModel {
    /** The name used on the command line: sync, sendfile, async, direct or epoll. */
    String name();

    /**
     * Opens a listener ({@code SO_REUSEADDR} on) bound to {@code address}; may be called several
     * times before {@link #start}. Connections accepted on it come from {@code factory}. If binding
     * fails, the model is shut down (every listener bound so far is closed) and unusable.
     *
     * @return the bound address, with the port resolved when {@code address} asked for port 0
     */
    InetSocketAddress bind(InetSocketAddress address, int backlog, ConnectionFactory factory) throws IOException;

    /**
     * Takes over a listening socket this process inherited (systemd's socket activation passes them
     * as descriptors 3 and up), in place of a {@link #bind}: connections accepted on it come from
     * {@code factory}. The descriptor is the model's from then on and is closed at shutdown.
     *
     * @return the address the socket is bound to
     * @throws UnsupportedOperationException if this model can only accept on sockets it opened
     * @throws IOException if {@code fd} is not a listening stream socket
     */
    default InetSocketAddress adopt(int fd, ConnectionFactory factory) throws IOException {
        throw new UnsupportedOperationException("the " + name() + " I/O model cannot take over an inherited socket");
    }

    /**
     * Waits until the file bytes this model handed to the kernel by reference have left this host,
     * or {@code deadlineNanos} (System.nanoTime) passes; returns whether they did. sendfile queues
     * page-cache pages, not copies, so an in-place write to a file changes those still queued: sent
     * but unacknowledged, or unread by a peer on this host. Models that copy bodies into their
     * sockets return true at once. Called when a writer waits to change a served file.
     */
    default boolean awaitFilePagesDelivered(long deadlineNanos) {
        return true;
    }

    /** Starts accepting on every bound listener; returns once serving has begun. */
    void start() throws IOException;

    /**
     * The most connections open at once: the settings' {@code maxConnections}, lowered (with one
     * warning when the model starts) to the process's descriptor limit (RLIMIT_NOFILE) minus a
     * reserve for listeners, webroots and logs.
     */
    int maxConnections();

    /** Number of connections currently open. */
    int openConnections();

    /** Connections accepted and admitted since the model was created. */
    long acceptedConnections();

    /** Connections accepted and closed at once: past {@code maxConnections}, or while shutting down. */
    long refusedConnections();

    /** Times a connection's deadline passed and it was told so (head, keep-alive, send or handshake timeouts). */
    long timedOutConnections();

    /** True while every loop or thread the model serves with is running (false before start and after shutdown). */
    boolean workersAlive();

    /**
     * Stops accepting and closes every listener, closes connections with no output in flight at once,
     * lets the others finish within the settings' grace period, then closes every connection. Blocks
     * until done, at most the grace period plus 0.9 s whatever the connections do; {@link
     * Connection#closed} has then been called for every accepted connection (unless a connection's
     * owner is stuck inside one of its calls, which is logged).
     */
    void shutdown();
}
