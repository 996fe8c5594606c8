package dev.webroot.httpd;

import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Bounds an orderly stop: if the process has not exited by the deadline, {@code onExpiry} gets one
 * line naming what is still running, and ends the process. A stop that hangs (a JDK channel whose
 * close waits forever for a lock a faulted operation left held) must not leave a process that a
 * supervisor can end only with SIGKILL.
 */
final class StopDeadline {
    private StopDeadline() {}

    /** Starts the daemon thread that waits {@code nanos}, then calls {@code onExpiry}; interrupt it to cancel. */
    static Thread start(long nanos, Consumer<String> onExpiry) {
        return Thread.ofPlatform().name("stop-deadline").daemon().start(() -> {
            try {
                TimeUnit.NANOSECONDS.sleep(nanos);
            } catch (InterruptedException e) {
                return;
            }
            String running;
            try {
                running = busyThreads();
            } catch (Throwable e) {
                // The process must end even if the threads cannot be listed (out of memory, say).
                running = "threads not listed: " + e;
            }
            onExpiry.accept("the orderly stop did not finish within " + TimeUnit.NANOSECONDS.toMillis(nanos)
                    + " ms (still running: " + running + "); exiting now");
        });
    }

    /** The I/O threads and the main thread, each with the frame it is in. */
    private static String busyThreads() {
        StringJoiner joiner = new StringJoiner(", ");
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            Thread t = e.getKey();
            StackTraceElement[] stack = e.getValue();
            if (t.getName().startsWith("io-") || t.getName().equals("main")) {
                joiner.add(t.getName() + " in " + waitingIn(stack));
            }
        }
        return joiner.length() == 0 ? "no I/O thread" : joiner.toString();
    }

    /** The first frame above the parking and locking machinery: what the thread waits on. */
    private static String waitingIn(StackTraceElement[] stack) {
        for (StackTraceElement frame : stack) {
            String type = frame.getClassName();
            if (!type.startsWith("java.util.concurrent.") && !type.startsWith("jdk.internal.misc.")
                    && !type.equals("java.lang.Object") && !type.equals("java.lang.Thread")) {
                return type + "." + frame.getMethodName();
            }
        }
        return stack.length == 0 ? "native code" : stack[0].getClassName() + "." + stack[0].getMethodName();
    }
}
