package dev.webroot.httpd.tls;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * An immutable snapshot of the loaded certificates, by name: exact subjectAltName DNS names, then
 * wildcards ({@code *.example.com} stands for one more label in front of {@code example.com}), then
 * the {@code __default__.pem} file. Also resolves the aliases of current versions and of versions
 * retired recently, for handshakes that chose one just before a reload.
 */
final class CertificateIndex {
    static final String DEFAULT_FILE = "__default__.pem";
    static final CertificateIndex EMPTY = new CertificateIndex(Map.of(), List.of());

    private final Map<String, LoadedCertificate> exact = new HashMap<>();
    /** Keyed by what follows {@code *.}. */
    private final Map<String, LoadedCertificate> wildcard = new HashMap<>();
    private final Map<String, LoadedCertificate> byAlias = new HashMap<>();
    private final List<String> conflicts = new ArrayList<>();
    private final List<LoadedCertificate> current;
    private final LoadedCertificate fallback;

    /**
     * @param loaded  the current version of each file, by file name, iterated in file-name order (so
     *                the lexicographically first file keeps a name two files claim)
     * @param retired replaced or removed versions that must still resolve by alias
     */
    CertificateIndex(Map<String, LoadedCertificate> loaded, Collection<LoadedCertificate> retired) {
        for (LoadedCertificate certificate : retired) {
            byAlias.put(certificate.alias(), certificate);
        }
        for (LoadedCertificate certificate : loaded.values()) {
            byAlias.put(certificate.alias(), certificate);
            if (certificate.fileName().equals(DEFAULT_FILE)) {
                continue; // Only the fallback: explicit files keep every name they claim.
            }
            for (String name : certificate.bundle().dnsNames()) {
                boolean isWildcard = name.startsWith("*.");
                Map<String, LoadedCertificate> names = isWildcard ? wildcard : exact;
                LoadedCertificate holder = names.putIfAbsent(isWildcard ? name.substring(2) : name, certificate);
                if (holder != null && holder != certificate) {
                    conflicts.add("certificate " + certificate.fileName() + ": name " + name
                            + " ignored, " + holder.fileName() + " has it");
                }
            }
        }
        current = List.copyOf(loaded.values());
        fallback = loaded.get(DEFAULT_FILE);
    }

    /** The certificate a handshake for this SNI host name gets (lowercase; null for no SNI), or null. */
    LoadedCertificate select(String serverName) {
        if (serverName != null) {
            LoadedCertificate certificate = exact.get(serverName);
            if (certificate != null) {
                return certificate;
            }
            int dot = serverName.indexOf('.');
            if (dot > 0) {
                certificate = wildcard.get(serverName.substring(dot + 1));
                if (certificate != null) {
                    return certificate;
                }
            }
        }
        return fallback;
    }

    LoadedCertificate byAlias(String alias) {
        return alias == null ? null : byAlias.get(alias);
    }

    /** The aliases of current versions whose key suits {@code keyType}, in file-name order. */
    List<String> aliases(String keyType) {
        List<String> aliases = new ArrayList<>();
        for (LoadedCertificate certificate : current) {
            if (keyType == null || certificate.bundle().hasKeyType(keyType)) {
                aliases.add(certificate.alias());
            }
        }
        return aliases;
    }

    /** The indexed names, sorted; wildcards as {@code *.example.com}. The default file's names are not indexed. */
    List<String> names() {
        TreeSet<String> names = new TreeSet<>(exact.keySet());
        for (String suffix : wildcard.keySet()) {
            names.add("*." + suffix);
        }
        return List.copyOf(names);
    }

    int fileCount() {
        return current.size();
    }

    /** One line per name that a later file claims too and that an earlier file keeps. */
    List<String> conflicts() {
        return conflicts;
    }
}
