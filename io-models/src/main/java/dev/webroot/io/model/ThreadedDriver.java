package dev.webroot.io.model;

import dev.webroot.io.Connection;
import java.io.IOException;
import java.nio.channels.NetworkChannel;

/**
 * A driver whose owner blocks in socket I/O (a virtual thread) or has one asynchronous operation
 * outstanding. Deadlines and shutdown are enforced by a sweeper that never calls the connection:
 * it shuts the socket's input down to end a blocked read (the owner then sees the expiry and calls
 * {@code timedOut}, and may still write what the connection answers), closes the socket to end a
 * stalled write, or wakes an owner that waits for nothing but time. The phase and the expiry flag
 * are guarded by the driver's monitor, so a sweep and the owner's return from I/O cannot cross.
 */
abstract class ThreadedDriver extends Driver {
    enum Phase { BUSY, READING, WRITING, WAITING }

    private Phase phase = Phase.BUSY;
    private boolean expired;

    ThreadedDriver(Connection connection, ConnectionTable table, NetworkChannel channel, String remote, Faults faults) {
        super(connection, table, channel, remote, faults);
    }

    /** Owner: about to block (or to leave an operation outstanding) in {@code phase}. */
    final synchronized void enter(Phase phase) {
        this.phase = phase;
    }

    /** Owner: back from the blocking phase; true if the deadline passed meanwhile. */
    private synchronized boolean leave() {
        phase = Phase.BUSY;
        boolean wasExpired = expired;
        expired = false;
        return wasExpired;
    }

    /**
     * Sweeper or shutdown: acts on an owner that is blocked past its deadline, or while draining (a
     * lingering close is left its own bounded time).
     */
    final void sweep(long now) {
        boolean due = deadline <= now;
        if (!due && (!table.draining() || lingering())) {
            return;
        }
        boolean wake = false;
        synchronized (this) {
            switch (phase) {
                case READING -> {
                    expired |= due;
                    shutdownInput();
                }
                case WRITING -> {
                    if (due) {
                        expired = true;
                        abortChannel();
                    }
                }
                case WAITING -> {
                    expired |= due;
                    phase = Phase.BUSY;
                    wake = true;
                }
                case BUSY -> {
                    // the owner is running and will see the deadline or the drain itself
                }
            }
        }
        if (wake) {
            wake();
        }
    }

    /** Sweeper: the owner was {@code WAITING} and has been handed back {@code BUSY}. */
    abstract void wake();

    /** Ends a blocked read with end-of-input (the socket stays writable), or failing that closes the socket. */
    private void shutdownInput() {
        try {
            shutdownSocketInput();
        } catch (IOException e) {
            abortChannel();
        }
    }

    /** Shuts down the input side of the socket. */
    abstract void shutdownSocketInput() throws IOException;

    /** Owner, lingering: back from a read of input to discard. */
    final synchronized void afterDiscard() {
        phase = Phase.BUSY;
        expired = false;
    }

    /** Owner: a read returned {@code n}; an end of input caused by the sweeper is not the peer's EOF. */
    final void afterRead(int n, long now) {
        boolean wasExpired = leave();
        if (n < 0 && (wasExpired || table.draining())) {
            inputShutDown();
        } else {
            received(n, now);
        }
        if (wasExpired) {
            timedOut(now);
        }
    }

    /**
     * Owner: a write returned {@code n}. If the sweeper closed the socket as it returned, the
     * connection hears of its deadline and is closed; returns whether the owner may go on.
     */
    final boolean afterWrite(long n, long now) {
        boolean wasExpired = leave();
        sent(n, now);
        if (wasExpired) {
            timedOut(now);
            close();
        }
        return !wasExpired;
    }

    /** Owner: back from waiting for time alone. */
    final void afterWait(long now) {
        if (leave() || deadline <= now) {
            timedOut(now);
        }
    }

    /**
     * Owner: I/O failed; if the sweeper caused it, the connection still hears of its deadline (unless
     * it is already done, lingering).
     */
    final void afterFailure(Throwable failure) {
        if (leave() && failure instanceof IOException && !lingering()) {
            try {
                timedOut(System.nanoTime());
            } catch (Throwable e) {
                failure = e;
            }
        }
        fail(failure);
    }
}
