package dev.webroot.httpd.log;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The server's diagnostic log: start-up, vhost changes, refusals, shutdown. One line per event,
 * prefixed "httpd: " on stderr (the service manager adds time stamps) and with an ISO-8601 UTC time
 * stamp in a file. Not on the request path.
 */
public final class ErrorLog implements AutoCloseable {
    private final Path file;
    private PrintStream out;

    /** @param file the file {@code out} appends to (time-stamped lines, reopened on request), or null */
    private ErrorLog(PrintStream out, Path file) {
        this.out = out;
        this.file = file;
    }

    public static ErrorLog toStderr() {
        return new ErrorLog(System.err, null);
    }

    /** Appends to a file, creating it if needed. */
    public static ErrorLog toFile(Path file) throws IOException {
        return new ErrorLog(openAppending(file), file);
    }

    private static PrintStream openAppending(Path file) throws IOException {
        OutputStream stream = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE);
        return new PrintStream(stream, true, StandardCharsets.UTF_8);
    }

    /** Closes and reopens the file by name (after logrotate moved it); nothing to do for stderr. */
    public synchronized void reopen() {
        if (file == null) {
            return;
        }
        try {
            PrintStream reopened = openAppending(file);
            out.close();
            out = reopened;
        } catch (IOException e) {
            log("cannot reopen " + file + " (" + e.getMessage() + "); still writing to the old file");
        }
    }

    /** A log that writes to a stream it does not own (tests). */
    public static ErrorLog to(PrintStream out) {
        return new ErrorLog(out, null);
    }

    public synchronized void log(String message) {
        out.println(file != null ? Instant.now().truncatedTo(ChronoUnit.MILLIS) + " httpd: " + message : "httpd: " + message);
        out.flush();
    }

    @Override
    public synchronized void close() {
        if (file != null) {
            out.close();
        }
    }
}
