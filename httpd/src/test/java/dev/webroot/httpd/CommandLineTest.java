package dev.webroot.httpd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.webroot.httpd.core.Limits;
import dev.webroot.io.IoSettings;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandLineTest {
    private static Settings parse(String... args) throws CommandLine.UsageException {
        return CommandLine.parse(List.of(args));
    }

    @Test
    void defaultsApplyToWhatIsNotGiven() throws Exception {
        Settings settings = parse("vhosts");
        assertThat(settings.vhostsDir()).isEqualTo(Path.of("vhosts"));
        assertThat(settings.model()).isEqualTo("epoll");
        assertThat(settings.listen()).extracting(Httpd::url).containsExactly("http://127.0.0.1:8080");
        assertThat(settings.tls()).isNull();
        assertThat(settings.backlog()).isEqualTo(65535);
        assertThat(settings.vhostsRescan()).isEqualTo(Duration.ofMillis(500));
        assertThat(settings.accessLog()).isEqualTo("-");
        assertThat(settings.errorLog()).isEqualTo("-");
        assertThat(settings.user()).isNull();
        assertThat(settings.limits()).isEqualTo(Limits.defaults());
        assertThat(settings.ioSettings()).isEqualTo(IoSettings.defaults());
    }

    @Test
    void theAdminListenerIsOffUnlessAnAddressIsGiven() throws Exception {
        assertThat(parse("vhosts").admin()).isNull();
        assertThat(Httpd.url(parse("vhosts", "--admin", "127.0.0.1:9180").admin())).isEqualTo("http://127.0.0.1:9180");
        assertThat(Httpd.url(parse("vhosts", "--admin=[::1]:0").admin())).isEqualTo("http://[0:0:0:0:0:0:0:1]:0");
        assertThatThrownBy(() -> parse("vhosts", "--admin", "9180"))
                .hasMessageStartingWith("--admin: '9180' is not HOST:PORT");
    }

    @Test
    void theTlsEngineIsTheJdksUnlessAnotherIsAskedFor() throws Exception {
        assertThat(parse("vhosts", "--listen-tls", "127.0.0.1:8443", "--tls-certs", "certs").tls().engine())
                .isEqualTo(Settings.TlsEngineChoice.JDK);
        assertThat(parse("vhosts", "--listen-tls", "127.0.0.1:8443", "--tls-certs", "certs", "--tls-engine", "auto")
                .tls().engine()).isEqualTo(Settings.TlsEngineChoice.AUTO);
        assertThat(parse("vhosts", "--listen-tls", "127.0.0.1:8443", "--tls-certs", "certs", "--tls-engine", "openssl")
                .tls().engine()).isEqualTo(Settings.TlsEngineChoice.OPENSSL);
        assertThat(parse("vhosts", "--listen-tls", "127.0.0.1:8443", "--tls-certs", "certs", "--tls-engine=jdk")
                .tls().engine()).isEqualTo(Settings.TlsEngineChoice.JDK);
        assertThatThrownBy(() -> parse("vhosts", "--listen-tls", "127.0.0.1:8443", "--tls-certs", "certs",
                "--tls-engine", "boringssl")).hasMessage("--tls-engine: 'boringssl' is not one of jdk, openssl, auto");
        assertThatThrownBy(() -> parse("vhosts", "--tls-engine", "openssl"))
                .hasMessage("--tls-engine needs a --listen-tls address");
        assertThat(CommandLine.help()).contains("--tls-engine=jdk|openssl|auto", "libssl.so.3");
    }

    @Test
    void theHelpShowsTheDefaultsTheServerUses() {
        Limits limits = Limits.defaults();
        assertThat(CommandLine.help()).contains("(default: 75s)", "(default: 60s)", "(default: 10s)",
                "(default: " + limits.maxRequestLineBytes() + ")", "(default: " + limits.maxHeaderBytes() + ")",
                "(default: " + IoSettings.defaults().sendfileThreshold() + ")", "(default: 500ms)");
    }

    @Test
    void valuesFollowTheOptionOrAnEqualsSign() throws Exception {
        Settings settings = parse("--workers", "3", "--access-log=/var/log/x=y.log", "vhosts", "--io=sync");
        assertThat(settings.workers()).isEqualTo(3);
        assertThat(settings.accessLog()).isEqualTo("/var/log/x=y.log");
        assertThat(settings.model()).isEqualTo("sync");
        assertThat(parse("--access-log", "-", "vhosts").accessLog()).isEqualTo("-");
    }

    @Test
    void theAccessLogFormatIsCombinedOrJson() throws Exception {
        assertThat(parse("vhosts").accessLogFormat()).isEqualTo("combined");
        assertThat(parse("--access-log-format", "json", "vhosts").accessLogFormat()).isEqualTo("json");
        assertThatThrownBy(() -> parse("--access-log-format", "xml", "vhosts"))
                .isInstanceOf(CommandLine.UsageException.class)
                .hasMessage("--access-log-format: 'xml' is not one of combined, json");
    }

    @Test
    void theModelMayFollowTheVhostsDirectoryAsInAshttpd() throws Exception {
        assertThat(parse("vhosts", "async").model()).isEqualTo("async");
        assertThat(parse("vhosts", "async", "--io", "async").model()).isEqualTo("async");
    }

    @Test
    void argumentsAfterADoubleDashArePositional() throws Exception {
        assertThat(parse("--", "-vhosts").vhostsDir()).isEqualTo(Path.of("-vhosts"));
        assertThat(CommandLine.asksForHelp(List.of("--", "--help"))).isFalse();
    }

    @Test
    void eachMistakeIsNamed() throws Exception {
        assertThatThrownBy(() -> parse("vhosts", "--frobnicate")).hasMessage("unknown option '--frobnicate'");
        assertThatThrownBy(() -> parse("vhosts", "--listen")).hasMessage("--listen needs a value (HOST:PORT)");
        assertThatThrownBy(() -> parse("vhosts", "--io", "sync", "--io=async"))
                .hasMessage("--io is given more than once");
        assertThatThrownBy(() -> parse("vhosts", "sync", "extra"))
                .hasMessage("unexpected argument 'extra' (after VHOSTS_DIR and MODEL)");
        assertThatThrownBy(() -> parse("--workers", "2")).hasMessage("missing VHOSTS_DIR, the directory of virtual hosts");
        assertThatThrownBy(() -> parse("vhosts", "--backlog", "many")).hasMessage("--backlog: 'many' is not a whole number");
        assertThatThrownBy(() -> parse("vhosts", "--max-connections", "3000000000"))
                .hasMessage("--max-connections must be at most 2147483647, not 3000000000");
        assertThatThrownBy(() -> parse("vhosts", "--send-timeout", "0ms")).hasMessage("--send-timeout must be longer than zero");
        assertThatThrownBy(() -> parse("vhosts", "--user", " ")).hasMessage("--user needs a user name");
        assertThatThrownBy(() -> parse("vhosts", "--keepalive-timeout", "999999999h"))
                .hasMessage("--keepalive-timeout must be at most 24h, not 999999999h");
        assertThat(parse("vhosts", "--keepalive-timeout", "24h").keepAliveTimeout()).isEqualTo(Duration.ofDays(1));
        assertThatThrownBy(() -> parse("vhosts", "--max-header-bytes", "100"))
                .hasMessage("--max-header-bytes must be at least 256, not 100");
    }

    @Test
    void aZeroShutdownGraceIsAllowed() throws Exception {
        assertThat(parse("vhosts", "--shutdown-grace", "0").shutdownGrace()).isZero();
    }

    @Test
    void parsesListenAddresses() {
        InetSocketAddress v4 = CommandLine.parseListenAddress("127.0.0.1:8080");
        assertThat(Httpd.url(v4)).isEqualTo("http://127.0.0.1:8080");
        InetSocketAddress v6 = CommandLine.parseListenAddress("[::1]:0");
        assertThat(Httpd.url(v6)).isEqualTo("http://[0:0:0:0:0:0:0:1]:0");
        assertThatThrownBy(() -> CommandLine.parseListenAddress("::1:80")).hasMessageContaining("brackets");
        assertThatThrownBy(() -> CommandLine.parseListenAddress("127.0.0.1:70000")).hasMessageContaining("0 to 65535");
        assertThatThrownBy(() -> CommandLine.parseListenAddress("127.0.0.1:")).hasMessageContaining("is not HOST:PORT");
    }

    @Test
    void parsesDurations() {
        assertThat(CommandLine.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(CommandLine.parseDuration("60s")).isEqualTo(Duration.ofSeconds(60));
        assertThat(CommandLine.parseDuration("75")).isEqualTo(Duration.ofSeconds(75));
        assertThat(CommandLine.parseDuration("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(CommandLine.parseDuration("1h")).isEqualTo(Duration.ofHours(1));
        assertThatThrownBy(() -> CommandLine.parseDuration("1.5s")).hasMessageContaining("is not a duration");
    }
}
