package dev.webroot.io.model;

import dev.webroot.io.ConnectionFactory;
import dev.webroot.io.IoModel;
import dev.webroot.io.IoSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.NetworkChannel;
import java.util.concurrent.TimeUnit;

/** The life cycle and the shutdown sequence every model shares. */
abstract class AbstractIoModel implements IoModel {
    /** How long shutdown waits for owners to notice their closed sockets after the grace period. */
    private static final long ABORT_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);

    final IoSettings settings;
    final ConnectionTable table;
    private final String name;
    private int listeners;
    private boolean started;
    private boolean stopped;

    AbstractIoModel(String name, IoSettings settings) {
        this.name = name;
        this.settings = settings;
        this.table = new ConnectionTable(settings.maxConnections());
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final synchronized InetSocketAddress bind(InetSocketAddress address, int backlog, ConnectionFactory factory)
            throws IOException {
        if (started || stopped) {
            throw new IllegalStateException(name + " model can bind only before it starts");
        }
        listeners++;
        try {
            return (InetSocketAddress) openListener(address, backlog, factory);
        } catch (IOException | RuntimeException e) {
            // What opened before the bind failed (this channel, earlier listeners, the async model's group).
            shutdown();
            throw e;
        }
    }

    @Override
    public final synchronized void start() throws IOException {
        if (listeners == 0 || started || stopped) {
            throw new IllegalStateException(name + " model must be bound and not yet started");
        }
        started = true;
        startServing();
    }

    @Override
    public final int openConnections() {
        return table.open();
    }

    @Override
    public final synchronized void shutdown() {
        if (stopped) {
            return;
        }
        stopped = true;
        table.startDraining();
        stopAccepting();
        if (started) {
            wakeForDrain();
            table.awaitEmpty(System.nanoTime() + settings.shutdownGrace().toNanos());
            abortAll();
            if (!table.awaitEmpty(System.nanoTime() + ABORT_WAIT_NANOS)) {
                Driver.LOG.log(System.Logger.Level.WARNING, name + " model: " + table.open()
                        + " connections did not close after shutdown");
            }
        }
        stopWorkers();
    }

    /**
     * Opens and binds one more listener with SO_REUSEADDR, whose connections come from
     * {@code factory}; returns the bound address. Whatever it opens is kept where
     * {@link #stopAccepting} and {@link #stopWorkers} close it, also when binding fails.
     */
    abstract SocketAddress openListener(InetSocketAddress address, int backlog, ConnectionFactory factory)
            throws IOException;

    abstract void startServing() throws IOException;

    /** Closes every listener; accepts in progress fail quietly. */
    abstract void stopAccepting();

    /** Makes every owner re-check its connection now that the table is draining. */
    abstract void wakeForDrain();

    /** Closes every connection's socket, so that owners close their connections. */
    abstract void abortAll();

    /** Stops the model's threads once no connection is left (also when it never started). */
    abstract void stopWorkers();

    /**
     * Pause after a failed accept (typically EMFILE: out of descriptors), so that a listener that
     * stays readable does not turn into a busy loop of failures.
     */
    static final long ACCEPT_RETRY_MILLIS = 100;

    static void acceptFailed(Throwable failure) {
        Driver.LOG.log(System.Logger.Level.WARNING,
                "accept failed, retrying in " + ACCEPT_RETRY_MILLIS + " ms: " + failure);
    }

    static <C extends NetworkChannel> C reuseAddress(C channel) throws IOException {
        channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        return channel;
    }

    /** Waits for a thread to end; an interrupt ends the wait and is kept for the caller. */
    static void join(Thread thread) {
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void closeQuietly(AutoCloseable closeable) {
        try {
            if (closeable != null) {
                closeable.close();
            }
        } catch (Exception ignored) {
            // nothing useful to do when closing fails
        }
    }
}
