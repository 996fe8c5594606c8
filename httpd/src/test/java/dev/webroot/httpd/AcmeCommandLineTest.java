package dev.webroot.httpd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The --acme options: what they set, and the mistakes each gets named for. */
class AcmeCommandLineTest {
    private static final String[] TLS = {"vhosts", "--listen-tls", "127.0.0.1:443", "--tls-certs", "certs"};

    private static Settings parse(String... more) throws CommandLine.UsageException {
        List<String> args = new java.util.ArrayList<>(List.of(TLS));
        args.addAll(List.of(more));
        return CommandLine.parse(args);
    }

    @Test
    void theOptionsAreParsed() throws Exception {
        Settings.Acme acme = parse("--acme", "https://acme-staging-v02.api.letsencrypt.org/directory",
                "--acme-agree-tos", "--acme-email", "ops@example.com", "--acme-trust", "ca.pem",
                "--acme-hosts", ".*\\.example\\.com").tls().acme();
        assertThat(acme.directory()).isEqualTo(URI.create("https://acme-staging-v02.api.letsencrypt.org/directory"));
        assertThat(acme.email()).isEqualTo("ops@example.com");
        assertThat(acme.trust()).isEqualTo(Path.of("ca.pem"));
        assertThat(acme.hosts().matcher("www.example.com").matches()).isTrue();
        assertThat(acme.firstRetry()).isEqualTo(Duration.ofMinutes(1));
        assertThat(parse("--acme", "https://ca.test/dir", "--acme-agree-tos", "--acme-retry", "5s").tls().acme()
                .firstRetry()).isEqualTo(Duration.ofSeconds(5));
        assertThat(parse().tls().acme()).isNull();
    }

    @Test
    void eachMistakeIsNamed() {
        assertThatThrownBy(() -> parse("--acme", "https://ca.test/dir"))
                .hasMessageStartingWith("--acme needs --acme-agree-tos");
        assertThatThrownBy(() -> parse("--acme", "ftp://ca.test/dir", "--acme-agree-tos"))
                .hasMessage("--acme: 'ftp://ca.test/dir' is not an http(s) URL of an ACME directory");
        assertThatThrownBy(() -> parse("--acme", "https://ca.test/dir", "--acme-agree-tos", "--acme-hosts", "("))
                .hasMessageStartingWith("--acme-hosts: '(' is not a regular expression");
        assertThatThrownBy(() -> parse("--acme", "https://ca.test/dir", "--acme-agree-tos", "--acme-email", "ops"))
                .hasMessage("--acme-email: 'ops' is not an e-mail address");
        assertThatThrownBy(() -> parse("--acme", "https://ca.test/dir", "--acme-agree-tos", "--acme-retry", "500ms"))
                .hasMessage("--acme-retry must be between 1s and 1h, not 500ms");
        assertThatThrownBy(() -> parse("--acme", "https://ca.test/dir", "--acme-agree-tos", "--acme-retry", "2h"))
                .hasMessage("--acme-retry must be between 1s and 1h, not 2h");
        assertThatThrownBy(() -> parse("--acme", "https://ca.test/dir", "--acme-agree-tos", "--acme-retry", "soon"))
                .hasMessageStartingWith("--acme-retry: 'soon' is not a duration");
        assertThatThrownBy(() -> parse("--acme-retry", "5s")).hasMessage("--acme-retry needs --acme DIRECTORY_URL");
        assertThatThrownBy(() -> parse("--acme-agree-tos")).hasMessage("--acme-agree-tos needs --acme DIRECTORY_URL");
        assertThatThrownBy(() -> CommandLine.parse(List.of("vhosts", "--acme", "https://ca.test/dir")))
                .hasMessage("--acme needs a --listen-tls address");
        assertThatThrownBy(() -> CommandLine.parse(List.of("vhosts", "--acme-email", "ops@example.com")))
                .hasMessage("--acme-email needs a --listen-tls address");
        assertThatThrownBy(() -> CommandLine.parse(List.of("vhosts", "--tls-handshake-timeout", "5s")))
                .hasMessage("--tls-handshake-timeout needs a --listen-tls address");
    }
}
