package dev.webroot.format;

/** The index's hash of a URL path: 64-bit FNV-1a over its UTF-8 bytes. */
public final class PathHash {
    private static final long OFFSET_BASIS = 0xcbf29ce484222325L;
    private static final long PRIME = 0x100000001b3L;

    private PathHash() {}

    public static long hash(byte[] bytes, int offset, int length) {
        long h = OFFSET_BASIS;
        for (int i = offset, end = offset + length; i < end; i++) {
            h ^= bytes[i] & 0xff;
            h *= PRIME;
        }
        return h;
    }
}
