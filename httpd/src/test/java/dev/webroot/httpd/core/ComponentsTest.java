package dev.webroot.httpd.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The parser's helpers on their own: dates, q-values, targets, hosts, UTF-8 and ranges. */
class ComponentsTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "Sun, 06 Nov 1994 08:49:37 GMT|784111777",
        "Sunday, 06-Nov-94 08:49:37 GMT|784111777",
        "Sun Nov  6 08:49:37 1994|784111777",
        "Thu, 01 Jan 1970 00:00:00 GMT|0",
        "Tue, 29 Feb 2028 23:59:59 GMT|1835481599",
        "Sunday, 31-Dec-75 12:00:00 GMT|3345019200",
        "Wednesday, 31-Dec-77 12:00:00 GMT|252417600",
        "Sun, 06 Nov 1994 08:49:37 UTC|",
        "Sun, 6 Nov 1994 08:49:37 GMT|",
        "Xyz, 06 Nov 1994 08:49:37 GMT|",
        "Sun, 31 Nov 1994 08:49:37 GMT|",
        "Mon, 29 Feb 2100 00:00:00 GMT|",
        "Sun, 06 Nov 1994 24:00:00 GMT|",
        "'Sun, 06 Nov 1994 08:49:37 GMT '|",
        "Sun Nov 06 08:49:37 1994|784111777",
        "sun, 06 nov 1994 08:49:37 gmt|",
        "784111777|",
    })
    void parsesTheThreeHttpDateFormats(String date, Long expected) {
        byte[] bytes = b(date);
        long parsed = HttpDates.parse(bytes, 0, bytes.length, 2026);
        assertThat(parsed).isEqualTo(expected == null ? HttpDates.INVALID : expected);
    }

    @ParameterizedTest
    @CsvSource({"1,1000", "1.0,1000", "1.000,1000", "0,0", "0.5,500", "0.123,123", "0.,0", "1.001,-1", "2,-1",
        "0.1234,-1", "-1,-1", "1.5,-1", "a,-1", "'',-1"})
    void parsesQValues(String q, int expected) {
        byte[] bytes = b(q);
        assertThat(EncodingNegotiator.qvalue(bytes, 0, bytes.length)).isEqualTo(expected);
    }

    @Test
    void decodesTargetsLongerThanItsInitialBuffersAndStillShortOnes() {
        TargetDecoder decoder = new TargetDecoder();
        String longPath = "/" + "segment/".repeat(500) + "%41";
        byte[] bytes = b(longPath);
        assertThat(decoder.decode(bytes, 0, bytes.length)).isTrue();
        assertThat(new String(decoder.path(), 0, decoder.pathLength, StandardCharsets.ISO_8859_1))
                .isEqualTo("/" + "segment/".repeat(500) + "A");
        byte[] shortTarget = b("/a/../b");
        assertThat(decoder.decode(shortTarget, 0, shortTarget.length)).isTrue();
        assertThat(new String(decoder.path(), 0, decoder.pathLength, StandardCharsets.ISO_8859_1)).isEqualTo("/b");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/|/|",
        "/a/b/c|/a/b/c|",
        "/a/./b|/a/b|",
        "/a/b/..|/a/|",
        "/a/b/../..|/|",
        "/../../..|/|",
        "/a/.|/a/|",
        "/a//b|/a//b|",
        "/a/%2E%2e/b|/b|",
        "/.a/..a/...|/.a/..a/...|",
        "/%41%62?x=%zz|/Ab|?x=%zz",
        "/?|/|?",
        "http://h/x?y|/x|?y",
        "http://h|/|",
    })
    void decodesAndNormalizesTargets(String target, String path, String query) {
        TargetDecoder decoder = new TargetDecoder();
        byte[] bytes = b(target);
        assertThat(decoder.decode(bytes, 0, bytes.length)).isTrue();
        assertThat(new String(decoder.path(), 0, decoder.pathLength, StandardCharsets.ISO_8859_1)).isEqualTo(path);
        String actualQuery = decoder.queryStart < 0 ? null : target.substring(decoder.queryStart, decoder.queryEnd);
        assertThat(actualQuery).isEqualTo(query);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"example.com|example.com", "EXAMPLE.com.|example.com", "a.b:8080|a.b",
        "127.0.0.1:80|127.0.0.1", "[::1]|[::1]", "[FE80::1]:443|[fe80::1]", "xn--bcher-kva.example|xn--bcher-kva.example",
        "a:|a", "''|''"})
    void normalizesHosts(String host, String expected) {
        HostNormalizer normalizer = new HostNormalizer();
        byte[] bytes = b(host);
        assertThat(normalizer.normalize(bytes, 0, bytes.length)).isTrue();
        assertThat(new String(normalizer.host(), 0, normalizer.length(), StandardCharsets.ISO_8859_1)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({"a..b", ".", "a b", "a:65536", "a:-1", "[::1", "[]", "a%41", "a!b", ":1", "a.b:1:2"})
    void refusesInvalidHosts(String host) {
        byte[] bytes = b(host);
        assertThat(new HostNormalizer().normalize(bytes, 0, bytes.length)).isFalse();
    }

    @ParameterizedTest
    @CsvSource({"61,true", "c3a9,true", "e282ac,true", "f09f9880,true", "c0af,false", "c1bf,false", "e080af,false",
        "eda080,false", "f4908080,false", "f5,false", "c3,false", "80,false", "e282,false", "ff,false"})
    void validatesUtf8Strictly(String hex, boolean valid) {
        byte[] bytes = java.util.HexFormat.of().parseHex(hex);
        assertThat(Utf8.isValid(bytes, 0, bytes.length)).isEqualTo(valid);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "bytes=0-1|100|1|0-1",
        "bytes=-10|100|1|90-99",
        "bytes=90-|100|1|90-99",
        "bytes=0-0,99-99|100|1|0-0 99-99",
        "bytes=0-0,82-82|100|1|0-0 82-82",
        "bytes=0-0,81-81|100|1|0-81",
        "bytes=500-600,0-5,550-700|1000|1|500-700 0-5",
        "bytes=50-60,0-5|100|1|0-60",
        "bytes=200-300|100|2|",
        "bytes=0-1|0|0|",
        "bytes=1-0|100|0|",
        "bytes=--1|100|0|",
        "bytes=0-1,|100|1|0-1",
        "bytes = 0-1|100|0|",
        "Bytes=0-1|100|1|0-1",
        "bytes=0-1;x|100|0|",
    })
    void resolvesRanges(String header, long length, int outcome, String parts) {
        RangeSet ranges = new RangeSet(16);
        byte[] bytes = b(header);
        assertThat(ranges.parse(bytes, 0, bytes.length, length)).isEqualTo(outcome);
        StringBuilder actual = new StringBuilder();
        for (int i = 0; i < ranges.count(); i++) {
            actual.append(i == 0 ? "" : " ").append(ranges.first(i)).append('-').append(ranges.last(i));
        }
        assertThat(actual.toString()).isEqualTo(parts == null ? "" : parts);
    }
}
