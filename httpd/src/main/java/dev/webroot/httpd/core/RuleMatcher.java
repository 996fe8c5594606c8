package dev.webroot.httpd.core;

import dev.webroot.format.RulePatterns;
import dev.webroot.format.Webroot;
import java.nio.ByteBuffer;

/**
 * Matches a decoded request path against a webroot's site rules (FORMAT.md, "RULES") and builds a
 * rewrite's target path, with no allocation and no regular expression: patterns are compared byte
 * by byte where they lie in the mapping, captures are index pairs into the path.
 *
 * <p>Cost: a path that is packed costs nothing unless the packer recorded a forced rule for its
 * entry, and then one match of that rule. A path that is not packed is compared with the rules in
 * file order until one matches; a rule whose literal prefix is longer than the path is skipped
 * without reading it, and the others stop at the first differing byte.
 */
final class RuleMatcher {
    private final MappedView mapped;
    /** Bounds, in the matched path, of the last match's captures. */
    final int[] starts = new int[RulePatterns.MAX_CAPTURES];
    final int[] ends = new int[RulePatterns.MAX_CAPTURES];
    /** A template rewrite's target path, built from the matched path. */
    private byte[] rewritten = new byte[256];
    private int rewrittenLength;

    RuleMatcher(MappedView mapped) {
        this.mapped = mapped;
    }

    /** The first rule, in file order, that {@code path[0, length)} matches, or -1; its captures are kept. */
    int first(Webroot w, byte[] path, int length) {
        for (int rule = 0, n = w.ruleCount(); rule < n; rule++) {
            if (matches(w, rule, path, length)) {
                return rule;
            }
        }
        return -1;
    }

    /** Whether {@code path[0, length)} matches the rule; its captures are kept. */
    boolean matches(Webroot w, int rule, byte[] path, int length) {
        if (w.rulePrefixLength(rule) > length) {
            return false;
        }
        ByteBuffer v = mapped.of(w);
        return RulePatterns.match(v, (int) w.rulePatternOffset(rule), w.rulePatternLength(rule), path, 0, length,
                starts, ends) >= 0;
    }

    /** The entry of a template rule's target, built from the path it just matched, or -1 when it is not packed. */
    int rewrite(Webroot w, int rule, byte[] path) {
        ByteBuffer v = mapped.of(w);
        int patternFrom = (int) w.rulePatternOffset(rule);
        int patternLength = w.rulePatternLength(rule);
        int from = (int) w.ruleTargetOffset(rule);
        int to = from + w.ruleTargetLength(rule);
        rewrittenLength = 0;
        for (int i = from; i < to; i++) {
            int capture = captureAt(v, i, to, patternFrom, patternLength);
            if (capture >= 0) {
                append(path, starts[capture], ends[capture]);
                i = RulePatterns.nameEnd(v, i + 1, to) - 1;
            } else {
                reserve(1);
                rewritten[rewrittenLength++] = v.get(i);
            }
        }
        return w.lookup(rewritten, 0, rewrittenLength);
    }

    /** The capture a {@code :name} at {@code target[i]} stands for, or -1 when none starts there. */
    static int captureAt(ByteBuffer v, int i, int to, int patternFrom, int patternLength) {
        if (v.get(i) != ':') {
            return -1;
        }
        int end = RulePatterns.nameEnd(v, i + 1, to);
        return end > i + 1 ? RulePatterns.capture(v, patternFrom, patternLength, v, i + 1, end) : -1;
    }

    private void append(byte[] b, int from, int to) {
        reserve(to - from);
        System.arraycopy(b, from, rewritten, rewrittenLength, to - from);
        rewrittenLength += to - from;
    }

    private void reserve(int n) {
        if (rewrittenLength + n > rewritten.length) {
            rewritten = java.util.Arrays.copyOf(rewritten, Math.max(rewritten.length * 2, rewrittenLength + n));
        }
    }
}
