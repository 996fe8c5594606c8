package dev.webroot.io;

/**
 * What an I/O model does when one of its loops or accept threads fails outside any connection, or
 * when an {@link OutOfMemoryError} is raised on it (the heap is shared, so no single connection can
 * be blamed and closed): by default the failure is logged on one line and the process halts with
 * status 70, so that a supervisor restarts it rather than leaving a process that holds its ports and
 * serves nothing. A handler that returns (tests) leaves the model to shut down as usual.
 */
@FunctionalInterface
public interface LoopFailureHandler {
    /** The exit status of {@link #HALT}: EX_SOFTWARE of sysexits.h, an internal error. */
    int HALT_STATUS = 70;

    /** Logs one line and halts the JVM with {@link #HALT_STATUS}. */
    LoopFailureHandler HALT = (thread, cause) -> {
        try {
            StackTraceElement[] trace = cause.getStackTrace();
            System.getLogger("dev.webroot.io").log(System.Logger.Level.ERROR, thread + " failed (" + cause
                    + (trace.length > 0 ? " at " + trace[0] : "") + "); exiting with status " + HALT_STATUS);
        } catch (Throwable ignored) {
            // nothing may keep the process from ending
        } finally {
            Runtime.getRuntime().halt(HALT_STATUS);
        }
    };

    /** @param thread the name of the loop or thread that failed */
    void loopFailed(String thread, Throwable cause);
}
