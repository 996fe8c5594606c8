package dev.webroot.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.webroot.format.HpackLiterals.Field;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The HTTP/1 header block to HPACK conversion: exact bytes, cut points, ETag end, dropped fields, refusals. */
class HpackFragmentTest {
    private static final String ETAG = "\"q3XmL0-8uTz1aBcDeFgHiJ\"";
    private static final String FIRST_GROUP = "ETag: " + ETAG + "\r\nCache-Control: no-cache\r\nVary: Accept-Encoding\r\n"
            + "Expires: Thu, 01 Jan 2026 00:00:00 GMT\r\n";
    private static final String SECOND_GROUP = "Last-Modified: Tue, 14 Nov 2023 22:13:20 GMT\r\nContent-Encoding: gzip\r\n"
            + "Accept-Ranges: bytes\r\nX-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\n";
    private static final String CONTENT_TYPE = "Content-Type: text/html; charset=utf-8\r\n";
    private static final String CONTENT_LENGTH = "Content-Length: 1234\r\n";
    /** A file's gzip block as the writer makes it, with site fields in both groups. */
    private static final String TYPICAL = FIRST_GROUP + SECOND_GROUP + CONTENT_TYPE + CONTENT_LENGTH;

    private static HpackFragment typical() {
        return of(TYPICAL, FIRST_GROUP.length(), FIRST_GROUP.length() + SECOND_GROUP.length(),
                FIRST_GROUP.length() + SECOND_GROUP.length() + CONTENT_TYPE.length());
    }

    private static HpackFragment of(String block, int notModifiedEnd, int commonEnd, int contentTypeEnd) {
        return HpackFragment.of(block.getBytes(StandardCharsets.ISO_8859_1), notModifiedEnd, commonEnd, contentTypeEnd);
    }

    /** Expected bytes, written out field by field: a static name index (4-bit prefix) or a literal name, then the value. */
    private static final class Expected {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Expected indexed(int... prefix) {
            for (int b : prefix) {
                out.write(b);
            }
            return this;
        }

        Expected string(String s) {
            out.write(s.length());
            out.writeBytes(s.getBytes(StandardCharsets.ISO_8859_1));
            return this;
        }

        Expected literal(String name, String value) {
            out.write(0x00);
            return string(name).string(value);
        }

        int length() {
            return out.size();
        }
    }

    @Test
    void aTypicalBlockBecomesStaticNameReferencesAndLiteralNamesWithPlainValues() {
        Expected e = new Expected();
        e.indexed(0x0f, 34 - 15).string(ETAG);
        int etagEnd = e.length();
        e.indexed(0x0f, 24 - 15).string("no-cache");
        e.indexed(0x0f, 59 - 15).string("Accept-Encoding");
        e.indexed(0x0f, 36 - 15).string("Thu, 01 Jan 2026 00:00:00 GMT");
        int notModifiedEnd = e.length();
        e.indexed(0x0f, 44 - 15).string("Tue, 14 Nov 2023 22:13:20 GMT");
        e.indexed(0x0f, 26 - 15).string("gzip");
        e.indexed(0x0f, 18 - 15).string("bytes");
        e.literal("x-content-type-options", "nosniff");
        e.literal("x-frame-options", "DENY");
        int commonEnd = e.length();
        e.indexed(0x0f, 31 - 15).string("text/html; charset=utf-8");
        int contentTypeEnd = e.length();
        e.indexed(0x0f, 28 - 15).string("1234");

        HpackFragment fragment = typical();
        assertThat(HexFormat.of().formatHex(fragment.bytes())).isEqualTo(HexFormat.of().formatHex(e.out.toByteArray()));
        assertThat(fragment.etagEnd()).isEqualTo(etagEnd);
        assertThat(fragment.notModifiedEnd()).isEqualTo(notModifiedEnd);
        assertThat(fragment.commonEnd()).isEqualTo(commonEnd);
        assertThat(fragment.contentTypeEnd()).isEqualTo(contentTypeEnd);
        assertThat(typical().bytes()).as("deterministic").isEqualTo(fragment.bytes());
    }

    @Test
    void anIndependentDecoderReadsTheBlocksFieldsWithoutTouchingItsDynamicTable() throws Exception {
        String script = String.join("\n",
                "import sys, hpack",
                "d = hpack.Decoder()",
                "fields = d.decode(bytes.fromhex(sys.argv[1]), raw=True)",
                "for h in fields:",
                "    print(h[0].decode('latin-1') + '\\t' + h[1].decode('latin-1'))",
                "print('dynamic entries %d, never indexed %d' % (len(d.header_table.dynamic_entries),"
                        + " sum(isinstance(h, hpack.NeverIndexedHeaderTuple) for h in fields)))");
        Process python = new ProcessBuilder("/usr/bin/python3", "-c", script, HexFormat.of().formatHex(typical().bytes()))
                .redirectErrorStream(true).start();
        assertThat(python.waitFor(30, TimeUnit.SECONDS)).as("python exits").isTrue();
        String output = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(python.exitValue()).as(output).isZero();
        List<String> expected = new ArrayList<>();
        for (Field f : HpackLiterals.ofLines(TYPICAL)) {
            expected.add(f.name() + "\t" + f.value());
        }
        expected.add("dynamic entries 0, never indexed 0");
        assertThat(output.lines().toList()).isEqualTo(expected);
    }

    @Test
    void eachCutPointIsTheFragmentLengthAtTheSameLineBoundary() {
        HpackFragment f = typical();
        byte[] b = f.bytes();
        int nm = FIRST_GROUP.length();
        int common = nm + SECOND_GROUP.length();
        int ct = common + CONTENT_TYPE.length();
        assertThat(HpackLiterals.decode(b, 0, f.notModifiedEnd())).isEqualTo(HpackLiterals.ofLines(TYPICAL.substring(0, nm)));
        assertThat(HpackLiterals.decode(b, 0, f.commonEnd())).isEqualTo(HpackLiterals.ofLines(TYPICAL.substring(0, common)));
        assertThat(HpackLiterals.decode(b, 0, f.contentTypeEnd())).isEqualTo(HpackLiterals.ofLines(TYPICAL.substring(0, ct)));
        assertThat(HpackLiterals.decode(b, f.contentTypeEnd(), b.length)).containsExactly(new Field("content-length", "1234"));
        assertThat(HpackLiterals.decode(b, 0, f.etagEnd())).containsExactly(new Field("etag", ETAG));
        assertThat(HpackLiterals.decode(b, f.etagEnd(), b.length))
                .isEqualTo(HpackLiterals.ofLines(TYPICAL.substring(("ETag: " + ETAG + "\r\n").length())));
    }

    @Test
    void aBlockWithoutAnEtagFirstHasEtagEndZero() {
        String notFound = "Cache-Control: no-cache\r\nContent-Type: text/html\r\nContent-Length: 17\r\n";
        HpackFragment f = of(notFound, 25, 25, 50);
        assertThat(f.etagEnd()).isZero();
        assertThat(f.notModifiedEnd()).isEqualTo(f.commonEnd()).isEqualTo(2 + 1 + "no-cache".length());
        String etagSecond = "Cache-Control: no-cache\r\nETag: \"x\"\r\nContent-Length: 0\r\n";
        assertThat(of(etagSecond, 36, 36, 36).etagEnd()).as("only an ETag on the first line counts").isZero();
        assertThatThrownBy(() -> of("ETag: \"x\"\r\nContent-Length: 0\r\n", 0, 11, 11))
                .hasMessageContaining("ETag line lies after the not-modified cut point");
    }

    @Test
    void connectionSpecificFieldsAreDroppedAndCutPointsStayAtTheirLines() {
        String first = "ETag: \"e\"\r\nConnection: close\r\n";
        String second = "KEEP-ALIVE: timeout=5\r\nProxy-Connection: keep-alive\r\nX-Kept: yes\r\nTransfer-Encoding: chunked\r\n";
        String third = "Upgrade: h2c\r\n";
        String block = first + second + third + "Content-Length: 3\r\n";
        HpackFragment f = of(block, first.length(), first.length() + second.length(), first.length() + second.length() + third.length());
        byte[] b = f.bytes();
        assertThat(HpackLiterals.decode(b, 0, b.length))
                .containsExactly(new Field("etag", "\"e\""), new Field("x-kept", "yes"), new Field("content-length", "3"));
        assertThat(HpackLiterals.decode(b, 0, f.notModifiedEnd())).containsExactly(new Field("etag", "\"e\""));
        assertThat(f.etagEnd()).isEqualTo(f.notModifiedEnd());
        assertThat(HpackLiterals.decode(b, f.notModifiedEnd(), f.commonEnd())).containsExactly(new Field("x-kept", "yes"));
        assertThat(f.contentTypeEnd()).as("the upgrade line adds nothing").isEqualTo(f.commonEnd());
    }

    @Test
    void namesAreLowerCasedValuesTrimmedAndLongLengthsUseMoreIntegerBytes() {
        String longName = "X-" + "a".repeat(128);
        String longValue = "v".repeat(300);
        String block = "X-Mixed-CASE:   spaced out \t\r\n" + longName + ": " + longValue + "\r\nCONTENT-LENGTH: 0\r\n";
        HpackFragment f = of(block, 0, 0, block.length() - "CONTENT-LENGTH: 0\r\n".length());
        byte[] b = f.bytes();
        assertThat(HpackLiterals.decode(b, 0, b.length)).containsExactly(new Field("x-mixed-case", "spaced out"),
                new Field(longName.toLowerCase(java.util.Locale.ROOT), longValue), new Field("content-length", "0"));
        int longField = 1 + 1 + "x-mixed-case".length() + 1 + "spaced out".length();
        // 130 = 127 + 3; 300 = 127 + 173 = 127 + 0x2d + (1 << 7).
        assertThat(b[longField]).isEqualTo((byte) 0x00);
        assertThat(new byte[] {b[longField + 1], b[longField + 2]}).containsExactly(0x7f, 0x03);
        int value = longField + 3 + 130;
        assertThat(new byte[] {b[value], b[value + 1], b[value + 2]}).containsExactly(0x7f, 0xad, 0x01);
    }

    @Test
    void noFragmentIsLongerThanTheBoundItsBlockLengthGives() {
        int[] edges = {1, 2, 125, 126, 127, 128, 129, 253, 254, 255, 256, 16_509, 16_510, 16_511, 16_512};
        java.util.Random random = new java.util.Random(5);
        for (int round = 0; round < 300; round++) {
            StringBuilder block = new StringBuilder();
            for (int line = random.nextInt(4); line >= 0; line--) {
                int name = random.nextBoolean() ? edges[random.nextInt(edges.length)] : 1 + random.nextInt(300);
                int value = random.nextBoolean() ? edges[random.nextInt(edges.length)] - 1 : random.nextInt(300);
                block.append("x".repeat(name)).append(random.nextBoolean() ? ":" : ": ").append("v".repeat(value)).append("\r\n");
            }
            HpackFragment f = of(block.toString(), 0, 0, 0);
            assertThat(f.length()).as("block of %d bytes", block.length()).isLessThanOrEqualTo(HpackFragment.maxLength(block.length()));
        }
        String tightest = "x".repeat(127) + ":\r\n";
        assertThat(of(tightest, 0, 0, 0).length()).as("one byte longer than its line").isEqualTo(tightest.length() + 1);
    }

    @Test
    void whatIsNotWholeFieldLinesIsRefusedNamingTheLine() {
        assertThatThrownBy(() -> of("ETag: \"e\"\r\nno colon here\r\n", 11, 11, 11))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("line 2 is not a field (Name: value)");
        assertThatThrownBy(() -> of(": empty name\r\n", 0, 0, 0)).hasMessage("line 1 is not a field (Name: value)");
        assertThatThrownBy(() -> of("Bad Name: x\r\n", 0, 0, 0)).hasMessage("line 1 has a field name that is not a token");
        assertThatThrownBy(() -> of("A: b\r\nC: d", 0, 0, 0)).hasMessage("line 2 does not end with CRLF");
        assertThatThrownBy(() -> of("A: b\nC: d\r\n", 0, 0, 0)).hasMessage("line 1 contains a control character");
        assertThatThrownBy(() -> of("A: b\r\nC: d\r\n", 3, 3, 3)).hasMessage("a cut point is not at a line boundary");
        assertThatThrownBy(() -> of("A: b\r\n", 6, 0, 6)).hasMessageContaining("out of order");
        assertThatThrownBy(() -> of("A: b\r\n", 0, 0, 7)).hasMessageContaining("beyond the block's 6 bytes");
    }

    /** What the converter makes of a block: null when it accepts it, else its message. */
    private static String conversionProblem(byte[] block, int notModifiedEnd, int commonEnd, int contentTypeEnd) {
        try {
            HpackFragment.of(block, notModifiedEnd, commonEnd, contentTypeEnd);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    @Test
    void theLineCheckAcceptsAndRefusesExactlyWhatTheConverterDoesWithItsMessage() {
        String[] blocks = {TYPICAL, "ETag: \"e\"\r\nno colon here\r\n", ": empty name\r\n", "Bad Name: x\r\n", "A: b\r\nC: d",
            "A: b\nC: d\r\n", "A: b\r\nC: d\r\n", "ETag: \"x\"\r\nContent-Length: 0\r\n", "etag:\t\"x\"\t\r\nX-\u00e9: caf\u00e9\r\n",
            "A: b\r", "A: b\r\r\n", "A: \u007f\r\n", "A\r\n", "\r\n", "A:\r\n", "Cache-Control: no-cache\r\nETag: \"x\"\r\n", ""};
        int checked = 0;
        for (String text : blocks) {
            byte[] block = text.getBytes(StandardCharsets.ISO_8859_1);
            // Every cut triple over the line starts, the end, and one position inside a line.
            java.util.List<Integer> cuts = new java.util.ArrayList<>(java.util.List.of(0, block.length, Math.min(3, block.length)));
            for (int i = 0; i + 1 < block.length; i++) {
                if (block[i] == '\r' && block[i + 1] == '\n') {
                    cuts.add(i + 2);
                }
            }
            for (int a : cuts) {
                for (int b : cuts) {
                    for (int c : cuts) {
                        String expected = conversionProblem(block, a, b, c);
                        byte[] padded = new byte[block.length + 5];
                        System.arraycopy(block, 0, padded, 2, block.length);
                        String actual;
                        try {
                            HpackFragment.checkLines(padded, 2, block.length, a, b, c);
                            actual = null;
                        } catch (IllegalArgumentException e) {
                            actual = e.getMessage();
                        }
                        assertThat(actual).as("%s with cuts %d, %d, %d", text, a, b, c).isEqualTo(expected);
                        checked += expected == null ? 1 : 0;
                    }
                }
            }
        }
        assertThat(checked).as("accepted cases among them").isGreaterThan(10);
    }
}
