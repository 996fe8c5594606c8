package dev.webroot.httpd.http2;

import dev.webroot.format.Hpack;
import java.util.Objects;

/**
 * The HPACK decoder (RFC 7541) of one connection's request header blocks. All its memory is
 * allocated by the constructor: the dynamic table's entries live in a ring of
 * {@code maxTableSize} bytes (with per-entry offsets and lengths), decoded fields in one output
 * buffer of {@code maxListSize} bytes, so decoding allocates nothing.
 *
 * <p>A block whose field list outgrows {@code maxListSize} (RFC 9113 6.5.2 accounting) is still
 * decoded to its end, so the dynamic table stays in step with the peer's encoder, but nothing more
 * is written or reported once the limit is passed: references to a large entry cost only their
 * parse. Work is linear in the block's length; the one copy not bounded by it or by the output is
 * that of an inserted entry's name taken from the dynamic table, at most {@code maxTableSize - 32}
 * bytes per insertion. Once a block is found invalid the decoder answers
 * {@link #COMPRESSION_ERROR} to every later block, as the connection must end.
 */
public final class HpackDecoder {
    public static final int OK = 0;
    /** The block was decoded and the dynamic table updated, but the decoded list exceeded the limit: fields beyond it were not reported. */
    public static final int LIST_TOO_LARGE = 1;
    /** The block is not valid HPACK: the connection must end with COMPRESSION_ERROR. */
    public static final int COMPRESSION_ERROR = 2;

    /** The largest table and list sizes accepted, as both are allocated up front. */
    static final int MAX_SIZE = 1 << 24;
    /** The longest block accepted; its decoded strings (at most 8/5 of it) then stay within an int. */
    static final int MAX_BLOCK_LENGTH = 1 << 30;

    /** What an entry (4.1) and a field of a header list (RFC 9113 6.5.2) cost besides name and value. */
    private static final int ENTRY_OVERHEAD = 32;
    private static final int STATIC = Hpack.STATIC_TABLE_SIZE;

    /** Receives the fields of a block as they are decoded. */
    public interface FieldListener {
        /** false: stop reporting (decoding still completes to keep the table in sync) */
        boolean field(byte[] buf, int nameStart, int nameEnd, int valueStart, int valueEnd);
    }

    private final int maxTableSize;
    private final int maxListSize;
    /** Where the block being decoded (or the last one) puts its names and values. */
    private byte[] output;
    /** The buffer of the four-argument decode, made on its first use. */
    private byte[] ownOutput;

    /** The entries' names and values back to back, oldest first, wrapping around the end. */
    private final byte[] ring;
    /** Per entry, by slot (a ring too, {@link #newest} is the latest): where its name starts in {@link #ring}. */
    private final int[] entryStart;
    private final int[] entryNameLength;
    private final int[] entryValueLength;
    private int newest;
    private int entries;
    /** The table's size as 4.1 counts it. */
    private int tableSize;
    /** The maximum size the encoder last chose (4.2), at most {@link #maxTableSize}. */
    private int capacity;
    /** Where the next entry's bytes go in {@link #ring}. */
    private int ringEnd;

    /** The block being decoded: the next byte and the end. */
    private int pos;
    private int end;
    private int outputEnd;
    private long listSize;
    private boolean reporting;
    private boolean failed;

    public HpackDecoder(int maxTableSize, int maxListSize) {
        if (maxTableSize < 0 || maxTableSize > MAX_SIZE) {
            throw new IllegalArgumentException("maxTableSize " + maxTableSize + " is not within 0 to " + MAX_SIZE);
        }
        if (maxListSize < 0 || maxListSize > MAX_SIZE) {
            throw new IllegalArgumentException("maxListSize " + maxListSize + " is not within 0 to " + MAX_SIZE);
        }
        this.maxTableSize = maxTableSize;
        this.maxListSize = maxListSize;
        this.ring = new byte[maxTableSize];
        int maxEntries = maxTableSize / ENTRY_OVERHEAD;
        this.entryStart = new int[maxEntries];
        this.entryNameLength = new int[maxEntries];
        this.entryValueLength = new int[maxEntries];
        this.capacity = maxTableSize;
    }

    /** The buffer the last block's names and values are in; it is overwritten by the next block. */
    public byte[] output() {
        return output;
    }

    /** How long a buffer given to {@link #decode(byte[], int, int, byte[], FieldListener)} must be. */
    public int outputBytes() {
        // Reported names and values take at most maxListSize less 32 per field.
        return maxListSize;
    }

    /** The dynamic table's size as RFC 7541 4.1 counts it: names, values and 32 per entry. */
    int dynamicTableSize() {
        return tableSize;
    }

    /**
     * Decodes one complete header block in[from,to). Decoded names and values are written back to
     * back into output(); listener gets offsets into it. Returns {@link #OK},
     * {@link #LIST_TOO_LARGE} or {@link #COMPRESSION_ERROR}. A block longer than
     * {@link #MAX_BLOCK_LENGTH} is refused with an {@link IllegalArgumentException} (the connection
     * bounds blocks far below that); a listener that throws leaves the decoder unusable.
     */
    public int decode(byte[] in, int from, int to, FieldListener listener) {
        if (ownOutput == null) {
            ownOutput = new byte[maxListSize];
        }
        return decode(in, from, to, ownOutput, listener);
    }

    /**
     * As above, writing names and values into {@code out} (at least {@link #outputBytes()} long),
     * so that a connection needs the buffer only while it decodes: the table is all it keeps.
     */
    public int decode(byte[] in, int from, int to, byte[] out, FieldListener listener) {
        if (out.length < maxListSize) {
            throw new IllegalArgumentException("an output of " + out.length + " bytes is shorter than " + maxListSize);
        }
        output = out;
        Objects.checkFromToIndex(from, to, in.length);
        Objects.requireNonNull(listener, "listener");
        if (to - from > MAX_BLOCK_LENGTH) {
            throw new IllegalArgumentException("a header block of " + (to - from) + " bytes is longer than " + MAX_BLOCK_LENGTH);
        }
        if (failed) {
            return COMPRESSION_ERROR;
        }
        pos = from;
        end = to;
        outputEnd = 0;
        listSize = 0;
        reporting = true;
        boolean atStart = true;
        while (pos < end) {
            int b = in[pos] & 0xff;
            boolean valid;
            if (b >= 0x80) {
                valid = indexedField(in, listener);
            } else if (b >= 0x40) {
                valid = literalField(in, 6, true, listener);
            } else if (b >= 0x20) {
                valid = atStart && tableSizeUpdate(in);
            } else {
                // Without indexing (0000) and never indexed (0001) decode alike.
                valid = literalField(in, 4, false, listener);
            }
            if (!valid) {
                failed = true;
                return COMPRESSION_ERROR;
            }
            atStart &= b >= 0x20 && b < 0x40;
        }
        return listSize > maxListSize ? LIST_TOO_LARGE : OK;
    }

    /** 6.1. */
    private boolean indexedField(byte[] in, FieldListener listener) {
        int index = integer(in, 7);
        if (index <= 0 || index > STATIC + entries) {
            return false;
        }
        int nameLength;
        int valueLength;
        int slot = 0;
        if (index <= STATIC) {
            nameLength = Hpack.staticName(index).length;
            valueLength = Hpack.staticValue(index).length;
        } else {
            slot = slot(index);
            nameLength = entryNameLength[slot];
            valueLength = entryValueLength[slot];
        }
        listSize += nameLength + valueLength + ENTRY_OVERHEAD;
        if (reporting && listSize <= maxListSize) {
            int start = outputEnd;
            if (index <= STATIC) {
                copy(Hpack.staticName(index), 0, output, start, nameLength);
                copy(Hpack.staticValue(index), 0, output, start + nameLength, valueLength);
            } else {
                copy(ring, entryStart[slot], output, start, nameLength + valueLength);
            }
            report(listener, start, nameLength, valueLength);
        } else {
            reporting = false;
        }
        return true;
    }

    /** 6.2.1 (with {@code indexing}), 6.2.2 and 6.2.3. */
    private boolean literalField(byte[] in, int prefixBits, boolean indexing, FieldListener listener) {
        int index = integer(in, prefixBits);
        if (index < 0 || index > STATIC + entries) {
            return false;
        }
        boolean nameHuffman = false;
        int nameFrom = 0;
        int nameLength = 0;
        if (index == 0) {
            nameHuffman = pos < end && in[pos] < 0;
            nameLength = stringLength(in);
            if (nameLength < 0) {
                return false;
            }
            nameFrom = pos;
            pos += nameLength;
        }
        boolean valueHuffman = pos < end && in[pos] < 0;
        int valueLength = stringLength(in);
        if (valueLength < 0) {
            return false;
        }
        int valueFrom = pos;
        pos += valueLength;

        if (reporting) {
            int start = outputEnd;
            int room = output.length - start;
            int name = putName(in, index, nameFrom, nameLength, nameHuffman, output, start, room);
            if (name < 0) {
                return false;
            }
            int value = putString(in, valueFrom, valueLength, valueHuffman, output, start + name, Math.max(0, room - name));
            if (value < 0) {
                return false;
            }
            listSize += (long) name + value + ENTRY_OVERHEAD;
            if (listSize <= maxListSize) {
                if (indexing) {
                    insert(output, start, name, value);
                }
                report(listener, start, name, value);
                return true;
            }
            reporting = false;
            if (!indexing) {
                return true;
            }
            // The field did not fit: decode it again, into the table only.
            return insertFromBlock(in, index, nameFrom, nameLength, nameHuffman, valueFrom, valueLength, valueHuffman) >= 0;
        }
        int length;
        if (indexing) {
            length = insertFromBlock(in, index, nameFrom, nameLength, nameHuffman, valueFrom, valueLength, valueHuffman);
        } else {
            // Only checked and measured.
            int name = putName(in, index, nameFrom, nameLength, nameHuffman, output, 0, 0);
            int value = putString(in, valueFrom, valueLength, valueHuffman, output, 0, 0);
            length = name < 0 || value < 0 ? -1 : name + value;
        }
        if (length < 0) {
            return false;
        }
        listSize += length + ENTRY_OVERHEAD;
        return true;
    }

    /** 6.3; the caller checked that no field came before it in the block. */
    private boolean tableSizeUpdate(byte[] in) {
        int size = integer(in, 5);
        if (size < 0 || size > maxTableSize) {
            return false;
        }
        capacity = size;
        while (tableSize > capacity) {
            evictOldest();
        }
        return true;
    }

    private void report(FieldListener listener, int start, int nameLength, int valueLength) {
        outputEnd = start + nameLength + valueLength;
        if (!listener.field(output, start, start + nameLength, start + nameLength, outputEnd)) {
            reporting = false;
        }
    }

    /**
     * Reads an integer with a {@code prefixBits}-bit prefix (5.1) at {@link #pos}, which the caller
     * checked is within the block; -1 if it runs past the block, is above 2^31-1 or takes more
     * than five continuation bytes.
     */
    private int integer(byte[] in, int prefixBits) {
        int max = (1 << prefixBits) - 1;
        int value = in[pos++] & max;
        if (value < max) {
            return value;
        }
        long sum = max;
        for (int shift = 0; shift <= 28 && pos < end; shift += 7) {
            int b = in[pos++];
            sum += (long) (b & 0x7f) << shift;
            if (sum > Integer.MAX_VALUE) {
                return -1;
            }
            if (b >= 0) {
                return (int) sum;
            }
        }
        return -1;
    }

    /** Reads a string literal's length (5.2); -1 if the length is malformed or the string runs past the block. */
    private int stringLength(byte[] in) {
        if (pos == end) {
            return -1;
        }
        int length = integer(in, 7);
        return length > end - pos ? -1 : length;
    }

    /**
     * Writes at most {@code limit} bytes of a field's name (a table entry's or a literal) to
     * {@code dst} from {@code at}; returns the name's full length, or -1 if its Huffman code is invalid.
     */
    private int putName(byte[] in, int index, int from, int length, boolean huffman, byte[] dst, int at, int limit) {
        if (index == 0) {
            return putString(in, from, length, huffman, dst, at, limit);
        }
        if (index <= STATIC) {
            byte[] name = Hpack.staticName(index);
            copy(name, 0, dst, at, Math.min(name.length, limit));
            return name.length;
        }
        int slot = slot(index);
        copy(ring, entryStart[slot], dst, at, Math.min(entryNameLength[slot], limit));
        return entryNameLength[slot];
    }

    /**
     * Writes at most {@code limit} bytes of a string literal's content (and perhaps the byte after
     * a Huffman string, see {@link Huffman#decode}); returns its full length, or -1.
     */
    private static int putString(byte[] in, int from, int length, boolean huffman, byte[] dst, int at, int limit) {
        if (huffman) {
            return Huffman.decode(in, from, length, dst, at, limit);
        }
        copy(in, from, dst, at, Math.min(length, limit));
        return length;
    }

    /**
     * Adds an entry whose name and value are decoded straight from the block into the ring (4.4),
     * where they overwrite only free bytes or entries this addition evicts (or, if it is too large,
     * entries it clears): an entry counts 32 bytes more than it stores, so once it is added at
     * least 32 bytes of the ring after it are free, and the byte after a Huffman string may be
     * overwritten. Returns the name and value's total length, or -1 if a Huffman code is invalid.
     */
    private int insertFromBlock(byte[] in, int index, int nameFrom, int nameLength, boolean nameHuffman,
            int valueFrom, int valueLength, boolean valueHuffman) {
        int limit = Math.max(0, capacity - ENTRY_OVERHEAD);
        int at = ringEnd;
        int name = putName(in, index, nameFrom, nameLength, nameHuffman, ring, at, limit);
        if (name < 0) {
            return -1;
        }
        int value = putString(in, valueFrom, valueLength, valueHuffman, ring, wrap(at + Math.min(name, limit)),
                Math.max(0, limit - name));
        if (value < 0) {
            return -1;
        }
        if (makeRoom(name, value)) {
            add(at, name, value);
        }
        return name + value;
    }

    /** Adds an entry whose name and value are {@code src[from...]} back to back (4.4). */
    private void insert(byte[] src, int from, int nameLength, int valueLength) {
        if (makeRoom(nameLength, valueLength)) {
            copy(src, from, ring, ringEnd, nameLength + valueLength);
            add(ringEnd, nameLength, valueLength);
        }
    }

    /** Evicts entries until one this long fits (4.4); false, with the table empty, if it cannot fit at all. */
    private boolean makeRoom(int nameLength, int valueLength) {
        long size = (long) nameLength + valueLength + ENTRY_OVERHEAD;
        if (size > capacity) {
            while (entries > 0) {
                evictOldest();
            }
            return false;
        }
        while (tableSize + size > capacity) {
            evictOldest();
        }
        return true;
    }

    private void add(int at, int nameLength, int valueLength) {
        if (++newest == entryStart.length) {
            newest = 0;
        }
        entryStart[newest] = at;
        entryNameLength[newest] = nameLength;
        entryValueLength[newest] = valueLength;
        entries++;
        tableSize += nameLength + valueLength + ENTRY_OVERHEAD;
        ringEnd = wrap(at + nameLength + valueLength);
    }

    private void evictOldest() {
        int oldest = newest - entries + 1;
        if (oldest < 0) {
            oldest += entryStart.length;
        }
        tableSize -= entryNameLength[oldest] + entryValueLength[oldest] + ENTRY_OVERHEAD;
        entries--;
    }

    /** The slot of the dynamic entry at {@code index} (above {@link #STATIC}; the newest is first). */
    private int slot(int index) {
        int slot = newest - (index - STATIC - 1);
        return slot < 0 ? slot + entryStart.length : slot;
    }

    /** A position in the ring: {@code p} is below twice its length. */
    private int wrap(int p) {
        return p >= ring.length ? p - ring.length : p;
    }

    /**
     * Copies {@code length} bytes, either array being a ring that the bytes may wrap around the end
     * of. From the ring into itself the copy runs forwards, so a name that is read ahead of where
     * it is written (the entry it comes from being evicted) arrives intact.
     */
    private static void copy(byte[] src, int from, byte[] dst, int at, int length) {
        while (length > 0) {
            int n = Math.min(length, Math.min(src.length - from, dst.length - at));
            System.arraycopy(src, from, dst, at, n);
            length -= n;
            from += n;
            if (from == src.length) {
                from = 0;
            }
            at += n;
            if (at == dst.length) {
                at = 0;
            }
        }
    }
}
