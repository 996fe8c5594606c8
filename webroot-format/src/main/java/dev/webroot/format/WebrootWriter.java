package dev.webroot.format;

import static dev.webroot.format.Layout.*;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Collects entries and writes them as one webroot file (FORMAT.md). The output is a function of the
 * entries alone, so the same input gives a byte-identical file. {@link #write} writes a temporary
 * file beside the target, fsyncs it and renames it over the target: a reader never sees a partial
 * file, and a failure leaves nothing behind.
 */
public final class WebrootWriter {
    /** One stored form of a file: its coding and its bytes. */
    public record Representation(Encoding encoding, Content content) {}

    /** A header field line a site's rules add to a representation's block. */
    public record Field(String name, String value) {}

    /**
     * The fields a site's {@code _headers} rules give one file: whether the server's
     * {@code X-Content-Type-Options: nosniff} stays, the fields a 304 repeats (Cache-Control is
     * passed separately), and the others.
     */
    public record SiteFields(boolean nosniff, List<Field> revalidated, List<Field> other) {
        public SiteFields {
            revalidated = List.copyOf(revalidated);
            other = List.copyOf(other);
        }
    }

    /**
     * A site rule, in rule-file order (FORMAT.md, "RULES"): requests whose path matches
     * {@code pattern} are redirected to {@code target} (301, 302, 303, 307, 308), or answered with
     * the file at {@code target} (200, 404, 410). {@code forced} rules apply even where a packed
     * path exists. {@code line} is where the rule was written (0 for rules the packer made).
     */
    public record Rule(int line, String pattern, int status, boolean forced, String target) {}

    private record PendingEntry(byte[] path, EntryKind kind, String contentType, long lastModified,
                                String cacheControl, List<Representation> representations, String location,
                                SiteFields fields, int redirectStatus) {}

    /** Header-field names the server sends itself, which a site's fields may not repeat. */
    private static final java.util.Set<String> SERVER_FIELDS = java.util.Set.of("content-length", "content-range",
            "transfer-encoding", "date", "connection", "etag", "last-modified", "content-encoding", "accept-ranges",
            "vary", "content-type", "cache-control", "x-content-type-options", "location", "keep-alive", "upgrade",
            "trailer", "te");

    private static final Comparator<byte[]> UNSIGNED_BYTES = Arrays::compareUnsigned;
    private static final int COPY_BUFFER = 1 << 20;

    private final Map<String, PendingEntry> entries = new HashMap<>();
    private final List<Rule> rules = new ArrayList<>();
    private PendingEntry notFound;
    private boolean nosniff = true;

    /** Whether header blocks carry {@code X-Content-Type-Options: nosniff} (default on). */
    public WebrootWriter nosniff(boolean enabled) {
        this.nosniff = enabled;
        return this;
    }

    /**
     * Adds a file at a URL path. {@code representations} starts with the identity form; other
     * encodings follow, each at most once. {@code cacheControl} may be null (no header).
     */
    public void addFile(String path, String contentType, long lastModified, String cacheControl,
                        List<Representation> representations) {
        addFile(path, contentType, lastModified, cacheControl, representations, null);
    }

    /** Adds a file whose blocks also carry a site's fields ({@code null}: none, and the writer's nosniff). */
    public void addFile(String path, String contentType, long lastModified, String cacheControl,
                        List<Representation> representations, SiteFields fields) {
        checkFieldValue("Content-Type", contentType);
        if (cacheControl != null) {
            checkFieldValue("Cache-Control", cacheControl);
        }
        checkRepresentations(path, representations);
        checkFields(path, fields);
        put(new PendingEntry(pathBytes(path), EntryKind.FILE, contentType, lastModified, cacheControl,
                List.copyOf(representations), null, fields, 0));
    }

    /** Adds a redirect: a request for {@code path} is sent to {@code location} (a relative reference) with 301. */
    public void addRedirect(String path, String location) {
        addRedirect(path, location, 301);
    }

    /** Adds a redirect answered with {@code status}, 301 or 308. */
    public void addRedirect(String path, String location, int status) {
        checkFieldValue("Location", location);
        if (location.isEmpty()) {
            throw new IllegalArgumentException("empty redirect location for " + path);
        }
        if (status != 301 && status != 308) {
            throw new IllegalArgumentException("a redirect entry has status 301 or 308, not " + status);
        }
        put(new PendingEntry(pathBytes(path), EntryKind.REDIRECT, null, 0, null, List.of(), location, null, status));
    }

    /** Sets the page sent with 404 for paths that are not in the index. */
    public void setNotFound(String contentType, List<Representation> representations) {
        setNotFound(contentType, representations, null);
    }

    /** Sets the not-found page, whose blocks also carry a site's fields ({@code null}: none). */
    public void setNotFound(String contentType, List<Representation> representations, SiteFields fields) {
        checkFieldValue("Content-Type", contentType);
        checkRepresentations("not-found page", representations);
        checkFields("not-found page", fields);
        notFound = new PendingEntry(new byte[0], EntryKind.NOT_FOUND, contentType, 0, null,
                List.copyOf(representations), null, fields, 0);
    }

    /**
     * Appends a rule; rules keep the order they are added in, the first match wins. The pattern must
     * be valid ({@link RulePatterns#problem}), every placeholder of the target known, and a static
     * target of a 200, 404 or 410 rule a file path that is packed by the time {@link #write} runs.
     */
    public void addRule(Rule rule) {
        String problem = RulePatterns.problem(rule.pattern());
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        if (!RULE_STATUSES.contains(rule.status())) {
            throw new IllegalArgumentException("a rule's status is one of " + RULE_STATUSES + ", not " + rule.status());
        }
        checkFieldValue("rule target", rule.target());
        if (rule.target().isEmpty() || rule.target().indexOf(' ') >= 0 || rule.target().indexOf('\t') >= 0) {
            throw new IllegalArgumentException("a rule's target is one word of visible ASCII: '" + rule.target() + "'");
        }
        String unknown = RulePatterns.unknownPlaceholder(rule.pattern(), rule.target());
        if (unknown != null) {
            throw new IllegalArgumentException("unknown placeholder " + unknown + " in " + rule.target());
        }
        boolean absolute = isAbsolute(rule.target());
        if (!absolute && !rule.target().startsWith("/")) {
            throw new IllegalArgumentException("a rule's target is a path starting with '/' or an http(s) URL: " + rule.target());
        }
        if (absolute && !isRedirect(rule.status())) {
            throw new IllegalArgumentException("a " + rule.status() + " rule serves a packed file, not " + rule.target());
        }
        rules.add(rule);
    }

    static final java.util.Set<Integer> RULE_STATUSES = java.util.Set.of(200, 301, 302, 303, 307, 308, 404, 410);

    static boolean isRedirect(int status) {
        return status >= 300 && status < 400;
    }

    static boolean isAbsolute(String target) {
        String lower = target.toLowerCase(java.util.Locale.ROOT);
        return lower.startsWith("http://") || lower.startsWith("https://");
    }

    private static void checkFields(String path, SiteFields fields) {
        if (fields == null) {
            return;
        }
        for (List<Field> group : List.of(fields.revalidated(), fields.other())) {
            for (Field f : group) {
                if (f.name().isEmpty() || !f.name().chars().allMatch(c -> c < 0x80 && TOKEN.indexOf(c) >= 0
                        || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9')) {
                    throw new IllegalArgumentException("field name of " + path + " is not a token: " + f.name());
                }
                if (SERVER_FIELDS.contains(f.name().toLowerCase(java.util.Locale.ROOT))) {
                    throw new IllegalArgumentException(f.name() + " of " + path + " is a field the server sets itself");
                }
                checkFieldValue(f.name(), f.value());
            }
        }
    }

    private static final String TOKEN = "!#$%&'*+-.^_`|~";

    public int size() {
        return entries.size();
    }

    private void put(PendingEntry entry) {
        String key = new String(entry.path, StandardCharsets.UTF_8);
        if (entries.putIfAbsent(key, entry) != null) {
            throw new IllegalArgumentException("duplicate path " + key);
        }
    }

    private static byte[] pathBytes(String path) {
        if (path.isEmpty() || path.charAt(0) != '/') {
            throw new IllegalArgumentException("a path starts with '/': " + path);
        }
        if (path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a path contains no NUL: " + path);
        }
        for (String segment : path.substring(1).split("/", -1)) {
            if (segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("a path has no dot segments: " + path);
            }
        }
        if (path.contains("//")) {
            throw new IllegalArgumentException("a path has no empty segments: " + path);
        }
        try {
            ByteBuffer encoded = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(java.nio.CharBuffer.wrap(path));
            byte[] bytes = new byte[encoded.remaining()];
            encoded.get(bytes);
            return bytes;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("a path is valid Unicode: " + path, e);
        }
    }

    private static void checkFieldValue(String name, String value) {
        if (value == null) {
            throw new IllegalArgumentException(name + " is required");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 && c != '\t' || c >= 0x7f) {
                throw new IllegalArgumentException(name + " value has a byte that is not visible ASCII: " + value);
            }
        }
    }

    private static void checkRepresentations(String path, List<Representation> representations) {
        if (representations.isEmpty() || representations.getFirst().encoding() != Encoding.IDENTITY) {
            throw new IllegalArgumentException("the first representation of " + path + " is the identity form");
        }
        EnumSet<Encoding> seen = EnumSet.noneOf(Encoding.class);
        for (Representation r : representations) {
            if (!seen.add(r.encoding())) {
                throw new IllegalArgumentException("two " + r.encoding().token() + " representations of " + path);
            }
        }
        if (representations.size() > 0xffff) {
            throw new IllegalArgumentException("too many representations of " + path);
        }
    }

    /** Writes the webroot to {@code target} atomically (temp file, fsync, rename, fsync directory). */
    public void write(Path target) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        Path temp = Files.createTempFile(dir, "." + absolute.getFileName() + ".", ".tmp");
        // An interrupted pack (SIGINT, SIGTERM) must not leave its temporary file behind either.
        Thread removeTemp = new Thread(() -> {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                // Exiting anyway; nothing more can be done.
            }
        }, "remove-partial-webroot");
        Runtime.getRuntime().addShutdownHook(removeTemp);
        boolean done = false;
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeTo(out);
                out.force(true);
            }
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
            try {
                Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename atomically onto " + absolute + ": " + e.getMessage(), e);
            }
            done = true;
            syncDirectory(dir);
        } finally {
            if (!done) {
                Files.deleteIfExists(temp);
            }
            try {
                Runtime.getRuntime().removeShutdownHook(removeTemp);
            } catch (IllegalStateException shuttingDown) {
                // The hook is running or about to; it removes the temporary file.
            }
        }
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Not every file system lets a directory be opened or synced; the rename has happened.
        }
    }

    /** Writes the whole file to a channel positioned at 0. */
    void writeTo(FileChannel out) throws IOException {
        Plan plan = new Plan();
        ByteBuffer index = plan.index();
        while (index.hasRemaining()) {
            out.write(index);
        }
        DataWriter data = new DataWriter(Channels.newOutputStream(out), plan.indexEnd);
        for (Map.Entry<String, Content> blob : plan.blobs.entrySet()) {
            data.padTo(plan.blobOffsets.get(blob.getKey()));
            data.copy(blob.getValue());
        }
        data.padTo(plan.fileLength);
        data.flush();
    }

    /** The layout of the file: every record and offset, computed before anything is written. */
    private final class Plan {
        final List<PendingEntry> sorted = new ArrayList<>();
        final Map<String, Long> strings = new LinkedHashMap<>();
        long stringsLength;
        final Map<String, Long> headerBlocks = new LinkedHashMap<>();
        long headersLength;
        /** HPACK records (lengths, cut points, fragment, padding), deduplicated like the blocks they come from. */
        final Map<String, Long> hpackRecords = new LinkedHashMap<>();
        long hpackLength;
        final List<byte[]> representationRecords = new ArrayList<>();
        final Map<String, Integer> representationRuns = new HashMap<>();
        final int[] firstRepresentation;
        /** Per entry, the first forced rule matching its path, or -1. */
        int[] forcedRule;
        /** Per rule, the entry its static target serves, or -1. */
        int[] ruleTargets;
        final Map<String, Long> blobOffsets = new HashMap<>();
        /** Distinct contents in file order; an empty one shares its offset with the next. */
        final LinkedHashMap<String, Content> blobs = new LinkedHashMap<>();
        /** The content key of each representation record, to fill in its data offset. */
        private final List<String> dataOffsetKeys = new ArrayList<>();
        final long indexEnd;
        final long fileLength;
        final int slotCount;
        final long hashOffset, entriesOffset, representationsOffset, stringsOffset, headersOffset, rulesOffset, hpackOffset;

        Plan() {
            entries.values().stream().sorted(Comparator.comparing(PendingEntry::path, UNSIGNED_BYTES)).forEach(sorted::add);
            if (notFound != null) {
                sorted.add(notFound);
            }
            firstRepresentation = new int[sorted.size()];
            for (PendingEntry e : sorted) {
                intern(e.path);
                if (e.contentType != null) {
                    intern(e.contentType.getBytes(StandardCharsets.US_ASCII));
                }
                if (e.location != null) {
                    intern(e.location.getBytes(StandardCharsets.US_ASCII));
                }
            }
            for (Rule r : rules) {
                intern(r.pattern().getBytes(StandardCharsets.UTF_8));
                intern(r.target().getBytes(StandardCharsets.US_ASCII));
            }
            forcedRule = forcedRules();
            ruleTargets = ruleTargets();
            // Data blobs are laid out after the index; their offsets are relative until the index size is known.
            long relativeData = 0;
            for (PendingEntry e : sorted) {
                for (Representation r : e.representations) {
                    String key = blobKey(r.content());
                    if (!blobOffsets.containsKey(key)) {
                        blobOffsets.put(key, relativeData);
                        relativeData = align(relativeData + r.content().length(), DATA_ALIGNMENT);
                    }
                }
            }
            for (int i = 0; i < sorted.size(); i++) {
                firstRepresentation[i] = planRepresentations(sorted.get(i));
            }
            int lookupEntries = entries.size();
            slotCount = Math.max(1, Integer.highestOneBit(Math.max(1, lookupEntries * 2 - 1)) << 1);
            hashOffset = align(HEADER_SIZE + (long) SECTION_COUNT * SECTION_ENTRY_SIZE, SECTION_ALIGNMENT);
            entriesOffset = align(hashOffset + (long) slotCount * SLOT_SIZE, SECTION_ALIGNMENT);
            representationsOffset = align(entriesOffset + (long) sorted.size() * ENTRY_SIZE, SECTION_ALIGNMENT);
            stringsOffset = align(representationsOffset + (long) representationRecords.size() * REPRESENTATION_SIZE,
                    SECTION_ALIGNMENT);
            headersOffset = align(stringsOffset + stringsLength, SECTION_ALIGNMENT);
            rulesOffset = align(headersOffset + headersLength, SECTION_ALIGNMENT);
            hpackOffset = align(rulesOffset + (long) rules.size() * RULE_SIZE, SECTION_ALIGNMENT);
            indexEnd = align(hpackOffset + hpackLength, DATA_ALIGNMENT);
            if (indexEnd > Webroot.MAX_INDEX_BYTES) {
                throw new IllegalStateException("the index would exceed the " + Webroot.MAX_INDEX_BYTES
                        + " bytes a reader accepts; split the site");
            }
            for (Map.Entry<String, Long> blob : blobOffsets.entrySet()) {
                blob.setValue(blob.getValue() + indexEnd);
            }
            for (PendingEntry e : sorted) {
                for (Representation r : e.representations) {
                    blobs.putIfAbsent(blobKey(r.content()), r.content());
                }
            }
            fileLength = indexEnd + relativeData;
        }

        /** Forced rules are resolved per entry here, so that serving an existing path never scans the rules. */
        private int[] forcedRules() {
            int[] forced = new int[sorted.size()];
            java.util.Arrays.fill(forced, NONE);
            for (int e = 0; e < sorted.size(); e++) {
                PendingEntry entry = sorted.get(e);
                if (entry.kind == EntryKind.NOT_FOUND) {
                    continue;
                }
                String path = new String(entry.path, StandardCharsets.UTF_8);
                for (int r = 0; r < rules.size(); r++) {
                    if (rules.get(r).forced() && RulePatterns.matches(rules.get(r).pattern(), path)) {
                        forced[e] = r;
                        break;
                    }
                }
            }
            return forced;
        }

        private int[] ruleTargets() {
            Map<String, Integer> files = new HashMap<>();
            for (int e = 0; e < sorted.size(); e++) {
                if (sorted.get(e).kind == EntryKind.FILE) {
                    files.put(new String(sorted.get(e).path, StandardCharsets.UTF_8), e);
                }
            }
            int[] targets = new int[rules.size()];
            for (int r = 0; r < rules.size(); r++) {
                Rule rule = rules.get(r);
                targets[r] = NONE;
                if (isRedirect(rule.status()) || RulePatterns.hasPlaceholders(rule.pattern(), rule.target())) {
                    continue;
                }
                targets[r] = files.getOrDefault(rule.target(), NONE);
                if (targets[r] == NONE) {
                    throw new IllegalArgumentException("the target " + rule.target() + " of the rule " + rule.pattern()
                            + " is not a packed file");
                }
            }
            return targets;
        }

        private void intern(byte[] bytes) {
            String key = new String(bytes, StandardCharsets.ISO_8859_1);
            if (!strings.containsKey(key)) {
                strings.put(key, stringsLength);
                stringsLength += bytes.length;
            }
        }

        private long stringOffset(byte[] bytes) {
            return strings.get(new String(bytes, StandardCharsets.ISO_8859_1));
        }

        private long internHeaderBlock(HeaderBlock block) {
            String key = new String(block.bytes, StandardCharsets.ISO_8859_1);
            Long offset = headerBlocks.get(key);
            if (offset == null) {
                offset = headersLength;
                headerBlocks.put(key, offset);
                headersLength += block.bytes.length;
            }
            return offset;
        }

        private long internHpack(HeaderBlock block) {
            HpackFragment fragment = HpackFragment.of(block.bytes, block.notModifiedEnd, block.commonEnd, block.contentTypeEnd);
            ByteBuffer record = ByteBuffer.allocate((int) align(HP_FRAGMENT + fragment.length(), HPACK_RECORD_ALIGNMENT))
                    .order(ByteOrder.LITTLE_ENDIAN);
            record.putInt(HP_LENGTH, fragment.length());
            record.putInt(HP_NOT_MODIFIED_END, fragment.notModifiedEnd());
            record.putInt(HP_COMMON_END, fragment.commonEnd());
            record.putInt(HP_CONTENT_TYPE_END, fragment.contentTypeEnd());
            record.putInt(HP_ETAG_END, fragment.etagEnd());
            record.put(HP_FRAGMENT, fragment.bytesUnsafe());
            String key = new String(record.array(), StandardCharsets.ISO_8859_1);
            Long offset = hpackRecords.get(key);
            if (offset == null) {
                offset = hpackLength;
                hpackRecords.put(key, offset);
                hpackLength += record.capacity();
            }
            return offset;
        }

        /** Appends the records of an entry's representations (or reuses an identical run); returns the first index. */
        private int planRepresentations(PendingEntry e) {
            if (e.representations.isEmpty()) {
                return 0;
            }
            boolean vary = e.representations.size() > 1;
            List<HeaderBlock> blocks = new ArrayList<>();
            StringBuilder runKey = new StringBuilder();
            for (Representation r : e.representations) {
                Content c = r.content();
                SiteFields fields = e.fields != null ? e.fields : new SiteFields(nosniff, List.of(), List.of());
                HeaderBlock block = e.kind == EntryKind.NOT_FOUND
                        ? HeaderBlock.forNotFound(vary, r.encoding(), fields.nosniff(), e.contentType, c.length(), fields)
                        : HeaderBlock.forFile(Digests.etag(c.sha256Unsafe()), e.cacheControl, vary, e.lastModified,
                                r.encoding(), fields.nosniff(), e.contentType, c.length(), fields);
                blocks.add(block);
                runKey.append(r.encoding().code()).append(':').append(blobKey(c)).append(':')
                        .append(new String(block.bytes, StandardCharsets.ISO_8859_1)).append('\n');
            }
            Integer existing = representationRuns.get(runKey.toString());
            if (existing != null) {
                return existing;
            }
            int first = representationRecords.size();
            representationRuns.put(runKey.toString(), first);
            for (int i = 0; i < blocks.size(); i++) {
                HeaderBlock block = blocks.get(i);
                Representation r = e.representations.get(i);
                ByteBuffer rec = ByteBuffer.allocate(REPRESENTATION_SIZE).order(ByteOrder.LITTLE_ENDIAN);
                rec.put(R_ENCODING, (byte) r.encoding().code());
                rec.putInt(R_HEADER_LENGTH, block.bytes.length);
                rec.putLong(R_LENGTH, r.content().length());
                rec.putLong(R_HEADER_OFFSET, internHeaderBlock(block));
                rec.put(R_SHA256, r.content().sha256Unsafe());
                rec.putInt(R_NOT_MODIFIED_END, block.notModifiedEnd);
                rec.putInt(R_COMMON_END, block.commonEnd);
                rec.putInt(R_CONTENT_TYPE_END, block.contentTypeEnd);
                rec.putInt(R_ETAG_OFFSET, block.etagOffset);
                rec.putInt(R_ETAG_LENGTH, block.etagLength);
                rec.putLong(R_HPACK_OFFSET, internHpack(block));
                representationRecords.add(rec.array());
                dataOffsetKeys.add(blobKey(r.content()));
            }
            return first;
        }

        ByteBuffer index() {
            ByteBuffer b = ByteBuffer.allocate((int) indexEnd).order(ByteOrder.LITTLE_ENDIAN);
            b.put(H_MAGIC, MAGIC);
            b.putInt(H_VERSION, VERSION);
            b.putInt(H_HEADER_SIZE, HEADER_SIZE);
            b.putLong(H_FILE_LENGTH, fileLength);
            b.putInt(H_SECTION_COUNT, SECTION_COUNT);
            b.putLong(H_INDEX_END, indexEnd);
            b.putInt(H_ENTRY_COUNT, sorted.size());
            b.putInt(H_NOT_FOUND_ENTRY, notFound == null ? NONE : sorted.size() - 1);
            b.putInt(H_SLOT_COUNT, slotCount);
            b.putInt(H_REPRESENTATION_COUNT, representationRecords.size());

            long[][] sections = {
                {SECTION_HASH, hashOffset, (long) slotCount * SLOT_SIZE},
                {SECTION_ENTRIES, entriesOffset, (long) sorted.size() * ENTRY_SIZE},
                {SECTION_REPRESENTATIONS, representationsOffset, (long) representationRecords.size() * REPRESENTATION_SIZE},
                {SECTION_STRINGS, stringsOffset, stringsLength},
                {SECTION_HEADERS, headersOffset, headersLength},
                {SECTION_DATA, indexEnd, fileLength - indexEnd},
                {SECTION_RULES, rulesOffset, (long) rules.size() * RULE_SIZE},
                {SECTION_HPACK, hpackOffset, hpackLength},
            };
            for (int i = 0; i < sections.length; i++) {
                int at = HEADER_SIZE + i * SECTION_ENTRY_SIZE;
                b.putInt(at + S_ID, (int) sections[i][0]);
                b.putLong(at + S_OFFSET, sections[i][1]);
                b.putLong(at + S_LENGTH, sections[i][2]);
            }

            int maxProbe = 0;
            for (int i = 0; i < entries.size(); i++) {
                long h = PathHash.hash(sorted.get(i).path, 0, sorted.get(i).path.length);
                int mask = slotCount - 1;
                int slot = (int) h & mask;
                int probes = 1;
                while (b.getInt((int) hashOffset + slot * SLOT_SIZE + SLOT_ENTRY) != 0) {
                    slot = (slot + 1) & mask;
                    probes++;
                }
                b.putInt((int) hashOffset + slot * SLOT_SIZE + SLOT_TAG, (int) (h >>> 32));
                b.putInt((int) hashOffset + slot * SLOT_SIZE + SLOT_ENTRY, i + 1);
                maxProbe = Math.max(maxProbe, probes);
            }
            b.putInt(H_MAX_PROBE, maxProbe);

            for (int i = 0; i < sorted.size(); i++) {
                PendingEntry e = sorted.get(i);
                int at = (int) entriesOffset + i * ENTRY_SIZE;
                b.putLong(at + E_PATH_OFFSET, stringOffset(e.path));
                b.putInt(at + E_PATH_LENGTH, e.path.length);
                b.put(at + E_KIND, (byte) e.kind.code());
                b.putShort(at + E_REPRESENTATION_COUNT, (short) e.representations.size());
                b.putInt(at + E_FIRST_REPRESENTATION, firstRepresentation[i]);
                if (e.contentType != null) {
                    byte[] type = e.contentType.getBytes(StandardCharsets.US_ASCII);
                    b.putLong(at + E_CONTENT_TYPE_OFFSET, stringOffset(type));
                    b.putInt(at + E_CONTENT_TYPE_LENGTH, type.length);
                }
                b.putLong(at + E_LAST_MODIFIED, e.lastModified);
                if (e.location != null) {
                    byte[] location = e.location.getBytes(StandardCharsets.US_ASCII);
                    b.putLong(at + E_LOCATION_OFFSET, stringOffset(location));
                    b.putInt(at + E_LOCATION_LENGTH, location.length);
                }
                b.putInt(at + E_FORCED_RULE, forcedRule[i] + 1);
                b.putShort(at + E_REDIRECT_STATUS, (short) e.redirectStatus);
            }
            for (int i = 0; i < rules.size(); i++) {
                Rule rule = rules.get(i);
                int at = (int) rulesOffset + i * RULE_SIZE;
                byte[] pattern = rule.pattern().getBytes(StandardCharsets.UTF_8);
                byte[] target = rule.target().getBytes(StandardCharsets.US_ASCII);
                int flags = (rule.forced() ? RULE_FORCED : 0) | (isAbsolute(rule.target()) ? RULE_ABSOLUTE : 0)
                        | (RulePatterns.hasPlaceholders(rule.pattern(), rule.target()) ? RULE_TEMPLATE : 0);
                b.putShort(at + RU_STATUS, (short) rule.status());
                b.put(at + RU_FLAGS, (byte) flags);
                b.putInt(at + RU_LINE, rule.line());
                b.putLong(at + RU_PATTERN_OFFSET, stringOffset(pattern));
                b.putInt(at + RU_PATTERN_LENGTH, pattern.length);
                b.putLong(at + RU_TARGET_OFFSET, stringOffset(target));
                b.putInt(at + RU_TARGET_LENGTH, target.length);
                b.putInt(at + RU_TARGET_ENTRY, ruleTargets[i] + 1);
                b.putInt(at + RU_PREFIX_LENGTH, RulePatterns.literalPrefix(ByteBuffer.wrap(pattern), 0, pattern.length));
            }

            for (int i = 0; i < representationRecords.size(); i++) {
                byte[] rec = representationRecords.get(i);
                ByteBuffer r = ByteBuffer.wrap(rec).order(ByteOrder.LITTLE_ENDIAN);
                r.putLong(R_DATA_OFFSET, blobOffsets.get(dataOffsetKeys.get(i)));
                b.put((int) representationsOffset + i * REPRESENTATION_SIZE, rec);
            }
            for (Map.Entry<String, Long> s : strings.entrySet()) {
                b.put((int) (stringsOffset + s.getValue()), s.getKey().getBytes(StandardCharsets.ISO_8859_1));
            }
            for (Map.Entry<String, Long> h : headerBlocks.entrySet()) {
                b.put((int) (headersOffset + h.getValue()), h.getKey().getBytes(StandardCharsets.ISO_8859_1));
            }
            for (Map.Entry<String, Long> h : hpackRecords.entrySet()) {
                b.put((int) (hpackOffset + h.getValue()), h.getKey().getBytes(StandardCharsets.ISO_8859_1));
            }

            CRC32C crc = new CRC32C();
            crc.update(b.array(), 0, (int) indexEnd);
            b.putInt(H_CHECKSUM, (int) crc.getValue());
            return b.rewind();
        }
    }

    private static String blobKey(Content content) {
        return Digests.hex(content.sha256Unsafe()) + "/" + content.length();
    }

    /** Streams data blobs after the index, hashing each to catch sources that changed since they were measured. */
    private static final class DataWriter {
        private final OutputStream out;
        private long position;
        private final byte[] zeros = new byte[DATA_ALIGNMENT];

        DataWriter(OutputStream raw, long start) {
            this.out = new java.io.BufferedOutputStream(raw, COPY_BUFFER);
            this.position = start;
        }

        void padTo(long offset) throws IOException {
            while (position < offset) {
                int n = (int) Math.min(zeros.length, offset - position);
                out.write(zeros, 0, n);
                position += n;
            }
        }

        void copy(Content content) throws IOException {
            MessageDigest digest = Digests.newSha256();
            long[] count = {0};
            OutputStream checked = new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] bytes, int off, int len) throws IOException {
                    if (count[0] + len > content.length()) {
                        throw changed(content);
                    }
                    digest.update(bytes, off, len);
                    out.write(bytes, off, len);
                    count[0] += len;
                }
            };
            content.source().copyTo(checked);
            if (count[0] != content.length() || !MessageDigest.isEqual(digest.digest(), content.sha256Unsafe())) {
                throw changed(content);
            }
            position += content.length();
        }

        private static IOException changed(Content content) {
            return new IOException(content.description() + " changed while the webroot was being written");
        }

        void flush() throws IOException {
            out.flush();
        }
    }
}
