package dev.webroot.format;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * Builds a representation's precomputed response-header block (FORMAT.md, "Header blocks"): the
 * field lines, each ending in CRLF, grouped so that prefixes of the block serve 304, 206 and
 * multipart responses.
 */
final class HeaderBlock {
    static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    final byte[] bytes;
    final int notModifiedEnd;
    final int commonEnd;
    final int contentTypeEnd;
    final int etagOffset;
    final int etagLength;

    private HeaderBlock(StringBuilder text, int notModifiedEnd, int commonEnd, int contentTypeEnd,
                        int etagOffset, int etagLength) {
        this.bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        this.notModifiedEnd = notModifiedEnd;
        this.commonEnd = commonEnd;
        this.contentTypeEnd = contentTypeEnd;
        this.etagOffset = etagOffset;
        this.etagLength = etagLength;
    }

    private static void append(StringBuilder b, java.util.List<WebrootWriter.Field> fields) {
        for (WebrootWriter.Field f : fields) {
            b.append(f.name()).append(": ").append(f.value()).append("\r\n");
        }
    }

    static String httpDate(long epochSeconds) {
        return IMF_FIXDATE.format(Instant.ofEpochSecond(epochSeconds));
    }

    /**
     * The block of a file's representation, served with 200, 206 and 304. The site's fields go
     * after the server's own in their group: {@code fields.revalidated()} in what a 304 carries.
     */
    static HeaderBlock forFile(String etag, String cacheControl, boolean vary, long lastModified,
                               Encoding encoding, boolean nosniff, String contentType, long length,
                               WebrootWriter.SiteFields fields) {
        StringBuilder b = new StringBuilder(256);
        b.append("ETag: ");
        int etagOffset = b.length();
        b.append(etag).append("\r\n");
        if (cacheControl != null) {
            b.append("Cache-Control: ").append(cacheControl).append("\r\n");
        }
        if (vary) {
            b.append("Vary: Accept-Encoding\r\n");
        }
        append(b, fields.revalidated());
        int notModifiedEnd = b.length();
        b.append("Last-Modified: ").append(httpDate(lastModified)).append("\r\n");
        if (encoding != Encoding.IDENTITY) {
            b.append("Content-Encoding: ").append(encoding.token()).append("\r\n");
        }
        b.append("Accept-Ranges: bytes\r\n");
        if (nosniff) {
            b.append("X-Content-Type-Options: nosniff\r\n");
        }
        append(b, fields.other());
        int commonEnd = b.length();
        b.append("Content-Type: ").append(contentType).append("\r\n");
        int contentTypeEnd = b.length();
        b.append("Content-Length: ").append(length).append("\r\n");
        return new HeaderBlock(b, notModifiedEnd, commonEnd, contentTypeEnd, etagOffset, etag.length());
    }

    /** The block of the not-found page's representation, sent with 404: no validators, no ranges. */
    static HeaderBlock forNotFound(boolean vary, Encoding encoding, boolean nosniff, String contentType, long length,
                                   WebrootWriter.SiteFields fields) {
        StringBuilder b = new StringBuilder(128);
        b.append("Cache-Control: no-cache\r\n");
        if (vary) {
            b.append("Vary: Accept-Encoding\r\n");
        }
        append(b, fields.revalidated());
        int notModifiedEnd = b.length();
        if (encoding != Encoding.IDENTITY) {
            b.append("Content-Encoding: ").append(encoding.token()).append("\r\n");
        }
        if (nosniff) {
            b.append("X-Content-Type-Options: nosniff\r\n");
        }
        append(b, fields.other());
        int commonEnd = b.length();
        b.append("Content-Type: ").append(contentType).append("\r\n");
        int contentTypeEnd = b.length();
        b.append("Content-Length: ").append(length).append("\r\n");
        return new HeaderBlock(b, notModifiedEnd, commonEnd, contentTypeEnd, 0, 0);
    }
}
