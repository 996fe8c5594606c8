package dev.webroot.httpd.log;

import static dev.webroot.httpd.log.LineBytes.HEX;
import static dev.webroot.httpd.log.LineBytes.ascii;
import static dev.webroot.httpd.log.LineBytes.bytes;
import static dev.webroot.httpd.log.LineBytes.decimal;

import dev.webroot.httpd.core.AccessRecord;
import dev.webroot.httpd.core.LoggedBytes;
import dev.webroot.httpd.core.Utf8;

/**
 * One JSON object (RFC 8259) a line, with the combined format's fields:
 * {@code {"remote":"127.0.0.1","time":"2026-12-01T21:52:52.123Z","method":"GET","target":"/",
 * "protocol":"HTTP/1.1","status":200,"bytes":1234,"referer":null,"user_agent":"curl/8.5.0",
 * "host":"www.example.com","encoding":"br","duration":0.003}}. Time is UTC with milliseconds,
 * duration in seconds; an absent field is {@code null}. Method, target and protocol are the request
 * line split at its first and last space; a refused request's line that has fewer spaces, or was cut
 * at its cap, leaves the later ones null.
 *
 * <p>Strings are escaped for JSON: {@code "} and {@code \} with a backslash, control characters and
 * DEL as {@code \}{@code u00XX}. Well-formed UTF-8 is kept as it is; every byte that is not part of a
 * well-formed UTF-8 sequence (RFC 3629: no overlong forms, surrogates or values above U+10FFFF)
 * becomes {@code \}{@code ufffd} (U+FFFD), so every line is valid UTF-8. A value cut at its cap ends in "...".
 */
final class JsonLogFormat implements LineFormat {
    private static final int MAX_REMOTE = 64;
    private static final int MAX_METHOD = 64;
    private static final int MAX_PROTOCOL = 64;
    private static final int MAX_ENCODING = 32;
    private static final byte[] REMOTE = bytes("{\"remote\":");
    private static final byte[] TIME = bytes(",\"time\":\"");
    private static final byte[] METHOD = bytes("Z\",\"method\":");
    private static final byte[] TARGET = bytes(",\"target\":");
    private static final byte[] PROTOCOL = bytes(",\"protocol\":");
    private static final byte[] STATUS = bytes(",\"status\":");
    private static final byte[] BYTES = bytes(",\"bytes\":");
    private static final byte[] REFERER = bytes(",\"referer\":");
    private static final byte[] USER_AGENT = bytes(",\"user_agent\":");
    private static final byte[] HOST = bytes(",\"host\":");
    private static final byte[] ENCODING = bytes(",\"encoding\":");
    private static final byte[] DURATION = bytes(",\"duration\":");
    private static final byte[] END = bytes("}\n");
    private static final byte[] NULL = bytes("null");
    private static final byte[] CUT = bytes("...");
    private static final byte[] REPLACEMENT = bytes("\\ufffd");

    private final SecondStamp time = new SecondStamp(SecondStamp.Format.ISO_SECOND);

    @Override
    public int format(AccessRecord record, long epochMillis, byte[] line, int at) {
        at = ascii(REMOTE, line, at);
        String remote = record.remoteAddress();
        at = remote == null ? ascii(NULL, line, at) : chars(remote, LineBytes.ipLength(remote), MAX_REMOTE, line, at);
        at = ascii(TIME, line, at);
        at = ascii(time.at(Math.floorDiv(epochMillis, 1000)), line, at);
        line[at++] = '.';
        at = LineBytes.digits3(Math.floorMod(epochMillis, 1000), line, at);
        at = ascii(METHOD, line, at);
        at = requestLine(record.requestLine(), line, at);
        at = ascii(STATUS, line, at);
        at = decimal(record.status(), line, at);
        at = ascii(BYTES, line, at);
        at = decimal(record.bodyBytes(), line, at);
        at = ascii(REFERER, line, at);
        at = field(record.referer(), AccessRecord.MAX_REFERER, line, at);
        at = ascii(USER_AGENT, line, at);
        at = field(record.userAgent(), AccessRecord.MAX_USER_AGENT, line, at);
        at = ascii(HOST, line, at);
        at = field(record.host(), AccessRecord.MAX_HOST, line, at);
        at = ascii(ENCODING, line, at);
        String encoding = record.encoding();
        at = encoding == null || encoding.isEmpty() ? ascii(NULL, line, at) : chars(encoding, encoding.length(), MAX_ENCODING, line, at);
        at = ascii(DURATION, line, at);
        at = LineBytes.seconds(record.durationNanos(), line, at);
        return ascii(END, line, at);
    }

    /** The method, target and protocol values (the "method" key is already written). */
    private static int requestLine(LoggedBytes value, byte[] line, int at) {
        byte[] b = value == null ? null : value.array();
        int length = value == null ? 0 : value.length();
        boolean cut = value != null && value.truncated();
        int firstSpace = indexOfSpace(b, 0, length);
        int lastSpace = firstSpace < 0 || cut ? -1 : lastIndexOfSpace(b, firstSpace + 1, length);
        if (length == 0) {
            at = ascii(NULL, line, at);
        } else if (firstSpace < 0) {
            at = string(b, 0, length, cut, MAX_METHOD, line, at);
        } else {
            at = string(b, 0, firstSpace, false, MAX_METHOD, line, at);
        }
        at = ascii(TARGET, line, at);
        if (firstSpace < 0) {
            at = ascii(NULL, line, at);
        } else if (lastSpace < 0) {
            at = string(b, firstSpace + 1, length, cut, AccessRecord.MAX_REQUEST_LINE, line, at);
        } else {
            at = string(b, firstSpace + 1, lastSpace, false, AccessRecord.MAX_REQUEST_LINE, line, at);
        }
        at = ascii(PROTOCOL, line, at);
        return lastSpace < 0 ? ascii(NULL, line, at) : string(b, lastSpace + 1, length, false, MAX_PROTOCOL, line, at);
    }

    private static int indexOfSpace(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] == ' ') {
                return i;
            }
        }
        return -1;
    }

    private static int lastIndexOfSpace(byte[] b, int from, int to) {
        for (int i = to - 1; i >= from; i--) {
            if (b[i] == ' ') {
                return i;
            }
        }
        return -1;
    }

    private static int field(LoggedBytes value, int max, byte[] line, int at) {
        if (value == null || value.isEmpty()) {
            return ascii(NULL, line, at);
        }
        return string(value.array(), 0, value.length(), value.truncated(), max, line, at);
    }

    /** {@code b[from, to)} as a JSON string of at most {@code max} bytes between its quotes. */
    private static int string(byte[] b, int from, int to, boolean truncated, int max, byte[] line, int at) {
        line[at++] = '"';
        int end = at + max - CUT.length;
        int i = from;
        while (i < to) {
            int run = Math.min(LineBytes.plainRun(b, i, to), end - at);
            System.arraycopy(b, i, line, at, run);
            at += run;
            i += run;
            if (i == to) {
                break;
            }
            int c = b[i] & 0xff;
            if (LineBytes.isPlain(c)) {
                return cut(line, at);
            } else if (c < 0x80) {
                if (at + 6 > end) {
                    return cut(line, at);
                }
                at = escape(c, line, at);
                i++;
            } else {
                int n = Utf8.sequenceLength(b, i, to);
                if (at + Math.max(n, REPLACEMENT.length) > end) {
                    return cut(line, at);
                }
                if (n == 0) {
                    at = ascii(REPLACEMENT, line, at);
                    i++;
                } else {
                    System.arraycopy(b, i, line, at, n);
                    at += n;
                    i += n;
                }
            }
        }
        if (truncated) {
            return cut(line, at);
        }
        line[at++] = '"';
        return at;
    }

    private static int cut(byte[] line, int at) {
        at = ascii(CUT, line, at);
        line[at++] = '"';
        return at;
    }

    /** An ASCII character that JSON wants escaped: quote and backslash by a backslash, the rest as backslash-u00XX. */
    private static int escape(int c, byte[] line, int at) {
        line[at++] = '\\';
        if (c == '"' || c == '\\') {
            line[at++] = (byte) c;
            return at;
        }
        line[at++] = 'u';
        line[at++] = '0';
        line[at++] = '0';
        line[at++] = HEX[c >> 4];
        line[at++] = HEX[c & 0xf];
        return at;
    }

    /** The first {@code length} chars of {@code text} as a JSON string; non-ASCII as backslash-uXXXX. */
    private static int chars(String text, int length, int max, byte[] line, int at) {
        line[at++] = '"';
        int end = at + max - CUT.length;
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            boolean plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
            if (at + (plain ? 1 : 6) > end) {
                return cut(line, at);
            }
            if (plain) {
                line[at++] = (byte) c;
            } else if (c < 0x80) {
                at = escape(c, line, at);
            } else {
                line[at++] = '\\';
                line[at++] = 'u';
                line[at++] = HEX[c >> 12];
                line[at++] = HEX[(c >> 8) & 0xf];
                line[at++] = HEX[(c >> 4) & 0xf];
                line[at++] = HEX[c & 0xf];
            }
        }
        line[at++] = '"';
        return at;
    }
}
