package dev.webroot.httpd.http2;

import static dev.webroot.httpd.http2.HpackDecoder.COMPRESSION_ERROR;
import static dev.webroot.httpd.http2.HpackDecoder.LIST_TOO_LARGE;
import static dev.webroot.httpd.http2.HpackDecoder.OK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.webroot.format.Hpack;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HpackDecoderTest {
    private static final String DATE_21 = "Mon, 21 Oct 2013 20:13:21 GMT";
    private static final String DATE_22 = "Mon, 21 Oct 2013 20:13:22 GMT";
    private static final String LOCATION = "https://www.example.com";
    private static final String COOKIE = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";

    /** RFC 7541 C.3 and C.4: three requests on one connection. */
    private static final List<List<Field>> REQUESTS = List.of(
            fields(":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com"),
            fields(":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com",
                    "cache-control", "no-cache"),
            fields(":method", "GET", ":scheme", "https", ":path", "/index.html", ":authority", "www.example.com",
                    "custom-key", "custom-value"));
    private static final List<List<Field>> REQUEST_TABLES = List.of(
            fields(":authority", "www.example.com"),
            fields("cache-control", "no-cache", ":authority", "www.example.com"),
            fields("custom-key", "custom-value", "cache-control", "no-cache", ":authority", "www.example.com"));
    private static final String[] C3 = {
        "828684410f7777772e6578616d706c652e636f6d",
        "828684be58086e6f2d6361636865",
        "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565",
    };
    private static final String[] C4 = {
        "828684418cf1e3c2e5f23a6ba0ab90f4ff",
        "828684be5886a8eb10649cbf",
        "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf",
    };

    /** RFC 7541 C.5 and C.6: three responses with a 256-byte table, so entries are evicted. */
    private static final List<List<Field>> RESPONSES = List.of(
            fields(":status", "302", "cache-control", "private", "date", DATE_21, "location", LOCATION),
            fields(":status", "307", "cache-control", "private", "date", DATE_21, "location", LOCATION),
            fields(":status", "200", "cache-control", "private", "date", DATE_22, "location", LOCATION,
                    "content-encoding", "gzip", "set-cookie", COOKIE));
    private static final List<List<Field>> RESPONSE_TABLES = List.of(
            fields("location", LOCATION, "date", DATE_21, "cache-control", "private", ":status", "302"),
            fields(":status", "307", "location", LOCATION, "date", DATE_21, "cache-control", "private"),
            fields("set-cookie", COOKIE, "content-encoding", "gzip", "date", DATE_22));
    private static final String[] C5 = {
        "4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120474d54"
                + "6e1768747470733a2f2f7777772e6578616d706c652e636f6d",
        "4803333037c1c0bf",
        "88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a69707738666f6f"
                + "3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d6167653d333630303b"
                + "2076657273696f6e3d31",
    };
    private static final String[] C6 = {
        "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b"
                + "97c8e9ae82ae43d3",
        "4883640effc1c0bf",
        "88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdf"
                + "cd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007",
    };

    /** RFC 7541 C.2: single blocks with a fresh table; after C.2.1 it holds the field. */
    private static final String[][] C2 = {
        {"400a637573746f6d2d6b65790d637573746f6d2d686561646572", "custom-key", "custom-header"},
        {"040c2f73616d706c652f70617468", ":path", "/sample/path"},
        {"100870617373776f726406736563726574", "password", "secret"},
        {"82", ":method", "GET"},
    };

    record Field(String name, String value) {}

    record Decoded(int result, List<Field> fields) {}

    @Test
    void decodesTheSingleFieldExamplesOfC2() {
        for (String[] example : C2) {
            HpackDecoder decoder = new HpackDecoder(4096, 16384);
            assertThat(decode(decoder, example[0])).as("C.2 block %s", example[0])
                    .isEqualTo(new Decoded(OK, fields(example[1], example[2])));
            boolean indexed = example[0].startsWith("40");
            assertTable(decoder, indexed ? fields(example[1], example[2]) : List.of());
        }
    }

    @Test
    void decodesTheRequestExamplesOfC3AndC4() {
        assertSequence(4096, C3, REQUESTS, REQUEST_TABLES, List.of(57, 110, 164));
        assertSequence(4096, C4, REQUESTS, REQUEST_TABLES, List.of(57, 110, 164));
    }

    @Test
    void decodesTheResponseExamplesOfC5AndC6WithEviction() {
        assertSequence(256, C5, RESPONSES, RESPONSE_TABLES, List.of(222, 222, 215));
        assertSequence(256, C6, RESPONSES, RESPONSE_TABLES, List.of(222, 222, 215));
    }

    @Test
    void everyTruncationOfTheExamplesIsAnErrorOrAShorterCorrectList() {
        List<Object[]> sequences = new ArrayList<>();
        for (String[] example : C2) {
            sequences.add(new Object[] {4096, new String[] {example[0]}, List.of(fields(example[1], example[2]))});
        }
        sequences.add(new Object[] {4096, C3, REQUESTS});
        sequences.add(new Object[] {4096, C4, REQUESTS});
        sequences.add(new Object[] {256, C5, RESPONSES});
        sequences.add(new Object[] {256, C6, RESPONSES});
        int shorterLists = 0;
        int errors = 0;
        for (Object[] sequence : sequences) {
            int tableSize = (Integer) sequence[0];
            String[] blocks = (String[]) sequence[1];
            @SuppressWarnings("unchecked")
            List<List<Field>> lists = (List<List<Field>>) sequence[2];
            for (int k = 0; k < blocks.length; k++) {
                byte[] block = hex(blocks[k]);
                for (int cut = 0; cut < block.length; cut++) {
                    HpackDecoder decoder = new HpackDecoder(tableSize, 16384);
                    for (int earlier = 0; earlier < k; earlier++) {
                        assertThat(decode(decoder, blocks[earlier]).result()).isEqualTo(OK);
                    }
                    Decoded decoded = decode(decoder, block, cut);
                    String what = "block " + blocks[k] + " cut at " + cut;
                    if (decoded.result() == OK) {
                        List<Field> expected = lists.get(k);
                        assertThat(decoded.fields()).as(what).isEqualTo(expected.subList(0, decoded.fields().size()));
                        assertThat(decoded.fields().size()).as(what).isLessThan(expected.size());
                        shorterLists++;
                    } else {
                        assertThat(decoded).as(what).isEqualTo(new Decoded(COMPRESSION_ERROR, List.of()));
                        errors++;
                    }
                    if (cut == 0) {
                        assertThat(decoded).as(what).isEqualTo(new Decoded(OK, List.of()));
                    }
                }
            }
        }
        assertThat(shorterLists).isGreaterThan(sequences.size());
        assertThat(errors).isGreaterThan(shorterLists);
    }

    @Test
    void indexZeroAndIndicesBeyondBothTablesAreErrors() {
        assertThat(decode(new HpackDecoder(4096, 16384), "80").result()).isEqualTo(COMPRESSION_ERROR);
        assertThat(decode(new HpackDecoder(4096, 16384), "bd")).isEqualTo(new Decoded(OK, fields("www-authenticate", "")));
        assertThat(decode(new HpackDecoder(4096, 16384), "be").result()).isEqualTo(COMPRESSION_ERROR);

        HpackDecoder oneEntry = new HpackDecoder(4096, 16384);
        assertThat(decode(oneEntry, C2[0][0]).result()).isEqualTo(OK);
        assertThat(decode(oneEntry, "be")).isEqualTo(new Decoded(OK, fields("custom-key", "custom-header")));
        // With two entries, 63 is the last index: as an indexed field, and as the name of each
        // kind of literal (6-bit and 4-bit prefixes).
        String[][] lastAndBeyond = {{"bf", "c0"}, {"7f0000", "7f0100"}, {"0f3000", "0f3100"}, {"1f3000", "1f3100"}};
        for (String[] pair : lastAndBeyond) {
            for (int i = 0; i < 2; i++) {
                HpackDecoder decoder = new HpackDecoder(4096, 16384);
                assertThat(decode(decoder, C2[0][0]).result()).isEqualTo(OK);
                assertThat(decode(decoder, "7e0161")).as("name from entry 62").isEqualTo(new Decoded(OK, fields("custom-key", "a")));
                Decoded decoded = decode(decoder, pair[i]);
                if (i == 0) {
                    assertThat(decoded).as(pair[i]).isEqualTo(new Decoded(OK,
                            fields("custom-key", pair[i].equals("bf") ? "custom-header" : "")));
                } else {
                    assertThat(decoded).as(pair[i]).isEqualTo(new Decoded(COMPRESSION_ERROR, List.of()));
                }
            }
        }
    }

    @Test
    void tableSizeUpdatesComeOnlyFirstAndNeverAboveTheAdvertisedSize() {
        HpackDecoder decoder = new HpackDecoder(4096, 16384);
        assertThat(decode(decoder, C2[0][0]).result()).isEqualTo(OK);
        // Two updates before the first field: down to 0 (which empties the table), back to 4096.
        assertThat(decode(decoder, "203fe11f82")).isEqualTo(new Decoded(OK, fields(":method", "GET")));
        assertThat(decoder.dynamicTableSize()).isZero();
        assertThat(decode(decoder, "3fe11f")).isEqualTo(new Decoded(OK, List.of()));
        assertThat(decode(new HpackDecoder(4096, 16384), "3fe21f").result()).as("4097").isEqualTo(COMPRESSION_ERROR);
        assertThat(decode(new HpackDecoder(4096, 16384), "8220").result()).as("after a field").isEqualTo(COMPRESSION_ERROR);
        assertThat(decode(new HpackDecoder(4096, 16384), "400161016120").result()).as("after a literal").isEqualTo(COMPRESSION_ERROR);
    }

    @Test
    void aSmallerTableSizeEvictsTheOldestEntries() {
        HpackDecoder decoder = new HpackDecoder(4096, 16384);
        for (String block : C3) {
            assertThat(decode(decoder, block).result()).isEqualTo(OK);
        }
        // 164 down to 110: only the oldest entry (:authority, 57) goes.
        byte[] update = new byte[4];
        int length = Hpack.putInteger(update, 0, 0x20, 5, 110);
        assertThat(decode(decoder, update, length).result()).isEqualTo(OK);
        assertTable(decoder, fields("custom-key", "custom-value", "cache-control", "no-cache"));
    }

    @Test
    void integersAreBoundedInValueAndLength() {
        // Five continuation bytes are allowed, even when they only pad.
        assertThat(decode(new HpackDecoder(4096, 16384), "3f8080808000")).isEqualTo(new Decoded(OK, List.of()));
        assertThat(decode(new HpackDecoder(4096, 16384), "3f808080808000").result()).isEqualTo(COMPRESSION_ERROR);
        // 2^32 + 2 wraps to 2 (:method GET) in 32-bit arithmetic.
        byte[] wrapping = new byte[8];
        int length = Hpack.putInteger(wrapping, 0, 0x80, 7, (1L << 32) + 2);
        assertThat(length).isEqualTo(6);
        assertThat(decode(new HpackDecoder(4096, 16384), wrapping, length).result()).isEqualTo(COMPRESSION_ERROR);
        length = Hpack.putInteger(wrapping, 0, 0x80, 7, 1L << 31);
        assertThat(decode(new HpackDecoder(4096, 16384), wrapping, length).result()).isEqualTo(COMPRESSION_ERROR);
        assertThat(decode(new HpackDecoder(4096, 16384), "ff").result()).as("no continuation").isEqualTo(COMPRESSION_ERROR);
        assertThat(decode(new HpackDecoder(4096, 16384), "3f80").result()).as("unfinished").isEqualTo(COMPRESSION_ERROR);
    }

    @Test
    void stringsMustEndWithinTheBlock() {
        assertThat(decode(new HpackDecoder(4096, 16384), "000361626300")).isEqualTo(new Decoded(OK, fields("abc", "")));
        assertThat(decode(new HpackDecoder(4096, 16384), "0003616263").result()).as("no value").isEqualTo(COMPRESSION_ERROR);
        assertThat(decode(new HpackDecoder(4096, 16384), "00036162").result()).as("short name").isEqualTo(COMPRESSION_ERROR);
        assertThat(decode(new HpackDecoder(4096, 16384), "0003616263027a").result()).as("short value").isEqualTo(COMPRESSION_ERROR);
        assertThat(decode(new HpackDecoder(4096, 16384), "44ff").result()).as("huge length").isEqualTo(COMPRESSION_ERROR);
    }

    @Test
    void huffmanStringsMustNotHoldEosNorBadPadding() {
        assertThat(huffmanValue("1f")).as("a, three bits of padding").isEqualTo(new Decoded(OK, fields("x", "a")));
        assertThat(huffmanValue("f8")).as("&, no padding").isEqualTo(new Decoded(OK, fields("x", "&")));
        assertThat(huffmanValue("18ee7f")).as("aa:, seven bits of padding").isEqualTo(new Decoded(OK, fields("x", "aa:")));
        assertThat(huffmanValue("")).as("empty").isEqualTo(new Decoded(OK, fields("x", "")));
        assertThat(huffmanValue("f8ff").result()).as("8 bits of padding").isEqualTo(COMPRESSION_ERROR);
        assertThat(huffmanValue("1fff").result()).as("11 bits of padding").isEqualTo(COMPRESSION_ERROR);
        assertThat(huffmanValue("1e").result()).as("padding 110").isEqualTo(COMPRESSION_ERROR);
        assertThat(huffmanValue("18").result()).as("padding 000").isEqualTo(COMPRESSION_ERROR);
        // EOS (30 ones), then a (00011) and five ones of valid padding.
        assertThat(huffmanValue("fffffffc7f").result()).as("EOS").isEqualTo(COMPRESSION_ERROR);
        assertThat(huffmanValue("ffffffff").result()).as("EOS as padding").isEqualTo(COMPRESSION_ERROR);
        assertThat(decode(new HpackDecoder(4096, 16384), "00811e0161").result()).as("in a name").isEqualTo(COMPRESSION_ERROR);
    }

    @Test
    void sizesThatCannotBeAllocatedUpFrontAreRefused() {
        assertThatThrownBy(() -> new HpackDecoder(-1, 16384)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxTableSize -1 is not within 0 to 16777216");
        assertThatThrownBy(() -> new HpackDecoder(4096, HpackDecoder.MAX_SIZE + 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxListSize 16777217 is not within 0 to 16777216");
        // The smallest decoder keeps no entries and reports nothing, but still decodes.
        HpackDecoder none = new HpackDecoder(0, 0);
        assertThat(decode(none, C3[0])).isEqualTo(new Decoded(LIST_TOO_LARGE, List.of()));
        assertThat(none.dynamicTableSize()).isZero();
        assertThat(decode(none, "be").result()).isEqualTo(COMPRESSION_ERROR);
    }

    @Test
    void afterAnErrorEveryBlockIsAnError() {
        HpackDecoder decoder = new HpackDecoder(4096, 16384);
        assertThat(decode(decoder, "82").result()).isEqualTo(OK);
        assertThat(decode(decoder, "80").result()).isEqualTo(COMPRESSION_ERROR);
        assertThat(decode(decoder, "82")).isEqualTo(new Decoded(COMPRESSION_ERROR, List.of()));
    }

    @Test
    void anEntryLargerThanTheTableEmptiesIt() {
        HpackDecoder decoder = new HpackDecoder(256, 16384);
        assertThat(decode(decoder, C5[0]).result()).isEqualTo(OK);
        byte[] block = literal(0x40, "x-large", "v".repeat(256 - 32 - 6));
        assertThat(decode(decoder, block, block.length).fields()).hasSize(1);
        assertTable(decoder, List.of());
        block = literal(0x40, "x-large", "v".repeat(256 - 32 - 7));
        assertThat(decode(decoder, block, block.length).fields()).hasSize(1);
        assertTable(decoder, fields("x-large", "v".repeat(256 - 32 - 7)));
    }

    @Test
    void aNameTakenFromAnEntryThatTheInsertionEvictsArrivesIntact() {
        // Each insertion names the previous entry, which it evicts: names copied within a
        // 100-byte ring, wrapping around its end. Reported fields are copied through the output,
        // unreported ones (the listener stopped after the first) within the ring itself.
        for (boolean reported : new boolean[] {true, false}) {
            HpackDecoder decoder = new HpackDecoder(100, 16384);
            String name = "abcdefghijklmnopqrstuvwxyz0123";
            ByteArrayOutputStream block = new ByteArrayOutputStream();
            block.write(0x82);
            block.writeBytes(literal(0x40, name, "0"));
            for (int i = 1; i <= 9; i++) {
                block.writeBytes(hex("7e01" + HexFormat.of().toHexDigits((byte) ('0' + i))));
            }
            byte[] bytes = block.toByteArray();
            List<Field> got = new ArrayList<>();
            int result = decoder.decode(bytes, 0, bytes.length, (buf, ns, ne, vs, ve) -> {
                got.add(new Field(string(buf, ns, ne), string(buf, vs, ve)));
                return reported;
            });
            assertThat(result).isEqualTo(OK);
            assertThat(got).hasSize(reported ? 11 : 1);
            if (reported) {
                assertThat(got.getLast()).isEqualTo(new Field(name, "9"));
            }
            assertTable(decoder, fields(name, "9"));
        }
    }

    @Test
    void aBombOfReferencesToABigEntryReportsOnlyUpToTheLimit() {
        HpackDecoder decoder = new HpackDecoder(4096, 16384);
        String big = "v".repeat(4000);
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        block.writeBytes(literal(0x40, "x-big", big));
        for (int i = 0; i < 100_000; i++) {
            block.write(0xbe);
        }
        // Past the limit the table still follows: this entry is added, the big one stays.
        block.writeBytes(literal(0x40, "x-after", "late"));
        byte[] bytes = block.toByteArray();
        Decoded decoded = decode(decoder, bytes, bytes.length);
        assertThat(decoded.result()).isEqualTo(LIST_TOO_LARGE);
        // 4037 bytes each as RFC 9113 counts them: four fit in 16384.
        assertThat(decoded.fields()).hasSize(4).containsOnly(new Field("x-big", big));
        assertThat(decoder.output()).hasSize(16384);
        assertTable(decoder, fields("x-after", "late", "x-big", big));
    }

    @Test
    void theFieldThatCrossesTheLimitStillEntersTheTable() {
        // The second field does not fit in what is left of the output, but does fit in the table.
        HpackDecoder decoder = new HpackDecoder(4096, 200);
        byte[] block = concat(literal(0x40, "a", "1".repeat(100)), hex("41" + huffman("2".repeat(100))),
                literal(0x00, "c", "3"));
        Decoded decoded = decode(decoder, block, block.length);
        assertThat(decoded).isEqualTo(new Decoded(LIST_TOO_LARGE, fields("a", "1".repeat(100))));
        assertTable(decoder, fields(":authority", "2".repeat(100), "a", "1".repeat(100)));
        // Exactly at the limit is not too large.
        HpackDecoder exact = new HpackDecoder(4096, 1 + 100 + 32);
        assertThat(decode(exact, block, literal(0x40, "a", "1".repeat(100)).length))
                .isEqualTo(new Decoded(OK, fields("a", "1".repeat(100))));
    }

    @Test
    void aListenerThatStopsEndsTheReportsButNotTheDecoding() {
        HpackDecoder decoder = new HpackDecoder(4096, 16384);
        assertThat(decode(decoder, C3[0]).result()).isEqualTo(OK);
        assertThat(decode(decoder, C3[1]).result()).isEqualTo(OK);
        byte[] block = hex(C3[2]);
        List<Field> got = new ArrayList<>();
        int result = decoder.decode(block, 0, block.length, (buf, ns, ne, vs, ve) -> {
            got.add(new Field(string(buf, ns, ne), string(buf, vs, ve)));
            return got.size() < 2;
        });
        assertThat(result).isEqualTo(OK);
        assertThat(got).isEqualTo(REQUESTS.get(2).subList(0, 2));
        assertTable(decoder, REQUEST_TABLES.get(2));
    }

    @Test
    void decodesWhatPythonsHpackEncoderEncodes(@TempDir Path dir) throws Exception {
        String script = """
                import random, sys
                import hpack.hpack as impl
                from hpack import Encoder, NeverIndexedHeaderTuple
                rnd = random.Random(int(sys.argv[1]))
                def token(n):
                    return bytes(rnd.choice(b'abcdefghijklmnopqrstuvwxyz0123456789-') for _ in range(n))
                def value():
                    r = rnd.random()
                    n = rnd.randint(0, 40) if r < 0.8 else rnd.randint(40, 400) if r < 0.97 else rnd.randint(1000, 5000)
                    if rnd.random() < 0.8:
                        return bytes(rnd.randint(0x20, 0x7e) for _ in range(n))
                    return bytes(rnd.randint(0, 255) for _ in range(n))
                names = [b':authority', b':method', b':path', b':scheme', b'accept', b'accept-encoding', b'cookie',
                         b'user-agent', b'referer', b'cache-control', b'if-none-match', b'www-authenticate']
                names += [b'x-' + token(rnd.randint(1, 20)) for _ in range(30)]
                values = [b'GET', b'/', b'/index.html', b'https', b'gzip, deflate', b''] + [value() for _ in range(40)]
                encoder = Encoder()
                for _ in range(int(sys.argv[2])):
                    if rnd.random() < 0.1:
                        for _ in range(rnd.randint(1, 2)):
                            size = rnd.choice([0, 32, 100, 256, 4096, rnd.randint(0, 4096)])
                            # Setting the current size again would make the encoder forget to send an earlier change.
                            if size != encoder.header_table_size:
                                encoder.header_table_size = size
                    fields = []
                    for _ in range(rnd.randint(0, 30)):
                        name = rnd.choice(names) if rnd.random() < 0.8 else token(rnd.randint(1, 60))
                        fields.append((name, rnd.choice(values) if rnd.random() < 0.6 else value()))
                    block = b''
                    for name, val in fields:
                        r = rnd.random()
                        # Sensitive fields are sent never indexed (0001) or, with the constant swapped, without indexing (0000).
                        impl.INDEX_NEVER = b'\\x10' if r < 0.5 else b'\\x00'
                        field = NeverIndexedHeaderTuple(name, val) if r < 0.1 or r > 0.9 else (name, val)
                        block += encoder.encode([field], huffman=rnd.random() < 0.7)
                    if not fields:
                        block = encoder.encode([])
                    print('B ' + block.hex())
                    for name, val in fields:
                        print('F ' + name.hex() + ':' + val.hex())
                print('END')
                """;
        List<String> lines = python(dir, script, "7541", "1000");
        assertThat(lines.getLast()).isEqualTo("END");
        int maxListSize = 8192;
        HpackDecoder decoder = new HpackDecoder(4096, maxListSize);
        int blocks = 0;
        int tooLarge = 0;
        for (int i = 0; i < lines.size() - 1; ) {
            byte[] block = hex(lines.get(i++).substring(2));
            List<Field> expected = new ArrayList<>();
            while (lines.get(i).startsWith("F ")) {
                String[] nameValue = lines.get(i++).substring(2).split(":", -1);
                expected.add(new Field(string(hex(nameValue[0])), string(hex(nameValue[1]))));
            }
            int fit = 0;
            long size = 0;
            for (Field f : expected) {
                size += f.name().length() + f.value().length() + 32;
                if (size <= maxListSize) {
                    fit++;
                }
            }
            Decoded decoded = decode(decoder, block, block.length);
            assertThat(decoded).as("block %d: %s", blocks, HexFormat.of().formatHex(block))
                    .isEqualTo(new Decoded(size > maxListSize ? LIST_TOO_LARGE : OK, expected.subList(0, fit)));
            blocks++;
            tooLarge += size > maxListSize ? 1 : 0;
        }
        assertThat(blocks).isEqualTo(1000);
        assertThat(tooLarge).isBetween(10, 1000);
    }

    @Test
    void randomBlocksNeverThrow() {
        Random random = new Random(7541);
        byte[][] valid = new byte[C3.length + C4.length + C5.length + C6.length][];
        int n = 0;
        for (String[] examples : new String[][] {C3, C4, C5, C6}) {
            for (String example : examples) {
                valid[n++] = hex(example);
            }
        }
        int[] results = new int[3];
        for (int i = 0; i < 20_000; i++) {
            byte[] block;
            if (random.nextBoolean()) {
                block = new byte[random.nextInt(64)];
                random.nextBytes(block);
            } else {
                block = valid[random.nextInt(valid.length)].clone();
                for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
                    block[random.nextInt(block.length)] ^= (byte) (1 << random.nextInt(8));
                }
            }
            HpackDecoder decoder = new HpackDecoder(random.nextBoolean() ? 256 : 4096, 1 + random.nextInt(512));
            for (int again = 0; again < 2; again++) {
                results[decoder.decode(block, 0, block.length, (buf, ns, ne, vs, ve) -> {
                    assertThat(ns <= ne && ne == vs && vs <= ve && ve <= buf.length).isTrue();
                    return true;
                })]++;
            }
        }
        assertThat(results[OK]).isGreaterThan(100);
        assertThat(results[LIST_TOO_LARGE]).isGreaterThan(100);
        assertThat(results[COMPRESSION_ERROR]).isGreaterThan(100);
    }

    @Test
    void steadyStateDecodingAllocatesNothing(@TempDir Path dir) throws Exception {
        // A browser's first two requests to a site, encoded as one connection would send them.
        String script = """
                from hpack import Encoder
                common = [(':method', 'GET'), (':authority', 'www.example.com'), (':scheme', 'https')]
                ua = [('sec-ch-ua', '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"'),
                      ('sec-ch-ua-mobile', '?0'), ('sec-ch-ua-platform', '"Linux"'),
                      ('user-agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) '
                                     'Chrome/124.0.0.0 Safari/537.36')]
                tail = [('accept-encoding', 'gzip, deflate, br, zstd'), ('accept-language', 'en-US,en;q=0.9'),
                        ('cookie', 'session=3f9a1c0e7b2d4a68; _ga=GA1.2.123456789.1700000000; theme=dark')]
                page = common + [(':path', '/blog/2024/some-post.html')] + ua + [
                    ('upgrade-insecure-requests', '1'),
                    ('accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8'),
                    ('sec-fetch-site', 'none'), ('sec-fetch-mode', 'navigate'), ('sec-fetch-user', '?1'),
                    ('sec-fetch-dest', 'document')] + tail + [('priority', 'u=0, i')]
                script = common + [(':path', '/assets/app.3f9a1c.js')] + ua + [
                    ('accept', '*/*'), ('sec-fetch-site', 'same-origin'), ('sec-fetch-mode', 'no-cors'),
                    ('sec-fetch-dest', 'script'), ('referer', 'https://www.example.com/blog/2024/some-post.html')
                    ] + tail + [('priority', 'u=1')]
                encoder = Encoder()
                print(encoder.encode(page).hex())
                print(encoder.encode(script).hex())
                """;
        List<String> lines = python(dir, script);
        byte[][] blocks = {hex(lines.get(0)), hex(lines.get(1))};
        HpackDecoder decoder = new HpackDecoder(4096, 16384);
        long[] bytesReported = new long[1];
        HpackDecoder.FieldListener listener = (buf, ns, ne, vs, ve) -> {
            bytesReported[0] += ne - ns + ve - vs;
            return true;
        };
        long perPair = 0;
        for (byte[] block : blocks) {
            Decoded decoded = decode(decoder, block, block.length);
            assertThat(decoded.result()).isEqualTo(OK);
            assertThat(decoded.fields()).hasSize(block == blocks[0] ? 18 : 17);
            for (Field f : decoded.fields()) {
                perPair += f.name().length() + f.value().length();
            }
        }
        for (int i = 0; i < 20_000; i++) {
            decoder.decode(blocks[i & 1], 0, blocks[i & 1].length, listener);
        }
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);
        long thread = Thread.currentThread().threadId();
        int decodes = 100_000;
        int failures = 0;
        bytesReported[0] = 0;
        long before = threads.getThreadAllocatedBytes(thread);
        for (int i = 0; i < decodes; i++) {
            failures += decoder.decode(blocks[i & 1], 0, blocks[i & 1].length, listener);
        }
        long allocated = threads.getThreadAllocatedBytes(thread) - before;
        assertThat(failures).isZero();
        assertThat(bytesReported[0]).isEqualTo(perPair * decodes / 2);
        assertThat(allocated).as("bytes allocated by %d decodes", decodes).isLessThan(64 * 1024);
    }

    private static void assertSequence(int tableSize, String[] blocks, List<List<Field>> lists,
            List<List<Field>> tables, List<Integer> sizes) {
        HpackDecoder decoder = new HpackDecoder(tableSize, 16384);
        for (int i = 0; i < blocks.length; i++) {
            assertThat(decode(decoder, blocks[i])).as("block %d", i).isEqualTo(new Decoded(OK, lists.get(i)));
            assertThat(decoder.dynamicTableSize()).as("table size after block %d", i).isEqualTo(sizes.get(i));
            assertTable(decoder, tables.get(i));
        }
    }

    /**
     * Checks that the dynamic table holds {@code entries}, newest first, and nothing else: each is
     * looked up by index (which changes nothing), and the table's size is theirs.
     */
    private static void assertTable(HpackDecoder decoder, List<Field> entries) {
        int size = 0;
        for (int i = 0; i < entries.size(); i++) {
            byte[] indexed = new byte[6];
            int length = Hpack.putInteger(indexed, 0, 0x80, 7, Hpack.STATIC_TABLE_SIZE + 1 + i);
            assertThat(decode(decoder, indexed, length)).as("dynamic entry %d", i + 1)
                    .isEqualTo(new Decoded(OK, List.of(entries.get(i))));
            size += entries.get(i).name().length() + entries.get(i).value().length() + 32;
        }
        assertThat(decoder.dynamicTableSize()).as("dynamic table size").isEqualTo(size);
    }

    /**
     * Decodes a field {@code x} whose value is the Huffman code {@code code}: reported, and
     * (checking that it is judged alike) only measured, once the listener has stopped.
     */
    private static Decoded huffmanValue(String code) {
        String field = "000178" + HexFormat.of().toHexDigits((byte) (0x80 | code.length() / 2)) + code;
        Decoded reported = decode(new HpackDecoder(4096, 16384), field);
        byte[] block = hex("82" + field);
        int measured = new HpackDecoder(4096, 16384).decode(block, 0, block.length, (buf, ns, ne, vs, ve) -> false);
        assertThat(measured).as("%s unreported", code).isEqualTo(reported.result());
        return reported;
    }

    private static Decoded decode(HpackDecoder decoder, String hex) {
        byte[] block = hex(hex);
        return decode(decoder, block, block.length);
    }

    /** Decodes {@code block[0, length)} from the middle of a larger array, to catch offsets taken as 0. */
    private static Decoded decode(HpackDecoder decoder, byte[] block, int length) {
        byte[] padded = new byte[length + 6];
        System.arraycopy(block, 0, padded, 3, length);
        padded[3 + length] = (byte) 0x82;
        List<Field> fields = new ArrayList<>();
        int result = decoder.decode(padded, 3, 3 + length, (buf, ns, ne, vs, ve) -> {
            assertThat(buf).isSameAs(decoder.output());
            assertThat(ne).isEqualTo(vs);
            fields.add(new Field(string(buf, ns, ne), string(buf, vs, ve)));
            return true;
        });
        return new Decoded(result, result == COMPRESSION_ERROR ? List.of() : fields);
    }

    /** A literal field with a literal name, both strings plain; {@code flags} 0x40 for incremental indexing. */
    private static byte[] literal(int flags, String name, String value) {
        byte[] n = name.getBytes(StandardCharsets.ISO_8859_1);
        byte[] v = value.getBytes(StandardCharsets.ISO_8859_1);
        byte[] out = new byte[Hpack.literalLength(0, n.length, v.length)];
        out[0] = (byte) flags;
        int at = Hpack.putString(out, 1, n, 0, n.length);
        at = Hpack.putString(out, at, v, 0, v.length);
        return Arrays.copyOf(out, at);
    }

    /** {@code text} as a Huffman-coded string literal (length and code), in hex. */
    private static String huffman(String text) {
        long bits = 0;
        int pending = 0;
        ByteArrayOutputStream code = new ByteArrayOutputStream();
        for (byte b : text.getBytes(StandardCharsets.ISO_8859_1)) {
            int symbol = b & 0xff;
            bits = bits << Huffman.LENGTHS[symbol] | Huffman.CODES[symbol];
            for (pending += Huffman.LENGTHS[symbol]; pending >= 8; pending -= 8) {
                code.write((int) (bits >>> (pending - 8)));
            }
        }
        if (pending > 0) {
            code.write((int) (bits << (8 - pending) | 0xff >>> pending));
        }
        byte[] length = new byte[6];
        int n = Hpack.putInteger(length, 0, 0x80, 7, code.size());
        return HexFormat.of().formatHex(length, 0, n) + HexFormat.of().formatHex(code.toByteArray());
    }

    private static List<String> python(Path dir, String script, String... args) throws IOException, InterruptedException {
        Path out = dir.resolve("python.out");
        List<String> command = new ArrayList<>(List.of("/usr/bin/python3", "-c", script));
        command.addAll(List.of(args));
        Process python = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!python.waitFor(60, TimeUnit.SECONDS)) {
            python.destroyForcibly();
            throw new AssertionError("python3 did not finish within 60 s");
        }
        List<String> lines = Files.readAllLines(out);
        assertThat(python.exitValue()).as("python3: %s", lines).isZero();
        return lines;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static List<Field> fields(String... namesAndValues) {
        List<Field> fields = new ArrayList<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            fields.add(new Field(namesAndValues[i], namesAndValues[i + 1]));
        }
        return List.copyOf(fields);
    }

    private static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    private static String string(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private static String string(byte[] buf, int from, int to) {
        return new String(buf, from, to - from, StandardCharsets.ISO_8859_1);
    }
}
