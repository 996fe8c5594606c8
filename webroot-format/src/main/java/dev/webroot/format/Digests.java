package dev.webroot.format;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/** SHA-256 digests and the ETags derived from them. */
public final class Digests {
    /** Bytes of the digest that make up an ETag: 128 bits, 22 base64url characters. */
    private static final int ETAG_DIGEST_BYTES = 16;

    private Digests() {}

    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always provides SHA-256", e);
        }
    }

    public static byte[] sha256(byte[] bytes) {
        return newSha256().digest(bytes);
    }

    /** The SHA-256 of a file's bytes, in lower-case hex (a webroot's name in a fleet store). */
    public static String sha256Hex(Path file) throws IOException {
        MessageDigest digest = newSha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return hex(digest.digest());
    }

    /** The strong, quoted ETag of a representation whose content has this SHA-256. */
    public static String etag(byte[] sha256) {
        byte[] prefix = java.util.Arrays.copyOf(sha256, ETAG_DIGEST_BYTES);
        return '"' + Base64.getUrlEncoder().withoutPadding().encodeToString(prefix) + '"';
    }

    public static String hex(byte[] bytes) {
        return java.util.HexFormat.of().formatHex(bytes);
    }
}
