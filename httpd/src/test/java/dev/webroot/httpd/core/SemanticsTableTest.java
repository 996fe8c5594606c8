package dev.webroot.httpd.core;

import static dev.webroot.httpd.core.TestSites.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Method × conditionals × Range × Accept-Encoding × existence, each compared with the exact response
 * bytes. Expected header blocks are spelled out here independently of the webroot writer's code.
 */
class SemanticsTableTest {
    static final String D = "Date: " + DATE + "\r\n";
    static final String LM = "Last-Modified: " + DATE + "\r\n";
    static final String HTML = "text/html; charset=utf-8";
    static final String TEXT = "text/plain; charset=utf-8";
    static final String EARLIER = "Sat, 05 Nov 1994 08:49:37 GMT";
    static final String BIG = new String(big(), java.nio.charset.StandardCharsets.ISO_8859_1);
    /** Replaced by the boundary the response chose, which must be 24 lowercase hex digits. */
    static final String BOUNDARY = "@BOUNDARY@";

    @RegisterExtension
    static final SharedTestSites fixture = new SharedTestSites();

    record Case(String name, String request, String expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** The UTF-8 bytes of {@code s} as one char per byte, as the driver shows output. */
    static String latin1(String s) {
        return new String(s.getBytes(java.nio.charset.StandardCharsets.UTF_8), java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    static String get(String target, String... fields) {
        return request("GET", target, "site.test", fields);
    }

    static String head(String target, String... fields) {
        return request("HEAD", target, "site.test", fields);
    }

    static String request(String method, String target, String host, String... fields) {
        StringBuilder b = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
        for (String f : fields) {
            b.append(f).append("\r\n");
        }
        return b.append("\r\n").toString();
    }

    static String validators(String content, String cache, boolean vary) {
        return "ETag: " + etag(content.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)) + "\r\n" + (cache == null ? "" : "Cache-Control: " + cache + "\r\n")
                + (vary ? "Vary: Accept-Encoding\r\n" : "");
    }

    static String common(String content, String cache, boolean vary, String encoding) {
        return validators(content, cache, vary) + LM + (encoding == null ? "" : "Content-Encoding: " + encoding + "\r\n")
                + "Accept-Ranges: bytes\r\nX-Content-Type-Options: nosniff\r\n";
    }

    static String ok(String content, String cache, boolean vary, String encoding, String type, boolean body) {
        return "HTTP/1.1 200 OK\r\n" + D + common(content, cache, vary, encoding) + "Content-Type: " + type + "\r\n"
                + "Content-Length: " + content.length() + "\r\n\r\n" + (body ? content : "");
    }

    static String index(String content, String encoding) {
        return ok(content, "no-cache", true, encoding, HTML, true);
    }

    static String plain() {
        return ok(PLAIN, null, false, null, TEXT, true);
    }

    static String notModified(String content, String cache, boolean vary) {
        return "HTTP/1.1 304 Not Modified\r\n" + D + validators(content, cache, vary) + "\r\n";
    }

    static String partial(String content, String cache, boolean vary, String encoding, String type, int first, int last) {
        return "HTTP/1.1 206 Partial Content\r\n" + D + common(content, cache, vary, encoding) + "Content-Type: " + type + "\r\n"
                + "Content-Range: bytes " + first + "-" + last + "/" + content.length() + "\r\n"
                + "Content-Length: " + (last - first + 1) + "\r\n\r\n" + content.substring(first, last + 1);
    }

    static String multipart(String content, String cache, String type, int... firstLast) {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < firstLast.length; i += 2) {
            body.append(i == 0 ? "" : "\r\n").append("--").append(BOUNDARY).append("\r\nContent-Type: ").append(type)
                    .append("\r\nContent-Range: bytes ").append(firstLast[i]).append('-').append(firstLast[i + 1]).append('/')
                    .append(content.length()).append("\r\n\r\n").append(content, firstLast[i], firstLast[i + 1] + 1);
        }
        body.append("\r\n--").append(BOUNDARY).append("--\r\n");
        int length = body.length() - (body.toString().split(BOUNDARY, -1).length - 1) * (BOUNDARY.length() - 24);
        return "HTTP/1.1 206 Partial Content\r\n" + D + common(content, cache, false, null)
                + "Content-Type: multipart/byteranges; boundary=" + BOUNDARY + "\r\nContent-Length: " + length + "\r\n\r\n" + body;
    }

    static String error(int status, String reason, boolean body, String... extra) {
        return "HTTP/1.1 " + status + " " + reason + "\r\n" + D + String.join("", extra)
                + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: " + (reason.length() + 1) + "\r\n\r\n"
                + (body ? reason + "\n" : "");
    }

    static String notFoundPage(String content, String encoding, boolean body) {
        return "HTTP/1.1 404 Not Found\r\n" + D + "Cache-Control: no-cache\r\nVary: Accept-Encoding\r\n"
                + (encoding == null ? "" : "Content-Encoding: " + encoding + "\r\n")
                + "X-Content-Type-Options: nosniff\r\nContent-Type: " + HTML + "\r\nContent-Length: " + content.length() + "\r\n\r\n"
                + (body ? content : "");
    }

    static String builtInNotFound() {
        return "HTTP/1.1 404 Not Found\r\n" + D + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\n\r\nNot Found\n";
    }

    static String redirect(String location) {
        return "HTTP/1.1 301 Moved Permanently\r\n" + D + "Location: " + location + "\r\nContent-Length: 0\r\n\r\n";
    }

    static List<Case> cases() {
        String idx = etag(INDEX);
        String txt = etag(PLAIN);
        List<Case> c = new ArrayList<>();
        // Accept-Encoding
        c.add(new Case("identity without Accept-Encoding", get("/index.html"), index(INDEX, null)));
        c.add(new Case("gzip", get("/index.html", "Accept-Encoding: gzip"), index(INDEX_GZIP, "gzip")));
        c.add(new Case("br preferred on a tie", get("/index.html", "Accept-Encoding: gzip, br, zstd"), index(INDEX_BR, "br")));
        c.add(new Case("q decides", get("/index.html", "Accept-Encoding: br;q=0.5, gzip"), index(INDEX_GZIP, "gzip")));
        c.add(new Case("q with spaces", get("/index.html", "Accept-Encoding: br ; q=0.2 , zstd;q=0.3"), index(INDEX_ZSTD, "zstd")));
        c.add(new Case("star", get("/index.html", "Accept-Encoding: *;q=0.1, identity;q=0"), index(INDEX_BR, "br")));
        c.add(new Case("star excludes listed", get("/index.html", "Accept-Encoding: *, br;q=0"), index(INDEX_ZSTD, "zstd")));
        c.add(new Case("case-insensitive", get("/index.html", "Accept-Encoding: GZIP"), index(INDEX_GZIP, "gzip")));
        c.add(new Case("x-gzip", get("/index.html", "Accept-Encoding: x-gzip"), index(INDEX_GZIP, "gzip")));
        c.add(new Case("two lines", get("/index.html", "Accept-Encoding: gzip;q=0.5", "Accept-Encoding: zstd"), index(INDEX_ZSTD, "zstd")));
        c.add(new Case("bad q skipped", get("/index.html", "Accept-Encoding: gzip;q=1.5, br;q=x"), index(INDEX, null)));
        c.add(new Case("nothing acceptable sends identity",
                get("/index.html", "Accept-Encoding: identity;q=0, gzip;q=0, br;q=0, zstd;q=0"), index(INDEX, null)));
        c.add(new Case("unknown coding", get("/index.html", "Accept-Encoding: compress, deflate"), index(INDEX, null)));
        c.add(new Case("empty Accept-Encoding", get("/index.html", "Accept-Encoding:"), index(INDEX, null)));
        c.add(new Case("identity-only file refuses nothing", get("/plain.txt", "Accept-Encoding: identity;q=0"), plain()));
        c.add(new Case("variant without Vary-less file", get("/gz.txt", "Accept-Encoding: gzip"),
                ok("GZIP(hello world)", null, true, "gzip", TEXT, true)));
        c.add(new Case("HEAD br", head("/index.html", "Accept-Encoding: br"), ok(INDEX_BR, "no-cache", true, "br", HTML, false)));
        // If-None-Match / If-Modified-Since
        c.add(new Case("INM match", get("/index.html", "If-None-Match: " + idx), notModified(INDEX, "no-cache", true)));
        c.add(new Case("INM compares the selected representation",
                get("/index.html", "If-None-Match: " + idx, "Accept-Encoding: gzip"), index(INDEX_GZIP, "gzip")));
        c.add(new Case("INM gzip etag with gzip", get("/index.html", "If-None-Match: " + etag(INDEX_GZIP), "Accept-Encoding: gzip"),
                notModified(INDEX_GZIP, "no-cache", true)));
        c.add(new Case("INM weak comparison", get("/plain.txt", "If-None-Match: W/" + txt), notModified(PLAIN, null, false)));
        c.add(new Case("INM list", get("/plain.txt", "If-None-Match: \"a\", " + txt + ",\"b\""), notModified(PLAIN, null, false)));
        c.add(new Case("INM two lines", get("/plain.txt", "If-None-Match: \"a\"", "If-None-Match: " + txt), notModified(PLAIN, null, false)));
        c.add(new Case("INM star", get("/plain.txt", "If-None-Match: *"), notModified(PLAIN, null, false)));
        c.add(new Case("INM other", get("/plain.txt", "If-None-Match: \"other\""), plain()));
        c.add(new Case("INM unquoted is ignored", get("/plain.txt", "If-None-Match: " + txt.replace("\"", "")), plain()));
        c.add(new Case("HEAD INM", head("/plain.txt", "If-None-Match: " + txt), notModified(PLAIN, null, false)));
        c.add(new Case("IMS equal", get("/plain.txt", "If-Modified-Since: " + DATE), notModified(PLAIN, null, false)));
        c.add(new Case("IMS rfc850", get("/plain.txt", "If-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT"), notModified(PLAIN, null, false)));
        c.add(new Case("IMS asctime", get("/plain.txt", "If-Modified-Since: Sun Nov  6 08:49:37 1994"), notModified(PLAIN, null, false)));
        c.add(new Case("IMS earlier", get("/plain.txt", "If-Modified-Since: " + EARLIER), plain()));
        c.add(new Case("IMS invalid", get("/plain.txt", "If-Modified-Since: yesterday"), plain()));
        c.add(new Case("IMS twice is ignored", get("/plain.txt", "If-Modified-Since: " + DATE, "If-Modified-Since: " + DATE), plain()));
        c.add(new Case("IMS ignored when INM present",
                get("/plain.txt", "If-None-Match: \"other\"", "If-Modified-Since: " + DATE), plain()));
        // If-Match / If-Unmodified-Since
        c.add(new Case("If-Match other", get("/plain.txt", "If-Match: \"other\""), error(412, "Precondition Failed", true)));
        c.add(new Case("HEAD If-Match other", head("/plain.txt", "If-Match: \"other\""), error(412, "Precondition Failed", false)));
        c.add(new Case("If-Match star", get("/plain.txt", "If-Match: *"), plain()));
        c.add(new Case("If-Match list", get("/plain.txt", "If-Match: \"x\", " + txt), plain()));
        c.add(new Case("If-Match weak fails", get("/plain.txt", "If-Match: W/" + txt), error(412, "Precondition Failed", true)));
        c.add(new Case("IUS earlier", get("/plain.txt", "If-Unmodified-Since: " + EARLIER), error(412, "Precondition Failed", true)));
        c.add(new Case("IUS equal", get("/plain.txt", "If-Unmodified-Since: " + DATE), plain()));
        c.add(new Case("IUS ignored with If-Match", get("/plain.txt", "If-Match: " + txt, "If-Unmodified-Since: " + EARLIER), plain()));
        c.add(new Case("If-Match before INM", get("/plain.txt", "If-Match: \"x\"", "If-None-Match: " + txt),
                error(412, "Precondition Failed", true)));
        c.add(new Case("If-Match passes then INM", get("/plain.txt", "If-Match: " + txt, "If-None-Match: " + txt),
                notModified(PLAIN, null, false)));
        // Range
        c.add(new Case("bytes=0-1", get("/plain.txt", "Range: bytes=0-1"), partial(PLAIN, null, false, null, TEXT, 0, 1)));
        c.add(new Case("suffix", get("/plain.txt", "Range: bytes=-5"), partial(PLAIN, null, false, null, TEXT, 7, 11)));
        c.add(new Case("suffix longer than file", get("/plain.txt", "Range: bytes=-500"), partial(PLAIN, null, false, null, TEXT, 0, 11)));
        c.add(new Case("open range", get("/plain.txt", "Range: bytes=6-"), partial(PLAIN, null, false, null, TEXT, 6, 11)));
        c.add(new Case("end clamped", get("/plain.txt", "Range: bytes=3-100"), partial(PLAIN, null, false, null, TEXT, 3, 11)));
        c.add(new Case("unit case-insensitive", get("/plain.txt", "Range: BYTES=0-0"), partial(PLAIN, null, false, null, TEXT, 0, 0)));
        c.add(new Case("unsatisfiable", get("/plain.txt", "Range: bytes=12-"),
                error(416, "Range Not Satisfiable", true, "Content-Range: bytes */12\r\n")));
        c.add(new Case("zero suffix unsatisfiable", get("/plain.txt", "Range: bytes=-0"),
                error(416, "Range Not Satisfiable", true, "Content-Range: bytes */12\r\n")));
        c.add(new Case("one satisfiable of two", get("/plain.txt", "Range: bytes=50-60, 2-3"), partial(PLAIN, null, false, null, TEXT, 2, 3)));
        c.add(new Case("last before first ignored", get("/plain.txt", "Range: bytes=5-2"), plain()));
        c.add(new Case("other unit ignored", get("/plain.txt", "Range: items=0-1"), plain()));
        c.add(new Case("bad syntax ignored", get("/plain.txt", "Range: bytes 0-1"), plain()));
        c.add(new Case("garbage ignored", get("/plain.txt", "Range: bytes=0-1x"), plain()));
        c.add(new Case("huge number ignored", get("/plain.txt", "Range: bytes=0-99999999999999999999"), plain()));
        c.add(new Case("empty set ignored", get("/plain.txt", "Range: bytes=,"), plain()));
        c.add(new Case("two Range fields ignored", get("/plain.txt", "Range: bytes=0-1", "Range: bytes=2-3"), plain()));
        c.add(new Case("HEAD ignores Range", head("/plain.txt", "Range: bytes=0-1"), ok(PLAIN, null, false, null, TEXT, false)));
        c.add(new Case("empty file ignores Range", request("GET", "/zero.txt", "bare.test", "Range: bytes=0-1"),
                ok("", null, false, null, TEXT, true)));
        c.add(new Case("range over the gzip variant", get("/index.html", "Accept-Encoding: gzip", "Range: bytes=0-3"),
                partial(INDEX_GZIP, "no-cache", true, "gzip", HTML, 0, 3)));
        c.add(new Case("multipart", get("/big.bin", "Range: bytes=0-1,500-600"),
                multipart(BIG, "public, max-age=31536000, immutable", "application/octet-stream", 0, 1, 500, 600)));
        c.add(new Case("multipart keeps request order", get("/big.bin", "Range: bytes=1000-1009, 10-19"),
                multipart(BIG, "public, max-age=31536000, immutable", "application/octet-stream", 1000, 1009, 10, 19)));
        c.add(new Case("nearby ranges coalesce", get("/plain.txt", "Range: bytes=0-1,4-5"), partial(PLAIN, null, false, null, TEXT, 0, 5)));
        c.add(new Case("overlapping ranges coalesce", get("/big.bin", "Range: bytes=200-300,0-10,250-400,5000-5001"),
                multipart(BIG, "public, max-age=31536000, immutable", "application/octet-stream", 200, 400, 0, 10, 5000, 5001)));
        c.add(new Case("too many ranges", get("/big.bin", "Range: bytes=" + "0-0,".repeat(16) + "0-0"),
                ok(BIG, "public, max-age=31536000, immutable", false, null, "application/octet-stream", true)));
        c.add(new Case("ranges larger than the file", get("/plain.txt", "Range: bytes=0-,0-"), plain()));
        c.add(new Case("If-Range etag", get("/plain.txt", "Range: bytes=0-1", "If-Range: " + txt), partial(PLAIN, null, false, null, TEXT, 0, 1)));
        c.add(new Case("If-Range other etag", get("/plain.txt", "Range: bytes=0-1", "If-Range: \"x\""), plain()));
        c.add(new Case("If-Range weak etag", get("/plain.txt", "Range: bytes=0-1", "If-Range: W/" + txt), plain()));
        c.add(new Case("If-Range date", get("/plain.txt", "Range: bytes=0-1", "If-Range: " + DATE), partial(PLAIN, null, false, null, TEXT, 0, 1)));
        c.add(new Case("If-Range other date", get("/plain.txt", "Range: bytes=0-1", "If-Range: " + EARLIER), plain()));
        c.add(new Case("If-Range without Range", get("/plain.txt", "If-Range: \"x\""), plain()));
        c.add(new Case("INM wins over Range", get("/plain.txt", "Range: bytes=0-1", "If-None-Match: " + txt), notModified(PLAIN, null, false)));
        // Existence, redirects, not-found pages
        c.add(new Case("not-found page", get("/missing"), notFoundPage(NOT_FOUND, null, true)));
        c.add(new Case("not-found page gzip", get("/missing", "Accept-Encoding: gzip"), notFoundPage(NOT_FOUND_GZIP, "gzip", true)));
        c.add(new Case("HEAD not-found page", head("/missing"), notFoundPage(NOT_FOUND, null, false)));
        c.add(new Case("404 ignores preconditions", get("/missing", "If-None-Match: *", "If-Match: \"x\"", "Range: bytes=0-1"),
                notFoundPage(NOT_FOUND, null, true)));
        c.add(new Case("built-in 404", request("GET", "/missing", "bare.test"), builtInNotFound()));
        c.add(new Case("HEAD built-in 404", request("HEAD", "/missing", "bare.test"),
                "HTTP/1.1 404 Not Found\r\n" + D + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\n\r\n"));
        c.add(new Case("redirect", get("/dir"), redirect("dir/")));
        c.add(new Case("redirect keeps the query", get("/dir?a=1&b=%20"), redirect("dir/?a=1&b=%20")));
        c.add(new Case("HEAD redirect", head("/dir"), redirect("dir/")));
        c.add(new Case("redirect ignores preconditions", get("/dir", "If-Match: \"x\""), redirect("dir/")));
        c.add(new Case("directory index", get("/dir/"), ok(DIR_INDEX, null, false, null, HTML, true)));
        c.add(new Case("root index", get("/"), ok(INDEX, "no-cache", true, null, HTML, true)));
        // Targets
        c.add(new Case("percent-encoded UTF-8", get("/caf%C3%A9.txt"), ok(latin1(CAFE), null, false, null, TEXT, true)));
        c.add(new Case("percent-encoded ASCII", get("/pl%61in.txt"), plain()));
        c.add(new Case("dot segment", get("/./plain.txt"), plain()));
        c.add(new Case("dot-dot segment", get("/dir/../plain.txt"), plain()));
        c.add(new Case("dot-dot above root", get("/../../plain.txt"), plain()));
        c.add(new Case("encoded dot-dot", get("/dir/%2e%2E/plain.txt"), plain()));
        c.add(new Case("dot-dot to root", get("/dir/.."), ok(INDEX, "no-cache", true, null, HTML, true)));
        c.add(new Case("trailing dot to directory", get("/dir/."), ok(DIR_INDEX, null, false, null, HTML, true)));
        c.add(new Case("empty segment is not collapsed", get("//plain.txt"), notFoundPage(NOT_FOUND, null, true)));
        c.add(new Case("file with slash", get("/plain.txt/"), notFoundPage(NOT_FOUND, null, true)));
        c.add(new Case("query ignored", get("/plain.txt?v=1"), plain()));
        c.add(new Case("empty query", get("/plain.txt?"), plain()));
        c.add(new Case("absolute-form overrides Host", request("GET", "http://bare.test/missing", "site.test"), builtInNotFound()));
        c.add(new Case("absolute-form https upper case", request("GET", "HTTPS://BARE.test:443/plain.txt", "x.test"), plain()));
        c.add(new Case("absolute-form without path", request("GET", "http://bare.test?x", "site.test"), builtInNotFound()));
        // Host and version
        c.add(new Case("host normalized", request("GET", "/missing", "BARE.Test.:8080"), builtInNotFound()));
        c.add(new Case("unknown host falls back", request("GET", "/plain.txt", "other.test"), plain()));
        c.add(new Case("empty Host is the default site", "GET /plain.txt HTTP/1.1\r\nHost:\r\n\r\n", plain()));
        c.add(new Case("IPv6 host", request("GET", "/plain.txt", "[::1]:80"), plain()));
        c.add(new Case("IPv4 host", request("GET", "/plain.txt", "127.0.0.1"), plain()));
        c.add(new Case("HTTP/1.0 without Host", "GET /plain.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
                plain().replace("\r\n\r\n", "\r\nConnection: keep-alive\r\n\r\n")));
        c.add(new Case("HTTP/1.2 is handled as 1.1", "GET /plain.txt HTTP/1.2\r\nHost: site.test\r\n\r\n", plain()));
        c.add(new Case("Expect ignored", get("/plain.txt", "Expect: 100-continue"), plain()));
        c.add(new Case("Content-Length 0", get("/plain.txt", "Content-Length: 0"), plain()));
        c.add(new Case("Content-Length 00", get("/plain.txt", "Content-Length: 00, 0"), plain()));
        c.add(new Case("one leading empty line", "\r\n" + get("/plain.txt"), plain()));
        c.add(new Case("tab in value and OWS", get("/plain.txt", "X-A:\t a\tb \t"), plain()));
        c.add(new Case("8-bit value", get("/plain.txt", "X-A: caf\u00e9"), plain()));
        c.add(new Case("other field names are fine", get("/plain.txt", "x-!#$%&'*+-.^_`|~: 1"), plain()));
        return c;
    }

    static Stream<Arguments> table() {
        return cases().stream().map(Arguments::of);
    }

    /** Puts the response's boundary into the expected text after checking its shape. */
    static String withBoundary(String expected, String actual) {
        if (!expected.contains(BOUNDARY)) {
            return expected;
        }
        Matcher m = Pattern.compile("boundary=([0-9a-f]{24})\r\n").matcher(actual);
        assertThat(m.find()).as("boundary in %s", actual).isTrue();
        return expected.replace(BOUNDARY, m.group(1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void answersExactly(Case c) {
        HttpConnection connection = fixture.connection(7);
        Driver d = new Driver(connection).feed(c.request());
        String actual = d.output();
        assertThat(actual).isEqualTo(withBoundary(c.expected(), actual));
        assertThat(d.closeRequested).isEqualTo(c.request().contains("HTTP/1.0\r\n") && !c.request().contains("keep-alive"));
        fixture.sites().assertBalanced();
    }
}
