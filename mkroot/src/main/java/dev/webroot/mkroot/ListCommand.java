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
            return new String[] {webroot.path(e), "redirect", "-", "-", "-",
                "-> " + webroot.location(e) + (status == 301 ? "" : " (" + status + ")")};
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
            notFound ? "(not found)" : webroot.path(e),
            notFound ? "404" : "file",
            webroot.contentType(e),
            Long.toString(webroot.length(identity)),
            variants.isEmpty() ? "-" : variants.toString(),
            notFound ? "-" : webroot.etag(identity)};
    }
}
