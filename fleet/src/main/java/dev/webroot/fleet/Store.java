package dev.webroot.fleet;

import dev.webroot.format.Webroot;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * A node's local store of webroots, {@code STORE/SHA256.webroot}. A file gets its final name only
 * after its bytes hash to that name and it opens and verifies as a webroot, so a name in the store
 * is a promise that the file is whole and valid: nothing else is ever linked.
 */
final class Store {
    static final String SUFFIX = ".webroot";
    /** An empty file: a vhost entry leading to it is out of service in httpd (503). */
    static final String OUT_OF_SERVICE = "out-of-service";
    private static final int CONNECT_TIMEOUT_MS = 3_000;
    private static final int READ_TIMEOUT_MS = 10_000;

    private final Path directory;

    Store(Path directory) throws IOException {
        this.directory = Files.createDirectories(directory).toRealPath();
        Path empty = outOfService();
        if (!Files.isRegularFile(empty) || Files.size(empty) != 0) {
            Path temporary = this.directory.resolve(".partial-" + OUT_OF_SERVICE + "-" + ProcessHandle.current().pid());
            Files.deleteIfExists(temporary);
            Files.createFile(temporary);
            Files.move(temporary, empty, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The empty file that vhost entries of sites out of service lead to. */
    Path outOfService() {
        return directory.resolve(OUT_OF_SERVICE);
    }

    Path directory() {
        return directory;
    }

    Path file(String sha256) {
        return directory.resolve(sha256 + SUFFIX);
    }

    boolean has(String sha256) {
        return Files.isRegularFile(file(sha256));
    }

    /**
     * Downloads VERSION from the sources in order until one gives the right bytes, validates them and
     * moves them to their final name. Throws with every source's failure when none did.
     */
    Path stage(Keys.Version version, List<URI> sources) throws IOException {
        if (has(version.sha256())) {
            return file(version.sha256());
        }
        List<String> failures = new ArrayList<>();
        for (URI source : sources) {
            Path partial = directory.resolve(".partial-" + version.sha256() + "-" + ProcessHandle.current().pid()
                    + "-" + Thread.currentThread().threadId());
            try {
                download(source, partial, version);
                validate(partial);
                fsync(partial);
                Files.move(partial, file(version.sha256()), StandardCopyOption.ATOMIC_MOVE);
                fsyncDirectory();
                return file(version.sha256());
            } catch (IOException e) {
                failures.add(source + ": " + Etcd.describe(e));
            } finally {
                Files.deleteIfExists(partial);
            }
        }
        throw new IOException(sources.isEmpty() ? "no source to download " + version.shortSha() + " from"
                : "every source failed for " + version.shortSha() + ": " + String.join("; ", failures));
    }

    /** Deletes every stored webroot not named in KEEP, and leftovers of interrupted downloads. */
    void prune(Set<String> keep) throws IOException {
        try (var files = Files.list(directory)) {
            for (Path file : files.toList()) {
                String name = file.getFileName().toString();
                if (name.startsWith(".partial-") && !name.contains("-" + ProcessHandle.current().pid() + "-")) {
                    Files.deleteIfExists(file);
                } else if (name.endsWith(SUFFIX) && !keep.contains(name.substring(0, name.length() - SUFFIX.length()))) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    private static void download(URI source, Path partial, Keys.Version version) throws IOException {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
        HttpURLConnection connection = (HttpURLConnection) source.toURL().openConnection();
        connection.setConnectTimeout(CONNECT_TIMEOUT_MS);
        connection.setReadTimeout(READ_TIMEOUT_MS);
        try {
            int status = connection.getResponseCode();
            if (status != 200) {
                throw new IOException("HTTP " + status);
            }
            long length = 0;
            byte[] buffer = new byte[1 << 16];
            try (InputStream in = connection.getInputStream();
                 OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    length += n;
                    if (length > version.size()) {
                        throw new IOException("more than the " + version.size() + " bytes published");
                    }
                    sha256.update(buffer, 0, n);
                    out.write(buffer, 0, n);
                }
            }
            if (length != version.size()) {
                throw new IOException("got " + length + " of " + version.size() + " bytes");
            }
            String actual = HexFormat.of().formatHex(sha256.digest());
            if (!actual.equals(version.sha256())) {
                throw new IOException("SHA-256 " + actual.substring(0, 12) + " does not match " + version.shortSha());
            }
        } finally {
            connection.disconnect();
        }
    }

    /** What httpd checks when it loads the file, plus a re-hash of every body (as mkroot verify does). */
    static void validate(Path file) throws IOException {
        try (Webroot webroot = Webroot.open(file)) {
            List<String> problems = new ArrayList<>(webroot.verify());
            problems.addAll(webroot.verifyRules());
            if (!problems.isEmpty()) {
                throw new IOException("not a valid webroot: " + String.join("; ", problems));
            }
        }
    }

    private static void fsync(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    private void fsyncDirectory() {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException ignored) {
            // Some file systems cannot sync a directory; the rename is still atomic.
        }
    }
}
