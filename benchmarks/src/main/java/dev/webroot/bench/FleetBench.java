package dev.webroot.bench;

import dev.webroot.format.Digests;
import dev.webroot.mkroot.Io;
import dev.webroot.mkroot.Mkroot;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fleet's timings on this machine (run by scripts/bench-fleet, never by the test suite): a
 * single-member etcd, three httpd processes (with their admin listener) and an agent beside each
 * (with {@code --httpd-admin}), all on loopback, driven by the publish CLI as a user runs it.
 *
 * <p>Spread: PUBLISHES publishes of fresh small versions, one after the other, while a client keeps
 * one keep-alive connection per node and asks it for the version every POLL; a node's switch time is
 * when its first response from the new version arrived, and the spread of a publish is the last
 * node's switch time minus the first's. The bench also watches the live key itself, to show how long
 * after the commit event the nodes switch. Then, per size in SIZES, one publish of a webroot of that
 * many bytes of random data (files of 4 MB): the CLI's "committed after" (desired key written to
 * commit), the whole command, and when every node serves it.
 *
 * <p>{@code FleetBench PROJECT_ROOT WORK PUBLISHES SIZE...} (sizes such as 100M or 1G; none skips
 * that part). Every wait is bounded; every process is stopped at the end.
 */
public final class FleetBench {
    private static final String SITE = "www.bench";
    private static final int NODES = 3;
    private static final Duration POLL = Duration.ofMillis(1);
    private static final Duration START_WAIT = Duration.ofSeconds(60);
    private static final Duration SWITCH_WAIT = Duration.ofSeconds(30);
    private static final Pattern LISTENING = Pattern.compile("httpd: listening on http://127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern ADMIN = Pattern.compile("httpd: admin endpoints on (http://127\\.0\\.0\\.1:\\d+)");
    private static final Pattern COMMITTED = Pattern.compile("committed \\w+ after (\\d+) ms");
    private static final Pattern CONTENT_LENGTH = Pattern.compile("(?i)content-length: *(\\d+)");
    private static final int LARGE_FILE_BYTES = 4 << 20;

    private final Path root;
    private final Path work;
    private final Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
    private final List<Proc> processes = new CopyOnWriteArrayList<>();
    private final int[] ports = new int[NODES];
    private final Poller[] pollers = new Poller[NODES];
    private final Proc[] httpds = new Proc[NODES];
    private final Proc[] agents = new Proc[NODES];
    /** Version to when (wall-clock microseconds) this process saw its commit on the etcd watch. */
    private final Map<Integer, Long> commitSeen = new ConcurrentHashMap<>();
    /** SHA-256 of each packed webroot to its version. */
    private final Map<String, Integer> versions = new ConcurrentHashMap<>();
    private String etcdUrl;

    private FleetBench(Path root, Path work) {
        this.root = root;
        this.work = work;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: FleetBench PROJECT_ROOT WORK PUBLISHES [SIZE...]");
            System.exit(2);
        }
        FleetBench bench = new FleetBench(Path.of(args[0]).toAbsolutePath(), Path.of(args[1]).toAbsolutePath());
        Runtime.getRuntime().addShutdownHook(new Thread(bench::stopAll));
        try {
            bench.run(Integer.parseInt(args[2]), Arrays.asList(args).subList(3, args.length));
        } finally {
            bench.stopAll();
        }
        System.exit(0);
    }

    private void run(int publishes, List<String> sizes) throws Exception {
        System.out.println("load average at start: " + loadAverage());
        startFleet();
        // The first publish warms every JVM; it is reported apart from the others.
        int version = 1;
        publishSmall(version);
        System.out.printf("first publish (cold JVMs): spread %.1f ms%n", spread(version));
        List<Double> spreads = new ArrayList<>();
        List<Double> afterCommit = new ArrayList<>();
        for (int i = 0; i < publishes; i++) {
            version++;
            publishSmall(version);
            spreads.add(spread(version));
            Long seen = commitSeen.get(version);
            if (seen != null) {
                List<Double> nodes = new ArrayList<>();
                for (Poller poller : pollers) {
                    nodes.add((poller.switchedAt(version) - seen) / 1e3);
                }
                afterCommit.addAll(nodes);
                System.out.printf("v%d: commit seen at %d us; nodes switched %s ms after it%n", version, seen, format(nodes));
            }
        }
        if (!spreads.isEmpty()) {
            System.out.println("spread per publish, ms: " + format(spreads));
            System.out.println(summary("spread (first to last node serving the new version)", spreads));
            System.out.println(summary("commit event seen by the bench to a node serving it", afterCommit));
        }
        for (String size : sizes) {
            version++;
            publishLarge(version, bytes(size), size);
        }
        System.out.println("load average at end: " + loadAverage());
    }

    // ---- the fleet

    private void startFleet() throws Exception {
        etcdUrl = "http://127.0.0.1:" + freePort();
        String peer = "http://127.0.0.1:" + freePort();
        Proc etcd = start("etcd", List.of("/usr/bin/etcd", "--name", "bench", "--data-dir", work.resolve("etcd").toString(),
                "--listen-client-urls", etcdUrl, "--advertise-client-urls", etcdUrl,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "bench=" + peer));
        etcd.await(line -> line.contains("ready to serve client requests"));
        for (int n = 0; n < NODES; n++) {
            Path vhosts = Files.createDirectories(work.resolve("node" + n + "/vhosts"));
            Proc httpd = start("httpd" + n, List.of(javaBin.toString(), "-XX:+UseSerialGC", "-jar",
                    root.resolve("httpd/target/httpd.jar").toString(), vhosts.toString(), "--listen", "127.0.0.1:0",
                    "--admin", "127.0.0.1:0", "--access-log", "off"));
            Matcher listening = LISTENING.matcher(httpd.await(line -> LISTENING.matcher(line).find()));
            listening.find();
            ports[n] = Integer.parseInt(listening.group(1));
            Matcher admin = ADMIN.matcher(httpd.await(line -> ADMIN.matcher(line).find()));
            admin.find();
            httpds[n] = httpd;
            Proc agent = start("agent" + n, fleet("agent", "--node", "node" + n, "--vhosts", vhosts.toString(),
                    "--store", work.resolve("node" + n + "/store").toString(), "--httpd-admin", admin.group(1)));
            agent.await(line -> line.contains("admin on"));
            agents[n] = agent;
        }
        for (int n = 0; n < NODES; n++) {
            pollers[n] = new Poller(ports[n]);
        }
        Thread.ofPlatform().daemon().name("commit-watch").start(this::watchCommits);
    }

    private List<String> fleet(String... args) {
        List<String> command = new ArrayList<>(List.of(javaBin.toString(), "-XX:+UseSerialGC", "-jar",
                root.resolve("fleet/target/fleet.jar").toString(), "--etcd", etcdUrl));
        // As scripts/webroot-fleet and scripts/webroot-agent run them: publish and the agent with the full JIT.
        command.addAll(List.of(args));
        return command;
    }

    private void publishSmall(int version) throws Exception {
        Path tree = Files.createDirectories(work.resolve("site-" + version));
        Files.writeString(tree.resolve("index.html"), "<p>version " + version + "</p>\n");
        Files.writeString(tree.resolve("v.txt"), version + "\n");
        Path webroot = pack(tree, version);
        Proc publish = start("publish-" + version, fleet("publish", webroot.toString(), SITE, "--timeout", "30s"));
        int exit = publish.exit(Duration.ofSeconds(60));
        if (exit != 0) {
            throw new IllegalStateException("publish of version " + version + " failed: " + publish.log());
        }
        awaitSwitched(version, SWITCH_WAIT);
        Files.delete(webroot);
    }

    private void publishLarge(int version, long size, String label) throws Exception {
        Path tree = Files.createDirectories(work.resolve("site-" + version));
        Files.writeString(tree.resolve("v.txt"), version + "\n");
        SplittableRandom random = new SplittableRandom(version);
        byte[] block = new byte[LARGE_FILE_BYTES];
        for (long written = 0, file = 0; written < size; written += block.length, file++) {
            for (int i = 0; i < block.length; i += 8) {
                long bits = random.nextLong();
                for (int b = 0; b < 8; b++) {
                    block[i + b] = (byte) (bits >>> (8 * b));
                }
            }
            Files.write(tree.resolve("blob-" + file + ".bin"), Arrays.copyOf(block, (int) Math.min(block.length, size - written)));
        }
        Path webroot = pack(tree, version);
        deleteTree(tree);
        long start = micros() * 1000;
        Proc publish = start("publish-" + version, fleet("publish", webroot.toString(), SITE, "--timeout", "600s"));
        int exit = publish.exit(Duration.ofSeconds(900));
        long returned = micros() * 1000;
        if (exit != 0) {
            throw new IllegalStateException("publish of " + label + " failed: " + publish.log());
        }
        publish.log().forEach(line -> System.out.println("  " + line));
        Matcher committed = COMMITTED.matcher(String.join("\n", publish.log()));
        if (!committed.find()) {
            throw new IllegalStateException("no commit line in " + publish.log());
        }
        awaitSwitched(version, Duration.ofSeconds(120));
        long last = Arrays.stream(pollers).mapToLong(p -> p.switchedAt(version)).max().orElseThrow() * 1000;
        String sha = Digests.sha256Hex(webroot);
        for (int node = 0; node < NODES; node++) {
            int n = node;
            // Where the staging time went on each node: the agent's download and checks, httpd's verification.
            agents[n].log().stream().filter(line -> line.contains("staged " + sha.substring(0, 12)))
                    .forEach(line -> System.out.println("  node" + n + " " + line));
            httpds[n].log().stream().filter(line -> line.contains("prepared") && line.contains(sha))
                    .forEach(line -> System.out.println("  node" + n + " " + line.replaceAll("/\\S*/", "")));
        }
        System.out.printf("%s webroot (%d bytes): committed %s ms after the desired key; whole publish command %d ms;"
                        + " every node serving it %d ms after the command started; spread %.1f ms%n",
                label, Files.size(webroot), committed.group(1), TimeUnit.NANOSECONDS.toMillis(returned - start),
                TimeUnit.NANOSECONDS.toMillis(last - start), spread(version));
        Files.delete(webroot);
    }

    private Path pack(Path tree, int version) throws IOException {
        Path webroot = work.resolve("v" + version + ".webroot");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Mkroot.run(new String[] {tree.toString(), webroot.toString(), "--no-compress"},
                new Io(new PrintStream(OutputStream.nullOutputStream()), new PrintStream(err), Map.of(), false));
        if (exit != 0) {
            throw new IllegalStateException("mkroot failed: " + err);
        }
        versions.put(Digests.sha256Hex(webroot), version);
        return webroot;
    }

    private void awaitSwitched(int version, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        for (Poller poller : pollers) {
            while (poller.switchedAt(version) == 0) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("node on port " + poller.port + " did not serve version " + version
                            + " within " + limit);
                }
                Thread.sleep(5);
            }
        }
    }

    /** Wall-clock microseconds: the same clock as other processes' time stamps on this machine. */
    private static long micros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000 + now.getNano() / 1000;
    }

    private double spread(int version) {
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (Poller poller : pollers) {
            first = Math.min(first, poller.switchedAt(version));
            last = Math.max(last, poller.switchedAt(version));
        }
        return (last - first) / 1e3;
    }

    /** Follows the live key through etcd's JSON gateway, noting when each version's commit arrives. */
    private void watchCommits() {
        String key = Base64.getEncoder().encodeToString(("/webroot/site/" + SITE + "/live").getBytes(StandardCharsets.UTF_8));
        Pattern value = Pattern.compile("\"value\":\"([A-Za-z0-9+/=]+)\"");
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), Integer.parseInt(etcdUrl.replaceAll(".*:", "")))) {
            String body = "{\"create_request\":{\"key\":\"" + key + "\"}}";
            socket.getOutputStream().write(("POST /v3/watch HTTP/1.1\r\nHost: etcd\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            for (String line; (line = in.readLine()) != null; ) {
                long now = micros();
                Matcher m = value.matcher(line);
                if (m.find()) {
                    String live = new String(Base64.getDecoder().decode(m.group(1)), StandardCharsets.UTF_8);
                    Integer version = versions.get(live.substring(0, Math.min(64, live.length())));
                    if (version != null) {
                        commitSeen.putIfAbsent(version, now);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // The fleet is being stopped; the figure is then missing, not wrong.
        }
    }

    // ---- measurement

    /** One keep-alive connection to a node, asking /v.txt every POLL; keeps when each version was first answered. */
    private final class Poller {
        final int port;
        private final Map<Integer, Long> firstSeen = new ConcurrentHashMap<>();

        Poller(int port) {
            this.port = port;
            Thread.ofPlatform().daemon().name("poll-" + port).start(this::poll);
        }

        long switchedAt(int version) {
            return firstSeen.getOrDefault(version, 0L);
        }

        private void poll() {
            byte[] request = ("GET /v.txt HTTP/1.1\r\nHost: " + SITE + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            while (true) {
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
                    socket.setSoTimeout(5000);
                    socket.setTcpNoDelay(true);
                    InputStream in = socket.getInputStream();
                    OutputStream out = socket.getOutputStream();
                    while (true) {
                        out.write(request);
                        int version = readVersion(in);
                        long now = micros();
                        if (version > 0) {
                            firstSeen.putIfAbsent(version, now);
                        }
                        LockSupport.parkNanos(POLL.toNanos());
                    }
                } catch (IOException e) {
                    LockSupport.parkNanos(POLL.toNanos());
                }
            }
        }
    }

    /** Reads one response; returns the version its body names, 0 for any other answer. */
    private static int readVersion(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed");
            }
            head.append((char) b);
        }
        Matcher length = CONTENT_LENGTH.matcher(head);
        int n = length.find() ? Integer.parseInt(length.group(1)) : 0;
        byte[] body = in.readNBytes(n);
        if (!head.toString().startsWith("HTTP/1.1 200")) {
            return 0;
        }
        try {
            return Integer.parseInt(new String(body, StandardCharsets.US_ASCII).strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String summary(String what, List<Double> values) {
        if (values.isEmpty()) {
            return what + ": no samples";
        }
        List<Double> sorted = values.stream().sorted().toList();
        return String.format("%s over %d: p50 %.1f ms, p99 %.1f ms, max %.1f ms", what, sorted.size(),
                percentile(sorted, 50), percentile(sorted, 99), sorted.getLast());
    }

    /** Nearest-rank percentile of sorted values. */
    private static double percentile(List<Double> sorted, int p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }

    private static String format(List<Double> values) {
        return values.stream().map(v -> String.format("%.1f", v)).toList().toString();
    }

    private static long bytes(String size) {
        Matcher m = Pattern.compile("(\\d+)([KMG]?)").matcher(size);
        if (!m.matches()) {
            throw new IllegalArgumentException("size such as 100M or 1G expected, got " + size);
        }
        long unit = switch (m.group(2)) {
            case "K" -> 1L << 10;
            case "M" -> 1L << 20;
            case "G" -> 1L << 30;
            default -> 1;
        };
        return Long.parseLong(m.group(1)) * unit;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }

    // ---- processes

    private Proc start(String name, List<String> command) throws IOException {
        Proc proc = new Proc(name, new ProcessBuilder(command).redirectErrorStream(true).start(),
                work.resolve("logs/" + name + ".log"));
        processes.add(proc);
        return proc;
    }

    private void stopAll() {
        for (Proc proc : processes) {
            proc.process.destroy();
        }
        for (Proc proc : processes) {
            try {
                if (!proc.process.waitFor(10, TimeUnit.SECONDS)) {
                    proc.process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                proc.process.destroyForcibly();
            }
        }
        processes.clear();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void deleteTree(Path tree) throws IOException {
        try (var entries = Files.walk(tree)) {
            for (Path entry : entries.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(entry);
            }
        }
    }

    /** A started process whose output is kept in memory and copied to a log file. */
    private static final class Proc {
        final String name;
        final Process process;
        private final List<String> log = new CopyOnWriteArrayList<>();

        Proc(String name, Process process, Path logFile) throws IOException {
            this.name = name;
            this.process = process;
            process.getOutputStream().close();
            Files.createDirectories(logFile.getParent());
            PrintStream copy = new PrintStream(Files.newOutputStream(logFile), true, StandardCharsets.UTF_8);
            Thread.ofPlatform().daemon().name(name + "-output").start(() -> {
                try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = reader.readLine()) != null; ) {
                        log.add(line);
                        copy.println(line);
                    }
                } catch (IOException ignored) {
                    // The process ended.
                } finally {
                    copy.close();
                }
            });
        }

        List<String> log() {
            return List.copyOf(log);
        }

        String await(Predicate<String> matching) throws InterruptedException {
            long deadline = System.nanoTime() + START_WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                for (String line : log) {
                    if (matching.test(line)) {
                        return line;
                    }
                }
                if (!process.isAlive()) {
                    throw new IllegalStateException(name + " exited: " + log);
                }
                Thread.sleep(10);
            }
            throw new IllegalStateException(name + ": not ready within " + START_WAIT + ": " + log);
        }

        int exit(Duration limit) throws InterruptedException {
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(name + " did not finish within " + limit + ": " + log);
            }
            Thread.sleep(20);
            return process.exitValue();
        }
    }
}
