package dev.webroot.format;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The parts of HPACK (RFC 7541) that both the packer and the server need: the static table and
 * the encoding of integers and of literal fields that never touch a dynamic table, which is what
 * makes a stored header fragment valid on any HTTP/2 connection.
 */
public final class Hpack {
    /** Entries of the static table (Appendix A), 1-based: index 0 is unused. */
    public static final int STATIC_TABLE_SIZE = 61;

    private static final String[] NAMES = {
            "",
            ":authority",
            ":method",
            ":method",
            ":path",
            ":path",
            ":scheme",
            ":scheme",
            ":status",
            ":status",
            ":status",
            ":status",
            ":status",
            ":status",
            ":status",
            "accept-charset",
            "accept-encoding",
            "accept-language",
            "accept-ranges",
            "accept",
            "access-control-allow-origin",
            "age",
            "allow",
            "authorization",
            "cache-control",
            "content-disposition",
            "content-encoding",
            "content-language",
            "content-length",
            "content-location",
            "content-range",
            "content-type",
            "cookie",
            "date",
            "etag",
            "expect",
            "expires",
            "from",
            "host",
            "if-match",
            "if-modified-since",
            "if-none-match",
            "if-range",
            "if-unmodified-since",
            "last-modified",
            "link",
            "location",
            "max-forwards",
            "proxy-authenticate",
            "proxy-authorization",
            "range",
            "referer",
            "refresh",
            "retry-after",
            "server",
            "set-cookie",
            "strict-transport-security",
            "transfer-encoding",
            "user-agent",
            "vary",
            "via",
            "www-authenticate"
    };
    private static final String[] VALUES = {
            "",
            "",
            "GET",
            "POST",
            "/",
            "/index.html",
            "http",
            "https",
            "200",
            "204",
            "206",
            "304",
            "400",
            "404",
            "500",
            "",
            "gzip, deflate",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            ""
    };
    private static final byte[][] NAME_BYTES = new byte[NAMES.length][];
    private static final byte[][] VALUE_BYTES = new byte[VALUES.length][];

    private static final int LONGEST_NAME = 27;
    /**
     * Static indexes of the names with a given length and first letter ({@code length * 26 + letter}),
     * each name once: the lookup compares only names that can match, mostly one.
     */
    private static final int[][] CANDIDATES = new int[(LONGEST_NAME + 1) * 26][];

    static {
        for (int i = 0; i < NAMES.length; i++) {
            NAME_BYTES[i] = NAMES[i].getBytes(StandardCharsets.US_ASCII);
            VALUE_BYTES[i] = VALUES[i].getBytes(StandardCharsets.US_ASCII);
        }
        for (int slot = 0; slot < CANDIDATES.length; slot++) {
            int length = slot / 26;
            char first = (char) ('a' + slot % 26);
            CANDIDATES[slot] = java.util.stream.IntStream.range(1, NAMES.length)
                    .filter(i -> NAMES[i].length() == length && NAMES[i].charAt(0) == first && staticNameIndex(NAMES[i]) == i)
                    .toArray();
        }
    }

    private Hpack() {}

    /** The name of static entry {@code index} (1 to 61); the array must not be changed. */
    public static byte[] staticName(int index) {
        return NAME_BYTES[index];
    }

    /** The value of static entry {@code index} (empty for most); the array must not be changed. */
    public static byte[] staticValue(int index) {
        return VALUE_BYTES[index];
    }

    /** The lowest static index whose name is {@code name} (lower case), or 0. */
    public static int staticNameIndex(String name) {
        for (int i = 1; i < NAMES.length; i++) {
            if (NAMES[i].equals(name)) {
                return i;
            }
        }
        return 0;
    }

    /**
     * The lowest static index whose name equals {@code bytes[from, to)} lower-cased, or 0; allocates
     * nothing, so validation can look up every field name of a file.
     */
    static int staticNameIndex(ByteBuffer bytes, int from, int to) {
        int length = to - from;
        int first = length == 0 ? -1 : toLowerCase(bytes.get(from)) - 'a';
        if (length > LONGEST_NAME || first < 0 || first >= 26) {
            return 0;
        }
        names:
        for (int i : CANDIDATES[length * 26 + first]) {
            byte[] name = NAME_BYTES[i];
            for (int k = 1; k < length; k++) {
                if (name[k] != toLowerCase(bytes.get(from + k))) {
                    continue names;
                }
            }
            return i;
        }
        return 0;
    }

    static byte toLowerCase(byte b) {
        return b >= 'A' && b <= 'Z' ? (byte) (b + ('a' - 'A')) : b;
    }

    /** How many bytes {@link #putInteger} writes for {@code value} with an {@code prefixBits}-bit prefix. */
    public static int integerLength(long value, int prefixBits) {
        long max = (1L << prefixBits) - 1;
        if (value < max) {
            return 1;
        }
        int n = 2;
        for (value -= max; value >= 0x80; value >>>= 7) {
            n++;
        }
        return n;
    }

    /**
     * Writes {@code value} as an HPACK integer (5.1) with an {@code prefixBits}-bit prefix, the
     * first byte's high bits taken from {@code flags}; returns the index after it.
     */
    public static int putInteger(byte[] dst, int at, int flags, int prefixBits, long value) {
        long max = (1L << prefixBits) - 1;
        if (value < max) {
            dst[at++] = (byte) (flags | value);
            return at;
        }
        dst[at++] = (byte) (flags | max);
        for (value -= max; value >= 0x80; value >>>= 7) {
            dst[at++] = (byte) (0x80 | (value & 0x7f));
        }
        dst[at++] = (byte) value;
        return at;
    }

    /**
     * The most bytes a literal field without indexing takes: a name reference or a literal name,
     * then the value as a plain (not Huffman-coded) string.
     */
    public static int literalLength(int nameIndex, int nameLength, int valueLength) {
        int name = nameIndex > 0 ? integerLength(nameIndex, 4) : 1 + integerLength(nameLength, 7) + nameLength;
        return name + integerLength(valueLength, 7) + valueLength;
    }

    /**
     * Writes a literal header field without indexing (6.2.2) whose name is static entry
     * {@code nameIndex} and whose value is {@code value[from, to)}, not Huffman-coded.
     */
    public static int putIndexedNameLiteral(byte[] dst, int at, int nameIndex, byte[] value, int from, int to) {
        at = putInteger(dst, at, 0x00, 4, nameIndex);
        return putString(dst, at, value, from, to);
    }

    /** Writes a literal header field without indexing with a literal name (lower case). */
    public static int putNewNameLiteral(byte[] dst, int at, byte[] name, byte[] value, int from, int to) {
        dst[at++] = 0x00;
        at = putString(dst, at, name, 0, name.length);
        return putString(dst, at, value, from, to);
    }

    /** Writes a plain string literal (5.2 with H = 0). */
    public static int putString(byte[] dst, int at, byte[] bytes, int from, int to) {
        at = putInteger(dst, at, 0x00, 7, to - from);
        System.arraycopy(bytes, from, dst, at, to - from);
        return at + to - from;
    }
}
