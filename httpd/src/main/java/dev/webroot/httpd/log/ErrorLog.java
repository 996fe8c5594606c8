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
    private final PrintStream out;
    private final boolean timestamps;
    private final boolean ownsStream;

    private ErrorLog(PrintStream out, boolean timestamps, boolean ownsStream) {
        this.out = out;
        this.timestamps = timestamps;
        this.ownsStream = ownsStream;
    }

    public static ErrorLog toStderr() {
        return new ErrorLog(System.err, false, false);
    }

    /** Appends to a file, creating it if needed. */
    public static ErrorLog toFile(Path file) throws IOException {
        OutputStream stream = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE);
        return new ErrorLog(new PrintStream(stream, true, StandardCharsets.UTF_8), true, true);
    }

    /** A log that writes to a stream it does not own (tests). */
    public static ErrorLog to(PrintStream out) {
        return new ErrorLog(out, false, false);
    }

    public void log(String message) {
        String line = timestamps
                ? Instant.now().truncatedTo(ChronoUnit.MILLIS) + " httpd: " + message
                : "httpd: " + message;
        synchronized (out) {
            out.println(line);
            out.flush();
        }
    }

    @Override
    public void close() {
        if (ownsStream) {
            out.close();
        }
    }
}
