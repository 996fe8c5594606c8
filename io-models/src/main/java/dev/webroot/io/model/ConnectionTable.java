package dev.webroot.io.model;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The open connections of one model: admission against {@code maxConnections}, the live drivers
 * (for sweeps and shutdown), and the draining flag that shutdown raises.
 */
final class ConnectionTable {
    private final int maxConnections;
    private final AtomicInteger open = new AtomicInteger();
    private final Set<Driver> drivers = ConcurrentHashMap.newKeySet();
    private volatile boolean draining;

    ConnectionTable(int maxConnections) {
        this.maxConnections = maxConnections;
    }

    /** Reserves a slot for a newly accepted socket; false if the table is full or draining. */
    boolean admit() {
        while (true) {
            int n = open.get();
            if (n >= maxConnections || draining) {
                return false;
            }
            if (open.compareAndSet(n, n + 1)) {
                return true;
            }
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
