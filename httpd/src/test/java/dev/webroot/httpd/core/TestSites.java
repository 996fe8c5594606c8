package dev.webroot.httpd.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.format.Content;
import dev.webroot.format.Digests;
import dev.webroot.format.Encoding;
import dev.webroot.format.Webroot;
import dev.webroot.format.WebrootWriter;
import dev.webroot.format.WebrootWriter.Representation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Real webroots built with {@link WebrootWriter}, served by a {@link Sites} that counts every
 * acquire and release so tests can prove that each generation hold is given back.
 */
final class TestSites implements Sites, AutoCloseable {
    static final String DATE = "Sun, 06 Nov 1994 08:49:37 GMT";
    /** Last-Modified of every file: exactly {@link #DATE}. */
    static final long MODIFIED = 784111777L;
    private static final byte[] DATE_BYTES = DATE.getBytes(StandardCharsets.US_ASCII);
    static final DateSource DATES = () -> DATE_BYTES;

    static final String INDEX = "<h1>hello</h1>\n";
    static final String INDEX_GZIP = "GZIP(<h1>hello</h1>)";
    static final String INDEX_BR = "BR(<h1>hello</h1>)";
    static final String INDEX_ZSTD = "ZSTD(<h1>hello</h1>)";
    static final String PLAIN = "hello world\n";
    static final String NOT_FOUND = "<h1>not found</h1>\n";
    static final String NOT_FOUND_GZIP = "GZIP(not found)";
    static final String DIR_INDEX = "<p>dir</p>\n";
    static final String CAFE = "caf\u00e9\n";
    static final int BIG_LENGTH = 100_000;

    final Webroot site;
    final Webroot bare;
    private final Map<String, Webroot> hosts = new HashMap<>();
    private final Webroot fallback;
    int acquired;
    int released;

    private TestSites(Webroot site, Webroot bare, boolean withDefault) {
        this.site = site;
        this.bare = bare;
        hosts.put("site.test", site);
        hosts.put("bare.test", bare);
        this.fallback = withDefault ? site : null;
    }

    /** site.test (files, variants, redirect, not-found page; also the default site) and bare.test (no 404 page, an empty file). */
    static TestSites create(Path dir) throws IOException {
        return create(dir, true);
    }

    static TestSites create(Path dir, boolean withDefault) throws IOException {
        WebrootWriter w = new WebrootWriter();
        w.addFile("/index.html", "text/html; charset=utf-8", MODIFIED, "no-cache", List.of(
                rep(Encoding.IDENTITY, INDEX), rep(Encoding.GZIP, INDEX_GZIP), rep(Encoding.BR, INDEX_BR),
                rep(Encoding.ZSTD, INDEX_ZSTD)));
        w.addFile("/", "text/html; charset=utf-8", MODIFIED, "no-cache", List.of(
                rep(Encoding.IDENTITY, INDEX), rep(Encoding.GZIP, INDEX_GZIP)));
        w.addFile("/plain.txt", "text/plain; charset=utf-8", MODIFIED, null, List.of(rep(Encoding.IDENTITY, PLAIN)));
        w.addFile("/gz.txt", "text/plain; charset=utf-8", MODIFIED, null, List.of(
                rep(Encoding.IDENTITY, PLAIN), rep(Encoding.GZIP, "GZIP(hello world)")));
        w.addFile("/big.bin", "application/octet-stream", MODIFIED, "public, max-age=31536000, immutable",
                List.of(new Representation(Encoding.IDENTITY, Content.ofBytes(big(), "big"))));
        w.addFile("/caf\u00e9.txt", "text/plain; charset=utf-8", MODIFIED, null, List.of(rep(Encoding.IDENTITY, CAFE)));
        w.addRedirect("/dir", "dir/");
        w.addFile("/dir/", "text/html; charset=utf-8", MODIFIED, null, List.of(rep(Encoding.IDENTITY, DIR_INDEX)));
        w.setNotFound("text/html; charset=utf-8", List.of(rep(Encoding.IDENTITY, NOT_FOUND),
                rep(Encoding.GZIP, NOT_FOUND_GZIP)));
        Path sitePath = dir.resolve("site.webroot");
        w.write(sitePath);

        WebrootWriter b = new WebrootWriter();
        b.addFile("/plain.txt", "text/plain; charset=utf-8", MODIFIED, null, List.of(rep(Encoding.IDENTITY, PLAIN)));
        // WebrootWriter gives an empty body the offset of the next blob and then drops that blob, so
        // the empty file is the last blob of its webroot (reported to the lead).
        b.addFile("/zero.txt", "text/plain; charset=utf-8", MODIFIED, null, List.of(rep(Encoding.IDENTITY, "")));
        Path barePath = dir.resolve("bare.webroot");
        b.write(barePath);
        return new TestSites(Webroot.open(sitePath), Webroot.open(barePath), withDefault);
    }

    static Representation rep(Encoding encoding, String content) {
        return new Representation(encoding, Content.ofBytes(content.getBytes(StandardCharsets.UTF_8), content));
    }

    static byte[] big() {
        byte[] b = new byte[BIG_LENGTH];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) ('a' + i % 26);
        }
        return b;
    }

    static String etag(String content) {
        return Digests.etag(Digests.sha256(content.getBytes(StandardCharsets.UTF_8)));
    }

    static String etag(byte[] content) {
        return Digests.etag(Digests.sha256(content));
    }

    @Override
    public Generation acquire(byte[] host, int offset, int length) {
        Webroot w = hosts.getOrDefault(new String(host, offset, length, StandardCharsets.US_ASCII), fallback);
        if (w == null) {
            return null;
        }
        acquired++;
        return new Generation() {
            private boolean done;

            @Override
            public Webroot webroot() {
                return w;
            }

            @Override
            public void release() {
                assertThat(done).as("released twice").isFalse();
                done = true;
                released++;
            }
        };
    }

    void assertBalanced() {
        assertThat(released).as("generations released").isEqualTo(acquired);
    }

    @Override
    public void close() throws IOException {
        site.close();
        bare.close();
    }
}
