package dev.webroot.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Version 3's HPACK section: every representation's fragment is its header block converted, read
 * through the accessors; version 1 and 2 files get the same fragments built on open; lying records
 * are refused.
 */
class WebrootHpackTest {
    @TempDir
    Path dir;

    private Path fixture(String name) throws IOException {
        Path file = dir.resolve(name);
        try (InputStream in = getClass().getResourceAsStream(name)) {
            Files.write(file, in.readAllBytes());
        }
        return file;
    }

    private static byte[] fragment(Webroot w, int r) {
        byte[] bytes = new byte[w.hpackLength(r)];
        w.copyHpack(r, 0, bytes.length, bytes, 0);
        return bytes;
    }

    /** Every representation's fragment and cut points are what the converter makes of its header block. */
    private static void assertFragmentsMatchBlocks(Webroot w) {
        for (int r = 0; r < w.representationCount(); r++) {
            String block = w.headerBlock(r);
            HpackFragment expected = HpackFragment.of(block.getBytes(StandardCharsets.ISO_8859_1), w.notModifiedEnd(r),
                    w.commonEnd(r), w.contentTypeEnd(r));
            byte[] fragment = fragment(w, r);
            assertThat(fragment).as("representation %d", r).isEqualTo(expected.bytes());
            assertThat(new int[] {w.hpackNotModifiedEnd(r), w.hpackCommonEnd(r), w.hpackContentTypeEnd(r), w.hpackEtagEnd(r)})
                    .containsExactly(expected.notModifiedEnd(), expected.commonEnd(), expected.contentTypeEnd(), expected.etagEnd());
            assertThat(HpackLiterals.decode(fragment, 0, fragment.length)).isEqualTo(HpackLiterals.ofLines(block));
            assertThat(HpackLiterals.decode(fragment, 0, w.hpackCommonEnd(r)))
                    .isEqualTo(HpackLiterals.ofLines(block.substring(0, w.commonEnd(r))));
            if (w.etagLength(r) > 0) {
                assertThat(HpackLiterals.decode(fragment, 0, w.hpackEtagEnd(r)))
                        .containsExactly(new HpackLiterals.Field("etag", w.etag(r)));
            } else {
                assertThat(w.hpackEtagEnd(r)).isZero();
            }
        }
    }

    @Test
    void version3StoresEveryRepresentationsFragmentOnceAndReadsItBack() throws IOException {
        Path file = WebrootFiles.sampleSite(dir);
        try (Webroot w = Webroot.open(file)) {
            assertThat(w.version()).isEqualTo(3);
            assertFragmentsMatchBlocks(w);
            int gzip = w.representation(w.lookup("/index.html"), 1);
            byte[] fragment = fragment(w, gzip);
            assertThat(HpackLiterals.decode(fragment, w.hpackEtagEnd(gzip), w.hpackNotModifiedEnd(gzip))).containsExactly(
                    new HpackLiterals.Field("cache-control", "no-cache"), new HpackLiterals.Field("vary", "Accept-Encoding"));
            assertThat(HpackLiterals.decode(fragment, w.hpackContentTypeEnd(gzip), fragment.length))
                    .containsExactly(new HpackLiterals.Field("content-length", Long.toString(w.length(gzip))));
        }
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer b = le(bytes);
        Set<Long> blocks = new HashSet<>();
        Set<Long> records = new HashSet<>();
        long representations = section(bytes, Layout.SECTION_REPRESENTATIONS);
        long hpack = section(bytes, Layout.SECTION_HPACK);
        long recordBytes = 0;
        for (int r = 0; r < b.getInt(Layout.H_REPRESENTATION_COUNT); r++) {
            int at = (int) representations + r * Layout.REPRESENTATION_SIZE;
            blocks.add(b.getLong(at + Layout.R_HEADER_OFFSET));
            long record = b.getLong(at + Layout.R_HPACK_OFFSET);
            assertThat(record % 4).isZero();
            if (records.add(record)) {
                recordBytes += Layout.align(Layout.HP_FRAGMENT + b.getInt((int) (hpack + record)), 4);
            }
        }
        assertThat(records).as("one record per distinct header block").hasSameSizeAs(blocks);
        assertThat(sectionLength(bytes, Layout.SECTION_HPACK)).as("records back to back").isEqualTo(recordBytes);
    }

    @Test
    void version1And2FilesGetTheirFragmentsBuiltOnOpen() throws IOException {
        for (String name : new String[] {"version-1.webroot", "version-2.webroot"}) {
            try (Webroot w = Webroot.open(fixture(name))) {
                assertThat(w.version()).isEqualTo(name.equals("version-1.webroot") ? 1 : 2);
                assertThat(w.representationCount()).isGreaterThan(2);
                assertFragmentsMatchBlocks(w);
                assertThat(w.verify()).isEmpty();
            }
        }
        try (Webroot w = Webroot.open(fixture("version-2.webroot"))) {
            int index = w.representation(w.lookup("/index.html"), 0);
            assertThat(w.representation(w.lookup("/"), 0)).as("a shared run").isEqualTo(index);
            assertThat(HpackLiterals.decode(fragment(w, index), 0, w.hpackLength(index)))
                    .contains(new HpackLiterals.Field("expires", "Thu, 01 Jan 2026 00:00:00 GMT"),
                            new HpackLiterals.Field("link", "</style.css>; rel=preload"));
        }
    }

    @Test
    void copyHpackCopiesARangeAndRefusesOneOutsideTheFragment() throws IOException {
        try (Webroot w = Webroot.open(WebrootFiles.sampleSite(dir))) {
            int r = w.representation(w.lookup("/app.3f2a9c1b.js"), 0);
            byte[] whole = fragment(w, r);
            byte[] dst = new byte[whole.length + 8];
            w.copyHpack(r, w.hpackEtagEnd(r), whole.length, dst, 3);
            assertThat(java.util.Arrays.copyOfRange(dst, 3, 3 + whole.length - w.hpackEtagEnd(r)))
                    .isEqualTo(java.util.Arrays.copyOfRange(whole, w.hpackEtagEnd(r), whole.length));
            assertThat(dst[0]).isZero();
            assertThatThrownBy(() -> w.copyHpack(r, 0, whole.length + 1, dst, 0)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> w.copyHpack(r, 5, 4, dst, 0)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> w.copyHpack(r, 0, whole.length, new byte[whole.length - 1], 0))
                    .isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    void readingFragmentsAllocatesNothing() throws IOException {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (Path file : new Path[] {WebrootFiles.sampleSite(dir), fixture("version-2.webroot")}) {
            try (Webroot w = Webroot.open(file)) {
                byte[] dst = new byte[4096];
                long sum = 0;
                for (int round = 0; round < 2; round++) {
                    long before = threads.getThreadAllocatedBytes(Thread.currentThread().threadId());
                    for (int i = 0; i < 200_000; i++) {
                        int r = i % w.representationCount();
                        w.copyHpack(r, w.hpackEtagEnd(r), w.hpackLength(r), dst, 0);
                        sum += w.hpackNotModifiedEnd(r) + w.hpackCommonEnd(r) + w.hpackContentTypeEnd(r) + dst[0];
                    }
                    long allocated = threads.getThreadAllocatedBytes(Thread.currentThread().threadId()) - before;
                    if (round == 1) {
                        assertThat(allocated).as("bytes allocated by 200,000 reads of %s", file.getFileName()).isLessThan(1024);
                    }
                }
                assertThat(sum).isPositive();
            }
        }
    }

    // ---- lying records, behind a valid checksum

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static long section(byte[] file, int id) {
        return sectionField(file, id, Layout.S_OFFSET);
    }

    private static long sectionLength(byte[] file, int id) {
        return sectionField(file, id, Layout.S_LENGTH);
    }

    private static long sectionField(byte[] file, int id, int field) {
        ByteBuffer b = le(file);
        for (int i = 0; i < b.getInt(Layout.H_SECTION_COUNT); i++) {
            int at = Layout.HEADER_SIZE + i * Layout.SECTION_ENTRY_SIZE;
            if (b.getInt(at + Layout.S_ID) == id) {
                return b.getLong(at + field);
            }
        }
        throw new AssertionError("no section " + id);
    }

    private static byte[] resealed(byte[] good, Consumer<ByteBuffer> edit) {
        byte[] copy = good.clone();
        ByteBuffer b = le(copy);
        edit.accept(b);
        int indexEnd = (int) b.getLong(Layout.H_INDEX_END);
        b.putInt(Layout.H_CHECKSUM, 0);
        CRC32C crc = new CRC32C();
        crc.update(copy, 0, indexEnd);
        b.putInt(Layout.H_CHECKSUM, (int) crc.getValue());
        return copy;
    }

    private void refused(byte[] bytes, String problem) throws IOException {
        Path p = dir.resolve("hostile.webroot");
        Files.write(p, bytes);
        assertThatThrownBy(() -> Webroot.open(p).close()).isInstanceOf(WebrootFormatException.class)
                .hasMessageContaining(p + ": not a valid webroot: ").hasMessageContaining(problem);
    }

    @Test
    void lyingHpackRecordsAreRefusedNamingTheRepresentation() throws IOException {
        byte[] good = Files.readAllBytes(WebrootFiles.sampleSite(dir));
        int rep = (int) section(good, Layout.SECTION_REPRESENTATIONS);
        int hpackLength = (int) sectionLength(good, Layout.SECTION_HPACK);
        int record = (int) (section(good, Layout.SECTION_HPACK) + le(good).getLong(rep + Layout.R_HPACK_OFFSET));
        int length = le(good).getInt(record + Layout.HP_LENGTH);
        int notModified = le(good).getInt(record + Layout.HP_NOT_MODIFIED_END);
        int common = le(good).getInt(record + Layout.HP_COMMON_END);

        refused(resealed(good, b -> b.putLong(rep + Layout.R_HPACK_OFFSET, hpackLength)),
                "representation 0 HPACK record at offset " + hpackLength + " is not 4-aligned or lies outside the HPACK section");
        refused(resealed(good, b -> b.putLong(rep + Layout.R_HPACK_OFFSET, -8)), "lies outside the HPACK section");
        refused(resealed(good, b -> b.putLong(rep + Layout.R_HPACK_OFFSET, b.getLong(rep + Layout.R_HPACK_OFFSET) + 2)),
                "is not 4-aligned");
        refused(resealed(good, b -> b.putInt(record + Layout.HP_LENGTH, hpackLength)),
                "representation 0 HPACK fragment of " + hpackLength + " bytes runs past the end of the HPACK section");
        refused(resealed(good, b -> b.putInt(record + Layout.HP_LENGTH, -1)), "runs past the end of the HPACK section");
        refused(resealed(good, b -> b.putInt(record + Layout.HP_NOT_MODIFIED_END, common + 1)),
                "representation 0 HPACK cut points are out of order or beyond its fragment");
        refused(resealed(good, b -> b.putInt(record + Layout.HP_CONTENT_TYPE_END, length + 1)), "HPACK cut points are out of order");
        refused(resealed(good, b -> b.putInt(record + Layout.HP_ETAG_END, notModified + 1)), "HPACK cut points are out of order");
        refused(resealed(good, b -> b.put(rep + Layout.R_RESERVED_TAIL, (byte) 1)), "representation 0 has non-zero reserved fields");
    }

    /** Opens a file and returns, per representation, whether its fragment matches its block. */
    private boolean[] matchingFragments(byte[] bytes, List<String> verifyProblems) throws IOException {
        Path p = dir.resolve("lying-fragment.webroot");
        Files.write(p, bytes);
        try (Webroot w = Webroot.open(p)) {
            Webroot.HpackCheck check = w.hpackCheck();
            boolean[] matches = new boolean[w.representationCount()];
            for (int r = 0; r < matches.length; r++) {
                matches[r] = check.matches(r);
            }
            verifyProblems.addAll(w.verify());
            return matches;
        }
    }

    @Test
    void aFragmentThatLiesWithinItsSectionOpensAndOnlyTheCheckAndVerifyFindIt() throws IOException {
        byte[] good = Files.readAllBytes(WebrootFiles.sampleSite(dir));
        int rep = (int) section(good, Layout.SECTION_REPRESENTATIONS);
        int record = (int) (section(good, Layout.SECTION_HPACK) + le(good).getLong(rep + Layout.R_HPACK_OFFSET));
        int length = le(good).getInt(record + Layout.HP_LENGTH);
        int notModified = le(good).getInt(record + Layout.HP_NOT_MODIFIED_END);
        List<String> none = new ArrayList<>();
        boolean[] intact = matchingFragments(good, none);
        assertThat(intact).as("every fragment of the packed file").doesNotContain(false);
        assertThat(none).isEmpty();
        List<Consumer<ByteBuffer>> lies = List.of(
                b -> b.putInt(record + Layout.HP_COMMON_END, notModified),
                b -> b.putInt(record + Layout.HP_LENGTH, length - 1),
                b -> b.put(record + Layout.HP_FRAGMENT + length - 1, (byte) (b.get(record + Layout.HP_FRAGMENT + length - 1) ^ 1)));
        for (Consumer<ByteBuffer> lie : lies) {
            List<String> problems = new ArrayList<>();
            boolean[] matches = matchingFragments(resealed(good, lie), problems);
            assertThat(matches[0]).as("representation 0, whose record was changed").isFalse();
            // Records are shared by representations with the same block: those lie too, no others.
            for (int r = 1; r < matches.length; r++) {
                boolean shared = le(good).getLong(rep + r * Layout.REPRESENTATION_SIZE + Layout.R_HPACK_OFFSET)
                        == le(good).getLong(rep + Layout.R_HPACK_OFFSET);
                assertThat(matches[r]).as("representation %d", r).isEqualTo(!shared);
            }
            assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("HPACK fragment of ")
                    .endsWith(" differs from what its header block converts to"));
        }
    }

    @Test
    void aVersion2FileWhoseHeaderBlocksOverlapIsRefusedBeforeFragmentsAreBuilt() throws IOException {
        byte[] good = Files.readAllBytes(fixture("version-2.webroot"));
        int reps = (int) section(good, Layout.SECTION_REPRESENTATIONS);
        try (Webroot w = Webroot.open(fixture("version-2.webroot"))) {
            int file = w.representation(w.lookup("/app.js"), 0);
            int notFound = w.representation(w.notFoundEntry(), 0);
            int y = reps + file * Layout.REPRESENTATION_SIZE;
            int x = reps + notFound * Layout.REPRESENTATION_SIZE;
            // The not-found page's block made the tail of /app.js's, from its second group on: valid alone, but overlapping.
            byte[] overlapping = resealed(good, b -> {
                int cut = b.getInt(y + Layout.R_NOT_MODIFIED_END);
                b.putLong(x + Layout.R_HEADER_OFFSET, b.getLong(y + Layout.R_HEADER_OFFSET) + cut);
                b.putInt(x + Layout.R_HEADER_LENGTH, b.getInt(y + Layout.R_HEADER_LENGTH) - cut);
                b.putInt(x + Layout.R_NOT_MODIFIED_END, 0);
                b.putInt(x + Layout.R_COMMON_END, b.getInt(y + Layout.R_COMMON_END) - cut);
                b.putInt(x + Layout.R_CONTENT_TYPE_END, b.getInt(y + Layout.R_CONTENT_TYPE_END) - cut);
                b.putLong(x + Layout.R_DATA_OFFSET, b.getLong(y + Layout.R_DATA_OFFSET));
                b.putLong(x + Layout.R_LENGTH, b.getLong(y + Layout.R_LENGTH));
            });
            refused(overlapping, "representation " + notFound + " header block overlaps the block of representation " + file);
            byte[] sharedWithOtherCuts = resealed(good, b -> {
                for (int field : new int[] {Layout.R_HEADER_LENGTH, Layout.R_NOT_MODIFIED_END, Layout.R_COMMON_END,
                    Layout.R_CONTENT_TYPE_END, Layout.R_ETAG_OFFSET, Layout.R_ETAG_LENGTH}) {
                    b.putInt(x + field, b.getInt(y + field));
                }
                b.putLong(x + Layout.R_HEADER_OFFSET, b.getLong(y + Layout.R_HEADER_OFFSET));
                b.putLong(x + Layout.R_DATA_OFFSET, b.getLong(y + Layout.R_DATA_OFFSET));
                b.putLong(x + Layout.R_LENGTH, b.getLong(y + Layout.R_LENGTH));
                b.putInt(x + Layout.R_COMMON_END, b.getInt(y + Layout.R_NOT_MODIFIED_END));
                b.putInt(x + Layout.R_ETAG_LENGTH, 0);
            });
            refused(sharedWithOtherCuts, "share a header block but not its length or cut points");
        }
    }

    /** Replaces the first occurrence of {@code marker} in the file's HEADERS section by {@code replacement} (same length). */
    private static byte[] withBlockBytes(byte[] good, String marker, String replacement) {
        byte[] target = marker.getBytes(StandardCharsets.ISO_8859_1);
        int from = (int) section(good, Layout.SECTION_HEADERS);
        int to = from + (int) sectionLength(good, Layout.SECTION_HEADERS);
        for (int at = from; at + target.length <= to; at++) {
            if (java.util.Arrays.equals(good, at, at + target.length, target, 0, target.length)) {
                byte[] bytes = replacement.getBytes(StandardCharsets.ISO_8859_1);
                int found = at;
                return resealed(good, b -> b.put(found, bytes));
            }
        }
        throw new AssertionError("no " + marker + " in the header section");
    }

    @Test
    void blocksAreLineCheckedOnOpenAcrossCopiesOfTheSectionAndInPlaceWhenLong() throws IOException {
        WebrootWriter writer = new WebrootWriter();
        for (int i = 0; i < 1000; i++) {
            byte[] body = ("file " + i).getBytes(StandardCharsets.UTF_8);
            writer.addFile("/f/" + i + ".txt", "text/plain", 0, null,
                    List.of(new WebrootWriter.Representation(Encoding.IDENTITY, Content.ofBytes(body, "f" + i))),
                    new WebrootWriter.SiteFields(true, List.of(), List.of(new WebrootWriter.Field("X-Marker", "m" + (100_000 + i)))));
        }
        String longValue = "v".repeat(70_000);
        writer.addFile("/long.txt", "text/plain", 0, null,
                List.of(new WebrootWriter.Representation(Encoding.IDENTITY, Content.ofBytes(new byte[] {1}, "long"))),
                new WebrootWriter.SiteFields(true, List.of(), List.of(new WebrootWriter.Field("X-Long", "L" + longValue))));
        Path file = dir.resolve("many-blocks.webroot");
        writer.write(file);
        try (Webroot w = Webroot.open(file)) {
            assertThat(w.headerLength(w.representation(w.lookup("/long.txt"), 0))).isGreaterThan(64 << 10);
            Webroot.HpackCheck check = w.hpackCheck();
            for (int r = 0; r < w.representationCount(); r++) {
                assertThat(check.matches(r)).as("representation %d", r).isTrue();
            }
        }
        byte[] good = Files.readAllBytes(file);
        assertThat(sectionLength(good, Layout.SECTION_HEADERS)).as("several 64 KiB copies").isGreaterThan(3 * (64 << 10));
        // A control byte in the block of the last file, in the long block, and in the first one.
        for (String marker : new String[] {"m100999", "L" + longValue.substring(0, 10), "m100000"}) {
            refused(withBlockBytes(good, marker, marker.charAt(0) + "\u0001" + marker.substring(2)),
                    "header block is not well-formed field lines: line 5 contains a control character");
        }
        refused(withBlockBytes(good, "X-Marker: m100500", "X Marker: m100500"), "line 5 has a field name that is not a token");
    }
}
