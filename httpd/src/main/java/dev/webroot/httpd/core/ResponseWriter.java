package dev.webroot.httpd.core;

import dev.webroot.format.RulePatterns;
import dev.webroot.format.Webroot;
import java.nio.ByteBuffer;

/**
 * Assembles responses: the status line, Date, the representation's precomputed header block (or
 * the prefix of it that a 304 or 206 carries), the few per-response fields, then body spans of the
 * mapping. Header bytes come only from constants, validated webroot blocks and numbers, never from
 * request bytes (except a redirect's query, which the parser limited to visible ASCII).
 */
final class ResponseWriter {
    static final int CONNECTION_NONE = 0;
    static final int CONNECTION_CLOSE = 1;
    static final int CONNECTION_KEEP_ALIVE = 2;

    private static final byte[] CRLF = Ascii.bytes("\r\n");
    private static final byte[] CONNECTION_CLOSE_LINE = Ascii.bytes("Connection: close\r\n");
    private static final byte[] CONNECTION_KEEP_ALIVE_LINE = Ascii.bytes("Connection: keep-alive\r\n");
    private static final byte[] TEXT_PLAIN = Ascii.bytes("Content-Type: text/plain; charset=utf-8\r\n");
    private static final byte[] CONTENT_LENGTH = Ascii.bytes("Content-Length: ");
    private static final byte[] CONTENT_RANGE = Ascii.bytes("Content-Range: bytes ");
    private static final byte[] UNSATISFIED_RANGE = Ascii.bytes("Content-Range: bytes */");
    private static final byte[] ALLOW = Ascii.bytes("Allow: GET, HEAD\r\n");
    /** A site or body out of service comes back once a valid file is in place, usually within seconds. */
    private static final byte[] RETRY_AFTER = Ascii.bytes("Retry-After: 5\r\n");
    private static final byte[] LOCATION = Ascii.bytes("Location: ");
    private static final byte[] NO_STORE = Ascii.bytes("Cache-Control: no-store\r\n");
    private static final byte[] HTTPS = Ascii.bytes("https://");
    private static final byte[] MULTIPART = Ascii.bytes("Content-Type: multipart/byteranges; boundary=");
    private static final byte[] CONTENT_TYPE = Ascii.bytes("Content-Type: ");
    private static final byte[] DASHES = Ascii.bytes("--");
    private static final byte[] HEX = Ascii.bytes("0123456789abcdef");
    /** {@code "ETag: "}, which starts a file's header block. */
    private static final int ETAG_PREFIX_LENGTH = 6;
    private static final byte[] UPPER_HEX = Ascii.bytes("0123456789ABCDEF");
    /** pchar's other characters (unreserved, sub-delims, ':' and '@') and the segment separator. */
    private static final String PCHAR = "-._~!$&'()*+,;=:@/";
    static final int BOUNDARY_LENGTH = 24;
    /** Room for {@code first-last/length}: three decimal longs and two separators. */
    private static final int RANGE_NUMBERS = 3 * 19 + 2;

    private final DateSource dates;
    private final MappedView mapped;
    private final OutputQueue out;
    private final byte[] boundary = new byte[BOUNDARY_LENGTH];
    /** Header lines the listener adds to every response (after Date), or null. */
    private final byte[] addedHeaders;
    private final int[] partEnds;
    private long boundaryState;

    ResponseWriter(DateSource dates, MappedView mapped, OutputQueue out, int maxRanges, long boundarySeed,
            byte[] addedHeaders) {
        this.addedHeaders = addedHeaders;
        this.partEnds = new int[Math.max(1, maxRanges)];
        this.dates = dates;
        this.mapped = mapped;
        this.out = out;
        this.boundaryState = boundarySeed;
    }

    /** A plain-text error (or the built-in 404), with Allow on 405 and Retry-After on 503; the tiny body shares the header's buffer. */
    void error(Exchange x, int status, boolean headOnly, int connection) {
        byte[] body = StatusLine.body(status);
        start(x, status);
        put(x, TEXT_PLAIN);
        contentLength(x, body.length);
        if (status == 405) {
            put(x, ALLOW);
        } else if (status == 503) {
            put(x, RETRY_AFTER);
        }
        finish(x, connection);
        if (!headOnly) {
            put(x, body);
            x.bodyBytes = body.length;
        }
        out.addHeap(x.header, 0, x.headerLength, true);
    }

    /** A responder's answer: never cached, body from the answer's own array. */
    void generated(Exchange x, Responder.Answer answer, boolean headOnly, int connection) {
        start(x, answer.status());
        put(x, CONTENT_TYPE);
        put(x, Ascii.bytes(answer.contentType()));
        put(x, CRLF);
        put(x, NO_STORE);
        contentLength(x, answer.body().length);
        finish(x, connection);
        out.addHeap(x.header, 0, x.headerLength, headOnly);
        if (!headOnly) {
            out.addHeap(answer.body(), 0, answer.body().length, true);
            x.bodyBytes = answer.body().length;
        }
    }

    /** 200 with a small {@code text/plain} body from memory (an ACME challenge answer). */
    void text(Exchange x, byte[] body, boolean headOnly, int connection) {
        start(x, 200);
        put(x, TEXT_PLAIN);
        contentLength(x, body.length);
        finish(x, connection);
        if (!headOnly) {
            put(x, body);
            x.bodyBytes = body.length;
        }
        out.addHeap(x.header, 0, x.headerLength, true);
    }

    void redirect(Exchange x, Webroot w, int entry, byte[] b, int queryStart, int queryEnd, int connection) {
        start(x, w.redirectStatus(entry));
        put(x, LOCATION);
        int length = w.locationLength(entry);
        x.reserveHeader(length);
        mapped.copy(w, w.locationOffset(entry), x.header, x.headerLength, length);
        x.headerLength += length;
        if (queryStart >= 0) {
            put(x, b, queryStart, queryEnd);
        }
        put(x, CRLF);
        contentLength(x, 0);
        finish(x, connection);
        out.addHeap(x.header, 0, x.headerLength, true);
    }

    /** 308 to {@code https://HOST[:port]} followed by the request's own target bytes (path and query, as sent). */
    void httpsRedirect(Exchange x, byte[] host, int hostLength, int port, byte[] b, int targetFrom, int targetTo,
            int connection) {
        start(x, 308);
        put(x, LOCATION);
        put(x, HTTPS);
        put(x, host, 0, hostLength);
        if (port != 443) {
            put(x, (byte) ':');
            putDecimal(x, port);
        }
        put(x, b, targetFrom, targetTo);
        put(x, CRLF);
        contentLength(x, 0);
        finish(x, connection);
        out.addHeap(x.header, 0, x.headerLength, true);
    }

    /**
     * A redirect rule's answer: its target with the matched path's captures put in, percent-encoded
     * (the path is decoded, so a capture may hold any byte but '/' and NUL), then the request's query
     * unless the target has its own.
     */
    void ruleRedirect(Exchange x, Webroot w, int rule, RuleMatcher matched, byte[] path, byte[] b, int queryStart,
                      int queryEnd, int connection) {
        start(x, w.ruleStatus(rule));
        put(x, LOCATION);
        ByteBuffer v = mapped.of(w);
        int patternFrom = (int) w.rulePatternOffset(rule);
        int patternLength = w.rulePatternLength(rule);
        int from = (int) w.ruleTargetOffset(rule);
        int to = from + w.ruleTargetLength(rule);
        boolean ownQuery = false;
        for (int i = from; i < to; i++) {
            byte c = v.get(i);
            int capture = RuleMatcher.captureAt(v, i, to, patternFrom, patternLength);
            if (capture >= 0) {
                putEncoded(x, path, matched.starts[capture], matched.ends[capture]);
                i = RulePatterns.nameEnd(v, i + 1, to) - 1;
            } else {
                ownQuery |= c == '?';
                put(x, c);
            }
        }
        if (queryStart >= 0 && !ownQuery) {
            put(x, b, queryStart, queryEnd);
        }
        put(x, CRLF);
        contentLength(x, 0);
        finish(x, connection);
        out.addHeap(x.header, 0, x.headerLength, true);
    }

    /**
     * A page sent with an error status by a rule (404, 410): the file's block without its ETag line,
     * since the body is not the representation of the requested resource; no ranges, no conditionals.
     */
    void page(Exchange x, int status, Webroot w, int representation, boolean headOnly, int connection) {
        start(x, status);
        // A file's block starts with its ETag line; a block that does not is sent whole rather than cut wrongly.
        int etagStart = (int) (w.etagOffset(representation) - w.headerOffset(representation));
        int skip = etagStart + w.etagLength(representation) + 2;
        if (w.etagLength(representation) == 0 || etagStart != ETAG_PREFIX_LENGTH || skip > w.notModifiedEnd(representation)) {
            skip = 0;
        }
        int length = w.headerLength(representation) - skip;
        x.reserveHeader(length);
        mapped.copy(w, w.headerOffset(representation) + skip, x.header, x.headerLength, length);
        x.headerLength += length;
        finish(x, connection);
        out.addHeap(x.header, 0, x.headerLength, headOnly);
        if (!headOnly) {
            long data = w.dataOffset(representation);
            long bodyLength = w.length(representation);
            out.addFile(w, data, data + bodyLength, true);
            x.bodyBytes = bodyLength;
        }
    }

    void notModified(Exchange x, Webroot w, int representation, int connection) {
        start(x, 304);
        block(x, w, representation, w.notModifiedEnd(representation));
        finish(x, connection);
        out.addHeap(x.header, 0, x.headerLength, true);
    }

    /** The whole representation: 200 for a file, 404 for the not-found page. */
    void full(Exchange x, int status, Webroot w, int representation, boolean headOnly, int connection) {
        start(x, status);
        block(x, w, representation, w.headerLength(representation));
        finish(x, connection);
        out.addHeap(x.header, 0, x.headerLength, headOnly);
        if (!headOnly) {
            long data = w.dataOffset(representation);
            long length = w.length(representation);
            out.addFile(w, data, data + length, true);
            x.bodyBytes = length;
        }
    }

    void singleRange(Exchange x, Webroot w, int representation, long first, long last, int connection) {
        start(x, 206);
        block(x, w, representation, w.contentTypeEnd(representation));
        contentRange(x, first, last, w.length(representation));
        put(x, CRLF);
        contentLength(x, last - first + 1);
        finish(x, connection);
        out.addHeap(x.header, 0, x.headerLength, false);
        long data = w.dataOffset(representation);
        out.addFile(w, data + first, data + last + 1, true);
        x.bodyBytes = last - first + 1;
    }

    void multipart(Exchange x, Webroot w, int entry, int representation, RangeSet ranges, int connection) {
        nextBoundary();
        long length = w.length(representation);
        int typeLength = w.contentTypeLength(entry);
        long body = 0;
        for (int i = 0; i < ranges.count(); i++) {
            int partStart = x.partsLength;
            x.reserveParts(2 + 2 + BOUNDARY_LENGTH + 2 + CONTENT_TYPE.length + typeLength + 2 + CONTENT_RANGE.length
                    + RANGE_NUMBERS + 4);
            if (i > 0) {
                putPart(x, CRLF);
            }
            putPart(x, DASHES);
            putPart(x, boundary);
            putPart(x, CRLF);
            putPart(x, CONTENT_TYPE);
            mapped.copy(w, w.contentTypeOffset(entry), x.parts, x.partsLength, typeLength);
            x.partsLength += typeLength;
            putPart(x, CRLF);
            putPart(x, CONTENT_RANGE);
            x.partsLength = Ascii.putDecimal(x.parts, x.partsLength, ranges.first(i));
            x.parts[x.partsLength++] = '-';
            x.partsLength = Ascii.putDecimal(x.parts, x.partsLength, ranges.last(i));
            x.parts[x.partsLength++] = '/';
            x.partsLength = Ascii.putDecimal(x.parts, x.partsLength, length);
            putPart(x, CRLF);
            putPart(x, CRLF);
            partEnds[i] = x.partsLength;
            body += x.partsLength - partStart + ranges.last(i) - ranges.first(i) + 1;
        }
        int closeStart = x.partsLength;
        x.reserveParts(2 + 2 + BOUNDARY_LENGTH + 2 + 2);
        putPart(x, CRLF);
        putPart(x, DASHES);
        putPart(x, boundary);
        putPart(x, DASHES);
        putPart(x, CRLF);
        body += x.partsLength - closeStart;

        start(x, 206);
        block(x, w, representation, w.commonEnd(representation));
        put(x, MULTIPART);
        put(x, boundary);
        put(x, CRLF);
        contentLength(x, body);
        finish(x, connection);
        out.addHeap(x.header, 0, x.headerLength, false);
        long data = w.dataOffset(representation);
        int partStart = 0;
        for (int i = 0; i < ranges.count(); i++) {
            out.addHeap(x.parts, partStart, partEnds[i], false);
            out.addFile(w, data + ranges.first(i), data + ranges.last(i) + 1, false);
            partStart = partEnds[i];
        }
        out.addHeap(x.parts, closeStart, x.partsLength, true);
        x.bodyBytes = body;
    }

    void rangeNotSatisfiable(Exchange x, long length, int connection) {
        byte[] body = StatusLine.body(416);
        start(x, 416);
        put(x, UNSATISFIED_RANGE);
        putDecimal(x, length);
        put(x, CRLF);
        put(x, TEXT_PLAIN);
        contentLength(x, body.length);
        finish(x, connection);
        put(x, body);
        out.addHeap(x.header, 0, x.headerLength, true);
        x.bodyBytes = body.length;
    }

    /** A fresh boundary per multipart response: 24 hex digits of a SplitMix64 sequence seeded per connection. */
    private void nextBoundary() {
        long z = boundaryState += 0x9e3779b97f4a7c15L;
        long a = mix(z);
        long c = mix(z ^ 0x5851f42d4c957f2dL);
        for (int i = 0; i < 16; i++) {
            boundary[i] = HEX[(int) (a >>> (60 - 4 * i)) & 0xf];
        }
        for (int i = 0; i < 8; i++) {
            boundary[16 + i] = HEX[(int) (c >>> (60 - 4 * i)) & 0xf];
        }
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    private void start(Exchange x, int status) {
        x.status = status;
        x.headerLength = 0;
        put(x, StatusLine.prefix(status));
        put(x, dates.imfFixdate());
        put(x, CRLF);
        if (addedHeaders != null) {
            put(x, addedHeaders);
        }
    }

    private void block(Exchange x, Webroot w, int representation, int length) {
        x.reserveHeader(length);
        mapped.copy(w, w.headerOffset(representation), x.header, x.headerLength, length);
        x.headerLength += length;
    }

    private void contentRange(Exchange x, long first, long last, long length) {
        put(x, CONTENT_RANGE);
        putDecimal(x, first);
        put(x, (byte) '-');
        putDecimal(x, last);
        put(x, (byte) '/');
        putDecimal(x, length);
    }

    private void contentLength(Exchange x, long length) {
        put(x, CONTENT_LENGTH);
        putDecimal(x, length);
        put(x, CRLF);
    }

    private void finish(Exchange x, int connection) {
        if (connection == CONNECTION_CLOSE) {
            put(x, CONNECTION_CLOSE_LINE);
        } else if (connection == CONNECTION_KEEP_ALIVE) {
            put(x, CONNECTION_KEEP_ALIVE_LINE);
        }
        put(x, CRLF);
    }

    private static void put(Exchange x, byte[] bytes) {
        put(x, bytes, 0, bytes.length);
    }

    private static void put(Exchange x, byte[] bytes, int from, int to) {
        x.reserveHeader(to - from);
        System.arraycopy(bytes, from, x.header, x.headerLength, to - from);
        x.headerLength += to - from;
    }

    private static void put(Exchange x, byte b) {
        x.reserveHeader(1);
        x.header[x.headerLength++] = b;
    }

    private static void putDecimal(Exchange x, long value) {
        x.reserveHeader(20);
        x.headerLength = Ascii.putDecimal(x.header, x.headerLength, value);
    }

    /** Copies path bytes into a Location, percent-encoding all but RFC 3986's pchar and '/'. */
    private static void putEncoded(Exchange x, byte[] b, int from, int to) {
        x.reserveHeader(3 * (to - from));
        for (int i = from; i < to; i++) {
            int c = b[i] & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c < 0x80 && PCHAR.indexOf(c) >= 0) {
                x.header[x.headerLength++] = (byte) c;
            } else {
                x.header[x.headerLength++] = '%';
                x.header[x.headerLength++] = UPPER_HEX[c >> 4];
                x.header[x.headerLength++] = UPPER_HEX[c & 0xf];
            }
        }
    }

    private static void putPart(Exchange x, byte[] bytes) {
        System.arraycopy(bytes, 0, x.parts, x.partsLength, bytes.length);
        x.partsLength += bytes.length;
    }
}
