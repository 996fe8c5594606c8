package dev.webroot.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** The packed example sites, served by the real httpd over each I/O model (one server per model). */
@Timeout(120)
class ExampleSitesTest {
    static final List<String> MODELS = Project.MODELS;
    private static final ServersByModel SERVERS = new ServersByModel(false, model -> Server.start(Project.exampleVhosts(), model));

    private static int port(String model) throws Exception {
        return SERVERS.get(model).port;
    }

    @AfterAll
    static void stopServers() throws Exception {
        SERVERS.stopAll();
    }

    private static byte[] source(String site, String path) throws IOException {
        return Files.readAllBytes(Project.root().resolve("vhosts-example/sites").resolve(site).resolve(path));
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void servesPagesWithPrecomputedHeadersAndHeadMatchesGet(String model) throws Exception {
        int port = port(model);
        Http.Response get = Http.get(port, "www.example.com", "/");
        assertThat(get.status()).isEqualTo(200);
        assertThat(get.body()).isEqualTo(source("www.example.com", "index.html"));
        assertThat(get.header("Content-Type")).isEqualTo("text/html; charset=utf-8");
        assertThat(get.header("ETag")).matches("\"[A-Za-z0-9_-]+\"");
        assertThat(get.header("Date")).endsWith(" GMT");
        assertThat(get.header("Vary")).isEqualTo("Accept-Encoding");

        Http.Response head = Http.head(port, "www.example.com", "/");
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.header("Content-Length")).isEqualTo(get.header("Content-Length"));
        assertThat(head.header("ETag")).isEqualTo(get.header("ETag"));

        Http.Response png = Http.get(port, "www.example.com", "/images/pixel.png");
        assertThat(png.header("Content-Type")).isEqualTo("image/png");
        assertThat(png.body()).isEqualTo(source("www.example.com", "images/pixel.png"));

        Http.Response asset = Http.get(port, "www.example.com", "/assets/app.3f2a9c1b.js");
        assertThat(asset.header("Cache-Control")).contains("immutable").contains("max-age=31536000");
        assertThat(asset.body()).isEqualTo(source("www.example.com", "assets/app.3f2a9c1b.js"));
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void picksTheSiteByHostAndFallsBackToTheDefault(String model) throws Exception {
        int port = port(model);
        assertServes(port, "blog.example.org", "/", 200, "blog.example.org", "index.html");
        assertServes(port, "BLOG.Example.ORG:8080", "/feed.xml", 200, "blog.example.org", "feed.xml");
        assertServes(port, "unknown.example.net", "/", 200, "www.example.com", "index.html");
        assertServes(port, "blog.example.org", "/posts/hello-world/", 200, "blog.example.org", "posts/hello-world/index.html");
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void answersNotFoundWithTheSitePageAndRedirectsDirectories(String model) throws Exception {
        int port = port(model);
        assertServes(port, "www.example.com", "/no/such/page", 404, "www.example.com", "404.html");
        Http.Response dotfile = Http.get(port, "www.example.com", "/.env");
        assertThat(dotfile.status()).isEqualTo(404);
        assertThat(dotfile.text()).doesNotContain("SECRET");
        assertThat(Http.get(port, "blog.example.org", "/.DS_Store").status()).isEqualTo(404);
        assertServes(port, "www.example.com", "/.well-known/security.txt", 200, "www.example.com", ".well-known/security.txt");

        Http.Response redirect = Http.get(port, "www.example.com", "/docs");
        assertThat(redirect.status()).isEqualTo(301);
        assertThat(redirect.header("Location")).isEqualTo("docs/");
        assertServes(port, "www.example.com", "/docs/", 200, "www.example.com", "docs/index.html");
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void appliesTheWwwSitesHeadersAndRedirectsRules(String model) throws Exception {
        int port = port(model);
        Http.Response page = Http.get(port, "www.example.com", "/about.html");
        assertThat(page.header("X-Frame-Options")).isEqualTo("DENY");
        assertThat(page.header("Referrer-Policy")).isEqualTo("strict-origin-when-cross-origin");
        Http.Response image = Http.get(port, "www.example.com", "/images/logo.svg");
        assertThat(image.header("Cache-Control")).isEqualTo("public, max-age=86400");
        assertThat(image.header("X-Frame-Options")).isNull();
        Http.Response guide = Http.get(port, "www.example.com", "/guide/install");
        assertThat(guide.status()).isEqualTo(301);
        assertThat(guide.header("Location")).isEqualTo("/docs/install.html");
        Http.Response blog = Http.get(port, "www.example.com", "/blog/posts/hello-world/");
        assertThat(blog.status()).isEqualTo(302);
        assertThat(blog.header("Location")).isEqualTo("https://blog.example.org/posts/hello-world/");
        assertServes(port, "www.example.com", "/retired/page", 410, "www.example.com", "404.html");
        assertThat(Http.get(port, "www.example.com", "/_redirects").status()).isEqualTo(404);
    }

    /** GETs {@code path} with {@code host} and expects {@code status} and the bytes of {@code file} in {@code site}'s sources. */
    private static void assertServes(int port, String host, String path, int status, String site, String file)
            throws IOException {
        Http.Response response = Http.get(port, host, path);
        assertThat(response.status()).as("%s %s", host, path).isEqualTo(status);
        assertThat(response.body()).as("%s %s", host, path).isEqualTo(source(site, file));
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void conditionalRequestsGet304WithEtagAndVary(String model) throws Exception {
        int port = port(model);
        Http.Response first = Http.get(port, "www.example.com", "/style.css");
        String etag = first.header("ETag");
        Http.Response again = Http.get(port, "www.example.com", "/style.css", "If-None-Match: " + etag);
        assertThat(again.status()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
        assertThat(again.header("ETag")).isEqualTo(etag);
        assertThat(again.header("Vary")).isEqualTo("Accept-Encoding");
        Http.Response other = Http.get(port, "www.example.com", "/style.css", "If-None-Match: \"something-else\"");
        assertThat(other.status()).isEqualTo(200);
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void servesSingleAndMultipleRanges(String model) throws Exception {
        int port = port(model);
        byte[] css = source("www.example.com", "style.css");
        Http.Response single = Http.get(port, "www.example.com", "/style.css", "Range: bytes=10-19");
        assertThat(single.status()).isEqualTo(206);
        assertThat(single.header("Content-Range")).isEqualTo("bytes 10-19/" + css.length);
        assertThat(single.body()).isEqualTo(java.util.Arrays.copyOfRange(css, 10, 20));

        Http.Response suffix = Http.get(port, "www.example.com", "/style.css", "Range: bytes=-5");
        assertThat(suffix.body()).isEqualTo(java.util.Arrays.copyOfRange(css, css.length - 5, css.length));

        Http.Response multi = Http.get(port, "www.example.com", "/style.css", "Range: bytes=0-9,400-409");
        assertThat(multi.status()).isEqualTo(206);
        String contentType = multi.header("Content-Type");
        assertThat(contentType).startsWith("multipart/byteranges; boundary=");
        String boundary = contentType.substring(contentType.indexOf('=') + 1);
        String body = new String(multi.body(), StandardCharsets.ISO_8859_1);
        String cssText = new String(css, StandardCharsets.ISO_8859_1);
        assertThat(body).contains("--" + boundary + "\r\n", "Content-Range: bytes 0-9/" + css.length,
                "Content-Range: bytes 400-409/" + css.length, "\r\n--" + boundary + "--");
        assertThat(body).contains("\r\n\r\n" + cssText.substring(0, 10) + "\r\n");
        assertThat(body).contains("\r\n\r\n" + cssText.substring(400, 410) + "\r\n");
        assertThat(body.indexOf("bytes 0-9")).isLessThan(body.indexOf("bytes 400-409"));

        Http.Response unsatisfiable = Http.get(port, "www.example.com", "/style.css", "Range: bytes=5000-");
        assertThat(unsatisfiable.status()).isEqualTo(416);
        assertThat(unsatisfiable.header("Content-Range")).isEqualTo("bytes */" + css.length);
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void precompressedVariantsDecodeToTheIdentityBytes(String model) throws Exception {
        int port = port(model);
        byte[] css = source("www.example.com", "style.css");
        String identityEtag = Http.get(port, "www.example.com", "/style.css").header("ETag");
        for (String encoding : List.of("br", "gzip", "zstd")) {
            Http.Response variant = Http.get(port, "www.example.com", "/style.css", "Accept-Encoding: " + encoding);
            assertThat(variant.header("Content-Encoding")).isEqualTo(encoding);
            assertThat(variant.header("Vary")).isEqualTo("Accept-Encoding");
            assertThat(variant.header("ETag")).isNotEqualTo(identityEtag);
            assertThat(variant.body().length).isLessThan(css.length);
            assertThat(Http.decode(encoding, variant.body())).as(encoding).isEqualTo(css);
        }
        Http.Response preferred = Http.get(port, "www.example.com", "/style.css",
                "Accept-Encoding: gzip;q=0.5, br;q=1.0");
        assertThat(preferred.header("Content-Encoding")).isEqualTo("br");
        Http.Response refused = Http.get(port, "www.example.com", "/style.css", "Accept-Encoding: identity");
        assertThat(refused.header("Content-Encoding")).isNull();
        assertThat(refused.body()).isEqualTo(css);
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void keepsConnectionsAliveAndAnswersPipelinedRequestsInOrder(String model) throws Exception {
        int port = port(model);
        try (Http.Client client = new Http.Client(port)) {
            for (int i = 0; i < 5; i++) {
                assertThat(client.get("www.example.com", "/about.html").status()).isEqualTo(200);
            }
            client.send(Http.request("GET", "www.example.com", "/style.css")
                    + Http.request("HEAD", "www.example.com", "/")
                    + Http.request("GET", "blog.example.org", "/missing")
                    + Http.request("GET", "www.example.com", "/about.html", "Connection: close"));
            assertThat(client.read().body()).isEqualTo(source("www.example.com", "style.css"));
            Http.Response head = client.readHead();
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Content-Length")).isEqualTo(String.valueOf(source("www.example.com", "index.html").length));
            assertThat(client.read().body()).isEqualTo(source("blog.example.org", "404.html"));
            Http.Response last = client.read();
            assertThat(last.body()).isEqualTo(source("www.example.com", "about.html"));
            assertThat(last.header("Connection")).isEqualTo("close");
            assertThat(client.in.read()).as("closed after Connection: close").isEqualTo(-1);
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void servesAThousandConcurrentConnections(String model) throws Exception {
        int port = port(model);
        byte[] expected = source("www.example.com", "index.html");
        List<Http.Client> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 1000; i++) {
                clients.add(new Http.Client(port, 20_000));
            }
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<byte[]>> bodies = new ArrayList<>();
                for (Http.Client client : clients) {
                    bodies.add(pool.submit(() -> client.get("www.example.com", "/").body()));
                }
                for (Future<byte[]> body : bodies) {
                    assertThat(body.get(30, TimeUnit.SECONDS)).isEqualTo(expected);
                }
            }
        } finally {
            for (Http.Client client : clients) {
                client.close();
            }
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void logsEachResponseInCombinedFormat(String model) throws Exception {
        int port = port(model);
        String path = "/about.html?log-check-" + model;
        Http.get(port, "www.example.com", path, "User-Agent: e2e-test/1.0", "Referer: http://example.net/");
        Path accessLog = SERVERS.get(model).accessLog();
        String expected = "\"GET " + path + " HTTP/1.1\" 200 " + source("www.example.com", "about.html").length
                + " \"http://example.net/\" \"e2e-test/1.0\" \"www.example.com\" identity ";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (!Files.readString(accessLog).contains(expected)) {
            assertThat(System.nanoTime()).as("access log line %s in %s", expected, accessLog).isLessThan(deadline);
            Thread.sleep(50);
        }
        assertThat(Files.readString(accessLog)).containsPattern(
                "(?m)^127\\.0\\.0\\.1 - - \\[\\d\\d/\\w{3}/\\d{4}:\\d\\d:\\d\\d:\\d\\d \\+0000] \"GET " + path.replace("?", "\\?"));
    }
}
