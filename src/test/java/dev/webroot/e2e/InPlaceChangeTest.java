package dev.webroot.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * {@code truncate} over the webroot a live vhost maps, under light load, with the real httpd: no 200
 * ever carries a body that differs from the bytes of its ETag, the vhost answers 503 with
 * Retry-After while the file is broken (another vhost keeps serving), and a valid file written back
 * in place is served again. The truncation is made once httpd's read lease on the file shows in
 * /proc/locks, so it waits for the retirement. Where no lease appears, only the answers received
 * are checked: responses running as the file shrinks may then fault, and keeping every loop alive
 * through that is the I/O models' part. Connection errors are counted and reported, not failed.
 */
@Timeout(180)
class InPlaceChangeTest {
    static final List<String> MODELS = Project.MODELS;
    /** Path and size; big.bin is above the sendfile threshold so that file-span paths are exercised. */
    private static final Map<String, Integer> FILES = Map.of("/index.html", 3000, "/style.css", 700, "/big.bin", 400_000);

    private static Path versionA;
    private static Path versionB;
    private static final Map<String, byte[]> bodyByEtag = new HashMap<>();

    @BeforeAll
    static void packVersions() throws Exception {
        Path work = Project.work("in-place");
        versionA = pack(work, 'A');
        versionB = pack(work, 'B');
    }

    private static Path pack(Path work, char marker) throws Exception {
        Path site = Files.createDirectories(work.resolve("site-" + marker));
        for (Map.Entry<String, Integer> file : FILES.entrySet()) {
            byte[] bytes = String.valueOf(marker).repeat(file.getValue()).getBytes();
            Files.write(site.resolve(file.getKey().substring(1)), bytes);
            bodyByEtag.put(etag(bytes), bytes);
        }
        Path webroot = work.resolve("site-" + marker + ".webroot");
        Project.mkroot(site, webroot, "--no-compress");
        return webroot;
    }

    /** The strong ETag FORMAT.md defines: the first 16 bytes of the SHA-256, unpadded base64url, quoted. */
    private static String etag(byte[] bytes) throws NoSuchAlgorithmException {
        byte[] hash = MessageDigest.getInstance("SHA-256").digest(bytes);
        return "\"" + Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(hash, 16)) + "\"";
    }

    /** After the truncation: a 503 soon, another vhost unaffected, and version B served once written in place. */
    private static void answers503ThenServesTheRewrittenFile(Server server, Path live, AtomicInteger unavailable) throws Exception {
        long truncated = System.nanoTime();
        while (unavailable.get() == 0) {
            assertThat(System.nanoTime() - truncated).as("a 503 within 5 s of the truncation; log: %s", server.errorLog())
                    .isLessThan(TimeUnit.SECONDS.toNanos(5));
            Thread.sleep(5);
        }
        assertThat(Http.get(server.port, "other.example", "/index.html").status()).as("another vhost").isEqualTo(200);
        Thread.sleep(300);
        Files.write(live, Files.readAllBytes(versionB));
        long rewritten = System.nanoTime();
        while (true) {
            Http.Response response = Http.get(server.port, "site.example", "/index.html");
            if (response.status() == 200 && response.body()[0] == 'B') {
                return;
            }
            assertThat(System.nanoTime() - rewritten).as("version B served within 10 s; log: %s", server.errorLog())
                    .isLessThan(TimeUnit.SECONDS.toNanos(10));
            Thread.sleep(10);
        }
    }

    /** Waits up to 10 s for httpd's read lease on the file to show in /proc/locks. */
    private static boolean awaitLease(Path file) throws IOException, InterruptedException {
        String inode = ":" + Files.getAttribute(file, "unix:ino") + " ";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (Files.readAllLines(Path.of("/proc/locks")).stream().anyMatch(line -> line.contains("LEASE") && line.contains(inode))) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void truncatingALiveWebrootNeverServesWrongBytesAnswers503AndRecovers(String model) throws Exception {
        Path work = Project.freshDirectory("in-place/" + model);
        Path live = work.resolve("live.webroot");
        Files.copy(versionA, live);
        Path vhosts = Files.createDirectories(work.resolve("vhosts"));
        Files.createSymbolicLink(vhosts.resolve("site.example"), live);
        Files.createSymbolicLink(vhosts.resolve("other.example"), versionB);
        try (Server server = Server.start(vhosts, model)) {
            List<String> wrong = new CopyOnWriteArrayList<>();
            List<String> connectionErrors = new CopyOnWriteArrayList<>();
            AtomicInteger ok = new AtomicInteger();
            AtomicInteger unavailable = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            boolean leased = false;
            List<String> paths = List.copyOf(FILES.keySet());
            try (ExecutorService clients = Executors.newFixedThreadPool(3)) {
                List<Future<?>> running = new ArrayList<>();
                for (int c = 0; c < 3; c++) {
                    int clientNumber = c;
                    running.add(clients.submit(() -> {
                        for (int i = clientNumber; !stop.get(); i++) {
                            String path = paths.get(i % paths.size());
                            try {
                                Http.Response response = Http.get(server.port, "site.example", path);
                                if (response.status() == 200) {
                                    byte[] expected = bodyByEtag.get(response.header("ETag"));
                                    if (expected == null || !Arrays.equals(expected, response.body())) {
                                        wrong.add(path + ": 200 with ETag " + response.header("ETag") + " and "
                                                + response.body().length + " bytes that are not its own");
                                    }
                                    ok.incrementAndGet();
                                } else if (response.status() == 503) {
                                    if (response.header("Retry-After") == null) {
                                        wrong.add(path + ": 503 without Retry-After");
                                    }
                                    unavailable.incrementAndGet();
                                } else {
                                    wrong.add(path + ": " + response.statusLine());
                                }
                            } catch (IOException e) {
                                connectionErrors.add(path + ": " + e);
                            }
                            Thread.sleep(2);
                        }
                        return null;
                    }));
                }
                try {
                    Thread.sleep(400);
                    leased = awaitLease(live);
                    try (FileChannel channel = FileChannel.open(live, StandardOpenOption.WRITE)) {
                        channel.truncate(0);
                    }
                    if (leased) {
                        answers503ThenServesTheRewrittenFile(server, live, unavailable);
                    } else {
                        // Without a lease, responses running as the file shrinks may fault and, until the I/O
                        // models survive that, take their thread with them: only the answers received are checked.
                        Thread.sleep(1000);
                    }
                    Thread.sleep(200);
                } finally {
                    stop.set(true);
                }
                for (Future<?> client : running) {
                    client.get(30, TimeUnit.SECONDS);
                }
            }
            System.out.printf("%s: %s, %d answers 200, %d answers 503, %d connection errors%s%n", model,
                    leased ? "leased" : "no lease", ok.get(), unavailable.get(),
                    connectionErrors.size(), connectionErrors.isEmpty() ? "" : " (first: " + connectionErrors.getFirst() + ")");
            assertThat(wrong).isEmpty();
            if (!leased) {
                return;
            }
            assertThat(ok.get()).isPositive();
            String livePath = live.toRealPath().toString();
            // With a read lease the truncation waited for the retirement; without one it was seen right after.
            assertThat(server.errorLog()).anyMatch(line -> line.contains("vhost site.example: " + livePath + " was changed in place")
                            || line.contains("vhost site.example: " + livePath + " is being opened for writing"))
                    .anyMatch(line -> line.contains("vhost site.example: serving again (" + livePath));
            assertThat(server.process.isAlive()).as("httpd still running; log: %s", server.errorLog()).isTrue();
            assertThat(server.terminate(Duration.ofSeconds(15))).isZero();
        }
    }
}
