package dev.webroot.httpd.http2;

/**
 * HPACK's Huffman code (RFC 7541 Appendix B) and its decoder: a state machine that reads four
 * bits at a time, built from the code table when the class is loaded. Its states are the inner
 * nodes of the code tree (the root is state 0); four bits complete at most one symbol, since the
 * shortest code has five.
 */
final class Huffman {
    /** The symbol that must never appear in a string (5.2). */
    static final int EOS = 256;

    /** The code of each symbol (0 to 255, then EOS), right-aligned in {@link #LENGTHS} bits. */
    static final int[] CODES = {
            0x1ff8, 0x7fffd8, 0xfffffe2, 0xfffffe3, 0xfffffe4, 0xfffffe5, 0xfffffe6, 0xfffffe7,
            0xfffffe8, 0xffffea, 0x3ffffffc, 0xfffffe9, 0xfffffea, 0x3ffffffd, 0xfffffeb, 0xfffffec,
            0xfffffed, 0xfffffee, 0xfffffef, 0xffffff0, 0xffffff1, 0xffffff2, 0x3ffffffe, 0xffffff3,
            0xffffff4, 0xffffff5, 0xffffff6, 0xffffff7, 0xffffff8, 0xffffff9, 0xffffffa, 0xffffffb,
            0x14, 0x3f8, 0x3f9, 0xffa, 0x1ff9, 0x15, 0xf8, 0x7fa,
            0x3fa, 0x3fb, 0xf9, 0x7fb, 0xfa, 0x16, 0x17, 0x18,
            0x0, 0x1, 0x2, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
            0x1e, 0x1f, 0x5c, 0xfb, 0x7ffc, 0x20, 0xffb, 0x3fc,
            0x1ffa, 0x21, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62,
            0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a,
            0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72,
            0xfc, 0x73, 0xfd, 0x1ffb, 0x7fff0, 0x1ffc, 0x3ffc, 0x22,
            0x7ffd, 0x3, 0x23, 0x4, 0x24, 0x5, 0x25, 0x26,
            0x27, 0x6, 0x74, 0x75, 0x28, 0x29, 0x2a, 0x7,
            0x2b, 0x76, 0x2c, 0x8, 0x9, 0x2d, 0x77, 0x78,
            0x79, 0x7a, 0x7b, 0x7ffe, 0x7fc, 0x3ffd, 0x1ffd, 0xffffffc,
            0xfffe6, 0x3fffd2, 0xfffe7, 0xfffe8, 0x3fffd3, 0x3fffd4, 0x3fffd5, 0x7fffd9,
            0x3fffd6, 0x7fffda, 0x7fffdb, 0x7fffdc, 0x7fffdd, 0x7fffde, 0xffffeb, 0x7fffdf,
            0xffffec, 0xffffed, 0x3fffd7, 0x7fffe0, 0xffffee, 0x7fffe1, 0x7fffe2, 0x7fffe3,
            0x7fffe4, 0x1fffdc, 0x3fffd8, 0x7fffe5, 0x3fffd9, 0x7fffe6, 0x7fffe7, 0xffffef,
            0x3fffda, 0x1fffdd, 0xfffe9, 0x3fffdb, 0x3fffdc, 0x7fffe8, 0x7fffe9, 0x1fffde,
            0x7fffea, 0x3fffdd, 0x3fffde, 0xfffff0, 0x1fffdf, 0x3fffdf, 0x7fffeb, 0x7fffec,
            0x1fffe0, 0x1fffe1, 0x3fffe0, 0x1fffe2, 0x7fffed, 0x3fffe1, 0x7fffee, 0x7fffef,
            0xfffea, 0x3fffe2, 0x3fffe3, 0x3fffe4, 0x7ffff0, 0x3fffe5, 0x3fffe6, 0x7ffff1,
            0x3ffffe0, 0x3ffffe1, 0xfffeb, 0x7fff1, 0x3fffe7, 0x7ffff2, 0x3fffe8, 0x1ffffec,
            0x3ffffe2, 0x3ffffe3, 0x3ffffe4, 0x7ffffde, 0x7ffffdf, 0x3ffffe5, 0xfffff1, 0x1ffffed,
            0x7fff2, 0x1fffe3, 0x3ffffe6, 0x7ffffe0, 0x7ffffe1, 0x3ffffe7, 0x7ffffe2, 0xfffff2,
            0x1fffe4, 0x1fffe5, 0x3ffffe8, 0x3ffffe9, 0xffffffd, 0x7ffffe3, 0x7ffffe4, 0x7ffffe5,
            0xfffec, 0xfffff3, 0xfffed, 0x1fffe6, 0x3fffe9, 0x1fffe7, 0x1fffe8, 0x7ffff3,
            0x3fffea, 0x3fffeb, 0x1ffffee, 0x1ffffef, 0xfffff4, 0xfffff5, 0x3ffffea, 0x7ffff4,
            0x3ffffeb, 0x7ffffe6, 0x3ffffec, 0x3ffffed, 0x7ffffe7, 0x7ffffe8, 0x7ffffe9, 0x7ffffea,
            0x7ffffeb, 0xffffffe, 0x7ffffec, 0x7ffffed, 0x7ffffee, 0x7ffffef, 0x7fffff0, 0x3ffffee,
            0x3fffffff
    };

    /** The length in bits of each code in {@link #CODES}. */
    static final byte[] LENGTHS = {
            13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
            28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
            6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
            5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
            13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
            7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
            15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
            6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
            20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
            24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
            22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
            21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
            26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
            19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
            20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
            26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
            30
    };

    /*
     * A transition, one per state and nibble: the next state times 16 (where its row starts) in
     * bits 0-11, the symbol the nibble completed in bits 12-19 (if EMITS), and flags.
     */
    private static final int NEXT = 0xff0;
    private static final int EMITS = 1 << 20;
    private static final int FAILS = 1 << 21;
    /** The string may end here: the bits since the last symbol are at most seven ones. */
    private static final int ACCEPTS = 1 << 22;
    private static final int STATES = 256;
    private static final int[] TRANSITIONS = transitions();

    private Huffman() {}

    /**
     * Decodes the Huffman-coded string {@code in[from, from + length)}, writing its first
     * {@code limit} symbols to {@code dst} from {@code at} on (wrapping around at the end of
     * {@code dst}, which is a ring or big enough); returns how many symbols the string holds, or -1
     * if it is not a valid code: it contains EOS, or its padding is longer than 7 bits or not all ones.
     * When the whole string fits, the byte after it may be overwritten too (never past the end of
     * {@code dst}).
     */
    static int decode(byte[] in, int from, int length, byte[] dst, int at, int limit) {
        int longest = (int) (length * 8L / 5);
        if (longest <= limit && longest < dst.length - at) {
            return decodeWithRoom(in, from, length, dst, at);
        }
        int t = ACCEPTS; // in state 0, the root, where an empty string ends
        int count = 0;
        int w = at;
        for (int i = from, end = from + length; i < end; i++) {
            int b = in[i];
            for (int shift = 4; shift >= 0; shift -= 4) {
                t = TRANSITIONS[t & NEXT | (b >>> shift) & 0xf];
                if ((t & (EMITS | FAILS)) != 0) {
                    if ((t & FAILS) != 0) {
                        return -1;
                    }
                    if (count < limit) {
                        dst[w] = (byte) (t >>> 12);
                        if (++w == dst.length) {
                            w = 0;
                        }
                    }
                    count++;
                }
            }
        }
        return (t & ACCEPTS) != 0 ? count : -1;
    }

    /**
     * {@link #decode} where all the symbols the string can hold (a code has at least five bits) fit
     * before the end of {@code dst}, plus a byte: every nibble stores a byte at the write position
     * and only a completed symbol moves it on, which spares a branch per nibble.
     */
    private static int decodeWithRoom(byte[] in, int from, int length, byte[] dst, int at) {
        int t = ACCEPTS;
        int flags = 0;
        int w = at;
        for (int i = from, end = from + length; i < end; i++) {
            int b = in[i];
            t = TRANSITIONS[t & NEXT | (b >>> 4) & 0xf];
            dst[w] = (byte) (t >>> 12);
            w += t >>> 20 & 1;
            flags |= t;
            t = TRANSITIONS[t & NEXT | b & 0xf];
            dst[w] = (byte) (t >>> 12);
            w += t >>> 20 & 1;
            flags |= t;
        }
        return (flags & FAILS) == 0 && (t & ACCEPTS) != 0 ? w - at : -1;
    }

    private static int[] transitions() {
        // Inner nodes of the code tree; a child is an inner node's number (> 0, as the root is
        // nobody's child), a leaf as -(symbol + 1), or 0 while missing.
        int[][] children = new int[2][STATES];
        int[] depth = new int[STATES];
        boolean[] allOnes = new boolean[STATES];
        allOnes[0] = true;
        int nodes = 1;
        for (int symbol = 0; symbol <= EOS; symbol++) {
            int node = 0;
            for (int bit = LENGTHS[symbol] - 1; bit >= 0; bit--) {
                int b = CODES[symbol] >>> bit & 1;
                if (bit == 0) {
                    if (children[b][node] != 0) {
                        throw new IllegalStateException("not a prefix code at symbol " + symbol);
                    }
                    children[b][node] = -(symbol + 1);
                } else {
                    if (children[b][node] == 0) {
                        children[b][node] = nodes;
                        depth[nodes] = depth[node] + 1;
                        allOnes[nodes] = allOnes[node] && b == 1;
                        nodes++;
                    } else if (children[b][node] < 0) {
                        throw new IllegalStateException("not a prefix code at symbol " + symbol);
                    }
                    node = children[b][node];
                }
            }
        }
        if (nodes != STATES) {
            throw new IllegalStateException("code tree has " + nodes + " inner nodes, not " + STATES);
        }
        int[] transitions = new int[STATES * 16];
        for (int state = 0; state < STATES; state++) {
            for (int nibble = 0; nibble < 16; nibble++) {
                int node = state;
                int t = 0;
                for (int bit = 3; bit >= 0 && (t & FAILS) == 0; bit--) {
                    int child = children[nibble >>> bit & 1][node];
                    if (child == 0) {
                        throw new IllegalStateException("code tree is not complete at state " + node);
                    }
                    if (child > 0) {
                        node = child;
                    } else if (-child - 1 == EOS) {
                        t = FAILS;
                    } else {
                        t = EMITS | (-child - 1) << 12;
                        node = 0;
                    }
                }
                if ((t & FAILS) == 0 && (node == 0 || allOnes[node] && depth[node] <= 7)) {
                    t |= ACCEPTS;
                }
                transitions[state << 4 | nibble] = t | node << 4;
            }
        }
        return transitions;
    }
}
