package dev.webroot.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The repository under test: its packaged jars, its launchers, and the example sites built once per run. */
final class Project {
    static final List<String> MODELS = List.of("sync", "sendfile", "async", "direct", "epoll");

    private static Path exampleVhosts;

    private Project() {}

    static Path root() {
        return Path.of(System.getProperty("project.root", "../..")).toAbsolutePath().normalize();
    }

    /** Scratch space under the module's target/, kept after the run for post-mortems. */
    static Path work(String name) throws IOException {
        return Files.createDirectories(root().resolve("src/test/target/e2e").resolve(name));
    }

    /** An empty directory under target/ (emptied if a previous run left it), for vhosts the test flips links in. */
    static Path freshDirectory(String name) throws IOException {
        Path dir = work(name);
        try (var entries = Files.walk(dir)) {
            for (Path entry : entries.sorted(java.util.Comparator.reverseOrder()).toList()) {
                if (!entry.equals(dir)) {
                    Files.delete(entry);
                }
            }
        }
        return dir;
    }

    static Path java() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    static Path httpdJar() {
        return root().resolve("httpd/target/httpd.jar");
    }

    /** Builds the example vhosts with vhosts-example/build.sh (and so scripts/mkroot), once per run. */
    static synchronized Path exampleVhosts() throws Exception {
        if (exampleVhosts == null) {
            Path build = work("example");
            Result result = run(List.of(root().resolve("vhosts-example/build.sh").toString(), build.toString()), 120);
            assertThat(result.exitCode()).as("build.sh output: %s", result.output()).isZero();
            exampleVhosts = build.resolve("vhosts");
        }
        return exampleVhosts;
    }

    /** Packs a tree with scripts/mkroot. */
    static void mkroot(Path source, Path webroot, String... options) throws Exception {
        List<String> command = new ArrayList<>(List.of(root().resolve("scripts/mkroot").toString(),
                source.toString(), webroot.toString()));
        command.addAll(List.of(options));
        Result result = run(command, 120);
        assertThat(result.exitCode()).as("mkroot output: %s", result.output()).isZero();
    }

    record Result(int exitCode, String output) {}

    /** Runs a command to completion with JAVA_HOME set to the JDK running the tests. */
    static Result run(List<String> command, int timeoutSeconds) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process process = builder.start();
        process.getOutputStream().close();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(command + " did not finish in " + timeoutSeconds + " s");
        }
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }
}
