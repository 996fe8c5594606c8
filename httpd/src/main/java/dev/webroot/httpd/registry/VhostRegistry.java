package dev.webroot.httpd.registry;

import dev.webroot.format.Webroot;
import dev.webroot.httpd.core.Generation;
import dev.webroot.httpd.core.Sites;
import dev.webroot.httpd.log.ErrorLog;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * The vhosts directory as a set of sites. Every entry (a webroot file or a symlink to one) is a vhost
 * named after the entry, lowercased; {@code __default__} answers unknown hosts; dot-names (the temp
 * links of {@code ln -s x .tmp && mv -T .tmp name}) and directories are ignored.
 *
 * <p>One background thread keeps it current: it wakes on directory events (inotify) and at least
 * every {@code rescanInterval}, then compares each entry's {@link Identity} with what is loaded, so a
 * replaced symlink, a file renamed over an entry, an added or a removed entry take effect even when
 * events were lost (OVERFLOW) or never sent. A file that fails validation is refused with one log
 * line and the previous generation keeps serving; it is retried only once its identity changes.
 *
 * <p>The request path ({@link #acquire}) reads one volatile table, hashes the host bytes and takes a
 * hold with a compare-and-set: no lock and no allocation. A replaced generation stays mapped until
 * its last hold is released; the background thread then unmaps it.
 */
public final class VhostRegistry implements Sites, AutoCloseable {
    /** How long a vanished entry must stay gone before its vhost is removed, so {@code ln -sf} (unlink, then symlink) does not blink. */
    private static final long REMOVAL_CONFIRM_MILLIS = 50;
    /** Events usually come in bursts (create temp, rename); collect the rest of a burst before rescanning. */
    private static final long EVENT_SETTLE_MILLIS = 10;

    private final Path directory;
    private final ErrorLog log;
    private final Duration rescanInterval;
    private final Map<String, Identity> refused = new HashMap<>();
    private final Set<String> reportedDuplicates = new HashSet<>();
    private final ConcurrentLinkedQueue<SiteGeneration> drained = new ConcurrentLinkedQueue<>();
    private volatile HostTable table = HostTable.EMPTY;
    private volatile boolean closed;
    private boolean listingFailed;
    private volatile WatchService watchService;
    private Thread watcher;

    private VhostRegistry(Path directory, ErrorLog log, Duration rescanInterval) {
        this.directory = directory;
        this.log = log;
        this.rescanInterval = rescanInterval;
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
        VhostRegistry registry = new VhostRegistry(absolute, log, rescanInterval);
        try (DirectoryStream<Path> probe = Files.newDirectoryStream(absolute)) {
            probe.iterator().hasNext();
        }
        registry.rescan();
        registry.startWatching();
        return registry;
    }

    @Override
    public Generation acquire(byte[] host, int offset, int length) {
        for (;;) {
            SiteGeneration site = table.find(host, offset, length);
            if (site == null) {
                return null;
            }
            if (site.tryRetain()) {
                return site;
            }
            // Drained between the read and the retain: a newer table was published before it was retired.
        }
    }

    /** The vhost names currently served, sorted. */
    public List<String> names() {
        return new ArrayList<>(new TreeMap<>(table.byName()).keySet());
    }

    public Path directory() {
        return directory;
    }

    private void startWatching() {
        try {
            watchService = directory.getFileSystem().newWatchService();
            directory.register(watchService, StandardWatchEventKinds.ENTRY_CREATE,
                    StandardWatchEventKinds.ENTRY_DELETE, StandardWatchEventKinds.ENTRY_MODIFY);
        } catch (IOException e) {
            log.log("cannot watch " + directory + " (" + e.getMessage() + "); checking it every "
                    + rescanInterval.toMillis() + " ms instead");
            watchService = null;
        }
        watcher = Thread.ofPlatform().name("vhost-watcher").daemon().start(this::watch);
    }

    private void watch() {
        while (!closed) {
            try {
                waitForChange();
                rescan();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                if (closed) {
                    return;
                }
            } catch (RuntimeException e) {
                log.log("vhost watcher: unexpected " + e + "; continuing");
            }
        }
    }

    /** Returns on a directory event (after its burst settles) or when the rescan interval elapses. */
    private void waitForChange() throws InterruptedException {
        if (watchService == null) {
            Thread.sleep(rescanInterval);
            return;
        }
        WatchKey key = watchService.poll(rescanInterval.toMillis(), TimeUnit.MILLISECONDS);
        while (key != null) {
            key.pollEvents();
            if (!key.reset()) {
                log.log("vhosts directory " + directory + " can no longer be watched; checking it every "
                        + rescanInterval.toMillis() + " ms instead");
                closeQuietly(watchService);
                watchService = null;
                return;
            }
            key = watchService.poll(EVENT_SETTLE_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** Brings the table in line with the directory; runs on the watcher thread (and in tests). */
    synchronized void rescan() {
        closeDrained();
        if (closed) {
            return;
        }
        Map<String, Path> listed;
        try {
            listed = list();
            if (listingFailed) {
                log.log("vhosts directory " + directory + " is readable again");
                listingFailed = false;
            }
        } catch (IOException e) {
            if (!listingFailed) {
                log.log("cannot list vhosts directory " + directory + " (" + e.getMessage()
                        + "); keeping the current sites");
                listingFailed = true;
            }
            return;
        }
        Map<String, SiteGeneration> next = new HashMap<>(table.byName());
        List<SiteGeneration> retired = new ArrayList<>();
        boolean changed = false;
        for (Map.Entry<String, Path> entry : listed.entrySet()) {
            changed |= load(entry.getKey(), entry.getValue(), next, retired);
        }
        Set<String> vanished = new HashSet<>(next.keySet());
        vanished.removeAll(listed.keySet());
        for (String name : confirmGone(vanished)) {
            retired.add(next.remove(name));
            log.log("vhost " + name + ": removed");
            changed = true;
        }
        refused.keySet().retainAll(listed.keySet());
        if (changed) {
            table = new HostTable(next);
            for (SiteGeneration old : retired) {
                old.retire();
            }
        }
        closeDrained();
    }

    /** Loads one entry if its identity is new; returns whether {@code next} changed. */
    private boolean load(String name, Path entry, Map<String, SiteGeneration> next, List<SiteGeneration> retired) {
        SiteGeneration current = next.get(name);
        Path target = resolve(entry);
        Identity identity = target == null ? null : Identity.of(target);
        if (identity == null) {
            refuse(name, Identity.UNREADABLE, current,
                    entry + ": not a regular file or a symlink to one (dangling link?)");
            return false;
        }
        if (current != null && current.identity().equals(identity) || identity.equals(refused.get(name))) {
            return false;
        }
        Webroot webroot;
        try {
            webroot = Webroot.open(target);
        } catch (IOException | RuntimeException e) {
            refuse(name, identity, current, e.getMessage() == null ? e.toString() : e.getMessage());
            return false;
        }
        refused.remove(name);
        next.put(name, new SiteGeneration(name, webroot, identity, this::drainedWhileServing));
        String loaded = target + ", " + webroot.entryCount() + " entries";
        if (current == null) {
            log.log("vhost " + name + ": added (" + loaded + ")");
        } else {
            retired.add(current);
            log.log("vhost " + name + ": replaced (" + loaded + ")");
        }
        return true;
    }

    private void refuse(String name, Identity identity, SiteGeneration current, String problem) {
        if (identity.equals(refused.put(name, identity))) {
            return;
        }
        log.log("vhost " + name + ": refused: " + problem + "; "
                + (current == null ? "not serving it" : "still serving " + current.webroot().file()));
    }

    private Map<String, Path> list() throws IOException {
        Map<String, Path> listed = new TreeMap<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            List<Path> sorted = new ArrayList<>();
            entries.forEach(sorted::add);
            sorted.sort(null);
            for (Path entry : sorted) {
                String fileName = entry.getFileName().toString();
                if (fileName.startsWith(".") || Files.isDirectory(entry)) {
                    continue;
                }
                String name = fileName.toLowerCase(Locale.ROOT);
                Path previous = listed.putIfAbsent(name, entry);
                if (previous != null && reportedDuplicates.add(fileName)) {
                    log.log("vhost " + name + ": ignoring " + entry + ", the same host as " + previous);
                }
            }
        }
        return listed;
    }

    /** Tolerates a non-atomic replacement (unlink, then create) by looking again a moment later. */
    private Set<String> confirmGone(Set<String> vanished) {
        if (vanished.isEmpty()) {
            return vanished;
        }
        try {
            Thread.sleep(REMOVAL_CONFIRM_MILLIS);
            vanished.removeAll(list().keySet());
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

    private void drainedWhileServing(SiteGeneration generation) {
        if (closed || Thread.currentThread() == watcher) {
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
        try {
            generation.webroot().close();
        } catch (IllegalStateException e) {
            // A driver still has the mapping inside an I/O call although every hold was released; try again later.
            if (generation.markUnmapRetry()) {
                log.log("vhost " + generation.vhost() + ": " + generation.webroot().file()
                        + " is still in use by an I/O operation; unmapping it later (" + e.getMessage() + ")");
            }
            if (!closed) {
                drained.add(generation);
            }
        } catch (IOException | RuntimeException e) {
            log.log("vhost " + generation.vhost() + ": could not unmap " + generation.webroot().file() + ": " + e);
        }
    }

    /** Stops watching and releases the registry's holds; generations still in use unmap when released. */
    @Override
    public void close() {
        closed = true;
        if (watcher != null) {
            watcher.interrupt();
            closeQuietly(watchService);
            try {
                watcher.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            HostTable last = table;
            table = HostTable.EMPTY;
            for (SiteGeneration generation : last.byName().values()) {
                generation.retire();
            }
            closeDrained();
        }
    }

    private static void closeQuietly(WatchService service) {
        if (service == null) {
            return;
        }
        try {
            service.close();
        } catch (IOException ignored) {
            // Closing only releases the inotify descriptor; nothing to recover.
        }
    }

    /** For tests: how many holds the current generation of a vhost has (the registry's own included). */
    int holds(String name) {
        SiteGeneration generation = table.byName().get(name);
        return generation == null ? 0 : generation.holds();
    }
}
