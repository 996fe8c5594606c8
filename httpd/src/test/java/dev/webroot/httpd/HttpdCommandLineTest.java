package dev.webroot.httpd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.TypeConversionException;

class HttpdCommandLineTest {
    private record Run(int exitCode, String err) {}

    private static Run run(String... args) {
        StringWriter err = new StringWriter();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        PrintStream original = System.err;
        System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
        try {
            CommandLine commandLine = Httpd.commandLine();
            commandLine.setErr(new PrintWriter(err, true));
            int code = commandLine.execute(args);
            return new Run(code, err + stderr.toString(StandardCharsets.UTF_8));
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
        assertThat(run(dir.toString(), "--listen", "8080").err()).contains("'8080' is not HOST:PORT");
        assertThat(run(dir.toString(), "--keepalive-timeout", "soon").err()).contains("'soon' is not a duration");
        Run workers = run(dir.toString(), "--workers", "-1");
        assertThat(workers.exitCode()).isEqualTo(2);
        assertThat(workers.err()).contains("--workers must be at least 0, not -1");
        assertThat(run().err()).contains("Missing required parameter: 'VHOSTS_DIR'");
    }

    @Test
    void aMissingVhostsDirectoryIsAUsageError(@TempDir Path dir) {
        Run run = run(dir.resolve("absent").toString(), "--listen", "127.0.0.1:0", "--access-log", "off");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("httpd: vhosts directory " + dir.resolve("absent") + " does not exist");
    }

    @Test
    void helpListsTheOptionsAndExitsZero() {
        Run run = run("--help");
        assertThat(run.exitCode()).isZero();
    }

    @Test
    void parsesListenAddresses() {
        ListenAddressConverter converter = new ListenAddressConverter();
        InetSocketAddress v4 = converter.convert("127.0.0.1:8080");
        assertThat(Httpd.url(v4)).isEqualTo("http://127.0.0.1:8080");
        InetSocketAddress v6 = converter.convert("[::1]:0");
        assertThat(Httpd.url(v6)).isEqualTo("http://[0:0:0:0:0:0:0:1]:0");
        assertThatThrownBy(() -> converter.convert("::1:80")).isInstanceOf(TypeConversionException.class)
                .hasMessageContaining("brackets");
        assertThatThrownBy(() -> converter.convert("127.0.0.1:70000")).hasMessageContaining("0 to 65535");
    }

    @Test
    void parsesDurations() {
        DurationConverter converter = new DurationConverter();
        assertThat(converter.convert("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(converter.convert("60s")).isEqualTo(Duration.ofSeconds(60));
        assertThat(converter.convert("75")).isEqualTo(Duration.ofSeconds(75));
        assertThat(converter.convert("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThatThrownBy(() -> converter.convert("1.5s")).isInstanceOf(TypeConversionException.class);
    }
}
