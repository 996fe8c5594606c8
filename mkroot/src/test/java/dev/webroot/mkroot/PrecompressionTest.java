package dev.webroot.mkroot;

import static dev.webroot.mkroot.Cli.write;
import static org.assertj.core.api.Assertions.assertThat;

import com.aayushatharva.brotli4j.decoder.Decoder;
import com.github.luben.zstd.Zstd;
import dev.webroot.format.Encoding;
import dev.webroot.format.Webroot;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrecompressionTest {
    @TempDir
    Path dir;

    private Path pack(Path src, String... options) {
        Path out = dir.resolve("out.webroot");
        List<String> args = new ArrayList<>(List.of(src.toString(), out.toString()));
        args.addAll(List.of(options));
        assertThat(Cli.run(args.toArray(String[]::new)).exitCode()).isZero();
        return out;
    }

    private static List<Encoding> encodings(Webroot webroot, String path) {
        int entry = webroot.lookup(path);
        List<Encoding> encodings = new ArrayList<>();
        for (int i = 0; i < webroot.representationCount(entry); i++) {
            encodings.add(webroot.encoding(webroot.representation(entry, i)));
        }
        return encodings;
    }

    @Test
    void compressibleTextGetsEveryVariantAndCatDecompressesBack() throws IOException {
        Path src = dir.resolve("site");
        String text = Cli.compressibleText(200);
        write(src, "page.html", text);
        Path out = pack(src);
        try (Webroot webroot = Webroot.open(out)) {
            assertThat(encodings(webroot, "/page.html"))
                    .containsExactly(Encoding.IDENTITY, Encoding.BR, Encoding.ZSTD, Encoding.GZIP);
            assertThat(webroot.headerBlock(webroot.representation(webroot.lookup("/page.html"), 1)))
                    .contains("Content-Encoding: br\r\n").contains("Vary: Accept-Encoding\r\n");
        }
        byte[] original = text.getBytes(StandardCharsets.UTF_8);
        assertThat(Cli.run("cat", out.toString(), "/page.html").stdoutBytes()).isEqualTo(original);
        byte[] br = Cli.run("cat", out.toString(), "/page.html", "--encoding", "br").stdoutBytes();
        assertThat(Decoder.decompress(br).getDecompressedData()).isEqualTo(original);
        byte[] zstd = Cli.run("cat", out.toString(), "/page.html", "--encoding", "zstd").stdoutBytes();
        assertThat(Zstd.decompress(zstd, original.length)).isEqualTo(original);
        byte[] gzip = Cli.run("cat", out.toString(), "/page.html", "--encoding", "gzip").stdoutBytes();
        assertThat(new GZIPInputStream(new ByteArrayInputStream(gzip)).readAllBytes()).isEqualTo(original);
        assertThat(gzip).startsWith(0x1f, 0x8b, 8, 0, 0, 0, 0, 0);
        assertThat(br.length).isLessThan(original.length);
    }

    @Test
    void anSvgzFileIsServedAsSvgWithItsGzipBytesAsAnEncoding() throws IOException {
        Path src = dir.resolve("site");
        String svg = "<svg xmlns=\"http://www.w3.org/2000/svg\">" + "<circle r=\"1\"/>".repeat(100) + "</svg>";
        java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
        try (var out = new java.util.zip.GZIPOutputStream(gz)) {
            out.write(svg.getBytes(StandardCharsets.UTF_8));
        }
        java.nio.file.Files.createDirectories(src);
        java.nio.file.Files.write(src.resolve("logo.svgz"), gz.toByteArray());
        Path out = pack(src, "--no-compress");
        try (Webroot webroot = Webroot.open(out)) {
            int entry = webroot.lookup("/logo.svgz");
            assertThat(webroot.contentType(entry)).isEqualTo("image/svg+xml; charset=utf-8");
            assertThat(encodings(webroot, "/logo.svgz")).containsExactly(Encoding.IDENTITY, Encoding.GZIP);
        }
        assertThat(Cli.run("cat", out.toString(), "/logo.svgz").stdoutBytes()).isEqualTo(svg.getBytes(StandardCharsets.UTF_8));
        assertThat(Cli.run("cat", out.toString(), "/logo.svgz", "--encoding", "gzip").stdoutBytes()).isEqualTo(gz.toByteArray());

        java.nio.file.Files.writeString(src.resolve("broken.svgz"), "<svg>not compressed</svg>");
        Cli.Result refused = Cli.run(src.toString(), dir.resolve("broken.webroot").toString());
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.stderr()).contains("broken.svgz: a .svgz file must be gzip-compressed SVG");
        assertThat(dir.resolve("broken.webroot")).doesNotExist();
    }

    @Test
    void incompressibleSmallAndBinaryFilesGetNoVariants() throws IOException {
        Path src = dir.resolve("site");
        byte[] random = new byte[20_000];
        new Random(1).nextBytes(random);
        write(src, "random.txt", random);
        write(src, "small.css", "a{}".repeat(80));
        write(src, "photo.png", Cli.compressibleText(100));
        try (Webroot webroot = Webroot.open(pack(src))) {
            assertThat(encodings(webroot, "/random.txt")).containsExactly(Encoding.IDENTITY);
            assertThat(encodings(webroot, "/small.css")).containsExactly(Encoding.IDENTITY);
            assertThat(encodings(webroot, "/photo.png")).containsExactly(Encoding.IDENTITY);
        }
    }

    @Test
    void optionsChooseEncodingsAndThreshold() throws IOException {
        Path src = dir.resolve("site");
        write(src, "page.html", Cli.compressibleText(200));
        try (Webroot webroot = Webroot.open(pack(src, "--encodings", "gzip,zstd"))) {
            assertThat(encodings(webroot, "/page.html")).containsExactly(Encoding.IDENTITY, Encoding.ZSTD, Encoding.GZIP);
        }
        try (Webroot webroot = Webroot.open(pack(src, "--no-compress"))) {
            assertThat(encodings(webroot, "/page.html")).containsExactly(Encoding.IDENTITY);
        }
        try (Webroot webroot = Webroot.open(pack(src, "--min-saving", "99"))) {
            assertThat(encodings(webroot, "/page.html")).containsExactly(Encoding.IDENTITY);
        }
    }

    @Test
    void aVariantMustSaveFivePercentAndAtLeast128Bytes() throws IOException {
        Precompressor anySaving = new Precompressor(java.util.EnumSet.of(Encoding.GZIP), 0);
        Precompressor fivePercent = new Precompressor(java.util.EnumSet.of(Encoding.GZIP), 5);

        byte[] savesLittle = mostlyRandom(4000, 150);
        long savedLittle = savesLittle.length - Precompressor.compress(Encoding.GZIP, savesLittle).length;
        assertThat(savedLittle).as("saves under 128 bytes").isBetween(1L, Precompressor.MIN_SAVED_BYTES - 1L);
        assertThat(anySaving.variants(savesLittle)).isEmpty();

        byte[] savesUnderFivePercent = mostlyRandom(10_000, 400);
        long saved = savesUnderFivePercent.length - Precompressor.compress(Encoding.GZIP, savesUnderFivePercent).length;
        assertThat(saved).as("saves 128 bytes or more, but under 5%%")
                .isBetween((long) Precompressor.MIN_SAVED_BYTES, savesUnderFivePercent.length / 20L - 1);
        assertThat(fivePercent.variants(savesUnderFivePercent)).isEmpty();
        assertThat(anySaving.variants(savesUnderFivePercent)).hasSize(1);
    }

    /** Random bytes, which gzip cannot shrink, after a run of {@code compressible} repeated ones, which it can. */
    private static byte[] mostlyRandom(int length, int compressible) {
        byte[] bytes = new byte[length];
        new Random(3).nextBytes(bytes);
        java.util.Arrays.fill(bytes, 0, compressible, (byte) 'a');
        return bytes;
    }
}
