package dev.webroot.mkroot;

import dev.webroot.format.RulePatterns;
import dev.webroot.format.WebrootWriter.Rule;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A site's {@code _redirects} file, in the syntax of Netlify and Cloudflare Pages: one rule a line,
 * {@code FROM TO [STATUS][!]}, {@code #} comment lines. FROM is a path pattern ({@code :name}
 * segments, a final {@code *}); TO a path or, for redirects, an http(s) URL, with {@code :name} and
 * {@code :splat} put in; STATUS 301 (the default), 302, 303, 307, 308, 200 (a rewrite), 404 or 410
 * (the page at TO sent with that status); a trailing {@code !} forces the rule over a packed path.
 * This class checks each line on its own; {@link SiteAssembler} checks targets and loops.
 */
final class RedirectRules {
    static final String FILE_NAME = "_redirects";
    private static final Pattern STATUS = Pattern.compile("([0-9]{3})(!?)");
    private static final Set<Integer> STATUSES = Set.of(200, 301, 302, 303, 307, 308, 404, 410);

    private RedirectRules() {}

    static List<Rule> parse(String text) {
        List<Rule> rules = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String trimmed = lines[i].strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            rules.add(rule(i + 1, trimmed.split("[ \t]+")));
        }
        return rules;
    }

    private static Rule rule(int line, String[] fields) {
        if (fields.length < 2) {
            throw error(line, "expected FROM TO [STATUS], not: " + String.join(" ", fields));
        }
        if (fields.length > 3) {
            throw error(line, "only FROM TO [STATUS] is supported; conditions, options and comments after the status are not: "
                    + String.join(" ", List.of(fields).subList(3, fields.length)));
        }
        String from = fields[0];
        String to = fields[1];
        if (isAbsolute(from)) {
            throw error(line, "FROM is a path; redirects chosen by host are not supported: " + from);
        }
        String problem = RulePatterns.problem(from);
        if (problem != null) {
            throw error(line, problem);
        }
        int status = 301;
        boolean forced = false;
        if (fields.length == 3) {
            Matcher m = STATUS.matcher(fields[2]);
            if (!m.matches() || !STATUSES.contains(Integer.parseInt(m.group(1)))) {
                throw error(line, "unknown status " + fields[2] + " (supported: 200, 301, 302, 303, 307, 308, 404, 410, "
                        + "each optionally followed by '!')");
            }
            status = Integer.parseInt(m.group(1));
            forced = !m.group(2).isEmpty();
        }
        for (int i = 0; i < to.length(); i++) {
            char c = to.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                throw error(line, "TO has a character that is not visible ASCII (percent-encode it): " + to);
            }
        }
        if (!to.startsWith("/") && !isAbsolute(to)) {
            throw error(line, "TO is a path starting with '/' or an http(s) URL: " + to);
        }
        String unknown = RulePatterns.unknownPlaceholder(from, to);
        if (unknown != null) {
            throw error(line, "unknown placeholder " + unknown + " in TO (" + from + " captures "
                    + capturesOf(from) + ")");
        }
        boolean redirect = status >= 300 && status < 400;
        if (!redirect && isAbsolute(to)) {
            throw error(line, "a " + status + " rule serves a packed file; serving another site's " + to
                    + " would be a proxy, which is not supported");
        }
        if (!redirect && (to.indexOf('?') >= 0 || to.indexOf('%') >= 0 || to.indexOf('#') >= 0)) {
            throw error(line, "a " + status + " rule's TO is a packed path, without query, fragment or percent-escapes: " + to);
        }
        return new Rule(line, from, status, forced, to);
    }

    private static String capturesOf(String from) {
        List<String> names = new ArrayList<>();
        for (String segment : from.split("/")) {
            if (segment.startsWith(":")) {
                names.add(segment);
            }
        }
        if (from.endsWith("*")) {
            names.add(":splat");
        }
        return names.isEmpty() ? "nothing" : String.join(", ", names);
    }

    static boolean isAbsolute(String target) {
        String lower = target.toLowerCase(Locale.ROOT);
        return lower.startsWith("http://") || lower.startsWith("https://");
    }

    static MkrootException error(int line, String problem) {
        return new MkrootException(FILE_NAME + ":" + line + ": " + problem);
    }
}
