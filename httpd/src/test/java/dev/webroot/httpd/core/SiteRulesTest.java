package dev.webroot.httpd.core;

import static dev.webroot.httpd.core.TestSites.DATE;
import static dev.webroot.httpd.core.TestSites.etag;
import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.format.Webroot;
import dev.webroot.mkroot.Io;
import dev.webroot.mkroot.Mkroot;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Site rules through the protocol core: a site packed by the real mkroot from {@code _headers} and
 * {@code _redirects} files (Netlify's documented examples among them) and {@code --clean-urls}, and a
 * table of request -> exact status line and complete header list (a value {@code *} matches any
 * value; Date is checked like every other field) and body.
 */
class SiteRulesTest {
    static final String INDEX = "<!doctype html><title>home</title>\n" + "<p>the single-page app shell</p>\n".repeat(20);
    static final String ABOUT = "<h1>about</h1>\n";
    static final String INSTALL = "<h1>install</h1>\n";
    static final String DOCS = "<h1>docs</h1>\n";
    static final String CSS = "body{color:red}\n";
    static final String CLOSED = "<h1>the store is closed</h1>\n";
    static final String OLD = "<h1>old page</h1>\n";
    static final String SHOE = "<h1>shoe</h1>\n";
    static final String NOT_FOUND = "<h1>no such page</h1>\n";
    static final String HTML = "text/html; charset=utf-8";
    static final String CSP = "default-src 'self'";

    static final String HEADERS = """
            # Netlify's and Cloudflare's examples: a site-wide policy, assets cached for good without it
            /*
              X-Frame-Options: DENY
              Content-Security-Policy: default-src 'self'
            /assets/*
              Cache-Control: public, max-age=31536000, immutable
              ! Content-Security-Policy
            /docs/*
              X-Frame-Options: SAMEORIGIN
              Expires: Thu, 01 Dec 2044 16:00:00 GMT
            """;
    static final String REDIRECTS = """
            # Netlify's documented examples
            /blog/*                    /news/:splat                   301
            /news/:year/:month/:slug   /archive/:year/:month/:slug?from=news  302
            /old-page                  /about                         301!
            /about-us                  /about
            /ecommerce                 /store-closed                  404
            /discontinued              /store-closed                  410
            /gone/:page                /gone-pages/:page              410
            /shop/:item                /products/:item                200
            /external                  https://example.com/elsewhere  307
            /docs/*                    /docs/install                  303
            /*                         /index.html                    200
            """;

    static Path dir;
    static Webroot webroot;

    @BeforeAll
    static void pack() throws IOException {
        dir = Files.createTempDirectory("site-rules");
        Path src = Files.createDirectories(dir.resolve("src"));
        write(src, "index.html", INDEX);
        write(src, "about.html", ABOUT);
        write(src, "docs/install.html", INSTALL);
        write(src, "docs/index.html", DOCS);
        write(src, "assets/app.css", CSS);
        write(src, "store-closed.html", CLOSED);
        write(src, "old-page.html", OLD);
        write(src, "products/shoe.html", SHOE);
        write(src, "404.html", NOT_FOUND);
        write(src, "_headers", HEADERS);
        write(src, "_redirects", REDIRECTS);
        Path out = dir.resolve("site.webroot");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Mkroot.run(new String[] {src.toString(), out.toString(), "--clean-urls", "--encodings", "gzip"},
                new Io(new PrintStream(new ByteArrayOutputStream()), new PrintStream(err), Map.of("SOURCE_DATE_EPOCH",
                        Long.toString(TestSites.MODIFIED)), false));
        assertThat(exit).as("mkroot: %s", err).isZero();
        webroot = Webroot.open(out);
    }

    @AfterAll
    static void close() throws IOException {
        webroot.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static void write(Path root, String relative, String text) throws IOException {
        Path file = root.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    /** An expected response: status line, every header line in order, and the body (null: none). */
    record Case(String name, String request, String status, List<String> headers, String body) {
        @Override
        public String toString() {
            return name;
        }
    }

    static String get(String target, String... fields) {
        return SemanticsTableTest.request("GET", target, "site.test", fields);
    }

    static String head(String target) {
        return SemanticsTableTest.request("HEAD", target, "site.test");
    }

    static List<String> redirect(String location) {
        return List.of("Date: " + DATE, "Location: " + location, "Content-Length: 0");
    }

    /** A file's 200 header lines: the server's, with the site's fields where their group puts them. */
    static List<String> file(String content, String cache, List<String> revalidated, List<String> other) {
        List<String> h = new ArrayList<>(List.of("Date: " + DATE, "ETag: " + etag(content), "Cache-Control: " + cache));
        h.addAll(revalidated);
        h.addAll(List.of("Last-Modified: " + DATE, "Accept-Ranges: bytes", "X-Content-Type-Options: nosniff"));
        h.addAll(other);
        h.addAll(List.of("Content-Type: " + HTML, "Content-Length: " + content.length()));
        return h;
    }

    static final List<String> SITE_WIDE = List.of("X-Frame-Options: DENY", "Content-Security-Policy: " + CSP);

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        // _redirects: Netlify's examples
        c.add(new Case("splat redirect", get("/blog/2024/hello"), "301 Moved Permanently", redirect("/news/2024/hello"), null));
        c.add(new Case("splat keeps the query and encodes the capture", get("/blog/a%20b%0D%0ASet-Cookie:x?page=2"),
                "301 Moved Permanently", redirect("/news/a%20b%0D%0ASet-Cookie:x?page=2"), null));
        c.add(new Case("placeholder redirect, target's own query", get("/news/2024/05/launch?dropped=1"), "302 Found",
                redirect("/archive/2024/05/launch?from=news"), null));
        c.add(new Case("placeholder needs a whole segment", get("/news/2024/05/"), "200 OK",
                withVary(file(INDEX, "no-cache", List.of(), SITE_WIDE)), INDEX));
        c.add(new Case("forced rule over an existing file", get("/old-page"), "301 Moved Permanently", redirect("/about"), null));
        c.add(new Case("default status 301", get("/about-us"), "301 Moved Permanently", redirect("/about"), null));
        c.add(new Case("absolute target", get("/external?a=b"), "307 Temporary Redirect",
                redirect("https://example.com/elsewhere?a=b"), null));
        c.add(new Case("existing file wins over a rule", get("/docs/install"), "200 OK",
                file(INSTALL, "no-cache", List.of("Expires: Thu, 01 Dec 2044 16:00:00 GMT"),
                        List.of("X-Frame-Options: DENY, SAMEORIGIN", "Content-Security-Policy: " + CSP)), INSTALL));
        c.add(new Case("rule when nothing is packed", get("/docs/missing"), "303 See Other", redirect("/docs/install"), null));
        // 404 and 410 pages: the page without its ETag
        c.add(new Case("404 page rule", get("/ecommerce"), "404 Not Found", withoutEtag(file(CLOSED, "no-cache", List.of(),
                SITE_WIDE)), CLOSED));
        c.add(new Case("HEAD 410 page rule", head("/discontinued"), "410 Gone", withoutEtag(file(CLOSED, "no-cache", List.of(),
                SITE_WIDE)), null));
        c.add(new Case("410 template rule whose page is not packed", get("/gone/x"), "410 Gone", List.of("Date: " + DATE,
                "Content-Type: text/plain; charset=utf-8", "Content-Length: 5"), "Gone\n"));
        // 200 rewrites
        c.add(new Case("placeholder rewrite", get("/shop/shoe"), "200 OK", file(SHOE, "no-cache", List.of(), SITE_WIDE), SHOE));
        c.add(new Case("rewrite to a path that is not packed", get("/shop/boot"), "404 Not Found", List.of("Date: " + DATE,
                "Cache-Control: no-cache", "X-Content-Type-Options: nosniff", "X-Frame-Options: DENY",
                "Content-Security-Policy: " + CSP, "Content-Type: " + HTML, "Content-Length: " + NOT_FOUND.length()), NOT_FOUND));
        c.add(new Case("SPA fallback", get("/app/some/route"), "200 OK", withVary(file(INDEX, "no-cache", List.of(), SITE_WIDE)),
                INDEX));
        c.add(new Case("SPA fallback, HEAD", head("/app/x"), "200 OK", withVary(file(INDEX, "no-cache", List.of(), SITE_WIDE)),
                null));
        c.add(new Case("SPA fallback, If-None-Match", get("/app/x", "If-None-Match: " + etag(INDEX)), "304 Not Modified",
                List.of("Date: " + DATE, "ETag: " + etag(INDEX), "Cache-Control: no-cache", "Vary: Accept-Encoding"), null));
        c.add(new Case("SPA fallback, Range", get("/app/x", "Range: bytes=0-8"), "206 Partial Content",
                List.of("Date: " + DATE, "ETag: " + etag(INDEX), "Cache-Control: no-cache", "Vary: Accept-Encoding",
                        "Last-Modified: " + DATE, "Accept-Ranges: bytes", "X-Content-Type-Options: nosniff",
                        "X-Frame-Options: DENY", "Content-Security-Policy: " + CSP, "Content-Type: " + HTML,
                        "Content-Range: bytes 0-8/" + INDEX.length(), "Content-Length: 9"), INDEX.substring(0, 9)));
        c.add(new Case("SPA fallback, gzip", get("/app/x", "Accept-Encoding: gzip"), "200 OK",
                List.of("Date: " + DATE, "ETag: *", "Cache-Control: no-cache", "Vary: Accept-Encoding",
                        "Last-Modified: " + DATE, "Content-Encoding: gzip", "Accept-Ranges: bytes",
                        "X-Content-Type-Options: nosniff", "X-Frame-Options: DENY", "Content-Security-Policy: " + CSP,
                        "Content-Type: " + HTML, "Content-Length: *"), "gzip:" + INDEX));
        // --clean-urls
        c.add(new Case("clean URL", get("/about"), "200 OK", file(ABOUT, "no-cache", List.of(), SITE_WIDE), ABOUT));
        c.add(new Case(".html redirects to the clean URL", get("/about.html?x=1"), "308 Permanent Redirect", redirect("about?x=1"),
                null));
        c.add(new Case("nested .html redirects", get("/docs/install.html"), "308 Permanent Redirect", redirect("install"), null));
        c.add(new Case("index.html redirects to its directory", get("/docs/index.html"), "308 Permanent Redirect",
                redirect("./"), null));
        c.add(new Case("directory redirect stays 301", get("/docs"), "301 Moved Permanently", redirect("docs/"), null));
        // _headers
        c.add(new Case("/* headers", get("/"), "200 OK", withVary(file(INDEX, "no-cache", List.of(), SITE_WIDE)), INDEX));
        c.add(new Case("/assets/* replaces Cache-Control and detaches the policy", get("/assets/app.css"), "200 OK",
                List.of("Date: " + DATE, "ETag: " + etag(CSS), "Cache-Control: public, max-age=31536000, immutable",
                        "Last-Modified: " + DATE, "Accept-Ranges: bytes", "X-Content-Type-Options: nosniff",
                        "X-Frame-Options: DENY", "Content-Type: text/css; charset=utf-8", "Content-Length: " + CSS.length()), CSS));
        c.add(new Case("304 repeats Cache-Control and Expires only", get("/docs/install", "If-None-Match: " + etag(INSTALL)),
                "304 Not Modified", List.of("Date: " + DATE, "ETag: " + etag(INSTALL), "Cache-Control: no-cache",
                        "Expires: Thu, 01 Dec 2044 16:00:00 GMT"), null));
        return c;
    }

    @org.junit.jupiter.api.Test
    void versionOneFilesAreServedAsSitesWithoutRules() throws IOException {
        try (Webroot v1 = Webroot.open(Path.of("../webroot-format/src/test/resources/dev/webroot/format/version-1.webroot"))) {
            assertThat(v1.version()).isEqualTo(1);
            Generation generation = Generation.pinned(v1);
            WorkspacePool pool = new WorkspacePool((host, offset, length) -> generation, Limits.defaults(), TestSites.DATES,
                    AccessLog.DISABLED, 1);
            assertThat(new Driver(new HttpConnection(pool, "t")).feed(get("/docs?a")).output())
                    .isEqualTo(SemanticsTableTest.redirect("docs/?a"));
            assertThat(new Driver(new HttpConnection(pool, "t")).feed(get("/about.html")).output())
                    .startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\nabout v1\n");
            assertThat(new Driver(new HttpConnection(pool, "t")).feed(get("/missing")).output())
                    .startsWith("HTTP/1.1 404 Not Found\r\n").endsWith("\r\n\r\ngone\n");
        }
    }

    static List<String> withoutEtag(List<String> headers) {
        return headers.stream().filter(h -> !h.startsWith("ETag:")).toList();
    }

    static List<String> withVary(List<String> headers) {
        List<String> h = new ArrayList<>(headers);
        h.add(h.indexOf("Cache-Control: no-cache") + 1, "Vary: Accept-Encoding");
        return h;
    }

    static Stream<Arguments> table() {
        return cases().stream().map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void answersExactly(Case c) throws IOException {
        Generation generation = Generation.pinned(webroot);
        HttpConnection connection = new HttpConnection(new WorkspacePool((host, offset, length) -> generation,
                Limits.defaults(), TestSites.DATES, AccessLog.DISABLED, 1), "t");
        byte[] out = new Driver(connection).feed(c.request()).outputBytes();
        String text = new String(out, StandardCharsets.ISO_8859_1);
        int headEnd = text.indexOf("\r\n\r\n");
        assertThat(headEnd).as(text).isPositive();
        String[] lines = text.substring(0, headEnd).split("\r\n");
        assertThat(lines[0]).isEqualTo("HTTP/1.1 " + c.status());
        List<String> actual = List.of(lines).subList(1, lines.length);
        assertThat(actual).as(text).hasSameSizeAs(c.headers());
        for (int i = 0; i < actual.size(); i++) {
            String expected = c.headers().get(i);
            if (expected.endsWith(": *")) {
                assertThat(actual.get(i)).startsWith(expected.substring(0, expected.length() - 1));
            } else {
                assertThat(actual.get(i)).isEqualTo(expected);
            }
        }
        byte[] body = java.util.Arrays.copyOfRange(out, headEnd + 4, out.length);
        if (c.body() == null) {
            assertThat(body).isEmpty();
        } else if (c.body().startsWith("gzip:")) {
            byte[] decoded = new GZIPInputStream(new ByteArrayInputStream(body)).readAllBytes();
            assertThat(new String(decoded, StandardCharsets.UTF_8)).isEqualTo(c.body().substring(5));
        } else {
            assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo(c.body());
        }
    }
}
