package dev.webroot.format;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Byte offsets and constants of format version 3 (and what differs in versions 1 and 2), as specified in FORMAT.md. */
final class Layout {
    private Layout() {}

    static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static final byte[] MAGIC = {(byte) 0x89, 'W', 'E', 'B', 'R', 'O', 'O', 'T'};
    static final int VERSION = 3;
    /** The first version: no RULES section, entries without redirect status or forced rule; still read. */
    static final int VERSION_1 = 1;
    /** Version 2: no HPACK section; its fragments are built when it is opened. */
    static final int VERSION_2 = 2;
    static final int DATA_ALIGNMENT = 4096;
    static final int SECTION_ALIGNMENT = 8;
    static final int NONE = -1;

    // File header, 64 bytes.
    static final int HEADER_SIZE = 64;
    static final int H_MAGIC = 0;
    static final int H_VERSION = 8;
    static final int H_HEADER_SIZE = 12;
    static final int H_FILE_LENGTH = 16;
    static final int H_SECTION_COUNT = 24;
    static final int H_CHECKSUM = 28;
    static final int H_INDEX_END = 32;
    static final int H_ENTRY_COUNT = 40;
    static final int H_NOT_FOUND_ENTRY = 44;
    static final int H_SLOT_COUNT = 48;
    static final int H_MAX_PROBE = 52;
    static final int H_REPRESENTATION_COUNT = 56;
    static final int H_RESERVED = 60;

    // Section table entries, 24 bytes each, right after the header.
    static final int SECTION_ENTRY_SIZE = 24;
    static final int S_ID = 0;
    static final int S_RESERVED = 4;
    static final int S_OFFSET = 8;
    static final int S_LENGTH = 16;

    static final int SECTION_HASH = 1;
    static final int SECTION_ENTRIES = 2;
    static final int SECTION_REPRESENTATIONS = 3;
    static final int SECTION_STRINGS = 4;
    static final int SECTION_HEADERS = 5;
    static final int SECTION_DATA = 6;
    static final int SECTION_RULES = 7;
    static final int SECTION_HPACK = 8;
    /** The highest section id, and the number of sections, of the current version. */
    static final int SECTION_COUNT = 8;
    static final int SECTION_COUNT_V1 = 6;
    static final int SECTION_COUNT_V2 = 7;

    // Hash slots, 8 bytes each: tag (upper 32 bits of the path hash) and entry index + 1 (0 = empty).
    static final int SLOT_SIZE = 8;
    static final int SLOT_TAG = 0;
    static final int SLOT_ENTRY = 4;

    // Entries, 64 bytes each.
    static final int ENTRY_SIZE = 64;
    static final int E_PATH_OFFSET = 0;
    static final int E_PATH_LENGTH = 8;
    static final int E_KIND = 12;
    static final int E_FLAGS = 13;
    static final int E_REPRESENTATION_COUNT = 14;
    static final int E_FIRST_REPRESENTATION = 16;
    static final int E_CONTENT_TYPE_LENGTH = 20;
    static final int E_CONTENT_TYPE_OFFSET = 24;
    static final int E_LAST_MODIFIED = 32;
    static final int E_LOCATION_OFFSET = 40;
    static final int E_LOCATION_LENGTH = 48;
    /** Version 2: the first forced rule that matches the entry's path, plus one (0 = none). */
    static final int E_FORCED_RULE = 52;
    /** Version 2: a REDIRECT entry's status, 301 or 308; 0 otherwise. */
    static final int E_REDIRECT_STATUS = 56;
    static final int E_RESERVED = 58;

    // Representations, 96 bytes each.
    static final int REPRESENTATION_SIZE = 96;
    static final int R_ENCODING = 0;
    static final int R_RESERVED = 1;
    static final int R_HEADER_LENGTH = 4;
    static final int R_DATA_OFFSET = 8;
    static final int R_LENGTH = 16;
    static final int R_HEADER_OFFSET = 24;
    static final int R_SHA256 = 32;
    static final int R_NOT_MODIFIED_END = 64;
    static final int R_COMMON_END = 68;
    static final int R_CONTENT_TYPE_END = 72;
    static final int R_ETAG_OFFSET = 76;
    static final int R_ETAG_LENGTH = 80;
    /** Version 3: the offset of the representation's HPACK record, relative to HPACK. */
    static final int R_HPACK_OFFSET = 84;
    static final int R_RESERVED_TAIL = 92;
    /** Versions 1 and 2: reserved from here to the end of the record. */
    static final int R_RESERVED_TAIL_V2 = 84;

    static final int SHA256_LENGTH = 32;

    // Rules (version 2), 48 bytes each, in the order of the rule file.
    static final int RULE_SIZE = 48;
    static final int RU_STATUS = 0;
    static final int RU_FLAGS = 2;
    static final int RU_RESERVED = 3;
    static final int RU_LINE = 4;
    static final int RU_PATTERN_OFFSET = 8;
    static final int RU_PATTERN_LENGTH = 16;
    static final int RU_TARGET_LENGTH = 20;
    static final int RU_TARGET_OFFSET = 24;
    static final int RU_TARGET_ENTRY = 32;
    static final int RU_PREFIX_LENGTH = 36;
    static final int RU_RESERVED_TAIL = 40;
    static final int RULE_FORCED = 1;
    static final int RULE_ABSOLUTE = 2;
    static final int RULE_TEMPLATE = 4;
    static final int RULE_FLAGS = RULE_FORCED | RULE_ABSOLUTE | RULE_TEMPLATE;

    // HPACK records (version 3): five u32 fields, then the fragment, padded to a multiple of 4.
    static final int HP_LENGTH = 0;
    static final int HP_NOT_MODIFIED_END = 4;
    static final int HP_COMMON_END = 8;
    static final int HP_CONTENT_TYPE_END = 12;
    static final int HP_ETAG_END = 16;
    static final int HP_FRAGMENT = 20;
    static final int HPACK_RECORD_ALIGNMENT = 4;

    static long align(long value, long alignment) {
        return (value + alignment - 1) / alignment * alignment;
    }
}
