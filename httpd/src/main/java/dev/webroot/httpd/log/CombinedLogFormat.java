package dev.webroot.httpd.log;

import dev.webroot.httpd.core.AccessRecord;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * Writes one access record as a combined-log-format line into a caller's byte array, without
 * allocating: {@code ip - - [time] "request" status bytes "referer" "user-agent"}, followed by
 * {@code "host" encoding seconds} (the Host served, the content coding sent, and the request time
 * with millisecond resolution, as nginx's {@code $request_time}). Quotes, backslashes and bytes
 * outside printable ASCII are escaped as {@code \xHH}, as nginx does, so a client cannot forge lines.
 * Each field is capped so a line always fits {@link #MAX_LINE} bytes.
 */
final class CombinedLogFormat {
    static final int MAX_LINE = 4096;
    private static final int MAX_REMOTE = 64;
    private static final int MAX_ENCODING = 32;
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final DateTimeFormatter CLF_TIME =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss '+0000'", Locale.US).withZone(ZoneOffset.UTC);

    private final SecondStamp time = new SecondStamp(CLF_TIME);

    /** Formats the record into {@code line} (at least {@link #MAX_LINE} bytes); returns the length, newline included. */
    int format(AccessRecord record, long epochMillis, byte[] line) {
        byte[] stamp = time.at(epochMillis / 1000);
        String remote = record.remoteAddress();
        int at = escaped(remote, 0, ipLength(remote), MAX_REMOTE, line, 0);
        at = ascii(" - - [", line, at);
        System.arraycopy(stamp, 0, line, at, stamp.length);
        at += stamp.length;
        at = ascii("] \"", line, at);
        at = escapedOrDash(record.requestLine(), AccessRecord.MAX_REQUEST_LINE, line, at);
        at = ascii("\" ", line, at);
        at = decimal(record.status(), line, at);
        line[at++] = ' ';
        at = decimal(record.bodyBytes(), line, at);
        at = ascii(" \"", line, at);
        at = escapedOrDash(record.referer(), AccessRecord.MAX_REFERER, line, at);
        at = ascii("\" \"", line, at);
        at = escapedOrDash(record.userAgent(), AccessRecord.MAX_USER_AGENT, line, at);
        at = ascii("\" \"", line, at);
        at = escapedOrDash(record.host(), AccessRecord.MAX_HOST, line, at);
        at = ascii("\" ", line, at);
        at = escapedOrDash(record.encoding(), MAX_ENCODING, line, at);
        line[at++] = ' ';
        long millis = Math.max(0, record.durationNanos()) / 1_000_000;
        at = decimal(millis / 1000, line, at);
        line[at++] = '.';
        long fraction = millis % 1000;
        line[at++] = (byte) ('0' + fraction / 100);
        line[at++] = (byte) ('0' + fraction / 10 % 10);
        line[at++] = (byte) ('0' + fraction % 10);
        line[at++] = '\n';
        return at;
    }

    private static int ascii(String text, byte[] line, int at) {
        for (int i = 0; i < text.length(); i++) {
            line[at++] = (byte) text.charAt(i);
        }
        return at;
    }

    private static int escapedOrDash(CharSequence text, int max, byte[] line, int at) {
        if (text == null || text.isEmpty()) {
            line[at] = '-';
            return at + 1;
        }
        return escaped(text, max, line, at);
    }

    /** The remote address comes as "ip:port"; the log shows the IP, as nginx's $remote_addr. */
    private static int ipLength(String remote) {
        if (remote == null) {
            return 0;
        }
        int colon = remote.lastIndexOf(':');
        return colon > 0 ? colon : remote.length();
    }

    private static int escaped(CharSequence text, int max, byte[] line, int at) {
        return text == null ? at : escaped(text, 0, text.length(), max, line, at);
    }

    /** Writes chars [from, to) in at most {@code max} bytes; a value cut short ends in "...". */
    private static int escaped(CharSequence text, int from, int to, int max, byte[] line, int at) {
        int end = at + max - 3;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            boolean plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
            if (at + (plain ? 1 : 4) > end) {
                return ascii("...", line, at);
            }
            if (plain) {
                line[at++] = (byte) c;
            } else {
                line[at++] = '\\';
                line[at++] = 'x';
                line[at++] = HEX[(c >> 4) & 0xf];
                line[at++] = HEX[c & 0xf];
            }
        }
        return at;
    }

    private static int decimal(long value, byte[] line, int at) {
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
}
