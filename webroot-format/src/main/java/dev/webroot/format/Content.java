package dev.webroot.format;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The bytes of one representation: their length and SHA-256, and where to copy them from when the
 * file is written. The writer re-hashes while copying and refuses bytes that no longer match.
 */
public final class Content {
    /** Copies the bytes to the output; called once, while the webroot is written. */
    @FunctionalInterface
    public interface Source {
        void copyTo(OutputStream out) throws IOException;
    }

    private final long length;
    private final byte[] sha256;
    private final Source source;
    private final String description;

    public Content(long length, byte[] sha256, Source source, String description) {
        if (length < 0) {
            throw new IllegalArgumentException("negative length");
        }
        if (sha256.length != Layout.SHA256_LENGTH) {
            throw new IllegalArgumentException("a SHA-256 digest is 32 bytes");
        }
        this.length = length;
        this.sha256 = sha256.clone();
        this.source = source;
        this.description = description;
    }

    /** Content held in memory (compressed variants, small files). */
    public static Content ofBytes(byte[] bytes, String description) {
        byte[] copy = bytes.clone();
        return new Content(copy.length, Digests.sha256(copy), out -> out.write(copy), description);
    }

    /** Content read from a file whose length and digest were measured earlier. */
    public static Content ofFile(Path file, long length, byte[] sha256) {
        return new Content(length, sha256, out -> Files.copy(file, out), file.toString());
    }

    public long length() {
        return length;
    }

    public byte[] sha256() {
        return sha256.clone();
    }

    byte[] sha256Unsafe() {
        return sha256;
    }

    Source source() {
        return source;
    }

    /** Names the content in error messages (usually the source file). */
    public String description() {
        return description;
    }
}
