package dev.webroot.httpd.log;

import static dev.webroot.httpd.log.LineBytes.HEX;
import static dev.webroot.httpd.log.LineBytes.ascii;
import static dev.webroot.httpd.log.LineBytes.bytes;
import static dev.webroot.httpd.log.LineBytes.decimal;

import dev.webroot.httpd.core.AccessRecord;
import dev.webroot.httpd.core.LoggedBytes;

/**
 * The combined log format, {@code ip - - [time] "request" status bytes "referer" "user-agent"},
 * followed by {@code "host" encoding seconds} (the Host served, the content coding sent, and the
 * request time with millisecond resolution, as nginx's {@code $request_time}). Quotes, backslashes
 * and bytes outside printable ASCII are escaped as {@code \xHH}, as nginx does, so a client cannot
 * forge lines; a field cut at its cap ends in "...".
 */
final class CombinedLogFormat implements LineFormat {
    private static final int MAX_REMOTE = 64;
    private static final int MAX_ENCODING = 32;
    private static final byte[] AFTER_REMOTE = bytes(" - - [");
    private static final byte[] AFTER_TIME = bytes("] \"");
    private static final byte[] CLOSE_QUOTE_SPACE = bytes("\" ");
    private static final byte[] SPACE_QUOTE = bytes(" \"");
    private static final byte[] BETWEEN_QUOTED = bytes("\" \"");
    private static final byte[] CUT = bytes("...");
    private final SecondStamp time = new SecondStamp(SecondStamp.Format.COMMON_LOG);

    @Override
    public int format(AccessRecord record, long epochMillis, byte[] line, int at) {
        String remote = record.remoteAddress();
        at = remote == null ? dash(line, at) : chars(remote, LineBytes.ipLength(remote), MAX_REMOTE, line, at);
        at = ascii(AFTER_REMOTE, line, at);
        at = ascii(time.at(Math.floorDiv(epochMillis, 1000)), line, at);
        at = ascii(AFTER_TIME, line, at);
        at = field(record.requestLine(), AccessRecord.MAX_REQUEST_LINE, line, at);
        at = ascii(CLOSE_QUOTE_SPACE, line, at);
        at = decimal(record.status(), line, at);
        line[at++] = ' ';
        at = decimal(record.bodyBytes(), line, at);
        at = ascii(SPACE_QUOTE, line, at);
        at = field(record.referer(), AccessRecord.MAX_REFERER, line, at);
        at = ascii(BETWEEN_QUOTED, line, at);
        at = field(record.userAgent(), AccessRecord.MAX_USER_AGENT, line, at);
        at = ascii(BETWEEN_QUOTED, line, at);
        at = field(record.host(), AccessRecord.MAX_HOST, line, at);
        at = ascii(CLOSE_QUOTE_SPACE, line, at);
        String encoding = record.encoding();
        at = encoding == null || encoding.isEmpty() ? dash(line, at) : chars(encoding, encoding.length(), MAX_ENCODING, line, at);
        line[at++] = ' ';
        at = LineBytes.seconds(record.durationNanos(), line, at);
        line[at++] = '\n';
        return at;
    }

    private static int dash(byte[] line, int at) {
        line[at] = '-';
        return at + 1;
    }

    private static int field(LoggedBytes value, int max, byte[] line, int at) {
        if (value == null || value.isEmpty()) {
            return dash(line, at);
        }
        byte[] b = value.array();
        int length = value.length();
        int end = at + max - CUT.length;
        int i = 0;
        while (i < length) {
            int run = Math.min(LineBytes.plainRun(b, i, length), end - at);
            System.arraycopy(b, i, line, at, run);
            at += run;
            i += run;
            if (i == length) {
                break;
            }
            if (at + (LineBytes.isPlain(b[i] & 0xff) ? 1 : 4) > end) {
                return ascii(CUT, line, at);
            }
            at = hex(b[i++] & 0xff, line, at);
        }
        return value.truncated() ? ascii(CUT, line, at) : at;
    }

    /** The first {@code length} chars of {@code text}; a char above U+00FF (never in an address or a coding) as '?'. */
    private static int chars(String text, int length, int max, byte[] line, int at) {
        int end = at + max - CUT.length;
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            boolean plain = LineBytes.isPlain(c);
            if (at + (plain ? 1 : 4) > end) {
                return ascii(CUT, line, at);
            }
            if (plain) {
                line[at++] = (byte) c;
            } else if (c < 0x100) {
                at = hex(c, line, at);
            } else {
                line[at++] = '?';
            }
        }
        return at;
    }

    private static int hex(int c, byte[] line, int at) {
        line[at++] = '\\';
        line[at++] = 'x';
        line[at++] = HEX[c >> 4];
        line[at++] = HEX[c & 0xf];
        return at;
    }
}
