package dev.webroot.format;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The HTTP/2 form of a header block (FORMAT.md, "HPACK"): each field line {@code Name: value} CRLF
 * becomes a literal header field without indexing (RFC 7541, 6.2.2) whose name is a static-table
 * reference when the table has it and a literal otherwise, lower-cased, and whose value is a plain
 * string with its surrounding whitespace removed. Nothing refers to a dynamic table, so the
 * fragment is valid on any connection. Connection-specific fields, which HTTP/2 forbids, are left
 * out. The cut points of the block become the fragment's lengths at the same line boundaries, and
 * {@link #etagEnd} is where the first field ends when the block starts with ETag, so a server can
 * send the fragment without it. The same block always gives the same bytes.
 */
public final class HpackFragment {
    private static final byte[][] CONNECTION_FIELDS = {
        ascii("connection"), ascii("keep-alive"), ascii("proxy-connection"), ascii("transfer-encoding"), ascii("upgrade")
    };
    /** Bit n set when a connection-specific name has n bytes: most names are ruled out by their length. */
    private static final long CONNECTION_FIELD_LENGTHS;

    static {
        long lengths = 0;
        for (byte[] name : CONNECTION_FIELDS) {
            lengths |= 1L << name.length;
        }
        CONNECTION_FIELD_LENGTHS = lengths;
    }

    private static final byte[] ETAG = ascii("etag");
    /** RFC 9110 tchar, by byte value. */
    private static final boolean[] TOKEN = new boolean[128];

    static {
        for (int c = 0; c < 128; c++) {
            TOKEN[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
        }
    }

    private final byte[] bytes;
    private final int notModifiedEnd;
    private final int commonEnd;
    private final int contentTypeEnd;
    private final int etagEnd;

    private HpackFragment(byte[] bytes, Output cuts) {
        this.bytes = bytes;
        this.notModifiedEnd = cuts.notModifiedEnd;
        this.commonEnd = cuts.commonEnd;
        this.contentTypeEnd = cuts.contentTypeEnd;
        this.etagEnd = cuts.etagEnd;
    }

    /**
     * Converts a header block whose cut points are the given prefix lengths (each at a line boundary,
     * in order). Refuses a block that is not whole field lines with token names.
     */
    public static HpackFragment of(byte[] block, int notModifiedEnd, int commonEnd, int contentTypeEnd) {
        ByteBuffer source = ByteBuffer.wrap(block);
        Output count = new Output();
        convert(source, 0, block.length, notModifiedEnd, commonEnd, contentTypeEnd, count);
        ArrayOutput out = new ArrayOutput(new byte[count.length]);
        convert(source, 0, block.length, notModifiedEnd, commonEnd, contentTypeEnd, out);
        return new HpackFragment(out.bytes, out);
    }

    /**
     * The most bytes the fragment of a {@code blockLength}-byte block can take. A line of L bytes has
     * a name of n >= 1 bytes, a colon, a value of v bytes with its whitespace, and CRLF. Its field
     * takes at most 1 + n + v + 3 bytes while n and v are below 127 (a name index takes at most 2),
     * so no more than the line; otherwise L is at least 130 and the two length prefixes take at most
     * 6 bytes each, at most 10 more than the line, which is at most L / 13.
     */
    static int maxLength(int blockLength) {
        return blockLength + blockLength / 8;
    }

    /** The fragment's bytes (a copy). */
    public byte[] bytes() {
        return bytes.clone();
    }

    public int length() {
        return bytes.length;
    }

    /**
     * Copies the fragment's bytes {@code [from, to)} into {@code dst} at {@code at}, without
     * allocating; throws {@link IndexOutOfBoundsException} when a range is out of bounds.
     */
    public void copy(int from, int to, byte[] dst, int at) {
        java.util.Objects.checkFromToIndex(from, to, bytes.length);
        System.arraycopy(bytes, from, dst, at, to - from);
    }

    byte[] bytesUnsafe() {
        return bytes;
    }

    /** Length of the prefix that a 304 carries: the block's first group. */
    public int notModifiedEnd() {
        return notModifiedEnd;
    }

    /** Length of the prefix that every 206 carries. */
    public int commonEnd() {
        return commonEnd;
    }

    /** Length of the prefix that ends after the content-type field. */
    public int contentTypeEnd() {
        return contentTypeEnd;
    }

    /** Where the ETag field ends when it is the first one, else 0: {@code [etagEnd, length)} is the rest. */
    public int etagEnd() {
        return etagEnd;
    }

    /**
     * Encodes the block at {@code source[start, start + length)} into {@code out}, recording the
     * fragment's cut points there. Throws {@link IllegalArgumentException} naming the first problem.
     */
    static void convert(ByteBuffer source, int start, int length, int notModifiedEnd, int commonEnd, int contentTypeEnd,
                        Output out) {
        checkCutPoints(length, notModifiedEnd, commonEnd, contentTypeEnd);
        out.reset();
        int end = start + length;
        int matchedCuts = 0;
        int line = 1;
        for (int lineStart = start; ; line++) {
            int boundary = lineStart - start;
            if (boundary == notModifiedEnd) {
                out.notModifiedEnd = out.length;
                matchedCuts++;
            }
            if (boundary == commonEnd) {
                out.commonEnd = out.length;
                matchedCuts++;
            }
            if (boundary == contentTypeEnd) {
                out.contentTypeEnd = out.length;
                matchedCuts++;
            }
            if (lineStart == end) {
                break;
            }
            int colon = lineStart;
            for (byte b; colon < end && (b = source.get(colon)) != ':'; colon++) {
                if (b < 0 || !TOKEN[b]) {
                    throw new IllegalArgumentException("line " + line + (hasColon(source, colon, end)
                            ? " has a field name that is not a token" : " is not a field (Name: value)"));
                }
            }
            if (colon == lineStart || colon == end) {
                throw new IllegalArgumentException("line " + line + " is not a field (Name: value)");
            }
            int lineEnd = colon + 1;
            for (byte b; lineEnd < end && (b = source.get(lineEnd)) != '\r'; lineEnd++) {
                if (b >= 0 && b < 0x20 && b != '\t' || b == 0x7f) {
                    throw new IllegalArgumentException("line " + line + " contains a control character");
                }
            }
            if (lineEnd + 1 >= end || source.get(lineEnd + 1) != '\n') {
                throw new IllegalArgumentException("line " + line + " does not end with CRLF");
            }
            int valueStart = colon + 1;
            int valueEnd = lineEnd;
            while (valueStart < valueEnd && isWhitespace(source.get(valueStart))) {
                valueStart++;
            }
            while (valueEnd > valueStart && isWhitespace(source.get(valueEnd - 1))) {
                valueEnd--;
            }
            if (!isConnectionField(source, lineStart, colon)) {
                putField(source, lineStart, colon, valueStart, valueEnd, out);
            }
            lineStart = lineEnd + 2;
            if (line == 1 && nameEquals(source, start, colon, ETAG)) {
                if (lineStart - start > notModifiedEnd) {
                    throw new IllegalArgumentException("the ETag line lies after the not-modified cut point");
                }
                out.etagEnd = out.length;
            }
        }
        if (matchedCuts != 3) {
            throw new IllegalArgumentException("a cut point is not at a line boundary");
        }
    }

    private static void checkCutPoints(int length, int notModifiedEnd, int commonEnd, int contentTypeEnd) {
        if (notModifiedEnd < 0 || notModifiedEnd > commonEnd || commonEnd > contentTypeEnd || contentTypeEnd > length) {
            throw new IllegalArgumentException("cut points " + notModifiedEnd + ", " + commonEnd + ", " + contentTypeEnd
                    + " are out of order or beyond the block's " + length + " bytes");
        }
    }

    /**
     * Checks that {@code b[start, start + length)} is a block {@link #convert} accepts, with the same
     * message for the same first problem, without converting it. Opening a webroot checks every block
     * this way: over a byte array, the loop is a fraction of the conversion's cost on a cold JVM.
     */
    static void checkLines(byte[] b, int start, int length, int notModifiedEnd, int commonEnd, int contentTypeEnd) {
        checkCutPoints(length, notModifiedEnd, commonEnd, contentTypeEnd);
        int end = start + length;
        int matchedCuts = 0;
        int line = 1;
        for (int lineStart = start; ; line++) {
            int boundary = lineStart - start;
            if (boundary == notModifiedEnd) {
                matchedCuts++;
            }
            if (boundary == commonEnd) {
                matchedCuts++;
            }
            if (boundary == contentTypeEnd) {
                matchedCuts++;
            }
            if (lineStart == end) {
                break;
            }
            int colon = lineStart;
            for (byte c; colon < end && (c = b[colon]) != ':'; colon++) {
                if (c < 0 || !TOKEN[c]) {
                    throw new IllegalArgumentException("line " + line + (hasColon(ByteBuffer.wrap(b), colon, end)
                            ? " has a field name that is not a token" : " is not a field (Name: value)"));
                }
            }
            if (colon == lineStart || colon == end) {
                throw new IllegalArgumentException("line " + line + " is not a field (Name: value)");
            }
            int lineEnd = colon + 1;
            for (byte c; lineEnd < end && (c = b[lineEnd]) != '\r'; lineEnd++) {
                if (c >= 0 && c < 0x20 && c != '\t' || c == 0x7f) {
                    throw new IllegalArgumentException("line " + line + " contains a control character");
                }
            }
            if (lineEnd + 1 >= end || b[lineEnd + 1] != '\n') {
                throw new IllegalArgumentException("line " + line + " does not end with CRLF");
            }
            lineStart = lineEnd + 2;
            if (line == 1 && lineStart - start > notModifiedEnd && nameEquals(b, start, colon, ETAG)) {
                throw new IllegalArgumentException("the ETag line lies after the not-modified cut point");
            }
        }
        if (matchedCuts != 3) {
            throw new IllegalArgumentException("a cut point is not at a line boundary");
        }
    }

    /** Whether a colon comes before the end of the line that continues at {@code from}. */
    private static boolean hasColon(ByteBuffer source, int from, int end) {
        for (int i = from; i < end && source.get(i) != '\r'; i++) {
            if (source.get(i) == ':') {
                return true;
            }
        }
        return false;
    }

    private static void putField(ByteBuffer source, int nameStart, int nameEnd, int valueStart, int valueEnd, Output out) {
        int index = Hpack.staticNameIndex(source, nameStart, nameEnd);
        if (index > 0) {
            out.putInteger(0x00, 4, index);
        } else {
            out.put(0x00);
            out.putInteger(0x00, 7, nameEnd - nameStart);
            out.copyLowerCase(source, nameStart, nameEnd);
        }
        out.putInteger(0x00, 7, valueEnd - valueStart);
        out.copy(source, valueStart, valueEnd);
    }

    private static boolean isConnectionField(ByteBuffer source, int from, int to) {
        if ((CONNECTION_FIELD_LENGTHS & 1L << Math.min(to - from, 63)) == 0) {
            return false;
        }
        for (byte[] name : CONNECTION_FIELDS) {
            if (nameEquals(source, from, to, name)) {
                return true;
            }
        }
        return false;
    }

    private static boolean nameEquals(ByteBuffer source, int from, int to, byte[] lowerCase) {
        if (to - from != lowerCase.length) {
            return false;
        }
        for (int i = 0; i < lowerCase.length; i++) {
            if (Hpack.toLowerCase(source.get(from + i)) != lowerCase[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean nameEquals(byte[] b, int from, int to, byte[] lowerCase) {
        if (to - from != lowerCase.length) {
            return false;
        }
        for (int i = 0; i < lowerCase.length; i++) {
            if (Hpack.toLowerCase(b[from + i]) != lowerCase[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean isWhitespace(byte b) {
        return b == ' ' || b == '\t';
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Where the converter's bytes go, and the fragment's cut points. This base class only counts,
     * which sizes a fragment before it is written.
     */
    static class Output {
        int length;
        int notModifiedEnd;
        int commonEnd;
        int contentTypeEnd;
        int etagEnd;
        private final byte[] integer = new byte[16];

        void reset() {
            length = 0;
            notModifiedEnd = 0;
            commonEnd = 0;
            contentTypeEnd = 0;
            etagEnd = 0;
        }

        void put(int b) {
            length++;
        }

        void put(byte[] bytes, int n) {
            length += n;
        }

        void copy(ByteBuffer source, int from, int to) {
            length += to - from;
        }

        void copyLowerCase(ByteBuffer source, int from, int to) {
            length += to - from;
        }

        final void putInteger(int flags, int prefixBits, long value) {
            put(integer, Hpack.putInteger(integer, 0, flags, prefixBits, value));
        }
    }

    /** Writes the fragment into an array that has room for it, from a given index on. */
    static final class ArrayOutput extends Output {
        final byte[] bytes;
        private int base;

        ArrayOutput(byte[] bytes) {
            this.bytes = bytes;
        }

        /** Writes the next fragment from {@code base} on. */
        ArrayOutput at(int base) {
            this.base = base;
            return this;
        }

        @Override
        void put(int b) {
            bytes[base + length++] = (byte) b;
        }

        @Override
        void put(byte[] b, int n) {
            System.arraycopy(b, 0, bytes, base + length, n);
            length += n;
        }

        @Override
        void copy(ByteBuffer source, int from, int to) {
            source.get(from, bytes, base + length, to - from);
            length += to - from;
        }

        @Override
        void copyLowerCase(ByteBuffer source, int from, int to) {
            for (int i = from; i < to; i++) {
                bytes[base + length++] = Hpack.toLowerCase(source.get(i));
            }
        }
    }

    /**
     * Compares the fragment with stored bytes as it is produced, so a file's fragments are checked
     * without building them.
     */
    static final class Comparison extends Output {
        private ByteBuffer stored;
        private int at;
        private int storedLength;
        private boolean differs;

        Comparison expect(ByteBuffer stored, int at, int storedLength) {
            this.stored = stored;
            this.at = at;
            this.storedLength = storedLength;
            return this;
        }

        @Override
        void reset() {
            super.reset();
            differs = false;
        }

        @Override
        void put(int b) {
            if (length >= storedLength || stored.get(at + length) != (byte) b) {
                differs = true;
            }
            length++;
        }

        @Override
        void put(byte[] bytes, int n) {
            if (length > storedLength - n) {
                differs = true;
            } else {
                for (int i = 0; i < n; i++) {
                    differs |= bytes[i] != stored.get(at + length + i);
                }
            }
            length += n;
        }

        @Override
        void copy(ByteBuffer source, int from, int to) {
            compare(source, from, to, false);
        }

        @Override
        void copyLowerCase(ByteBuffer source, int from, int to) {
            compare(source, from, to, true);
        }

        private void compare(ByteBuffer source, int from, int to, boolean lowerCase) {
            int n = to - from;
            if (length > storedLength - n) {
                differs = true;
            } else if (!differs && !lowerCase && source.hasArray() && stored.hasArray()) {
                int s = stored.arrayOffset() + at + length;
                int f = source.arrayOffset() + from;
                differs = !java.util.Arrays.equals(source.array(), f, f + n, stored.array(), s, s + n);
            } else if (!differs) {
                int base = at + length - from;
                for (int i = from; i < to; i++) {
                    byte b = lowerCase ? Hpack.toLowerCase(source.get(i)) : source.get(i);
                    if (b != stored.get(base + i)) {
                        differs = true;
                        break;
                    }
                }
            }
            length += n;
        }

        /** Whether the stored bytes are exactly the fragment, which had these cut points. */
        boolean matches(int notModifiedEnd, int commonEnd, int contentTypeEnd, int etagEnd) {
            return !differs && length == storedLength && this.notModifiedEnd == notModifiedEnd && this.commonEnd == commonEnd
                    && this.contentTypeEnd == contentTypeEnd && this.etagEnd == etagEnd;
        }
    }
}
