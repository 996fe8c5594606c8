package dev.webroot.httpd.core;

import dev.webroot.format.Hpack;

/**
 * A response field this server composes itself, in both forms: the HTTP/1.1 {@code Name: } prefix
 * and the HPACK static-table index of its name. {@link Line} adds a constant value, encoded once.
 */
final class ResponseField {
    static final ResponseField CONTENT_TYPE = new ResponseField("Content-Type");
    static final ResponseField CONTENT_LENGTH = new ResponseField("Content-Length");
    static final ResponseField CONTENT_RANGE = new ResponseField("Content-Range");
    static final ResponseField LOCATION = new ResponseField("Location");
    static final ResponseField ALLOW = new ResponseField("Allow");
    static final ResponseField RETRY_AFTER = new ResponseField("Retry-After");
    static final ResponseField CACHE_CONTROL = new ResponseField("Cache-Control");
    static final ResponseField STRICT_TRANSPORT_SECURITY = new ResponseField("Strict-Transport-Security");

    static final Line TEXT_PLAIN = CONTENT_TYPE.line("text/plain; charset=utf-8");
    static final Line ALLOW_GET_HEAD = ALLOW.line("GET, HEAD");
    /** A site or body out of service comes back once a valid file is in place, usually within seconds. */
    static final Line RETRY_AFTER_5 = RETRY_AFTER.line("5");
    static final Line NO_STORE = CACHE_CONTROL.line("no-store");

    /** {@code Name: } */
    final byte[] http1Prefix;
    /** The static-table entry whose name this is. */
    final int hpackIndex;

    private ResponseField(String name) {
        this.http1Prefix = Ascii.bytes(name + ": ");
        this.hpackIndex = Hpack.staticNameIndex(name.toLowerCase(java.util.Locale.ROOT));
        if (hpackIndex == 0) {
            throw new IllegalArgumentException(name + " is not in HPACK's static table");
        }
    }

    Line line(String value) {
        return new Line(this, value);
    }

    /** A field with a constant value: {@code Name: value CRLF} and its HPACK literal without indexing. */
    static final class Line {
        final byte[] http1;
        final byte[] hpack;

        private Line(ResponseField field, String value) {
            byte[] v = Ascii.bytes(value);
            this.http1 = Ascii.bytes(new String(field.http1Prefix, java.nio.charset.StandardCharsets.US_ASCII)
                    + value + "\r\n");
            byte[] encoded = new byte[Hpack.literalLength(field.hpackIndex, 0, v.length)];
            Hpack.putIndexedNameLiteral(encoded, 0, field.hpackIndex, v, 0, v.length);
            this.hpack = encoded;
        }
    }
}
