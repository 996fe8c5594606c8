package dev.webroot.mkroot;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.encoder.Encoder;
import com.github.luben.zstd.Zstd;
import dev.webroot.format.Encoding;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Makes the precompressed variants of a file and keeps those that save enough. Every encoder runs
 * single-threaded with fixed parameters, so a variant depends only on the input bytes.
 */
final class Precompressor {
    /** Smaller files gain too little from compression to be worth a variant. */
    static final int MIN_SIZE = 256;
    /** Larger files are stored as they are: compressing them at maximum levels would take minutes and memory. */
    static final long MAX_SIZE = 64L << 20;
    /** A variant must also save at least this many bytes. */
    static final int MIN_SAVED_BYTES = 128;

    private static final int BROTLI_QUALITY = 11;
    private static final int BROTLI_WINDOW = 24;
    private static final int ZSTD_LEVEL = 19;
    /** gzip header: magic, deflate, no flags, mtime 0 (reproducible), XFL 2 (best compression), OS unknown. */
    private static final byte[] GZIP_HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 2, (byte) 0xff};

    /** The order variants are stored in: best compression first. */
    private static final List<Encoding> ORDER = List.of(Encoding.BR, Encoding.ZSTD, Encoding.GZIP);

    private final List<Encoding> encodings;
    private final int minSavingPercent;

    /** Loads the native encoders needed for {@code encodings}, failing with a one-line message if one cannot load. */
    Precompressor(Set<Encoding> encodings, int minSavingPercent) {
        this.encodings = ORDER.stream().filter(encodings::contains).toList();
        this.minSavingPercent = minSavingPercent;
        if (encodings.contains(Encoding.BR)) {
            loadNative("brotli", Brotli4jLoader::ensureAvailability);
        }
        if (encodings.contains(Encoding.ZSTD)) {
            loadNative("zstd", () -> Zstd.compressBound(0));
        }
    }

    private static void loadNative(String name, Runnable load) {
        try {
            load.run();
        } catch (LinkageError | RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new MkrootException("cannot load the " + name + " native library (" + cause
                    + "); leave it out with --encodings or use --no-compress");
        }
    }

    static boolean isCandidate(long size) {
        return size >= MIN_SIZE && size <= MAX_SIZE;
    }

    /** One compressed form of a file. */
    record Variant(Encoding encoding, byte[] bytes) {}

    /** The variants of {@code identity} worth storing, in storage order. */
    List<Variant> variants(byte[] identity) throws IOException {
        List<Variant> kept = new ArrayList<>();
        for (Encoding encoding : encodings) {
            byte[] compressed = compress(encoding, identity);
            long saved = (long) identity.length - compressed.length;
            if (saved >= MIN_SAVED_BYTES && saved * 100 >= (long) minSavingPercent * identity.length) {
                kept.add(new Variant(encoding, compressed));
            }
        }
        return kept;
    }

    static byte[] compress(Encoding encoding, byte[] data) throws IOException {
        return switch (encoding) {
            case BR -> Encoder.compress(data, new Encoder.Parameters().setQuality(BROTLI_QUALITY).setWindow(BROTLI_WINDOW));
            case ZSTD -> Zstd.compress(data, ZSTD_LEVEL);
            case GZIP -> gzip(data);
            case IDENTITY -> throw new IllegalArgumentException("identity is not a compression");
        };
    }

    private static byte[] gzip(byte[] data) {
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
        try {
            deflater.setInput(data);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 3 + 64);
            out.writeBytes(GZIP_HEADER);
            byte[] buffer = new byte[64 * 1024];
            while (!deflater.finished()) {
                out.write(buffer, 0, deflater.deflate(buffer));
            }
            CRC32 crc = new CRC32();
            crc.update(data);
            writeIntLittleEndian(out, (int) crc.getValue());
            writeIntLittleEndian(out, data.length);
            return out.toByteArray();
        } finally {
            deflater.end();
        }
    }

    private static void writeIntLittleEndian(ByteArrayOutputStream out, int value) {
        for (int i = 0; i < 4; i++) {
            out.write(value >>> (8 * i));
        }
    }
}
