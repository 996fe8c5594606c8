package dev.webroot.io.model;

import dev.webroot.io.Connection;
import dev.webroot.io.ConnectionFactory;
import dev.webroot.io.IoSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.AsynchronousChannelGroup;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Asynchronous channels in a group of {@code workerCount()} threads, completion handlers, gathering
 * writes; direct buffers (the mapping among them) are copied into pooled staging buffers first, to
 * work around a JDK bug described in {@link AsyncDriver}. Deadlines by
 * {@link ThreadedModel}'s sweeper. Past {@code maxConnections}, new sockets are accepted and
 * closed at once.
 */
public final class AsyncModel extends ThreadedModel {
    /** Staging buffers for output (see {@link AsyncDriver}): at most 16 MiB. */
    private static final int STAGING_BUFFERS = 64;
    private static final int STAGING_BYTES = 256 * 1024;

    private final BufferPool stagingPool = new BufferPool(STAGING_BYTES, 64, STAGING_BUFFERS);
    private final List<Acceptor> acceptors = new ArrayList<>();
    private AsynchronousChannelGroup group;

    /**
     * One listener of the group: keeps one accept outstanding and serves what it accepts. After a
     * failed accept (out of descriptors) the sweeper starts the next one {@link #ACCEPT_RETRY_MILLIS} later.
     */
    private final class Acceptor implements CompletionHandler<AsynchronousSocketChannel, Void> {
        final AsynchronousServerSocketChannel listener;
        final ConnectionFactory factory;
        /** When a paused accept resumes (nanoTime), or MAX_VALUE. */
        volatile long resumeAt = Long.MAX_VALUE;

        Acceptor(AsynchronousServerSocketChannel listener, ConnectionFactory factory) {
            this.listener = listener;
            this.factory = factory;
        }

        void acceptNext() {
            try {
                listener.accept(null, this);
            } catch (Throwable e) {
                failed(e, null);
            }
        }

        @Override
        public void completed(AsynchronousSocketChannel socket, Void unused) {
            acceptNext();
            serve(socket, factory);
        }

        @Override
        public void failed(Throwable failure, Void unused) {
            if (IoLog.fatal(failure)) {
                faults.loopFailed(failure);
            } else if (listener.isOpen() && !(failure instanceof AsynchronousCloseException)) {
                faults.acceptFailed(failure);
                resumeAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ACCEPT_RETRY_MILLIS);
            }
        }
    }

    public AsyncModel(IoSettings settings) {
        super("async", settings);
    }

    @Override
    SocketAddress openListener(InetSocketAddress address, int backlog, ConnectionFactory factory) throws IOException {
        if (group == null) {
            // Completion handlers catch what a connection raises; what still escapes is a loop failure.
            group = AsynchronousChannelGroup.withFixedThreadPool(settings.workerCount(),
                    Thread.ofPlatform().name("io-async-", 0).daemon()
                            .uncaughtExceptionHandler((thread, e) -> faults.loopFailed(e)).factory());
        }
        AsynchronousServerSocketChannel listener = AsynchronousServerSocketChannel.open(group);
        acceptors.add(new Acceptor(listener, factory));
        return tuneListener((InetSocketAddress) reuseAddress(listener).bind(address, backlog).getLocalAddress());
    }

    @Override
    void startServing() {
        startSweeper();
        acceptors.forEach(Acceptor::acceptNext);
    }

    @Override
    void tick(long now) {
        for (Acceptor acceptor : acceptors) {
            if (acceptor.resumeAt != Long.MAX_VALUE && now - acceptor.resumeAt >= 0) {
                acceptor.resumeAt = Long.MAX_VALUE;
                acceptor.acceptNext();
            }
        }
    }

    private void serve(AsynchronousSocketChannel socket, ConnectionFactory factory) {
        if (!table.admit(socket)) {
            return;
        }
        String remote = ConnectionTable.peer(socket::getRemoteAddress);
        Connection connection = table.connect(factory, socket, remote, faults);
        if (connection == null) {
            return;
        }
        AsyncDriver driver = new AsyncDriver(connection, table, socket, stagingPool, remote, faults);
        table.add(driver);
        try {
            driver.opened(System.nanoTime());
        } catch (Throwable e) {
            driver.fail(e);
            return;
        }
        driver.drive();
    }

    @Override
    void stopAccepting(long deadline) {
        acceptors.forEach(acceptor -> closeQuietly(acceptor.listener));
    }

    @Override
    boolean threadsAlive() {
        return group != null && !group.isShutdown();
    }

    @Override
    void stopThreads(long deadline) {
        if (group == null) {
            return;
        }
        try {
            group.shutdownNow();
            if (!group.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                IoLog.warn("async channel group did not end at shutdown");
            }
        } catch (IOException e) {
            IoLog.warn("async channel group did not shut down cleanly: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
