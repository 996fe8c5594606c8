package dev.webroot.mkroot;

import dev.webroot.format.Content;
import dev.webroot.format.Digests;
import dev.webroot.format.Encoding;
import dev.webroot.format.WebrootWriter.Representation;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns one source file into a {@link PackedFile}: reads it once, streaming, to measure its length,
 * SHA-256 and UTF-8 validity, keeps the bytes in memory only when they are to be compressed, and
 * makes the compressed variants. The identity form stays in the source file until it is written.
 */
final class FileProcessor {
    private static final int READ_BUFFER = 64 * 1024;

    private final Precompressor precompressor;
    private final VariantStore variants;
    private final CachePolicy cachePolicy;
    private final Long clampMtime;
    private final Progress progress;

    /**
     * @param precompressor null to store identity forms only
     * @param variants where compressed variants wait to be written (unused without a precompressor)
     * @param clampMtime null, or the SOURCE_DATE_EPOCH no Last-Modified may exceed
     */
    FileProcessor(Precompressor precompressor, VariantStore variants, CachePolicy cachePolicy, Long clampMtime,
                  Progress progress) {
        this.precompressor = precompressor;
        this.variants = variants;
        this.cachePolicy = cachePolicy;
        this.clampMtime = clampMtime;
        this.progress = progress;
    }

    PackedFile process(SourceFile source) throws IOException {
        String name = source.name();
        String type = MimeTypes.byName(name);
        if (type == null) {
            type = MimeTypes.detect(readPrefix(source.file()), name);
        }
        boolean compress = precompressor != null && MimeTypes.isCompressible(type)
                && Precompressor.isCandidate(source.size());
        Measurement m = measure(source.file(), compress ? source.size() : -1, MimeTypes.isText(type));
        List<Representation> representations = new ArrayList<>();
        representations.add(new Representation(Encoding.IDENTITY, Content.ofFile(source.file(), m.length, m.sha256)));
        if (m.bytes != null && Precompressor.isCandidate(m.bytes.length)) {
            for (Precompressor.Variant variant : precompressor.variants(m.bytes)) {
                Content content = variants.store(variant.bytes(), source.relativePath() + " (" + variant.encoding().token() + ")");
                representations.add(new Representation(variant.encoding(), content));
            }
        }
        long lastModified = clampMtime == null ? source.lastModified() : Math.min(source.lastModified(), clampMtime);
        progress.fileDone();
        return new PackedFile(source, MimeTypes.contentType(type, m.validUtf8), lastModified,
                cachePolicy.cacheControl(source), List.copyOf(representations));
    }

    private static byte[] readPrefix(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(MimeTypes.SNIFF_LENGTH);
        }
    }

    /** What one pass over the file found; {@code bytes} is null unless they were kept for compression. */
    private record Measurement(long length, byte[] sha256, boolean validUtf8, byte[] bytes) {}

    /** Reads the file once; {@code keepSize} is the expected size of bytes to keep, or -1 to keep none. */
    private Measurement measure(Path file, long keepSize, boolean checkUtf8) throws IOException {
        MessageDigest digest = Digests.newSha256();
        Utf8Validator utf8 = checkUtf8 ? new Utf8Validator() : null;
        ByteArrayOutputStream kept = keepSize >= 0 ? new ByteArrayOutputStream((int) keepSize) : null;
        long length = 0;
        byte[] buffer = new byte[READ_BUFFER];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
                if (utf8 != null) {
                    utf8.update(buffer, 0, n);
                }
                if (kept != null) {
                    // A file that grew past the limit since the walk is stored uncompressed.
                    if (length + n > Precompressor.MAX_SIZE) {
                        kept = null;
                    } else {
                        kept.write(buffer, 0, n);
                    }
                }
                length += n;
                progress.bytesRead(n);
            }
        }
        return new Measurement(length, digest.digest(), utf8 != null && utf8.finish(),
                kept == null ? null : kept.toByteArray());
    }
}
