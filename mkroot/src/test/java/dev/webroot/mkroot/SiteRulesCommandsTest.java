package dev.webroot.mkroot;

import static dev.webroot.mkroot.Cli.write;
import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.format.HpackFragment;
import dev.webroot.format.Webroot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** _headers and _redirects through the CLI: every rule error, ls, verify, clean URLs, external links, version 1 and 2 files. */
class SiteRulesCommandsTest {
    @TempDir
    Path dir;

    private Path src() {
        return dir.resolve("site");
    }

    private Path out() {
        return dir.resolve("out.webroot");
    }

    private void site() {
        write(src(), "index.html", "<h1>home</h1>");
        write(src(), "about.html", "about");
        write(src(), "docs/index.html", "docs");
    }

    static Stream<Arguments> redirectErrors() {
        return Stream.of(
                Arguments.of("/a /b\n/c /d 299\n", "_redirects:2: unknown status 299"),
                Arguments.of("# comment\n\n/a /b 30x\n", "_redirects:3: unknown status 30x"),
                Arguments.of("/a/*/b /c\n", "_redirects:1: a splat '*' may only end a pattern"),
                Arguments.of("/a/:1 /c\n", "_redirects:1: a placeholder is ':' and a name"),
                Arguments.of("/a\n", "_redirects:1: expected FROM TO [STATUS]"),
                Arguments.of("/a /b 302 Country=us\n", "_redirects:1: only FROM TO [STATUS] is supported"),
                Arguments.of("https://old.example/* /b\n", "_redirects:1: FROM is a path"),
                Arguments.of("/a /missing 200\n", "_redirects:1: rewrite to a missing path /missing"),
                Arguments.of("/a /missing.html 404\n", "_redirects:1: 404 page to a missing path /missing.html"),
                Arguments.of("/news/:year /posts/:slug\n", "_redirects:1: unknown placeholder :slug in TO (/news/:year captures :year)"),
                Arguments.of("/news/:year /posts/:splat\n", "_redirects:1: unknown placeholder :splat"),
                Arguments.of("/api/* https://api.example/:splat 200\n", "_redirects:1: a 200 rule serves a packed file"),
                Arguments.of("/a /index.html?x=1 200\n", "_redirects:1: a 200 rule's TO is a packed path"),
                Arguments.of("/a b\n", "_redirects:1: TO is a path starting with '/'"),
                Arguments.of("/x /y\n/a /b 301\n/b /a 301\n", "_redirects:2: redirect loop: /a -> /b -> /a"),
                Arguments.of("/* /index.html 301!\n", "_redirects:1: redirect loop: /x -> /index.html -> /index.html"),
                Arguments.of("/old/* /new/:splat\n/new/* /old/:splat 302\n", "_redirects:1: redirect loop: /old/x -> /new/x -> /old/x"),
                Arguments.of("/docs/* /docs/:splat/ 301\n", "_redirects:1: a chain of more than 20 redirects"));
    }

    @ParameterizedTest
    @MethodSource("redirectErrors")
    void everyRedirectsErrorNamesItsLineAndWritesNothing(String rules, String message) throws IOException {
        site();
        write(src(), "_redirects", rules);
        assertFailsWith(message);
    }

    static Stream<Arguments> headerErrors() {
        return Stream.of(
                Arguments.of("  X-A: 1\n", "_headers:1: a header line before any URL pattern"),
                Arguments.of("/*\n  Content-Length: 5\n", "_headers:2: Content-Length frames each response"),
                Arguments.of("/*\n  # fine\n  Date: x\n", "_headers:3: Date frames each response"),
                Arguments.of("/*\n  ETag: \"x\"\n", "_headers:2: ETag is set by the server from the packed content"),
                Arguments.of("/*\n  X-A 1\n", "_headers:2: expected 'Name: value' or '! Name'"),
                Arguments.of("/*\n  X-A:\n", "_headers:2: X-A has no value"),
                Arguments.of("/a/*/b\n  X-A: 1\n", "_headers:1: a splat"),
                Arguments.of("/*\n  ! Content-Type\n", "_headers:2: Content-Type cannot be detached"),
                Arguments.of("/*\n  X-Content-Type-Options: sniff\n", "_headers:2: X-Content-Type-Options has the single value"));
    }

    @ParameterizedTest
    @MethodSource("headerErrors")
    void everyHeadersErrorNamesItsLineAndWritesNothing(String rules, String message) throws IOException {
        site();
        write(src(), "_headers", rules);
        assertFailsWith(message);
    }

    private void assertFailsWith(String message) throws IOException {
        Cli.Result result = Cli.run(src().toString(), out().toString());
        assertThat(result.exitCode()).as(result.stderr()).isEqualTo(1);
        assertThat(result.stderr()).startsWith("mkroot: " + message).hasLineCount(1);
        try (Stream<Path> entries = Files.list(dir)) {
            assertThat(entries.map(p -> p.getFileName().toString()).toList()).containsExactly("site");
        }
    }

    @Test
    void lsShowsRulesAndVerifyChecksThem() throws IOException {
        site();
        write(src(), "_redirects", "/blog/*  /posts/:splat\n/app/*  /index.html  200!\n");
        write(src(), "_headers", "/*\n  X-Frame-Options: DENY\n");
        assertThat(Cli.run(src().toString(), out().toString()).exitCode()).isZero();
        Cli.Result ls = Cli.run("ls", out().toString());
        assertThat(ls.stdout()).contains("rule 1  _redirects:1  /blog/*  -> /posts/:splat  301\n")
                .contains("rule 2  _redirects:2  /app/*   -> /index.html    200!\n")
                .doesNotContain("_redirects  ").doesNotContain("_headers  ");
        try (Webroot w = Webroot.open(out())) {
            assertThat(w.lookup("/_redirects")).isEqualTo(-1);
            assertThat(w.lookup("/_headers")).isEqualTo(-1);
            assertThat(w.headerBlock(w.representation(w.lookup("/about.html"), 0))).contains("X-Frame-Options: DENY\r\n");
        }
        Cli.Result verify = Cli.run("verify", out().toString());
        assertThat(verify.exitCode()).isZero();
        assertThat(verify.stdout()).contains("2 rules").contains("format version 3");

        // A placeholder renamed behind a valid checksum passes opening but not verify.
        byte[] bytes = Files.readAllBytes(out());
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int at = text.indexOf("/posts/:splat");
        bytes[at + "/posts/:".length()] = 'S';
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(28, 0);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, (int) b.getLong(32));
        b.putInt(28, (int) crc.getValue());
        Path tampered = dir.resolve("tampered.webroot");
        Files.write(tampered, bytes);
        Cli.Result bad = Cli.run("verify", tampered.toString());
        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(bad.stderr()).contains("rule 1 (_redirects:1): unknown placeholder :Splat in /posts/:Splat");
    }

    @Test
    void cleanUrlsServeWithoutTheExtensionAndRedirectTheHtmlPaths() throws IOException {
        site();
        write(src(), "docs/install.html", "install");
        assertThat(Cli.run(src().toString(), out().toString(), "--clean-urls").exitCode()).isZero();
        try (Webroot w = Webroot.open(out())) {
            assertThat(w.isFile(w.lookup("/about"))).isTrue();
            assertThat(w.isFile(w.lookup("/docs/install"))).isTrue();
            int html = w.lookup("/about.html");
            assertThat(w.isRedirect(html)).isTrue();
            assertThat(w.location(html)).isEqualTo("about");
            assertThat(w.redirectStatus(html)).isEqualTo(308);
            assertThat(w.location(w.lookup("/docs/install.html"))).isEqualTo("install");
            assertThat(w.location(w.lookup("/docs/index.html"))).isEqualTo("./");
            assertThat(w.location(w.lookup("/docs"))).isEqualTo("docs/");
            assertThat(w.redirectStatus(w.lookup("/docs"))).isEqualTo(301);
        }
    }

    @Test
    void externalLinksAreRefusedWithAHintOrPackedWithTheOption() throws IOException {
        site();
        Path external = dir.resolve("external");
        write(external, "html/page.html", "external page");
        write(external, "note.txt", "note");
        Files.createSymbolicLink(src().resolve("manual"), external.resolve("html"));
        Files.createSymbolicLink(src().resolve("note.txt"), external.resolve("note.txt"));
        Cli.Result refused = Cli.run(src().toString(), out().toString());
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.stderr()).contains("link manual -> " + external.resolve("html")).contains("--follow-external-links");
        assertThat(out()).doesNotExist();

        Cli.Result packed = Cli.run(src().toString(), out().toString(), "--follow-external-links");
        assertThat(packed.exitCode()).as(packed.stderr()).isZero();
        try (Webroot w = Webroot.open(out())) {
            assertThat(w.lookup("/manual/page.html")).isNotNegative();
            assertThat(w.lookup("/note.txt")).isNotNegative();
        }

        Files.createSymbolicLink(external.resolve("html/again"), external.resolve("html"));
        Cli.Result cycle = Cli.run(src().toString(), out().toString(), "--follow-external-links");
        assertThat(cycle.exitCode()).isEqualTo(1);
        assertThat(cycle.stderr()).startsWith("mkroot: link manual/again -> " + external.resolve("html") + " makes a directory cycle");
    }

    @Test
    void anOutputThatCannotBeWrittenIsNamed() {
        site();
        Path unwritable = Path.of("/proc/mkroot-test.webroot");
        Cli.Result result = Cli.run(src().toString(), unwritable.toString());
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.stderr()).startsWith("mkroot: cannot write " + unwritable + ": ").doesNotContain(".tmp").hasLineCount(1);
    }

    @Test
    void versionOneFilesAreListedAndVerified() {
        Path v1 = Path.of("../webroot-format/src/test/resources/dev/webroot/format/version-1.webroot").toAbsolutePath();
        Cli.Result ls = Cli.run("ls", v1.toString());
        assertThat(ls.exitCode()).isZero();
        assertThat(ls.stdout()).contains("/docs             redirect").contains("-> docs/\n").doesNotContain("rule ");
        Cli.Result verify = Cli.run("verify", v1.toString());
        assertThat(verify.exitCode()).as(verify.stderr()).isZero();
        assertThat(verify.stdout()).contains("0 rules").contains("format version 1");
    }

    @Test
    void everyPackedRepresentationCarriesItsHeaderBlockAsAnHpackFragment() throws IOException {
        site();
        write(src(), "style.css", Cli.compressibleText(40));
        write(src(), "404.html", "<h1>missing</h1>");
        write(src(), "_headers", "/*\n  X-Frame-Options: DENY\n  Expires: Thu, 01 Jan 2026 00:00:00 GMT\n");
        assertThat(Cli.run(src().toString(), out().toString()).exitCode()).isZero();
        try (Webroot w = Webroot.open(out())) {
            assertThat(w.version()).isEqualTo(3);
            int css = w.lookup("/style.css");
            assertThat(w.representationCount(css)).as("precompressed variants").isGreaterThan(1);
            for (int r = 0; r < w.representationCount(); r++) {
                HpackFragment expected = HpackFragment.of(w.headerBlock(r).getBytes(StandardCharsets.ISO_8859_1),
                        w.notModifiedEnd(r), w.commonEnd(r), w.contentTypeEnd(r));
                byte[] fragment = new byte[w.hpackLength(r)];
                w.copyHpack(r, 0, fragment.length, fragment, 0);
                assertThat(fragment).as(w.describe(r)).isEqualTo(expected.bytes());
                assertThat(new int[] {w.hpackNotModifiedEnd(r), w.hpackCommonEnd(r), w.hpackContentTypeEnd(r), w.hpackEtagEnd(r)})
                        .containsExactly(expected.notModifiedEnd(), expected.commonEnd(), expected.contentTypeEnd(), expected.etagEnd());
                assertThat(new String(fragment, StandardCharsets.ISO_8859_1)).contains("\u0000\u000fx-frame-options\u0004DENY");
                // The ETag field first for files (etag is static entry 34: 0x0f, 34 - 15), none for the not-found page.
                int firstNotFound = w.representation(w.notFoundEntry(), 0);
                boolean notFound = r >= firstNotFound && r < firstNotFound + w.representationCount(w.notFoundEntry());
                assertThat(w.hpackEtagEnd(r)).isEqualTo(notFound ? 0 : 2 + 1 + w.etagLength(r));
            }
        }
    }

    @Test
    void versionTwoFilesAreListedAndVerified() {
        Path v2 = Path.of("../webroot-format/src/test/resources/dev/webroot/format/version-2.webroot").toAbsolutePath();
        Cli.Result ls = Cli.run("ls", v2.toString());
        assertThat(ls.exitCode()).as(ls.stderr()).isZero();
        assertThat(ls.stdout()).contains("-> about (308)\n").contains("rule 1  _redirects:1  /blog/*  -> /posts/:splat  302\n");
        Cli.Result verify = Cli.run("verify", v2.toString());
        assertThat(verify.exitCode()).as(verify.stderr()).isZero();
        assertThat(verify.stdout()).contains("1 rules").contains("format version 2");
    }
}
