package dev.webroot.mkroot;

import dev.webroot.format.RulePatterns;
import dev.webroot.format.WebrootWriter.Field;
import dev.webroot.format.WebrootWriter.SiteFields;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A site's {@code _headers} file, in the syntax of Netlify and Cloudflare Pages: a URL pattern on an
 * unindented line, then indented {@code Name: value} lines, or {@code ! Name} to detach a header an
 * earlier block set; {@code #} starts a comment line. Every block whose pattern matches a packed path
 * applies to it, in file order; a header set by several blocks gets their values joined with
 * {@code ", "} (Netlify's rule), except Content-Type, where the last one wins. The result is compiled
 * into each representation's header block at pack time.
 */
final class HeaderRules {
    static final String FILE_NAME = "_headers";
    /** Framing fields: what the server writes per response, so a site may never set them. */
    private static final Set<String> FRAMING = Set.of("content-length", "content-range", "transfer-encoding", "date",
            "connection", "keep-alive", "upgrade", "trailer", "te");
    /** Fields the server derives from the packed content. */
    private static final Set<String> DERIVED = Set.of("etag", "last-modified", "content-encoding", "accept-ranges",
            "vary", "location");
    /** Fields a 304 repeats (RFC 9110 §15.4.5) besides Cache-Control, which is passed on its own. */
    private static final Set<String> REVALIDATED = Set.of("expires", "content-location");
    private static final String CACHE_CONTROL = "cache-control";
    private static final String CONTENT_TYPE = "content-type";
    private static final String NOSNIFF = "x-content-type-options";

    private record Operation(String name, String value) {
        boolean detaches() {
            return value == null;
        }
    }

    private record Block(String pattern, List<Operation> operations) {}

    /**
     * What the rules give one path. {@code cacheControl} and {@code contentType} are the values to use
     * (the defaults passed in when no rule touched them); {@code fields} holds the rest.
     */
    record Applied(String cacheControl, String contentType, SiteFields fields) {}

    private final List<Block> blocks;

    private HeaderRules(List<Block> blocks) {
        this.blocks = blocks;
    }

    static final HeaderRules NONE = new HeaderRules(List.of());

    /** Parses the file's text; the first problem stops the pack as {@code _headers:LINE: problem}. */
    static HeaderRules parse(String text) {
        List<Block> blocks = new ArrayList<>();
        List<Operation> current = null;
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int line = i + 1;
            String raw = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            String trimmed = raw.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            boolean indented = raw.charAt(0) == ' ' || raw.charAt(0) == '\t';
            if (!indented) {
                if (trimmed.startsWith("http://") || trimmed.startsWith("https://")) {
                    throw error(line, "patterns with a host are not supported; write the path: " + trimmed);
                }
                String problem = RulePatterns.problem(trimmed);
                if (problem != null) {
                    throw error(line, problem);
                }
                current = new ArrayList<>();
                blocks.add(new Block(trimmed, current));
                continue;
            }
            if (current == null) {
                throw error(line, "a header line before any URL pattern (patterns start at the beginning of a line)");
            }
            current.add(operation(line, trimmed));
        }
        return new HeaderRules(blocks);
    }

    private static Operation operation(int line, String text) {
        if (text.startsWith("!")) {
            String name = text.substring(1).strip();
            checkName(line, name);
            if (name.toLowerCase(Locale.ROOT).equals(CONTENT_TYPE)) {
                throw error(line, "Content-Type cannot be detached: every file has one");
            }
            return new Operation(name, null);
        }
        int colon = text.indexOf(':');
        if (colon < 0) {
            throw error(line, "expected 'Name: value' or '! Name', not: " + text);
        }
        String name = text.substring(0, colon).strip();
        String value = text.substring(colon + 1).strip();
        checkName(line, name);
        if (value.isEmpty()) {
            throw error(line, name + " has no value");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 && c != '\t' || c >= 0x7f) {
                throw error(line, "the value of " + name + " has a character that is not visible ASCII");
            }
        }
        if (name.toLowerCase(Locale.ROOT).equals(NOSNIFF) && !value.equalsIgnoreCase("nosniff")) {
            throw error(line, "X-Content-Type-Options has the single value nosniff, not " + value);
        }
        return new Operation(name, value);
    }

    private static void checkName(int line, String name) {
        if (name.isEmpty() || !name.chars().allMatch(c -> c < 0x80 && (Character.isLetterOrDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0))) {
            throw error(line, "'" + name + "' is not a header field name");
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (FRAMING.contains(lower)) {
            throw error(line, name + " frames each response and is set by the server; it cannot be set from _headers");
        }
        if (DERIVED.contains(lower)) {
            throw error(line, name + " is set by the server from the packed content; it cannot be set from _headers");
        }
    }

    private static MkrootException error(int line, String problem) {
        return new MkrootException(FILE_NAME + ":" + line + ": " + problem);
    }

    /**
     * Applies every block that matches {@code path}, in file order, over the server's defaults
     * ({@code cacheControl} may be null for none).
     */
    Applied apply(String path, String cacheControl, String contentType, boolean nosniff) {
        Map<String, Field> fields = new LinkedHashMap<>();
        String cache = cacheControl;
        boolean cacheFromRules = false;
        String type = contentType;
        boolean sniff = nosniff;
        for (Block block : blocks) {
            if (!RulePatterns.matches(block.pattern(), path)) {
                continue;
            }
            for (Operation op : block.operations()) {
                String lower = op.name().toLowerCase(Locale.ROOT);
                switch (lower) {
                    case CACHE_CONTROL -> {
                        cache = op.detaches() ? null : cacheFromRules && cache != null ? cache + ", " + op.value() : op.value();
                        cacheFromRules = !op.detaches();
                    }
                    case CONTENT_TYPE -> type = op.value();
                    case NOSNIFF -> sniff = !op.detaches();
                    default -> {
                        if (op.detaches()) {
                            fields.remove(lower);
                        } else {
                            fields.merge(lower, new Field(op.name(), op.value()),
                                    (earlier, later) -> new Field(earlier.name(), earlier.value() + ", " + later.value()));
                        }
                    }
                }
            }
        }
        List<Field> revalidated = new ArrayList<>();
        List<Field> other = new ArrayList<>();
        for (Map.Entry<String, Field> f : fields.entrySet()) {
            (REVALIDATED.contains(f.getKey()) ? revalidated : other).add(f.getValue());
        }
        return new Applied(cache, type, new SiteFields(sniff, revalidated, other));
    }

    boolean isEmpty() {
        return blocks.isEmpty();
    }
}
