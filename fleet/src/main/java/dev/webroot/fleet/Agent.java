package dev.webroot.fleet;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The agent beside one httpd: mirrors the fleet's desired and live versions from etcd, stages each
 * version into the local {@link Store}, reports what it staged and serves under its lease, and
 * switches a site by renaming a symlink over the vhost entry (what httpd's hot swap watches): the
 * {@code .next.SITE} link it made when the version was staged, whose file httpd has verified by
 * then. A site whose live version is not in the store is linked to the store's empty file, which
 * httpd answers with 503, until it is. It serves its store to peers by hash on the admin address.
 *
 * <p>Without etcd it changes nothing: the links stay on the last live versions while it reconnects
 * with backoff, logging once when etcd goes away and once when it comes back.
 */
final class Agent {
    private static final Duration RETRY = Duration.ofSeconds(2);
    /** httpd opens and verifies the file of a {@code .next.SITE} entry ahead, so renaming it over SITE goes live at once. */
    static final String NEXT_PREFIX = ".next.";
    /** What the serving key says while the site answers 503 because its live version is not staged here. */
    static final String OUT_OF_SERVICE = "out-of-service";
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    /** {@code httpdAdmin}: httpd's admin listener, asked whether a prepared file is verified; null when not given. */
    record Options(Etcd etcd, String node, Path vhosts, Path store, InetSocketAddress admin, long leaseTtlSeconds, int keep,
            URI httpdAdmin) {}

    /** How long a staged version waits for httpd to verify its .next file before it is reported staged anyway. */
    private static final Duration PREPARE_WAIT = Duration.ofMinutes(10);
    /** How long httpd may take to notice a new .next link before the agent stops waiting for it. */
    private static final Duration PREPARE_NOTICE = Duration.ofSeconds(2);
    private static final Duration PREPARE_POLL = Duration.ofMillis(20);

    private final Options options;
    private final Etcd etcd;
    private final Store store;
    private final Path vhosts;
    private final Map<String, List<Keys.Version>> live = new ConcurrentHashMap<>();
    private final Map<String, Keys.Version> desired = new ConcurrentHashMap<>();
    /** What this node has told etcd, re-sent under each new lease. */
    private final Map<String, String> reports = new ConcurrentHashMap<>();
    private final LinkedBlockingQueue<String> dirty = new LinkedBlockingQueue<>();
    private final Set<String> queued = ConcurrentHashMap.newKeySet();
    /** Site to the version whose staging failure was logged: retries of it stay quiet until it succeeds. */
    private final Map<String, String> failing = new ConcurrentHashMap<>();
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("agent-retry").factory());
    private final AtomicReference<AutoCloseable> watch = new AtomicReference<>();
    private volatile long lease;
    private volatile boolean synced;
    private HttpServer admin;
    private String adminUrl;
    private final HttpClient httpdClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private boolean httpdAdminFailureLogged;

    Agent(Options options) throws IOException {
        this.options = options;
        this.etcd = options.etcd();
        this.store = new Store(options.store());
        this.vhosts = options.vhosts().toRealPath();
    }

    /** Runs until the process is stopped. */
    void run() throws IOException, InterruptedException {
        startAdmin();
        log("node " + options.node() + ", admin on " + adminUrl + ", store " + store.directory() + ", vhosts " + vhosts);
        Runtime.getRuntime().addShutdownHook(new Thread(this::leave));
        Thread.ofPlatform().daemon().name("agent-stage").start(this::stageLoop);
        Thread.ofPlatform().daemon().name("agent-lease").start(this::keepAliveLoop);
        Duration backoff = Duration.ofMillis(100);
        boolean unreachable = false;
        while (true) {
            try {
                long revision = join();
                if (unreachable) {
                    log("etcd reachable again");
                    unreachable = false;
                }
                backoff = Duration.ofMillis(100);
                etcd.watch(Keys.SITES, revision + 1, this::apply, watch::set);
                throw new IOException("the watch stream ended");
            } catch (IOException | RuntimeException e) {
                // A malformed answer is handled like a lost connection: back off, join again.
                synced = false;
                if (!unreachable) {
                    log("etcd unreachable (" + Etcd.describe(e) + "): serving the last live versions, retrying");
                    unreachable = true;
                }
                Thread.sleep(backoff.toMillis());
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
    }

    /**
     * The {@code --catch-up} run, for before httpd starts (its ExecStartPre): reads the live versions
     * and brings every vhost link to them (out of service while a version is staged), within LIMIT.
     * It registers no node and reports nothing; without etcd for all of LIMIT it leaves every link as
     * it is. Returns whether every site links its live version.
     */
    boolean catchUp(Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        Etcd.Range sites = null;
        Duration backoff = Duration.ofMillis(100);
        while (sites == null) {
            try {
                sites = etcd.prefix(Keys.SITES);
            } catch (IOException | RuntimeException e) {
                if (System.nanoTime() + backoff.toNanos() > deadline) {
                    log("etcd unreachable (" + Etcd.describe(e) + ") for " + limit.toMillis() + " ms: every link is left as it is");
                    return false;
                }
                Thread.sleep(backoff.toMillis());
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
        for (Etcd.KeyValue kv : sites.kvs()) {
            applyValue(kv.key(), kv.value());
        }
        List<String> names = new ArrayList<>(live.keySet());
        Thread worker = Thread.ofPlatform().daemon().name("agent-catch-up").start(() -> names.forEach(this::catchUpSite));
        worker.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        List<String> behind = names.stream().filter(site -> current(site) != null && !linkedTo(site, current(site))).toList();
        log(behind.isEmpty() ? "caught up: every site links its live version"
                : "not caught up within " + limit.toMillis() + " ms: " + String.join(", ", behind) + " out of service or behind");
        return behind.isEmpty();
    }

    private void catchUpSite(String site) {
        Keys.Version current = current(site);
        if (current == null || linkedTo(site, current)) {
            return;
        }
        if (!store.has(current.sha256())) {
            takeOutOfService(site, current);
        }
        try {
            stageQuietly(site, current);
            link(site, current);
        } catch (IOException | RuntimeException e) {
            log(site + ": cannot stage live version " + current.shortSha() + ": " + Etcd.describe(e));
        }
    }

    /** Takes a lease, announces the node, re-sends its reports, reads every site: returns the revision read. */
    private long join() throws IOException {
        long granted = etcd.grant(options.leaseTtlSeconds());
        lease = granted;
        etcd.put(Keys.node(options.node()), adminUrl, granted);
        for (Map.Entry<String, String> report : reports.entrySet()) {
            etcd.put(report.getKey(), report.getValue(), granted);
        }
        Etcd.Range sites = etcd.prefix(Keys.SITES);
        Set<String> seen = new HashSet<>(live.keySet());
        seen.addAll(desired.keySet());
        Set<String> seenLive = new HashSet<>();
        Set<String> seenDesired = new HashSet<>();
        for (Etcd.KeyValue kv : sites.kvs()) {
            String site = applyValue(kv.key(), kv.value());
            if (site != null) {
                seen.add(site);
                (kv.key().equals(Keys.live(site)) ? seenLive : seenDesired).add(site);
            }
        }
        // Keys deleted while etcd was out of reach: no event will say so.
        live.keySet().retainAll(seenLive);
        desired.keySet().retainAll(seenDesired);
        synced = true;
        for (String site : seen) {
            flipIfStaged(site);
            markDirty(site);
        }
        return sites.revision();
    }

    private void apply(List<Etcd.Event> events) {
        for (Etcd.Event event : events) {
            String site = event.deleted() ? removeValue(event.kv().key()) : applyValue(event.kv().key(), event.kv().value());
            if (site != null) {
                flipIfStaged(site);
                markDirty(site);
            }
        }
    }

    /** Records one site key's value; returns the site, or null for a key that is not one. */
    private String applyValue(String key, String value) {
        String[] parts = siteKey(key);
        if (parts == null) {
            return null;
        }
        try {
            if (parts[1].equals("live")) {
                live.put(parts[0], Keys.history(value));
            } else {
                desired.put(parts[0], Keys.Version.parse(value));
            }
        } catch (IllegalArgumentException e) {
            log(key + ": ignored: " + e.getMessage());
        }
        return parts[0];
    }

    private String removeValue(String key) {
        String[] parts = siteKey(key);
        if (parts == null) {
            return null;
        }
        (parts[1].equals("live") ? live : desired).remove(parts[0]);
        return parts[0];
    }

    private static String[] siteKey(String key) {
        String rest = key.substring(Keys.SITES.length());
        int slash = rest.lastIndexOf('/');
        if (slash <= 0) {
            return null;
        }
        String site = rest.substring(0, slash);
        String kind = rest.substring(slash + 1);
        try {
            Keys.site(site);
        } catch (IllegalArgumentException e) {
            return null;
        }
        return kind.equals("live") || kind.equals("desired") ? new String[] {site, kind} : null;
    }

    /**
     * The commit's fast path, on the watch thread: a version already staged is linked at once. A site
     * whose live version is not staged here is taken out of service until it is, rather than go on
     * serving a version the fleet no longer serves.
     */
    private void flipIfStaged(String site) {
        Keys.Version current = current(site);
        if (current == null) {
            return;
        }
        if (store.has(current.sha256())) {
            link(site, current);
        } else {
            takeOutOfService(site, current);
        }
    }

    private Keys.Version current(String site) {
        List<Keys.Version> history = live.get(site);
        return history == null || history.isEmpty() ? null : history.getFirst();
    }

    private void markDirty(String site) {
        if (queued.add(site)) {
            dirty.add(site);
        }
    }

    private void stageLoop() {
        while (true) {
            String site;
            try {
                site = dirty.take();
            } catch (InterruptedException e) {
                return;
            }
            queued.remove(site);
            try {
                reconcile(site);
            } catch (RuntimeException | Error e) {
                // One site's failure (a damaged download included) must not end staging for the others.
                log(site + ": " + Etcd.describe(e));
                retryLater(site);
            }
        }
    }

    /** Brings one site to its live version, then stages its desired one; a failure is reported and retried. */
    private void reconcile(String site) {
        Keys.Version current = current(site);
        if (current != null && linkedTo(site, current)) {
            // Linked before this agent started (or before etcd came back): say so under the current lease.
            report(Keys.serving(site, options.node()), current.sha256(), false);
        } else if (current != null) {
            try {
                if (!store.has(current.sha256())) {
                    takeOutOfService(site, current);
                }
                stage(site, current);
                link(site, current);
            } catch (IOException e) {
                logFailure(site, current, "cannot stage live version " + current.shortSha() + ": " + Etcd.describe(e));
                report(Keys.staged(site, options.node()), "failed " + current.sha256() + ": " + Etcd.describe(e), false);
                retryLater(site);
            }
        }
        Keys.Version next = desired.get(site);
        if (next != null && (current == null || !next.sha256().equals(current.sha256()))) {
            try {
                stageAhead(site, next);
            } catch (IOException e) {
                logFailure(site, next, "cannot stage " + next.shortSha() + ": " + Etcd.describe(e));
                if (desired.get(site) == next) {
                    report(Keys.staged(site, options.node()), "failed " + next.sha256() + ": " + Etcd.describe(e), true);
                    retryLater(site);
                } else {
                    // A newer publish replaced the one this download was for: its sources may work, and
                    // this failure is no answer to it.
                    markDirty(site);
                }
            }
        }
        prepareNext(site);
        prune();
    }

    /** Stages a desired version and has httpd verify it ahead (.next.SITE) before telling the publisher. */
    private void stageAhead(String site, Keys.Version version) throws IOException {
        stageQuietly(site, version);
        prepareNext(site);
        awaitPrepared(site, version);
        failing.remove(site, version.sha256());
        report(Keys.staged(site, options.node()), version.sha256(), true);
    }

    private void stage(String site, Keys.Version version) throws IOException {
        stageQuietly(site, version);
        failing.remove(site, version.sha256());
        report(Keys.staged(site, options.node()), version.sha256(), true);
    }

    private void stageQuietly(String site, Keys.Version version) throws IOException {
        if (!store.has(version.sha256())) {
            long start = System.nanoTime();
            store.stage(version, sources(site, version));
            log(site + ": staged " + version.shortSha() + " (" + version.size() + " bytes, "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms)");
        }
    }

    /**
     * Peers that hold the version (in random order, to spread the load), then the published sources.
     * A peer holds it when its staged key or its serving key names it: after a later publish failed,
     * only the serving keys still say who has the live version, and the publisher's own source is
     * gone once its command ended.
     */
    private List<URI> sources(String site, Keys.Version version) {
        List<URI> peers = new ArrayList<>();
        try {
            Set<String> holders = new HashSet<>();
            for (String prefix : List.of(Keys.staged(site), Keys.serving(site))) {
                for (Etcd.KeyValue kv : etcd.prefix(prefix).kvs()) {
                    String peer = kv.key().substring(prefix.length());
                    if (!peer.equals(options.node()) && kv.value().equals(version.sha256())) {
                        holders.add(peer);
                    }
                }
            }
            for (String peer : holders) {
                Etcd.KeyValue url = etcd.get(Keys.node(peer)).first();
                if (url != null) {
                    peers.add(URI.create(url.value() + "/webroots/" + version.sha256()));
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            // Without etcd there are no peers to ask: the published sources remain.
        }
        Collections.shuffle(peers);
        for (String source : version.sources()) {
            peers.add(URI.create(source));
        }
        return peers;
    }

    private synchronized boolean linkedTo(String site, Keys.Version version) {
        return leadsTo(vhosts.resolve(site), store.file(version.sha256()));
    }

    /**
     * Points VHOSTS/SITE at the stored file: the {@code .next.SITE} link prepared for it renamed over
     * the entry, else a new symlink renamed over it, as {@code mv -T} does.
     */
    private synchronized void link(String site, Keys.Version version) {
        if (!linkedTo(site, version)) {
            Path file = store.file(version.sha256());
            try {
                Path next = vhosts.resolve(NEXT_PREFIX + site);
                boolean prepared = leadsTo(next, file);
                if (prepared) {
                    Files.move(next, vhosts.resolve(site), StandardCopyOption.ATOMIC_MOVE);
                } else {
                    replaceLink(vhosts.resolve(site), file);
                }
                log(site + ": live " + version.shortSha() + (prepared ? "" : " (not prepared ahead)"));
            } catch (IOException e) {
                log(site + ": cannot link " + version.shortSha() + ": " + Etcd.describe(e));
                retryLater(site);
                return;
            }
        }
        report(Keys.serving(site, options.node()), version.sha256(), false);
    }

    /** Links SITE to the store's empty file, which httpd answers with 503, unless it already leads there. */
    private synchronized void takeOutOfService(String site, Keys.Version live) {
        Path entry = vhosts.resolve(site);
        if (!leadsTo(entry, store.outOfService())) {
            try {
                replaceLink(entry, store.outOfService());
                log(site + ": out of service (503) until " + live.shortSha() + ", the live version, is staged here");
            } catch (IOException e) {
                log(site + ": cannot take it out of service: " + Etcd.describe(e));
                retryLater(site);
                return;
            }
        }
        report(Keys.serving(site, options.node()), OUT_OF_SERVICE, false);
    }

    /**
     * Keeps {@code .next.SITE} leading to the staged desired version, so httpd verifies it before the
     * commit; removes it once nothing is to be switched to it.
     */
    private synchronized void prepareNext(String site) {
        Path next = vhosts.resolve(NEXT_PREFIX + site);
        Keys.Version wanted = desired.get(site);
        Keys.Version current = current(site);
        try {
            if (wanted != null && store.has(wanted.sha256()) && !linkedTo(site, wanted)) {
                if (!leadsTo(next, store.file(wanted.sha256()))) {
                    replaceLink(next, store.file(wanted.sha256()));
                }
            } else if (Files.isSymbolicLink(next)
                    && (current == null || !leadsTo(next, store.file(current.sha256())) || linkedTo(site, current))) {
                Files.delete(next);
            }
        } catch (IOException e) {
            // Only the switch's speed depends on it: the commit links the file either way.
            log(site + ": cannot update " + next.getFileName() + ": " + Etcd.describe(e));
        }
    }

    /**
     * With {@code --httpd-admin}: waits until httpd has verified the file of {@code .next.SITE}, so that
     * at the commit every node switches at once whatever the file's size. Throws if httpd refused
     * it; gives up waiting (and reports it staged) when httpd cannot be asked, does not notice the
     * link, or the publish moved on.
     */
    private void awaitPrepared(String site, Keys.Version version) throws IOException {
        URI httpd = options.httpdAdmin();
        if (httpd == null || linkedTo(site, version)) {
            return;
        }
        String file = store.file(version.sha256()).toString();
        long started = System.nanoTime();
        while (desired.get(site) != null && desired.get(site).sha256().equals(version.sha256())
                && System.nanoTime() - started < PREPARE_WAIT.toNanos()) {
            String state;
            try {
                state = preparedState(httpd, site, file);
            } catch (IOException | RuntimeException e) {
                if (!httpdAdminFailureLogged) {
                    httpdAdminFailureLogged = true;
                    log("cannot ask httpd at " + httpd + " (" + Etcd.describe(e) + "): reporting versions staged without"
                            + " waiting for httpd to verify them (logged once)");
                }
                return;
            }
            if ("refused".equals(state)) {
                throw new IOException("httpd refused the prepared file (its log says why)");
            }
            if ("verified".equals(state) || "serving".equals(state)
                    || state == null && System.nanoTime() - started > PREPARE_NOTICE.toNanos()) {
                return;
            }
            try {
                Thread.sleep(PREPARE_POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** What httpd's /vhosts says of FILE for SITE: serving, verified, verifying, refused, or null when it does not know of it. */
    private String preparedState(URI httpd, String site, String file) throws IOException {
        HttpResponse<String> response;
        try {
            response = httpdClient.send(HttpRequest.newBuilder(httpd.resolve("/vhosts")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (response.statusCode() != 200) {
            throw new IOException("/vhosts answered " + response.statusCode());
        }
        for (Object entry : Json.array(Json.parse(response.body()))) {
            Map<String, Object> vhost = Json.object(entry);
            if (!site.equals(vhost.get("name"))) {
                continue;
            }
            if (file.equals(vhost.get("file")) && Boolean.TRUE.equals(vhost.get("serving"))) {
                return "serving";
            }
            Object next = vhost.get("next");
            if (next != null && file.equals(Json.object(next).get("file"))) {
                return (String) Json.object(next).get("state");
            }
        }
        return null;
    }

    private static boolean leadsTo(Path link, Path target) {
        try {
            return Files.isSymbolicLink(link) && Files.readSymbolicLink(link).equals(target);
        } catch (IOException e) {
            return false;
        }
    }

    /** A new symlink to TARGET renamed over ENTRY: whoever reads ENTRY sees the old link or the new one. */
    private void replaceLink(Path entry, Path target) throws IOException {
        Path temporary = vhosts.resolve(".tmp-" + entry.getFileName());
        Files.deleteIfExists(temporary);
        Files.createSymbolicLink(temporary, target);
        Files.move(temporary, entry, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Keeps the newest K versions of every site's history, its desired version and whatever a vhost links. */
    private void prune() {
        if (!synced) {
            return;
        }
        Set<String> keep = new HashSet<>();
        live.values().forEach(history -> history.stream().limit(options.keep()).forEach(v -> keep.add(v.sha256())));
        desired.values().forEach(v -> keep.add(v.sha256()));
        try (var entries = Files.list(vhosts)) {
            for (Path entry : entries.toList()) {
                if (Files.isSymbolicLink(entry)) {
                    Path target = Files.readSymbolicLink(entry);
                    String name = target.getFileName().toString();
                    if (store.directory().equals(target.getParent()) && name.endsWith(Store.SUFFIX)) {
                        keep.add(name.substring(0, name.length() - Store.SUFFIX.length()));
                    }
                }
            }
            store.prune(keep);
        } catch (IOException e) {
            log("cannot prune the store: " + Etcd.describe(e));
        }
    }

    private void retryLater(String site) {
        retries.schedule(() -> markDirty(site), RETRY.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Tells etcd; AGAIN re-sends an unchanged value, so a publisher sees an answer newer than its desired key. */
    private void report(String key, String value, boolean again) {
        if (value.equals(reports.put(key, value)) && !again || lease == 0) {
            // Without a lease (a catch-up run) nothing is sent: a key without one would outlive the node.
            return;
        }
        try {
            etcd.put(key, value, lease);
        } catch (IOException e) {
            // Sent again under the next lease, when etcd is back.
        }
    }

    /** Renews the lease at a third of its TTL; an expired or unrenewable lease ends the watch, so the main loop rejoins. */
    private void keepAliveLoop() {
        long interval = Math.max(200, TimeUnit.SECONDS.toMillis(options.leaseTtlSeconds()) / 3);
        while (true) {
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
            long current = lease;
            if (current == 0 || !synced) {
                continue;
            }
            boolean alive;
            try {
                alive = etcd.keepAlive(current) > 0;
            } catch (IOException | RuntimeException e) {
                alive = false;
            }
            if (!alive) {
                AutoCloseable stream = watch.getAndSet(null);
                if (stream != null) {
                    try {
                        stream.close();
                    } catch (Exception ignored) {
                        // Closing is best effort: the main loop rejoins either way.
                    }
                }
            }
        }
    }

    /** On SIGTERM: give the lease back, so the fleet stops waiting for this node at once. */
    private void leave() {
        long current = lease;
        if (current != 0) {
            try {
                etcd.revoke(current);
            } catch (IOException ignored) {
                // The lease expires by itself.
            }
        }
        admin.stop(0);
    }

    /** The admin port: {@code GET /webroots/SHA256} serves a staged file to peers; {@code GET /status} the links. */
    private void startAdmin() throws IOException {
        admin = HttpServer.create(options.admin(), 64);
        admin.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        admin.createContext("/webroots/", this::serveWebroot);
        admin.createContext("/status", this::serveStatus);
        admin.start();
        InetSocketAddress bound = admin.getAddress();
        String host = bound.getAddress().getHostAddress();
        adminUrl = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + bound.getPort();
    }

    private void serveWebroot(HttpExchange exchange) throws IOException {
        try (exchange) {
            String name = exchange.getRequestURI().getPath().substring("/webroots/".length());
            if (!exchange.getRequestMethod().equals("GET")) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            Path file;
            try {
                file = store.file(new Keys.Version(name, 0, List.of()).sha256());
            } catch (IllegalArgumentException e) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            if (!Files.isRegularFile(file)) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
            exchange.sendResponseHeaders(200, Files.size(file));
            try (OutputStream out = exchange.getResponseBody()) {
                Files.copy(file, out);
            }
        }
    }

    private void serveStatus(HttpExchange exchange) throws IOException {
        try (exchange) {
            StringBuilder body = new StringBuilder();
            live.forEach((site, history) -> body.append(site).append(' ')
                    .append(linkedTo(site, history.getFirst()) ? "live " : "behind ").append(history.getFirst().sha256()).append('\n'));
            byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(200, bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                exchange.getResponseBody().write(bytes);
            }
        }
    }

    private void logFailure(String site, Keys.Version version, String message) {
        if (!version.sha256().equals(failing.put(site, version.sha256()))) {
            log(site + ": " + message + " (retrying every " + RETRY.toSeconds() + " s, logged once)");
        }
    }

    private void log(String message) {
        System.err.println("webroot-agent: " + message);
    }
}
