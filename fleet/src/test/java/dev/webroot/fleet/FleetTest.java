package dev.webroot.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.format.Digests;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The fleet end to end with the real parts: a single-member etcd (Debian's etcd-server) on loopback,
 * three httpd processes from httpd/target/httpd.jar, an agent process beside each, and the publish
 * CLI as a process. The tests run in order on one fleet, each leaving it serving one version.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetTest {
    private static final String SITE = "www.test";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Pattern LISTENING = Pattern.compile("httpd: listening on http://127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern ADMIN = Pattern.compile("httpd: admin endpoints on http://127\\.0\\.0\\.1:(\\d+)");
    private static final int NODES = 3;

    private Path work;
    private String etcdUrl;
    private int etcdPeerPort;
    private Proc etcd;
    private final List<Proc> httpds = new ArrayList<>();
    private final Proc[] agents = new Proc[NODES];
    /** Each node's httpd port and admin port; index NODES is the extra node of the full-disk test. */
    private final int[] ports = new int[NODES + 1];
    private final int[] adminPorts = new int[NODES + 1];
    private final Map<Integer, Path> webroots = new TreeMap<>();

    @BeforeAll
    void startFleet() throws Exception {
        assertThat(Path.of("/usr/bin/etcd")).as("etcd-server is installed (scripts/install-test-deps)").isExecutable();
        work = Proc.fresh("fleet");
        etcdUrl = "http://127.0.0.1:" + Proc.freePort();
        etcdPeerPort = Proc.freePort();
        etcd = startEtcd();
        for (int v = 1; v <= 5; v++) {
            webroots.put(v, pack(v));
        }
        for (int n = 0; n < NODES; n++) {
            httpds.add(startHttpd(n));
            agents[n] = startAgent(n);
        }
    }

    @AfterAll
    void stopFleet() throws Exception {
        for (Proc agent : agents) {
            if (agent != null) {
                agent.close();
            }
        }
        for (Proc httpd : httpds) {
            httpd.close();
        }
        if (etcd != null) {
            etcd.close();
        }
    }

    @Test
    @Order(1)
    void publishSwitchesEveryNodeTogetherAndNoResponseMixesVersions() throws Exception {
        Proc.Result first = publish(1);
        assertThat(first.exit()).as(first.output()).isZero();
        assertThat(first.output()).contains("staged on 3 of 3 nodes", "live on 3 nodes");
        for (int n = 0; n < NODES; n++) {
            assertThat(version(get(ports[n]))).as("node %d serves v1 once publish returns", n).isEqualTo(1);
        }

        List<Poller> pollers = new ArrayList<>();
        for (int n = 0; n < NODES; n++) {
            pollers.add(new Poller(ports[n]));
        }
        Thread.sleep(300);
        Proc.Result second = publish(2);
        long returned = System.nanoTime();
        Thread.sleep(1000);
        pollers.forEach(Poller::stop);
        assertThat(second.exit()).as(second.output()).isZero();
        assertThat(second.output()).contains("staged on 3 of 3 nodes", "live on 3 nodes");

        long firstV2Min = Long.MAX_VALUE;
        long firstV2Max = Long.MIN_VALUE;
        for (Poller poller : pollers) {
            List<long[]> samples = poller.samples();
            assertThat(samples).as("light load reached every node").hasSizeGreaterThan(20);
            boolean sawV2 = false;
            for (long[] sample : samples) {
                assertThat(sample[1]).as("every response is one whole version (1 or 2)").isIn(1L, 2L);
                if (sample[1] == 2 && !sawV2) {
                    sawV2 = true;
                    firstV2Min = Math.min(firstV2Min, sample[0]);
                    firstV2Max = Math.max(firstV2Max, sample[0]);
                }
                if (sawV2) {
                    assertThat(sample[1]).as("once a node serves v2 it never goes back to v1").isEqualTo(2L);
                }
                if (sample[0] > returned) {
                    assertThat(sample[1]).as("after the commit no node serves v1").isEqualTo(2L);
                }
            }
            assertThat(sawV2).isTrue();
        }
        for (int n = 0; n < NODES; n++) {
            String v2 = work.resolve("node" + n + "/store").toRealPath().resolve(Digests.sha256Hex(webroots.get(2)) + Store.SUFFIX).toString();
            assertThat(httpds.get(n).log()).as("httpd %d verified v2 ahead and switched to it with nothing left to verify", n)
                    .contains("httpd: vhost " + SITE + ": replaced (" + v2 + ", 3 entries, prepared and verified ahead)");
        }
        System.out.printf("fleet: v2 first served on all %d nodes within %.1f ms of each other%n", NODES,
                (firstV2Max - firstV2Min) / 1e6);
        assertThat(Duration.ofNanos(firstV2Max - firstV2Min)).isLessThan(Duration.ofSeconds(5));

        // Every node's staged report was written before the commit (lower revisions): nothing links early.
        Etcd client = Etcd.parse(etcdUrl);
        long committed = client.get(Keys.live(SITE)).first().modRevision();
        List<Etcd.KeyValue> staged = client.prefix(Keys.staged(SITE)).kvs();
        assertThat(staged).hasSize(NODES);
        for (Etcd.KeyValue kv : staged) {
            assertThat(kv.value()).isEqualTo(Digests.sha256Hex(webroots.get(2)));
            assertThat(kv.modRevision()).isLessThan(committed);
        }
    }

    @Test
    @Order(2)
    void aNodeWhoseAgentDiesMidPublishIsLeftBehindThenCatchesUp() throws Exception {
        Proc publish = Proc.start("publish-v3", Proc.fleetCommand("--etcd", etcdUrl, "publish",
                webroots.get(3).toString(), SITE, "--timeout", "30s"));
        agents[2].kill();
        assertThat(publish.exit(WAIT)).as(String.join("\n", publish.log())).isZero();
        assertThat(String.join("\n", publish.log())).contains("committed");
        awaitVersion(0, 3);
        awaitVersion(1, 3);
        assertThat(version(get(ports[2]))).as("the node without an agent keeps serving its last version").isEqualTo(2);

        Poller returning = new Poller(ports[2]);
        agents[2] = startAgent(2);
        awaitVersion(2, 3);
        returning.stop();
        boolean left = false;
        for (long[] sample : returning.samples()) {
            left |= sample[1] != 2;
            if (left) {
                assertThat(sample[1]).as("once the returning agent changed the site, v2 (503 at most, then v3)").isIn(0L, 3L);
            }
        }
        Proc.Result status = Proc.run(Proc.fleetCommand("--etcd", etcdUrl, "status", SITE), WAIT);
        assertThat(status.exit()).isZero();
        String v3 = Digests.sha256Hex(webroots.get(3)).substring(0, 12);
        assertThat(status.output()).containsPattern("node2 +http://127\\.0\\.0\\.1:\\d+ +" + v3 + " +" + v3);
    }

    @Test
    @Order(3)
    void aSecondPublisherIsRefusedWhileOneIsInProgress() throws Exception {
        try (ServerSocket stall = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> held = new CopyOnWriteArrayList<>();
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (true) {
                        held.add(stall.accept());
                    }
                } catch (IOException ignored) {
                    // Closed by the test.
                }
            });
            Proc slow = Proc.start("publish-slow", Proc.fleetCommand("--etcd", etcdUrl, "publish", webroots.get(5).toString(),
                    SITE, "--source", "http://127.0.0.1:" + stall.getLocalPort() + "/v4", "--timeout", "4s"));
            Etcd client = Etcd.parse(etcdUrl);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (client.get(Keys.desired(SITE)).first() == null) {
                assertThat(System.nanoTime()).as("the first publisher records its desired version").isLessThan(deadline);
                Thread.sleep(20);
            }
            Proc.Result second = publish(4);
            assertThat(second.exit()).isEqualTo(1);
            assertThat(second.output()).contains("another publish is in progress");

            assertThat(slow.exit(WAIT)).as("no node could stage the stalled download").isEqualTo(1);
            assertThat(String.join("\n", slow.log())).contains("no node staged", "nothing changed");
            for (Socket socket : held) {
                socket.close();
            }
        }
        assertThat(Etcd.parse(etcdUrl).get(Keys.desired(SITE)).first()).as("the aborted publish clears its claim").isNull();
        for (int n = 0; n < NODES; n++) {
            assertThat(version(get(ports[n]))).isEqualTo(3);
        }
    }

    @Test
    @Order(4)
    void withoutEtcdNodesKeepServingAndAgentsReconnect() throws Exception {
        etcd.close();
        for (Proc agent : agents) {
            agent.await(line -> line.contains("etcd unreachable"), WAIT);
        }
        Thread.sleep(3000);
        for (int n = 0; n < NODES; n++) {
            assertThat(version(get(ports[n]))).as("node %d serves the last live version without etcd", n).isEqualTo(3);
            assertThat(agents[n].count(line -> line.contains("etcd unreachable"))).as("logged once").isEqualTo(1);
        }
        etcd = startEtcd();
        for (Proc agent : agents) {
            agent.await(line -> line.contains("etcd reachable again"), WAIT);
        }
        Proc.Result fourth = publish(4);
        assertThat(fourth.exit()).as(fourth.output()).isZero();
        assertThat(fourth.output()).contains("staged on 3 of 3 nodes");
        for (int n = 0; n < NODES; n++) {
            awaitVersion(n, 4);
        }
    }

    @Test
    @Order(5)
    void rollbackMakesThePreviousVersionLive() throws Exception {
        Proc.Result rollback = Proc.run(Proc.fleetCommand("--etcd", etcdUrl, "rollback", SITE), WAIT);
        assertThat(rollback.exit()).as(rollback.output()).isZero();
        assertThat(rollback.output()).contains("rolling back", "live on 3 nodes");
        for (int n = 0; n < NODES; n++) {
            assertThat(version(get(ports[n]))).isEqualTo(3);
        }
        // K=3: the store keeps the newest three versions of the history (3, 2, 1), so v4 is gone.
        Path store = work.resolve("node0/store");
        assertThat(Files.exists(store.resolve(Digests.sha256Hex(webroots.get(3)) + ".webroot"))).isTrue();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (Files.exists(store.resolve(Digests.sha256Hex(webroots.get(4)) + ".webroot"))) {
            assertThat(System.nanoTime()).as("the rolled-back version leaves the store").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    /** A short bounded measurement (the machine is shared): the spread of each of a few publishes. */
    @Test
    @Order(6)
    void repeatedPublishesSwitchEveryNodeTogether() throws Exception {
        List<Double> spreads = new ArrayList<>();
        int current = 3;
        for (int round = 0; round < 8; round++) {
            int next = current == 3 ? 4 : 3;
            List<Poller> pollers = new ArrayList<>();
            for (int n = 0; n < NODES; n++) {
                pollers.add(new Poller(ports[n]));
            }
            Proc.Result result = publish(next);
            for (int n = 0; n < NODES; n++) {
                awaitVersion(n, next);
            }
            pollers.forEach(Poller::stop);
            assertThat(result.exit()).as(result.output()).isZero();
            long first = Long.MAX_VALUE;
            long last = Long.MIN_VALUE;
            for (Poller poller : pollers) {
                long switched = poller.samples().stream().filter(sample -> sample[1] == next).mapToLong(sample -> sample[0])
                        .min().orElseThrow();
                for (long[] sample : poller.samples()) {
                    assertThat(sample[1]).as("every response is one whole version").isIn((long) current, (long) next);
                }
                first = Math.min(first, switched);
                last = Math.max(last, switched);
            }
            spreads.add((last - first) / 1e6);
            current = next;
        }
        System.out.println("fleet: first-to-last node spread per publish (ms): " + spreads);
        assertThat(spreads).allSatisfy(spread -> assertThat(spread).isLessThan(5000.0));
    }

    /**
     * A node whose httpd and agent were both down during a publish comes back as a host boots: the
     * agent's catch-up run first (httpd's ExecStartPre) takes the site out of service, stages the
     * live version and links it, so httpd serves the live version from its first response; then the
     * agent proper joins and reports it.
     */
    @Test
    @Order(7)
    void aNodeThatWasDownDuringAPublishServesTheLiveVersionWhenItReturns() throws Exception {
        agents[2].close();
        httpds.get(2).close();
        Proc.Result result = publish(5);
        assertThat(result.exit()).as(result.output()).isZero();
        assertThat(result.output()).contains("staged on 2 of 2 nodes");
        // A publish that fails everywhere (its only source refuses connections) leaves every staged key
        // saying so: only the serving keys still tell the returning node which peers hold v5.
        Proc.Result failed = Proc.run(Proc.fleetCommand("--etcd", etcdUrl, "publish", pack(7).toString(), SITE,
                "--source", "http://127.0.0.1:" + Proc.freePort() + "/v7", "--timeout", "20s"), WAIT);
        assertThat(failed.exit()).as(failed.output()).isEqualTo(1);
        assertThat(failed.output()).contains("no node staged");
        Path link = work.resolve("node2/vhosts/" + SITE);
        String v5 = Digests.sha256Hex(webroots.get(5)).substring(0, 12);
        assertThat(Files.readSymbolicLink(link).getFileName().toString()).as("the stopped node's link is left behind")
                .doesNotStartWith(v5);

        Proc.Result catchUp = Proc.run(Proc.fleetCommand("--etcd", etcdUrl, "agent", "--node", "node2",
                "--vhosts", work.resolve("node2/vhosts").toString(), "--store", work.resolve("node2/store").toString(),
                "--catch-up", "30s"), WAIT);
        assertThat(catchUp.exit()).as(catchUp.output()).isZero();
        assertThat(catchUp.output()).contains(SITE + ": out of service (503) until " + v5, SITE + ": live " + v5, "caught up");
        assertThat(Files.readSymbolicLink(link).getFileName().toString()).startsWith(v5);
        assertThat(Etcd.parse(etcdUrl).get(Keys.node("node2")).first()).as("a catch-up run registers no node").isNull();

        httpds.set(2, startHttpd(2));
        assertThat(version(get(ports[2]))).as("the first response of the returning node").isEqualTo(5);
        agents[2] = startAgent(2);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!Proc.run(Proc.fleetCommand("--etcd", etcdUrl, "status", SITE), WAIT).output()
                .matches("(?s).*node2 +http://\\S+ +- +" + v5 + ".*")) {
            assertThat(System.nanoTime()).as("the returning agent reports serving v5").isLessThan(deadline);
            Thread.sleep(100);
        }
        for (int n = 0; n < NODES; n++) {
            assertThat(version(get(ports[n]))).isEqualTo(5);
        }
    }

    /**
     * A fourth node whose store is an 8 MB tmpfs: a 12 MB publish fills it. It reports the failure at
     * once, so the others commit without waiting for the timeout; it answers 503 rather than the old
     * version, links nothing half-written, and serves the next version that fits.
     */
    @Test
    @Order(8)
    void aNodeWhoseDiskIsFullReportsItAndAnswers503WhileTheOthersCommit() throws Exception {
        Path store = Files.createDirectories(work.resolve("node3/store"));
        Proc.Result mount = Proc.run(List.of("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", store.toString()), WAIT);
        assertThat(mount.exit()).as("mounting an 8 MB tmpfs for the full node's store (the test needs root): %s",
                mount.output()).isZero();
        Proc httpd = null;
        Proc agent = null;
        try {
            httpd = startHttpd(3);
            int port = ports[3];
            agent = startAgent(3);
            awaitVersion(port, agent, 5);

            Path big = pack(6, 12 << 20);
            long started = System.nanoTime();
            Proc.Result result = Proc.run(Proc.fleetCommand("--etcd", etcdUrl, "publish", big.toString(), SITE,
                    "--timeout", "30s"), WAIT);
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertThat(result.exit()).as(result.output()).isZero();
            assertThat(result.output()).contains("node node3 did not stage it: failed " + Digests.sha256Hex(big),
                    "No space left on device", "staged on 3 of 4 nodes");
            assertThat(took).as("the full node answered: nobody waited for the 30 s timeout").isLessThan(Duration.ofSeconds(25));

            Proc.Result status = Proc.run(Proc.fleetCommand("--etcd", etcdUrl, "status", SITE), WAIT);
            assertThat(status.output()).containsPattern("node3 +http://\\S+ +failed " + Digests.sha256Hex(big)
                    + ": .*No space left on device.* +" + Agent.OUT_OF_SERVICE);
            for (int n = 0; n < NODES; n++) {
                awaitVersion(n, 6);
            }
            awaitStatus(port, "503");
            assertThat(Files.readSymbolicLink(work.resolve("node3/vhosts/" + SITE))).isEqualTo(store.toRealPath().resolve(Store.OUT_OF_SERVICE));
            assertThat(work.resolve("node3/vhosts/" + Agent.NEXT_PREFIX + SITE)).as("nothing prepared").doesNotExist();
            assertThat(store.resolve(Digests.sha256Hex(big) + Store.SUFFIX)).doesNotExist();
            // The agent retries every 2 s; between attempts no partial download is left to hold the space.
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (true) {
                try (var files = Files.list(store)) {
                    if (files.noneMatch(file -> file.getFileName().toString().startsWith(".partial-"))) {
                        break;
                    }
                }
                assertThat(System.nanoTime()).as("partial downloads are deleted").isLessThan(deadline);
                Thread.sleep(20);
            }

            Proc.Result smaller = publish(4);
            assertThat(smaller.exit()).as(smaller.output()).isZero();
            assertThat(smaller.output()).contains("staged on 4 of 4 nodes");
            awaitVersion(port, agent, 4);
        } finally {
            if (agent != null) {
                agent.close();
            }
            if (httpd != null) {
                httpd.close();
            }
            Proc.Result unmount = Proc.run(List.of("umount", store.toString()), WAIT);
            assertThat(unmount.exit()).as(unmount.output()).isZero();
        }
    }

    // ---- the fleet's parts

    /** Starts node N's httpd with an admin listener (its agent asks it whether a prepared file is verified). */
    private Proc startHttpd(int n) throws Exception {
        Path vhosts = Files.createDirectories(work.resolve("node" + n + "/vhosts"));
        Proc httpd = Proc.start("httpd" + n, List.of(Proc.java().toString(), "-XX:+UseSerialGC", "-jar",
                Proc.root().resolve("httpd/target/httpd.jar").toString(), vhosts.toString(),
                "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--vhosts-rescan", "200ms"));
        ports[n] = httpd.group(LISTENING, 1, WAIT);
        adminPorts[n] = httpd.group(ADMIN, 1, WAIT);
        return httpd;
    }

    private Proc startEtcd() throws Exception {
        String peer = "http://127.0.0.1:" + etcdPeerPort;
        Proc proc = Proc.start("etcd", List.of("/usr/bin/etcd", "--name", "default",
                "--data-dir", work.resolve("etcd").toString(),
                "--listen-client-urls", etcdUrl, "--advertise-client-urls", etcdUrl,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", "default=" + peer));
        proc.await(line -> line.contains("ready to serve client requests"), WAIT);
        return proc;
    }

    private Proc startAgent(int n) throws Exception {
        Proc agent = Proc.start("agent" + n, Proc.fleetCommand("--etcd", etcdUrl, "agent", "--node", "node" + n,
                "--vhosts", work.resolve("node" + n + "/vhosts").toString(),
                "--store", work.resolve("node" + n + "/store").toString(), "--lease-ttl", "2s",
                "--httpd-admin", "http://127.0.0.1:" + adminPorts[n]));
        agent.await(line -> line.contains("admin on"), WAIT);
        return agent;
    }

    private Proc.Result publish(int v) throws Exception {
        return Proc.run(Proc.fleetCommand("--etcd", etcdUrl, "publish", webroots.get(v).toString(), SITE), WAIT);
    }

    private Path pack(int v) throws Exception {
        return pack(v, 0);
    }

    /** Packs version V, with a file of RANDOM_BYTES random bytes beside its pages when not 0. */
    private Path pack(int v, int randomBytes) throws Exception {
        Path tree = Files.createDirectories(work.resolve("site-v" + v));
        Files.writeString(tree.resolve("index.html"), "<p>version " + v + "</p>\n");
        Files.writeString(tree.resolve("data.txt"), content(v));
        if (randomBytes > 0) {
            byte[] random = new byte[randomBytes];
            new java.util.Random(v).nextBytes(random);
            Files.write(tree.resolve("random.bin"), random);
        }
        Path webroot = work.resolve("www-v" + v + ".webroot");
        Proc.Result result = Proc.run(List.of(Proc.java().toString(), "-jar", Proc.root().resolve("mkroot/target/mkroot.jar").toString(),
                tree.toString(), webroot.toString(), "--no-compress"), WAIT);
        assertThat(result.exit()).as(result.output()).isZero();
        return webroot;
    }

    private static String content(int v) {
        return ("version " + v + "\n").repeat(2000);
    }

    /** The version a /data.txt body is, 0 for a non-200 answer, -1 for any other body. */
    private static int version(String body) {
        for (int v = 1; v <= 7; v++) {
            if (body.equals(content(v))) {
                return v;
            }
        }
        return body.startsWith("status ") ? 0 : -1;
    }

    private static String get(int port) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /data.txt HTTP/1.1\r\nHost: " + SITE + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            int head = response.indexOf("\r\n\r\n");
            String status = response.length() >= 12 ? response.substring(9, 12) : "???";
            return status.equals("200") && head > 0 ? response.substring(head + 4) : "status " + status;
        }
    }

    private void awaitVersion(int node, int v) throws Exception {
        awaitVersion(ports[node], agents[node], v);
    }

    private static void awaitVersion(int port, Proc agent, int v) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (version(get(port)) != v) {
            assertThat(System.nanoTime()).as("port %d serves v%d; agent log %s", port, v, agent.log()).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private static void awaitStatus(int port, String status) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!get(port).equals("status " + status)) {
            assertThat(System.nanoTime()).as("port %d answers %s", port, status).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /** Light load on one node: one request every few milliseconds, each recorded as (nanoTime, version). */
    private static final class Poller {
        private final List<long[]> samples = new CopyOnWriteArrayList<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Poller(int port) {
            thread = Thread.ofPlatform().daemon().start(() -> {
                while (running.get()) {
                    try {
                        String body = get(port);
                        samples.add(new long[] {System.nanoTime(), version(body)});
                        Thread.sleep(3);
                    } catch (IOException e) {
                        samples.add(new long[] {System.nanoTime(), -2});
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        void stop() {
            running.set(false);
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        List<long[]> samples() {
            return samples;
        }
    }

}
