package dev.webroot.io.model;

import dev.webroot.io.IoSettings;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Shared by the models whose connections are owned by threads rather than a loop (sync, async):
 * one platform thread sweeps all connections' deadlines every {@link #SWEEP_NANOS}, and runs the
 * model's periodic {@link #tick} (resuming a paused accept). One {@link Faults} serves all the
 * model's threads.
 */
abstract class ThreadedModel extends AbstractIoModel {
    static final long SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    final Faults faults;
    private final Thread sweeper;
    private volatile boolean sweeping = true;

    ThreadedModel(String name, IoSettings settings) {
        super(name, settings);
        faults = new Faults("io-" + name, settings.loopFailure());
        sweeper = Thread.ofPlatform().name("io-" + name + "-deadlines").daemon().unstarted(this::sweepLoop);
    }

    final void startSweeper() {
        sweeper.start();
    }

    /** Deadlines unenforced would leave connections open for good: a failure here is a loop failure. */
    private void sweepLoop() {
        try {
            while (sweeping) {
                sweepAll();
                tick(System.nanoTime());
                LockSupport.parkNanos(SWEEP_NANOS);
            }
        } catch (Throwable e) {
            faults.loopFailed(e);
        }
    }

    private void sweepAll() {
        long now = System.nanoTime();
        for (Driver driver : table.drivers()) {
            ((ThreadedDriver) driver).sweep(now);
        }
    }

    /** Periodic work of the model on the sweeper thread. */
    void tick(long now) {}

    @Override
    public final boolean workersAlive() {
        return sweeper.isAlive() && threadsAlive();
    }

    /** Whether the model's own threads (acceptors, channel group) are running. */
    abstract boolean threadsAlive();

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
    final void stopWorkers(long deadline) {
        sweeping = false;
        LockSupport.unpark(sweeper);
        join(sweeper, deadline);
        stopThreads(deadline);
    }

    /** Stops the model's own threads (acceptors, channel group), waiting until {@code deadline} at most. */
    abstract void stopThreads(long deadline);
}
