package dev.webroot.httpd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SocketActivationTest {
    @Test
    void namedSocketsFromDescriptorThreeOnTakeTheirRoles() {
        assertThat(SocketActivation.fromEnvironment(
                Map.of("LISTEN_PID", "42", "LISTEN_FDS", "3", "LISTEN_FDNAMES", "http:https:admin"), 42))
                .containsExactly(new SocketActivation.Inherited(3, "http"), new SocketActivation.Inherited(4, "https"),
                        new SocketActivation.Inherited(5, "admin"));
    }

    @Test
    void unnamedSocketsAreCleartextListeners() {
        assertThat(SocketActivation.fromEnvironment(Map.of("LISTEN_PID", "7", "LISTEN_FDS", "2"), 7))
                .containsExactly(new SocketActivation.Inherited(3, "http"), new SocketActivation.Inherited(4, "http"));
    }

    @Test
    void socketsMeantForAnotherProcessAreNotTaken() {
        assertThat(SocketActivation.fromEnvironment(Map.of("LISTEN_PID", "8", "LISTEN_FDS", "1"), 7)).isEmpty();
        assertThat(SocketActivation.fromEnvironment(Map.of(), 7)).isEmpty();
    }

    @Test
    void malformedVariablesAndUnknownNamesAreRefusedByName() {
        assertThatThrownBy(() -> SocketActivation.fromEnvironment(Map.of("LISTEN_PID", "7", "LISTEN_FDS", "x"), 7))
                .hasMessage("LISTEN_FDS is not a number: 'x'");
        assertThatThrownBy(() -> SocketActivation.fromEnvironment(
                Map.of("LISTEN_PID", "7", "LISTEN_FDS", "2", "LISTEN_FDNAMES", "http"), 7))
                .hasMessage("LISTEN_FDNAMES names 1 sockets, LISTEN_FDS says 2");
        assertThatThrownBy(() -> SocketActivation.fromEnvironment(
                Map.of("LISTEN_PID", "7", "LISTEN_FDS", "1", "LISTEN_FDNAMES", "httpd.socket"), 7))
                .hasMessageContaining("socket 3 passed by systemd is named 'httpd.socket'")
                .hasMessageContaining("http, https, admin");
    }

    @Test
    void theWatchdogIntervalIsOnlyTakenWhenItIsMeantForThisProcess() {
        assertThat(SystemdNotify.watchdogMicros(Map.of("WATCHDOG_USEC", "30000000"), 7)).isEqualTo(30_000_000);
        assertThat(SystemdNotify.watchdogMicros(Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "7"), 7))
                .isEqualTo(30_000_000);
        assertThat(SystemdNotify.watchdogMicros(Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "8"), 7)).isZero();
        assertThat(SystemdNotify.watchdogMicros(Map.of(), 7)).isZero();
        assertThatThrownBy(() -> SystemdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", "relative")))
                .hasMessageContaining("neither a path nor an @abstract name");
        assertThat(SystemdNotify.fromEnvironment(Map.of())).isNull();
    }
}
