package dev.webroot.httpd.log;

/** Writing ASCII pieces of a log line into a byte array; each returns the position after what it wrote. */
final class LineBytes {
    static final byte[] HEX = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};

    private LineBytes() {}

    static int ascii(byte[] text, byte[] line, int at) {
        System.arraycopy(text, 0, line, at, text.length);
        return at + text.length;
    }

    static int decimal(long value, byte[] line, int at) {
        if (value < 0) {
            line[at++] = '-';
            value = -value;
        }
        long divisor = 1;
        while (value / divisor >= 10) {
            divisor *= 10;
        }
        for (; divisor > 0; divisor /= 10) {
            line[at++] = (byte) ('0' + value / divisor % 10);
        }
        return at;
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
