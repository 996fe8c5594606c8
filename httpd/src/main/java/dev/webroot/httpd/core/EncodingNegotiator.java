package dev.webroot.httpd.core;

import dev.webroot.format.Encoding;
import dev.webroot.format.Webroot;

/**
 * Picks the representation of an entry from Accept-Encoding (RFC 9110 §12.5.3): q-values, {@code *},
 * {@code identity;q=0}, case-insensitive tokens ({@code x-gzip} is gzip). Among equal q the server
 * prefers br, zstd, gzip, identity. Only the codings the entry has are candidates. Without
 * Accept-Encoding, identity is sent. When nothing is acceptable (even identity is refused) the
 * identity form is sent anyway rather than 406, which RFC 9110 allows.
 */
final class EncodingNegotiator {
    private static final byte[] IDENTITY = Ascii.bytes("identity");
    private static final byte[] GZIP = Ascii.bytes("gzip");
    private static final byte[] X_GZIP = Ascii.bytes("x-gzip");
    private static final byte[] BR = Ascii.bytes("br");
    private static final byte[] ZSTD = Ascii.bytes("zstd");
    private static final int STAR = 4;
    private static final int UNSET = -1;
    /** Tie-break rank per encoding code: higher wins. */
    private static final int[] PREFERENCE = new int[4];

    static {
        PREFERENCE[Encoding.IDENTITY.code()] = 0;
        PREFERENCE[Encoding.GZIP.code()] = 1;
        PREFERENCE[Encoding.ZSTD.code()] = 2;
        PREFERENCE[Encoding.BR.code()] = 3;
    }

    /** q in thousandths per encoding code, then {@code *}; UNSET when not listed. */
    private final int[] q = new int[5];

    /** The index (within the entry) of the representation to send. */
    int choose(RequestHead head, Webroot webroot, int entry) {
        int count = webroot.representationCount(entry);
        if (count == 1 || head.count(RequestHead.ACCEPT_ENCODING) == 0) {
            return 0;
        }
        java.util.Arrays.fill(q, UNSET);
        byte[] b = head.buffer;
        for (int i = 0; i < head.count(RequestHead.ACCEPT_ENCODING); i++) {
            parse(b, head.valueStart(RequestHead.ACCEPT_ENCODING, i), head.valueEnd(RequestHead.ACCEPT_ENCODING, i));
        }
        int best = 0;
        int bestQ = -1;
        int bestRank = -1;
        for (int i = 0; i < count; i++) {
            int code = webroot.encodingCode(webroot.representation(entry, i));
            if (code >= PREFERENCE.length) {
                continue;
            }
            int quality = quality(code);
            if (quality > 0 && (quality > bestQ || quality == bestQ && PREFERENCE[code] > bestRank)) {
                best = i;
                bestQ = quality;
                bestRank = PREFERENCE[code];
            }
        }
        return best;
    }

    private int quality(int code) {
        if (q[code] != UNSET) {
            return q[code];
        }
        if (q[STAR] != UNSET) {
            return q[STAR];
        }
        return code == Encoding.IDENTITY.code() ? 1 : 0;
    }

    /** Reads one field line's list; an element with a malformed q-value is skipped. */
    private void parse(byte[] b, int from, int to) {
        int i = from;
        while (i < to) {
            i = Ascii.skipOws(b, i, to);
            int tokenStart = i;
            while (i < to && Ascii.isTchar(b[i])) {
                i++;
            }
            int tokenEnd = i;
            int quality = 1000;
            boolean valid = tokenEnd > tokenStart;
            while (true) {
                i = Ascii.skipOws(b, i, to);
                if (i >= to || b[i] != ';') {
                    break;
                }
                i = Ascii.skipOws(b, i + 1, to);
                int nameStart = i;
                while (i < to && Ascii.isTchar(b[i])) {
                    i++;
                }
                int nameEnd = i;
                if (i >= to || b[i] != '=' || nameEnd == nameStart) {
                    valid = false;
                    break;
                }
                int valueStart = ++i;
                while (i < to && b[i] != ',' && b[i] != ';' && !Ascii.isOws(b[i])) {
                    i++;
                }
                if (nameEnd - nameStart == 1 && (b[nameStart] == 'q' || b[nameStart] == 'Q')) {
                    quality = qvalue(b, valueStart, i);
                    valid &= quality >= 0;
                }
            }
            while (i < to && b[i] != ',') {
                valid = false;
                i++;
            }
            i++;
            if (valid) {
                int code = code(b, tokenStart, tokenEnd);
                if (code != UNSET && q[code] == UNSET) {
                    q[code] = quality;
                }
            }
        }
    }

    private static int code(byte[] b, int from, int to) {
        if (to - from == 1 && b[from] == '*') {
            return STAR;
        }
        if (Ascii.equalsIgnoreCase(b, from, to, BR)) {
            return Encoding.BR.code();
        }
        if (Ascii.equalsIgnoreCase(b, from, to, GZIP) || Ascii.equalsIgnoreCase(b, from, to, X_GZIP)) {
            return Encoding.GZIP.code();
        }
        if (Ascii.equalsIgnoreCase(b, from, to, ZSTD)) {
            return Encoding.ZSTD.code();
        }
        if (Ascii.equalsIgnoreCase(b, from, to, IDENTITY)) {
            return Encoding.IDENTITY.code();
        }
        return UNSET;
    }

    /** {@code qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )} in thousandths, or -1. */
    static int qvalue(byte[] b, int from, int to) {
        if (from >= to || to - from > 5 || (b[from] != '0' && b[from] != '1')) {
            return -1;
        }
        int whole = b[from] - '0';
        if (to - from == 1) {
            return whole * 1000;
        }
        if (b[from + 1] != '.') {
            return -1;
        }
        int fraction = 0;
        int scale = 100;
        for (int i = from + 2; i < to; i++) {
            if (!Ascii.isDigit(b[i])) {
                return -1;
            }
            fraction += (b[i] - '0') * scale;
            scale /= 10;
        }
        if (whole == 1 && fraction != 0) {
            return -1;
        }
        return whole * 1000 + fraction;
    }
}
