package dev.webroot.httpd.core;

import dev.webroot.format.Webroot;

/** HTTP/1.1 header sections: the status line, {@code Name: value} lines ending in CRLF, an empty line. */
final class Http1Headers implements HeaderEncoder {
    private static final byte[] CRLF = Ascii.bytes("\r\n");
    private static final byte[] CONNECTION_CLOSE_LINE = Ascii.bytes("Connection: close\r\n");
    private static final byte[] CONNECTION_KEEP_ALIVE_LINE = Ascii.bytes("Connection: keep-alive\r\n");
    /** {@code "ETag: "}, which starts a file's header block. */
    private static final int ETAG_PREFIX_LENGTH = 6;

    private final DateSource dates;
    private final MappedView mapped;
    /** Header lines the listener adds to every response (after Date), or null. */
    private final byte[] addedHeaders;

    Http1Headers(DateSource dates, MappedView mapped, byte[] addedHeaders) {
        this.dates = dates;
        this.mapped = mapped;
        this.addedHeaders = addedHeaders;
    }

    @Override
    public void start(Exchange x, int status) {
        x.put(StatusLine.prefix(status));
        x.put(dates.imfFixdate());
        x.put(CRLF);
        if (addedHeaders != null) {
            x.put(addedHeaders);
        }
    }

    @Override
    public void line(Exchange x, ResponseField.Line line) {
        x.put(line.http1);
    }

    @Override
    public void beginValue(Exchange x, ResponseField field) {
        x.put(field.http1Prefix);
    }

    @Override
    public void endValue(Exchange x) {
        x.put(CRLF);
    }

    @Override
    public void block(Exchange x, Webroot w, int representation, int cut) {
        int length = switch (cut) {
            case NOT_MODIFIED -> w.notModifiedEnd(representation);
            case COMMON -> w.commonEnd(representation);
            case CONTENT_TYPE -> w.contentTypeEnd(representation);
            default -> w.headerLength(representation);
        };
        copy(x, w, w.headerOffset(representation), length);
    }

    @Override
    public void blockWithoutEtag(Exchange x, Webroot w, int representation) {
        // A file's block starts with its ETag line; a block that does not is sent whole rather than cut wrongly.
        int etagStart = (int) (w.etagOffset(representation) - w.headerOffset(representation));
        int skip = etagStart + w.etagLength(representation) + 2;
        if (w.etagLength(representation) == 0 || etagStart != ETAG_PREFIX_LENGTH || skip > w.notModifiedEnd(representation)) {
            skip = 0;
        }
        copy(x, w, w.headerOffset(representation) + skip, w.headerLength(representation) - skip);
    }

    private void copy(Exchange x, Webroot w, long offset, int length) {
        x.reserveHeader(length);
        mapped.copy(w, offset, x.header, x.headerLength, length);
        x.headerLength += length;
    }

    @Override
    public void finish(Exchange x, int connection) {
        if (connection == ResponseWriter.CONNECTION_CLOSE) {
            x.put(CONNECTION_CLOSE_LINE);
        } else if (connection == ResponseWriter.CONNECTION_KEEP_ALIVE) {
            x.put(CONNECTION_KEEP_ALIVE_LINE);
        }
        x.put(CRLF);
    }
}
