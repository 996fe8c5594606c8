package dev.webroot.mkroot;

import java.io.PrintStream;
import java.util.Map;

/**
 * Where a command's output goes and what it may learn about its surroundings, so tests can run the
 * CLI in-process with captured streams, a chosen environment and no terminal.
 *
 * @param out standard output (listings and {@code cat} bodies only)
 * @param err standard error (errors, warnings, progress)
 * @param env the environment variables (SOURCE_DATE_EPOCH)
 * @param terminal whether a user is watching, which enables the progress line
 */
public record Io(PrintStream out, PrintStream err, Map<String, String> env, boolean terminal) {
    /** The process's own streams and environment. */
    public static Io system() {
        java.io.Console console = System.console();
        return new Io(System.out, System.err, System.getenv(), console != null && console.isTerminal());
    }
}
