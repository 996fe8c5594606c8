package dev.webroot.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Usage errors exit 2 and failures 1, each with one line that says why. */
class FleetCommandLineTest {
    private record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Fleet.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void usageErrorsExitTwoNamingTheProblem() {
        assertThat(run().exit()).isEqualTo(2);
        assertThat(run("deploy").err()).contains("unknown command 'deploy'");
        assertThat(run("publish", "only-a-file").err()).contains("publish takes FILE SITE");
        Run badSite = run("publish", "f.webroot", "../etc");
        assertThat(badSite.exit()).isEqualTo(2);
        assertThat(badSite.err()).contains("invalid site name '../etc'");
        assertThat(run("publish", "f", "www", "--timeout", "soon").err()).contains("expected a duration");
        assertThat(run("publish", "f", "www", "--source", "ftp://x/y").err()).contains("--source must be an http(s) URL");
        assertThat(run("--etcd", "localhost:2379", "status", "www").err()).contains("etcd endpoint must be an http(s)://HOST:PORT URL");
        assertThat(run("agent", "--store", "s").err()).contains("--vhosts is required");
        assertThat(run("agent", "--vhosts", "/tmp", "--store", "s", "--keep").err()).contains("--keep needs a value");
        assertThat(run("status", "www", "--keep", "3").err()).contains("unknown option '--keep'");
    }

    @Test
    void failuresExitOne() throws Exception {
        Run missing = run("publish", "/nonexistent/site.webroot", "www");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("/nonexistent/site.webroot: no such file");

        Path junk = Files.writeString(Files.createTempFile("junk", ".webroot"), "not a webroot");
        Run invalid = run("publish", junk.toString(), "www");
        assertThat(invalid.exit()).isEqualTo(1);
        assertThat(invalid.err()).contains("not a valid webroot");
        Files.delete(junk);

        Run unreachable = run("--etcd", "http://127.0.0.1:" + Proc.freePort(), "status", "www");
        assertThat(unreachable.exit()).isEqualTo(1);
        assertThat(unreachable.err()).contains("unreachable");
    }

    @Test
    void aCatchUpWithoutEtcdLeavesTheLinksAsTheyAreAndExitsOneWithinItsLimit() throws Exception {
        // A process: the agent logs to the process's stderr.
        Path dir = Proc.fresh("catch-up");
        Path vhosts = Files.createDirectories(dir.resolve("vhosts"));
        Path old = Files.writeString(dir.resolve("old.webroot"), "the last version this node served");
        Files.createSymbolicLink(vhosts.resolve("www"), old);
        long started = System.nanoTime();
        Proc.Result run = Proc.run(Proc.fleetCommand("--etcd", "http://127.0.0.1:" + Proc.freePort(), "agent",
                "--vhosts", vhosts.toString(), "--store", dir.resolve("store").toString(), "--catch-up", "700ms"),
                java.time.Duration.ofSeconds(30));
        assertThat(run.exit()).as(run.output()).isEqualTo(1);
        assertThat(run.output()).contains("etcd unreachable", "for 700 ms: every link is left as it is");
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - started)).as("JVM start and 700 ms")
                .isLessThan(java.time.Duration.ofSeconds(10));
        assertThat(Files.readSymbolicLink(vhosts.resolve("www"))).isEqualTo(old);
        assertThat(run("agent", "--vhosts", vhosts.toString(), "--store", dir.resolve("unused").toString(), "--catch-up", "soon")
                .err()).contains("expected a duration");
        assertThat(dir.resolve("unused")).as("a usage error creates no store").doesNotExist();
    }

    @Test
    void versionLinesRoundTripAndRefuseWhatIsNoHash() {
        Keys.Version version = new Keys.Version("ab".repeat(32), 42, List.of("http://a/x", "https://b/y"));
        assertThat(Keys.Version.parse(version.line())).isEqualTo(version);
        assertThat(Keys.history(Keys.historyValue(List.of(version, version)))).containsExactly(version, version);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Keys.Version.parse("../../etc/passwd 1"))
                .hasMessageContaining("not a SHA-256");
    }

    @Test
    void jsonFromTheGateway() {
        Object parsed = Json.parse("{\"header\":{\"revision\":\"7\"},\"kvs\":[{\"key\":\"YQ==\",\"v\":true,\"n\":null,\"s\":\"\\u00e9\\\"\"}],\"count\":1}");
        assertThat(Json.object(parsed)).containsEntry("count", "1");
        assertThat(Json.object(Json.array(Json.object(parsed).get("kvs")).getFirst())).containsEntry("s", "é\"").containsEntry("v", true);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Json.parse("{\"a\":1} x")).hasMessageContaining("trailing");
    }
}
