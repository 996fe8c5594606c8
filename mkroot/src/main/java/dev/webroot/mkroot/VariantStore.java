package dev.webroot.mkroot;

import dev.webroot.format.Content;
import dev.webroot.format.Digests;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Holds compressed variants on disk until the webroot is written, so memory use does not grow with
 * the size of the site. The backing file is unlinked as soon as it is opened: it takes no name in
 * the directory, and its space is freed when the store is closed or the process dies.
 */
final class VariantStore implements AutoCloseable {
    private final FileChannel channel;
    private long end;

    private VariantStore(FileChannel channel) {
        this.channel = channel;
    }

    /** Opens an anonymous store in {@code dir} (the output's directory, which must be writable anyway). */
    static VariantStore open(Path dir) throws IOException {
        Path file = Files.createTempFile(dir, ".mkroot-variants.", ".tmp");
        try {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            return new VariantStore(channel);
        } finally {
            Files.delete(file);
        }
    }

    /** Appends the bytes and returns them as content that is read back when the webroot is written. */
    Content store(byte[] bytes, String description) throws IOException {
        long offset;
        synchronized (this) {
            offset = end;
            end += bytes.length;
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        for (long at = offset; buffer.hasRemaining(); ) {
            at += channel.write(buffer, at);
        }
        return new Content(bytes.length, Digests.sha256(bytes), out -> copy(offset, bytes.length, out), description);
    }

    private void copy(long offset, long length, OutputStream out) throws IOException {
        channel.transferTo(offset, length, Channels.newChannel(out));
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
