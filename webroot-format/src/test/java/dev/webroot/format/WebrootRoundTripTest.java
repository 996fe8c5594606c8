package dev.webroot.format;

import static dev.webroot.format.WebrootFiles.identity;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WebrootRoundTripTest {
    @TempDir
    Path dir;

    private static String body(Webroot w, int representation) {
        ByteBuffer b = w.body(representation, 0, (int) w.length(representation));
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Test
    void filesRedirectsAndNotFoundPageReadBack() throws IOException {
        try (Webroot w = Webroot.open(WebrootFiles.sampleSite(dir))) {
            int index = w.lookup("/index.html");
            assertThat(w.kind(index)).isEqualTo(EntryKind.FILE);
            assertThat(w.representationCount(index)).isEqualTo(2);
            int identity = w.representation(index, 0);
            int gzip = w.representation(index, 1);
            assertThat(w.encoding(identity)).isEqualTo(Encoding.IDENTITY);
            assertThat(w.encoding(gzip)).isEqualTo(Encoding.GZIP);
            assertThat(body(w, identity)).startsWith("<!doctype html>");
            assertThat(w.contentType(index)).isEqualTo("text/html; charset=utf-8");
            assertThat(w.lastModified(index)).isEqualTo(1_700_000_000L);

            int redirect = w.lookup("/docs");
            assertThat(w.kind(redirect)).isEqualTo(EntryKind.REDIRECT);
            assertThat(w.location(redirect)).isEqualTo("docs/");
            assertThat(w.representationCount(redirect)).isZero();

            assertThat(w.lookup("/missing")).isEqualTo(-1);
            assertThat(w.lookup("/index.htm")).isEqualTo(-1);
            assertThat(w.lookup("/INDEX.HTML")).isEqualTo(-1);
            int notFound = w.notFoundEntry();
            assertThat(w.kind(notFound)).isEqualTo(EntryKind.NOT_FOUND);
            assertThat(body(w, w.representation(notFound, 0))).isEqualTo("<h1>not here</h1>");
            assertThat(w.lookup("")).isEqualTo(-1);

            int unicode = w.lookup("/with space/ü ñ.txt");
            assertThat(body(w, w.representation(unicode, 0))).isEqualTo("unicode");
            int empty = w.lookup("/empty.txt");
            assertThat(w.length(w.representation(empty, 0))).isZero();
            assertThat(w.verify()).isEmpty();
        }
    }

    @Test
    void headerBlocksHaveTheDocumentedCutPoints() throws IOException {
        try (Webroot w = Webroot.open(WebrootFiles.sampleSite(dir))) {
            int index = w.lookup("/index.html");
            int gzip = w.representation(index, 1);
            String block = w.headerBlock(gzip);
            String etag = w.etag(gzip);
            assertThat(etag).isEqualTo(Digests.etag(w.sha256(gzip))).matches("\"[A-Za-z0-9_-]{22}\"");
            assertThat(block.substring(0, w.notModifiedEnd(gzip)))
                    .isEqualTo("ETag: " + etag + "\r\nCache-Control: no-cache\r\nVary: Accept-Encoding\r\n");
            assertThat(block.substring(w.notModifiedEnd(gzip), w.commonEnd(gzip))).isEqualTo(
                    "Last-Modified: Tue, 14 Nov 2023 22:13:20 GMT\r\nContent-Encoding: gzip\r\n"
                            + "Accept-Ranges: bytes\r\nX-Content-Type-Options: nosniff\r\n");
            assertThat(block.substring(w.commonEnd(gzip), w.contentTypeEnd(gzip)))
                    .isEqualTo("Content-Type: text/html; charset=utf-8\r\n");
            assertThat(block.substring(w.contentTypeEnd(gzip)))
                    .isEqualTo("Content-Length: " + w.length(gzip) + "\r\n");
            assertThat(w.etag(w.representation(index, 0))).isNotEqualTo(etag);

            int single = w.representation(w.lookup("/app.3f2a9c1b.js"), 0);
            assertThat(w.headerBlock(single)).doesNotContain("Vary").contains(
                    "Cache-Control: public, max-age=31536000, immutable\r\n");
            int notFound = w.representation(w.notFoundEntry(), 0);
            assertThat(w.headerBlock(notFound)).doesNotContain("ETag", "Last-Modified", "Accept-Ranges");
            assertThat(w.etagLength(notFound)).isZero();
        }
    }

    @Test
    void identicalContentIsStoredOnceAndDataIsAligned() throws IOException {
        try (Webroot w = Webroot.open(WebrootFiles.sampleSite(dir))) {
            int index = w.representation(w.lookup("/index.html"), 0);
            int copy = w.representation(w.lookup("/copy.html"), 0);
            int slash = w.representation(w.lookup("/"), 0);
            assertThat(w.dataOffset(copy)).isEqualTo(w.dataOffset(index));
            assertThat(slash).isEqualTo(index);
            for (int r = 0; r < w.representationCount(); r++) {
                assertThat(w.dataOffset(r) % 4096).isZero();
            }
            assertThat(w.fileLength() % 4096).isZero();
        }
    }

    @Test
    void sameEntriesGiveByteIdenticalFilesWhateverTheInsertionOrder() throws IOException {
        Path first = WebrootFiles.sampleSite(Files.createDirectory(dir.resolve("a")));
        WebrootWriter w = new WebrootWriter();
        w.setNotFound("text/html; charset=utf-8", List.of(identity("<h1>not here</h1>")));
        w.addFile("/with space/ü ñ.txt", "text/plain; charset=utf-8", 1_700_000_004L, null, List.of(identity("unicode")));
        w.addFile("/empty.txt", "text/plain", 1_700_000_003L, null, List.of(identity(new byte[0])));
        w.addRedirect("/docs", "docs/");
        w.addFile("/docs/", "text/html; charset=utf-8", 1_700_000_002L, "no-cache", List.of(identity("docs")));
        w.addFile("/docs/index.html", "text/html; charset=utf-8", 1_700_000_002L, "no-cache", List.of(identity("docs")));
        w.addFile("/app.3f2a9c1b.js", "text/javascript; charset=utf-8", 1_700_000_001L,
                "public, max-age=31536000, immutable", List.of(identity("console.log(1)")));
        String page = "<!doctype html><title>home</title>" + "hello ".repeat(200);
        w.addFile("/copy.html", "text/html; charset=utf-8", 1_700_000_000L, "no-cache", List.of(identity(page)));
        var pageReps = List.of(identity(page), WebrootFiles.gzip(page));
        w.addFile("/", "text/html; charset=utf-8", 1_700_000_000L, "no-cache", pageReps);
        w.addFile("/index.html", "text/html; charset=utf-8", 1_700_000_000L, "no-cache", pageReps);
        Path second = Files.createDirectory(dir.resolve("b")).resolve("site.webroot");
        w.write(second);
        assertThat(Files.readAllBytes(second)).isEqualTo(Files.readAllBytes(first));
    }

    @Test
    void deepTreesAndThousandsOfEntriesAreAllFound() throws IOException {
        WebrootWriter w = new WebrootWriter();
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            String path = "/" + "d/".repeat(i % 40) + "file-" + i + ".txt";
            paths.add(path);
            w.addFile(path, "text/plain", 0, null, List.of(identity("content " + i)));
        }
        Path file = dir.resolve("many.webroot");
        w.write(file);
        try (Webroot r = Webroot.open(file)) {
            assertThat(r.entryCount()).isEqualTo(5000);
            for (int i = 0; i < paths.size(); i++) {
                int e = r.lookup(paths.get(i));
                assertThat(e).as(paths.get(i)).isNotNegative();
                assertThat(body(r, r.representation(e, 0))).isEqualTo("content " + i);
                assertThat(r.lookup(paths.get(i) + "x")).isEqualTo(-1);
            }
        }
    }

    @Test
    void largeBodiesStreamFromTheirSourceFile() throws IOException {
        byte[] data = new byte[3 * 1024 * 1024 + 17];
        new Random(7).nextBytes(data);
        Path source = dir.resolve("big.bin");
        Files.write(source, data);
        WebrootWriter w = new WebrootWriter();
        w.addFile("/big.bin", "application/octet-stream", 0, null, List.of(new WebrootWriter.Representation(
                Encoding.IDENTITY, Content.ofFile(source, data.length, Digests.sha256(data)))));
        Path file = dir.resolve("big.webroot");
        w.write(file);
        try (Webroot r = Webroot.open(file)) {
            int rep = r.representation(r.lookup("/big.bin"), 0);
            ByteBuffer body = r.body(rep, 0, data.length);
            byte[] read = new byte[data.length];
            body.get(read);
            assertThat(read).isEqualTo(data);
            assertThat(r.verify()).isEmpty();
        }
    }

    @Test
    void aSourceThatChangedSinceItWasMeasuredFailsTheWriteAndLeavesNothing() throws IOException {
        Path source = dir.resolve("changing.txt");
        Files.writeString(source, "before");
        byte[] digest = Digests.sha256("before".getBytes(StandardCharsets.UTF_8));
        Files.writeString(source, "after!");
        WebrootWriter w = new WebrootWriter();
        w.addFile("/changing.txt", "text/plain", 0, null, List.of(new WebrootWriter.Representation(
                Encoding.IDENTITY, Content.ofFile(source, 6, digest))));
        Path out = dir.resolve("out").resolve("site.webroot");
        Files.createDirectories(out.getParent());
        assertThatThrownBy(() -> w.write(out)).isInstanceOf(IOException.class)
                .hasMessageContaining("changing.txt changed while the webroot was being written");
        try (var left = Files.list(out.getParent())) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void writerRefusesBadPathsAndHeaderValues() {
        WebrootWriter w = new WebrootWriter();
        var reps = List.of(identity("x"));
        assertThatThrownBy(() -> w.addFile("relative", "text/plain", 0, null, reps)).hasMessageContaining("starts with '/'");
        assertThatThrownBy(() -> w.addFile("/a/../b", "text/plain", 0, null, reps)).hasMessageContaining("dot segments");
        assertThatThrownBy(() -> w.addFile("/a//b", "text/plain", 0, null, reps)).hasMessageContaining("empty segments");
        assertThatThrownBy(() -> w.addFile("/a", "text/plain\r\nX-Evil: 1", 0, null, reps)).hasMessageContaining("Content-Type");
        assertThatThrownBy(() -> w.addRedirect("/a", "b\nc")).hasMessageContaining("Location");
        assertThatThrownBy(() -> w.addFile("/a", "text/plain", 0, null, List.of())).hasMessageContaining("identity");
        w.addFile("/a", "text/plain", 0, null, reps);
        assertThatThrownBy(() -> w.addRedirect("/a", "a/")).hasMessageContaining("duplicate path");
    }

    @Test
    void emptySiteIsValid() throws IOException {
        Path file = dir.resolve("empty.webroot");
        new WebrootWriter().write(file);
        try (Webroot w = Webroot.open(file)) {
            assertThat(w.entryCount()).isZero();
            assertThat(w.lookup("/")).isEqualTo(-1);
            assertThat(w.notFoundEntry()).isEqualTo(-1);
            assertThat(w.verify()).isEmpty();
        }
    }
}
