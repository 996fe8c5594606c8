package dev.webroot.mkroot;

import static dev.webroot.mkroot.Cli.write;
import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.format.Digests;
import dev.webroot.format.EntryKind;
import dev.webroot.format.Webroot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackRoundTripTest {
    @TempDir
    Path dir;

    private Path src() {
        return dir.resolve("site");
    }

    private Path pack(String... options) {
        Path out = dir.resolve("site.webroot");
        List<String> args = new ArrayList<>(List.of(src().toString(), out.toString()));
        args.addAll(List.of(options));
        Cli.Result result = Cli.run(args.toArray(String[]::new));
        assertThat(result.stderr()).isEmpty();
        assertThat(result.stdout()).isEmpty();
        assertThat(result.exitCode()).isZero();
        return out;
    }

    /** Where the identity body of the entry at {@code path} is stored (equal offsets: stored once). */
    static long identityOffset(Webroot webroot, String path) {
        return webroot.dataOffset(webroot.representation(webroot.lookup(path), 0));
    }

    private static byte[] identity(Webroot webroot, String path) {
        int entry = webroot.lookup(path);
        assertThat(entry).as("entry %s", path).isNotNegative();
        return body(webroot, webroot.representation(entry, 0));
    }

    static byte[] body(Webroot webroot, int representation) {
        var buffer = webroot.body(representation, 0, (int) webroot.length(representation));
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    @Test
    void filesComeBackByteForByteWithTheirNames() throws IOException {
        write(src(), "empty.txt", new byte[0]);
        write(src(), "my file ü.txt", "unicode and spaces");
        write(src(), "a/b/c/d/e/f/g/deep.css", "body { color: red }");
        byte[] binary = new byte[3000];
        new java.util.Random(7).nextBytes(binary);
        write(src(), "bin/data.bin", binary);

        try (Webroot webroot = Webroot.open(pack())) {
            assertThat(identity(webroot, "/empty.txt")).isEmpty();
            assertThat(new String(identity(webroot, "/my file ü.txt"), StandardCharsets.UTF_8)).isEqualTo("unicode and spaces");
            assertThat(new String(identity(webroot, "/a/b/c/d/e/f/g/deep.css"), StandardCharsets.UTF_8)).isEqualTo("body { color: red }");
            assertThat(identity(webroot, "/bin/data.bin")).isEqualTo(binary);
            assertThat(webroot.entryCount()).isEqualTo(4);
            assertThat(webroot.contentType(webroot.lookup("/a/b/c/d/e/f/g/deep.css"))).isEqualTo("text/css; charset=utf-8");
            int empty = webroot.lookup("/empty.txt");
            assertThat(webroot.etag(webroot.representation(empty, 0))).isEqualTo(Digests.etag(Digests.sha256(new byte[0])));
        }
    }

    @Test
    void identicalFilesAreStoredOnce() throws IOException {
        String text = Cli.compressibleText(40);
        write(src(), "one.html", text);
        write(src(), "copy/two.html", text);
        write(src(), "other.html", text + "different");
        try (Webroot webroot = Webroot.open(pack())) {
            long one = identityOffset(webroot, "/one.html");
            assertThat(identityOffset(webroot, "/copy/two.html")).isEqualTo(one);
            assertThat(identityOffset(webroot, "/other.html")).isNotEqualTo(one);
            int oneBr = webroot.representation(webroot.lookup("/one.html"), 1);
            int twoBr = webroot.representation(webroot.lookup("/copy/two.html"), 1);
            assertThat(webroot.dataOffset(twoBr)).isEqualTo(webroot.dataOffset(oneBr));
        }
    }

    @Test
    void indexServesItsDirectoryAndTheBareDirectoryRedirects() throws IOException {
        write(src(), "index.html", "root");
        write(src(), "docs/index.html", "docs");
        write(src(), "my dir:ü/index.html", "odd");
        write(src(), "noindex/page.html", "page");
        try (Webroot webroot = Webroot.open(pack())) {
            assertThat(new String(identity(webroot, "/"), StandardCharsets.UTF_8)).isEqualTo("root");
            assertThat(new String(identity(webroot, "/docs/"), StandardCharsets.UTF_8)).isEqualTo("docs");
            assertThat(identityOffset(webroot, "/docs/")).isEqualTo(identityOffset(webroot, "/docs/index.html"));
            int redirect = webroot.lookup("/docs");
            assertThat(webroot.kind(redirect)).isEqualTo(EntryKind.REDIRECT);
            assertThat(webroot.location(redirect)).isEqualTo("docs/");
            assertThat(webroot.location(webroot.lookup("/my dir:ü"))).isEqualTo("my%20dir%3A%C3%BC/");
            assertThat(webroot.lookup("/noindex/")).isNegative();
            assertThat(webroot.lookup("/noindex")).isNegative();
            assertThat(webroot.lookup("/noindex/page.html")).isNotNegative();
        }
    }

    @Test
    void root404IsTheNotFoundPageAndStillServed() throws IOException {
        write(src(), "404.html", "gone");
        write(src(), "errors/missing.html", "custom");
        try (Webroot webroot = Webroot.open(pack())) {
            assertThat(webroot.notFoundEntry()).isNotNegative();
            assertThat(body(webroot, webroot.representation(webroot.notFoundEntry(), 0))).asString().isEqualTo("gone");
            assertThat(identity(webroot, "/404.html")).asString().isEqualTo("gone");
        }
        try (Webroot webroot = Webroot.open(pack("--not-found", "errors/missing.html"))) {
            assertThat(body(webroot, webroot.representation(webroot.notFoundEntry(), 0))).asString().isEqualTo("custom");
        }
        try (Webroot webroot = Webroot.open(pack("--no-not-found"))) {
            assertThat(webroot.notFoundEntry()).isEqualTo(-1);
            assertThat(webroot.lookup("/404.html")).isNotNegative();
        }
    }

    @Test
    void dotfilesAreLeftOutExceptWellKnown() throws IOException {
        write(src(), ".env", "SECRET=1");
        write(src(), ".git/config", "[core]");
        write(src(), "sub/.hidden", "x");
        write(src(), "sub/.well-known/not-root", "x");
        write(src(), ".well-known/security.txt", "Contact: mailto:a@example.com");
        write(src(), "visible.txt", "v");
        try (Webroot webroot = Webroot.open(pack())) {
            assertThat(paths(webroot)).containsExactly("/.well-known/security.txt", "/visible.txt");
        }
        try (Webroot webroot = Webroot.open(pack("--include-dotfiles"))) {
            assertThat(paths(webroot)).containsExactly("/.env", "/.git/config", "/.well-known/security.txt",
                    "/sub/.hidden", "/sub/.well-known/not-root", "/visible.txt");
        }
    }

    static List<String> paths(Webroot webroot) {
        List<String> paths = new ArrayList<>();
        for (int e = 0; e < webroot.entryCount(); e++) {
            paths.add(webroot.path(e));
        }
        return paths;
    }

    @Test
    void fingerprintedNamesAreImmutableAndOthersRevalidate() throws IOException {
        write(src(), "app.3f2a9c1b.js", "x");
        write(src(), "index.html", "i");
        try (Webroot webroot = Webroot.open(pack())) {
            assertThat(header(webroot, "/app.3f2a9c1b.js")).contains("Cache-Control: public, max-age=31536000, immutable\r\n");
            assertThat(header(webroot, "/index.html")).contains("Cache-Control: no-cache\r\n")
                    .contains("X-Content-Type-Options: nosniff\r\n");
        }
        try (Webroot webroot = Webroot.open(pack("--immutable-pattern", "^/index", "--cache-control", "max-age=60", "--no-nosniff"))) {
            assertThat(header(webroot, "/index.html")).contains("Cache-Control: public, max-age=31536000, immutable\r\n")
                    .doesNotContain("nosniff");
            assertThat(header(webroot, "/app.3f2a9c1b.js")).contains("Cache-Control: max-age=60\r\n");
        }
        try (Webroot webroot = Webroot.open(pack("--cache-control", "none"))) {
            assertThat(header(webroot, "/index.html")).doesNotContain("Cache-Control");
        }
    }

    static String header(Webroot webroot, String path) {
        return webroot.headerBlock(webroot.representation(webroot.lookup(path), 0));
    }

    @Test
    void lastModifiedIsTheMtimeClampedToSourceDateEpoch() throws IOException {
        Files.setLastModifiedTime(write(src(), "old.txt", "o"), FileTime.from(Instant.ofEpochSecond(1_000_000_000)));
        Files.setLastModifiedTime(write(src(), "new.txt", "n"), FileTime.from(Instant.ofEpochSecond(1_700_000_000)));
        Path out = dir.resolve("clamped.webroot");
        Cli.Result result = Cli.runWithEnv(Map.of("SOURCE_DATE_EPOCH", "1500000000"), src().toString(), out.toString());
        assertThat(result.exitCode()).isZero();
        try (Webroot webroot = Webroot.open(out)) {
            assertThat(webroot.lastModified(webroot.lookup("/old.txt"))).isEqualTo(1_000_000_000L);
            assertThat(webroot.lastModified(webroot.lookup("/new.txt"))).isEqualTo(1_500_000_000L);
        }
        try (Webroot webroot = Webroot.open(pack())) {
            assertThat(webroot.lastModified(webroot.lookup("/new.txt"))).isEqualTo(1_700_000_000L);
        }
    }

    @Test
    void anEmptyTreeGivesAnEmptyWebroot() throws IOException {
        Files.createDirectories(src());
        try (Webroot webroot = Webroot.open(pack())) {
            assertThat(webroot.entryCount()).isZero();
            assertThat(webroot.verify()).isEmpty();
        }
    }

    @Test
    void theExplicitPackFormEqualsTheBareForm() throws IOException {
        write(src(), "index.html", "i");
        byte[] bare = Files.readAllBytes(pack());
        Path explicit = dir.resolve("explicit.webroot");
        assertThat(Cli.run("pack", src().toString(), explicit.toString()).exitCode()).isZero();
        assertThat(Files.readAllBytes(explicit)).isEqualTo(bare);
    }

    @Test
    void onATerminalProgressGoesToStderrAndEndsWithASummary() {
        write(src(), "index.html", Cli.compressibleText(10));
        write(src(), "app.js", "let x = 1;");
        Cli.Result result = Cli.runOnTerminal(src().toString(), dir.resolve("t.webroot").toString());
        assertThat(result.exitCode()).isZero();
        assertThat(result.stdout()).isEmpty();
        assertThat(result.stderr()).containsPattern("mkroot: packed 2 files \\([0-9.]+ MB\\) into t.webroot \\([0-9.]+ MB\\) in ")
                .endsWith(System.lineSeparator());
    }
}
