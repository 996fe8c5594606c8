package dev.webroot.io.model;

import dev.webroot.io.IoSettings;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Shared by the models whose connections are owned by threads rather than a loop (sync, async):
 * one platform thread sweeps all connections' deadlines every {@link #SWEEP_NANOS}.
 */
abstract class ThreadedModel extends AbstractIoModel {
    static final long SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private final Thread sweeper;
    private volatile boolean sweeping = true;

    ThreadedModel(String name, IoSettings settings) {
        super(name, settings);
        sweeper = Thread.ofPlatform().name("io-" + name + "-deadlines").daemon().unstarted(this::sweepLoop);
    }

    final void startSweeper() {
        sweeper.start();
    }

    private void sweepLoop() {
        while (sweeping) {
            sweepAll();
            LockSupport.parkNanos(SWEEP_NANOS);
        }
    }

    private void sweepAll() {
        long now = System.nanoTime();
        for (Driver driver : table.drivers()) {
            ((ThreadedDriver) driver).sweep(now);
        }
    }

    @Override
    final void wakeForDrain() {
        sweepAll();
    }

    @Override
    final void abortAll() {
        for (Driver driver : table.drivers()) {
            driver.abortChannel();
        }
    }

    @Override
    final void stopWorkers() {
        sweeping = false;
        LockSupport.unpark(sweeper);
        join(sweeper);
        stopThreads();
    }

    /** Stops the model's own threads (acceptor, channel group). */
    abstract void stopThreads();
}
