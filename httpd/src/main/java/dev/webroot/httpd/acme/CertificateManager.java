package dev.webroot.httpd.acme;

import dev.webroot.httpd.core.ChallengeResponder;
import dev.webroot.httpd.log.ErrorLog;
import dev.webroot.httpd.tls.AlpnChallenges;
import dev.webroot.httpd.tls.CertificateStore;
import java.io.IOException;
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
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.shredzone.acme4j.exception.AcmeException;
import org.shredzone.acme4j.exception.AcmeRateLimitedException;

/**
 * Keeps a certificate in the certificate directory for every managed vhost name: polls the vhost
 * names and the store every second, orders what is missing or due for renewal, each name on its own
 * thread, and writes {@code NAME.pem} (chain, then the PKCS#8 key; mode 0600) as a dot-file renamed
 * into place, which the store's reload then serves. A failed order is logged once and retried after a
 * minute, doubling up to an hour; whatever already serves keeps serving. The account key is
 * {@code .acme/account.key}; {@code .acme/NAME.lock} keeps a second process off the same name.
 */
public final class CertificateManager implements AutoCloseable {
    static final String STATE_DIRECTORY = ".acme";
    /** How long an issued certificate has to appear in the store before the name is looked at again. */
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
        Thread order;
        int failures;
        Instant notBefore = Instant.MIN;
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
     * @param names the vhost names, read every tick
     * @param http where HTTP-01 answers go, or null when there is no cleartext listener
     * @throws IOException when the state directory or the account key cannot be read or written
     * @throws GeneralSecurityException when the trust anchors cannot be read
     */
    public static CertificateManager start(URI directoryUrl, String email, Path trust, Pattern hosts,
            CertificateStore store, Supplier<? extends Iterable<String>> names, ChallengeResponder http,
            AlpnChallenges alpn, ErrorLog log) throws IOException, GeneralSecurityException {
        Path directory = store.directory();
        KeyPair accountKey = accountKey(directory.resolve(STATE_DIRECTORY));
        AcmeClient client = new AcmeClient(directoryUrl, trust, accountKey, email, http, alpn);
        CertificateManager manager = new CertificateManager(directory, names, store, new RenewalPolicy(hosts), client,
                log, InstantSource.system());
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

    /** One look at every name: starts the orders that are due and not running. */
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
                // A removed vhost is no longer renewed (an order under way finishes).
                states.keySet().removeIf(name -> !current.contains(name) && states.get(name).order == null);
                for (String name : current) {
                    NameState entry = states.computeIfAbsent(name, n -> new NameState());
                    if (entry.order == null && !now.isBefore(entry.notBefore)
                            && RenewalPolicy.needsOrder(name, store.namedCertificate(name), now)) {
                        entry.order = Thread.ofVirtual().name("acme " + name).unstarted(() -> obtain(name, entry));
                        entry.order.start();
                    }
                }
            }
        } catch (RuntimeException | Error e) {
            // Escaping the scheduled task would cancel every later check: renewals would stop.
            log.log("acme: checking the certificates failed: " + e);
        }
    }

    /** Orders one certificate and writes it; on failure, schedules the retry. */
    private void obtain(String name, NameState entry) {
        int attempt;
        synchronized (this) {
            attempt = entry.failures + 1;
        }
        Instant retryAfter = null;
        String failure;
        try {
            failure = orderUnderLock(name);
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
            entry.order = null;
            Instant now = clock.instant();
            if (failure == null) {
                entry.failures = 0;
                entry.notBefore = now.plus(RELOAD_GRACE);
                return;
            }
            entry.failures = attempt;
            Instant retry = now.plus(RenewalPolicy.retryDelay(attempt));
            if (retryAfter != null && retryAfter.isAfter(retry)) {
                retry = retryAfter;
            }
            entry.notBefore = retry;
            log.log("acme " + name + ": attempt " + attempt + " failed: " + failure + "; retrying in "
                    + Duration.between(now, retry).toSeconds() + "s");
        }
    }

    /** Null when the certificate was written (or another process holds the name), else why not. */
    private String orderUnderLock(String name) throws AcmeException, IOException, GeneralSecurityException,
            InterruptedException {
        try (FileChannel lockFile = FileChannel.open(state.resolve(name + ".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
                FileLock lock = lockFile.tryLock()) {
            if (lock == null) {
                return "another process holds " + state.resolve(name + ".lock");
            }
            KeyPair key = Keys.ec("secp256r1");
            List<X509Certificate> chain = client.order(name, key);
            Path file = directory.resolve(RenewalPolicy.fileName(name));
            writeAtomically(file, pem(chain, key));
            X509Certificate leaf = chain.getFirst();
            log.log("acme " + name + ": certificate issued, valid until " + leaf.getNotAfter().toInstant()
                    + " (renewed after " + RenewalPolicy.renewalTime(leaf.getNotBefore().toInstant(),
                            leaf.getNotAfter().toInstant()) + "), written to " + file);
            return null;
        }
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

    /** Stops polling and interrupts orders under way (their challenges are withdrawn). */
    @Override
    public void close() {
        ticks.shutdownNow();
        synchronized (this) {
            closed = true;
            for (NameState name : states.values()) {
                if (name.order != null) {
                    name.order.interrupt();
                }
            }
        }
    }
}
