package dev.webroot.mkroot;

import static dev.webroot.mkroot.Cli.write;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReproducibilityTest {
    @TempDir
    Path dir;

    private Path src;

    @BeforeEach
    void makeTree() {
        src = dir.resolve("site");
        Random random = new Random(42);
        for (int i = 0; i < 40; i++) {
            write(src, "d" + (i % 5) + "/page" + i + ".html", Cli.compressibleText(20 + random.nextInt(100)));
            byte[] binary = new byte[500 + random.nextInt(5000)];
            random.nextBytes(binary);
            write(src, "bin/blob" + i + ".bin", binary);
        }
        write(src, "index.html", Cli.compressibleText(50));
        write(src, "404.html", Cli.compressibleText(10));
    }

    private byte[] pack(String name, Map<String, String> env, String... options) throws IOException {
        Path out = dir.resolve(name);
        String[] args = new String[options.length + 2];
        args[0] = src.toString();
        args[1] = out.toString();
        System.arraycopy(options, 0, args, 2, options.length);
        assertThat(Cli.runWithEnv(env, args).exitCode()).isZero();
        return Files.readAllBytes(out);
    }

    @Test
    void twoPacksOfTheSameTreeAreByteIdenticalWhateverTheThreadCount() throws IOException {
        byte[] first = pack("a.webroot", Map.of());
        assertThat(pack("b.webroot", Map.of())).isEqualTo(first);
        assertThat(pack("one-thread.webroot", Map.of(), "--threads", "1")).isEqualTo(first);
        assertThat(pack("many-threads.webroot", Map.of(), "--threads", "7")).isEqualTo(first);
    }

    @Test
    void sourceDateEpochMakesTheOutputIndependentOfNewerMtimes() throws IOException {
        Map<String, String> env = Map.of("SOURCE_DATE_EPOCH", "1600000000");
        byte[] first = pack("a.webroot", env);
        try (var files = Files.walk(src)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.setLastModifiedTime(file, FileTime.from(Instant.ofEpochSecond(1_650_000_000L + file.toString().length())));
            }
        }
        assertThat(pack("b.webroot", env, "--threads", "3")).isEqualTo(first);
        assertThat(pack("c.webroot", Map.of())).isNotEqualTo(first);
    }
}
