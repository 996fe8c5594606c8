package dev.webroot.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Deploying by symlink flip while clients keep requesting: no failed response, every body entirely
 * from one version (version A's files hold only 'A', B's only 'B'), one ETag per path and version,
 * and the new version served within a second of the flip. A corrupt file flipped in is refused with
 * one log line while the old version keeps serving.
 */
@Timeout(120)
class HotSwapTest {
    static final List<String> MODELS = Project.MODELS;
    /** Path and size; big.bin is above the sendfile threshold so that the file-span paths are swapped too. */
    private static final Map<String, Integer> FILES = Map.of("/index.html", 3000, "/style.css", 700, "/big.bin", 400_000);

    private static Path versionA;
    private static Path versionB;
    private static Path corrupt;

    @BeforeAll
    static void packVersions() throws Exception {
        Path work = Project.work("hot-swap");
        versionA = pack(work, 'A');
        versionB = pack(work, 'B');
        // A copy of version A with bytes flipped throughout: right magic, wrong checksums.
        corrupt = work.resolve("corrupt.webroot");
        byte[] garbage = Files.readAllBytes(versionA);
        for (int i = 64; i < garbage.length; i += 97) {
            garbage[i] ^= 0x5a;
        }
        Files.write(corrupt, garbage);
    }

    private static Path pack(Path work, char marker) throws Exception {
        Path site = Files.createDirectories(work.resolve("site-" + marker));
        for (Map.Entry<String, Integer> file : FILES.entrySet()) {
            Files.write(site.resolve(file.getKey().substring(1)), String.valueOf(marker).repeat(file.getValue()).getBytes());
        }
        Path webroot = work.resolve("site-" + marker + ".webroot");
        Project.mkroot(site, webroot, "--no-compress");
        return webroot;
    }

    /** {@code ln -s target .tmp && mv -T .tmp name}. */
    static void flip(Path vhosts, String name, Path target) throws IOException {
        Path tmp = vhosts.resolve(".tmp-" + name);
        Files.deleteIfExists(tmp);
        Files.createSymbolicLink(tmp, target);
        Files.move(tmp, vhosts.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }

    /** A fresh vhosts directory for one test and model, whose site.example is version A. */
    private static Path vhostsServingVersionA(String test, String model) throws IOException {
        Path vhosts = Project.freshDirectory("hot-swap/vhosts-" + test + "-" + model);
        flip(vhosts, "site.example", versionA);
        return vhosts;
    }

    private static char servedVersion(int port) throws IOException {
        return (char) Http.get(port, "site.example", "/index.html").body()[0];
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void flipsUnderLoadWithoutFailuresOrMixedResponses(String model) throws Exception {
        Path vhosts = vhostsServingVersionA("load", model);
        try (Server server = Server.start(vhosts, model)) {
            List<String> failures = new CopyOnWriteArrayList<>();
            Map<String, String> etags = new ConcurrentHashMap<>();
            Map<Character, AtomicLong> served = Map.of('A', new AtomicLong(), 'B', new AtomicLong());
            long loadEnds = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2000);
            List<String> paths = List.copyOf(FILES.keySet());
            try (ExecutorService clients = Executors.newFixedThreadPool(4)) {
                List<Future<?>> running = new java.util.ArrayList<>();
                for (int c = 0; c < 4; c++) {
                    int clientNumber = c;
                    running.add(clients.submit(() -> {
                        Http.Client client = null;
                        for (int i = clientNumber; System.nanoTime() < loadEnds; i++) {
                            String path = paths.get(i % paths.size());
                            try {
                                if (client == null) {
                                    client = new Http.Client(server.port);
                                }
                                Http.Response response = client.get("site.example", path);
                                char version = (char) response.body()[0];
                                if (response.status() != 200 || response.body().length != FILES.get(path)) {
                                    failures.add(path + ": " + response.statusLine() + ", " + response.body().length + " bytes");
                                } else if (!new String(response.body()).chars().allMatch(ch -> ch == version)) {
                                    failures.add(path + ": body mixes versions");
                                } else {
                                    String etag = etags.putIfAbsent(path + version, response.header("ETag"));
                                    if (etag != null && !etag.equals(response.header("ETag"))) {
                                        failures.add(path + ": ETag " + response.header("ETag") + " with body of " + version
                                                + ", which has ETag " + etag);
                                    }
                                    served.get(version).incrementAndGet();
                                }
                                if ("close".equals(response.header("Connection"))) {
                                    client.close();
                                    client = null;
                                }
                            } catch (IOException | RuntimeException e) {
                                failures.add(path + ": " + e);
                                client = null;
                            }
                        }
                        if (client != null) {
                            client.close();
                        }
                        return null;
                    }));
                }
                for (int flipNumber = 1; System.nanoTime() < loadEnds - TimeUnit.MILLISECONDS.toNanos(250); flipNumber++) {
                    Thread.sleep(250);
                    flip(vhosts, "site.example", flipNumber % 2 == 1 ? versionB : versionA);
                }
                for (Future<?> client : running) {
                    client.get(30, TimeUnit.SECONDS);
                }
            }
            assertThat(failures).isEmpty();
            assertThat(served.get('A').get()).isPositive();
            assertThat(served.get('B').get()).isPositive();
            assertThat(etags.get("/index.htmlA")).isNotEqualTo(etags.get("/index.htmlB"));

            char before = servedVersion(server.port);
            char after = before == 'A' ? 'B' : 'A';
            long flipped = System.nanoTime();
            flip(vhosts, "site.example", after == 'A' ? versionA : versionB);
            while (servedVersion(server.port) != after) {
                assertThat(System.nanoTime() - flipped).as("new version served within 1 s")
                        .isLessThan(TimeUnit.SECONDS.toNanos(1));
                Thread.sleep(5);
            }
            assertThat(server.errorLog()).noneMatch(line -> line.contains("refused") || line.contains("removed"));
            assertThat(server.terminate(Duration.ofSeconds(15))).isZero();
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void aCorruptWebrootIsRefusedOnceAndTheOldVersionKeepsServing(String model) throws Exception {
        Path vhosts = vhostsServingVersionA("corrupt", model);
        try (Server server = Server.start(vhosts, model)) {
            assertThat(servedVersion(server.port)).isEqualTo('A');
            flip(vhosts, "site.example", corrupt);
            String refusal = server.awaitLog(line -> line.contains("refused"), Duration.ofSeconds(2));
            assertThat(refusal).startsWith("httpd: vhost site.example: refused: ")
                    .contains("corrupt.webroot", "not a valid webroot", "still serving", "site-A.webroot");
            // Several rescans pass while the corrupt file stays in place: still version A, still one log line.
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(800);
            while (System.nanoTime() < until) {
                Http.Response response = Http.get(server.port, "site.example", "/big.bin");
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.body()[response.body().length - 1]).isEqualTo((byte) 'A');
                Thread.sleep(20);
            }
            assertThat(server.errorLog()).filteredOn(line -> line.contains("refused")).hasSize(1);
            flip(vhosts, "site.example", versionB);
            long flipped = System.nanoTime();
            while (servedVersion(server.port) != 'B') {
                assertThat(System.nanoTime() - flipped).isLessThan(TimeUnit.SECONDS.toNanos(1));
                Thread.sleep(5);
            }
        }
    }
}
