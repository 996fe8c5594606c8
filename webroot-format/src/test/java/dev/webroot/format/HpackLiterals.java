package dev.webroot.format;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Decodes fragments made only of literal header fields without indexing (RFC 7541, 6.2.2) with
 * plain strings, and refuses anything else, so a test fails if a fragment uses another form.
 */
final class HpackLiterals {
    record Field(String name, String value) {}

    private HpackLiterals() {}

    static List<Field> decode(byte[] fragment, int from, int to) {
        List<Field> fields = new ArrayList<>();
        int[] at = {from};
        while (at[0] < to) {
            int first = fragment[at[0]] & 0xff;
            if ((first & 0xf0) != 0) {
                throw new AssertionError("byte " + at[0] + " starts a field that is not a literal without indexing: " + first);
            }
            long index = integer(fragment, at, 4, to);
            String name;
            if (index == 0) {
                name = string(fragment, at, to);
            } else if (index <= Hpack.STATIC_TABLE_SIZE) {
                name = new String(Hpack.staticName((int) index), StandardCharsets.US_ASCII);
            } else {
                throw new AssertionError("name index " + index + " is outside the static table");
            }
            fields.add(new Field(name, string(fragment, at, to)));
        }
        return fields;
    }

    /** The fields of header block lines as HTTP/2 carries them: names lower-cased, values trimmed. */
    static List<Field> ofLines(String block) {
        List<Field> fields = new ArrayList<>();
        for (String line : block.split("\r\n")) {
            if (!line.isEmpty()) {
                int colon = line.indexOf(':');
                fields.add(new Field(line.substring(0, colon).toLowerCase(Locale.ROOT), line.substring(colon + 1).strip()));
            }
        }
        return fields;
    }

    private static long integer(byte[] b, int[] at, int prefixBits, int to) {
        int max = (1 << prefixBits) - 1;
        long value = b[at[0]++] & max;
        if (value < max) {
            return value;
        }
        for (int shift = 0; ; shift += 7) {
            if (at[0] >= to) {
                throw new AssertionError("integer runs past the fragment");
            }
            int next = b[at[0]++] & 0xff;
            value += (long) (next & 0x7f) << shift;
            if ((next & 0x80) == 0) {
                return value;
            }
        }
    }

    private static String string(byte[] b, int[] at, int to) {
        if (at[0] >= to) {
            throw new AssertionError("string runs past the fragment");
        }
        if ((b[at[0]] & 0x80) != 0) {
            throw new AssertionError("string at " + at[0] + " is Huffman-coded");
        }
        int length = (int) integer(b, at, 7, to);
        if (length > to - at[0]) {
            throw new AssertionError("string of " + length + " bytes runs past the fragment");
        }
        String s = new String(b, at[0], length, StandardCharsets.ISO_8859_1);
        at[0] += length;
        return s;
    }
}
