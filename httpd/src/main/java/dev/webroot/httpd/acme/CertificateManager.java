package dev.webroot.httpd.acme;

import dev.webroot.httpd.core.ChallengeResponder;
import dev.webroot.httpd.log.ErrorLog;
import dev.webroot.httpd.tls.AlpnChallenges;
import dev.webroot.httpd.tls.CertificateStore;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.shredzone.acme4j.exception.AcmeException;
import org.shredzone.acme4j.exception.AcmeRateLimitedException;

/**
 * Keeps a certificate in the certificate directory for every managed vhost name: polls the vhost
 * names and the store every second, orders what is missing or due for renewal, each name on its own
 * thread, and writes {@code NAME.pem} (chain, then the PKCS#8 key; mode 0600) as a dot-file renamed
 * into place, which the store's reload then serves. When the CA offers renewal information (RFC
 * 9773), each certificate's renewal time is drawn from the window it suggests, asked for right after
 * the certificate appears and again when the CA says; otherwise, or while it cannot be had, renewal
 * comes after two thirds of the lifetime. A failed order is logged once and retried after the first
 * retry delay (a minute by default), doubling up to an hour; whatever already serves keeps serving.
 * The account key is {@code .acme/account.key}; {@code .acme/NAME.lock} keeps a second process off
 * the same name, and under it a {@code NAME.pem} that changed since the name was found due (another
 * process renewed it) is kept instead of ordered again.
 */
public final class CertificateManager implements AutoCloseable {
    static final String STATE_DIRECTORY = ".acme";
    /** How long a written certificate may take to appear in the store; the name waits for it until then. */
    private static final Duration RELOAD_GRACE = Duration.ofSeconds(30);

    private final Path directory;
    private final Path state;
    private final Supplier<? extends Iterable<String>> names;
    private final CertificateStore store;
    private final RenewalPolicy policy;
    private final AcmeClient client;
    private final ErrorLog log;
    private final InstantSource clock;
    private final Map<String, NameState> states = new HashMap<>();
    private final ScheduledExecutorService ticks = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "acme");
        thread.setDaemon(true);
        return thread;
    });
    private boolean closed;

    /** What this manager knows of one name between ticks. */
    private static final class NameState {
        /** The thread asking about or ordering this name's certificate, or null. */
        Thread work;
        int failures;
        /** No order before this (the back-off after a failure). */
        Instant retryAt = Instant.MIN;
        /** The leaf just written to the file, until the store serves it or {@link #RELOAD_GRACE} passed; or null. */
        X509Certificate written;
        Instant writtenUntil;
        /** A leaf another process wrote since the name was found due, deferred to once (ordered over if not served). */
        X509Certificate deferredTo;
        /** What the renewal information said of the name's current certificate, or null before the first ask. */
        RenewalPolicy.RenewalSchedule schedule;
    }

    private CertificateManager(Path directory, Supplier<? extends Iterable<String>> names, CertificateStore store,
            RenewalPolicy policy, AcmeClient client, ErrorLog log, InstantSource clock) {
        this.directory = directory;
        this.state = directory.resolve(STATE_DIRECTORY);
        this.names = names;
        this.store = store;
        this.policy = policy;
        this.client = client;
        this.log = log;
        this.clock = clock;
    }

    /**
     * Reads (or creates) the account key and starts the polling.
     *
     * @param firstRetry the wait after a first failed order, doubled after each further one up to an hour
     * @param names the vhost names, read every tick
     * @param http where HTTP-01 answers go, or null when there is no cleartext listener
     * @throws IOException when the state directory or the account key cannot be read or written
     * @throws GeneralSecurityException when the trust anchors cannot be read
     */
    public static CertificateManager start(URI directoryUrl, String email, Path trust, Pattern hosts,
            Duration firstRetry, CertificateStore store, Supplier<? extends Iterable<String>> names,
            ChallengeResponder http, AlpnChallenges alpn, ErrorLog log) throws IOException, GeneralSecurityException {
        Path directory = store.directory();
        KeyPair accountKey = accountKey(directory.resolve(STATE_DIRECTORY));
        AcmeClient client = new AcmeClient(directoryUrl, trust, accountKey, email, http, alpn);
        CertificateManager manager = new CertificateManager(directory, names, store,
                new RenewalPolicy(hosts, firstRetry), client, log, InstantSource.system());
        manager.ticks.scheduleWithFixedDelay(manager::tick, 0, 1, TimeUnit.SECONDS);
        return manager;
    }

    private static KeyPair accountKey(Path state) throws IOException, GeneralSecurityException {
        Files.createDirectories(state, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path file = state.resolve("account.key");
        try {
            return Keys.readPair(Files.readString(file, StandardCharsets.US_ASCII));
        } catch (NoSuchFileException e) {
            KeyPair key = Keys.ec("secp384r1");
            writeAtomically(file, Keys.pem(key));
            return key;
        } catch (GeneralSecurityException e) {
            throw new GeneralSecurityException(file + ": " + e.getMessage(), e);
        }
    }

    /** One look at every name: starts the checks and orders that are due and not running. */
    private void tick() {
        try {
            Instant now = clock.instant();
            Set<String> current = new HashSet<>();
            for (String name : names.get()) {
                if (policy.manages(name)) {
                    current.add(name);
                }
            }
            synchronized (this) {
                if (closed) {
                    return;
                }
                // A removed vhost is no longer renewed (work under way finishes); its file stays.
                states.keySet().removeIf(name -> !current.contains(name) && states.get(name).work == null);
                for (String name : current) {
                    NameState entry = states.computeIfAbsent(name, n -> new NameState());
                    if (entry.work != null || now.isBefore(entry.retryAt)) {
                        continue;
                    }
                    CertificateStore.Named named = store.namedCertificate(name);
                    if (entry.written != null) {
                        boolean served = named != null && named.leaf().equals(entry.written);
                        if (!served && now.isBefore(entry.writtenUntil)) {
                            continue;
                        }
                        entry.written = null;
                    }
                    boolean ask = RenewalPolicy.needsRenewalInfo(name, named, entry.schedule, now);
                    if (ask || RenewalPolicy.needsOrder(name, named, entry.schedule, now)) {
                        entry.work = Thread.ofVirtual().name("acme " + name)
                                .unstarted(() -> work(name, entry, named, ask));
                        entry.work.start();
                    }
                }
            }
        } catch (RuntimeException | Error e) {
            // Escaping the scheduled task would cancel every later check: renewals would stop.
            log.log("acme: checking the certificates failed: " + e);
        }
    }

    /** Asks for renewal information if {@code ask}, then orders if the name is (still) due. */
    private void work(String name, NameState entry, CertificateStore.Named named, boolean ask) {
        try {
            RenewalPolicy.RenewalSchedule schedule;
            synchronized (this) {
                schedule = entry.schedule;
            }
            if (ask) {
                schedule = askRenewalInfo(name, named.leaf(), schedule);
                synchronized (this) {
                    entry.schedule = schedule;
                }
            }
            if (RenewalPolicy.needsOrder(name, named, schedule, clock.instant())) {
                obtain(name, entry, named);
            }
        } finally {
            synchronized (this) {
                entry.work = null;
            }
        }
    }

    /** The schedule after asking the CA about {@code leaf}; on failure, the fallback, asked again after a back-off. */
    private RenewalPolicy.RenewalSchedule askRenewalInfo(String name, X509Certificate leaf,
            RenewalPolicy.RenewalSchedule previous) {
        boolean offered;
        try {
            offered = client.offersRenewalInfo();
        } catch (AcmeException | RuntimeException e) {
            // The CA's directory cannot be read: an order due now logs that; nothing else is lost.
            return policy.afterFailedCheck(leaf, previous, clock.instant());
        }
        if (!offered) {
            return RenewalPolicy.withoutRenewalInfo(leaf, clock.instant());
        }
        try {
            RenewalPolicy.RenewalWindow window = client.renewalWindow(leaf);
            Instant now = clock.instant();
            RenewalPolicy.RenewalSchedule schedule =
                    RenewalPolicy.fromWindow(leaf, window, previous, now, ThreadLocalRandom.current());
            if (previous == null || !previous.isFor(leaf) || !schedule.renewAt().equals(previous.renewAt())) {
                log.log("acme " + name + ": the CA suggests renewing between " + window.start() + " and "
                        + window.end() + "; renewing at " + schedule.renewAt() + ", asking again in "
                        + waitText(Duration.between(now, schedule.recheckAt())));
            }
            return schedule;
        } catch (AcmeException | RuntimeException e) {
            Instant now = clock.instant();
            RenewalPolicy.RenewalSchedule fallback = policy.afterFailedCheck(leaf, previous, now);
            log.log("acme " + name + ": renewal information failed: " + describe(e) + "; renewing at "
                    + (fallback.renewAt() != null ? fallback.renewAt() + " as it said before"
                            : RenewalPolicy.renewalTime(leaf.getNotBefore().toInstant(),
                                    leaf.getNotAfter().toInstant()) + " (two thirds)")
                    + ", asking again in " + waitText(Duration.between(now, fallback.recheckAt())));
            return fallback;
        }
    }

    /** Orders one certificate and writes it; on failure, schedules the retry. */
    private void obtain(String name, NameState entry, CertificateStore.Named named) {
        int attempt;
        X509Certificate deferredTo;
        synchronized (this) {
            attempt = entry.failures + 1;
            deferredTo = entry.deferredTo;
        }
        Instant retryAfter = null;
        X509Certificate written = null;
        String failure = null;
        try {
            Ordered ordered = orderUnderLock(name, named != null
                    && named.fileName().equals(RenewalPolicy.fileName(name)) ? named.leaf() : null, deferredTo);
            if (ordered == null) {
                failure = "another process holds " + lockFile(name);
            } else {
                written = ordered.leaf();
                deferredTo = ordered.byAnotherProcess() ? ordered.leaf() : null;
            }
        } catch (AcmeRateLimitedException e) {
            failure = "rate limited: " + describe(e);
            retryAfter = e.getRetryAfter().orElse(null);
        } catch (AcmeException | IOException | GeneralSecurityException | RuntimeException | Error e) {
            // Whatever ends this order, the name is ordered again after the back-off.
            failure = describe(e);
        } catch (InterruptedException e) {
            return;
        }
        synchronized (this) {
            Instant now = clock.instant();
            if (failure == null) {
                entry.failures = 0;
                entry.deferredTo = deferredTo;
                entry.written = written;
                entry.writtenUntil = now.plus(RELOAD_GRACE);
                return;
            }
            entry.failures = attempt;
            Instant retry = now.plus(policy.retryDelay(attempt));
            if (retryAfter != null && retryAfter.isAfter(retry)) {
                retry = retryAfter;
            }
            entry.retryAt = retry;
            log.log("acme " + name + ": attempt " + attempt + " failed: " + failure + "; retrying in "
                    + waitText(Duration.between(now, retry)));
        }
    }

    private Path lockFile(String name) {
        return state.resolve(name + ".lock");
    }

    /** The leaf the name's file holds after {@link #orderUnderLock}, and whether another process wrote it. */
    private record Ordered(X509Certificate leaf, boolean byAnotherProcess) {}

    /**
     * Orders and writes the certificate under the name's lock, unless another process wrote one since
     * the name was found due; null when another process holds the lock.
     *
     * @param ours the leaf of this manager's file that is being renewed, or null when there is none
     * @param deferredTo the leaf another process wrote that this one deferred to before, or null
     */
    private Ordered orderUnderLock(String name, X509Certificate ours, X509Certificate deferredTo)
            throws AcmeException, IOException, GeneralSecurityException, InterruptedException {
        try (FileChannel channel = FileChannel.open(lockFile(name), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
                FileLock lock = channel.tryLock()) {
            if (lock == null) {
                return null;
            }
            Path file = directory.resolve(RenewalPolicy.fileName(name));
            X509Certificate stored = storedLeaf(file);
            if (RenewalPolicy.writtenMeanwhile(stored, ours, deferredTo, clock.instant())) {
                log.log("acme " + name + ": " + file + " was replaced since the name was found due (by another "
                        + "process sharing the directory?), valid until " + stored.getNotAfter().toInstant()
                        + "; not ordering");
                return new Ordered(stored, true);
            }
            KeyPair key = Keys.ec("secp256r1");
            List<X509Certificate> chain = client.order(name, key, ours);
            writeAtomically(file, pem(chain, key));
            X509Certificate leaf = chain.getFirst();
            log.log("acme " + name + ": certificate issued, valid until " + leaf.getNotAfter().toInstant()
                    + " (renewed after " + RenewalPolicy.renewalTime(leaf.getNotBefore().toInstant(),
                            leaf.getNotAfter().toInstant()) + " unless the CA's renewal information says otherwise)"
                    + ", written to " + file);
            return new Ordered(leaf, false);
        }
    }

    /** The leaf of a certificate file as it is on disk now, or null when there is none or it cannot be read. */
    private static X509Certificate storedLeaf(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (IOException | GeneralSecurityException e) {
            return null;
        }
    }

    /** A wait as the log shows it: whole seconds, or milliseconds below ten seconds when not whole. */
    private static String waitText(Duration wait) {
        return wait.toMillisPart() == 0 || wait.toSeconds() >= 10 ? wait.toSeconds() + "s" : wait.toMillis() + "ms";
    }

    /** The chain, leaf first, then the PKCS#8 private key: the format of the store's other files. */
    static String pem(List<X509Certificate> chain, KeyPair key) throws CertificateEncodingException {
        StringBuilder pem = new StringBuilder();
        for (X509Certificate certificate : chain) {
            pem.append(Keys.block("CERTIFICATE", certificate.getEncoded()));
        }
        return pem.append(Keys.block("PRIVATE KEY", key.getPrivate().getEncoded())).toString();
    }

    /** Writes {@code .NAME.tmp} beside the file (mode 0600), syncs it, then renames it over the file. */
    static void writeAtomically(Path file, String text) throws IOException {
        Path temporary = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.deleteIfExists(temporary);
        try (FileChannel out = FileChannel.open(temporary, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
            out.force(true);
        } catch (IOException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The exception's message with its causes' (acme4j's "Network error" says little alone). */
    private static String describe(Throwable e) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = e; t != null && text.length() < 500; t = t.getCause()) {
            String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            if (text.indexOf(message) < 0) {
                text.append(text.isEmpty() ? "" : ": ").append(message);
            }
        }
        return text.toString();
    }

    /** Stops polling and interrupts the checks and orders under way (their challenges are withdrawn). */
    @Override
    public void close() {
        ticks.shutdownNow();
        synchronized (this) {
            closed = true;
            for (NameState name : states.values()) {
                if (name.work != null) {
                    name.work.interrupt();
                }
            }
        }
    }
}
