package dev.webroot.mkroot;

import static dev.webroot.mkroot.Cli.write;
import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.format.Content;
import dev.webroot.format.Encoding;
import dev.webroot.format.Webroot;
import dev.webroot.format.WebrootWriter;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandsTest {
    @TempDir
    Path dir;

    private Path out;
    private String page;

    @BeforeEach
    void packSite() {
        Path src = dir.resolve("site");
        page = Cli.compressibleText(100);
        write(src, "index.html", page);
        write(src, "docs/index.html", "docs");
        write(src, "404.html", "missing");
        write(src, "my file.txt", "spaced");
        out = dir.resolve("site.webroot");
        assertThat(Cli.run(src.toString(), out.toString()).exitCode()).isZero();
    }

    @Test
    void lsPrintsOneAlignedLinePerEntry() throws IOException {
        Cli.Result result = Cli.run("ls", out.toString());
        assertThat(result.exitCode()).isZero();
        assertThat(result.stderr()).isEmpty();
        List<String> lines = result.stdout().lines().toList();
        try (Webroot webroot = Webroot.open(out)) {
            assertThat(lines).hasSize(webroot.entryCount());
            int index = webroot.lookup("/index.html");
            String etag = webroot.etag(webroot.representation(index, 0));
            String brSize = Long.toString(webroot.length(webroot.representation(index, 1)));
            assertThat(lines.get(index)).startsWith("/index.html ").contains(" file ", " text/html; charset=utf-8 ",
                    " " + page.length() + " ", "br=" + brSize, "gzip=", "zstd=").endsWith(etag);
            assertThat(lines.get(webroot.lookup("/docs"))).matches("/docs +redirect .*-> docs/");
            assertThat(lines.get(webroot.lookup("/my file.txt"))).startsWith("/my file.txt ").contains(" file ", " 6 ");
            assertThat(lines.get(webroot.notFoundEntry())).contains(" 404 ", " 7 ");
        }
        int typeColumn = lines.getFirst().indexOf("text/html");
        assertThat(lines).filteredOn(l -> l.contains(" file ")).allSatisfy(l -> assertThat(l.indexOf("text/")).isEqualTo(typeColumn));
    }

    @Test
    void lsEscapesControlCharactersInPathsSoEveryEntryIsOneLine() throws IOException {
        WebrootWriter writer = new WebrootWriter();
        String hostile = "/two\nlines\u001b[31mred\\back\u0085.txt";
        writer.addFile(hostile, "text/plain", 0, null, List.of(new WebrootWriter.Representation(
                Encoding.IDENTITY, Content.ofBytes("x".getBytes(StandardCharsets.UTF_8), "x"))));
        writer.addFile("/plain.txt", "text/plain", 0, null, List.of(new WebrootWriter.Representation(
                Encoding.IDENTITY, Content.ofBytes("y".getBytes(StandardCharsets.UTF_8), "y"))));
        Path file = dir.resolve("names.webroot");
        writer.write(file);
        Cli.Result result = Cli.run("ls", file.toString());
        assertThat(result.exitCode()).isZero();
        List<String> lines = result.stdout().lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines).anySatisfy(line -> assertThat(line).startsWith("/plain.txt "));
        assertThat(lines).anySatisfy(line -> assertThat(line).startsWith("/two\\nlines\\x1b[31mred\\\\back\\x85.txt "));
        assertThat(result.stdout()).doesNotContain("\u001b", "\u0085");
    }

    @Test
    void verifyFailsANonZeroPaddingByte() throws IOException {
        Path copy = dir.resolve("padding.webroot");
        Files.copy(out, copy);
        long last = Files.size(copy) - 1;
        flipByte(copy, last);
        Cli.Result bad = Cli.run("verify", copy.toString());
        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(bad.stderr()).isEqualTo("mkroot: " + copy + ": padding byte at offset " + last + " is not zero"
                + System.lineSeparator());
    }

    @Test
    void verifyPassesAnIntactFileAndFailsAFlippedDataByte() throws IOException {
        Cli.Result ok = Cli.run("verify", out.toString());
        assertThat(ok.exitCode()).isZero();
        assertThat(ok.stdout()).startsWith(out + ": ok, ").hasLineCount(1);

        Path copy = dir.resolve("flipped.webroot");
        Files.copy(out, copy);
        long offset;
        try (Webroot webroot = Webroot.open(copy)) {
            offset = webroot.dataOffset(webroot.representation(webroot.lookup("/my file.txt"), 0));
        }
        flipByte(copy, offset);
        Cli.Result bad = Cli.run("verify", copy.toString());
        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(bad.stderr()).contains("/my file.txt (identity)").contains("does not match its SHA-256");
        assertThat(bad.stdout()).isEmpty();
    }

    @Test
    void verifyChecksTheFileStoredRightAfterAnEmptyOne() throws IOException {
        Path src = dir.resolve("with-empty");
        write(src, "a-empty.txt", new byte[0]);
        write(src, "b.txt", "after the empty file");
        Path packed = dir.resolve("with-empty.webroot");
        assertThat(Cli.run(src.toString(), packed.toString()).exitCode()).isZero();
        long offset;
        try (Webroot webroot = Webroot.open(packed)) {
            offset = webroot.dataOffset(webroot.representation(webroot.lookup("/b.txt"), 0));
            assertThat(webroot.dataOffset(webroot.representation(webroot.lookup("/a-empty.txt"), 0))).isEqualTo(offset);
        }
        flipByte(packed, offset);
        Cli.Result bad = Cli.run("verify", packed.toString());
        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(bad.stderr()).contains("/b.txt (identity)").contains("does not match its SHA-256");
    }

    private static void flipByte(Path file, long offset) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            var one = java.nio.ByteBuffer.allocate(1);
            channel.read(one, offset);
            one.put(0, (byte) (one.get(0) ^ 1)).rewind();
            channel.write(one, offset);
        }
    }

    @Test
    void aFileThatIsNotAWebrootIsReportedInOneLine() throws IOException {
        Path truncated = dir.resolve("truncated.webroot");
        byte[] bytes = Files.readAllBytes(out);
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length - 1));
        for (String command : List.of("verify", "ls")) {
            Cli.Result result = Cli.run(command, truncated.toString());
            assertThat(result.exitCode()).isEqualTo(1);
            assertThat(result.stderr()).startsWith("mkroot: " + truncated + ": not a valid webroot: truncated").hasLineCount(1);
        }
        Cli.Result missing = Cli.run("verify", dir.resolve("nope.webroot").toString());
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.stderr()).isEqualTo("mkroot: " + dir.resolve("nope.webroot") + ": no such file or directory"
                + System.lineSeparator());
    }

    @Test
    void catWritesTheIdentityBytesAndRefusesRedirectsAndUnknownPaths() {
        assertThat(Cli.run("cat", out.toString(), "/").stdout()).isEqualTo(page);
        assertThat(Cli.run("cat", out.toString(), "/my file.txt").stdout()).isEqualTo("spaced");
        Cli.Result redirect = Cli.run("cat", out.toString(), "/docs");
        assertThat(redirect.exitCode()).isEqualTo(1);
        assertThat(redirect.stderr()).isEqualTo("mkroot: " + out + ": /docs is a redirect to docs/" + System.lineSeparator());
        assertThat(redirect.stdout()).isEmpty();
        Cli.Result unknown = Cli.run("cat", out.toString(), "/nope.html");
        assertThat(unknown.exitCode()).isEqualTo(1);
        assertThat(unknown.stderr()).isEqualTo("mkroot: " + out + ": no entry at /nope.html" + System.lineSeparator());
        Cli.Result noVariant = Cli.run("cat", out.toString(), "/my file.txt", "--encoding", "br");
        assertThat(noVariant.exitCode()).isEqualTo(1);
        assertThat(noVariant.stderr()).contains("has no br variant");
    }

    @Test
    void badArgumentsAreUsageErrors() {
        String src = dir.resolve("site").toString();
        String target = dir.resolve("other.webroot").toString();
        List<String[]> cases = List.of(
                new String[] {},
                new String[] {src},
                new String[] {src, target, "--bogus"},
                new String[] {src, target, "--encodings", "br,lzma"},
                new String[] {src, target, "--threads", "0"},
                new String[] {src, target, "--min-saving", "100"},
                new String[] {src, target, "--immutable-pattern", "(unclosed"},
                new String[] {src, target, "--not-found", "404.html", "--no-not-found"},
                new String[] {src, target, "--cache-control", "caf\u00e9"},
                new String[] {"cat", out.toString()},
                new String[] {"cat", out.toString(), "/", "--encoding", "deflate"},
                new String[] {"verify"});
        for (String[] args : cases) {
            Cli.Result result = Cli.run(args);
            assertThat(result.exitCode()).as("%s", List.of(args)).isEqualTo(2);
            assertThat(result.stderr()).as("%s", List.of(args)).startsWith("mkroot: ").doesNotContain("Exception");
        }
        Cli.Result badEpoch = Cli.runWithEnv(Map.of("SOURCE_DATE_EPOCH", "yesterday"), src, target);
        assertThat(badEpoch.exitCode()).isEqualTo(2);
        assertThat(badEpoch.stderr()).contains("SOURCE_DATE_EPOCH");
        assertThat(Files.exists(Path.of(target))).isFalse();
    }

    @Test
    void helpAndVersionExitZero() {
        Cli.Result help = Cli.run("--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.stdout()).contains("mkroot SRC_DIR OUT_FILE", "ls", "verify", "cat");
        Cli.Result packHelp = Cli.run("pack", "--help");
        assertThat(packHelp.exitCode()).isZero();
        assertThat(packHelp.stdout()).contains("--no-compress", "--encodings", "64 MiB", "SOURCE_DATE_EPOCH");
        assertThat(Cli.run("--version").exitCode()).isZero();
    }
}
