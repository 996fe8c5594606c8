package dev.webroot.mkroot;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.tika.Tika;

/**
 * Chooses a file's Content-Type: an explicit table of web types by extension first (tika-core lacks
 * or misnames several, e.g. woff2, map, ttf), then tika-core's detection from the name and the first
 * bytes, then {@code application/octet-stream}. Also decides which types carry a charset and which
 * are worth precompressing.
 */
final class MimeTypes {
    static final String OCTET_STREAM = "application/octet-stream";
    /** How many leading bytes content detection looks at. */
    static final int SNIFF_LENGTH = 8192;

    private static final Map<String, String> BY_EXTENSION = Map.ofEntries(
            Map.entry("html", "text/html"), Map.entry("htm", "text/html"),
            Map.entry("xhtml", "application/xhtml+xml"),
            Map.entry("css", "text/css"),
            Map.entry("js", "text/javascript"), Map.entry("mjs", "text/javascript"), Map.entry("cjs", "text/javascript"),
            Map.entry("json", "application/json"), Map.entry("map", "application/json"),
            Map.entry("jsonld", "application/ld+json"),
            Map.entry("webmanifest", "application/manifest+json"),
            Map.entry("wasm", "application/wasm"),
            Map.entry("svg", "image/svg+xml"),
            Map.entry("png", "image/png"), Map.entry("apng", "image/apng"),
            Map.entry("jpg", "image/jpeg"), Map.entry("jpeg", "image/jpeg"),
            Map.entry("gif", "image/gif"), Map.entry("webp", "image/webp"),
            Map.entry("avif", "image/avif"), Map.entry("jxl", "image/jxl"),
            Map.entry("bmp", "image/bmp"), Map.entry("ico", "image/x-icon"),
            Map.entry("woff", "font/woff"), Map.entry("woff2", "font/woff2"),
            Map.entry("ttf", "font/ttf"), Map.entry("otf", "font/otf"),
            Map.entry("txt", "text/plain"), Map.entry("md", "text/markdown"),
            Map.entry("csv", "text/csv"), Map.entry("ics", "text/calendar"), Map.entry("vtt", "text/vtt"),
            Map.entry("xml", "application/xml"), Map.entry("xsl", "application/xml"),
            Map.entry("rss", "application/rss+xml"), Map.entry("atom", "application/atom+xml"),
            Map.entry("yaml", "application/yaml"), Map.entry("yml", "application/yaml"),
            Map.entry("pdf", "application/pdf"),
            Map.entry("mp4", "video/mp4"), Map.entry("webm", "video/webm"),
            Map.entry("mp3", "audio/mpeg"), Map.entry("ogg", "audio/ogg"), Map.entry("opus", "audio/ogg"),
            Map.entry("m4a", "audio/mp4"), Map.entry("wav", "audio/wav"), Map.entry("flac", "audio/flac"),
            Map.entry("zip", "application/zip"), Map.entry("gz", "application/gzip"),
            Map.entry("zst", "application/zstd"), Map.entry("tar", "application/x-tar"));

    /** Types that are text although not text/*: they carry a charset when they are valid UTF-8. */
    private static final Set<String> TEXTUAL_APPLICATION_TYPES = Set.of(
            "application/json", "application/javascript", "application/xml", "application/manifest+json",
            "image/svg+xml", "application/yaml");

    /** Binary types that still compress well. */
    private static final Set<String> COMPRESSIBLE_BINARY_TYPES = Set.of(
            "application/wasm", "image/x-icon", "image/vnd.microsoft.icon", "image/bmp",
            "font/ttf", "font/otf", "application/x-font-ttf", "application/x-font-otf");

    private MimeTypes() {}

    /** The table's type for a file name, or null when its extension is not in the table. */
    static String byName(String fileName) {
        int dot = fileName.lastIndexOf('.');
        if (dot < 0 || dot == fileName.length() - 1) {
            return null;
        }
        return BY_EXTENSION.get(fileName.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /** tika-core's guess from the name and the leading bytes; never null. */
    static String detect(byte[] prefix, String fileName) {
        String type = TikaHolder.TIKA.detect(prefix, fileName);
        return type == null || type.isEmpty() ? OCTET_STREAM : type;
    }

    /** Whether the type is text that may declare {@code charset=utf-8}. */
    static boolean isText(String type) {
        return type.startsWith("text/") || TEXTUAL_APPLICATION_TYPES.contains(type)
                || type.endsWith("+json") || type.endsWith("+xml");
    }

    /** Whether storing precompressed variants of this type is worthwhile. */
    static boolean isCompressible(String type) {
        return isText(type) || COMPRESSIBLE_BINARY_TYPES.contains(type);
    }

    /** The Content-Type value: text that decoded as UTF-8 says so. */
    static String contentType(String type, boolean validUtf8) {
        return isText(type) && validUtf8 ? type + "; charset=utf-8" : type;
    }

    /** Created on first use only: loading tika's type database costs about half a second. */
    private static final class TikaHolder {
        static final Tika TIKA = new Tika();
    }
}
