package dev.webroot.httpd.core;

import dev.webroot.format.RulePatterns;
import dev.webroot.format.Webroot;
import java.nio.ByteBuffer;

/**
 * Assembles responses, whatever the protocol: which fields a response has and in what order (the
 * status, Date, the representation's precomputed fields or the prefix of them that a 304 or 206
 * carries, the few per-response fields), then which body spans of the mapping or of memory follow.
 * The {@link HeaderEncoder} turns the fields into the protocol's bytes and the {@link ResponseSpans}
 * take the result. Field bytes come only from constants, validated webroot blocks and numbers, never
 * from request bytes (except a redirect's query, which the parser limited to visible ASCII).
 */
final class ResponseWriter {
    static final int CONNECTION_NONE = 0;
    static final int CONNECTION_CLOSE = 1;
    static final int CONNECTION_KEEP_ALIVE = 2;

    private static final byte[] CRLF = Ascii.bytes("\r\n");
    private static final byte[] BYTES = Ascii.bytes("bytes ");
    private static final byte[] UNSATISFIED = Ascii.bytes("bytes */");
    private static final byte[] CONTENT_RANGE_LINE = Ascii.bytes("Content-Range: bytes ");
    private static final byte[] HTTPS = Ascii.bytes("https://");
    private static final byte[] MULTIPART = Ascii.bytes("multipart/byteranges; boundary=");
    private static final byte[] CONTENT_TYPE_LINE = Ascii.bytes("Content-Type: ");
    private static final byte[] DASHES = Ascii.bytes("--");
    private static final byte[] HEX = Ascii.bytes("0123456789abcdef");
    private static final byte[] UPPER_HEX = Ascii.bytes("0123456789ABCDEF");
    /** pchar's other characters (unreserved, sub-delims, ':' and '@') and the segment separator. */
    private static final String PCHAR = "-._~!$&'()*+,;=:@/";
    static final int BOUNDARY_LENGTH = 24;
    /** Room for {@code first-last/length}: three decimal longs and two separators. */
    private static final int RANGE_NUMBERS = 3 * 19 + 2;

    private final MappedView mapped;
    private final HeaderEncoder fields;
    private ResponseSpans out;
    private final byte[] boundary = new byte[BOUNDARY_LENGTH];
    private final int[] partEnds;
    private long boundaryState;

    ResponseWriter(HeaderEncoder fields, MappedView mapped, ResponseSpans out, int maxRanges, long boundarySeed) {
        this.fields = fields;
        this.partEnds = new int[Math.max(1, maxRanges)];
        this.mapped = mapped;
        this.out = out;
        this.boundaryState = boundarySeed;
    }

    /** Where the next responses go (an HTTP/2 connection switches this per stream). */
    void into(ResponseSpans spans) {
        this.out = spans;
    }

    /** A plain-text error (or the built-in 404), with Allow on 405 and Retry-After on 503; the tiny body shares the header's buffer. */
    void error(Exchange x, int status, boolean headOnly, int connection) {
        byte[] body = StatusLine.body(status);
        start(x, status);
        fields.line(x, ResponseField.TEXT_PLAIN);
        contentLength(x, body.length);
        if (status == 405) {
            fields.line(x, ResponseField.ALLOW_GET_HEAD);
        } else if (status == 503) {
            fields.line(x, ResponseField.RETRY_AFTER_5);
        }
        fields.finish(x, connection);
        inlineBody(x, body, headOnly);
    }

    /** A responder's answer: never cached, body from the answer's own array. */
    void generated(Exchange x, Responder.Answer answer, boolean headOnly, int connection) {
        start(x, answer.status());
        fields.beginValue(x, ResponseField.CONTENT_TYPE);
        x.put(Ascii.bytes(answer.contentType()));
        fields.endValue(x);
        fields.line(x, ResponseField.NO_STORE);
        contentLength(x, answer.body().length);
        fields.finish(x, connection);
        out.header(x.header, 0, x.headerLength, headOnly);
        if (!headOnly) {
            out.heap(answer.body(), 0, answer.body().length, true);
            x.bodyBytes = answer.body().length;
        }
    }

    /** 200 with a small {@code text/plain} body from memory (an ACME challenge answer). */
    void text(Exchange x, byte[] body, boolean headOnly, int connection) {
        start(x, 200);
        fields.line(x, ResponseField.TEXT_PLAIN);
        contentLength(x, body.length);
        fields.finish(x, connection);
        inlineBody(x, body, headOnly);
    }

    /** Ends a response whose small body is copied after its header section, in the same buffer. */
    private void inlineBody(Exchange x, byte[] body, boolean headOnly) {
        int headerEnd = x.headerLength;
        if (!headOnly) {
            x.put(body);
            x.bodyBytes = body.length;
        }
        out.header(x.header, 0, headerEnd, headOnly);
        if (!headOnly) {
            out.heap(x.header, headerEnd, x.headerLength, true);
        }
    }

    /** A response with no body: its header section is all of it. */
    private void headerOnly(Exchange x, int connection) {
        fields.finish(x, connection);
        out.header(x.header, 0, x.headerLength, true);
    }

    void redirect(Exchange x, Webroot w, int entry, byte[] b, int queryStart, int queryEnd, int connection) {
        start(x, w.redirectStatus(entry));
        fields.beginValue(x, ResponseField.LOCATION);
        int length = w.locationLength(entry);
        x.reserveHeader(length);
        mapped.copy(w, w.locationOffset(entry), x.header, x.headerLength, length);
        x.headerLength += length;
        if (queryStart >= 0) {
            x.put(b, queryStart, queryEnd);
        }
        fields.endValue(x);
        contentLength(x, 0);
        headerOnly(x, connection);
    }

    /** 308 to {@code https://HOST[:port]} followed by the request's own target bytes (path and query, as sent). */
    void httpsRedirect(Exchange x, byte[] host, int hostLength, int port, byte[] b, int targetFrom, int targetTo,
            int connection) {
        start(x, 308);
        fields.beginValue(x, ResponseField.LOCATION);
        x.put(HTTPS);
        x.put(host, 0, hostLength);
        if (port != 443) {
            x.put((byte) ':');
            x.putDecimal(port);
        }
        x.put(b, targetFrom, targetTo);
        fields.endValue(x);
        contentLength(x, 0);
        headerOnly(x, connection);
    }

    /**
     * A redirect rule's answer: its target with the matched path's captures put in, percent-encoded
     * (the path is decoded, so a capture may hold any byte but '/' and NUL), then the request's query
     * unless the target has its own.
     */
    void ruleRedirect(Exchange x, Webroot w, int rule, RuleMatcher matched, byte[] path, byte[] b, int queryStart,
                      int queryEnd, int connection) {
        start(x, w.ruleStatus(rule));
        fields.beginValue(x, ResponseField.LOCATION);
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
                x.put(c);
            }
        }
        if (queryStart >= 0 && !ownQuery) {
            x.put(b, queryStart, queryEnd);
        }
        fields.endValue(x);
        contentLength(x, 0);
        headerOnly(x, connection);
    }

    /**
     * A page sent with an error status by a rule (404, 410): the file's fields without its ETag,
     * since the body is not the representation of the requested resource; no ranges, no conditionals.
     */
    void page(Exchange x, int status, Webroot w, int representation, boolean headOnly, int connection) {
        start(x, status);
        fields.blockWithoutEtag(x, w, representation);
        fields.finish(x, connection);
        out.header(x.header, 0, x.headerLength, headOnly);
        if (!headOnly) {
            long data = w.dataOffset(representation);
            long bodyLength = w.length(representation);
            out.file(w, data, data + bodyLength, true);
            x.bodyBytes = bodyLength;
        }
    }

    void notModified(Exchange x, Webroot w, int representation, int connection) {
        start(x, 304);
        fields.block(x, w, representation, HeaderEncoder.NOT_MODIFIED);
        headerOnly(x, connection);
    }

    /** The whole representation: 200 for a file, 404 for the not-found page. */
    void full(Exchange x, int status, Webroot w, int representation, boolean headOnly, int connection) {
        start(x, status);
        fields.block(x, w, representation, HeaderEncoder.WHOLE);
        fields.finish(x, connection);
        out.header(x.header, 0, x.headerLength, headOnly);
        if (!headOnly) {
            long data = w.dataOffset(representation);
            long length = w.length(representation);
            out.file(w, data, data + length, true);
            x.bodyBytes = length;
        }
    }

    void singleRange(Exchange x, Webroot w, int representation, long first, long last, int connection) {
        start(x, 206);
        fields.block(x, w, representation, HeaderEncoder.CONTENT_TYPE);
        fields.beginValue(x, ResponseField.CONTENT_RANGE);
        x.put(BYTES);
        rangeNumbers(x, first, last, w.length(representation));
        fields.endValue(x);
        contentLength(x, last - first + 1);
        fields.finish(x, connection);
        out.header(x.header, 0, x.headerLength, false);
        long data = w.dataOffset(representation);
        out.file(w, data + first, data + last + 1, true);
        x.bodyBytes = last - first + 1;
    }

    void multipart(Exchange x, Webroot w, int entry, int representation, RangeSet ranges, int connection) {
        nextBoundary();
        long length = w.length(representation);
        int typeLength = w.contentTypeLength(entry);
        long body = 0;
        for (int i = 0; i < ranges.count(); i++) {
            int partStart = x.partsLength;
            x.reserveParts(2 + 2 + BOUNDARY_LENGTH + 2 + CONTENT_TYPE_LINE.length + typeLength + 2
                    + CONTENT_RANGE_LINE.length + RANGE_NUMBERS + 4);
            if (i > 0) {
                putPart(x, CRLF);
            }
            putPart(x, DASHES);
            putPart(x, boundary);
            putPart(x, CRLF);
            putPart(x, CONTENT_TYPE_LINE);
            mapped.copy(w, w.contentTypeOffset(entry), x.parts, x.partsLength, typeLength);
            x.partsLength += typeLength;
            putPart(x, CRLF);
            putPart(x, CONTENT_RANGE_LINE);
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
        fields.block(x, w, representation, HeaderEncoder.COMMON);
        fields.beginValue(x, ResponseField.CONTENT_TYPE);
        x.put(MULTIPART);
        x.put(boundary);
        fields.endValue(x);
        contentLength(x, body);
        fields.finish(x, connection);
        out.header(x.header, 0, x.headerLength, false);
        long data = w.dataOffset(representation);
        int partStart = 0;
        for (int i = 0; i < ranges.count(); i++) {
            out.heap(x.parts, partStart, partEnds[i], false);
            out.file(w, data + ranges.first(i), data + ranges.last(i) + 1, false);
            partStart = partEnds[i];
        }
        out.heap(x.parts, closeStart, x.partsLength, true);
        x.bodyBytes = body;
    }

    void rangeNotSatisfiable(Exchange x, long length, int connection) {
        byte[] body = StatusLine.body(416);
        start(x, 416);
        fields.beginValue(x, ResponseField.CONTENT_RANGE);
        x.put(UNSATISFIED);
        x.putDecimal(length);
        fields.endValue(x);
        fields.line(x, ResponseField.TEXT_PLAIN);
        contentLength(x, body.length);
        fields.finish(x, connection);
        inlineBody(x, body, false);
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
        fields.start(x, status);
    }

    private static void rangeNumbers(Exchange x, long first, long last, long length) {
        x.putDecimal(first);
        x.put((byte) '-');
        x.putDecimal(last);
        x.put((byte) '/');
        x.putDecimal(length);
    }

    private void contentLength(Exchange x, long length) {
        fields.beginValue(x, ResponseField.CONTENT_LENGTH);
        x.putDecimal(length);
        fields.endValue(x);
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
