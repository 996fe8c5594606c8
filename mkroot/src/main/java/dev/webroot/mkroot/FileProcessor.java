package dev.webroot.mkroot;

import dev.webroot.format.Content;
import dev.webroot.format.Digests;
import dev.webroot.format.Encoding;
import dev.webroot.format.WebrootWriter.Representation;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.file.Files;
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
    private static final String SVGZ = ".svgz";

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
        if (name.toLowerCase(java.util.Locale.ROOT).endsWith(SVGZ)) {
            return processSvgz(source);
        }
        String type = MimeTypes.byName(name);
        Measurement m;
        try (InputStream file = Files.newInputStream(source.file())) {
            InputStream in = file;
            if (type == null) {
                // The sniffed prefix is measured too, so the file is read once and type and hash see the same bytes.
                byte[] prefix = file.readNBytes(MimeTypes.SNIFF_LENGTH);
                type = MimeTypes.detect(prefix, name);
                in = new SequenceInputStream(new ByteArrayInputStream(prefix), file);
            }
            boolean compress = precompressor != null && MimeTypes.isCompressible(type)
                    && Precompressor.isCandidate(source.size());
            m = measure(in, compress ? source.size() : -1, MimeTypes.isText(type));
        }
        List<Representation> representations = new ArrayList<>();
        representations.add(new Representation(Encoding.IDENTITY, Content.ofFile(source.file(), m.length, m.sha256)));
        if (m.bytes != null && Precompressor.isCandidate(m.bytes.length)) {
            addVariants(representations, m.bytes, source);
        }
        return packed(source, MimeTypes.contentType(type, m.validUtf8), representations);
    }

    /**
     * A {@code .svgz} file is an SVG image stored gzip-compressed. Served as is, its bytes would reach
     * browsers labelled image/svg+xml with no Content-Encoding and fail to render; so its identity form
     * is the decompressed SVG, and the original gzip bytes (or fresh variants) are its encodings.
     */
    private PackedFile processSvgz(SourceFile source) throws IOException {
        if (source.size() > Precompressor.MAX_SIZE) {
            throw new MkrootException(source.relativePath() + ": .svgz files over " + (Precompressor.MAX_SIZE >> 20)
                    + " MiB are not supported");
        }
        byte[] original = Files.readAllBytes(source.file());
        progress.bytesRead(original.length);
        byte[] svg;
        try (InputStream in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(original))) {
            svg = in.readNBytes((int) Precompressor.MAX_SIZE + 1);
        } catch (IOException e) {
            throw new MkrootException(source.relativePath() + ": a .svgz file must be gzip-compressed SVG: " + e.getMessage());
        }
        if (svg.length > Precompressor.MAX_SIZE) {
            throw new MkrootException(source.relativePath() + ": decompresses to more than "
                    + (Precompressor.MAX_SIZE >> 20) + " MiB");
        }
        List<Representation> representations = new ArrayList<>();
        representations.add(new Representation(Encoding.IDENTITY, Content.ofBytes(svg, source.relativePath())));
        if (precompressor != null) {
            addVariants(representations, svg, source);
        } else {
            representations.add(new Representation(Encoding.GZIP, Content.ofBytes(original, source.relativePath())));
        }
        Utf8Validator utf8 = new Utf8Validator();
        utf8.update(svg, 0, svg.length);
        return packed(source, MimeTypes.contentType("image/svg+xml", utf8.finish()), representations);
    }

    /** Adds the compressed variants of {@code bytes} that the precompressor finds worth keeping. */
    private void addVariants(List<Representation> representations, byte[] bytes, SourceFile source) throws IOException {
        for (Precompressor.Variant variant : precompressor.variants(bytes)) {
            Content content = variants.store(variant.bytes(), source.relativePath() + " (" + variant.encoding().token() + ")");
            representations.add(new Representation(variant.encoding(), content));
        }
    }

    private PackedFile packed(SourceFile source, String contentType, List<Representation> representations) {
        progress.fileDone();
        return new PackedFile(source, contentType, lastModified(source), cachePolicy.cacheControl(source),
                List.copyOf(representations));
    }

    private long lastModified(SourceFile source) {
        return clampMtime == null ? source.lastModified() : Math.min(source.lastModified(), clampMtime);
    }

    /** What one pass over the file found; {@code bytes} is null unless they were kept for compression. */
    private record Measurement(long length, byte[] sha256, boolean validUtf8, byte[] bytes) {}

    /** Reads the file to its end; {@code keepSize} is the expected size of bytes to keep, or -1 to keep none. */
    private Measurement measure(InputStream in, long keepSize, boolean checkUtf8) throws IOException {
        MessageDigest digest = Digests.newSha256();
        Utf8Validator utf8 = checkUtf8 ? new Utf8Validator() : null;
        ByteArrayOutputStream kept = keepSize >= 0 ? new ByteArrayOutputStream((int) keepSize) : null;
        long length = 0;
        byte[] buffer = new byte[READ_BUFFER];
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
        return new Measurement(length, digest.digest(), utf8 != null && utf8.finish(),
                kept == null ? null : kept.toByteArray());
    }
}
