package dev.webroot.httpd.log;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

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
        out.println(file != null ? timestamp(System.currentTimeMillis()) + " httpd: " + message : "httpd: " + message);
        out.flush();
    }

    /** ISO 8601 in UTC to the millisecond, as {@code 2026-12-03T19:36:59.058Z}. */
    static String timestamp(long epochMillis) {
        int millis = (int) Math.floorMod(epochMillis, 1000L);
        return new StringBuilder(24)
                .append(new String(SecondStamp.format(SecondStamp.Format.ISO_SECOND, Math.floorDiv(epochMillis, 1000L)),
                        StandardCharsets.US_ASCII))
                .append('.').append((char) ('0' + millis / 100)).append((char) ('0' + millis / 10 % 10))
                .append((char) ('0' + millis % 10)).append('Z').toString();
    }

    @Override
    public synchronized void close() {
        if (file != null) {
            out.close();
        }
    }
}
