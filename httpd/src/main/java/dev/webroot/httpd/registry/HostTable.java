package dev.webroot.httpd.registry;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * An immutable host-name table: open addressing over the names' ASCII bytes, so a lookup from the
 * request's bytes hashes and compares in place without allocating. Rebuilt and republished whole
 * whenever a vhost changes.
 */
final class HostTable {
    static final String DEFAULT_NAME = "__default__";
    static final HostTable EMPTY = new HostTable(Map.of());

    private final byte[][] names;
    private final SiteGeneration[] sites;
    private final int mask;
    private final SiteGeneration defaultSite;
    private final Map<String, SiteGeneration> byName;

    HostTable(Map<String, SiteGeneration> byName) {
        this.byName = Map.copyOf(byName);
        int capacity = Integer.highestOneBit(Math.max(4, byName.size() * 2 - 1)) << 1;
        this.names = new byte[capacity][];
        this.sites = new SiteGeneration[capacity];
        this.mask = capacity - 1;
        for (Map.Entry<String, SiteGeneration> entry : byName.entrySet()) {
            byte[] name = entry.getKey().getBytes(StandardCharsets.UTF_8);
            int slot = hash(name, 0, name.length) & mask;
            while (names[slot] != null) {
                slot = (slot + 1) & mask;
            }
            names[slot] = name;
            sites[slot] = entry.getValue();
        }
        this.defaultSite = byName.get(DEFAULT_NAME);
    }

    /** The site for a host, else the default site, else null. */
    SiteGeneration find(byte[] host, int offset, int length) {
        int slot = hash(host, offset, length) & mask;
        for (byte[] name; (name = names[slot]) != null; slot = (slot + 1) & mask) {
            if (Arrays.equals(name, 0, name.length, host, offset, offset + length)) {
                return sites[slot];
            }
        }
        return defaultSite;
    }

    Map<String, SiteGeneration> byName() {
        return byName;
    }

    /** FNV-1a, then a finalizer so that the low bits used for the slot depend on every byte. */
    private static int hash(byte[] bytes, int offset, int length) {
        int h = 0x811c9dc5;
        for (int i = offset; i < offset + length; i++) {
            h = (h ^ (bytes[i] & 0xff)) * 0x01000193;
        }
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        return h;
    }
}
