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
        return reuseAddress(listener).bind(address, backlog).getLocalAddress();
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

    private void acceptLoop(ServerSocketChannel listener, ConnectionFactory factory) {
        while (listener.isOpen()) {
            SocketChannel socket;
            try {
                socket = listener.accept();
            } catch (IOException e) {
                if (listener.isOpen()) {
                    acceptFailed(e);
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(ACCEPT_RETRY_MILLIS));
                }
                continue;
            }
            if (!table.admit(socket)) {
                continue;
            }
            Connection connection = table.connect(factory, socket, socket::getRemoteAddress);
            if (connection != null) {
                SyncDriver driver = new SyncDriver(connection, table, socket);
                table.add(driver);
                connectionThreads.start(driver);
            }
        }
    }

    @Override
    void stopAccepting() {
        listeners.forEach(listener -> closeQuietly(listener.channel()));
    }

    @Override
    void stopThreads() {
        acceptors.forEach(AbstractIoModel::join);
    }
}
