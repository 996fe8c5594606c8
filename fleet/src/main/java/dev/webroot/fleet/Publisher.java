package dev.webroot.fleet;

import com.sun.net.httpserver.HttpServer;
import dev.webroot.format.Digests;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The two-phase publish: record the desired version (only if no other publish of the site is under
 * way and the live version is the one read), wait until every live agent has staged it or said why
 * not, then commit it as live and clear the desired key in one transaction. Rollback is the same
 * publish of the previous version.
 */
final class Publisher {
    /** Versions remembered per site, for rollback (agents keep fewer of them staged). */
    private static final int HISTORY = 10;
    private static final long LEASE_TTL_SECONDS = 10;
    private static final Duration POLL = Duration.ofMillis(25);
    private static final Duration LIVE_WAIT = Duration.ofSeconds(10);

    /** A refusal to report as one line, exit status 1. */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    private final Etcd etcd;
    private final PrintStream out;

    Publisher(Etcd etcd, PrintStream out) {
        this.etcd = etcd;
        this.out = out;
    }

    void publish(Path file, String site, List<String> sources, InetSocketAddress serve, Duration timeout)
            throws IOException, Refused {
        if (!Files.isRegularFile(file)) {
            throw new Refused(file + ": no such file");
        }
        try {
            Store.validate(file);
        } catch (IOException e) {
            throw new Refused(file + ": " + Etcd.describe(e));
        }
        String sha256 = Digests.sha256Hex(file);
        long size = Files.size(file);
        HttpServer server = null;
        List<String> all = new ArrayList<>(sources);
        try {
            if (serve != null || sources.isEmpty()) {
                server = serve(file, sha256, serve != null ? serve : new InetSocketAddress("127.0.0.1", 0));
                String host = server.getAddress().getAddress().getHostAddress();
                all.add("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + server.getAddress().getPort()
                        + "/webroots/" + sha256);
            }
            Etcd.KeyValue liveKey = etcd.get(Keys.live(site)).first();
            List<Keys.Version> history = liveKey == null ? List.of() : Keys.history(liveKey.value());
            if (!history.isEmpty() && history.getFirst().sha256().equals(sha256)) {
                out.println(site + ": " + sha256.substring(0, 12) + " is already live");
                return;
            }
            Keys.Version version = new Keys.Version(sha256, size, all);
            List<Keys.Version> next = new ArrayList<>();
            next.add(version);
            history.stream().filter(v -> !v.sha256().equals(sha256)).limit(HISTORY - 1).forEach(next::add);
            stageAndCommit(site, version, liveKey, next, timeout);
        } finally {
            if (server != null) {
                server.stop(0);
            }
        }
    }

    void rollback(String site, Duration timeout) throws IOException, Refused {
        Etcd.KeyValue liveKey = etcd.get(Keys.live(site)).first();
        List<Keys.Version> history = liveKey == null ? List.of() : Keys.history(liveKey.value());
        if (history.size() < 2) {
            throw new Refused(site + ": no earlier version to roll back to");
        }
        out.println(site + ": rolling back from " + history.get(0).shortSha() + " to " + history.get(1).shortSha());
        stageAndCommit(site, history.get(1), liveKey, history.subList(1, history.size()), timeout);
    }

    private void stageAndCommit(String site, Keys.Version version, Etcd.KeyValue liveKey, List<Keys.Version> next,
            Duration timeout) throws IOException, Refused {
        long start = System.nanoTime();
        long liveRevision = liveKey == null ? 0 : liveKey.modRevision();
        long lease = etcd.grant(LEASE_TTL_SECONDS);
        Thread keepAlive = Thread.ofPlatform().daemon().name("publish-lease").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(TimeUnit.SECONDS.toMillis(LEASE_TTL_SECONDS) / 3);
                    etcd.keepAlive(lease);
                } catch (InterruptedException e) {
                    return;
                } catch (IOException e) {
                    // The commit's comparison fails if the desired key went with the lease.
                }
            }
        });
        try {
            boolean recorded = etcd.txn(
                    List.of(Etcd.createRevisionIs(Keys.desired(site), 0), Etcd.modRevisionIs(Keys.live(site), liveRevision)),
                    List.of(Etcd.putOp(Keys.desired(site), version.line(), lease)));
            if (!recorded) {
                Etcd.KeyValue other = etcd.get(Keys.desired(site)).first();
                if (other != null) {
                    throw new Refused(site + ": another publish is in progress (" + other.value().split(" ")[0].substring(0, 12)
                            + ", since etcd revision " + other.createRevision() + "); try again when it ends");
                }
                throw new Refused(site + ": the live version changed while this publish started; try again");
            }
            Etcd.KeyValue mine = etcd.get(Keys.desired(site)).first();
            if (mine == null || mine.lease() != lease) {
                throw new Refused(site + ": the desired version was replaced at once; try again");
            }
            out.println(site + ": staging " + version.shortSha() + " (" + version.size() + " bytes)");
            Map<String, String> answers = awaitStaged(site, version, mine.modRevision(), System.nanoTime() + timeout.toNanos());
            List<String> staged = new ArrayList<>();
            answers.forEach((node, answer) -> {
                if (answer.equals(version.sha256())) {
                    staged.add(node);
                } else {
                    out.println(site + ": node " + node + " did not stage it: "
                            + (answer.isEmpty() ? "no answer within " + timeout.toMillis() + " ms" : answer));
                }
            });
            if (staged.isEmpty()) {
                etcd.txn(List.of(Etcd.modRevisionIs(Keys.desired(site), mine.modRevision())), List.of(Etcd.deleteOp(Keys.desired(site))));
                throw new Refused(site + ": no node staged " + version.shortSha() + "; nothing changed");
            }
            boolean committed = etcd.txn(
                    List.of(Etcd.modRevisionIs(Keys.desired(site), mine.modRevision()), Etcd.modRevisionIs(Keys.live(site), liveRevision)),
                    List.of(Etcd.putOp(Keys.live(site), Keys.historyValue(next), 0), Etcd.deleteOp(Keys.desired(site))));
            if (!committed) {
                throw new Refused(site + ": the publish lost its claim (its lease expired or another publisher "
                        + "changed the site); nothing was committed");
            }
            out.printf("%s: committed %s after %d ms (staged on %d of %d nodes)%n", site, version.shortSha(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), staged.size(), answers.size());
            awaitServing(site, version, staged);
        } finally {
            keepAlive.interrupt();
            try {
                etcd.revoke(lease);
            } catch (IOException ignored) {
                // It expires by itself.
            }
        }
    }

    /**
     * Waits until every node holding a lease has answered since the desired key was written (revision
     * SINCE): its staged key says the SHA, or a failure for it. Reports from an earlier publish of the
     * same file do not count: the node may have pruned it since. Returns node to answer ("" for those
     * that did not answer before the deadline).
     */
    private Map<String, String> awaitStaged(String site, Keys.Version version, long since, long deadline) throws IOException {
        while (true) {
            Map<String, String> answers = new TreeMap<>();
            for (Etcd.KeyValue kv : etcd.prefix(Keys.NODES).kvs()) {
                answers.put(kv.key().substring(Keys.NODES.length()), "");
            }
            for (Etcd.KeyValue kv : etcd.prefix(Keys.staged(site)).kvs()) {
                String node = kv.key().substring(Keys.staged(site).length());
                if (answers.containsKey(node) && kv.modRevision() > since && (kv.value().equals(version.sha256())
                        || kv.value().startsWith("failed " + version.sha256()))) {
                    answers.put(node, kv.value());
                }
            }
            if (!answers.containsValue("") || System.nanoTime() > deadline) {
                return answers;
            }
            sleep(POLL);
        }
    }

    private void awaitServing(String site, Keys.Version version, List<String> nodes) throws IOException {
        long deadline = System.nanoTime() + LIVE_WAIT.toNanos();
        TreeSet<String> serving = new TreeSet<>();
        while (true) {
            serving.clear();
            for (Etcd.KeyValue kv : etcd.prefix(Keys.serving(site)).kvs()) {
                if (kv.value().equals(version.sha256())) {
                    serving.add(kv.key().substring(Keys.serving(site).length()));
                }
            }
            if (serving.containsAll(nodes) || System.nanoTime() > deadline) {
                break;
            }
            sleep(POLL);
        }
        out.println(site + ": live on " + serving.size() + " nodes" + (serving.isEmpty() ? "" : " (" + String.join(", ", serving) + ")"));
    }

    void status(String site) throws IOException {
        Etcd.KeyValue liveKey = etcd.get(Keys.live(site)).first();
        Etcd.KeyValue desiredKey = etcd.get(Keys.desired(site)).first();
        List<Keys.Version> history = liveKey == null ? List.of() : Keys.history(liveKey.value());
        out.println(site + ": live " + (history.isEmpty() ? "none" : history.getFirst().sha256()));
        if (desiredKey != null) {
            out.println(site + ": publishing " + Keys.Version.parse(desiredKey.value()).sha256());
        }
        for (int i = 1; i < history.size(); i++) {
            out.println(site + ": earlier " + history.get(i).sha256());
        }
        Map<String, String[]> nodes = new LinkedHashMap<>();
        for (Etcd.KeyValue kv : etcd.prefix(Keys.NODES).kvs()) {
            nodes.put(kv.key().substring(Keys.NODES.length()), new String[] {kv.value(), "-", "-"});
        }
        for (Etcd.KeyValue kv : etcd.prefix(Keys.staged(site)).kvs()) {
            nodes.computeIfAbsent(kv.key().substring(Keys.staged(site).length()), n -> new String[] {"-", "-", "-"})[1] = kv.value();
        }
        for (Etcd.KeyValue kv : etcd.prefix(Keys.serving(site)).kvs()) {
            nodes.computeIfAbsent(kv.key().substring(Keys.serving(site).length()), n -> new String[] {"-", "-", "-"})[2] = kv.value();
        }
        out.printf("%-20s %-24s %-14s %s%n", "NODE", "ADMIN", "STAGED", "SERVING");
        nodes.forEach((node, row) -> out.printf("%-20s %-24s %-14s %s%n", node, row[0], abbreviate(row[1]), abbreviate(row[2])));
    }

    private static String abbreviate(String value) {
        return value.length() >= 64 && !value.startsWith("failed") ? value.substring(0, 12) : value;
    }

    private static HttpServer serve(Path file, String sha256, InetSocketAddress address) throws IOException {
        HttpServer server = HttpServer.create(address, 64);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/webroots/" + sha256, exchange -> {
            try (exchange; InputStream in = Files.newInputStream(file)) {
                exchange.sendResponseHeaders(200, Files.size(file));
                try (OutputStream body = exchange.getResponseBody()) {
                    in.transferTo(body);
                }
            }
        });
        server.start();
        return server;
    }

    private static void sleep(Duration duration) throws IOException {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
