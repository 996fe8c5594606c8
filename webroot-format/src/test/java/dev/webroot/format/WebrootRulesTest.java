package dev.webroot.format;

import static dev.webroot.format.WebrootFiles.identity;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rules, redirect statuses and site fields (since version 2), read back and validated; version 1 still read. */
class WebrootRulesTest {
    @TempDir
    Path dir;

    private Path site() throws IOException {
        WebrootWriter w = new WebrootWriter();
        w.addFile("/index.html", "text/html", 1_700_000_000L, "no-cache", List.of(identity("home")),
                new WebrootWriter.SiteFields(false, List.of(new WebrootWriter.Field("Expires", "never")),
                        List.of(new WebrootWriter.Field("X-Frame-Options", "DENY"))));
        w.addFile("/old.html", "text/html", 1_700_000_000L, null, List.of(identity("old")));
        w.addRedirect("/about.html", "about", 308);
        w.addFile("/about", "text/html", 1_700_000_000L, null, List.of(identity("about")));
        w.addRule(new WebrootWriter.Rule(3, "/blog/*", 302, false, "/posts/:splat"));
        w.addRule(new WebrootWriter.Rule(4, "/old.html", 301, true, "https://example.com/"));
        w.addRule(new WebrootWriter.Rule(5, "/*", 200, false, "/index.html"));
        w.addRule(new WebrootWriter.Rule(6, "/o*", 200, true, "/about"));
        Path file = dir.resolve("rules.webroot");
        w.write(file);
        return file;
    }

    @Test
    void rulesAndRedirectStatusesRoundTrip() throws IOException {
        try (Webroot w = Webroot.open(site())) {
            assertThat(w.version()).isEqualTo(3);
            assertThat(w.ruleCount()).isEqualTo(4);
            assertThat(w.rulePattern(0)).isEqualTo("/blog/*");
            assertThat(w.ruleTarget(0)).isEqualTo("/posts/:splat");
            assertThat(w.ruleStatus(0)).isEqualTo(302);
            assertThat(w.ruleTemplate(0)).isTrue();
            assertThat(w.ruleTargetEntry(0)).isEqualTo(-1);
            assertThat(w.rulePrefixLength(0)).isEqualTo("/blog/".length());
            assertThat(w.ruleLine(0)).isEqualTo(3);
            assertThat(w.ruleAbsolute(1)).isTrue();
            assertThat(w.ruleForced(1)).isTrue();
            assertThat(w.ruleTargetEntry(2)).isEqualTo(w.lookup("/index.html"));
            assertThat(w.forcedRule(w.lookup("/old.html"))).as("the first forced rule in file order").isEqualTo(1);
            assertThat(w.forcedRule(w.lookup("/index.html"))).isEqualTo(-1);
            assertThat(w.redirectStatus(w.lookup("/about.html"))).isEqualTo(308);
            assertThat(w.headerBlock(w.representation(w.lookup("/index.html"), 0)))
                    .contains("Cache-Control: no-cache\r\nExpires: never\r\nLast-Modified:")
                    .contains("Accept-Ranges: bytes\r\nX-Frame-Options: DENY\r\nContent-Type: text/html\r\n")
                    .doesNotContain("nosniff");
            assertThat(w.verifyRules()).isEmpty();
        }
    }

    @Test
    void writerRefusesWhatTheReaderWould() {
        WebrootWriter w = new WebrootWriter();
        assertThatThrownBy(() -> w.addRule(new WebrootWriter.Rule(1, "/a", 299, false, "/b"))).hasMessageContaining("299");
        assertThatThrownBy(() -> w.addRule(new WebrootWriter.Rule(1, "/a/:x", 301, false, "/b/:y"))).hasMessageContaining(":y");
        assertThatThrownBy(() -> w.addRule(new WebrootWriter.Rule(1, "/a", 200, false, "https://x.example/")))
                .hasMessageContaining("serves a packed file");
        assertThatThrownBy(() -> w.addFile("/x", "text/plain", 0, null, List.of(identity("x")),
                new WebrootWriter.SiteFields(true, List.of(), List.of(new WebrootWriter.Field("Content-Length", "1")))))
                .hasMessageContaining("sets itself");
        w.addFile("/x", "text/plain", 0, null, List.of(identity("x")));
        w.addRule(new WebrootWriter.Rule(1, "/a", 200, false, "/missing"));
        assertThatThrownBy(() -> w.write(dir.resolve("bad.webroot"))).hasMessageContaining("not a packed file");
        assertThat(dir.resolve("bad.webroot")).doesNotExist();
    }

    @Test
    void versionOneFilesAreReadAsSitesWithoutRules() throws IOException {
        Path v1 = dir.resolve("v1.webroot");
        try (InputStream in = getClass().getResourceAsStream("version-1.webroot")) {
            Files.write(v1, in.readAllBytes());
        }
        try (Webroot w = Webroot.open(v1)) {
            assertThat(w.version()).isEqualTo(1);
            assertThat(w.ruleCount()).isZero();
            int docs = w.lookup("/docs");
            assertThat(w.isRedirect(docs)).isTrue();
            assertThat(w.redirectStatus(docs)).isEqualTo(301);
            assertThat(w.forcedRule(w.lookup("/about.html"))).isEqualTo(-1);
            assertThat(w.verify()).isEmpty();
            assertThat(w.verifyRules()).isEmpty();
        }
    }

    private byte[] hostile(byte[] good, Consumer<ByteBuffer> edit) {
        byte[] copy = good.clone();
        ByteBuffer b = ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN);
        edit.accept(b);
        int indexEnd = (int) b.getLong(Layout.H_INDEX_END);
        b.putInt(Layout.H_CHECKSUM, 0);
        CRC32C crc = new CRC32C();
        crc.update(copy, 0, indexEnd);
        b.putInt(Layout.H_CHECKSUM, (int) crc.getValue());
        return copy;
    }

    private static long section(byte[] file, int id) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < b.getInt(Layout.H_SECTION_COUNT); i++) {
            int at = Layout.HEADER_SIZE + i * Layout.SECTION_ENTRY_SIZE;
            if (b.getInt(at) == id) {
                return b.getLong(at + Layout.S_OFFSET);
            }
        }
        throw new AssertionError("no section " + id);
    }

    @Test
    void hostileRuleFieldsAreRefusedOnOpen() throws IOException {
        byte[] good = Files.readAllBytes(site());
        int rules = (int) section(good, Layout.SECTION_RULES);
        int entries = (int) section(good, Layout.SECTION_ENTRIES);
        refused(hostile(good, b -> b.putShort(rules + Layout.RU_STATUS, (short) 299)), "status 299");
        refused(hostile(good, b -> b.putInt(rules + Layout.RU_PATTERN_LENGTH, 1 << 30)), "outside the string section");
        refused(hostile(good, b -> b.putInt(rules + Layout.RULE_SIZE * 2 + Layout.RU_TARGET_ENTRY, 0)), "target entry");
        refused(hostile(good, b -> b.put(rules + Layout.RU_FLAGS, (byte) 0x80)), "flags");
        refused(hostile(good, b -> b.putInt(entries + Layout.E_FORCED_RULE, 3)), "not forced");
        refused(hostile(good, b -> b.putInt(entries + Layout.E_FORCED_RULE, 99)), "rule 99");
        refused(hostile(good, b -> b.putShort(entries + Layout.E_REDIRECT_STATUS, (short) 302)), "redirect status 302");
    }

    private void refused(byte[] bytes, String part) throws IOException {
        Path p = dir.resolve("hostile.webroot");
        Files.write(p, bytes);
        assertThatThrownBy(() -> Webroot.open(p).close()).isInstanceOf(WebrootFormatException.class).hasMessageContaining(part);
    }
}
