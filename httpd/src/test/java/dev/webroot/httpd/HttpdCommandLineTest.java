package dev.webroot.httpd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HttpdCommandLineTest {
    private record Run(int exitCode, String out, String err) {}

    private static Run run(String... args) {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        PrintStream original = System.err;
        PrintStream err = new PrintStream(stderr, true, StandardCharsets.UTF_8);
        System.setErr(err);
        try {
            int code = Httpd.run(List.of(args), new PrintStream(stdout, true, StandardCharsets.UTF_8), err);
            return new Run(code, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(original);
        }
    }

    @Test
    void anUnknownModelIsAUsageError(@TempDir Path dir) {
        Run run = run(dir.toString(), "--io", "turbo");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("unknown I/O model 'turbo'; valid models: sync, sendfile, async, direct, epoll");
    }

    @Test
    void thePositionalModelMustAgreeWithIo(@TempDir Path dir) {
        Run run = run(dir.toString(), "sync", "--io", "async");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("MODEL 'sync' and --io async");
    }

    @Test
    void badValuesAreNamed(@TempDir Path dir) {
        assertThat(run(dir.toString(), "--listen", "8080").err()).contains("--listen: '8080' is not HOST:PORT");
        assertThat(run(dir.toString(), "--keepalive-timeout", "soon").err())
                .contains("--keepalive-timeout: 'soon' is not a duration");
        Run workers = run(dir.toString(), "--workers", "-1");
        assertThat(workers.exitCode()).isEqualTo(2);
        assertThat(workers.err()).isEqualTo("httpd: --workers must be at least 0, not -1\n"
                + "Try 'httpd --help' for the options.\n");
        assertThat(run().err()).contains("missing VHOSTS_DIR");
    }

    @Test
    void aMissingVhostsDirectoryIsAUsageError(@TempDir Path dir) {
        Run run = run(dir.resolve("absent").toString(), "--listen", "127.0.0.1:0", "--access-log", "off");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("httpd: vhosts directory " + dir.resolve("absent") + " does not exist");
    }

    @Test
    void helpListsEveryOptionWithItsDefaultAndWinsOverErrors() {
        Run run = run("--no-such-option", "--help");
        assertThat(run.exitCode()).isZero();
        assertThat(run.err()).isEmpty();
        assertThat(run.out()).startsWith("Usage: httpd [OPTIONS] VHOSTS_DIR [MODEL]\n")
                .contains("  --listen=HOST:PORT\n", "(default: 127.0.0.1:8080)", "  --io=MODEL\n", "(default: epoll)",
                        "  --user=NAME\n", "  --vhosts-rescan=DURATION\n", "(default: 500ms)", "Exit codes:");
        assertThat(run.out().lines()).allMatch(line -> line.length() <= 80);
    }

    @Test
    void versionPrintsTheVersion() {
        Run run = run("-V");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).isEqualTo("httpd 0.1.0\n");
    }
}
