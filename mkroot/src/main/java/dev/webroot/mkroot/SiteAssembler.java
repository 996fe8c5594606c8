package dev.webroot.mkroot;

import dev.webroot.format.RulePatterns;
import dev.webroot.format.WebrootWriter;
import dev.webroot.format.WebrootWriter.Rule;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Applies the site conventions to the packed files: each file at its own URL path, {@code index.html}
 * also at its directory's path with a trailing slash, a redirect from the directory's path without the
 * slash, and the not-found page. With clean URLs, {@code name.html} is served at {@code name} and
 * {@code name.html} (and {@code dir/index.html}) redirect there with 308, as on Cloudflare Pages.
 * Then the site's rules: {@code _headers} fields merged into each path's header blocks, and
 * {@code _redirects} rules checked (targets packed, no redirect loop) and added in file order.
 */
final class SiteAssembler {
    private static final String INDEX = "index.html";
    private static final String HTML = ".html";
    private static final int CLEAN_URL_STATUS = 308;
    /** Longer redirect chains than this are refused, like the loops they usually are. */
    private static final int MAX_CHAIN = 20;

    private record Redirect(String location, int status, String destination) {}

    private final boolean nosniff;
    private final boolean cleanUrls;
    private final HeaderRules headers;
    private final List<Rule> rules;
    private final Map<String, PackedFile> filesByPath = new LinkedHashMap<>();
    private final Map<String, Redirect> redirects = new LinkedHashMap<>();
    /** With clean URLs, where a source file's own URL path is served now. */
    private final Map<String, String> servedAt = new HashMap<>();

    SiteAssembler(boolean nosniff) {
        this(nosniff, false, HeaderRules.NONE, List.of());
    }

    SiteAssembler(boolean nosniff, boolean cleanUrls, HeaderRules headers, List<Rule> rules) {
        this.nosniff = nosniff;
        this.cleanUrls = cleanUrls;
        this.headers = headers;
        this.rules = rules;
    }

    /**
     * Checks the redirect rules against the tree's paths alone (targets packed, no loop), so that a
     * mistake in them is reported before any file is read or compressed.
     */
    void checkRules(List<SourceFile> sources) {
        SiteAssembler layout = new SiteAssembler(nosniff, cleanUrls, headers, rules);
        layout.layOut(sources.stream().map(s -> new PackedFile(s, null, 0, null, List.of())).toList());
        layout.resolvedRules();
    }

    /** A writer holding the site; call once per assembler. */
    WebrootWriter assemble(List<PackedFile> files, SourceFile notFoundPage) {
        layOut(files);
        WebrootWriter writer = new WebrootWriter().nosniff(nosniff);
        for (Map.Entry<String, PackedFile> e : filesByPath.entrySet()) {
            PackedFile file = e.getValue();
            HeaderRules.Applied applied = headers.apply(e.getKey(), file.cacheControl(), file.contentType(), nosniff);
            writer.addFile(e.getKey(), applied.contentType(), file.lastModified(), applied.cacheControl(),
                    file.representations(), applied.fields());
        }
        for (Map.Entry<String, Redirect> e : redirects.entrySet()) {
            writer.addRedirect(e.getKey(), e.getValue().location(), e.getValue().status());
        }
        if (notFoundPage != null) {
            for (PackedFile file : files) {
                if (file.source().equals(notFoundPage)) {
                    HeaderRules.Applied applied = headers.apply(notFoundPage.urlPath(), null, file.contentType(), nosniff);
                    writer.setNotFound(applied.contentType(), file.representations(), applied.fields());
                }
            }
        }
        for (Rule rule : resolvedRules()) {
            writer.addRule(rule);
        }
        return writer;
    }

    private void layOut(List<PackedFile> files) {
        Set<String> sourcePaths = new HashSet<>();
        for (PackedFile file : files) {
            sourcePaths.add(file.source().urlPath());
        }
        for (PackedFile file : files) {
            place(file, sourcePaths);
        }
        redirects.keySet().removeAll(filesByPath.keySet());
    }

    /** The rules with their fixed targets resolved to packed paths, each checked for loops. */
    private List<Rule> resolvedRules() {
        List<Rule> resolved = new ArrayList<>();
        for (Rule rule : rules) {
            resolved.add(resolveTarget(rule));
        }
        for (Rule rule : resolved) {
            checkLoop(rule, resolved);
        }
        return resolved;
    }

    /** Puts a file at its URL paths, and the redirects that lead there. */
    private void place(PackedFile file, Set<String> sourcePaths) {
        SourceFile source = file.source();
        String url = source.urlPath();
        String name = source.name();
        if (name.equals(INDEX)) {
            String directory = url.substring(0, url.length() - INDEX.length());
            filesByPath.put(directory, file);
            if (!directory.equals("/")) {
                String withoutSlash = directory.substring(0, directory.length() - 1);
                String lastSegment = withoutSlash.substring(withoutSlash.lastIndexOf('/') + 1);
                redirects.putIfAbsent(withoutSlash, new Redirect(encodeSegment(lastSegment) + "/", 301, directory));
            }
            if (cleanUrls) {
                redirects.put(url, new Redirect("./", CLEAN_URL_STATUS, directory));
                servedAt.put(url, directory);
                return;
            }
        } else if (cleanUrls && name.endsWith(HTML) && name.length() > HTML.length()
                && !sourcePaths.contains(url.substring(0, url.length() - HTML.length()))) {
            String clean = url.substring(0, url.length() - HTML.length());
            filesByPath.put(clean, file);
            redirects.put(url, new Redirect(encodeSegment(name.substring(0, name.length() - HTML.length())),
                    CLEAN_URL_STATUS, clean));
            servedAt.put(url, clean);
            return;
        }
        filesByPath.put(url, file);
    }

    /** A 200, 404 or 410 rule's fixed target must be a packed file; with clean URLs, {@code /x.html} means {@code /x}. */
    private Rule resolveTarget(Rule rule) {
        boolean redirect = rule.status() >= 300 && rule.status() < 400;
        if (redirect || RulePatterns.hasPlaceholders(rule.pattern(), rule.target())) {
            return rule;
        }
        String target = servedAt.getOrDefault(rule.target(), rule.target());
        if (!filesByPath.containsKey(target)) {
            throw RedirectRules.error(rule.line(), (rule.status() == 200 ? "rewrite" : rule.status() + " page")
                    + " to a missing path " + rule.target() + " (no file is packed there)");
        }
        return new Rule(rule.line(), rule.pattern(), rule.status(), rule.forced(), target);
    }

    /**
     * Follows a redirect rule from a sample path it answers (each placeholder and the splat taken as
     * {@code x}) through the rules and redirects it leads to, and refuses a chain that comes back to
     * a path it passed or grows longer than {@value #MAX_CHAIN}.
     */
    private void checkLoop(Rule rule, List<Rule> all) {
        if (rule.status() < 300 || rule.status() >= 400 || RedirectRules.isAbsolute(rule.target())) {
            return;
        }
        String sample = rule.pattern().replaceAll("/:[A-Za-z0-9_]+", "/x").replaceAll("\\*$", "x");
        if (applying(sample, all) != rule) {
            return;
        }
        List<String> chain = new ArrayList<>(List.of(sample));
        String next = next(sample, all);
        while (next != null) {
            if (chain.contains(next)) {
                chain.add(next);
                throw RedirectRules.error(rule.line(), "redirect loop: " + String.join(" -> ", chain));
            }
            chain.add(next);
            if (chain.size() > MAX_CHAIN) {
                throw RedirectRules.error(rule.line(), "a chain of more than " + MAX_CHAIN + " redirects: "
                        + String.join(" -> ", chain.subList(0, 4)) + " -> ...");
            }
            next = next(next, all);
        }
    }

    /** The rule that answers {@code path} as the server decides it: forced rules first where a path is packed. */
    private Rule applying(String path, List<Rule> all) {
        boolean packed = filesByPath.containsKey(path) || redirects.containsKey(path);
        for (Rule r : all) {
            if ((!packed || r.forced()) && RulePatterns.matches(r.pattern(), path)) {
                return r;
            }
        }
        return null;
    }

    /** Where the server redirects a request for {@code path} on this site, or null when it answers it. */
    private String next(String path, List<Rule> all) {
        Rule r = applying(path, all);
        if (r != null) {
            if (r.status() < 300 || r.status() >= 400 || RedirectRules.isAbsolute(r.target())) {
                return null;
            }
            String target = RulePatterns.substitute(r.pattern(), r.target(), path);
            int query = target.indexOf('?');
            return percentDecode(query < 0 ? target : target.substring(0, query));
        }
        Redirect redirect = redirects.get(path);
        return redirect == null ? null : redirect.destination();
    }

    private static String percentDecode(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length() && Character.digit(s.charAt(i + 1), 16) >= 0
                    && Character.digit(s.charAt(i + 2), 16) >= 0) {
                out.write(Character.digit(s.charAt(i + 1), 16) << 4 | Character.digit(s.charAt(i + 2), 16));
                i += 2;
            } else {
                out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /**
     * Percent-encodes a path segment for use as a relative reference: every byte outside RFC 3986's
     * pchar, and also ':', which in a reference's first segment would read as a URI scheme.
     */
    static String encodeSegment(String segment) {
        StringBuilder out = new StringBuilder();
        for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (isUnreservedOrSubDelim(c) || c == '@') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }

    private static boolean isUnreservedOrSubDelim(int c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                || "-._~!$&'()*+,;=".indexOf(c) >= 0;
    }
}
