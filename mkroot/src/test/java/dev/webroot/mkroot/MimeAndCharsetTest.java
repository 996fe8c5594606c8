package dev.webroot.mkroot;

import static dev.webroot.mkroot.Cli.write;
import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.format.Webroot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MimeAndCharsetTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "index.html, text/html", "page.HTM, text/html", "site.css, text/css",
        "app.js, text/javascript", "mod.mjs, text/javascript", "lib.cjs, text/javascript",
        "data.json, application/json", "app.js.map, application/json",
        "site.webmanifest, application/manifest+json", "code.wasm, application/wasm",
        "logo.svg, image/svg+xml", "a.png, image/png", "a.jpg, image/jpeg", "a.jpeg, image/jpeg",
        "a.gif, image/gif", "a.webp, image/webp", "a.avif, image/avif", "a.jxl, image/jxl",
        "favicon.ico, image/x-icon", "f.woff, font/woff", "f.woff2, font/woff2", "f.ttf, font/ttf",
        "f.otf, font/otf", "notes.txt, text/plain", "feed.xml, application/xml", "doc.pdf, application/pdf",
        "v.mp4, video/mp4", "v.webm, video/webm", "a.mp3, audio/mpeg", "a.ogg, audio/ogg", "a.opus, audio/ogg",
        "README.md, text/markdown", "t.csv, text/csv", "cal.ics, text/calendar", "subs.vtt, text/vtt",
        "a.zip, application/zip", "a.tar.gz, application/gzip",
    })
    void theTableNamesWebTypes(String name, String type) {
        assertThat(MimeTypes.byName(name)).isEqualTo(type);
    }

    @Test
    void unknownExtensionsAreLeftToDetection() {
        assertThat(MimeTypes.byName("Makefile")).isNull();
        assertThat(MimeTypes.byName("archive.unknownext")).isNull();
        assertThat(MimeTypes.byName("trailing.")).isNull();
    }

    @Test
    void textTypesAndSuffixesTakeACharset() {
        assertThat(MimeTypes.isText("text/html")).isTrue();
        assertThat(MimeTypes.isText("application/ld+json")).isTrue();
        assertThat(MimeTypes.isText("application/atom+xml")).isTrue();
        assertThat(MimeTypes.isText("image/svg+xml")).isTrue();
        assertThat(MimeTypes.isText("image/png")).isFalse();
        assertThat(MimeTypes.isText("application/wasm")).isFalse();
        assertThat(MimeTypes.isCompressible("application/wasm")).isTrue();
        assertThat(MimeTypes.isCompressible("font/woff2")).isFalse();
        assertThat(MimeTypes.contentType("text/css", true)).isEqualTo("text/css; charset=utf-8");
        assertThat(MimeTypes.contentType("text/css", false)).isEqualTo("text/css");
        assertThat(MimeTypes.contentType("image/png", true)).isEqualTo("image/png");
    }

    @Test
    void packedTypesComeFromTheTableThenContentThenOctetStream() throws IOException {
        Path src = dir.resolve("site");
        write(src, "page.html", "<p>ü</p>");
        write(src, "latin1.txt", new byte[] {'c', 'a', 'f', (byte) 0xe9});
        write(src, "bom.css", new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf, 'a', '{', '}'});
        write(src, "overlong.js", new byte[] {'x', (byte) 0xc0, (byte) 0xaf});
        write(src, "noext-page", "<!DOCTYPE html>\n<html><head><title>t</title></head><body>hi</body></html>\n");
        write(src, "noext-image", new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'});
        write(src, "blob.weird", new byte[] {0, 1, 2, 3, (byte) 0xff, (byte) 0xfe, 0, 7});
        write(src, "image.png", "not really a png but named so".getBytes(StandardCharsets.US_ASCII));
        Path out = dir.resolve("out.webroot");
        assertThat(Cli.run(src.toString(), out.toString()).exitCode()).isZero();
        try (Webroot webroot = Webroot.open(out)) {
            assertThat(type(webroot, "/page.html")).isEqualTo("text/html; charset=utf-8");
            assertThat(type(webroot, "/latin1.txt")).isEqualTo("text/plain");
            assertThat(type(webroot, "/bom.css")).isEqualTo("text/css; charset=utf-8");
            assertThat(type(webroot, "/overlong.js")).isEqualTo("text/javascript");
            assertThat(type(webroot, "/noext-page")).isEqualTo("text/html; charset=utf-8");
            assertThat(type(webroot, "/noext-image")).isEqualTo("image/png");
            assertThat(type(webroot, "/blob.weird")).isEqualTo("application/octet-stream");
            assertThat(type(webroot, "/image.png")).isEqualTo("image/png");
        }
    }

    private static String type(Webroot webroot, String path) {
        return webroot.contentType(webroot.lookup(path));
    }
}
