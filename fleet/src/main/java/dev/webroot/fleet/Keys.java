package dev.webroot.fleet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The etcd key layout (documented in the README's "Running a fleet"). A site's two keys sort
 * together under {@code /webroot/site/}, the one prefix agents watch:
 * <pre>
 * /webroot/site/SITE/desired   the version being staged: one version line (publisher's lease)
 * /webroot/site/SITE/live      the committed version, then earlier ones, one version line each
 * /webroot/node/NODE           the agent's admin URL (agent's lease: present while it lives)
 * /webroot/staged/SITE/NODE    "SHA" once staged, or "failed SHA: why" (agent's lease)
 * /webroot/serving/SITE/NODE   the SHA the node's vhost link points to (agent's lease)
 * </pre>
 * A version line is {@code SHA256 SIZE [SOURCE-URL...]}, space-separated.
 */
final class Keys {
    static final String SITES = "/webroot/site/";
    static final String NODES = "/webroot/node/";
    private static final Pattern SITE = Pattern.compile("[a-z0-9_][a-z0-9._-]{0,252}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    private Keys() {}

    static String desired(String site) {
        return SITES + site + "/desired";
    }

    static String live(String site) {
        return SITES + site + "/live";
    }

    static String node(String node) {
        return NODES + node;
    }

    static String staged(String site) {
        return "/webroot/staged/" + site + "/";
    }

    static String staged(String site, String node) {
        return staged(site) + node;
    }

    static String serving(String site) {
        return "/webroot/serving/" + site + "/";
    }

    static String serving(String site, String node) {
        return serving(site) + node;
    }

    /** Checks a site name: a vhost entry name httpd will serve (lowercase, no slash, no leading dot). */
    static String site(String name) {
        if (!SITE.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid site name '" + name
                    + "': use lowercase letters, digits, '.', '-' and '_', not starting with '.' or '-'");
        }
        return name;
    }

    /** Checks a node name: it becomes one key segment. */
    static String nodeName(String name) {
        if (name.isEmpty() || name.contains("/") || name.chars().anyMatch(c -> c <= ' ')) {
            throw new IllegalArgumentException("invalid node name '" + name + "': no '/', spaces or control characters");
        }
        return name;
    }

    /** One published version: its SHA-256 (the store's file name), size, and where to download it. */
    record Version(String sha256, long size, List<String> sources) {
        Version {
            if (!SHA256.matcher(sha256).matches()) {
                throw new IllegalArgumentException("not a SHA-256 in hex: " + sha256);
            }
            sources = List.copyOf(sources);
        }

        String line() {
            StringBuilder out = new StringBuilder(sha256).append(' ').append(size);
            sources.forEach(source -> out.append(' ').append(source));
            return out.toString();
        }

        static Version parse(String line) {
            String[] words = line.strip().split(" +");
            if (words.length < 2) {
                throw new IllegalArgumentException("malformed version line: " + line);
            }
            return new Version(words[0], Long.parseLong(words[1]), Arrays.asList(words).subList(2, words.length));
        }

        String shortSha() {
            return sha256.substring(0, 12);
        }
    }

    /** A live key's value: the current version first, then earlier ones. */
    static List<Version> history(String value) {
        List<Version> versions = new ArrayList<>();
        for (String line : value.split("\n")) {
            if (!line.isBlank()) {
                versions.add(Version.parse(line));
            }
        }
        return versions;
    }

    static String historyValue(List<Version> versions) {
        StringBuilder out = new StringBuilder();
        versions.forEach(v -> out.append(v.line()).append('\n'));
        return out.toString();
    }
}
