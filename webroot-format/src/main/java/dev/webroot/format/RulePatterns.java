package dev.webroot.format;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The URL patterns of site rules (FORMAT.md, "RULES") and the placeholders of their targets, matched
 * byte by byte with no allocation and no regular expression, so that the packer, the validator and
 * the server share one definition.
 *
 * <p>A pattern is a normalized path starting with {@code /}. A segment {@code :name} matches one
 * non-empty path segment; a final {@code *} (the splat) matches the rest of the path, possibly
 * empty; every other byte matches itself. Captures are numbered in pattern order, the splat last.
 * In a target, {@code :name} (a letter or {@code _}, then letters, digits or {@code _}) stands for
 * the capture of that name, {@code :splat} for the splat.
 */
public final class RulePatterns {
    /** The most {@code :name} segments a pattern may have. */
    public static final int MAX_PLACEHOLDERS = 8;
    /** Room for every capture of a pattern: its placeholders and the splat. */
    public static final int MAX_CAPTURES = MAX_PLACEHOLDERS + 1;
    private static final byte[] SPLAT = "splat".getBytes(StandardCharsets.US_ASCII);

    private RulePatterns() {}

    /** Why {@code pattern} is not a valid pattern, or null when it is one. */
    public static String problem(String pattern) {
        if (pattern.isEmpty() || pattern.charAt(0) != '/') {
            return "a pattern is a path starting with '/': " + pattern;
        }
        int placeholders = 0;
        java.util.Set<String> names = new java.util.HashSet<>();
        int segmentStart = 1;
        for (int i = 1; i <= pattern.length(); i++) {
            char c = i < pattern.length() ? pattern.charAt(i) : '/';
            if (c < 0x20 || c == 0x7f || c == ' ') {
                return "a pattern has no spaces or control characters: " + pattern;
            }
            if (c == '?' || c == '#' || c == '%' || c == '\\') {
                return "a pattern is a decoded path without '?', '#', '%' or '\\' (queries are not matched): " + pattern;
            }
            if (c == '*' && i != pattern.length() - 1) {
                return "a splat '*' may only end a pattern: " + pattern;
            }
            if (c != '/') {
                continue;
            }
            String segment = pattern.substring(segmentStart, i);
            if (i < pattern.length() && segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return "a pattern has no empty or dot segments: " + pattern;
            }
            if (segment.startsWith(":")) {
                String name = segment.substring(1);
                if (!isName(name)) {
                    return "a placeholder is ':' and a name of letters, digits and '_' filling a whole segment: " + pattern;
                }
                if (name.equals("splat")) {
                    return "':splat' names the '*' of a pattern and cannot be a placeholder: " + pattern;
                }
                if (!names.add(name)) {
                    return "placeholder :" + name + " appears twice: " + pattern;
                }
                if (++placeholders > MAX_PLACEHOLDERS) {
                    return "a pattern has at most " + MAX_PLACEHOLDERS + " placeholders: " + pattern;
                }
            }
            segmentStart = i + 1;
        }
        return null;
    }

    private static boolean isName(String name) {
        if (name.isEmpty() || !isNameStart((byte) name.charAt(0))) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c > 0x7f || !isNameByte((byte) c)) {
                return false;
            }
        }
        return true;
    }

    static boolean isNameStart(byte b) {
        return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_';
    }

    static boolean isNameByte(byte b) {
        return isNameStart(b) || b >= '0' && b <= '9';
    }

    /**
     * Matches {@code path[pathFrom, pathFrom + pathLength)} against the pattern at
     * {@code pattern[from, from + length)}; the captures' bounds (indexes into {@code path}) go into
     * {@code starts} and {@code ends}, which have room for {@link #MAX_CAPTURES}. Returns the number
     * of captures, or -1 when the path does not match.
     */
    public static int match(ByteBuffer pattern, int from, int length, byte[] path, int pathFrom, int pathLength,
                            int[] starts, int[] ends) {
        int p = from;
        int pEnd = from + length;
        int s = pathFrom;
        int sEnd = pathFrom + pathLength;
        int captures = 0;
        while (p < pEnd) {
            byte c = pattern.get(p);
            if (c == '*' && p == pEnd - 1) {
                if (captures < MAX_CAPTURES) {
                    starts[captures] = s;
                    ends[captures++] = sEnd;
                }
                return captures;
            }
            if (c == ':' && p > from && pattern.get(p - 1) == '/') {
                while (p < pEnd && pattern.get(p) != '/') {
                    p++;
                }
                int segmentStart = s;
                while (s < sEnd && path[s] != '/') {
                    s++;
                }
                if (s == segmentStart) {
                    return -1;
                }
                if (captures < MAX_CAPTURES) {
                    starts[captures] = segmentStart;
                    ends[captures++] = s;
                }
                continue;
            }
            if (s >= sEnd || path[s] != c) {
                return -1;
            }
            p++;
            s++;
        }
        return s == sEnd ? captures : -1;
    }

    /**
     * The number of the capture that {@code name[nameFrom, nameTo)} names in the pattern, or -1:
     * {@code splat} is the capture after the placeholders when the pattern ends in {@code *}.
     */
    public static int capture(ByteBuffer pattern, int from, int length, ByteBuffer name, int nameFrom, int nameTo) {
        int pEnd = from + length;
        int n = 0;
        for (int p = from + 1; p < pEnd; p++) {
            if (pattern.get(p) == ':' && pattern.get(p - 1) == '/') {
                int q = p + 1;
                int k = nameFrom;
                while (q < pEnd && pattern.get(q) != '/' && k < nameTo && pattern.get(q) == name.get(k)) {
                    q++;
                    k++;
                }
                if (k == nameTo && (q == pEnd || pattern.get(q) == '/')) {
                    return n;
                }
                n++;
            }
        }
        if (length > 0 && pattern.get(pEnd - 1) == '*' && nameTo - nameFrom == SPLAT.length) {
            for (int i = 0; i < SPLAT.length; i++) {
                if (name.get(nameFrom + i) != SPLAT[i]) {
                    return -1;
                }
            }
            return n;
        }
        return -1;
    }

    /** The end of a placeholder name in a target that starts at {@code at} (just after its ':'); {@code at} when none starts there. */
    public static int nameEnd(ByteBuffer target, int at, int end) {
        if (at >= end || !isNameStart(target.get(at))) {
            return at;
        }
        int i = at + 1;
        while (i < end && isNameByte(target.get(i))) {
            i++;
        }
        return i;
    }

    /** The length of the pattern's literal prefix: the bytes before its first placeholder or splat. */
    public static int literalPrefix(ByteBuffer pattern, int from, int length) {
        for (int p = from; p < from + length; p++) {
            byte c = pattern.get(p);
            if (c == '*' && p == from + length - 1 || c == ':' && p > from && pattern.get(p - 1) == '/') {
                return p - from;
            }
        }
        return length;
    }

    // ---- String forms, for the packer and tools

    /** Whether {@code path} matches {@code pattern}. */
    public static boolean matches(String pattern, String path) {
        ByteBuffer p = ByteBuffer.wrap(pattern.getBytes(StandardCharsets.UTF_8));
        byte[] s = path.getBytes(StandardCharsets.UTF_8);
        return match(p, 0, p.capacity(), s, 0, s.length, new int[MAX_CAPTURES], new int[MAX_CAPTURES]) >= 0;
    }

    /**
     * The first placeholder of {@code target} that {@code pattern} does not capture (written as
     * {@code :name}), or null when every placeholder is known.
     */
    public static String unknownPlaceholder(String pattern, String target) {
        ByteBuffer p = ByteBuffer.wrap(pattern.getBytes(StandardCharsets.UTF_8));
        ByteBuffer t = ByteBuffer.wrap(target.getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < t.capacity(); i++) {
            if (t.get(i) == ':') {
                int end = nameEnd(t, i + 1, t.capacity());
                if (end > i + 1 && capture(p, 0, p.capacity(), t, i + 1, end) < 0) {
                    return new String(t.array(), i, end - i, StandardCharsets.UTF_8);
                }
                i = end - 1;
            }
        }
        return null;
    }

    /** Whether {@code target} refers to any capture of {@code pattern}. */
    public static boolean hasPlaceholders(String pattern, String target) {
        ByteBuffer p = ByteBuffer.wrap(pattern.getBytes(StandardCharsets.UTF_8));
        ByteBuffer t = ByteBuffer.wrap(target.getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < t.capacity(); i++) {
            if (t.get(i) == ':') {
                int end = nameEnd(t, i + 1, t.capacity());
                if (end > i + 1 && capture(p, 0, p.capacity(), t, i + 1, end) >= 0) {
                    return true;
                }
            }
        }
        return false;
    }

    /** {@code target} with the captures of {@code path} (which must match {@code pattern}) put in, as raw text. */
    public static String substitute(String pattern, String target, String path) {
        ByteBuffer p = ByteBuffer.wrap(pattern.getBytes(StandardCharsets.UTF_8));
        ByteBuffer t = ByteBuffer.wrap(target.getBytes(StandardCharsets.UTF_8));
        byte[] s = path.getBytes(StandardCharsets.UTF_8);
        int[] starts = new int[MAX_CAPTURES];
        int[] ends = new int[MAX_CAPTURES];
        if (match(p, 0, p.capacity(), s, 0, s.length, starts, ends) < 0) {
            throw new IllegalArgumentException(path + " does not match " + pattern);
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < t.capacity(); i++) {
            int end = t.get(i) == ':' ? nameEnd(t, i + 1, t.capacity()) : i + 1;
            int n = end > i + 1 ? capture(p, 0, p.capacity(), t, i + 1, end) : -1;
            if (n >= 0) {
                out.write(s, starts[n], ends[n] - starts[n]);
                i = end - 1;
            } else {
                out.write(t.get(i));
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
