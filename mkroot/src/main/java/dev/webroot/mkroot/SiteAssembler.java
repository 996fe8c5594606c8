package dev.webroot.mkroot;

import dev.webroot.format.WebrootWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Applies the site conventions to the packed files: each file at its own URL path, {@code index.html}
 * also at its directory's path with a trailing slash, a redirect from the directory's path without the
 * slash, and the not-found page.
 */
final class SiteAssembler {
    private static final String INDEX = "index.html";

    private final boolean nosniff;

    SiteAssembler(boolean nosniff) {
        this.nosniff = nosniff;
    }

    WebrootWriter assemble(List<PackedFile> files, SourceFile notFoundPage) {
        WebrootWriter writer = new WebrootWriter().nosniff(nosniff);
        for (PackedFile file : files) {
            SourceFile source = file.source();
            writer.addFile(source.urlPath(), file.contentType(), file.lastModified(), file.cacheControl(),
                    file.representations());
            if (source.name().equals(INDEX)) {
                String directory = source.urlPath().substring(0, source.urlPath().length() - INDEX.length());
                writer.addFile(directory, file.contentType(), file.lastModified(), file.cacheControl(),
                        file.representations());
                if (!directory.equals("/")) {
                    String withoutSlash = directory.substring(0, directory.length() - 1);
                    String lastSegment = withoutSlash.substring(withoutSlash.lastIndexOf('/') + 1);
                    writer.addRedirect(withoutSlash, encodeSegment(lastSegment) + "/");
                }
            }
            if (source.equals(notFoundPage)) {
                writer.setNotFound(file.contentType(), file.representations());
            }
        }
        return writer;
    }

    /**
     * Percent-encodes a path segment for use as a relative reference: every byte outside RFC 3986's
     * pchar, and also ':', which in a reference's first segment would read as a URI scheme.
     */
    static String encodeSegment(String segment) {
        StringBuilder out = new StringBuilder();
        for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (isUnreservedOrSubDelim(c) || c == '@') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }

    private static boolean isUnreservedOrSubDelim(int c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                || "-._~!$&'()*+,;=".indexOf(c) >= 0;
    }
}
