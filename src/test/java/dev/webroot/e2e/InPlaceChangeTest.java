package dev.webroot.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.SocketTimeoutException;
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

    /** What keep-alive clients saw while the file under a vhost was written in place. */
    private static final class Tally {
        final AtomicInteger ok = new AtomicInteger();
        final AtomicInteger unavailable = new AtomicInteger();
        /** Connections closed or reset mid-response, and answers that were not HTTP (framing lost). */
        final AtomicInteger cut = new AtomicInteger();
        /** Requests left unanswered for {@link #STALL_MILLIS}. */
        final AtomicInteger stalled = new AtomicInteger();
        final List<String> wrong = new CopyOnWriteArrayList<>();

        @Override
        public String toString() {
            return ok + " answers 200, " + unavailable + " answers 503, " + cut + " responses cut, " + stalled
                    + " stalled, " + wrong.size() + " wrong bodies" + (wrong.isEmpty() ? "" : " (first: " + wrong.getFirst() + ")");
        }
    }

    /**
     * Keep-alive clients fetching every path of site.example as fast as they are answered, until
     * stopped: every 200 must carry exactly the bytes of its ETag; a connection whose answer is cut
     * or wrong is replaced (its framing can no longer be trusted).
     */
    private static List<Future<?>> fetchUntilStopped(ExecutorService pool, int clients, int port, Tally tally, AtomicBoolean stop) {
        List<String> paths = List.copyOf(FILES.keySet());
        List<Future<?>> running = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int first = c;
            running.add(pool.submit(() -> {
                Http.Client client = null;
                for (int i = first; !stop.get(); i++) {
                    String path = paths.get(i % paths.size());
                    try {
                        if (client == null) {
                            client = new Http.Client(port, STALL_MILLIS);
                        }
                        Http.Response response = client.get("site.example", path);
                        boolean keep = !"close".equalsIgnoreCase(response.header("Connection"));
                        if (response.status() == 200) {
                            byte[] expected = bodyByEtag.get(response.header("ETag"));
                            if (expected == null || !Arrays.equals(expected, response.body())) {
                                tally.wrong.add(path + ": 200 with ETag " + response.header("ETag") + " and "
                                        + response.body().length + " bytes that are not its own");
                                keep = false;
                            } else {
                                tally.ok.incrementAndGet();
                            }
                        } else if (response.status() == 503 && response.header("Retry-After") != null) {
                            tally.unavailable.incrementAndGet();
                        } else {
                            tally.wrong.add(path + ": " + response.statusLine());
                            keep = false;
                        }
                        if (!keep) {
                            client.close();
                            client = null;
                        }
                    } catch (IOException e) {
                        (e instanceof SocketTimeoutException ? tally.stalled : tally.cut).incrementAndGet();
                        if (client != null) {
                            client.close();
                            client = null;
                        }
                    }
                }
                if (client != null) {
                    client.close();
                }
                return null;
            }));
        }
        return running;
    }

    private static void run(String... command) throws Exception {
        Project.Result result = Project.run(List.of(command), 30);
        assertThat(result.exitCode()).as("%s: %s", String.join(" ", command), result.output()).isZero();
    }

    /** Waits for httpd's lease on the file, then lets the clients load the generation it protects for 200 ms. */
    private static void awaitLeaseThenLoad(Server server, Path file, String before) throws Exception {
        assertThat(awaitLease(file)).as("a lease before %s; log: %s", before, server.errorLog()).isTrue();
        Thread.sleep(200);
    }

    /** Truncates through truncate(2) on a blocking descriptor, which waits for a read lease to be broken (GNU truncate opens non-blocking and is refused). */
    private static void truncate(Path file, long size) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(size);
        }
    }

    /** Waits until site.example answers 200 with version {@code marker}'s index page. */
    private static void awaitServing(Server server, char marker) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            Http.Response response = Http.get(server.port, "site.example", "/index.html");
            if (response.status() == 200 && response.body()[0] == marker) {
                return;
            }
            assertThat(System.nanoTime()).as("version %s served within 10 s; log: %s", marker, server.errorLog()).isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    /** A request unanswered this long is counted as stalled, and its connection replaced. */
    private static final int STALL_MILLIS = 5000;
    /**
     * Rounds of the leased run: each takes about 3 s, as two of its three writes wait for the lease
     * httpd takes a second after a writer broke the last one (it serves nothing meanwhile). The
     * suite runs 3; {@code -DinPlace.leasedRounds=50} runs the full chaos (within the test's 300 s).
     */
    private static final int LEASED_ROUNDS = Integer.getInteger("inPlace.leasedRounds", 3);
    /** Rounds of the run without a lease, 30 ms apart. */
    private static final int UNLEASED_ROUNDS = 50;

    /**
     * Chaos on the file behind a live vhost, under keep-alive load: rounds of {@code cp} of the other
     * version over it, {@code dd conv=notrunc} of the other version into it (same size: the bytes
     * change under the mapping) and a truncation to half its size. First with httpd's read lease
     * (it runs as root here): every write to a served file is made once the lease shows in
     * /proc/locks and the clients have loaded that generation for 200 ms; no 200 may carry bytes
     * other than its ETag's, and no response may be cut or stalled. Then without one (the test
     * holds the file open for writing before httpd starts, so no lease can be taken) with 50 rounds
     * 30 ms apart and GNU {@code truncate}: wrong bodies and cut responses are reported, not
     * failed, as the README says responses running in the moment of a write can then read changed
     * bytes; but no request may be left unanswered, and SIGTERM must then end httpd with status 0.
     */
    @ParameterizedTest
    @FieldSource("MODELS")
    @Timeout(300)
    void chaosRoundsOfCpDdAndTruncateUnderKeepAliveLoad(String model) throws Exception {
        Path work = Project.freshDirectory("in-place-chaos/" + model);
        Path live = work.resolve("live.webroot");
        Files.copy(versionA, live);
        Path vhosts = Files.createDirectories(work.resolve("vhosts"));
        Files.createSymbolicLink(vhosts.resolve("site.example"), live);
        long half = Files.size(live) / 2;
        Tally leased = new Tally();
        try (Server server = Server.start(vhosts, model)) {
            assertThat(awaitLease(live)).as("httpd takes a read lease; log: %s", server.errorLog()).isTrue();
            AtomicBoolean stop = new AtomicBoolean();
            try (ExecutorService pool = Executors.newFixedThreadPool(3)) {
                List<Future<?>> clients = fetchUntilStopped(pool, 3, server.port, leased, stop);
                try {
                    for (int round = 0; round < LEASED_ROUNDS; round++) {
                        Path copied = round % 2 == 0 ? versionB : versionA;
                        Path written = round % 2 == 0 ? versionA : versionB;
                        // Round 0 finds version A served and leased; later rounds find the file truncated, served by nothing.
                        run("cp", copied.toString(), live.toString());
                        awaitLeaseThenLoad(server, live, "dd, round " + round);
                        run("dd", "if=" + written, "of=" + live, "conv=notrunc", "bs=64k", "status=none");
                        awaitLeaseThenLoad(server, live, "truncating, round " + round);
                        truncate(live, half);
                    }
                    run("cp", versionA.toString(), live.toString());
                    awaitServing(server, 'A');
                } finally {
                    stop.set(true);
                }
                for (Future<?> client : clients) {
                    client.get(30, TimeUnit.SECONDS);
                }
            }
            System.out.printf("%s, read lease, %d rounds: %s%n", model, LEASED_ROUNDS, leased);
            assertThat(leased.wrong).as("with the lease; log: %s", server.errorLog()).isEmpty();
            assertThat(leased.cut.get() + leased.stalled.get()).as("responses cut or stalled: the writers waited for them").isZero();
            assertThat(leased.ok.get()).isPositive();
            assertThat(leased.unavailable.get()).as("503 while the file was being written").isPositive();
            assertThat(server.process.isAlive()).as("httpd still running; log: %s", server.errorLog()).isTrue();
            assertThat(server.terminate(Duration.ofSeconds(15))).isZero();
        }
        Files.copy(versionA, live, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Tally unleased = new Tally();
        try (FileChannel heldForWriting = FileChannel.open(live, StandardOpenOption.WRITE);
                Server server = Server.start(vhosts, model)) {
            String noLease = "no read lease on " + live.toRealPath() + " (the file is open for writing)";
            server.awaitLog(line -> line.contains(noLease),
                    Duration.ofSeconds(10));
            AtomicBoolean stop = new AtomicBoolean();
            try (ExecutorService pool = Executors.newFixedThreadPool(3)) {
                List<Future<?>> clients = fetchUntilStopped(pool, 3, server.port, unleased, stop);
                try {
                    Thread.sleep(300);
                    for (int round = 0; round < UNLEASED_ROUNDS; round++) {
                        Path copied = round % 2 == 0 ? versionB : versionA;
                        Path written = round % 2 == 0 ? versionA : versionB;
                        run("cp", copied.toString(), live.toString());
                        Thread.sleep(30);
                        run("dd", "if=" + written, "of=" + live, "conv=notrunc", "bs=64k", "status=none");
                        Thread.sleep(30);
                        run("truncate", "-s", String.valueOf(half), live.toString());
                        Thread.sleep(30);
                    }
                    run("cp", versionA.toString(), live.toString());
                    awaitServing(server, 'A');
                } finally {
                    stop.set(true);
                }
                for (Future<?> client : clients) {
                    client.get(30, TimeUnit.SECONDS);
                }
            }
            long stopping = System.nanoTime();
            server.sigterm();
            boolean stopped = server.process.waitFor(11, TimeUnit.SECONDS);
            if (!stopped) {
                server.process.destroyForcibly();
            }
            System.out.printf("%s, no lease, %d rounds: %s; SIGTERM %s%n", model, UNLEASED_ROUNDS, unleased,
                    stopped ? "exited " + server.process.exitValue() + " after "
                            + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopping) + " ms" : "did not end it within 11 s");
            assertThat(unleased.ok.get()).isPositive();
            assertThat(unleased.stalled.get()).as("requests left unanswered: a response cut by the truncation must end its connection").isZero();
            assertThat(stopped).as("SIGTERM ended httpd; log: %s", server.errorLog()).isTrue();
            assertThat(server.process.exitValue()).as("exit status after SIGTERM; log: %s", server.errorLog()).isZero();
        }
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
