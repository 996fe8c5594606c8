package dev.webroot.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sparse files whose header claims a huge index are refused within bounded memory: validation never
 * copies what a header claims, measured with the thread's allocation counter.
 */
class HostileIndexTest {
    private static final long ALLOCATION_LIMIT = 4L << 20;

    @TempDir
    Path dir;

    /** The sample site's index and data, stretched into a sparse file of {@code length} bytes and edited. */
    private Path sparse(long length, Consumer<ByteBuffer> edit) throws IOException {
        byte[] good = Files.readAllBytes(WebrootFiles.sampleSite(dir));
        ByteBuffer header = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN);
        header.putLong(Layout.H_FILE_LENGTH, length);
        edit.accept(header);
        Path file = dir.resolve("hostile-" + System.nanoTime() + ".webroot");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(good), 0);
            channel.write(ByteBuffer.wrap(new byte[1]), length - 1);
        }
        return file;
    }

    private static void setSection(ByteBuffer b, int id, long offset, long length) {
        for (int i = 0; i < Layout.SECTION_COUNT; i++) {
            int at = Layout.HEADER_SIZE + i * Layout.SECTION_ENTRY_SIZE;
            if (b.getInt(at + Layout.S_ID) == id) {
                b.putLong(at + Layout.S_OFFSET, offset);
                b.putLong(at + Layout.S_LENGTH, length);
            }
        }
    }

    private static long sectionOffset(ByteBuffer b, int id) {
        for (int i = 0; i < Layout.SECTION_COUNT; i++) {
            int at = Layout.HEADER_SIZE + i * Layout.SECTION_ENTRY_SIZE;
            if (b.getInt(at + Layout.S_ID) == id) {
                return b.getLong(at + Layout.S_OFFSET);
            }
        }
        throw new AssertionError("no section " + id);
    }

    /** Opens the file expecting a refusal naming {@code problem}; returns the bytes the thread allocated meanwhile. */
    private static long refusedAllocating(Path file, String problem) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().threadId();
        long before = threads.getThreadAllocatedBytes(id);
        assertThatThrownBy(() -> Webroot.open(file).close()).isInstanceOf(WebrootFormatException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining(problem);
        return threads.getThreadAllocatedBytes(id) - before;
    }

    @Test
    void anIndexClaimedNearTwoGibibytesInAFourGibibyteFileIsRefusedByTheCap() throws IOException {
        long claimed = (1L << 31) - 4096;
        Path file = sparse(4L << 30, b -> b.putLong(Layout.H_INDEX_END, claimed));
        long allocated = refusedAllocating(file, "index of " + claimed + " bytes is larger than this reader accepts");
        assertThat(allocated).isLessThan(ALLOCATION_LIMIT);
    }

    @Test
    void anIndexEndNoSectionReachesIsRefusedWithoutReadingTheIndex() throws IOException {
        long claimed = Webroot.MAX_INDEX_BYTES - 4096;
        long length = Webroot.MAX_INDEX_BYTES + 4096;
        Path file = sparse(length, b -> {
            b.putLong(Layout.H_INDEX_END, claimed);
            setSection(b, Layout.SECTION_DATA, claimed, length - claimed);
        });
        long started = System.nanoTime();
        long allocated = refusedAllocating(file, "is not the first multiple of 4096 after the last index section");
        assertThat(allocated).isLessThan(ALLOCATION_LIMIT);
        assertThat(System.nanoTime() - started).as("refused without reading the claimed index").isLessThan(2_000_000_000L);
    }

    @Test
    void aFragmentClaimingMostOfAHugeHpackSectionOpensAndIsFoundWrongInBoundedMemory() throws IOException {
        byte[] good = Files.readAllBytes(WebrootFiles.sampleSite(dir));
        ByteBuffer b = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN);
        long oldIndexEnd = b.getLong(Layout.H_INDEX_END);
        long claimed = 64L << 20;
        long length = claimed + good.length - oldIndexEnd;
        // The index grows to 64 MiB by making the HPACK section (the last one) fill it; the data moves along.
        b.putLong(Layout.H_FILE_LENGTH, length);
        b.putLong(Layout.H_INDEX_END, claimed);
        long hpack = sectionOffset(b, Layout.SECTION_HPACK);
        setSection(b, Layout.SECTION_HPACK, hpack, claimed - hpack);
        setSection(b, Layout.SECTION_DATA, claimed, length - claimed);
        long representations = sectionOffset(b, Layout.SECTION_REPRESENTATIONS);
        for (int r = 0; r < b.getInt(Layout.H_REPRESENTATION_COUNT); r++) {
            int at = (int) representations + r * Layout.REPRESENTATION_SIZE + Layout.R_DATA_OFFSET;
            b.putLong(at, b.getLong(at) + claimed - oldIndexEnd);
        }
        long record = b.getLong((int) representations + Layout.R_HPACK_OFFSET);
        b.putInt((int) (hpack + record + Layout.HP_LENGTH), (int) (claimed - hpack - record - Layout.HP_FRAGMENT));
        b.putInt(Layout.H_CHECKSUM, 0);
        CRC32C crc = new CRC32C();
        crc.update(good, 0, (int) oldIndexEnd);
        byte[] zeros = new byte[1 << 20];
        for (long at = oldIndexEnd; at < claimed; at += zeros.length) {
            crc.update(zeros, 0, (int) Math.min(zeros.length, claimed - at));
        }
        b.putInt(Layout.H_CHECKSUM, (int) crc.getValue());
        Path file = dir.resolve("huge-fragment.webroot");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(good, 0, (int) oldIndexEnd), 0);
            channel.write(ByteBuffer.wrap(good, (int) oldIndexEnd, good.length - (int) oldIndexEnd), claimed);
        }
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getThreadAllocatedBytes(Thread.currentThread().threadId());
        try (Webroot w = Webroot.open(file)) {
            assertThat(w.hpackLength(0)).isEqualTo(claimed - hpack - record - Layout.HP_FRAGMENT);
            assertThat(w.hpackCheck().matches(0)).isFalse();
        }
        long allocated = threads.getThreadAllocatedBytes(Thread.currentThread().threadId()) - before;
        assertThat(allocated).as("bytes allocated while opening and checking a fragment claimed at %d bytes", claimed)
                .isLessThan(ALLOCATION_LIMIT);
    }

    @Test
    void aHugeHeaderSectionThatFillsTheClaimedIndexIsChecksummedInBoundedMemory() throws IOException {
        long claimed = 64L << 20;
        long length = claimed + 4096;
        Path file = sparse(length, b -> {
            b.putLong(Layout.H_INDEX_END, claimed);
            long headers = sectionOffset(b, Layout.SECTION_HEADERS);
            setSection(b, Layout.SECTION_HEADERS, headers, claimed - headers);
            // The rules and HPACK sections follow the headers: moved to the end of the index, empty, so the table holds.
            setSection(b, Layout.SECTION_RULES, claimed, 0);
            setSection(b, Layout.SECTION_HPACK, claimed, 0);
            setSection(b, Layout.SECTION_DATA, claimed, length - claimed);
            // A checksum of the header as a hostile writer would leave it: right for these bytes only.
            b.putInt(Layout.H_CHECKSUM, 0);
            CRC32C crc = new CRC32C();
            crc.update(b.array(), 0, b.capacity());
            b.putInt(Layout.H_CHECKSUM, (int) crc.getValue());
        });
        long allocated = refusedAllocating(file, "index checksum mismatch");
        assertThat(allocated).as("bytes allocated while refusing a %d-byte index", claimed).isLessThan(ALLOCATION_LIMIT);
    }
}
