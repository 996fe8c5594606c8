package dev.webroot.format;

import static dev.webroot.format.Layout.*;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * An open, validated webroot file, memory-mapped read-only in a shared arena.
 *
 * <p>{@link #open} checks the magic, version, index checksum and every offset and length against the
 * file size before returning, so no accessor can read outside the mapping afterwards. Accessors
 * take entry and representation indexes and return primitives: a lookup and everything needed to
 * answer a request costs no allocation and no system call. {@link #close} unmaps at once; callers
 * must make sure nothing uses the webroot by then (httpd counts references per generation).
 */
public final class Webroot implements AutoCloseable {
    /**
     * The largest index a reader accepts (about 700,000 entries with three variants each). Validation
     * reads the index straight from the mapping, so this bounds its time, never its memory.
     */
    static final long MAX_INDEX_BYTES = 1L << 30;
    /** The checksum is computed over slices of this size, so no call holds more than this. */
    private static final int CHECKSUM_CHUNK = 1 << 20;
    private static final byte[] CONTENT_LENGTH_PREFIX = "Content-Length: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ETAG_PREFIX = "ETag: ".getBytes(StandardCharsets.US_ASCII);
    private static final int VERIFY_CHUNK = 1 << 20;
    private static final MemorySegment ZEROS = MemorySegment.ofArray(new byte[1 << 16]);
    /** Building older files' HPACK records sorts representations by block in one long: offset, then index. */
    private static final int REPRESENTATION_BITS = 24;
    private static final long REPRESENTATION_MASK = (1L << REPRESENTATION_BITS) - 1;
    /** Blocks and fragments up to this length are converted or compared from a copy; the packer's are a few hundred bytes. */
    private static final int HPACK_CHECK_COPY = 16 << 10;
    /**
     * Validation line-checks header blocks from copies of this much of the HEADERS section at a time
     * (a block longer than this is converted in place instead): one copy serves a few hundred blocks.
     */
    private static final int BLOCK_WINDOW = 64 << 10;

    private final Path file;
    private final Arena arena;
    private final FileChannel channel;
    private final MemorySegment map;
    private final long fileLength;
    private final int entryCount;
    private final int representationCount;
    private final int notFoundEntry;
    private final int slotMask;
    private final int maxProbe;
    private final long hashOffset;
    private final long entriesOffset;
    private final long representationsOffset;
    private final long stringsOffset;
    private final long headersOffset;
    private final long dataOffset;
    private final int version;
    private final long rulesOffset;
    private final int ruleCount;
    /**
     * Where the HPACK records are: the mapping (version 3), or for older files an array of records
     * in the same layout, built on open from their header blocks.
     */
    private final MemorySegment hpack;
    private final long hpackOffset;
    /** Versions 1 and 2: each representation's record offset in {@link #hpack}; null for version 3. */
    private final int[] builtHpackRecords;

    private Webroot(Path file, Arena arena, FileChannel channel, MemorySegment map, Sections s) {
        this.file = file;
        this.arena = arena;
        this.channel = channel;
        this.map = map;
        this.fileLength = map.byteSize();
        this.entryCount = map.get(U32, H_ENTRY_COUNT);
        this.representationCount = map.get(U32, H_REPRESENTATION_COUNT);
        this.notFoundEntry = map.get(U32, H_NOT_FOUND_ENTRY);
        this.slotMask = map.get(U32, H_SLOT_COUNT) - 1;
        this.maxProbe = map.get(U32, H_MAX_PROBE);
        this.hashOffset = s.offset[SECTION_HASH];
        this.entriesOffset = s.offset[SECTION_ENTRIES];
        this.representationsOffset = s.offset[SECTION_REPRESENTATIONS];
        this.stringsOffset = s.offset[SECTION_STRINGS];
        this.headersOffset = s.offset[SECTION_HEADERS];
        this.dataOffset = s.offset[SECTION_DATA];
        this.version = map.get(U32, H_VERSION);
        this.rulesOffset = s.offset[SECTION_RULES];
        this.ruleCount = (int) (s.length[SECTION_RULES] / RULE_SIZE);
        this.builtHpackRecords = s.builtHpackRecords();
        this.hpack = s.builtHpack() == null ? map : MemorySegment.ofArray(s.builtHpack());
        this.hpackOffset = s.builtHpack() == null ? s.offset[SECTION_HPACK] : 0;
    }

    /** Opens and validates a webroot file; a file that is not a valid webroot is refused with a message naming the problem. */
    public static Webroot open(Path file) throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        Arena arena = Arena.ofShared();
        try {
            long size = channel.size();
            if (size < HEADER_SIZE) {
                throw invalid(file, "truncated: " + size + " bytes is shorter than the " + HEADER_SIZE + "-byte header");
            }
            MemorySegment map = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            try {
                return new Webroot(file, arena, channel, map, new Validator(file, map).validate());
            } catch (InternalError e) {
                // HotSpot's report of a fault reading the mapping: the file shrank while it was opened.
                throw invalid(file, "the file changed while it was validated (" + e.getMessage() + ")");
            }
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            channel.close();
            throw e;
        }
    }

    static WebrootFormatException invalid(Path file, String problem) {
        return new WebrootFormatException(file + ": not a valid webroot: " + problem);
    }

    /**
     * Section offsets found by validation, indexed by section id, and for files before version 3 the
     * HPACK records built from their header blocks (null otherwise).
     */
    record Sections(long[] offset, long[] length, byte[] builtHpack, int[] builtHpackRecords) {}

    // ---- lookup

    /**
     * Finds the entry for a normalized URL path given as UTF-8 bytes, comparing the bytes exactly.
     * Returns the entry index, or -1. Never returns the not-found page's entry.
     */
    public int lookup(byte[] path, int offset, int length) {
        long h = PathHash.hash(path, offset, length);
        int tag = (int) (h >>> 32);
        int slot = (int) h & slotMask;
        for (int probe = 0; probe < maxProbe; probe++) {
            long at = hashOffset + (long) slot * SLOT_SIZE;
            int entryPlusOne = map.get(U32, at + SLOT_ENTRY);
            if (entryPlusOne == 0) {
                return -1;
            }
            if (map.get(U32, at + SLOT_TAG) == tag && pathEquals(entryPlusOne - 1, path, offset, length)) {
                return entryPlusOne - 1;
            }
            slot = (slot + 1) & slotMask;
        }
        return -1;
    }

    /** Convenience lookup for tools and tests. */
    public int lookup(String path) {
        byte[] bytes = path.getBytes(StandardCharsets.UTF_8);
        return lookup(bytes, 0, bytes.length);
    }

    private boolean pathEquals(int entry, byte[] path, int offset, int length) {
        long e = entryBase(entry);
        if (map.get(U32, e + E_PATH_LENGTH) != length) {
            return false;
        }
        long at = stringsOffset + map.get(U64, e + E_PATH_OFFSET);
        for (int i = 0; i < length; i++) {
            if (map.get(U8, at + i) != path[offset + i]) {
                return false;
            }
        }
        return true;
    }

    // ---- file-level facts

    public Path file() {
        return file;
    }

    /** The whole file, mapped; body and header regions are absolute offsets into it. */
    public MemorySegment segment() {
        return map;
    }

    /** An open read channel on the file, for positional I/O such as {@code transferTo}. */
    public FileChannel channel() {
        return channel;
    }

    /**
     * The length of the index, {@code [0, index end)}: header, section table and index sections. It
     * holds every body's SHA-256 and every header block, so its own hash identifies what the file serves.
     */
    public long indexLength() {
        return dataOffset;
    }

    public long fileLength() {
        return fileLength;
    }

    public int entryCount() {
        return entryCount;
    }

    public int representationCount() {
        return representationCount;
    }

    /** The not-found page's entry, or -1 when the site has none. */
    public int notFoundEntry() {
        return notFoundEntry;
    }

    // ---- entries

    private long entryBase(int entry) {
        return entriesOffset + (long) entry * ENTRY_SIZE;
    }

    public EntryKind kind(int entry) {
        return EntryKind.ofCode(map.get(U8, entryBase(entry) + E_KIND));
    }

    public boolean isFile(int entry) {
        return map.get(U8, entryBase(entry) + E_KIND) == EntryKind.FILE.code();
    }

    public boolean isRedirect(int entry) {
        return map.get(U8, entryBase(entry) + E_KIND) == EntryKind.REDIRECT.code();
    }

    public String path(int entry) {
        long e = entryBase(entry);
        return string(stringsOffset + map.get(U64, e + E_PATH_OFFSET), map.get(U32, e + E_PATH_LENGTH));
    }

    /** Seconds since the epoch. */
    public long lastModified(int entry) {
        return map.get(U64, entryBase(entry) + E_LAST_MODIFIED);
    }

    /** Absolute offset of the entry's Content-Type value (ASCII). */
    public long contentTypeOffset(int entry) {
        return stringsOffset + map.get(U64, entryBase(entry) + E_CONTENT_TYPE_OFFSET);
    }

    public int contentTypeLength(int entry) {
        return map.get(U32, entryBase(entry) + E_CONTENT_TYPE_LENGTH);
    }

    public String contentType(int entry) {
        return string(contentTypeOffset(entry), contentTypeLength(entry));
    }

    /** Absolute offset of a redirect's Location value (ASCII, a relative reference). */
    public long locationOffset(int entry) {
        return stringsOffset + map.get(U64, entryBase(entry) + E_LOCATION_OFFSET);
    }

    public int locationLength(int entry) {
        return map.get(U32, entryBase(entry) + E_LOCATION_LENGTH);
    }

    public String location(int entry) {
        return string(locationOffset(entry), locationLength(entry));
    }

    public int representationCount(int entry) {
        return Short.toUnsignedInt(map.get(U16, entryBase(entry) + E_REPRESENTATION_COUNT));
    }

    /** The index of the entry's i-th representation; the 0th is always the identity form. */
    public int representation(int entry, int i) {
        return map.get(U32, entryBase(entry) + E_FIRST_REPRESENTATION) + i;
    }

    // ---- representations

    private long representationBase(int representation) {
        return representationsOffset + (long) representation * REPRESENTATION_SIZE;
    }

    public int encodingCode(int representation) {
        return map.get(U8, representationBase(representation) + R_ENCODING);
    }

    public Encoding encoding(int representation) {
        return Encoding.ofCode(encodingCode(representation));
    }

    /** Absolute offset of the body; a multiple of 4096. */
    public long dataOffset(int representation) {
        return map.get(U64, representationBase(representation) + R_DATA_OFFSET);
    }

    public long length(int representation) {
        return map.get(U64, representationBase(representation) + R_LENGTH);
    }

    /** Absolute offset of the precomputed header block. */
    public long headerOffset(int representation) {
        return headersOffset + map.get(U64, representationBase(representation) + R_HEADER_OFFSET);
    }

    /** Length of the whole block: the header lines of a 200 response, each ending in CRLF. */
    public int headerLength(int representation) {
        return map.get(U32, representationBase(representation) + R_HEADER_LENGTH);
    }

    /** Length of the block's prefix that a 304 response carries (ETag, Cache-Control, Vary). */
    public int notModifiedEnd(int representation) {
        return map.get(U32, representationBase(representation) + R_NOT_MODIFIED_END);
    }

    /** Length of the prefix that every 206 carries: all lines but Content-Type and Content-Length. */
    public int commonEnd(int representation) {
        return map.get(U32, representationBase(representation) + R_COMMON_END);
    }

    /** Length of the prefix that ends after the Content-Type line (a single-range 206 adds its own length). */
    public int contentTypeEnd(int representation) {
        return map.get(U32, representationBase(representation) + R_CONTENT_TYPE_END);
    }

    /** Absolute offset of the quoted ETag; its length is 0 for the not-found page. */
    public long etagOffset(int representation) {
        return headerOffset(representation) + map.get(U32, representationBase(representation) + R_ETAG_OFFSET);
    }

    public int etagLength(int representation) {
        return map.get(U32, representationBase(representation) + R_ETAG_LENGTH);
    }

    public String etag(int representation) {
        return string(etagOffset(representation), etagLength(representation));
    }

    // ---- HPACK fragments, for HTTP/2 (stored in version 3, built on open for older files)

    private long hpackRecord(int representation) {
        return builtHpackRecords != null ? builtHpackRecords[representation]
                : hpackOffset + map.get(U64, representationBase(representation) + R_HPACK_OFFSET);
    }

    /** Length of the representation's HPACK fragment: the fields of a 200 response as a HEADERS block fragment. */
    public int hpackLength(int representation) {
        return hpack.get(U32, hpackRecord(representation) + HP_LENGTH);
    }

    /** Length of the fragment's prefix that a 304 carries, as {@link #notModifiedEnd} for the block. */
    public int hpackNotModifiedEnd(int representation) {
        return hpack.get(U32, hpackRecord(representation) + HP_NOT_MODIFIED_END);
    }

    /** Length of the fragment's prefix that every 206 carries, as {@link #commonEnd} for the block. */
    public int hpackCommonEnd(int representation) {
        return hpack.get(U32, hpackRecord(representation) + HP_COMMON_END);
    }

    /** Length of the fragment's prefix that ends after content-type, as {@link #contentTypeEnd} for the block. */
    public int hpackContentTypeEnd(int representation) {
        return hpack.get(U32, hpackRecord(representation) + HP_CONTENT_TYPE_END);
    }

    /**
     * Where the fragment's first field, the ETag, ends (0 when the representation has no ETag):
     * {@code [hpackEtagEnd, hpackLength)} is the fragment without its ETag.
     */
    public int hpackEtagEnd(int representation) {
        return hpack.get(U32, hpackRecord(representation) + HP_ETAG_END);
    }

    /**
     * Copies the fragment's bytes {@code [from, to)} into {@code dst} at {@code at}, without
     * allocating. Throws {@link IndexOutOfBoundsException} when the range is not within the
     * fragment or the destination.
     */
    public void copyHpack(int representation, int from, int to, byte[] dst, int at) {
        long record = hpackRecord(representation);
        java.util.Objects.checkFromToIndex(from, to, hpack.get(U32, record + HP_LENGTH));
        MemorySegment.copy(hpack, U8, record + HP_FRAGMENT + from, dst, at, to - from);
    }

    /**
     * A checker of stored HPACK fragments against their header blocks, for one thread. Opening checks
     * that every record lies within the HPACK section and every block is well-formed, but not that
     * the fragment is exactly what the block converts to: that is left to whoever sends fragments.
     */
    public HpackCheck hpackCheck() {
        return new HpackCheck();
    }

    /**
     * Compares representations' HPACK fragments and cut points with what their header blocks convert
     * to (FORMAT.md, "HPACK"), one at a time, without building the fragments. Blocks and fragments of
     * up to 16 KiB are compared from copies that grow to that size, longer ones in place, so a check
     * takes bounded memory whatever the file claims. Not for concurrent use.
     */
    public final class HpackCheck {
        private final ByteBuffer index = map.asSlice(0, dataOffset).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        private final HpackFragment.Comparison comparison = new HpackFragment.Comparison();
        /** Copy buffers for the fragment (0) and the block (1). */
        private final ByteBuffer[] copies = {ByteBuffer.allocate(512), ByteBuffer.allocate(512)};

        private HpackCheck() {}

        /**
         * Whether the representation's stored fragment and its cut points are exactly what its header
         * block converts to. Always true for files before version 3, whose fragments were built from
         * their blocks on open.
         */
        public boolean matches(int representation) {
            if (builtHpackRecords != null) {
                return true;
            }
            long record = hpackRecord(representation);
            int fragmentLength = map.get(U32, record + HP_LENGTH);
            ByteBuffer fragment = copy(0, fragmentLength);
            int fragmentAt = copied(fragment, record + HP_FRAGMENT, fragmentLength);
            comparison.expect(fragment == null ? index : fragment, fragmentAt, fragmentLength);
            long block = headerOffset(representation);
            int blockLength = headerLength(representation);
            ByteBuffer source = copy(1, blockLength);
            int blockAt = copied(source, block, blockLength);
            try {
                HpackFragment.convert(source == null ? index : source, blockAt, blockLength, notModifiedEnd(representation),
                        commonEnd(representation), contentTypeEnd(representation), comparison);
            } catch (IllegalArgumentException e) {
                // Open refuses such blocks; a fragment can match no block that is not well-formed.
                return false;
            }
            return comparison.matches(map.get(U32, record + HP_NOT_MODIFIED_END), map.get(U32, record + HP_COMMON_END),
                    map.get(U32, record + HP_CONTENT_TYPE_END), map.get(U32, record + HP_ETAG_END));
        }

        /** Copy buffer {@code which}, grown to hold {@code n} bytes; null when n is too long to copy. */
        private ByteBuffer copy(int which, int n) {
            if (n > HPACK_CHECK_COPY) {
                return null;
            }
            if (n > copies[which].capacity()) {
                copies[which] = ByteBuffer.allocate(Math.min(HPACK_CHECK_COPY, 2 * n));
            }
            return copies[which];
        }

        /** Copies the index bytes {@code [at, at + n)} to the start of {@code copy} and returns 0, or, without a copy, returns {@code at}. */
        private int copied(ByteBuffer copy, long at, int n) {
            if (copy == null) {
                return (int) at;
            }
            index.get((int) at, copy.array(), 0, n);
            return 0;
        }
    }

    /**
     * The representation's header block converted to HPACK, as the packer converts it: what HTTP/2
     * responses carry when the stored fragment does not match ({@link HpackCheck}). Allocates the fragment.
     */
    public HpackFragment convertedHpack(int representation) {
        byte[] block = map.asSlice(headerOffset(representation), headerLength(representation)).toArray(U8);
        return HpackFragment.of(block, notModifiedEnd(representation), commonEnd(representation), contentTypeEnd(representation));
    }

    public byte[] sha256(int representation) {
        return map.asSlice(representationBase(representation) + R_SHA256, SHA256_LENGTH).toArray(U8);
    }

    public String headerBlock(int representation) {
        return string(headerOffset(representation), headerLength(representation));
    }

    /** The body as a read-only buffer; valid until the webroot is closed. */
    public ByteBuffer body(int representation, long offset, int length) {
        return map.asSlice(dataOffset(representation) + offset, length).asByteBuffer();
    }

    private String string(long offset, int length) {
        return new String(map.asSlice(offset, length).toArray(U8), StandardCharsets.UTF_8);
    }

    // ---- site rules (version 2; a version-1 file has none)

    /** The format version of the file: 1 (read as a site without rules), 2 or 3. */
    public int version() {
        return version;
    }

    /** A REDIRECT entry's status: 301 or 308. */
    public int redirectStatus(int entry) {
        int status = version == VERSION_1 ? 0 : Short.toUnsignedInt(map.get(U16, entryBase(entry) + E_REDIRECT_STATUS));
        return status == 0 ? 301 : status;
    }

    /** The first forced rule that matches the entry's path (decided at pack time), or -1. */
    public int forcedRule(int entry) {
        return version == VERSION_1 ? -1 : map.get(U32, entryBase(entry) + E_FORCED_RULE) - 1;
    }

    public int ruleCount() {
        return ruleCount;
    }

    private long ruleBase(int rule) {
        return rulesOffset + (long) rule * RULE_SIZE;
    }

    /** 200, 301, 302, 303, 307, 308, 404 or 410. */
    public int ruleStatus(int rule) {
        return Short.toUnsignedInt(map.get(U16, ruleBase(rule) + RU_STATUS));
    }

    /** Whether the rule applies even where the path is packed. */
    public boolean ruleForced(int rule) {
        return (map.get(U8, ruleBase(rule) + RU_FLAGS) & RULE_FORCED) != 0;
    }

    /** Whether the target is an absolute http(s) URL (redirects only). */
    public boolean ruleAbsolute(int rule) {
        return (map.get(U8, ruleBase(rule) + RU_FLAGS) & RULE_ABSOLUTE) != 0;
    }

    /** Whether the target refers to captures of the pattern, so it is built per request. */
    public boolean ruleTemplate(int rule) {
        return (map.get(U8, ruleBase(rule) + RU_FLAGS) & RULE_TEMPLATE) != 0;
    }

    /** The line of the rule file the rule was written on, 0 for rules made by the packer. */
    public int ruleLine(int rule) {
        return map.get(U32, ruleBase(rule) + RU_LINE);
    }

    /** Absolute offset of the pattern's bytes (UTF-8). */
    public long rulePatternOffset(int rule) {
        return stringsOffset + map.get(U64, ruleBase(rule) + RU_PATTERN_OFFSET);
    }

    public int rulePatternLength(int rule) {
        return map.get(U32, ruleBase(rule) + RU_PATTERN_LENGTH);
    }

    /** How many leading bytes of the pattern are literal: a path that differs there cannot match. */
    public int rulePrefixLength(int rule) {
        return map.get(U32, ruleBase(rule) + RU_PREFIX_LENGTH);
    }

    /** Absolute offset of the target's bytes (visible ASCII). */
    public long ruleTargetOffset(int rule) {
        return stringsOffset + map.get(U64, ruleBase(rule) + RU_TARGET_OFFSET);
    }

    public int ruleTargetLength(int rule) {
        return map.get(U32, ruleBase(rule) + RU_TARGET_LENGTH);
    }

    /** The FILE entry a 200, 404 or 410 rule with a fixed target serves, or -1. */
    public int ruleTargetEntry(int rule) {
        return map.get(U32, ruleBase(rule) + RU_TARGET_ENTRY) - 1;
    }

    public String rulePattern(int rule) {
        return string(rulePatternOffset(rule), rulePatternLength(rule));
    }

    public String ruleTarget(int rule) {
        return string(ruleTargetOffset(rule), ruleTargetLength(rule));
    }

    /**
     * Checks what opening does not: that every rule's pattern is valid and every placeholder of its
     * target is captured by it, and that each entry's forced rule is the first forced rule its path
     * matches. Returns one message per problem.
     */
    public List<String> verifyRules() {
        List<String> problems = new ArrayList<>();
        for (int r = 0; r < ruleCount; r++) {
            String pattern = rulePattern(r);
            String name = "rule " + (r + 1) + (ruleLine(r) > 0 ? " (_redirects:" + ruleLine(r) + ")" : "");
            String problem = RulePatterns.problem(pattern);
            if (problem != null) {
                problems.add(name + ": " + problem);
                continue;
            }
            String unknown = RulePatterns.unknownPlaceholder(pattern, ruleTarget(r));
            if (unknown != null) {
                problems.add(name + ": unknown placeholder " + unknown + " in " + ruleTarget(r));
            }
            if (ruleTemplate(r) != RulePatterns.hasPlaceholders(pattern, ruleTarget(r))) {
                problems.add(name + ": its template flag disagrees with its target");
            }
        }
        for (int e = 0; e < entryCount; e++) {
            if (kind(e) == EntryKind.NOT_FOUND) {
                continue;
            }
            int expected = -1;
            for (int r = 0; r < ruleCount && expected < 0; r++) {
                if (ruleForced(r) && RulePatterns.matches(rulePattern(r), path(e))) {
                    expected = r;
                }
            }
            if (forcedRule(e) != expected) {
                problems.add("entry " + path(e) + " records forced rule " + (forcedRule(e) + 1) + " but rule "
                        + (expected + 1) + " is the first forced rule that matches it");
            }
        }
        return problems;
    }

    // ---- verification

    /**
     * Re-hashes every stored body and compares it with the recorded SHA-256 and ETag, checks every
     * HPACK fragment against its header block ({@link HpackCheck}), and checks that the DATA bytes
     * outside every body (alignment padding) are zero. Returns one message per problem;
     * an empty list means the data is intact.
     */
    public List<String> verify() {
        List<String> problems = new ArrayList<>();
        record Span(long offset, long length) {}
        java.util.Map<Span, byte[]> digestsBySpan = new java.util.HashMap<>();
        HpackCheck fragments = hpackCheck();
        for (int r = 0; r < representationCount; r++) {
            long offset = dataOffset(r);
            long length = length(r);
            byte[] expected = sha256(r);
            byte[] actual = digestsBySpan.computeIfAbsent(new Span(offset, length), span -> digest(offset, length));
            if (!MessageDigest.isEqual(actual, expected)) {
                problems.add("data of " + describe(r) + " at offset " + offset + " does not match its SHA-256");
            }
            if (etagLength(r) > 0 && !etag(r).equals(Digests.etag(expected))) {
                problems.add("ETag of " + describe(r) + " does not match its content hash");
            }
            if (!fragments.matches(r)) {
                problems.add("HPACK fragment of " + describe(r) + " differs from what its header block converts to");
            }
        }
        checkDataPadding(problems);
        return problems;
    }

    /** The SHA-256 of a representation's stored body as it is now (reads the whole body); compare with {@link #sha256}. */
    public byte[] hashBody(int representation) {
        return digest(dataOffset(representation), length(representation));
    }

    /** Reports the first non-zero byte of each gap between bodies (bodies may share or overlap their spans). */
    private void checkDataPadding(List<String> problems) {
        Integer[] byOffset = new Integer[representationCount];
        Arrays.setAll(byOffset, r -> r);
        Arrays.sort(byOffset, (a, b) -> Long.compare(dataOffset(a), dataOffset(b)));
        long at = dataOffset;
        for (int r : byOffset) {
            checkZero(at, dataOffset(r), problems);
            at = Math.max(at, dataOffset(r) + length(r));
        }
        checkZero(at, fileLength, problems);
    }

    private void checkZero(long from, long to, List<String> problems) {
        for (long at = from; at < to; at += ZEROS.byteSize()) {
            long n = Math.min(ZEROS.byteSize(), to - at);
            long mismatch = MemorySegment.mismatch(map, at, at + n, ZEROS, 0, n);
            if (mismatch >= 0) {
                problems.add("padding byte at offset " + (at + mismatch) + " is not zero");
                return;
            }
        }
    }

    private byte[] digest(long offset, long length) {
        MessageDigest digest = Digests.newSha256();
        for (long done = 0; done < length; done += VERIFY_CHUNK) {
            int n = (int) Math.min(VERIFY_CHUNK, length - done);
            digest.update(map.asSlice(offset + done, n).asByteBuffer());
        }
        return digest.digest();
    }

    /** Names a representation for messages: the first entry that uses it and its encoding, e.g. {@code /a.css (br)}. */
    public String describe(int representation) {
        for (int e = 0; e < entryCount; e++) {
            int count = representationCount(e);
            int first = count == 0 ? -1 : representation(e, 0);
            if (representation >= first && representation < first + count) {
                String name = kind(e) == EntryKind.NOT_FOUND ? "the not-found page" : path(e);
                return name + " (" + encoding(representation).token() + ")";
            }
        }
        return "representation " + representation;
    }

    /** Unmaps the file and closes its channel. */
    @Override
    public void close() throws IOException {
        try {
            arena.close();
        } finally {
            channel.close();
        }
    }

    /** Validation of a freshly mapped file, in the order FORMAT.md lists the checks. */
    private static final class Validator {
        private final Path file;
        private final MemorySegment map;
        private final long size;
        private final long[] offset = new long[SECTION_COUNT + 1];
        private final long[] length = new long[SECTION_COUNT + 1];
        private int version;
        private int sectionCount;
        /** The index, a view of the mapping: validation allocates nothing in proportion to the file. */
        private ByteBuffer idx;
        /**
         * A copy of the HEADERS bytes {@code [windowStart, windowEnd)} (absolute offsets), which holds
         * the blocks being checked: reading the mapping byte by byte costs a bounds and a liveness check
         * per byte, and each copy out of it a session check, which dominated opening.
         */
        private final byte[] blockWindow = new byte[BLOCK_WINDOW];
        private long windowStart;
        private long windowEnd;
        /** Where a block too long for the window is converted to, counting only (as the line check). */
        private final HpackFragment.Output counting = new HpackFragment.Output();
        /** Versions 1 and 2: a copy of a block being converted when it fits, else the block is converted in place. */
        private final ByteBuffer blockCopy = ByteBuffer.allocate(HPACK_CHECK_COPY);

        Validator(Path file, MemorySegment map) {
            this.file = file;
            this.map = map;
            this.size = map.byteSize();
        }

        private int u8(long offset) {
            return idx.get((int) offset) & 0xff;
        }

        private short u16(long offset) {
            return idx.getShort((int) offset);
        }

        private int u32(long offset) {
            return idx.getInt((int) offset);
        }

        private long u64(long offset) {
            return idx.getLong((int) offset);
        }

        private WebrootFormatException fail(String problem) {
            return invalid(file, problem);
        }

        Sections validate() throws WebrootFormatException {
            for (int i = 0; i < MAGIC.length; i++) {
                if (map.get(U8, H_MAGIC + i) != MAGIC[i]) {
                    throw fail("bad magic (not a webroot file)");
                }
            }
            int version = map.get(U32, H_VERSION);
            if (version != VERSION && version != VERSION_2 && version != VERSION_1) {
                throw fail("unsupported format version " + Integer.toUnsignedString(version) + " (this build reads versions "
                        + VERSION_1 + " to " + VERSION + "; re-pack with this mkroot)");
            }
            this.version = version;
            this.sectionCount = version == VERSION_1 ? SECTION_COUNT_V1 : version == VERSION_2 ? SECTION_COUNT_V2 : SECTION_COUNT;
            if (map.get(U32, H_HEADER_SIZE) != HEADER_SIZE) {
                throw fail("header size is " + map.get(U32, H_HEADER_SIZE) + ", expected " + HEADER_SIZE);
            }
            long declared = map.get(U64, H_FILE_LENGTH);
            if (declared != size) {
                throw fail((size < declared ? "truncated" : "has trailing bytes") + ": header says " + Long.toUnsignedString(declared)
                        + " bytes, file has " + size);
            }
            if (map.get(U32, H_SECTION_COUNT) != sectionCount) {
                throw fail("section count is " + map.get(U32, H_SECTION_COUNT) + ", expected " + sectionCount);
            }
            long tableEnd = HEADER_SIZE + (long) sectionCount * SECTION_ENTRY_SIZE;
            long indexEnd = map.get(U64, H_INDEX_END);
            if (indexEnd < tableEnd || indexEnd > size || indexEnd % DATA_ALIGNMENT != 0) {
                throw fail("index end " + Long.toUnsignedString(indexEnd) + " is outside the file or not 4096-aligned");
            }
            if (map.get(U32, H_RESERVED) != 0) {
                throw fail("reserved header field is not zero");
            }
            if (indexEnd > MAX_INDEX_BYTES) {
                throw fail("index of " + indexEnd + " bytes is larger than this reader accepts (" + MAX_INDEX_BYTES + ")");
            }
            idx = map.asSlice(0, indexEnd).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            // The section table is checked before the checksum, so that a header claiming a huge index
            // that no section fills is refused without reading it.
            readSections(tableEnd, indexEnd);
            checkChecksum(indexEnd);
            checkIndexPadding(tableEnd, indexEnd);
            int entryCount = count(H_ENTRY_COUNT, SECTION_ENTRIES, ENTRY_SIZE, "entry");
            int representationCount = count(H_REPRESENTATION_COUNT, SECTION_REPRESENTATIONS, REPRESENTATION_SIZE, "representation");
            int slotCount = u32(H_SLOT_COUNT);
            if (slotCount <= 0 || Integer.bitCount(slotCount) != 1 || (long) slotCount * SLOT_SIZE != length[SECTION_HASH]) {
                throw fail("hash slot count " + Integer.toUnsignedString(slotCount) + " is not a power of two matching the hash section");
            }
            int maxProbe = u32(H_MAX_PROBE);
            if (maxProbe < 0 || maxProbe > slotCount) {
                throw fail("maximum probe length " + Integer.toUnsignedString(maxProbe) + " exceeds the slot count");
            }
            int notFound = u32(H_NOT_FOUND_ENTRY);
            if (notFound != NONE && (notFound < 0 || notFound >= entryCount)) {
                throw fail("not-found entry " + Integer.toUnsignedString(notFound) + " is out of range");
            }
            checkSlots(slotCount, entryCount);
            for (int e = 0; e < entryCount; e++) {
                checkEntry(e, notFound, representationCount);
            }
            for (int r = 0; r < representationCount; r++) {
                checkRepresentation(r);
            }
            if (version != VERSION_1) {
                checkRules(entryCount);
            }
            if (version != VERSION) {
                return buildHpack(representationCount);
            }
            return new Sections(offset, length, null, null);
        }

        /** CRC-32C of [0, index end) with the checksum field read as zero, over bounded slices of the mapping. */
        private void checkChecksum(long indexEnd) throws WebrootFormatException {
            int stored = u32(H_CHECKSUM);
            CRC32C crc = new CRC32C();
            crc.update(idx.slice(0, H_CHECKSUM));
            crc.update(new byte[Integer.BYTES]);
            for (int at = H_CHECKSUM + Integer.BYTES; at < indexEnd; at += CHECKSUM_CHUNK) {
                crc.update(idx.slice(at, (int) Math.min(CHECKSUM_CHUNK, indexEnd - at)));
            }
            if ((int) crc.getValue() != stored) {
                throw fail("index checksum mismatch (stored " + Integer.toHexString(stored) + ", computed "
                        + Integer.toHexString((int) crc.getValue()) + "): the file is corrupt");
            }
        }

        private void readSections(long tableEnd, long indexEnd) throws WebrootFormatException {
            boolean[] seen = new boolean[SECTION_COUNT + 1];
            for (int i = 0; i < sectionCount; i++) {
                long at = HEADER_SIZE + (long) i * SECTION_ENTRY_SIZE;
                int id = u32(at + S_ID);
                if (id < 1 || id > sectionCount || seen[id]) {
                    throw fail("section table entry " + i + " has an unknown or repeated id " + Integer.toUnsignedString(id));
                }
                if (u32(at + S_RESERVED) != 0) {
                    throw fail("section " + id + " has a non-zero reserved field");
                }
                seen[id] = true;
                long start = u64(at + S_OFFSET);
                long len = u64(at + S_LENGTH);
                boolean data = id == SECTION_DATA;
                long lower = data ? indexEnd : tableEnd;
                long upper = data ? size : indexEnd;
                if (start < lower || len < 0 || start > upper || len > upper - start
                        || start % (data ? DATA_ALIGNMENT : SECTION_ALIGNMENT) != 0
                        || data && start + len != size) {
                    throw fail("section " + id + " (offset " + Long.toUnsignedString(start) + ", length "
                            + Long.toUnsignedString(len) + ") lies outside its bounds");
                }
                offset[id] = start;
                length[id] = len;
            }
            for (int a = 1; a <= sectionCount; a++) {
                for (int b = a + 1; b <= sectionCount; b++) {
                    if (a != SECTION_DATA && b != SECTION_DATA
                            && offset[a] < offset[b] + length[b] && offset[b] < offset[a] + length[a]) {
                        throw fail("sections " + a + " and " + b + " overlap");
                    }
                }
            }
            long sectionsEnd = tableEnd;
            for (int id = 1; id <= sectionCount; id++) {
                if (id != SECTION_DATA) {
                    sectionsEnd = Math.max(sectionsEnd, offset[id] + length[id]);
                }
            }
            if (indexEnd != align(sectionsEnd, DATA_ALIGNMENT)) {
                throw fail("index end " + indexEnd + " is not the first multiple of 4096 after the last index section (which ends at "
                        + sectionsEnd + ")");
            }
        }

        /** Bytes of the index outside every section (alignment gaps and the padding up to index end) are zero. */
        private void checkIndexPadding(long tableEnd, long indexEnd) throws WebrootFormatException {
            Integer[] ids = new Integer[sectionCount - 1];
            for (int id = 1, i = 0; id <= sectionCount; id++) {
                if (id != SECTION_DATA) {
                    ids[i++] = id;
                }
            }
            Arrays.sort(ids, (a, b) -> Long.compare(offset[a], offset[b]));
            long at = tableEnd;
            for (int id : ids) {
                checkZero(at, offset[id]);
                at = Math.max(at, offset[id] + length[id]);
            }
            checkZero(at, indexEnd);
        }

        private void checkZero(long from, long to) throws WebrootFormatException {
            for (long i = from; i < to; i++) {
                if (u8(i) != 0) {
                    throw fail("padding byte at offset " + i + " is not zero");
                }
            }
        }

        private int count(int headerField, int section, int recordSize, String what) throws WebrootFormatException {
            int n = u32(headerField);
            if (n < 0 || (long) n * recordSize != length[section]) {
                throw fail(what + " count " + Integer.toUnsignedString(n) + " does not match its section length " + length[section]);
            }
            return n;
        }

        private void checkSlots(int slotCount, int entryCount) throws WebrootFormatException {
            for (int s = 0; s < slotCount; s++) {
                int entryPlusOne = u32(offset[SECTION_HASH] + (long) s * SLOT_SIZE + SLOT_ENTRY);
                if (entryPlusOne < 0 || entryPlusOne > entryCount) {
                    throw fail("hash slot " + s + " points at entry " + Integer.toUnsignedString(entryPlusOne - 1) + " of " + entryCount);
                }
            }
        }

        private void checkString(int entry, String field, long relative, long len) throws WebrootFormatException {
            if (relative < 0 || len < 0 || relative > length[SECTION_STRINGS] || len > length[SECTION_STRINGS] - relative) {
                throw fail("entry " + entry + " " + field + " lies outside the string section");
            }
        }

        private void checkFieldBytes(int entry, String field, long absolute, long len) throws WebrootFormatException {
            for (int i = (int) absolute, end = (int) (absolute + len); i < end; i++) {
                int c = u8(i);
                if (c < 0x20 && c != '\t' || c == 0x7f) {
                    throw fail("entry " + entry + " " + field + " contains a control character");
                }
            }
        }

        private void checkEntry(int e, int notFound, int representationCount) throws WebrootFormatException {
            long at = offset[SECTION_ENTRIES] + (long) e * ENTRY_SIZE;
            long pathOffset = u64(at + E_PATH_OFFSET);
            long pathLength = Integer.toUnsignedLong(u32(at + E_PATH_LENGTH));
            checkString(e, "path", pathOffset, pathLength);
            EntryKind kind = EntryKind.ofCode(u8(at + E_KIND));
            if (kind == null) {
                throw fail("entry " + e + " has an unknown kind " + u8(at + E_KIND));
            }
            if ((kind == EntryKind.NOT_FOUND) != (e == notFound)) {
                throw fail("entry " + e + " disagrees with the header about the not-found page");
            }
            if (kind != EntryKind.NOT_FOUND) {
                if (pathLength == 0 || u8(offset[SECTION_STRINGS] + pathOffset) != '/') {
                    throw fail("entry " + e + " has a path that does not start with '/'");
                }
            }
            if (u8(at + E_FLAGS) != 0 || version == VERSION_1 && (u32(at + E_FORCED_RULE) != 0 || u64(at + E_REDIRECT_STATUS) != 0)
                    || version != VERSION_1 && (u16(at + E_RESERVED) != 0 || u32(at + E_RESERVED + 2) != 0)) {
                throw fail("entry " + e + " has non-zero reserved fields");
            }
            if (version != VERSION_1) {
                checkEntryRuleFields(e, at, kind);
            }
            int count = Short.toUnsignedInt(u16(at + E_REPRESENTATION_COUNT));
            long first = Integer.toUnsignedLong(u32(at + E_FIRST_REPRESENTATION));
            long typeOffset = u64(at + E_CONTENT_TYPE_OFFSET);
            long typeLength = Integer.toUnsignedLong(u32(at + E_CONTENT_TYPE_LENGTH));
            long locationOffset = u64(at + E_LOCATION_OFFSET);
            long locationLength = Integer.toUnsignedLong(u32(at + E_LOCATION_LENGTH));
            checkString(e, "content type", typeOffset, typeLength);
            checkString(e, "location", locationOffset, locationLength);
            checkFieldBytes(e, "content type", offset[SECTION_STRINGS] + typeOffset, typeLength);
            checkFieldBytes(e, "location", offset[SECTION_STRINGS] + locationOffset, locationLength);
            if (kind == EntryKind.REDIRECT) {
                if (count != 0 || locationLength == 0) {
                    throw fail("entry " + e + " is a redirect without a location or with representations");
                }
                return;
            }
            if (count == 0 || first + count > representationCount || typeLength == 0) {
                throw fail("entry " + e + " has representations " + first + ".." + (first + count) + " of " + representationCount
                        + " or no content type");
            }
            int seen = 0;
            for (long r = first; r < first + count; r++) {
                long rep = offset[SECTION_REPRESENTATIONS] + r * REPRESENTATION_SIZE;
                int code = u8(rep + R_ENCODING);
                if (!Encoding.isValidCode(code) || (seen & (1 << code)) != 0 || (r == first) != (code == Encoding.IDENTITY.code())) {
                    throw fail("entry " + e + " has a missing, repeated or unknown encoding");
                }
                seen |= 1 << code;
                if ((u32(rep + R_ETAG_LENGTH) == 0) != (kind == EntryKind.NOT_FOUND)) {
                    throw fail("entry " + e + " has a representation " + (kind == EntryKind.NOT_FOUND ? "with" : "without") + " an ETag");
                }
            }
        }

        /** Version 2 entry fields: a redirect's status, and a forced rule in range that is forced. */
        private void checkEntryRuleFields(int e, long at, EntryKind kind) throws WebrootFormatException {
            int status = Short.toUnsignedInt(u16(at + E_REDIRECT_STATUS));
            if (kind == EntryKind.REDIRECT ? status != 301 && status != 308 : status != 0) {
                throw fail("entry " + e + " has redirect status " + status);
            }
            long forced = Integer.toUnsignedLong(u32(at + E_FORCED_RULE));
            long rules = length[SECTION_RULES] / RULE_SIZE;
            if (forced > rules || kind == EntryKind.NOT_FOUND && forced != 0
                    || forced > 0 && (u8(offset[SECTION_RULES] + (forced - 1) * RULE_SIZE + RU_FLAGS) & RULE_FORCED) == 0) {
                throw fail("entry " + e + " names rule " + forced + ", which is not one of the " + rules + " rules or not forced");
            }
        }

        /**
         * Every rule: a known status and flags, pattern and target inside STRINGS, a target of visible
         * ASCII that a redirect has and only a redirect may make absolute, a fixed-target rewrite's entry
         * a FILE, the literal prefix within the pattern, reserved bytes 0.
         */
        private void checkRules(int entryCount) throws WebrootFormatException {
            if (length[SECTION_RULES] % RULE_SIZE != 0) {
                throw fail("rule section length " + length[SECTION_RULES] + " is not a multiple of " + RULE_SIZE);
            }
            long count = length[SECTION_RULES] / RULE_SIZE;
            for (int r = 0; r < count; r++) {
                long at = offset[SECTION_RULES] + (long) r * RULE_SIZE;
                int status = Short.toUnsignedInt(u16(at + RU_STATUS));
                int flags = u8(at + RU_FLAGS);
                boolean redirect = status >= 300 && status < 400;
                if (!WebrootWriter.RULE_STATUSES.contains(status) || (flags & ~RULE_FLAGS) != 0
                        || u8(at + RU_RESERVED) != 0 || u64(at + RU_RESERVED_TAIL) != 0) {
                    throw fail("rule " + r + " has status " + status + ", flags " + flags + " or non-zero reserved fields");
                }
                long patternOffset = u64(at + RU_PATTERN_OFFSET);
                long patternLength = Integer.toUnsignedLong(u32(at + RU_PATTERN_LENGTH));
                long targetOffset = u64(at + RU_TARGET_OFFSET);
                long targetLength = Integer.toUnsignedLong(u32(at + RU_TARGET_LENGTH));
                checkString(r, "rule pattern", patternOffset, patternLength);
                checkString(r, "rule target", targetOffset, targetLength);
                if (patternLength == 0 || u8(offset[SECTION_STRINGS] + patternOffset) != '/' || targetLength == 0) {
                    throw fail("rule " + r + " has an empty target or a pattern that does not start with '/'");
                }
                checkFieldBytes(r, "rule pattern", offset[SECTION_STRINGS] + patternOffset, patternLength);
                for (long i = 0; i < targetLength; i++) {
                    int c = u8(offset[SECTION_STRINGS] + targetOffset + i);
                    if (c <= 0x20 || c >= 0x7f) {
                        throw fail("rule " + r + " target has a byte that is not visible ASCII");
                    }
                }
                if (Integer.toUnsignedLong(u32(at + RU_PREFIX_LENGTH)) > patternLength) {
                    throw fail("rule " + r + " literal prefix is longer than its pattern");
                }
                boolean absolute = (flags & RULE_ABSOLUTE) != 0;
                if (absolute && !redirect || !absolute && u8(offset[SECTION_STRINGS] + targetOffset) != '/') {
                    throw fail("rule " + r + " has a target that is neither a path nor a redirect's URL");
                }
                long target = Integer.toUnsignedLong(u32(at + RU_TARGET_ENTRY));
                boolean template = (flags & RULE_TEMPLATE) != 0;
                if (redirect ? target != 0 : template ? target != 0 : target == 0 || target > entryCount
                        || u8(offset[SECTION_ENTRIES] + (target - 1) * ENTRY_SIZE + E_KIND) != EntryKind.FILE.code()) {
                    throw fail("rule " + r + " target entry " + target + " is not a file entry as its status requires");
                }
            }
        }

        private void checkRepresentation(int r) throws WebrootFormatException {
            long at = offset[SECTION_REPRESENTATIONS] + (long) r * REPRESENTATION_SIZE;
            for (int i = R_RESERVED; i < R_HEADER_LENGTH; i++) {
                if (u8(at + i) != 0) {
                    throw fail("representation " + r + " has non-zero reserved fields");
                }
            }
            for (int i = version == VERSION ? R_RESERVED_TAIL : R_RESERVED_TAIL_V2; i < REPRESENTATION_SIZE; i++) {
                if (u8(at + i) != 0) {
                    throw fail("representation " + r + " has non-zero reserved fields");
                }
            }
            long data = u64(at + R_DATA_OFFSET);
            long len = u64(at + R_LENGTH);
            long dataStart = offset[SECTION_DATA];
            long dataEnd = dataStart + length[SECTION_DATA];
            if (data < dataStart || data % DATA_ALIGNMENT != 0 || len < 0 || data > dataEnd || len > dataEnd - data) {
                throw fail("representation " + r + " data (offset " + Long.toUnsignedString(data) + ", length " + Long.toUnsignedString(len)
                        + ") lies outside the data section");
            }
            long header = u64(at + R_HEADER_OFFSET);
            long headerLength = Integer.toUnsignedLong(u32(at + R_HEADER_LENGTH));
            if (header < 0 || header > length[SECTION_HEADERS] || headerLength > length[SECTION_HEADERS] - header) {
                throw fail("representation " + r + " header block lies outside the header section");
            }
            long notModified = Integer.toUnsignedLong(u32(at + R_NOT_MODIFIED_END));
            long common = Integer.toUnsignedLong(u32(at + R_COMMON_END));
            long contentType = Integer.toUnsignedLong(u32(at + R_CONTENT_TYPE_END));
            long etag = Integer.toUnsignedLong(u32(at + R_ETAG_OFFSET));
            long etagLength = Integer.toUnsignedLong(u32(at + R_ETAG_LENGTH));
            if (notModified > common || common > contentType || contentType > headerLength || etag > headerLength
                    || etagLength > headerLength - etag) {
                throw fail("representation " + r + " header block cut points are out of order or out of bounds");
            }
            long block = offset[SECTION_HEADERS] + header;
            // The block's lines are checked here (version 3), or by converting it when the fragments of an
            // older file are built, once every representation has been checked.
            if (version == VERSION) {
                checkLines(r, block, headerLength, notModified, common, contentType);
                checkHpackRecord(r, at);
            }
            if (etagLength > 0 && (etag != ETAG_PREFIX.length || !startsWith(block, headerLength, ETAG_PREFIX)
                    || etag + etagLength + 2 > headerLength || u8(block + etag + etagLength) != '\r')) {
                throw fail("representation " + r + " ETag does not point at the value of the block's first line, ETag");
            }
            if (!isContentLengthLine((int) (block + contentType), (int) (block + headerLength), len)) {
                throw fail("representation " + r + " header block does not end with its own Content-Length");
            }
        }

        /**
         * The block is whole field lines with token names, its cut points at line boundaries and an
         * ETag first line within the first group: exactly the blocks the HPACK conversion accepts.
         */
        private void checkLines(int r, long block, long blockLength, long notModified, long common, long contentType)
                throws WebrootFormatException {
            try {
                if (blockLength > BLOCK_WINDOW) {
                    HpackFragment.convert(idx, (int) block, (int) blockLength, (int) notModified, (int) common, (int) contentType,
                            counting);
                    return;
                }
                if (block < windowStart || block + blockLength > windowEnd) {
                    windowStart = block;
                    windowEnd = Math.min(block + BLOCK_WINDOW, offset[SECTION_HEADERS] + length[SECTION_HEADERS]);
                    idx.get((int) windowStart, blockWindow, 0, (int) (windowEnd - windowStart));
                }
                HpackFragment.checkLines(blockWindow, (int) (block - windowStart), (int) blockLength, (int) notModified, (int) common,
                        (int) contentType);
            } catch (IllegalArgumentException e) {
                throw fail("representation " + r + " header block is not well-formed field lines: " + e.getMessage());
            }
        }

        /**
         * Version 3: the representation's HPACK record lies within the HPACK section and its cut points
         * are ordered within the fragment, so no accessor reads outside it. Whether the fragment is what
         * the block converts to is not checked here ({@link HpackCheck}): a wrong one is in bounds and
         * the block it was made from is at hand.
         */
        private void checkHpackRecord(int r, long rep) throws WebrootFormatException {
            long record = u64(rep + R_HPACK_OFFSET);
            long section = length[SECTION_HPACK];
            if (record < 0 || record % HPACK_RECORD_ALIGNMENT != 0 || record > section || HP_FRAGMENT > section - record) {
                throw fail("representation " + r + " HPACK record at offset " + Long.toUnsignedString(record)
                        + " is not 4-aligned or lies outside the HPACK section");
            }
            long at = offset[SECTION_HPACK] + record;
            long fragmentLength = Integer.toUnsignedLong(u32(at + HP_LENGTH));
            if (fragmentLength > section - record - HP_FRAGMENT) {
                throw fail("representation " + r + " HPACK fragment of " + fragmentLength
                        + " bytes runs past the end of the HPACK section");
            }
            long fragmentNotModified = Integer.toUnsignedLong(u32(at + HP_NOT_MODIFIED_END));
            long fragmentCommon = Integer.toUnsignedLong(u32(at + HP_COMMON_END));
            long fragmentContentType = Integer.toUnsignedLong(u32(at + HP_CONTENT_TYPE_END));
            long fragmentEtag = Integer.toUnsignedLong(u32(at + HP_ETAG_END));
            if (fragmentNotModified > fragmentCommon || fragmentCommon > fragmentContentType
                    || fragmentContentType > fragmentLength || fragmentEtag > fragmentNotModified) {
                throw fail("representation " + r + " HPACK cut points are out of order or beyond its fragment");
            }
        }

        /** The index bytes {@code [at, at + n)}: copied to the start of {@code copy} when they fit, else the index itself. */
        private ByteBuffer inPlaceOrCopied(long at, long n, ByteBuffer copy) {
            if (n > copy.capacity()) {
                return idx;
            }
            idx.get((int) at, copy.array(), 0, (int) n);
            return copy;
        }

        private void convert(int r, ByteBuffer source, long block, long blockLength, long notModified, long common, long contentType,
                             HpackFragment.Output out) throws WebrootFormatException {
            try {
                HpackFragment.convert(source, (int) block, (int) blockLength, (int) notModified, (int) common, (int) contentType, out);
            } catch (IllegalArgumentException e) {
                throw fail("representation " + r + " header block is not well-formed field lines: " + e.getMessage());
            }
        }

        /**
         * Versions 1 and 2: every distinct header block converted once, into records laid out as in
         * an HPACK section. Blocks may be shared but must not overlap, so the records take memory in
         * proportion to the HEADERS section, never to what representations claim.
         */
        private Sections buildHpack(int representationCount) throws WebrootFormatException {
            // Sorted by block offset, then representation: header offsets are below 2^30, representations below 2^24.
            long[] byBlock = new long[representationCount];
            for (int r = 0; r < representationCount; r++) {
                byBlock[r] = u64(representationAt(r) + R_HEADER_OFFSET) << REPRESENTATION_BITS | r;
            }
            Arrays.sort(byBlock);
            long bound = 0;
            int leader = -1;
            long leaderEnd = 0;
            for (long key : byBlock) {
                int r = (int) (key & REPRESENTATION_MASK);
                long header = key >>> REPRESENTATION_BITS;
                long rep = representationAt(r);
                if (leader >= 0 && header == u64(representationAt(leader) + R_HEADER_OFFSET)) {
                    if (!sameBlock(rep, representationAt(leader))) {
                        throw fail("representations " + leader + " and " + r + " share a header block but not its length or cut points");
                    }
                    continue;
                }
                if (header < leaderEnd) {
                    throw fail("representation " + r + " header block overlaps the block of representation " + leader);
                }
                leader = r;
                int blockLength = u32(rep + R_HEADER_LENGTH);
                leaderEnd = header + blockLength;
                bound += align(HP_FRAGMENT + HpackFragment.maxLength(blockLength), HPACK_RECORD_ALIGNMENT);
            }
            if (bound > Integer.MAX_VALUE - 8) {
                throw fail("HPACK fragments of up to " + bound + " bytes do not fit in memory");
            }
            byte[] records = new byte[(int) bound];
            ByteBuffer out = ByteBuffer.wrap(records).order(ByteOrder.LITTLE_ENDIAN);
            HpackFragment.ArrayOutput fragment = new HpackFragment.ArrayOutput(records);
            int[] recordOf = new int[representationCount];
            int position = 0;
            leader = -1;
            for (long key : byBlock) {
                int r = (int) (key & REPRESENTATION_MASK);
                if (leader >= 0 && key >>> REPRESENTATION_BITS == u64(representationAt(leader) + R_HEADER_OFFSET)) {
                    recordOf[r] = recordOf[leader];
                    continue;
                }
                leader = r;
                convertBlock(r, representationAt(r), fragment.at(position + HP_FRAGMENT));
                out.putInt(position + HP_LENGTH, fragment.length);
                out.putInt(position + HP_NOT_MODIFIED_END, fragment.notModifiedEnd);
                out.putInt(position + HP_COMMON_END, fragment.commonEnd);
                out.putInt(position + HP_CONTENT_TYPE_END, fragment.contentTypeEnd);
                out.putInt(position + HP_ETAG_END, fragment.etagEnd);
                recordOf[r] = position;
                position += (int) align(HP_FRAGMENT + fragment.length, HPACK_RECORD_ALIGNMENT);
            }
            records = Arrays.copyOf(records, position);
            return new Sections(offset, length, records, recordOf);
        }

        private long representationAt(int r) {
            return offset[SECTION_REPRESENTATIONS] + (long) r * REPRESENTATION_SIZE;
        }

        private boolean sameBlock(long a, long b) {
            return u32(a + R_HEADER_LENGTH) == u32(b + R_HEADER_LENGTH) && u32(a + R_NOT_MODIFIED_END) == u32(b + R_NOT_MODIFIED_END)
                    && u32(a + R_COMMON_END) == u32(b + R_COMMON_END) && u32(a + R_CONTENT_TYPE_END) == u32(b + R_CONTENT_TYPE_END);
        }

        private void convertBlock(int r, long rep, HpackFragment.Output out) throws WebrootFormatException {
            long block = offset[SECTION_HEADERS] + u64(rep + R_HEADER_OFFSET);
            long blockLength = Integer.toUnsignedLong(u32(rep + R_HEADER_LENGTH));
            ByteBuffer source = inPlaceOrCopied(block, blockLength, blockCopy);
            convert(r, source, source == idx ? block : 0, blockLength, u32(rep + R_NOT_MODIFIED_END), u32(rep + R_COMMON_END),
                    u32(rep + R_CONTENT_TYPE_END), out);
        }

        private boolean startsWith(long block, long blockLength, byte[] prefix) {
            if (blockLength < prefix.length) {
                return false;
            }
            for (int i = 0; i < prefix.length; i++) {
                if (u8(block + i) != prefix[i]) {
                    return false;
                }
            }
            return true;
        }

        /** Whether the index bytes [start, end) are exactly "Content-Length: LENGTH" CRLF. */
        private boolean isContentLengthLine(int start, int end, long length) {
            int at = start + CONTENT_LENGTH_PREFIX.length;
            if (at > end) {
                return false;
            }
            for (int i = 0; i < CONTENT_LENGTH_PREFIX.length; i++) {
                if (u8(start + i) != CONTENT_LENGTH_PREFIX[i]) {
                    return false;
                }
            }
            int digitsEnd = end - 2;
            if (digitsEnd <= at || u8(digitsEnd) != '\r' || u8(digitsEnd + 1) != '\n') {
                return false;
            }
            long remaining = length;
            for (int i = digitsEnd - 1; i >= at; i--) {
                if (u8(i) != '0' + (int) (remaining % 10)) {
                    return false;
                }
                remaining /= 10;
                if (remaining == 0 && i > at) {
                    return false;
                }
            }
            return remaining == 0;
        }
    }
}
