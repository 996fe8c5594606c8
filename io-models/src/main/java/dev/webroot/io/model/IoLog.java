package dev.webroot.io.model;

import java.lang.System.Logger.Level;
import java.time.ZoneId;
import java.util.TimeZone;

/**
 * The models' log: lines through {@link System.Logger} "dev.webroot.io". It must work when the
 * process is out of descriptors, which is when accepts fail: the JDK's default formatter loads the
 * time-zone data file on its first record, and that fails with EMFILE (as an Error). {@link #prepare}
 * loads it while the model starts, and a line that still cannot be logged goes to stderr as it is.
 */
final class IoLog {
    static final System.Logger LOG = System.getLogger("dev.webroot.io");

    private IoLog() {}

    /** Loads what formatting a record needs on first use (the time-zone rules), while files can be opened. */
    static void prepare() {
        TimeZone.getDefault();
        ZoneId.systemDefault().getRules();
    }

    static void log(Level level, String message) {
        try {
            LOG.log(level, message);
        } catch (Throwable t) {
            try {
                System.err.println("dev.webroot.io " + level + ": " + message);
            } catch (Throwable ignored) {
                // nowhere left to say it
            }
        }
    }

    static void warn(String message) {
        log(Level.WARNING, message);
    }

    /** The failure and where it was raised, on one line. */
    static String describe(Throwable failure) {
        StackTraceElement[] trace = failure.getStackTrace();
        return trace.length > 0 ? failure + " at " + trace[0] : failure.toString();
    }

    /** A failure no connection can be blamed for: the heap is shared, so an OutOfMemoryError ends the loop's work. */
    static boolean fatal(Throwable failure) {
        return failure instanceof OutOfMemoryError;
    }
}
