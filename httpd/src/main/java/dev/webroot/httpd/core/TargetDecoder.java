package dev.webroot.httpd.core;

/**
 * Turns a request-target into the path bytes looked up in the webroot (RFC 3986 and RFC 9112 §3.2):
 * origin-form or absolute-form ({@code http}/{@code https}, no userinfo; its authority then
 * overrides Host); the query is split off first and kept for redirects; the path is split into
 * segments before strict percent-decoding; a decoded {@code /}, {@code \} or NUL, or a raw
 * {@code \}, is refused; dot segments are removed as RFC 3986 §5.2.4 does, never climbing above the
 * root ({@code /../x} is {@code /x}); empty segments are kept, so {@code //} reaches the lookup as
 * written and finds nothing (the webroot has no empty segments); the result must be valid UTF-8
 * (no overlong forms, surrogates or code points above U+10FFFF). Asterisk- and authority-form are
 * refused.
 */
final class TargetDecoder {
    private static final byte[] HTTP = Ascii.bytes("http://");
    private static final byte[] HTTPS = Ascii.bytes("https://");

    private byte[] path;
    private int[] segmentStarts;
    int pathLength;
    /** Absolute indexes of the query including its '?', or -1 when there is none. */
    int queryStart = -1;
    int queryEnd = -1;
    /** Absolute indexes of an absolute-form target's authority, or -1. */
    int authorityStart = -1;
    int authorityEnd = -1;

    /** Typical targets fit; a longer or deeper one grows the buffers once for the connection. */
    private static final int INITIAL_CAPACITY = 256;
    private static final int INITIAL_SEGMENTS = 32;

    TargetDecoder() {
        path = new byte[INITIAL_CAPACITY];
        segmentStarts = new int[INITIAL_SEGMENTS];
    }

    byte[] path() {
        return path;
    }

    /** Decodes {@code b[from..to)}; false means 400. */
    boolean decode(byte[] b, int from, int to) {
        queryStart = queryEnd = authorityStart = authorityEnd = -1;
        if (to - from + 1 > path.length) {
            path = new byte[to - from + 1];
        }
        int pathFrom = from;
        if (from < to && b[from] != '/') {
            int scheme = Ascii.startsWithIgnoreCase(b, from, to, HTTP) ? HTTP.length
                    : Ascii.startsWithIgnoreCase(b, from, to, HTTPS) ? HTTPS.length : -1;
            if (scheme < 0) {
                return false;
            }
            authorityStart = from + scheme;
            int i = authorityStart;
            while (i < to && b[i] != '/' && b[i] != '?') {
                if (b[i] == '@') {
                    return false;
                }
                i++;
            }
            if (i == authorityStart) {
                return false;
            }
            authorityEnd = i;
            pathFrom = i;
        }
        int pathTo = pathFrom;
        while (pathTo < to && b[pathTo] != '?') {
            pathTo++;
        }
        if (pathTo < to) {
            queryStart = pathTo;
            queryEnd = to;
        }
        if (pathFrom == pathTo) {
            path[0] = '/';
            pathLength = 1;
            return true;
        }
        return decodePath(b, pathFrom + 1, pathTo) && Utf8.isValid(path, 0, pathLength);
    }

    /** Decodes and normalizes the segments after the leading '/' of {@code b[from-1..to)}. */
    private boolean decodePath(byte[] b, int from, int to) {
        path[0] = '/';
        int out = 1;
        int depth = 0;
        int i = from;
        while (true) {
            int segmentStart = out;
            while (i < to && b[i] != '/') {
                int c = b[i] & 0xff;
                if (c == '%') {
                    if (i + 2 >= to) {
                        return false;
                    }
                    int hi = Ascii.hexValue(b[i + 1]);
                    int lo = Ascii.hexValue(b[i + 2]);
                    if (hi < 0 || lo < 0) {
                        return false;
                    }
                    c = hi << 4 | lo;
                    if (c == '/' || c == '\\' || c == 0) {
                        return false;
                    }
                    i += 3;
                } else if (c == '\\') {
                    return false;
                } else {
                    i++;
                }
                path[out++] = (byte) c;
            }
            boolean last = i >= to;
            int length = out - segmentStart;
            if (length == 1 && path[segmentStart] == '.') {
                out = segmentStart;
            } else if (length == 2 && path[segmentStart] == '.' && path[segmentStart + 1] == '.') {
                out = depth > 0 ? segmentStarts[--depth] : segmentStart;
            } else {
                if (depth == segmentStarts.length) {
                    segmentStarts = java.util.Arrays.copyOf(segmentStarts, depth * 2);
                }
                segmentStarts[depth++] = segmentStart;
                if (!last) {
                    path[out++] = '/';
                }
            }
            if (last) {
                break;
            }
            i++;
        }
        pathLength = out;
        return true;
    }
}
