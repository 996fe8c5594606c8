package dev.webroot.io.model;

import dev.webroot.io.Connection;
import dev.webroot.io.ConnectionFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.NetworkChannel;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The open connections of one model: admission against {@code maxConnections}, the live drivers of
 * the models without a loop of their own to find them in (sync, async: for sweeps and shutdown), and the
 * draining flag that shutdown raises.
 */
final class ConnectionTable {
    private final int maxConnections;
    private final AtomicInteger open = new AtomicInteger();
    private final LongAdder accepted = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder timedOut = new LongAdder();
    private final Set<Driver> drivers = ConcurrentHashMap.newKeySet();
    private volatile boolean draining;

    ConnectionTable(int maxConnections) {
        this.maxConnections = maxConnections;
    }

    /**
     * Reserves a slot for a newly accepted socket. Past {@code maxConnections}, or while draining,
     * the socket is closed at once (a prompt close beats a stall in the backlog) and false returned.
     */
    boolean admit(AutoCloseable socket) {
        if (reserve()) {
            return true;
        }
        AbstractIoModel.closeQuietly(socket);
        return false;
    }

    /** Reserves a slot if one is free and the table is not draining; the caller closes a refused socket. */
    boolean reserve() {
        while (true) {
            int n = open.get();
            if (n >= maxConnections || draining) {
                refused.increment();
                return false;
            }
            if (open.compareAndSet(n, n + 1)) {
                accepted.increment();
                return true;
            }
        }
    }

    /** Counts a deadline that passed; owners call it just before telling their connection. */
    void timedOut() {
        timedOut.increment();
    }

    long accepted() {
        return accepted.sum();
    }

    long refused() {
        return refused.sum();
    }

    long timedOutCount() {
        return timedOut.sum();
    }

    int max() {
        return maxConnections;
    }

    /**
     * For an admitted socket: sets TCP_NODELAY and opens its connection for the peer {@code remote}.
     * On failure the socket is closed, the slot given back, and null returned; a failing factory is
     * a bug and is reported to {@code faults}.
     */
    Connection connect(ConnectionFactory factory, NetworkChannel socket, String remote, Faults faults) {
        try {
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
            return factory.open(remote);
        } catch (Throwable e) {
            AbstractIoModel.closeQuietly(socket);
            release(null);
            if (!(e instanceof IOException)) {
                faults.connectionFailedOrFatal(remote, e);
            }
            return null;
        }
    }

    /** "ip:port" of the peer, for the connection's logs; "unknown" if the socket no longer has one. */
    static String peer(Callable<SocketAddress> remote) {
        try {
            return remote.call() instanceof InetSocketAddress inet && inet.getAddress() != null
                    ? inet.getAddress().getHostAddress() + ":" + inet.getPort()
                    : "unknown";
        } catch (Exception e) {
            return "unknown";
        }
    }

    void add(Driver driver) {
        drivers.add(driver);
    }

    /** Gives back the slot of an admitted socket, whether or not a driver was added for it. */
    void release(Driver driver) {
        if (driver != null) {
            drivers.remove(driver);
        }
        if (open.decrementAndGet() == 0) {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    int open() {
        return open.get();
    }

    Iterable<Driver> drivers() {
        return drivers;
    }

    boolean draining() {
        return draining;
    }

    void startDraining() {
        draining = true;
    }

    /** Waits until no connection is open or {@code deadline} (nanoTime) has passed; true if empty. */
    synchronized boolean awaitEmpty(long deadline) {
        long left;
        while (open.get() > 0 && (left = deadline - System.nanoTime()) > 0) {
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return open.get() == 0;
            }
        }
        return open.get() == 0;
    }
}
