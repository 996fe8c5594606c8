package dev.webroot.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A truncated, corrupt or hostile file is refused by open (or by verify, for data) with a clear message. */
class WebrootCorruptionTest {
    @TempDir
    Path dir;

    private byte[] good;
    private int counter;

    @BeforeEach
    void buildSample() throws IOException {
        good = Files.readAllBytes(WebrootFiles.sampleSite(dir));
    }

    private ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private Path save(byte[] bytes) throws IOException {
        Path p = dir.resolve("variant-" + counter++ + ".webroot");
        Files.write(p, bytes);
        return p;
    }

    private long sectionOffset(byte[] file, int id) {
        ByteBuffer b = le(file);
        for (int i = 0; i < Layout.SECTION_COUNT; i++) {
            int at = Layout.HEADER_SIZE + i * Layout.SECTION_ENTRY_SIZE;
            if (b.getInt(at + Layout.S_ID) == id) {
                return b.getLong(at + Layout.S_OFFSET);
            }
        }
        throw new AssertionError("no section " + id);
    }

    private long sectionLength(byte[] file, int id) {
        ByteBuffer b = le(file);
        for (int i = 0; i < Layout.SECTION_COUNT; i++) {
            int at = Layout.HEADER_SIZE + i * Layout.SECTION_ENTRY_SIZE;
            if (b.getInt(at + Layout.S_ID) == id) {
                return b.getLong(at + Layout.S_LENGTH);
            }
        }
        throw new AssertionError("no section " + id);
    }

    /** Recomputes the index checksum, as a hostile writer would, so only structural checks can catch the change. */
    private byte[] resealed(byte[] file) {
        ByteBuffer b = le(file);
        int indexEnd = (int) b.getLong(Layout.H_INDEX_END);
        b.putInt(Layout.H_CHECKSUM, 0);
        CRC32C crc = new CRC32C();
        crc.update(file, 0, indexEnd);
        b.putInt(Layout.H_CHECKSUM, (int) crc.getValue());
        return file;
    }

    private byte[] hostile(Consumer<ByteBuffer> edit) {
        byte[] copy = good.clone();
        edit.accept(le(copy));
        return resealed(copy);
    }

    private void assertRefused(byte[] bytes, String messagePart) throws IOException {
        Path p = save(bytes);
        assertThatThrownBy(() -> Webroot.open(p).close())
                .isInstanceOf(WebrootFormatException.class)
                .hasMessageContaining(p.toString())
                .hasMessageContaining(messagePart);
    }

    @Test
    void truncationAtEverySectionBoundaryIsRefused() throws IOException {
        TreeSet<Long> cuts = new TreeSet<>(Arrays.asList(0L, 1L, 8L, 63L, 64L, (long) good.length - 1));
        for (int id = 1; id <= Layout.SECTION_COUNT; id++) {
            long start = sectionOffset(good, id);
            long end = start + sectionLength(good, id);
            cuts.addAll(Arrays.asList(start, start + 1, end - 1, end));
        }
        cuts.removeIf(c -> c < 0 || c >= good.length);
        for (long cut : cuts) {
            assertRefused(Arrays.copyOf(good, (int) cut), "truncated");
        }
    }

    @Test
    void trailingBytesAreRefused() throws IOException {
        assertRefused(Arrays.copyOf(good, good.length + 1), "trailing bytes");
    }

    @Test
    void everyFlippedHeaderByteIsRefused() throws IOException {
        for (int i = 0; i < Layout.HEADER_SIZE; i++) {
            byte[] copy = good.clone();
            copy[i] ^= 0x10;
            Path p = save(copy);
            assertThatThrownBy(() -> Webroot.open(p).close()).as("header byte %d", i)
                    .isInstanceOf(WebrootFormatException.class);
        }
    }

    @Test
    void flippedIndexBytesFailTheChecksum() throws IOException {
        long indexEnd = le(good).getLong(Layout.H_INDEX_END);
        int tableEnd = Layout.HEADER_SIZE + Layout.SECTION_COUNT * Layout.SECTION_ENTRY_SIZE;
        Random random = new Random(1);
        for (int n = 0; n < 200; n++) {
            int i = tableEnd + random.nextInt((int) indexEnd - tableEnd);
            byte[] copy = good.clone();
            copy[i] ^= (byte) (1 << random.nextInt(8));
            assertRefused(copy, "checksum mismatch");
        }
    }

    @Test
    void everyFlippedSectionTableBitIsRefused() throws IOException {
        int tableEnd = Layout.HEADER_SIZE + Layout.SECTION_COUNT * Layout.SECTION_ENTRY_SIZE;
        for (int i = Layout.HEADER_SIZE; i < tableEnd; i++) {
            for (int bit = 0; bit < 8; bit += 3) {
                byte[] copy = good.clone();
                copy[i] ^= (byte) (1 << bit);
                Path p = save(copy);
                assertThatThrownBy(() -> Webroot.open(p).close()).as("section table byte %d bit %d", i, bit)
                        .isInstanceOf(WebrootFormatException.class).hasMessageContaining(p.toString());
                Files.delete(p);
            }
        }
    }

    @Test
    void nonZeroIndexPaddingIsRefusedEvenBehindAValidChecksum() throws IOException {
        long indexEnd = le(good).getLong(Layout.H_INDEX_END);
        long headersEnd = sectionOffset(good, Layout.SECTION_HEADERS) + sectionLength(good, Layout.SECTION_HEADERS);
        assertThat(headersEnd).as("the sample leaves padding before the data").isLessThan(indexEnd);
        assertRefused(hostile(b -> b.put((int) indexEnd - 1, (byte) 1)), "padding byte at offset " + (indexEnd - 1) + " is not zero");
        assertRefused(hostile(b -> b.put((int) headersEnd, (byte) 1)), "padding byte at offset " + headersEnd + " is not zero");
    }

    @Test
    void anIndexEndBeyondTheLastSectionIsRefusedBeforeTheIndexIsRead() throws IOException {
        long indexEnd = le(good).getLong(Layout.H_INDEX_END);
        // Index end moved one page on, DATA moved with it: the sections no longer reach index end.
        byte[] longer = new byte[good.length + 4096];
        System.arraycopy(good, 0, longer, 0, (int) indexEnd);
        System.arraycopy(good, (int) indexEnd, longer, (int) indexEnd + 4096, good.length - (int) indexEnd);
        ByteBuffer b = le(longer);
        b.putLong(Layout.H_FILE_LENGTH, longer.length);
        b.putLong(Layout.H_INDEX_END, indexEnd + 4096);
        for (int i = 0; i < Layout.SECTION_COUNT; i++) {
            int at = Layout.HEADER_SIZE + i * Layout.SECTION_ENTRY_SIZE;
            if (b.getInt(at + Layout.S_ID) == Layout.SECTION_DATA) {
                b.putLong(at + Layout.S_OFFSET, indexEnd + 4096);
            }
        }
        assertRefused(longer, "index end " + (indexEnd + 4096) + " is not the first multiple of 4096 after the last index section");
    }

    @Test
    void nonZeroDataPaddingIsFoundByVerify() throws IOException {
        byte[] copy = good.clone();
        copy[copy.length - 1] = 1;
        try (Webroot w = Webroot.open(save(copy))) {
            assertThat(w.verify()).containsExactly("padding byte at offset " + (copy.length - 1) + " is not zero");
        }
        try (Webroot w = Webroot.open(save(good))) {
            int rep = w.representation(w.lookup("/app.3f2a9c1b.js"), 0);
            long afterBody = w.dataOffset(rep) + w.length(rep);
            byte[] gap = good.clone();
            gap[(int) afterBody] = 7;
            try (Webroot damaged = Webroot.open(save(gap))) {
                assertThat(damaged.verify()).containsExactly("padding byte at offset " + afterBody + " is not zero");
            }
        }
    }

    @Test
    void flippedDataBytesAreFoundByVerifyNamingThePath() throws IOException {
        try (Webroot w = Webroot.open(save(good))) {
            int rep = w.representation(w.lookup("/app.3f2a9c1b.js"), 0);
            byte[] copy = good.clone();
            copy[(int) w.dataOffset(rep) + 3] ^= 1;
            try (Webroot corrupt = Webroot.open(save(copy))) {
                assertThat(corrupt.verify()).singleElement().asString()
                        .contains("/app.3f2a9c1b.js (identity)").contains("does not match its SHA-256");
            }
        }
    }

    @Test
    void verifyChecksEveryRepresentationSharingAnOffset() throws IOException {
        try (Webroot w = Webroot.open(save(good))) {
            int empty = w.representation(w.lookup("/empty.txt"), 0);
            int js = w.representation(w.lookup("/app.3f2a9c1b.js"), 0);
            assertThat(js).as("the js body is met first at the shared offset").isLessThan(empty);
            long reps = sectionOffset(good, Layout.SECTION_REPRESENTATIONS);
            long jsData = w.dataOffset(js);
            // The empty file now shares the js file's offset and claims a digest no content has.
            byte[] lying = hostile(b -> {
                int at = (int) reps + empty * Layout.REPRESENTATION_SIZE;
                b.putLong(at + Layout.R_DATA_OFFSET, jsData);
                b.put(at + Layout.R_SHA256, new byte[32]);
            });
            try (Webroot corrupt = Webroot.open(save(lying))) {
                assertThat(corrupt.dataOffset(empty)).isEqualTo(jsData);
                assertThat(corrupt.verify()).contains(
                        "data of /empty.txt (identity) at offset " + jsData + " does not match its SHA-256");
            }
        }
    }

    @Test
    void notAWebrootAtAll() throws IOException {
        byte[] text = "<html>this is not a webroot, but it is long enough to hold a header</html>".getBytes();
        assertRefused(text, "bad magic");
        assertRefused(new byte[0], "truncated");
    }

    @Test
    void futureVersionIsRefusedByNumber() throws IOException {
        assertRefused(hostile(b -> b.putInt(Layout.H_VERSION, Layout.VERSION + 1)),
                "unsupported format version " + (Layout.VERSION + 1));
    }

    @Test
    void structuralLiesBehindAValidChecksumAreRefused() throws IOException {
        long entries = sectionOffset(good, Layout.SECTION_ENTRIES);
        long reps = sectionOffset(good, Layout.SECTION_REPRESENTATIONS);
        long hash = sectionOffset(good, Layout.SECTION_HASH);
        assertRefused(hostile(b -> b.putLong((int) reps + Layout.R_DATA_OFFSET, Long.MAX_VALUE - 10)),
                "lies outside the data section");
        assertRefused(hostile(b -> b.putLong((int) reps + Layout.R_LENGTH, -1)), "lies outside the data section");
        assertRefused(hostile(b -> b.putLong((int) reps + Layout.R_DATA_OFFSET, b.getLong((int) reps + Layout.R_DATA_OFFSET) + 1)),
                "lies outside the data section");
        assertRefused(hostile(b -> b.putLong((int) entries + Layout.E_PATH_OFFSET, 1L << 40)), "outside the string section");
        assertRefused(hostile(b -> b.putInt((int) entries + Layout.E_PATH_LENGTH, -1)), "outside the string section");
        assertRefused(hostile(b -> b.put((int) entries + Layout.E_KIND, (byte) 9)), "unknown kind 9");
        assertRefused(hostile(b -> b.putInt((int) entries + Layout.E_FIRST_REPRESENTATION, 1 << 30)), "representations");
        assertRefused(hostile(b -> b.putInt((int) hash + Layout.SLOT_ENTRY, 1 << 20)), "hash slot 0 points at entry");
        assertRefused(hostile(b -> b.putInt(Layout.H_MAX_PROBE, 1 << 20)), "maximum probe length");
        assertRefused(hostile(b -> b.putInt(Layout.H_SLOT_COUNT, 3)), "power of two");
        assertRefused(hostile(b -> b.putInt(Layout.H_ENTRY_COUNT, 1000)), "entry count 1000");
        assertRefused(hostile(b -> b.putInt(Layout.H_NOT_FOUND_ENTRY, 0)), "not-found");
        assertRefused(hostile(b -> b.putInt((int) reps + Layout.R_NOT_MODIFIED_END, 100_000)), "cut points");
        assertRefused(hostile(b -> b.putInt((int) reps + Layout.R_COMMON_END, b.getInt((int) reps + Layout.R_COMMON_END) - 1)),
                "not at a line boundary");
        assertRefused(hostile(b -> b.putLong((int) reps + Layout.R_LENGTH, b.getLong((int) reps + Layout.R_LENGTH) + 1)),
                "does not end with its own Content-Length");
        assertRefused(hostile(b -> b.putLong(Layout.HEADER_SIZE + Layout.S_LENGTH, 1L << 50)), "lies outside its bounds");
        assertRefused(hostile(b -> b.putInt(Layout.HEADER_SIZE + Layout.SECTION_ENTRY_SIZE + Layout.S_ID, 1)),
                "unknown or repeated id");
        assertRefused(hostile(b -> b.put((int) reps + Layout.R_ENCODING, (byte) 7)), "encoding");
        long headers = sectionOffset(good, Layout.SECTION_HEADERS);
        assertRefused(hostile(b -> b.put((int) headers + 2, (byte) '\n')), "header block");
        assertRefused(hostile(b -> b.putInt((int) reps + Layout.R_ETAG_OFFSET, 7)), "ETag does not point at the value");
        assertRefused(hostile(b -> b.putInt((int) reps + Layout.R_ETAG_LENGTH, 0)), "without an ETag");
    }

    @Test
    void randomIndexDamageBehindAValidChecksumNeverEscapesAsAnythingButARefusal() throws IOException {
        long indexEnd = le(good).getLong(Layout.H_INDEX_END);
        Random random = new Random(42);
        int opened = 0;
        for (int n = 0; n < 1500; n++) {
            byte[] copy = good.clone();
            for (int k = 1 + random.nextInt(3); k > 0; k--) {
                copy[Layout.HEADER_SIZE + random.nextInt((int) indexEnd - Layout.HEADER_SIZE)] = (byte) random.nextInt(256);
            }
            Path p = save(resealed(copy));
            Webroot w;
            try {
                w = Webroot.open(p);
            } catch (WebrootFormatException refused) {
                Files.delete(p);
                continue;
            }
            opened++;
            try (w) {
                exerciseEveryAccessor(w);
            }
            Files.delete(p);
        }
        assertThat(opened).as("some damage lands in bytes that do not matter, such as string contents").isPositive();
    }

    private static void exerciseEveryAccessor(Webroot w) {
        for (int e = 0; e < w.entryCount(); e++) {
            w.kind(e);
            w.path(e);
            w.contentType(e);
            w.location(e);
            w.lastModified(e);
            byte[] path = w.path(e).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            w.lookup(path, 0, path.length);
            for (int i = 0; i < w.representationCount(e); i++) {
                int r = w.representation(e, i);
                w.encoding(r);
                w.headerBlock(r);
                w.etag(r);
                w.body(r, 0, (int) Math.min(w.length(r), 1 << 20));
                byte[] fragment = new byte[w.hpackLength(r)];
                w.copyHpack(r, 0, fragment.length, fragment, 0);
                w.copyHpack(r, w.hpackEtagEnd(r), w.hpackNotModifiedEnd(r), fragment, 0);
                w.copyHpack(r, w.hpackCommonEnd(r), w.hpackContentTypeEnd(r), fragment, 0);
            }
        }
        w.verify();
    }
}
