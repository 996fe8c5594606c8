package dev.webroot.httpd.log;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Writing ASCII pieces of a log line into a byte array; each returns the position after what it wrote. */
final class LineBytes {
    static final byte[] HEX = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;

    private LineBytes() {}

    /**
     * How many bytes from {@code b[from]} on, before {@code to}, are printable ASCII other than
     * {@code "} and {@code \}: the bytes both formats write as they are. Checks eight bytes at a
     * time, which is what keeps a line's formatting to a few hundred nanoseconds.
     */
    static int plainRun(byte[] b, int from, int to) {
        int i = from;
        while (i + Long.BYTES <= to && !hasSpecial((long) LONGS.get(b, i))) {
            i += Long.BYTES;
        }
        while (i < to && isPlain(b[i])) {
            i++;
        }
        return i - from;
    }

    static boolean isPlain(int c) {
        return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
    }

    /** Whether any of the eight bytes is below 0x20, above 0x7e, a quote or a backslash (exact for "any"). */
    private static boolean hasSpecial(long x) {
        long control = (x - 0x20 * ONES) & ~x;
        return ((control | x | hasZero(x ^ ('"' * ONES)) | hasZero(x ^ ('\\' * ONES)) | hasZero(x ^ (0x7f * ONES)))
                & HIGHS) != 0;
    }

    private static long hasZero(long v) {
        return (v - ONES) & ~v;
    }

    /** The bytes of an ASCII constant. */
    static byte[] bytes(String ascii) {
        return ascii.getBytes(StandardCharsets.US_ASCII);
    }

    static int ascii(byte[] text, byte[] line, int at) {
        System.arraycopy(text, 0, line, at, text.length);
        return at + text.length;
    }

    /** Digits are written from the last, dividing by the constant 10 only (which compiles to a multiplication). */
    static int decimal(long value, byte[] line, int at) {
        // Counted as a value of at most zero, so that Long.MIN_VALUE has its digits too.
        long negative = value < 0 ? value : -value;
        if (value < 0) {
            line[at++] = '-';
        }
        int digits = 1;
        for (long power = -10; digits < 19 && negative <= power; power *= 10) {
            digits++;
        }
        int end = at + digits;
        for (int i = end - 1; i >= at; i--) {
            line[i] = (byte) ('0' - negative % 10);
            negative /= 10;
        }
        return end;
    }

    /** Nanoseconds as seconds with millisecond resolution ("0.003"), as nginx's {@code $request_time}. */
    static int seconds(long nanos, byte[] line, int at) {
        long millis = Math.max(0, nanos) / 1_000_000;
        at = decimal(millis / 1000, line, at);
        line[at++] = '.';
        return digits3(millis % 1000, line, at);
    }

    static int digits3(long value, byte[] line, int at) {
        line[at++] = (byte) ('0' + value / 100);
        line[at++] = (byte) ('0' + value / 10 % 10);
        line[at++] = (byte) ('0' + value % 10);
        return at;
    }

    /** The remote address comes as "ip:port"; the log shows the IP, as nginx's $remote_addr. */
    static int ipLength(String remote) {
        int colon = remote.lastIndexOf(':');
        return colon > 0 ? colon : remote.length();
    }
}
