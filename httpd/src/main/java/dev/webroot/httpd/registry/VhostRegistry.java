package dev.webroot.httpd.registry;

import dev.webroot.format.Webroot;
import dev.webroot.format.WebrootFormatException;
import dev.webroot.httpd.core.Generation;
import dev.webroot.httpd.core.Sites;
import dev.webroot.httpd.log.ErrorLog;
import dev.webroot.io.model.LibC;
import dev.webroot.io.model.NativeCallException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;

/**
 * The vhosts directory as a set of sites. Every entry (a webroot file or a symlink to one) is a vhost
 * named after the entry, lowercased; {@code __default__} answers unknown hosts; dot-names (the temp
 * links of {@code ln -s x .tmp && mv -T .tmp name}) and directories are ignored.
 *
 * <p>One background thread keeps it current: it wakes on events (inotify) of the vhosts directory
 * and of the directories holding the files being served, and at least every {@code rescanInterval},
 * then compares each entry's {@link Identity} with what is loaded, so a replaced symlink, a file
 * renamed over an entry, an added or a removed entry take effect even when events were lost
 * (OVERFLOW) or never sent. A file that fails validation is refused with one log line and the
 * previous generation keeps serving; it is retried once its identity changes (or on every rescan
 * when it could not be read at all, such as permission denied, or was modified within the last second).
 *
 * <p>Bodies: a replacement is published only after every body matched its SHA-256 (on a verifier
 * thread, while the old generation keeps serving); a vhost that has nothing to serve yet (start-up,
 * a new entry) is published after the index check and its bodies are verified in the background,
 * a body being hashed on its first request if the background pass has not reached it, so a damaged
 * body is never sent (the core answers 503 for it). HPACK fragments are checked against their
 * header blocks alongside (and on first use over HTTP/2): a replacement with a wrong one is refused,
 * and a live generation's wrong one is logged once and replaced in HTTP/2 responses by the block's
 * conversion.
 *
 * <p>Ahead of a switch: an entry {@code .next.NAME} names the file NAME is about to be switched to.
 * Its file is opened and verified in the background while NAME keeps serving; when NAME then leads
 * to that same file (same {@link Identity}, as after {@code mv -T .next.NAME NAME}), it goes live in
 * the rescan that sees the switch, with nothing left to verify. An entry leading to an empty file is
 * a site taken out of service on purpose: it answers 503 until the entry leads to a webroot.
 *
 * <p>A file changed in place under a live generation ({@code cp} or {@code truncate} over it: same
 * inode, new size or modification time) retires that generation at once: the vhost answers 503
 * until the file validates again, which is then served as a new generation. Where Linux read
 * leases work ({@link ReadLeases}), the writer's open waits until that retirement is done and the
 * generation's in-flight responses have finished (at most {@link #LEASE_DRAIN_MILLIS}) and, where
 * bodies went by sendfile, their bytes have left the sockets (at most {@link #LEASE_DELIVERY_MILLIS}).
 *
 * <p>The request path ({@link #acquire}) reads one volatile table, hashes the host bytes and takes a
 * hold with a compare-and-set: no lock and no allocation. A replaced generation stays mapped until
 * its last hold is released; the background thread then unmaps it.
 */
public final class VhostRegistry implements Sites, AutoCloseable {
    /** How long in-flight responses of a generation whose lease a writer broke may take before the writer is let through. */
    private static final long LEASE_DRAIN_MILLIS = 2000;
    /**
     * How long, after those responses finished, their bytes may take to leave this host's sockets
     * (see {@link #awaitFilePagesDeliveredBy}) before the writer is let through.
     */
    private static final long LEASE_DELIVERY_MILLIS = 2000;
    /** How long after {@link #LEASE_RETAKE_NANOS} a file whose lease was broken is looked at again. */
    private static final long LEASE_RESCAN_DELAY_MILLIS = 50;
    /**
     * No new lease is taken on a file this soon after a writer broke one: the writer's open is only
     * woken when the lease goes, and a lease taken before it runs would hold it off again, over and over.
     * Nor is the file opened again meanwhile: a generation served then would have no lease, and the
     * writer, woken but perhaps not yet run, would write under its mapping.
     */
    private static final long LEASE_RETAKE_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** How long a vanished entry must stay gone before its vhost is removed, so {@code ln -sf} (unlink, then symlink) does not blink. */
    private static final long REMOVAL_CONFIRM_MILLIS = 50;
    /**
     * A refused file modified this recently may still be being written, and a later write within the
     * kernel's timestamp granularity would not change its identity: it is tried again on every rescan.
     */
    private static final long SETTLING_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** {@code .next.NAME} names the file NAME is about to be switched to (see {@link Prepared}). */
    static final String NEXT_PREFIX = ".next.";

    private final Path directory;
    private final ErrorLog log;
    private final Duration rescanInterval;
    private final Map<String, Refusal> refused = new HashMap<>();
    private final Set<String> reportedDuplicates = new HashSet<>();
    /** Replacements whose bodies are being verified before they go live, by vhost. */
    private final Map<String, SiteGeneration> pending = new HashMap<>();
    /** Files of {@code .next.NAME} entries, opened and verified ahead of a switch, by vhost. */
    private final Map<String, Prepared> prepared = new HashMap<>();
    private final ConcurrentLinkedQueue<SiteGeneration> drained = new ConcurrentLinkedQueue<>();
    private final ExecutorService verifier = Executors.newCachedThreadPool(new VerifierThreads());
    private final SiteGeneration.Listener listener = new SiteGeneration.Listener() {
        @Override
        public void drained(SiteGeneration generation) {
            drainedWhileServing(generation);
        }

        @Override
        public void damaged(SiteGeneration generation, int representation, String problem) {
            bodyDamaged(generation, problem);
        }

        @Override
        public void hpackDamaged(SiteGeneration generation, int representation, String problem) {
            if (table.byName().get(generation.site()) == generation) {
                log.log("vhost " + generation.site() + ": " + generation.file() + ": " + problem
                        + "; HTTP/2 responses carry the fields converted from the header block instead");
            }
        }
    };
    /** Null until set up off the start-up path (loading JNA takes about 0.2 s), and when read leases cannot be used here. */
    private volatile ReadLeases leases;
    private final Runnable onLeaseBreak = this::leaseBroken;
    /** Generations holding a read lease, retired ones included until they drain. */
    private final Set<SiteGeneration> leased = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** When a writer last broke the lease on a file, by file. */
    private final Map<Path, Long> leaseBrokenAt = new java.util.concurrent.ConcurrentHashMap<>();
    private boolean leaseFailureLogged;
    /** Waits, until a deadline (nanoTime), for bytes sent from file pages by reference to be delivered; true when they were. */
    private volatile LongPredicate filePagesDelivered = deadline -> true;
    private volatile HostTable table = HostTable.EMPTY;
    /** Per vhost: replacements published and files refused, since start (guarded by this). */
    private final Map<String, long[]> counts = new TreeMap<>();
    private final java.util.concurrent.atomic.AtomicInteger mapped = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean closed;
    private boolean listingFailed;
    /** Null until the first scan is done. */
    private volatile DirectoryWatcher watcher;

    /** Why a vhost's file was refused; {@code retry}: it could not be read at all or may still be being written, so it is tried on every rescan. */
    private record Refusal(Identity identity, String problem, boolean retry) {}

    /**
     * The entries of the vhosts directory by vhost name, the {@code .next.NAME} entries by the vhost
     * name they prepare, and the directories in it (ignored) by lowercased name.
     */
    private record Listing(Map<String, Path> entries, Map<String, Path> next, Map<String, Path> directories) {}

    /**
     * A file opened from a {@code .next.NAME} entry ahead of a switch: verified on a verifier thread
     * while NAME keeps serving, so that when NAME is switched to this very file (same identity) it goes
     * live in the rescan that sees the switch. {@code problem} is set when it failed its verification
     * (the generation is then already retired); {@code verified} once it passed.
     */
    private static final class Prepared {
        final SiteGeneration generation;
        final String loaded;
        volatile boolean verified;
        volatile String problem;

        Prepared(SiteGeneration generation, String loaded) {
            this.generation = generation;
            this.loaded = loaded;
        }
    }

    /**
     * Verifier threads run at nice {@value #VERIFIER_NICE}: hashing a site's bodies then takes the CPU
     * only as far as serving leaves it, from the first response after start-up on. Bodies not verified yet are hashed when first requested, so serving never
     * waits for the background pass; a replacement waits for it, longer under full load.
     */
    private static final class VerifierThreads implements ThreadFactory {
        private static final int VERIFIER_NICE = 10;
        private static final int PRIO_PROCESS = 0;
        private final ThreadFactory platform = Thread.ofPlatform().name("webroot-verifier-", 1).daemon().factory();

        @Override
        public Thread newThread(Runnable job) {
            return platform.newThread(() -> {
                try {
                    // Linux applies it to the calling thread alone.
                    LibC.callInt("setpriority", LibC.function("setpriority"), PRIO_PROCESS, 0, VERIFIER_NICE, 0, 0);
                } catch (RuntimeException | LinkageError e) {
                    // Not Linux, or not allowed: the thread runs at the process's priority.
                }
                job.run();
            });
        }
    }

    private VhostRegistry(Path directory, ErrorLog log, Duration rescanInterval) {
        this.directory = directory;
        this.log = log;
        this.rescanInterval = rescanInterval;
    }

    /** Sets up read leases and takes them on the generations already served; runs on a verifier thread. */
    private void startLeasing() {
        ReadLeases available;
        try {
            available = ReadLeases.get();
        } catch (RuntimeException e) {
            log.log("no read leases on webroot files (" + e.getMessage() + "); a file written in place is retired within"
                    + " tens of milliseconds of the change instead of before it");
            return;
        }
        synchronized (this) {
            if (closed) {
                return;
            }
            available.addListener(onLeaseBreak);
            leases = available;
            for (SiteGeneration generation : table.byName().values()) {
                if (generation.inService()) {
                    takeLease(generation);
                }
            }
        }
    }

    /**
     * Loads every site of a vhosts directory and starts watching it.
     *
     * @throws IOException when the directory is missing, not a directory, or unreadable
     */
    public static VhostRegistry open(Path directory, ErrorLog log, Duration rescanInterval) throws IOException {
        Path absolute = directory.toAbsolutePath().normalize();
        if (!Files.isDirectory(absolute)) {
            throw new IOException("vhosts directory " + absolute
                    + (Files.exists(absolute) ? " is not a directory" : " does not exist"));
        }
        if (!Files.isReadable(absolute) || !Files.isExecutable(absolute)) {
            throw new IOException("vhosts directory " + absolute + " is not readable");
        }
        try (DirectoryStream<Path> probe = Files.newDirectoryStream(absolute)) {
            probe.iterator().hasNext();
        }
        VhostRegistry registry = new VhostRegistry(absolute, log, rescanInterval);
        registry.rescan();
        registry.startWatching();
        registry.submit(registry::startLeasing);
        return registry;
    }

    @Override
    public Generation acquire(byte[] host, int offset, int length) {
        for (;;) {
            SiteGeneration site = table.find(host, offset, length);
            if (site == null) {
                return null;
            }
            if (!site.inService()) {
                return OUT_OF_SERVICE;
            }
            if (site.tryRetain()) {
                return site;
            }
            // Drained between the read and the retain: a newer table was published before it was retired.
        }
    }

    @Override
    public String siteName(byte[] host, int offset, int length) {
        SiteGeneration site = table.find(host, offset, length);
        return site == null ? null : site.site();
    }

    /**
     * One vhost as the admin endpoints show it. {@code file}, {@code entries} and {@code loadedAt}
     * are those of the generation being served (null, -1, null when none is); {@code contentId} is
     * the SHA-256 of its index (see {@code SiteGeneration.contentId}), when asked for.
     */
    public record VhostStatus(String name, Path file, String contentId, int entries, java.time.Instant loadedAt,
            boolean inService, long swaps, long refusals, Next next) {}

    /** The file a {@code .next.NAME} entry prepares and how far it got: {@code verifying}, {@code verified} or {@code refused}. */
    public record Next(Path file, String state) {}

    /**
     * Every vhost served now or refused since start, sorted by name. Hashing indexes for
     * {@code withContentId} happens outside the registry's lock, once per generation.
     */
    public List<VhostStatus> status(boolean withContentId) {
        Map<String, SiteGeneration> served;
        Map<String, long[]> counted = new TreeMap<>();
        Map<String, Next> nextFiles = new HashMap<>();
        synchronized (this) {
            served = table.byName();
            counts.forEach((name, c) -> counted.put(name, c.clone()));
            prepared.forEach((name, ready) -> nextFiles.put(name, new Next(ready.generation.file(),
                    ready.problem != null ? "refused" : ready.verified ? "verified" : "verifying")));
        }
        Set<String> names = new java.util.TreeSet<>(served.keySet());
        names.addAll(counted.keySet());
        names.addAll(nextFiles.keySet());
        List<VhostStatus> result = new ArrayList<>();
        for (String name : names) {
            SiteGeneration g = served.get(name);
            long[] c = counted.getOrDefault(name, new long[2]);
            boolean inService = g != null && g.inService();
            result.add(new VhostStatus(name, g == null ? null : g.file(), inService && withContentId ? g.contentId() : null,
                    inService ? g.webroot().entryCount() : -1, inService ? g.loadedAt() : null, inService, c[0], c[1],
                    nextFiles.get(name)));
        }
        return result;
    }

    /** Webroot files mapped now: served generations, replacements being verified, and retired ones still in use. */
    public int mappedGenerations() {
        return mapped.get();
    }

    private void count(String name, int which) {
        counts.computeIfAbsent(name, n -> new long[2])[which]++;
    }

    /** The vhost names currently served, sorted. */
    public List<String> names() {
        return new ArrayList<>(new TreeMap<>(table.byName()).keySet());
    }

    public Path directory() {
        return directory;
    }

    private void startWatching() {
        DirectoryWatcher started = new DirectoryWatcher("vhost-watcher", "vhosts directory", directory, rescanInterval, log,
                this::rescan);
        synchronized (this) {
            watcher = started;
            updateWatches();
        }
        started.start();
    }

    /** Brings the table in line with the directory; runs on the watcher thread (and in tests). */
    synchronized void rescan() {
        closeDrained();
        if (closed) {
            return;
        }
        Listing listed;
        try {
            listed = list();
            if (listingFailed) {
                log.log("vhosts directory " + directory + " is readable again");
                listingFailed = false;
            }
        } catch (IOException e) {
            if (!listingFailed) {
                log.log("cannot list vhosts directory " + directory + ": " + reason(e) + "; keeping the current sites");
                listingFailed = true;
            }
            return;
        }
        Map<String, SiteGeneration> next = new HashMap<>(table.byName());
        List<SiteGeneration> retired = new ArrayList<>();
        List<SiteGeneration> added = new ArrayList<>();
        boolean changed = retireChangedInPlace(next, retired);
        for (Map.Entry<String, Path> entry : listed.entries().entrySet()) {
            changed |= load(entry.getKey(), entry.getValue(), next, added, retired);
        }
        Set<String> vanished = new HashSet<>(next.keySet());
        vanished.removeAll(listed.entries().keySet());
        for (String name : confirmGone(vanished)) {
            retired.add(next.remove(name));
            Path nowDirectory = listed.directories().get(name);
            log.log("vhost " + name + ": removed" + (nowDirectory == null ? ""
                    : " (" + nowDirectory + " is now a directory, and directories are ignored)"));
            changed = true;
        }
        for (String name : new ArrayList<>(pending.keySet())) {
            if (!listed.entries().containsKey(name)) {
                cancelPending(name);
            }
        }
        refused.keySet().retainAll(listed.entries().keySet());
        if (changed) {
            publish(next, retired);
        }
        prepare(listed.next());
        for (SiteGeneration generation : added) {
            verifyInBackground(generation);
        }
        // Also those published without one (taken too soon after a break, or while a writer had the file open).
        for (SiteGeneration generation : table.byName().values()) {
            if (generation.inService()) {
                takeLease(generation);
            }
        }
        updateWatches();
        closeDrained();
    }

    private void publish(Map<String, SiteGeneration> next, List<SiteGeneration> retired) {
        table = new HostTable(next);
        for (SiteGeneration old : retired) {
            old.retire();
        }
    }

    /**
     * Retires every live generation whose file was changed in place (same inode, other size or
     * modification time): its mapping may no longer hold what was validated. A file renamed over or
     * deleted leaves the mapped inode intact and is not a change in place.
     */
    private boolean retireChangedInPlace(Map<String, SiteGeneration> next, List<SiteGeneration> retired) {
        boolean changed = false;
        for (Map.Entry<String, SiteGeneration> entry : next.entrySet()) {
            SiteGeneration generation = entry.getValue();
            if (!generation.inService()) {
                continue;
            }
            Identity was = generation.identity();
            Identity now = Identity.of(generation.file());
            if (now == null || !Objects.equals(now.fileKey(), was.fileKey()) || now.equals(was)) {
                continue;
            }
            entry.setValue(SiteGeneration.outOfService(entry.getKey(), generation.file()));
            retired.add(generation);
            changed = true;
            log.log("vhost " + entry.getKey() + ": " + generation.file() + " was changed in place ("
                    + (now.size() == was.size() ? "modified, " + now.size() + " bytes" : was.size() + " -> " + now.size() + " bytes")
                    + "); stopped serving it, answering 503 until the file validates again");
        }
        return changed;
    }

    /**
     * Looks at one entry: a vhost with nothing to serve gets a new generation in {@code next} at once
     * (and into {@code added}, for background verification); a replacement starts its verification and
     * goes live when that succeeds. Returns whether {@code next} changed.
     */
    private boolean load(String name, Path entry, Map<String, SiteGeneration> next, List<SiteGeneration> added,
            List<SiteGeneration> retired) {
        SiteGeneration current = next.get(name);
        Path target = resolve(entry);
        Identity identity = target == null ? null : Identity.of(target);
        if (identity == null) {
            cancelPending(name);
            refuse(name, Identity.UNREADABLE, current,
                    entry + ": not a regular file or a symlink to one (dangling link?)", false);
            return false;
        }
        if (current != null && current.identity().equals(identity)) {
            cancelPending(name);
            return false;
        }
        SiteGeneration candidate = pending.get(name);
        if (candidate != null) {
            if (candidate.identity().equals(identity)) {
                return false;
            }
            cancelPending(name);
        }
        if (identity.size() == 0) {
            // An empty file is how a site is taken out of service on purpose (a fleet agent catching up).
            cancelPending(name);
            refused.remove(name);
            next.put(name, SiteGeneration.outOfService(name, target, identity));
            if (current != null) {
                retired.add(current);
            }
            log.log("vhost " + name + ": out of service (" + target + " is empty); answering 503");
            return true;
        }
        Prepared ready = prepared.get(name);
        if (ready != null && ready.generation.identity().equals(identity)) {
            prepared.remove(name);
            return switchToPrepared(name, ready, current, next, retired);
        }
        Refusal refusal = refused.get(name);
        if (refusal != null && refusal.identity().equals(identity) && !refusal.retry()) {
            return false;
        }
        if (writerLetThroughRecently(target)) {
            return false;
        }
        Webroot webroot;
        try {
            webroot = Webroot.open(target);
        } catch (WebrootFormatException e) {
            refuse(name, identity, current, e.getMessage(), mayStillBeWritten(identity));
            return false;
        } catch (IOException e) {
            refuse(name, identity, current, target + ": " + reason(e), true);
            return false;
        } catch (RuntimeException | Error e) {
            refuse(name, identity, current, target + ": " + e, mayStillBeWritten(identity));
            return false;
        }
        mapped.incrementAndGet();
        refused.remove(name);
        SiteGeneration generation = new SiteGeneration(name, webroot, identity, listener);
        String loaded = target + ", " + webroot.entryCount() + " entries";
        if (current == null) {
            next.put(name, generation);
            added.add(generation);
            log.log("vhost " + name + ": added (" + loaded + "; bodies are verified in the background)");
            return true;
        }
        pending.put(name, generation);
        boolean wasServing = current.inService();
        long started = System.nanoTime();
        submit(() -> verifyBeforeServing(name, generation, loaded, wasServing, started));
        return false;
    }

    /** Runs on a verifier thread: hashes every body of a replacement, then publishes or refuses it. */
    private void verifyBeforeServing(String name, SiteGeneration candidate, String loaded, boolean wasServing, long started) {
        int damaged = verifyHolding(candidate);
        synchronized (this) {
            if (closed || pending.get(name) != candidate) {
                candidate.retire();
                return;
            }
            pending.remove(name);
            SiteGeneration current = table.byName().get(name);
            if (damaged != 0) {
                candidate.retire();
                String problem = candidate.firstDamage() != null ? candidate.firstDamage() : "its bodies could not be verified";
                refuse(name, candidate.identity(), current, candidate.file() + ": " + problem
                        + (damaged > 1 ? " (and " + (damaged - 1) + " more)" : ""), mayStillBeWritten(candidate.identity()));
                return;
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            log.log("vhost " + name + ": " + (wasServing ? "replaced (" + loaded : "serving again (" + loaded + "; a new generation")
                    + ", bodies verified in " + millis + " ms)");
            takeLease(candidate);
            if (!candidate.identity().equals(Identity.of(candidate.file()))) {
                // Written since it was opened, before the lease: what was verified is not what the file holds.
                // The write's events, or the next rescan, open it again.
                candidate.retire();
                return;
            }
            count(name, 0);
            Map<String, SiteGeneration> next = new HashMap<>(table.byName());
            SiteGeneration old = next.put(name, candidate);
            publish(next, old == null ? List.of() : List.of(old));
            updateWatches();
        }
    }

    /**
     * NAME now leads to the file a {@code .next.NAME} entry prepared: verified, it goes live in this
     * rescan; still being verified, it becomes the pending replacement; refused, it is refused again
     * without a second verification.
     */
    private boolean switchToPrepared(String name, Prepared ready, SiteGeneration current, Map<String, SiteGeneration> next,
            List<SiteGeneration> retired) {
        SiteGeneration candidate = ready.generation;
        if (ready.problem != null) {
            refuse(name, candidate.identity(), current, ready.problem, mayStillBeWritten(candidate.identity()));
            return false;
        }
        refused.remove(name);
        if (!ready.verified) {
            pending.put(name, candidate);
            return false;
        }
        boolean wasServing = current != null && current.inService();
        log.log("vhost " + name + ": " + (current == null ? "added (" : wasServing ? "replaced (" : "serving again (")
                + ready.loaded + ", prepared and verified ahead)");
        count(name, 0);
        next.put(name, candidate);
        if (current != null) {
            retired.add(current);
        }
        return true;
    }

    /**
     * Opens the file of every {@code .next.NAME} entry not opened yet and verifies it in the
     * background; gives up prepared files whose entry is gone or leads elsewhere (a file NAME already
     * serves is not prepared again).
     */
    private void prepare(Map<String, Path> nextEntries) {
        for (String name : new ArrayList<>(prepared.keySet())) {
            Path entry = nextEntries.get(name);
            Path target = entry == null ? null : resolve(entry);
            Identity identity = target == null ? null : Identity.of(target);
            Prepared ready = prepared.get(name);
            if (identity == null || !identity.equals(ready.generation.identity())) {
                prepared.remove(name);
                ready.generation.retire();
            }
        }
        for (Map.Entry<String, Path> entry : nextEntries.entrySet()) {
            String name = entry.getKey();
            if (prepared.containsKey(name)) {
                continue;
            }
            Path target = resolve(entry.getValue());
            Identity identity = target == null ? null : Identity.of(target);
            SiteGeneration current = table.byName().get(name);
            SiteGeneration candidate = pending.get(name);
            if (identity == null || identity.size() == 0 || current != null && current.identity().equals(identity)
                    || candidate != null && candidate.identity().equals(identity)) {
                continue;
            }
            Webroot webroot;
            try {
                webroot = Webroot.open(target);
            } catch (IOException | RuntimeException | Error e) {
                // Refused for good when NAME is switched to it: the switch then opens it again and says why.
                continue;
            }
            mapped.incrementAndGet();
            Prepared ready = new Prepared(new SiteGeneration(name, webroot, identity, listener),
                    target + ", " + webroot.entryCount() + " entries");
            prepared.put(name, ready);
            long started = System.nanoTime();
            submit(() -> verifyPrepared(name, ready, started));
        }
    }

    /** Runs on a verifier thread: hashes a prepared file's bodies; if NAME was switched to it meanwhile, publishes or refuses it. */
    private void verifyPrepared(String name, Prepared ready, long started) {
        SiteGeneration candidate = ready.generation;
        int damaged = verifyHolding(candidate);
        synchronized (this) {
            if (damaged == 0) {
                ready.verified = true;
                log.log("vhost " + name + ": prepared " + ready.loaded + " (bodies verified in "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms); it goes live when " + name
                        + " is switched to it");
            } else {
                String problem = candidate.firstDamage() != null ? candidate.firstDamage() : "its bodies could not be verified";
                ready.problem = candidate.file() + ": " + problem + (damaged > 1 ? " (and " + (damaged - 1) + " more)" : "");
                if (prepared.get(name) == ready) {
                    log.log("vhost " + name + ": " + NEXT_PREFIX + name + " leads to a file that will be refused: " + ready.problem);
                }
            }
            if (closed || pending.get(name) != candidate) {
                if (damaged != 0) {
                    candidate.retire();
                }
                return;
            }
            // NAME was switched to it while it was being verified: finish as a replacement would.
            pending.remove(name);
            SiteGeneration current = table.byName().get(name);
            if (damaged != 0) {
                candidate.retire();
                refuse(name, candidate.identity(), current, ready.problem, mayStillBeWritten(candidate.identity()));
                return;
            }
            boolean wasServing = current != null && current.inService();
            log.log("vhost " + name + ": " + (wasServing ? "replaced (" : "serving again (") + ready.loaded
                    + ", prepared ahead, bodies verified in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms)");
            takeLease(candidate);
            count(name, 0);
            Map<String, SiteGeneration> next = new HashMap<>(table.byName());
            SiteGeneration old = next.put(name, candidate);
            publish(next, old == null ? List.of() : List.of(old));
            updateWatches();
        }
    }

    /**
     * Checks the remaining bodies and HPACK fragments of a live generation in the background; each damaged body is logged
     * (once) and answered 503, each wrong fragment logged (once) and replaced by its block's conversion.
     */
    private void verifyInBackground(SiteGeneration generation) {
        submit(() -> verifyHolding(generation));
    }

    /** Verifies every body and HPACK fragment while holding the generation, so it stays mapped; -1 if it was retired (or unmapped) meanwhile. */
    private static int verifyHolding(SiteGeneration generation) {
        if (!generation.tryRetain()) {
            return -1;
        }
        try {
            return generation.verifyRepresentations();
        } catch (RuntimeException | Error e) {
            // Unmapped under it, the file shrank under the mapping (which the next rescan sees), or
            // anything else: the generation is then refused rather than left pending for good.
            return -1;
        } finally {
            generation.release();
        }
    }

    private void submit(Runnable job) {
        try {
            verifier.execute(job);
        } catch (RejectedExecutionException e) {
            // Closing: the verification is no longer wanted.
        }
    }

    private void bodyDamaged(SiteGeneration generation, String problem) {
        if (table.byName().get(generation.site()) == generation) {
            log.log("vhost " + generation.site() + ": " + generation.file() + ": " + problem + "; answering 503 for it");
        }
    }

    /** Whether a writer broke the lease on this file less than {@link #LEASE_RETAKE_NANOS} ago. */
    private boolean writerLetThroughRecently(Path file) {
        Long broken = leaseBrokenAt.get(file);
        return broken != null && System.nanoTime() - broken < LEASE_RETAKE_NANOS;
    }

    /** Takes a read lease on a generation's file, so that a writer waits until the generation is retired. */
    private void takeLease(SiteGeneration generation) {
        ReadLeases leases = this.leases;
        if (leases == null || generation.leaseFd() >= 0) {
            return;
        }
        Long broken = leaseBrokenAt.get(generation.file());
        if (broken != null) {
            if (System.nanoTime() - broken < LEASE_RETAKE_NANOS) {
                return;
            }
            leaseBrokenAt.remove(generation.file());
        }
        try {
            generation.leased(leases.take(generation.file()));
            leased.add(generation);
        } catch (NativeCallException e) {
            if (!leaseFailureLogged) {
                leaseFailureLogged = true;
                log.log("vhost " + generation.site() + ": no read lease on " + generation.file() + " (" + ReadLeases.reason(e)
                        + "); a file written in place is retired within tens of milliseconds of the change instead of before it");
            }
        }
    }

    /**
     * On SIGIO: every generation whose lease a writer is breaking is retired at once (its vhost answers
     * 503), its in-flight responses are given {@link #LEASE_DRAIN_MILLIS} to finish, then the lease is
     * released and the writer goes on. The file is opened again as a new generation once it validates.
     */
    private void leaseBroken() {
        ReadLeases leases = this.leases;
        List<SiteGeneration> breaking = new ArrayList<>();
        for (SiteGeneration generation : leased) {
            int fd = generation.leaseFd();
            if (fd >= 0 && leases.breaking(fd)) {
                breaking.add(generation);
            }
        }
        if (breaking.isEmpty()) {
            return;
        }
        try {
            retireBreaking(breaking);
        } finally {
            // Whatever went wrong above, the writer is let go: a held lease blocks its open.
            for (SiteGeneration generation : breaking) {
                releaseLease(generation);
            }
        }
        // Look again once the file may be opened and leased again: a writer that gave up (GNU truncate
        // opens non-blocking and fails with EAGAIN) changes nothing and sends no event, and the unchanged
        // file is then served again without waiting for the timer.
        submit(() -> {
            try {
                Thread.sleep(TimeUnit.NANOSECONDS.toMillis(LEASE_RETAKE_NANOS) + LEASE_RESCAN_DELAY_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            if (!closed) {
                rescan();
            }
        });
    }

    /**
     * Sets how a writer breaking a lease waits, after the retired generation's responses finished,
     * for their bytes to leave the sockets: with sendfile the sockets queue the file's pages
     * themselves, and an in-place write would change what is still queued.
     */
    public void awaitFilePagesDeliveredBy(LongPredicate delivered) {
        filePagesDelivered = delivered;
    }

    /** Takes the generations whose lease is breaking out of service and waits, bounded, for their responses. */
    private void retireBreaking(List<SiteGeneration> breaking) {
        for (SiteGeneration generation : breaking) {
            leaseBrokenAt.put(generation.file(), System.nanoTime());
        }
        synchronized (this) {
            if (!closed) {
                Map<String, SiteGeneration> next = new HashMap<>(table.byName());
                List<SiteGeneration> retired = new ArrayList<>();
                for (SiteGeneration generation : breaking) {
                    if (next.get(generation.site()) == generation) {
                        next.put(generation.site(), SiteGeneration.outOfService(generation.site(), generation.file()));
                        retired.add(generation);
                        log.log("vhost " + generation.site() + ": " + generation.file() + " is being opened for writing;"
                                + " stopped serving it, answering 503 until the file validates again");
                    }
                }
                if (!retired.isEmpty()) {
                    publish(next, retired);
                }
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LEASE_DRAIN_MILLIS);
        for (SiteGeneration generation : breaking) {
            while (generation.holds() > 0 && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        if (!filePagesDelivered.test(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LEASE_DELIVERY_MILLIS))) {
            for (SiteGeneration generation : breaking) {
                log.log("vhost " + generation.site() + ": letting the writer of " + generation.file() + " go on while bytes"
                        + " sent from it may still be queued in sockets (not delivered within " + LEASE_DELIVERY_MILLIS + " ms)");
            }
        }
    }

    private void releaseLease(SiteGeneration generation) {
        int fd = generation.takeLease();
        if (fd >= 0) {
            leases.release(fd);
        }
        leased.remove(generation);
    }

    private static boolean mayStillBeWritten(Identity identity) {
        long nowNanos = TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis());
        return nowNanos - identity.modifiedNanos() < SETTLING_NANOS;
    }

    private void cancelPending(String name) {
        SiteGeneration candidate = pending.remove(name);
        if (candidate != null) {
            candidate.retire();
        }
    }

    private void refuse(String name, Identity identity, SiteGeneration current, String problem, boolean retry) {
        Refusal previous = refused.put(name, new Refusal(identity, problem, retry));
        if (previous != null && previous.identity().equals(identity) && previous.problem().equals(problem)) {
            return;
        }
        count(name, 1);
        log.log("vhost " + name + ": refused: " + problem + "; " + (current == null ? "not serving it"
                : current.inService() ? "still serving " + current.file() : "still answering 503"));
    }

    /** Watches the directories of the files being served and verified, so that a change in place wakes the watcher. */
    private void updateWatches() {
        if (watcher == null) {
            return;
        }
        Set<Path> wanted = new HashSet<>();
        for (SiteGeneration generation : table.byName().values()) {
            wanted.add(generation.file().getParent());
        }
        for (SiteGeneration candidate : pending.values()) {
            wanted.add(candidate.file().getParent());
        }
        watcher.watchAlso(wanted);
    }

    private Listing list() throws IOException {
        Map<String, Path> listed = new TreeMap<>();
        Map<String, Path> next = new HashMap<>();
        Map<String, Path> directories = new HashMap<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            List<Path> sorted = new ArrayList<>();
            entries.forEach(sorted::add);
            sorted.sort(null);
            for (Path entry : sorted) {
                String fileName = entry.getFileName().toString();
                if (fileName.startsWith(NEXT_PREFIX) && fileName.length() > NEXT_PREFIX.length()
                        && !Files.isDirectory(entry)) {
                    next.putIfAbsent(fileName.substring(NEXT_PREFIX.length()).toLowerCase(Locale.ROOT), entry);
                    continue;
                }
                if (fileName.startsWith(".")) {
                    continue;
                }
                String name = fileName.toLowerCase(Locale.ROOT);
                if (Files.isDirectory(entry)) {
                    directories.put(name, entry);
                    continue;
                }
                Path previous = listed.putIfAbsent(name, entry);
                if (previous != null && reportedDuplicates.add(fileName)) {
                    log.log("vhost " + name + ": ignoring " + entry + ", the same host as " + previous);
                }
            }
        }
        return new Listing(listed, next, directories);
    }

    /** The reason an I/O operation failed, in words (the JDK's message for a refused path is only the path). */
    static String reason(Exception e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof NotDirectoryException) {
            return "not a directory";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    /** Tolerates a non-atomic replacement (unlink, then create) by looking again a moment later. */
    private Set<String> confirmGone(Set<String> vanished) {
        if (vanished.isEmpty()) {
            return vanished;
        }
        try {
            Thread.sleep(REMOVAL_CONFIRM_MILLIS);
            vanished.removeAll(list().entries().keySet());
            return vanished;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Set.of();
        } catch (IOException e) {
            return Set.of();
        }
    }

    /** The file an entry leads to, so that logs name the deployed file rather than the link; null if it leads nowhere. */
    private static Path resolve(Path entry) {
        try {
            return entry.toRealPath();
        } catch (IOException e) {
            return null;
        }
    }

    /** Unmaps at once on the watcher thread (or when closed); from a serving or verifier thread, at the next rescan. */
    private void drainedWhileServing(SiteGeneration generation) {
        DirectoryWatcher current = watcher;
        if (closed || current != null && current.onWatcherThread()) {
            unmap(generation);
        } else {
            drained.add(generation);
        }
    }

    private void closeDrained() {
        for (int pending = drained.size(); pending > 0; pending--) {
            SiteGeneration generation = drained.poll();
            if (generation == null) {
                return;
            }
            unmap(generation);
        }
    }

    private void unmap(SiteGeneration generation) {
        if (leases != null) {
            releaseLease(generation);
        }
        try {
            generation.webroot().close();
            mapped.decrementAndGet();
        } catch (IllegalStateException e) {
            // A driver still has the mapping inside an I/O call although every hold was released; try again later.
            if (generation.markUnmapRetry()) {
                log.log("vhost " + generation.site() + ": " + generation.webroot().file()
                        + " is still in use by an I/O operation; unmapping it later (" + e.getMessage() + ")");
            }
            if (!closed) {
                drained.add(generation);
            }
        } catch (IOException | RuntimeException e) {
            log.log("vhost " + generation.site() + ": could not unmap " + generation.webroot().file() + ": " + e);
        }
    }

    /** Stops watching and releases the registry's holds; generations still in use unmap when released. */
    @Override
    public void close() {
        closed = true;
        DirectoryWatcher current = watcher;
        if (current != null) {
            current.close();
        }
        synchronized (this) {
            HostTable last = table;
            table = HostTable.EMPTY;
            for (SiteGeneration generation : last.byName().values()) {
                generation.retire();
            }
            for (String name : new ArrayList<>(pending.keySet())) {
                cancelPending(name);
            }
            prepared.values().forEach(ready -> ready.generation.retire());
            prepared.clear();
            closeDrained();
        }
        verifier.shutdown();
        synchronized (this) {
            if (leases != null) {
                leases.removeListener(onLeaseBreak);
            }
        }
    }

    /** For tests: whether the current generation of a vhost holds a read lease. */
    boolean leased(String name) {
        SiteGeneration generation = table.byName().get(name);
        return generation != null && generation.leaseFd() >= 0;
    }

    /** For tests: how many holds the current generation of a vhost has (the registry's own included). */
    int holds(String name) {
        SiteGeneration generation = table.byName().get(name);
        return generation == null ? 0 : generation.holds();
    }
}
