package dev.webroot.httpd;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The listening sockets systemd passes (socket activation, {@code sd_listen_fds(3)}): descriptors 3
 * to 3 + {@code LISTEN_FDS} - 1, meant for this process when {@code LISTEN_PID} is its pid, named by
 * {@code LISTEN_FDNAMES} (colon-separated; the socket unit's {@code FileDescriptorName=}). The name
 * decides each socket's role: {@code http}, {@code https} or {@code admin}.
 */
final class SocketActivation {
    static final int FIRST_DESCRIPTOR = 3;
    static final List<String> ROLES = List.of("http", "https", "admin");

    /** One inherited listening socket and its role. */
    record Inherited(int fd, String role) {}

    private SocketActivation() {}

    /**
     * The sockets passed to process {@code pid}; empty when none were (or they were meant for another
     * process, such as a parent that did not clear the variables).
     *
     * @throws IllegalArgumentException when the variables are malformed or a name is not a role
     */
    static List<Inherited> fromEnvironment(Map<String, String> environment, long pid) {
        String listenPid = environment.get("LISTEN_PID");
        String listenFds = environment.get("LISTEN_FDS");
        if (listenPid == null || listenFds == null || !listenPid.trim().equals(Long.toString(pid))) {
            return List.of();
        }
        int count;
        try {
            count = Integer.parseInt(listenFds.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("LISTEN_FDS is not a number: '" + listenFds + "'");
        }
        if (count < 0 || count > 1024) {
            throw new IllegalArgumentException("LISTEN_FDS is out of range: " + count);
        }
        String names = environment.get("LISTEN_FDNAMES");
        String[] split = names == null ? new String[0] : names.split(":", -1);
        if (names != null && split.length != count) {
            throw new IllegalArgumentException("LISTEN_FDNAMES names " + split.length + " sockets, LISTEN_FDS says " + count);
        }
        List<Inherited> inherited = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            // Without names, every socket is a cleartext listener.
            String role = names == null ? "http" : split[i];
            if (!ROLES.contains(role)) {
                throw new IllegalArgumentException("socket " + (FIRST_DESCRIPTOR + i) + " passed by systemd is named '"
                        + role + "'; name each socket (FileDescriptorName=) one of " + String.join(", ", ROLES));
            }
            inherited.add(new Inherited(FIRST_DESCRIPTOR + i, role));
        }
        return inherited;
    }
}
