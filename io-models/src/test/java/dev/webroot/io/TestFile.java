package dev.webroot.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A file of pseudo-random bytes whose length is a multiple of 4096 (as webroot files are), kept
 * open and mapped in a shared arena for the whole test class.
 */
final class TestFile implements AutoCloseable {
    final Path path;
    final FileChannel channel;
    final MemorySegment mapping;
    private final Arena arena = Arena.ofShared();

    TestFile(Path path, long size) throws IOException {
        if (size % 4096 != 0) {
            throw new IllegalArgumentException("size must be a multiple of 4096");
        }
        this.path = path;
        try (FileChannel out = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
            long state = 0x9E3779B97F4A7C15L;
            for (long written = 0; written < size; ) {
                chunk.clear();
                while (chunk.remaining() >= 8) {
                    state ^= state << 13;
                    state ^= state >>> 7;
                    state ^= state << 17;
                    chunk.putLong(state);
                }
                chunk.flip().limit((int) Math.min(chunk.limit(), size - written));
                while (chunk.hasRemaining()) {
                    written += out.write(chunk);
                }
            }
        }
        channel = FileChannel.open(path, StandardOpenOption.READ);
        mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
    }

    /** A mapping of the whole file in a shared arena of its own; closing the arena unmaps it. */
    MemorySegment map(Arena owner) throws IOException {
        return channel.map(FileChannel.MapMode.READ_ONLY, 0, mapping.byteSize(), owner);
    }

    byte[] bytes(long offset, int length) {
        return mapping.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE);
    }

    String sha256(long offset, long length) {
        MessageDigest digest = sha256();
        for (long done = 0; done < length; ) {
            long n = Math.min(1 << 20, length - done);
            digest.update(mapping.asSlice(offset + done, n).asByteBuffer());
            done += n;
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() throws IOException {
        arena.close();
        channel.close();
    }
}
