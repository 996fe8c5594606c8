package dev.webroot.io.model;

import dev.webroot.io.LoopFailureHandler;
import java.util.concurrent.TimeUnit;

/**
 * Where one loop (or one threaded model) reports failures. A connection that fails unexpectedly and
 * an accept that fails (out of descriptors) each give at most one line a second, carrying a count
 * of the ones not logged since; a failure outside any connection, or a fatal one, goes to the
 * {@link LoopFailureHandler}. Thread-safe: the threaded models share one among their threads.
 */
final class Faults {
    private static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** Admits at most one line per interval, counting the others. */
    private static final class Limiter {
        private long next;
        private boolean started;
        private int suppressed;

        /** -1 if this line is to be dropped, else how many were dropped before it. */
        synchronized int admit(long now) {
            if (started && now - next < 0) {
                suppressed++;
                return -1;
            }
            started = true;
            next = now + INTERVAL_NANOS;
            int dropped = suppressed;
            suppressed = 0;
            return dropped;
        }
    }

    final String source;
    private final LoopFailureHandler handler;
    private final Limiter connections = new Limiter();
    private final Limiter accepts = new Limiter();

    Faults(String source, LoopFailureHandler handler) {
        this.source = source;
        this.handler = handler;
    }

    /** A connection raised {@code failure} (not an I/O error) and was closed. */
    void connectionFailed(String remote, Throwable failure) {
        int dropped = connections.admit(System.nanoTime());
        if (dropped >= 0) {
            IoLog.warn(source + ": closed the connection from " + remote + " after " + IoLog.describe(failure)
                    + dropped(dropped, "connection failures"));
        }
    }

    /** An accept failed; accepting pauses for {@link AbstractIoModel#ACCEPT_RETRY_MILLIS}. */
    void acceptFailed(Throwable failure) {
        int dropped = accepts.admit(System.nanoTime());
        if (dropped >= 0) {
            IoLog.warn(source + ": accept failed, pausing accepts for " + AbstractIoModel.ACCEPT_RETRY_MILLIS
                    + " ms: " + failure + dropped(dropped, "accept failures"));
        }
    }

    private static String dropped(int count, String what) {
        return count == 0 ? "" : " (" + count + " more " + what + " since the last line, not logged)";
    }

    /** The loop or thread failed outside any connection, or fatally: the handler decides (by default, exit). */
    void loopFailed(Throwable failure) {
        try {
            handler.loopFailed(source, failure);
        } catch (Throwable t) {
            IoLog.warn(source + ": the loop failure handler failed: " + t);
        }
    }

    /** Handles a failure while serving one connection: fatal ones go to the handler, others are logged. */
    void connectionFailedOrFatal(String remote, Throwable failure) {
        if (IoLog.fatal(failure)) {
            loopFailed(failure);
        } else {
            connectionFailed(remote, failure);
        }
    }
}
