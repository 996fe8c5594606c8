package dev.webroot.format;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RulePatternsTest {
    @Test
    void literalPlaceholderAndSplatMatching() {
        assertThat(RulePatterns.matches("/about", "/about")).isTrue();
        assertThat(RulePatterns.matches("/about", "/about/")).isFalse();
        assertThat(RulePatterns.matches("/about", "/abou")).isFalse();
        assertThat(RulePatterns.matches("/blog/*", "/blog/")).isTrue();
        assertThat(RulePatterns.matches("/blog/*", "/blog/a/b")).isTrue();
        assertThat(RulePatterns.matches("/blog/*", "/blog")).isFalse();
        assertThat(RulePatterns.matches("/*", "/")).isTrue();
        assertThat(RulePatterns.matches("/news/:year/:slug", "/news/2024/hello")).isTrue();
        assertThat(RulePatterns.matches("/news/:year/:slug", "/news/2024/")).isFalse();
        assertThat(RulePatterns.matches("/news/:year/:slug", "/news/2024/hello/more")).isFalse();
        assertThat(RulePatterns.matches("/a:b", "/a:b")).as("a colon inside a segment is literal").isTrue();
        assertThat(RulePatterns.matches("/caf\u00e9/*", "/caf\u00e9/x")).isTrue();
    }

    @Test
    void substitutionPutsCapturesByName() {
        assertThat(RulePatterns.substitute("/blog/*", "/posts/:splat", "/blog/2024/x")).isEqualTo("/posts/2024/x");
        assertThat(RulePatterns.substitute("/news/:year/:slug", "/:slug-:year.html", "/news/2024/hi"))
                .isEqualTo("/hi-2024.html");
        assertThat(RulePatterns.substitute("/a/:x", "https://h.example:8080/:x", "/a/b")).isEqualTo("https://h.example:8080/b");
        assertThat(RulePatterns.unknownPlaceholder("/a/:x", "/b/:y")).isEqualTo(":y");
        assertThat(RulePatterns.unknownPlaceholder("/a/:x", "/b/:splat")).isEqualTo(":splat");
        assertThat(RulePatterns.unknownPlaceholder("/a/*", "/b/:splat")).isNull();
        assertThat(RulePatterns.hasPlaceholders("/a/*", "/b/")).isFalse();
    }

    @Test
    void badPatternsAreNamed() {
        assertThat(RulePatterns.problem("/ok/:name/*")).isNull();
        assertThat(RulePatterns.problem("about")).contains("starting with '/'");
        assertThat(RulePatterns.problem("/a/*/b")).contains("splat");
        assertThat(RulePatterns.problem("/a/:1x")).contains("placeholder");
        assertThat(RulePatterns.problem("/a/:x/:x")).contains("twice");
        assertThat(RulePatterns.problem("/a/:splat")).contains(":splat");
        assertThat(RulePatterns.problem("/a?b=1")).contains("queries");
        assertThat(RulePatterns.problem("/a//b")).contains("empty");
        assertThat(RulePatterns.problem("/a/../b")).contains("dot");
        assertThat(RulePatterns.problem("/a/..")).contains("dot");
        assertThat(RulePatterns.problem("/dir/")).isNull();
        assertThat(RulePatterns.problem("/:a/:b/:c/:d/:e/:f/:g/:h/:i")).contains("at most 8");
    }
}
