package dev.webroot.format;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/** Builds small webroot files for tests. */
final class WebrootFiles {
    private WebrootFiles() {}

    static WebrootWriter.Representation identity(String text) {
        return identity(text.getBytes(StandardCharsets.UTF_8));
    }

    static WebrootWriter.Representation identity(byte[] bytes) {
        return new WebrootWriter.Representation(Encoding.IDENTITY, Content.ofBytes(bytes, "test content"));
    }

    static WebrootWriter.Representation gzip(String text) throws IOException {
        var out = new java.io.ByteArrayOutputStream();
        try (var gz = new GZIPOutputStream(out)) {
            gz.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return new WebrootWriter.Representation(Encoding.GZIP, Content.ofBytes(out.toByteArray(), "test gzip"));
    }

    /** A site with a page in two encodings, a duplicate, a redirect, a nested index and a not-found page. */
    static Path sampleSite(Path dir) throws IOException {
        String page = "<!doctype html><title>home</title>" + "hello ".repeat(200);
        WebrootWriter w = new WebrootWriter();
        List<WebrootWriter.Representation> pageReps = new ArrayList<>(List.of(identity(page), gzip(page)));
        w.addFile("/index.html", "text/html; charset=utf-8", 1_700_000_000L, "no-cache", pageReps);
        w.addFile("/", "text/html; charset=utf-8", 1_700_000_000L, "no-cache", pageReps);
        w.addFile("/copy.html", "text/html; charset=utf-8", 1_700_000_000L, "no-cache", List.of(identity(page)));
        w.addFile("/app.3f2a9c1b.js", "text/javascript; charset=utf-8", 1_700_000_001L,
                "public, max-age=31536000, immutable", List.of(identity("console.log(1)")));
        w.addFile("/docs/index.html", "text/html; charset=utf-8", 1_700_000_002L, "no-cache", List.of(identity("docs")));
        w.addFile("/docs/", "text/html; charset=utf-8", 1_700_000_002L, "no-cache", List.of(identity("docs")));
        w.addRedirect("/docs", "docs/");
        w.addFile("/empty.txt", "text/plain", 1_700_000_003L, null, List.of(identity(new byte[0])));
        w.addFile("/with space/ü ñ.txt", "text/plain; charset=utf-8", 1_700_000_004L, null, List.of(identity("unicode")));
        w.setNotFound("text/html; charset=utf-8", List.of(identity("<h1>not here</h1>")));
        Path file = dir.resolve("site.webroot");
        w.write(file);
        return file;
    }
}
