package dev.webroot.bench;

import dev.webroot.format.Content;
import dev.webroot.format.Encoding;
import dev.webroot.format.Webroot;
import dev.webroot.format.WebrootWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** Cost of one webroot lookup (hit and miss) in a site of {@code files} entries; run with {@code -prof gc}. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class LookupBenchmark {
    private static final int KEYS = 1024;

    @Param({"10000"})
    int files;

    private Path dir;
    private Webroot webroot;
    private byte[][] hits;
    private byte[][] misses;
    private int next;

    @Setup
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("lookup-bench");
        WebrootWriter writer = new WebrootWriter();
        for (int i = 0; i < files; i++) {
            byte[] body = ("file " + i).getBytes(StandardCharsets.UTF_8);
            writer.addFile(pathOf(i), "text/plain", 0, null,
                    List.of(new WebrootWriter.Representation(Encoding.IDENTITY, Content.ofBytes(body, "generated"))));
        }
        Path file = dir.resolve("bench.webroot");
        writer.write(file);
        webroot = Webroot.open(file);
        hits = new byte[KEYS][];
        misses = new byte[KEYS][];
        for (int i = 0; i < KEYS; i++) {
            hits[i] = pathOf((int) ((i * 2654435761L) % files)).getBytes(StandardCharsets.UTF_8);
            misses[i] = (pathOf(i) + ".missing").getBytes(StandardCharsets.UTF_8);
        }
    }

    private static String pathOf(int i) {
        return "/assets/section-" + (i % 97) + "/page-" + i + ".html";
    }

    @TearDown
    public void tearDown() throws IOException {
        webroot.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    public int hit() {
        byte[] key = hits[next++ & (KEYS - 1)];
        return webroot.lookup(key, 0, key.length);
    }

    @Benchmark
    public int miss() {
        byte[] key = misses[next++ & (KEYS - 1)];
        return webroot.lookup(key, 0, key.length);
    }
}
