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
    private static final byte[] ETAG = ascii("etag");
    private static final String TOKEN_SYMBOLS = "!#$%&'*+-.^_`|~";

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
        ArrayOutput out = new ArrayOutput(new byte[count.length], 0);
        convert(source, 0, block.length, notModifiedEnd, commonEnd, contentTypeEnd, out);
        return new HpackFragment(out.bytes, out);
    }

    /** The fragment's bytes (a copy). */
    public byte[] bytes() {
        return bytes.clone();
    }

    int length() {
        return bytes.length;
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
        if (notModifiedEnd < 0 || notModifiedEnd > commonEnd || commonEnd > contentTypeEnd || contentTypeEnd > length) {
            throw new IllegalArgumentException("cut points " + notModifiedEnd + ", " + commonEnd + ", " + contentTypeEnd
                    + " are out of order or beyond the block's " + length + " bytes");
        }
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
            int lineEnd = lineStart;
            int colon = -1;
            while (lineEnd < end && source.get(lineEnd) != '\r') {
                byte b = source.get(lineEnd);
                if (b == ':' && colon < 0) {
                    colon = lineEnd;
                } else if ((b < 0x20 && b != '\t' || b == 0x7f) && b >= 0) {
                    throw new IllegalArgumentException("line " + line + " contains a control character");
                }
                lineEnd++;
            }
            if (lineEnd + 1 >= end || source.get(lineEnd + 1) != '\n') {
                throw new IllegalArgumentException("line " + line + " does not end with CRLF");
            }
            if (colon <= lineStart) {
                throw new IllegalArgumentException("line " + line + " is not a field (Name: value)");
            }
            for (int i = lineStart; i < colon; i++) {
                if (!isTokenByte(source.get(i))) {
                    throw new IllegalArgumentException("line " + line + " has a field name that is not a token");
                }
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

    private static void putField(ByteBuffer source, int nameStart, int nameEnd, int valueStart, int valueEnd, Output out) {
        int index = Hpack.staticNameIndex(source, nameStart, nameEnd);
        if (index > 0) {
            out.putInteger(0x00, 4, index);
        } else {
            out.put(0x00);
            out.putInteger(0x00, 7, nameEnd - nameStart);
            for (int i = nameStart; i < nameEnd; i++) {
                out.put(Hpack.toLowerCase(source.get(i)));
            }
        }
        out.putInteger(0x00, 7, valueEnd - valueStart);
        out.copy(source, valueStart, valueEnd);
    }

    private static boolean isConnectionField(ByteBuffer source, int from, int to) {
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

    private static boolean isTokenByte(byte b) {
        return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b > 0 && TOKEN_SYMBOLS.indexOf(b) >= 0;
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

        void copy(ByteBuffer source, int from, int to) {
            length += to - from;
        }

        final void putInteger(int flags, int prefixBits, long value) {
            int n = Hpack.putInteger(integer, 0, flags, prefixBits, value);
            for (int i = 0; i < n; i++) {
                put(integer[i]);
            }
        }
    }

    /** Writes the fragment into an array that has room for it. */
    static final class ArrayOutput extends Output {
        final byte[] bytes;
        private final int base;

        ArrayOutput(byte[] bytes, int base) {
            this.bytes = bytes;
            this.base = base;
        }

        @Override
        void put(int b) {
            bytes[base + length++] = (byte) b;
        }

        @Override
        void copy(ByteBuffer source, int from, int to) {
            source.get(from, bytes, base + length, to - from);
            length += to - from;
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
        void copy(ByteBuffer source, int from, int to) {
            if (length > storedLength - (to - from)) {
                differs = true;
            } else if (!differs) {
                for (int i = from; i < to; i++) {
                    if (source.get(i) != stored.get(at + length + i - from)) {
                        differs = true;
                        break;
                    }
                }
            }
            length += to - from;
        }

        /** Whether the stored bytes are exactly the fragment, which had these cut points. */
        boolean matches(int notModifiedEnd, int commonEnd, int contentTypeEnd, int etagEnd) {
            return !differs && length == storedLength && this.notModifiedEnd == notModifiedEnd && this.commonEnd == commonEnd
                    && this.contentTypeEnd == contentTypeEnd && this.etagEnd == etagEnd;
        }
    }
}
