package dev.webroot.mkroot;

import dev.webroot.format.EntryKind;
import dev.webroot.format.Webroot;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code mkroot ls FILE}: one line per entry, in the file's (sorted) order. */
@Command(name = "ls", mixinStandardHelpOptions = true,
        description = {"Lists every entry of a webroot file: path, kind (file, redirect, 404), content type, "
                + "identity size, sizes of the precompressed variants and the identity ETag; redirects show their Location. "
                + "Control characters and backslashes in paths are printed escaped (\\n, \\t, \\xNN, \\\\). "
                + "Then the site rules, in the order they apply: number, where they were written, pattern, target, status."})
final class ListCommand extends WebrootFileCommand {
    ListCommand(Io io) {
        super(io);
    }

    @Override
    int run(Webroot webroot) {
        List<String[]> rows = new ArrayList<>();
        for (int e = 0; e < webroot.entryCount(); e++) {
            rows.add(row(webroot, e));
        }
        int[] widths = new int[5];
        for (String[] row : rows) {
            for (int c = 0; c < widths.length; c++) {
                widths[c] = Math.max(widths[c], row[c].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < row.length; c++) {
                line.append(row[c]);
                if (c < widths.length && c < row.length - 1) {
                    line.append(" ".repeat(widths[c] - row[c].length() + 2));
                }
            }
            io.out().println(line.toString().stripTrailing());
        }
        printRules(webroot);
        io.out().flush();
        return Mkroot.EXIT_OK;
    }

    /** One line per rule: {@code rule N  _redirects:LINE  PATTERN  -> TARGET  STATUS[!]}, aligned. */
    private void printRules(Webroot webroot) {
        List<String[]> rows = new ArrayList<>();
        for (int r = 0; r < webroot.ruleCount(); r++) {
            rows.add(new String[] {
                "rule " + (r + 1),
                webroot.ruleLine(r) > 0 ? "_redirects:" + webroot.ruleLine(r) : "-",
                webroot.rulePattern(r),
                "-> " + webroot.ruleTarget(r),
                webroot.ruleStatus(r) + (webroot.ruleForced(r) ? "!" : "")});
        }
        int[] widths = new int[5];
        for (String[] row : rows) {
            for (int c = 0; c < widths.length; c++) {
                widths[c] = Math.max(widths[c], row[c].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < row.length; c++) {
                line.append(row[c]).append(" ".repeat(widths[c] - row[c].length() + 2));
            }
            io.out().println(line.toString().stripTrailing());
        }
    }

    /** Columns: path, kind, content type, identity size, variants, ETag (or the Location of a redirect). */
    private static String[] row(Webroot webroot, int e) {
        EntryKind kind = webroot.kind(e);
        if (kind == EntryKind.REDIRECT) {
            int status = webroot.redirectStatus(e);
            return new String[] {escaped(webroot.path(e)), "redirect", "-", "-", "-",
                "-> " + escaped(webroot.location(e)) + (status == 301 ? "" : " (" + status + ")")};
        }
        int identity = webroot.representation(e, 0);
        StringBuilder variants = new StringBuilder();
        for (int i = 1; i < webroot.representationCount(e); i++) {
            int r = webroot.representation(e, i);
            if (!variants.isEmpty()) {
                variants.append(' ');
            }
            variants.append(webroot.encoding(r).token()).append('=').append(webroot.length(r));
        }
        boolean notFound = kind == EntryKind.NOT_FOUND;
        return new String[] {
            notFound ? "(not found)" : escaped(webroot.path(e)),
            notFound ? "404" : "file",
            escaped(webroot.contentType(e)),
            Long.toString(webroot.length(identity)),
            variants.isEmpty() ? "-" : variants.toString(),
            notFound ? "-" : webroot.etag(identity)};
    }

    /**
     * A path as one line of terminal-safe text: C0 and C1 control characters and DEL become escapes
     * (a file name may hold a newline or an escape sequence), and backslash is doubled so the escapes are unambiguous.
     */
    static String escaped(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            String escape = switch (c) {
                case '\\' -> "\\\\";
                case '\n' -> "\\n";
                case '\r' -> "\\r";
                case '\t' -> "\\t";
                default -> c < 0x20 || c >= 0x7f && c < 0xa0 ? String.format("\\x%02x", (int) c) : null;
            };
            if (escape != null && out == null) {
                out = new StringBuilder(text.length() + 8).append(text, 0, i);
            }
            if (out != null) {
                if (escape != null) {
                    out.append(escape);
                } else {
                    out.append(c);
                }
            }
        }
        return out == null ? text : out.toString();
    }
}
