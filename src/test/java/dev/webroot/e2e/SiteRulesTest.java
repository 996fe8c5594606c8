package dev.webroot.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * A site with {@code _headers}, {@code _redirects} and {@code --clean-urls}, packed by scripts/mkroot
 * and served by the real httpd over each I/O model (one server per model).
 */
@Timeout(120)
class SiteRulesTest {
    static final List<String> MODELS = Project.MODELS;
    private static final ServersByModel SERVERS = new ServersByModel(false, model -> Server.start(SiteRulesTest.vhosts, model));
    private static final String SHELL = "<!doctype html><title>app</title>\n" + "<p>single-page app shell</p>\n".repeat(40);
    private static Path vhosts;

    @BeforeAll
    static void pack() throws Exception {
        Path work = Project.freshDirectory("rules");
        Path site = Files.createDirectories(work.resolve("site"));
        Files.writeString(site.resolve("index.html"), SHELL);
        Files.writeString(site.resolve("about.html"), "<h1>about</h1>\n");
        Files.createDirectories(site.resolve("assets"));
        Files.writeString(site.resolve("assets/app.css"), "body{margin:0}\n");
        Files.writeString(site.resolve("_headers"), """
                /*
                  X-Frame-Options: DENY
                  Content-Security-Policy: default-src 'self'
                /assets/*
                  Cache-Control: public, max-age=31536000, immutable
                  ! Content-Security-Policy
                """);
        Files.writeString(site.resolve("_redirects"), """
                /blog/*          /posts/:splat     301
                /go/:name        https://example.com/:name  302
                /about           /index.html       200!
                /*               /index.html       200
                """);
        Path webroot = work.resolve("rules.webroot");
        Project.mkroot(site, webroot, "--clean-urls", "--encodings", "gzip");
        vhosts = Files.createDirectories(work.resolve("vhosts"));
        Files.createSymbolicLink(vhosts.resolve("__default__"), webroot);
    }

    private static int port(String model) throws Exception {
        return SERVERS.get(model).port;
    }

    @AfterAll
    static void stopServers() throws Exception {
        SERVERS.stopAll();
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void redirectsPutCapturesInTheLocation(String model) throws Exception {
        int port = port(model);
        Http.Response splat = Http.get(port, "rules.test", "/blog/2024/a%20post?ref=feed");
        assertThat(splat.status()).isEqualTo(301);
        assertThat(splat.header("Location")).isEqualTo("/posts/2024/a%20post?ref=feed");
        assertThat(splat.header("Content-Length")).isEqualTo("0");
        Http.Response absolute = Http.get(port, "rules.test", "/go/docs");
        assertThat(absolute.status()).isEqualTo(302);
        assertThat(absolute.header("Location")).isEqualTo("https://example.com/docs");
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void rewritesServeTheTargetWithNegotiationConditionalsAndRanges(String model) throws Exception {
        int port = port(model);
        Http.Response spa = Http.get(port, "rules.test", "/app/deep/route");
        assertThat(spa.status()).isEqualTo(200);
        assertThat(spa.text()).isEqualTo(SHELL);
        assertThat(spa.header("X-Frame-Options")).isEqualTo("DENY");
        Http.Response gzip = Http.get(port, "rules.test", "/app/x", "Accept-Encoding: gzip");
        assertThat(gzip.header("Content-Encoding")).isEqualTo("gzip");
        assertThat(new String(Http.decode("gzip", gzip.body()), StandardCharsets.UTF_8)).isEqualTo(SHELL);
        assertThat(Http.get(port, "rules.test", "/app/x", "If-None-Match: " + spa.header("ETag")).status()).isEqualTo(304);
        Http.Response range = Http.get(port, "rules.test", "/app/x", "Range: bytes=2-10");
        assertThat(range.status()).isEqualTo(206);
        assertThat(range.text()).isEqualTo(SHELL.substring(2, 11));
        Http.Response head = Http.head(port, "rules.test", "/app/x");
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.header("Content-Length")).isEqualTo(String.valueOf(SHELL.length()));
        assertThat(head.body()).isEmpty();
        Http.Response forced = Http.get(port, "rules.test", "/about");
        assertThat(forced.text()).as("a forced rule over the clean URL of about.html").isEqualTo(SHELL);
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void cleanUrlsAndHeaderRules(String model) throws Exception {
        int port = port(model);
        Http.Response html = Http.get(port, "rules.test", "/about.html?x=1");
        assertThat(html.status()).isEqualTo(308);
        assertThat(html.header("Location")).isEqualTo("about?x=1");
        Http.Response index = Http.get(port, "rules.test", "/index.html");
        assertThat(index.status()).isEqualTo(308);
        assertThat(index.header("Location")).isEqualTo("./");
        Http.Response css = Http.get(port, "rules.test", "/assets/app.css");
        assertThat(css.status()).isEqualTo(200);
        assertThat(css.header("Cache-Control")).isEqualTo("public, max-age=31536000, immutable");
        assertThat(css.header("X-Frame-Options")).isEqualTo("DENY");
        assertThat(css.header("Content-Security-Policy")).isNull();
        Http.Response root = Http.get(port, "rules.test", "/");
        assertThat(root.header("Content-Security-Policy")).isEqualTo("default-src 'self'");
        assertThat(root.header("Cache-Control")).isEqualTo("no-cache");
    }
}
