package dev.webroot.io.model;

import dev.webroot.io.Connection;
import dev.webroot.io.ConnectionFactory;
import dev.webroot.io.IoSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Blocking sockets, one virtual thread per connection, bodies copied from the mapping in gathering
 * writes; a platform thread per listener accepts. Deadlines by {@link ThreadedModel}'s sweeper. Past
 * {@code maxConnections}, new sockets are accepted and closed at once. {@code workers} does not
 * apply: virtual threads run on the JVM-wide scheduler ({@code jdk.virtualThreadScheduler.parallelism}).
 */
public final class SyncModel extends ThreadedModel {
    private final List<Listener<ServerSocketChannel>> listeners = new ArrayList<>();
    private final List<Thread> acceptors = new ArrayList<>();
    private Thread.Builder connectionThreads;

    public SyncModel(IoSettings settings) {
        super("sync", settings);
    }

    @Override
    SocketAddress openListener(InetSocketAddress address, int backlog, ConnectionFactory factory) throws IOException {
        ServerSocketChannel listener = ServerSocketChannel.open();
        listeners.add(new Listener<>(listener, factory));
        return tuneListener((InetSocketAddress) reuseAddress(listener).bind(address, backlog).getLocalAddress());
    }

    @Override
    void startServing() {
        connectionThreads = Thread.ofVirtual().name("io-sync-connection");
        startSweeper();
        for (int i = 0; i < listeners.size(); i++) {
            Listener<ServerSocketChannel> listener = listeners.get(i);
            acceptors.add(Thread.ofPlatform().name("io-sync-accept-" + i).daemon()
                    .start(() -> acceptLoop(listener.channel(), listener.factory())));
        }
    }

    /**
     * Accepts until the listener closes. A failed accept (out of descriptors) pauses it; a failure
     * while handing a socket over closes that socket; anything else ends the process by the loop
     * failure handler.
     */
    private void acceptLoop(ServerSocketChannel listener, ConnectionFactory factory) {
        try {
            while (listener.isOpen()) {
                SocketChannel socket;
                try {
                    socket = listener.accept();
                } catch (Throwable e) {
                    if (IoLog.fatal(e)) {
                        faults.loopFailed(e);
                    } else if (listener.isOpen()) {
                        faults.acceptFailed(e);
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(ACCEPT_RETRY_MILLIS));
                    }
                    continue;
                }
                if (table.admit(socket)) {
                    serve(socket, factory);
                }
            }
        } catch (Throwable e) {
            faults.loopFailed(e);
        }
    }

    private void serve(SocketChannel socket, ConnectionFactory factory) {
        String remote = ConnectionTable.peer(socket::getRemoteAddress);
        Connection connection = table.connect(factory, socket, remote, faults);
        if (connection == null) {
            return;
        }
        SyncDriver driver = new SyncDriver(connection, table, socket, remote, faults);
        table.add(driver);
        try {
            connectionThreads.start(driver);
        } catch (Throwable e) {
            driver.fail(e);
        }
    }

    @Override
    void stopAccepting(long deadline) {
        listeners.forEach(listener -> closeQuietly(listener.channel()));
    }

    @Override
    boolean threadsAlive() {
        return !acceptors.isEmpty() && acceptors.stream().allMatch(Thread::isAlive);
    }

    @Override
    void stopThreads(long deadline) {
        acceptors.forEach(acceptor -> join(acceptor, deadline));
    }
}
