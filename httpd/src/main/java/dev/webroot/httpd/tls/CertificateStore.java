package dev.webroot.httpd.tls;

import dev.webroot.httpd.log.ErrorLog;
import dev.webroot.httpd.registry.DirectoryWatcher;
import dev.webroot.httpd.registry.Identity;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The TLS certificate directory: every {@code *.pem} file in it is a certificate chain (leaf first)
 * and its private key, indexed by the DNS names of the leaf's subjectAltName; {@code __default__.pem}
 * answers handshakes whose SNI name matches nothing, or that sent none. Dot-names (the temporary
 * files of a rename into place) and directories are ignored; symlinks are followed.
 *
 * <p>Like the vhost registry, one background thread keeps it current: it wakes on directory events
 * (inotify) and at least every {@code rescanInterval}, and compares each file's identity (file key,
 * size, modification time) with the loaded version. A file that cannot be served is refused with one
 * log line and its previous version, if any, keeps serving; it is read again only once its identity
 * changes (or, for a leaf not yet valid, once it becomes valid).
 *
 * <p>Handshakes read one volatile index. Every loaded version has its own alias, and replaced or
 * removed versions stay resolvable for {@link #RETIRED_RETENTION}, so a handshake that chose an alias
 * just before a reload still gets that version's chain and key together.
 */
public final class CertificateStore implements AutoCloseable {
    /** How long a replaced version stays resolvable by alias; JSSE asks for chain and key right after choosing. */
    static final Duration RETIRED_RETENTION = Duration.ofMinutes(1);
    /** A leaf expiring this soon is warned about at load and then once a day while it stays loaded. */
    static final Duration EXPIRY_WARNING = Duration.ofDays(14);
    private static final Duration EXPIRY_WARNING_REPEAT = Duration.ofDays(1);
    /** Far more than any chain and key; bounds what a stray file in the directory can make us read. */
    static final int MAX_FILE_BYTES = 1 << 20;
    /** How long a vanished file must stay gone before its certificate is dropped, so unlink-then-create does not blink. */
    private static final long REMOVAL_CONFIRM_MILLIS = 50;

    private record Refusal(Identity identity, Instant retryAt) {
    }

    private record Retired(LoadedCertificate certificate, Instant at) {
    }

    private final Path directory;
    private final ErrorLog log;
    private final Duration rescanInterval;
    private final InstantSource clock;
    private final SniKeyManager keyManager = new SniKeyManager(() -> this.index);
    private final Map<String, LoadedCertificate> loaded = new TreeMap<>();
    private final List<Retired> retired = new ArrayList<>();
    private final Map<String, Refusal> refused = new HashMap<>();
    private final Map<String, Identity> permissionWarned = new HashMap<>();
    private final Map<String, Instant> expiryWarned = new HashMap<>();
    private Set<String> reportedConflicts = Set.of();
    private long versions;
    private boolean listingFailed;
    private volatile CertificateIndex index = CertificateIndex.EMPTY;
    private volatile boolean closed;
    private DirectoryWatcher watcher;

    private CertificateStore(Path directory, ErrorLog log, Duration rescanInterval, InstantSource clock) {
        this.directory = directory;
        this.log = log;
        this.rescanInterval = rescanInterval;
        this.clock = clock;
    }

    /**
     * Loads every {@code *.pem} file of a directory (refusing bad ones with one log line each) and
     * starts watching it. The files are read before this returns, so before any privilege drop.
     *
     * @throws IOException only when the directory cannot be listed (missing, not a directory, unreadable)
     */
    public static CertificateStore open(Path directory, ErrorLog log, Duration rescanInterval) throws IOException {
        return open(directory, log, rescanInterval, InstantSource.system());
    }

    /** {@link #open(Path, ErrorLog, Duration)} with the clock that validity and expiry warnings read. */
    static CertificateStore open(Path directory, ErrorLog log, Duration rescanInterval, InstantSource clock)
            throws IOException {
        Path absolute = directory.toAbsolutePath().normalize();
        if (!Files.isDirectory(absolute)) {
            throw new IOException("certificate directory " + absolute
                    + (Files.exists(absolute) ? " is not a directory" : " does not exist"));
        }
        try (DirectoryStream<Path> probe = Files.newDirectoryStream(absolute)) {
            probe.iterator().hasNext();
        } catch (IOException e) {
            throw new IOException("certificate directory " + absolute + " cannot be listed (" + e.getMessage() + ")", e);
        }
        CertificateStore store = new CertificateStore(absolute, log, rescanInterval, clock);
        store.rescan();
        store.startWatching();
        return store;
    }

    /**
     * The key manager to build the server's SSLContext with: it picks the certificate by the
     * handshake's SNI host name, else {@code __default__.pem}, and answers no alias when there is none
     * or its key is not of the type asked for. The same instance follows every reload.
     */
    public X509ExtendedKeyManager keyManager() {
        return keyManager;
    }

    /**
     * Whether a handshake for this SNI host name would get a certificate: an exact subjectAltName, a
     * wildcard one ({@code *.example.com} matches one label more), or the default file.
     *
     * @param serverName lowercase ASCII host name, or null when the client sent no SNI
     */
    public boolean hasCertificateFor(String serverName) {
        return index.select(serverName) != null;
    }

    /** A loaded certificate file that names a host: its file name and its leaf. */
    public record Named(String fileName, X509Certificate leaf) {
        public Instant notBefore() {
            return leaf.getNotBefore().toInstant();
        }

        public Instant notAfter() {
            return leaf.getNotAfter().toInstant();
        }
    }

    /**
     * The file whose leaf names this host (exactly or by wildcard) as handshakes choose it, or null
     * when none does ({@code __default__.pem} names no host).
     */
    public Named namedCertificate(String serverName) {
        LoadedCertificate certificate = index.select(serverName);
        if (certificate == null || certificate.fileName().equals(CertificateIndex.DEFAULT_FILE)) {
            return null;
        }
        return new Named(certificate.fileName(), certificate.bundle().leaf());
    }

    /** The current snapshot, which the OpenSSL engine picks its per-certificate contexts from. */
    CertificateIndex index() {
        return index;
    }

    /** The number of certificate files loaded, {@code __default__.pem} included. */
    public int certificateCount() {
        return index.fileCount();
    }

    /** The host names indexed, sorted, wildcards as {@code *.example.com} ({@code __default__.pem} serves any other). */
    public List<String> names() {
        return index.names();
    }

    public Path directory() {
        return directory;
    }

    private void startWatching() {
        watcher = new DirectoryWatcher("certificate-watcher", "certificate directory", directory, rescanInterval, log,
                this::rescan);
        watcher.start();
    }

    /** Brings the index in line with the directory; runs on the watcher thread (and in tests). */
    synchronized void rescan() {
        if (closed) {
            return;
        }
        Instant now = clock.instant();
        Map<String, Path> listed;
        try {
            listed = list();
            if (listingFailed) {
                log.log("certificate directory " + directory + " is readable again");
                listingFailed = false;
            }
        } catch (IOException e) {
            if (!listingFailed) {
                log.log("cannot list certificate directory " + directory + " (" + e.getMessage()
                        + "); keeping the current certificates");
                listingFailed = true;
            }
            return;
        }
        boolean changed = false;
        for (Map.Entry<String, Path> entry : listed.entrySet()) {
            changed |= load(entry.getKey(), entry.getValue(), now);
        }
        Set<String> vanished = new HashSet<>(loaded.keySet());
        vanished.removeAll(listed.keySet());
        for (String fileName : confirmGone(vanished)) {
            retired.add(new Retired(loaded.remove(fileName), now));
            expiryWarned.remove(fileName);
            log.log("certificate " + fileName + " removed");
            changed = true;
        }
        refused.keySet().retainAll(listed.keySet());
        permissionWarned.keySet().retainAll(listed.keySet());
        changed |= retired.removeIf(old -> !old.at().plus(RETIRED_RETENTION).isAfter(now));
        if (changed) {
            publish();
        }
        warnOfExpiry(now);
    }

    private void publish() {
        List<LoadedCertificate> resolvable = new ArrayList<>();
        for (Retired old : retired) {
            resolvable.add(old.certificate());
        }
        CertificateIndex next = new CertificateIndex(loaded, resolvable);
        index = next;
        Set<String> conflicts = new HashSet<>(next.conflicts());
        for (String conflict : next.conflicts()) {
            if (!reportedConflicts.contains(conflict)) {
                log.log(conflict);
            }
        }
        reportedConflicts = conflicts;
    }

    /** Reads one file if its identity is new; returns whether {@link #loaded} changed. */
    private boolean load(String fileName, Path file, Instant now) {
        LoadedCertificate current = loaded.get(fileName);
        Identity identity = Identity.of(file);
        if (identity == null) {
            refuse(fileName, new Refusal(null, null), current, "not a regular file or a symlink to one (dangling link?)");
            return false;
        }
        if (current != null && current.identity().equals(identity)) {
            return false;
        }
        Refusal refusal = refused.get(fileName);
        if (refusal != null && identity.equals(refusal.identity())
                && (refusal.retryAt() == null || now.isBefore(refusal.retryAt()))) {
            return false;
        }
        warnIfKeyExposed(fileName, file, identity);
        PemBundle bundle;
        try {
            bundle = PemBundle.parse(read(file), now);
        } catch (InvalidBundleException e) {
            refuse(fileName, new Refusal(identity, e.retryAt()), current, e.getMessage());
            return false;
        }
        if (bundle.dnsNames().isEmpty() && !fileName.equals(CertificateIndex.DEFAULT_FILE)) {
            refuse(fileName, new Refusal(identity, null), current, "the leaf certificate has no DNS name in its "
                    + "subjectAltName (only " + CertificateIndex.DEFAULT_FILE + " may serve without one)");
            return false;
        }
        refused.remove(fileName);
        LoadedCertificate next = new LoadedCertificate(fileName, fileName + "#" + ++versions, identity, bundle, now);
        loaded.put(fileName, next);
        expiryWarned.remove(fileName);
        if (current != null) {
            retired.add(new Retired(current, now));
        }
        log.log("certificate " + fileName + (current == null ? " loaded" : " replaced") + ": names "
                + (bundle.dnsNames().isEmpty() ? "(none)" : String.join(", ", bundle.dnsNames()))
                + ", expires " + bundle.notAfter() + ", " + bundle.key().getAlgorithm() + " key, chain of "
                + bundle.chain().length);
        return true;
    }

    private static byte[] read(Path file) throws InvalidBundleException {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_FILE_BYTES + 1);
        } catch (IOException e) {
            throw new InvalidBundleException("cannot read it (" + e + ")");
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw new InvalidBundleException("larger than " + MAX_FILE_BYTES + " bytes, not a certificate bundle");
        }
        return bytes;
    }

    private void refuse(String fileName, Refusal refusal, LoadedCertificate current, String reason) {
        Refusal previous = refused.put(fileName, refusal);
        if (previous != null && Objects.equals(previous.identity(), refusal.identity())) {
            return;
        }
        log.log("certificate " + fileName + " refused: " + reason + "; "
                + (current == null ? "not serving it" : "still serving the version loaded at " + current.loadedAt()));
    }

    /** One warning per file version whose key others than the owner can read. */
    private void warnIfKeyExposed(String fileName, Path file, Identity identity) {
        Set<PosixFilePermission> permissions;
        try {
            permissions = Files.readAttributes(file, PosixFileAttributes.class).permissions();
        } catch (UnsupportedOperationException | IOException e) {
            return;
        }
        boolean exposed = permissions.contains(PosixFilePermission.GROUP_READ)
                || permissions.contains(PosixFilePermission.OTHERS_READ);
        if (exposed && !identity.equals(permissionWarned.put(fileName, identity))) {
            log.log("certificate " + fileName + ": warning: the file holds a private key and is readable by "
                    + (permissions.contains(PosixFilePermission.OTHERS_READ) ? "others" : "its group")
                    + " (" + PosixFilePermissions.toString(permissions) + "); make it readable only by the server (chmod 600)");
        }
    }

    /** Warns of each loaded leaf that expires within {@link #EXPIRY_WARNING}: when loaded, then daily. */
    private void warnOfExpiry(Instant now) {
        for (LoadedCertificate certificate : loaded.values()) {
            Instant notAfter = certificate.bundle().notAfter();
            if (!now.plus(EXPIRY_WARNING).isAfter(notAfter)) {
                continue;
            }
            Instant last = expiryWarned.get(certificate.fileName());
            if (last != null && now.isBefore(last.plus(EXPIRY_WARNING_REPEAT))) {
                continue;
            }
            expiryWarned.put(certificate.fileName(), now);
            log.log("certificate " + certificate.fileName() + ": warning: the leaf certificate "
                    + (now.isBefore(notAfter)
                            ? "expires at " + notAfter + ", in " + roundedHours(Duration.between(now, notAfter)) + " hours"
                            : "expired at " + notAfter + "; still offering it until the file is replaced"));
        }
    }

    private static long roundedHours(Duration duration) {
        return (duration.toSeconds() + 1800) / 3600;
    }

    /** The {@code *.pem} files of the directory by name, in name order. */
    private Map<String, Path> list() throws IOException {
        Map<String, Path> listed = new TreeMap<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path entry : entries) {
                String fileName = entry.getFileName().toString();
                if (fileName.startsWith(".") || !fileName.endsWith(".pem") || Files.isDirectory(entry)) {
                    continue;
                }
                listed.put(fileName, entry);
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

    /** Stops watching; the key manager then finds no certificate. */
    @Override
    public void close() {
        closed = true;
        if (watcher != null) {
            watcher.close();
        }
        synchronized (this) {
            loaded.clear();
            retired.clear();
            index = CertificateIndex.EMPTY;
        }
    }
}
