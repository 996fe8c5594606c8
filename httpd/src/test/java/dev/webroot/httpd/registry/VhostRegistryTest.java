package dev.webroot.httpd.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.webroot.format.Content;
import dev.webroot.format.Encoding;
import dev.webroot.format.Webroot;
import dev.webroot.format.WebrootWriter;
import dev.webroot.httpd.core.Generation;
import dev.webroot.httpd.core.Sites;
import dev.webroot.httpd.log.ErrorLog;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.AccessDeniedException;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
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
        if (generation == Sites.OUT_OF_SERVICE) {
            return "out of service";
        }
        try {
            return marker(generation);
        } finally {
            generation.release();
        }
    }

    private boolean outOfService(String host) {
        byte[] bytes = host.getBytes(StandardCharsets.US_ASCII);
        return registry.acquire(bytes, 0, bytes.length) == Sites.OUT_OF_SERVICE;
    }

    /** Whether the current generation of {@code host} may send the body of its /index.html. */
    private boolean indexBodyIntact(String host) {
        byte[] bytes = host.getBytes(StandardCharsets.US_ASCII);
        Generation generation = registry.acquire(bytes, 0, bytes.length);
        try {
            Webroot webroot = generation.webroot();
            return generation.bodyIntact(webroot.representation(webroot.lookup("/index.html"), 0));
        } finally {
            generation.release();
        }
    }

    /** The absolute offset of the body of /index.html in a webroot file. */
    private static long indexBodyOffset(Path file) throws IOException {
        try (Webroot webroot = Webroot.open(file)) {
            return webroot.dataOffset(webroot.representation(webroot.lookup("/index.html"), 0));
        }
    }

    /** Writes {@code bytes} at {@code offset} without truncating, as {@code dd conv=notrunc} does. */
    private static void writeInPlace(Path file, long offset, byte[] bytes) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(bytes), offset);
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
    void bodiesAreVerifiedOnThreadsThatYieldTheCpuToServing() throws Exception {
        openWithSite(webroot("site.webroot", "v1"), Duration.ofMillis(500));
        awaitTrue(Duration.ofSeconds(5), () -> {
            List<Integer> niceness = verifierThreadNiceness();
            return !niceness.isEmpty() && niceness.stream().allMatch(nice -> nice == 10);
        });
    }

    /** The nice value of each of this process's verifier threads, from /proc. */
    private static List<Integer> verifierThreadNiceness() {
        List<Integer> niceness = new java.util.ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    if (Files.readString(task.resolve("comm")).startsWith("webroot-verifi")) {
                        String stat = Files.readString(task.resolve("stat"));
                        // The fields after the parenthesised name start at the third; nice is the nineteenth.
                        niceness.add(Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]));
                    }
                } catch (java.nio.file.NoSuchFileException ended) {
                    // A thread that ended meanwhile.
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return niceness;
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
    void aNextEntryIsVerifiedAheadAndGoesLiveInTheRescanThatSeesTheSwitch() throws Exception {
        // A rescan interval far beyond the test: the test rescans by hand.
        Path vhosts = openWithSite(webroot("v1.webroot", "v1"), Duration.ofSeconds(60));
        Path v2 = webroot("v2.webroot", "v2");
        link(vhosts, VhostRegistry.NEXT_PREFIX + "site", v2);
        registry.rescan();
        String prepared = "vhost site: prepared " + v2.toRealPath();
        awaitTrue(Duration.ofSeconds(5), () -> logText().contains(prepared));
        assertThat(served("site")).as("the prepared file is not served before the switch").isEqualTo("v1");
        assertThat(served(".next.site")).isNull();
        assertThat(registry.names()).containsExactly("site");
        assertThat(registry.status(false).getFirst().next()).isEqualTo(new VhostRegistry.Next(v2.toRealPath(), "verified"));

        Files.move(vhosts.resolve(VhostRegistry.NEXT_PREFIX + "site"), vhosts.resolve("site"), StandardCopyOption.ATOMIC_MOVE);
        registry.rescan();
        assertThat(served("site")).as("live when the rescan returns: no verification after the switch").isEqualTo("v2");
        assertThat(logText()).contains("vhost site: replaced (" + v2.toRealPath() + ", 1 entries, prepared and verified ahead)");
        // v1 was retired on whichever thread rescanned first; off the watcher thread it is unmapped by the next rescan.
        registry.rescan();
        assertThat(registry.mappedGenerations()).as("v1 unmapped once released; nothing prepared is left").isEqualTo(1);
        assertThat(registry.status(false).getFirst().next()).isNull();
    }

    @Test
    void aNextEntryWhoseFileIsDamagedIsRefusedAtTheSwitchAndAnAbandonedOneIsUnmapped() throws Exception {
        Path vhosts = openWithSite(webroot("v1.webroot", "v1"), Duration.ofSeconds(60));
        Path damaged = webroot("damaged.webroot", "v2");
        writeInPlace(damaged, indexBodyOffset(damaged), "X".getBytes(StandardCharsets.US_ASCII));
        // Written long ago: a refused file modified within the last second is tried again on every rescan.
        Files.setLastModifiedTime(damaged, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        link(vhosts, VhostRegistry.NEXT_PREFIX + "site", damaged);
        registry.rescan();
        awaitTrue(Duration.ofSeconds(5), () -> logText().contains("leads to a file that will be refused"));
        assertThat(registry.status(false).getFirst().next().state()).isEqualTo("refused");
        Files.move(vhosts.resolve(VhostRegistry.NEXT_PREFIX + "site"), vhosts.resolve("site"), StandardCopyOption.ATOMIC_MOVE);
        registry.rescan();
        assertThat(served("site")).isEqualTo("v1");
        assertThat(logText()).contains("vhost site: refused: " + damaged.toRealPath() + ": data of", "still serving");
        registry.rescan();
        assertThat(logText().lines().filter(line -> line.contains("vhost site: refused:")).count()).as("refused once, not verified again: %s", logText()).isEqualTo(1);

        Path v3 = webroot("v3.webroot", "v3");
        link(vhosts, VhostRegistry.NEXT_PREFIX + "site", v3);
        registry.rescan();
        String prepared = "vhost site: prepared " + v3.toRealPath();
        awaitTrue(Duration.ofSeconds(5), () -> logText().contains(prepared));
        assertThat(registry.mappedGenerations()).as(logText()).isEqualTo(2);
        Files.delete(vhosts.resolve(VhostRegistry.NEXT_PREFIX + "site"));
        registry.rescan();
        registry.rescan();
        assertThat(registry.mappedGenerations()).as("a prepared file whose entry is gone is unmapped").isEqualTo(1);
        assertThat(served("site")).isEqualTo("v1");
    }

    @Test
    void anEntryLeadingToAnEmptyFileIsOutOfServiceUntilItLeadsToAWebroot() throws Exception {
        Path empty = Files.createFile(temp.resolve("out-of-service"));
        Path vhosts = openWithSite(empty, Duration.ofSeconds(60));
        assertThat(registry.names()).containsExactly("site");
        assertThat(served("site")).as("at start-up").isEqualTo("out of service");

        link(vhosts, "site", webroot("v1.webroot", "v1"));
        registry.rescan();
        awaitTrue(Duration.ofSeconds(5), () -> "v1".equals(served("site")));

        link(vhosts, "site", empty);
        registry.rescan();
        assertThat(served("site")).as("at once, with no verification").isEqualTo("out of service");
        registry.rescan();
        assertThat(logText().lines().filter(line -> line.contains("out of service (")).count()).as("logged once per switch").isEqualTo(2);
        assertThat(logText()).contains("vhost site: out of service (" + empty.toRealPath() + " is empty); answering 503");
    }

    @Test
    void aLiveWebrootCopiedOverInPlaceAnswers503ThenServesTheNewFileAsANewGeneration() throws Exception {
        Path live = webroot("live.webroot", "v1");
        byte[] v2 = Files.readAllBytes(webroot("v2.webroot", "v2"));
        // A rescan interval far beyond the waits below: only the watch on the file's directory can see the change.
        openWith(Duration.ofSeconds(60), Map.of("site", live, "other", webroot("other.webroot", "other")));
        assertThat(served("site")).isEqualTo("v1");

        // cp v2.webroot live.webroot: open with O_TRUNC, then write.
        try (FileChannel channel = FileChannel.open(live, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            long truncated = System.nanoTime();
            awaitTrue(Duration.ofSeconds(5), () -> outOfService("site"));
            long tookMillis = (System.nanoTime() - truncated) / 1_000_000;
            assertThat(served("other")).as("other vhosts are unaffected").isEqualTo("other");
            System.out.println("copy over a live webroot: retired after " + tookMillis + " ms");
            channel.write(ByteBuffer.wrap(v2));
        }
        awaitTrue(Duration.ofSeconds(5), () -> !outOfService("site"));
        assertThat(served("site")).isEqualTo("v2");
        // With a read lease the open itself waited for the retirement; without one the change was seen after it.
        assertThat(logText()).containsAnyOf("vhost site: " + live.toRealPath() + " was changed in place",
                "vhost site: " + live.toRealPath() + " is being opened for writing");
        assertThat(logText()).contains("answering 503 until the file validates again",
                "vhost site: serving again (" + live.toRealPath(), "a new generation");
    }

    @Test
    void aWriterOfALeasedWebrootWaitsUntilTheVhostIsOutOfServiceAndItsResponsesHaveFinished() throws Exception {
        Path live = webroot("live.webroot", "v1");
        openWith(Duration.ofSeconds(60), Map.of("site", live));
        awaitTrue(Duration.ofSeconds(5), () -> registry.leased("site") || logText().contains("no read lease"));
        Assumptions.assumeFalse(logText().contains("no read lease"), "read leases are not available here");
        byte[] host = "site".getBytes(StandardCharsets.US_ASCII);
        Generation inFlight = registry.acquire(host, 0, host.length);
        java.util.concurrent.CompletableFuture<Long> opened = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try (FileChannel channel = FileChannel.open(live, StandardOpenOption.WRITE)) {
                return System.nanoTime();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        awaitTrue(Duration.ofSeconds(5), () -> outOfService("site"));
        Thread.sleep(300);
        assertThat(opened).as("the writer waits while a response still reads the mapping").isNotDone();
        assertThat(marker(inFlight)).isEqualTo("v1");
        long released = System.nanoTime();
        inFlight.release();
        long openedAt = opened.get(5, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(openedAt).isGreaterThanOrEqualTo(released);
        assertThat(logText()).contains("vhost site: " + live.toRealPath() + " is being opened for writing");
        // Nothing was written: the unchanged file is served again as a new generation.
        awaitTrue(Duration.ofSeconds(5), () -> "v1".equals(served("site")));
        assertThat(logText()).contains("vhost site: serving again (");
    }

    @Test
    void aTruncatedLiveWebrootAnswers503UntilAValidFileIsWrittenBack() throws Exception {
        Path live = webroot("live.webroot", "v1");
        byte[] original = Files.readAllBytes(live);
        // A writer that had the file open before httpd: no lease can be taken, so the change itself must be seen.
        try (FileChannel writer = FileChannel.open(live, StandardOpenOption.WRITE)) {
            openWith(Duration.ofSeconds(60), Map.of("site", live, "other", webroot("other.webroot", "other")));
            writer.truncate(4096);
        }
        awaitTrue(Duration.ofSeconds(5), () -> outOfService("site"));
        assertThat(logText()).contains("vhost site: " + live.toRealPath() + " was changed in place (");
        awaitTrue(Duration.ofSeconds(5), () -> logText().contains("vhost site: refused: "));
        assertThat(logText()).contains("truncated", "still answering 503");
        assertThat(outOfService("site")).isTrue();
        assertThat(served("other")).isEqualTo("other");

        Files.write(live, original);
        awaitTrue(Duration.ofSeconds(5), () -> "v1".equals(served("site")));
        assertThat(logText()).contains("vhost site: serving again (");
    }

    @Test
    void aLiveWebrootRewrittenWithoutTruncationAnswers503AndADamagedBodyIsRefusedUntilRestored() throws Exception {
        Path live = webroot("live.webroot", "v1");
        long body = indexBodyOffset(live);
        FileChannel writer = FileChannel.open(live, StandardOpenOption.WRITE);
        openWith(Duration.ofMillis(500), Map.of("site", live, "other", webroot("other.webroot", "other")));
        assertThat(served("site")).isEqualTo("v1");

        // dd conv=notrunc through a descriptor opened before httpd took the file (so without a lease).
        writer.write(ByteBuffer.wrap("X".getBytes(StandardCharsets.US_ASCII)), body);
        writer.close();
        awaitTrue(Duration.ofSeconds(5), () -> outOfService("site"));
        assertThat(logText()).contains("vhost site: " + live.toRealPath() + " was changed in place (modified, ");
        // The first generation's background pass may say first that the body no longer matches.
        String refused = "vhost site: refused: " + live.toRealPath() + ": data of /index.html (identity) does not match";
        awaitTrue(Duration.ofSeconds(5), () -> logText().contains(refused));
        assertThat(outOfService("site")).isTrue();
        assertThat(served("other")).isEqualTo("other");

        writeInPlace(live, body, "v".getBytes(StandardCharsets.US_ASCII));
        awaitTrue(Duration.ofSeconds(5), () -> !outOfService("site"));
        assertThat(served("site")).isEqualTo("v1");
    }

    @Test
    void aFileRenamedIntoPlaceIsAReplacementNotAChangeInPlace() throws Exception {
        Path live = webroot("live.webroot", "v1");
        openWith(Duration.ofMillis(500), Map.of("site", live));
        Path next = webroot("next.webroot", "v2");
        Files.move(next, live, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        awaitTrue(Duration.ofSeconds(5), () -> "v2".equals(served("site")));
        // "answering 503", not a bare 503, which a temporary directory's random name may contain.
        assertThat(logText()).contains("vhost site: replaced (").doesNotContain("changed in place", "answering 503");
    }

    @Test
    void aDamagedBodyAtStartUpIsNeverServedAndIsLoggedWhileIntactBodiesAre() throws Exception {
        Path damaged = webroot("damaged.webroot", "intact text");
        writeInPlace(damaged, indexBodyOffset(damaged), "X".getBytes(StandardCharsets.US_ASCII));
        openWith(Duration.ofMillis(500), Map.of("bad", damaged, "good", webroot("good.webroot", "good")));
        assertThat(indexBodyIntact("bad")).isFalse();
        assertThat(indexBodyIntact("good")).isTrue();
        awaitTrue(Duration.ofSeconds(5), () -> logText().contains("answering 503 for it"));
        assertThat(logText()).contains("vhost bad: " + damaged.toRealPath() + ": data of /index.html (identity) does not match its SHA-256");
        Thread.sleep(300);
        assertThat(indexBodyIntact("bad")).isFalse();
        assertThat(logText().lines().filter(l -> l.contains("answering 503 for it"))).hasSize(1);
    }

    @Test
    void aReplacementWithADamagedBodyIsRefusedAndTheOldVersionKeepsServing() throws Exception {
        Path vhosts = openWithSite(webroot("v1.webroot", "v1"), Duration.ofMillis(50));
        Path damaged = webroot("damaged.webroot", "v2");
        writeInPlace(damaged, indexBodyOffset(damaged), "X".getBytes(StandardCharsets.US_ASCII));
        link(vhosts, "site", damaged);
        awaitTrue(Duration.ofSeconds(5), () -> logText().contains("refused"));
        assertThat(logText()).contains("vhost site: refused: " + damaged.toRealPath() + ": data of /index.html (identity) does not match",
                "still serving " + temp.resolve("webroots/v1.webroot").toRealPath());
        assertThat(served("site")).isEqualTo("v1");
        assertThat(indexBodyIntact("site")).isTrue();
    }

    @Test
    void aSymlinkReplacedByADirectoryIsRemovedSayingWhy() throws Exception {
        Path vhosts = openWithSite(webroot("v1.webroot", "v1"), Duration.ofMillis(50));
        Files.delete(vhosts.resolve("site"));
        Files.createDirectory(vhosts.resolve("site"));
        awaitTrue(Duration.ofSeconds(5), () -> logText().contains("removed"));
        assertThat(logText()).contains("vhost site: removed (" + vhosts.resolve("site") + " is now a directory, and directories are ignored)");
    }

    @Test
    void ioFailuresAreDescribedByTheirReason() {
        assertThat(VhostRegistry.reason(new AccessDeniedException("/srv/x"))).isEqualTo("permission denied");
        assertThat(VhostRegistry.reason(new java.nio.file.NoSuchFileException("/srv/x"))).isEqualTo("no such file or directory");
        assertThat(VhostRegistry.reason(new java.nio.file.FileSystemException("/srv/x", null, "Input/output error")))
                .isEqualTo("Input/output error");
    }

    @Test
    void anUnreadableWebrootIsRefusedWithTheReasonAndServedOnceReadableWithoutATouch() throws Exception {
        Assumptions.assumeFalse("root".equals(System.getProperty("user.name")), "root reads any file");
        Path file = webroot("locked.webroot", "locked");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
        openWithSite(file, Duration.ofMillis(50));
        assertThat(logText()).contains("vhost site: refused: " + file.toRealPath() + ": permission denied");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        awaitTrue(Duration.ofSeconds(5), () -> "locked".equals(served("site")));
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
        // The last replacement goes live once its bodies are verified; superseded candidates are unmapped as they finish.
        awaitTrue(Duration.ofSeconds(10), () -> "a".equals(served("site")));
        awaitTrue(Duration.ofSeconds(10), () -> {
            registry.rescan();
            try {
                return openDescriptors() <= fdsBefore + 2 && mappingsOf("swap-") == mapsBefore;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    @Test
    void acquireReleaseAndTheBodyCheckDoNotAllocate() throws Exception {
        openWith(Duration.ofSeconds(30),
                Map.of("www.example.com", webroot("www.webroot", "www"), "__default__", webroot("default.webroot", "default")));
        byte[] known = "www.example.com".getBytes(StandardCharsets.US_ASCII);
        byte[] unknown = "other.example.net".getBytes(StandardCharsets.US_ASCII);
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().threadId();
        acquireAndRelease(200_000, known, unknown);
        // The least of three rounds: a one-off deoptimization (say, as the lease setup loads classes
        // on another thread) can materialize a few objects once; a per-request allocation shows in every round.
        long allocated = Long.MAX_VALUE;
        for (int round = 0; round < 3; round++) {
            long before = threads.getThreadAllocatedBytes(id);
            acquireAndRelease(100_000, known, unknown);
            allocated = Math.min(allocated, threads.getThreadAllocatedBytes(id) - before);
        }
        assertThat(allocated).as("bytes allocated by 100,000 acquire/release pairs").isLessThan(4096);
        assertThat(registry.holds("www.example.com")).isEqualTo(1);
    }

    /** {@code pairs} acquire/release pairs, alternating between two hosts that both resolve, each asking whether a body is intact. */
    private void acquireAndRelease(int pairs, byte[] host, byte[] otherHost) {
        for (int i = 0; i < pairs; i++) {
            byte[] h = i % 2 == 0 ? host : otherHost;
            Generation generation = registry.acquire(h, 0, h.length);
            if (!generation.bodyIntact(0)) {
                throw new AssertionError("the body of representation 0 is intact");
            }
            generation.release();
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
