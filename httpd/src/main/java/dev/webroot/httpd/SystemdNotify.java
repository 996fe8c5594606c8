package dev.webroot.httpd;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.webroot.io.model.LibC;
import dev.webroot.io.model.NativeCallException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * systemd's readiness protocol ({@code sd_notify(3)}): datagrams such as {@code READY=1} sent to the
 * unix socket named by {@code NOTIFY_SOCKET} (a path, or {@code @name} in the abstract namespace).
 * The JDK's unix-domain channels are stream sockets only, so the datagram socket is made with the C
 * library's {@code socket}, {@code connect} and {@code send}, once per message: a few a minute at most.
 */
final class SystemdNotify {
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int MSG_NOSIGNAL = 0x4000;
    /** sizeof(struct sockaddr_un): sun_family, then 108 bytes of path. */
    private static final int SOCKADDR_UN_BYTES = 110;

    private static final MemorySegment SOCKET = LibC.function("socket");
    private static final MemorySegment CONNECT = LibC.function("connect");
    private static final MemorySegment SEND = LibC.function("send");
    private static final MemorySegment CLOSE = LibC.function("close");

    private final byte[] address;
    private final int addressLength;
    private final String socketName;

    private SystemdNotify(String socketName) {
        this.socketName = socketName;
        byte[] path = socketName.getBytes(StandardCharsets.UTF_8);
        boolean abstractName = path[0] == '@';
        if (abstractName) {
            path[0] = 0;
        }
        if (path.length >= SOCKADDR_UN_BYTES - 2) {
            throw new IllegalArgumentException("NOTIFY_SOCKET is longer than a unix socket address allows: " + socketName);
        }
        address = new byte[SOCKADDR_UN_BYTES];
        address[0] = (byte) AF_UNIX;
        System.arraycopy(path, 0, address, 2, path.length);
        // A path ends in NUL; an abstract name is exactly its bytes.
        addressLength = 2 + path.length + (abstractName ? 0 : 1);
    }

    /** The notifier systemd asked for, or null when {@code NOTIFY_SOCKET} is not set. */
    static SystemdNotify fromEnvironment(Map<String, String> environment) {
        String socket = environment.get("NOTIFY_SOCKET");
        if (socket == null || socket.isEmpty()) {
            return null;
        }
        if (socket.charAt(0) != '/' && socket.charAt(0) != '@') {
            throw new IllegalArgumentException("NOTIFY_SOCKET is neither a path nor an @abstract name: " + socket);
        }
        return new SystemdNotify(socket);
    }

    /** Sends one state message (lines of {@code NAME=value}); throws with the reason when it cannot. */
    void send(String state) {
        byte[] message = state.getBytes(StandardCharsets.UTF_8);
        try (Arena arena = Arena.ofConfined()) {
            int fd = LibC.callInt("socket", SOCKET, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, 0, 0);
            try {
                LibC.callInt("connect", CONNECT, fd, arena.allocateFrom(JAVA_BYTE, address).address(), addressLength, 0, 0);
                LibC.callLong("send", SEND, fd, arena.allocateFrom(JAVA_BYTE, message).address(), message.length, MSG_NOSIGNAL, 0);
            } finally {
                LibC.callIgnoringErrno(CLOSE, fd, 0, 0);
            }
        } catch (NativeCallException e) {
            throw new IllegalStateException("cannot notify systemd at " + socketName + ": " + e.getMessage(), e);
        }
    }

    /** The watchdog interval in microseconds that systemd asked this process for, or 0 for none. */
    static long watchdogMicros(Map<String, String> environment, long pid) {
        String usec = environment.get("WATCHDOG_USEC");
        String watchdogPid = environment.get("WATCHDOG_PID");
        if (usec == null || watchdogPid != null && !watchdogPid.equals(Long.toString(pid))) {
            return 0;
        }
        try {
            return Math.max(0, Long.parseLong(usec.trim()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
