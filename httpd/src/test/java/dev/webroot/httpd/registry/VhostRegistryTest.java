package dev.webroot.httpd.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.webroot.format.Content;
import dev.webroot.format.Encoding;
import dev.webroot.format.Webroot;
import dev.webroot.format.WebrootWriter;
import dev.webroot.httpd.core.Generation;
import dev.webroot.httpd.log.ErrorLog;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class VhostRegistryTest {
    @TempDir
    Path temp;

    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    private final ErrorLog log = ErrorLog.to(new PrintStream(logBytes, true, StandardCharsets.UTF_8));
    private VhostRegistry registry;

    @AfterEach
    void closeRegistry() {
        if (registry != null) {
            registry.close();
        }
    }

    private Path vhosts() throws IOException {
        return Files.createDirectories(temp.resolve("vhosts"));
    }

    /** A webroot whose /index.html says {@code marker}. */
    private Path webroot(String fileName, String marker) throws IOException {
        Path file = Files.createDirectories(temp.resolve("webroots")).resolve(fileName);
        WebrootWriter writer = new WebrootWriter();
        writer.addFile("/index.html", "text/html", 0, null, List.of(new WebrootWriter.Representation(
                Encoding.IDENTITY, Content.ofBytes(marker.getBytes(StandardCharsets.UTF_8), marker))));
        writer.write(file);
        return file;
    }

    /** Points {@code vhosts/name} at {@code target} the way deploys do: a temp link renamed over it. */
    private static void link(Path vhosts, String name, Path target) throws IOException {
        Path tmp = vhosts.resolve(".tmp-" + name);
        Files.deleteIfExists(tmp);
        Files.createSymbolicLink(tmp, target);
        Files.move(tmp, vhosts.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Opens {@link #registry} on a new vhosts directory whose only entry, site, links to {@code target}. */
    private Path openWithSite(Path target, Duration rescanInterval) throws IOException {
        return openWith(rescanInterval, Map.of("site", target));
    }

    /** Opens {@link #registry} on a new vhosts directory whose entries link to the given webroots. */
    private Path openWith(Duration rescanInterval, Map<String, Path> entries) throws IOException {
        Path vhosts = vhosts();
        for (Map.Entry<String, Path> entry : entries.entrySet()) {
            link(vhosts, entry.getKey(), entry.getValue());
        }
        registry = VhostRegistry.open(vhosts, log, rescanInterval);
        return vhosts;
    }

    private static String marker(Generation generation) {
        Webroot webroot = generation.webroot();
        int representation = webroot.representation(webroot.lookup("/index.html"), 0);
        var body = webroot.body(representation, 0, (int) webroot.length(representation));
        byte[] bytes = new byte[body.remaining()];
        body.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private String served(String host) {
        byte[] bytes = host.getBytes(StandardCharsets.US_ASCII);
        Generation generation = registry.acquire(bytes, 0, bytes.length);
        if (generation == null) {
            return null;
        }
        try {
            return marker(generation);
        } finally {
            generation.release();
        }
    }

    private String logText() {
        return logBytes.toString(StandardCharsets.UTF_8);
    }

    private static void awaitTrue(Duration limit, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within %s", limit).isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    @Test
    void servesEntriesByLowercasedNameFallsBackToDefaultAndIgnoresDotNamesAndDirectories() throws Exception {
        Path vhosts = vhosts();
        link(vhosts, "WWW.Example.COM", webroot("www.webroot", "www"));
        Files.copy(webroot("blog.webroot", "blog"), vhosts.resolve("blog.example.org"));
        link(vhosts, ".hidden", webroot("hidden.webroot", "hidden"));
        Files.createDirectory(vhosts.resolve("somedir"));
        registry = VhostRegistry.open(vhosts, log, Duration.ofMillis(500));

        assertThat(registry.names()).containsExactly("blog.example.org", "www.example.com");
        assertThat(served("www.example.com")).isEqualTo("www");
        assertThat(served("blog.example.org")).isEqualTo("blog");
        assertThat(served("unknown.example")).isNull();
        assertThat(served(".hidden")).isNull();

        link(vhosts, "__default__", webroot("default.webroot", "default"));
        awaitTrue(Duration.ofSeconds(1), () -> "default".equals(served("unknown.example")));
        assertThat(served("www.example.com")).isEqualTo("www");
        assertThat(logText()).contains("vhost __default__: added");
    }

    @Test
    void hostLookupHonoursOffsetAndLength() throws Exception {
        Path vhosts = vhosts();
        link(vhosts, "a.example", webroot("a.webroot", "a"));
        registry = VhostRegistry.open(vhosts, log, Duration.ofMillis(500));
        byte[] request = "xxa.exampleyy".getBytes(StandardCharsets.US_ASCII);
        Generation generation = registry.acquire(request, 2, 9);
        assertThat(marker(generation)).isEqualTo("a");
        generation.release();
        assertThat(registry.acquire(request, 2, 8)).isNull();
    }

    @Test
    void aReplacedSymlinkIsServedWithinASecondWhileHeldGenerationsStayMappedUntilReleased() throws Exception {
        Path vhosts = openWithSite(webroot("v1.webroot", "v1"), Duration.ofMillis(500));
        byte[] host = "site".getBytes(StandardCharsets.US_ASCII);
        Generation held = registry.acquire(host, 0, host.length);

        long flipped = System.nanoTime();
        link(vhosts, "site", webroot("v2.webroot", "v2"));
        awaitTrue(Duration.ofSeconds(1), () -> "v2".equals(served("site")));
        long tookMillis = (System.nanoTime() - flipped) / 1_000_000;
        assertThat(tookMillis).isLessThan(1000);

        assertThat(marker(held)).as("the held old generation still reads").isEqualTo("v1");
        held.release();
        awaitTrue(Duration.ofSeconds(2), () -> !held.webroot().segment().scope().isAlive());
        assertThat(logText()).contains("vhost site: replaced (" + temp.resolve("webroots/v2.webroot").toRealPath());
    }

    @Test
    void aCorruptReplacementIsRefusedOnceAndThePreviousGenerationKeepsServing() throws Exception {
        Path vhosts = openWithSite(webroot("good.webroot", "good"), Duration.ofMillis(50));
        Path corrupt = temp.resolve("webroots/corrupt.webroot");
        Files.write(corrupt, "this is not a webroot at all, just some text that is long enough".repeat(4)
                .getBytes(StandardCharsets.US_ASCII));
        link(vhosts, "site", corrupt);

        awaitTrue(Duration.ofSeconds(1), () -> logText().contains("refused"));
        Thread.sleep(300);
        assertThat(served("site")).isEqualTo("good");
        List<String> refusals = logText().lines().filter(l -> l.contains("refused")).toList();
        assertThat(refusals).hasSize(1);
        assertThat(refusals.getFirst()).startsWith("httpd: vhost site: refused: ")
                .contains("corrupt.webroot", "not a valid webroot", "still serving");

        link(vhosts, "site", webroot("fixed.webroot", "fixed"));
        awaitTrue(Duration.ofSeconds(1), () -> "fixed".equals(served("site")));
    }

    @Test
    void aDanglingLinkIsRefusedAndARemovedEntryFallsBackToTheDefault() throws Exception {
        Path vhosts = openWith(Duration.ofMillis(50),
                Map.of("site", webroot("site.webroot", "site"), "__default__", webroot("default.webroot", "default")));

        link(vhosts, "site", temp.resolve("missing.webroot"));
        awaitTrue(Duration.ofSeconds(1), () -> logText().contains("dangling"));
        assertThat(served("site")).isEqualTo("site");

        Files.delete(vhosts.resolve("site"));
        awaitTrue(Duration.ofSeconds(1), () -> "default".equals(served("site")));
        assertThat(logText()).contains("vhost site: removed");
    }

    @Test
    void aNonAtomicRelinkDoesNotRemoveTheVhost() throws Exception {
        Path v2 = webroot("v2.webroot", "v2");
        Path vhosts = openWithSite(webroot("v1.webroot", "v1"), Duration.ofMillis(500));
        Files.delete(vhosts.resolve("site"));
        Thread.sleep(15);
        Files.createSymbolicLink(vhosts.resolve("site"), v2);
        awaitTrue(Duration.ofSeconds(1), () -> "v2".equals(served("site")));
        assertThat(logText()).doesNotContain("removed");
    }

    @Test
    void refusesAMissingDirectoryClearly() {
        assertThatThrownBy(() -> VhostRegistry.open(temp.resolve("nope"), log, Duration.ofMillis(500)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("nope").hasMessageContaining("does not exist");
    }

    @Test
    void twoThousandSwapsLeaveNoMappingsOrDescriptorsBehind() throws Exception {
        Path a = webroot("swap-a.webroot", "a");
        Path b = webroot("swap-b.webroot", "b");
        Path vhosts = openWithSite(a, Duration.ofSeconds(30));
        long fdsBefore = openDescriptors();
        long mapsBefore = mappingsOf("swap-");

        for (int i = 0; i < 2000; i++) {
            Generation held = i % 3 == 0 ? registry.acquire("site".getBytes(StandardCharsets.US_ASCII), 0, 4) : null;
            link(vhosts, "site", i % 2 == 0 ? b : a);
            registry.rescan();
            if (held != null) {
                held.release();
            }
        }
        registry.rescan();
        assertThat(served("site")).isEqualTo("a");
        assertThat(openDescriptors()).isLessThanOrEqualTo(fdsBefore + 2);
        assertThat(mappingsOf("swap-")).isEqualTo(mapsBefore);
    }

    @Test
    void acquireAndReleaseDoNotAllocate() throws Exception {
        openWith(Duration.ofSeconds(30),
                Map.of("www.example.com", webroot("www.webroot", "www"), "__default__", webroot("default.webroot", "default")));
        byte[] known = "www.example.com".getBytes(StandardCharsets.US_ASCII);
        byte[] unknown = "other.example.net".getBytes(StandardCharsets.US_ASCII);
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().threadId();
        acquireAndRelease(200_000, known, unknown);
        long before = threads.getThreadAllocatedBytes(id);
        acquireAndRelease(100_000, known, unknown);
        long allocated = threads.getThreadAllocatedBytes(id) - before;
        assertThat(allocated).as("bytes allocated by 100,000 acquire/release pairs").isLessThan(4096);
        assertThat(registry.holds("www.example.com")).isEqualTo(1);
    }

    /** {@code pairs} acquire/release pairs, alternating between two hosts that both resolve. */
    private void acquireAndRelease(int pairs, byte[] host, byte[] otherHost) {
        for (int i = 0; i < pairs; i++) {
            byte[] h = i % 2 == 0 ? host : otherHost;
            registry.acquire(h, 0, h.length).release();
        }
    }

    private static long openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    private static long mappingsOf(String fileNamePart) throws IOException {
        try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
            return maps.filter(line -> line.contains(fileNamePart)).count();
        }
    }
}
