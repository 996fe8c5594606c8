package dev.webroot.io.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The bytes queued in this host's TCP sockets, as {@code /proc/net/tcp} and {@code tcp6} list them.
 * sendfile queues references to page-cache pages, not copies: until they have left the host, an
 * in-place write to the file changes what the peer receives. They have left once the sending
 * socket's queue is empty (sent and acknowledged) and, when the peer is a socket on this host (a
 * loopback client, whose receive queue holds the same pages), the peer has read them. Read only
 * when a writer waits for a read lease, never per request.
 */
final class SocketQueues {
    private static final List<Path> TABLES = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));
    /** Socket states with nothing to deliver: LISTEN, TIME_WAIT and CLOSE. */
    private static final Set<String> QUIET_STATES = Set.of("0A", "06", "07");
    /** The prefix of an IPv4-mapped IPv6 address as {@code /proc/net/tcp6} prints it. */
    private static final String V4_MAPPED = "0000000000000000FFFF0000";
    private static final long POLL_MILLIS = 5;

    private SocketQueues() {}

    /**
     * Waits until every socket on one of the {@code localPorts} that had bytes queued when called
     * has been seen with none (bytes queued since belong to later writes), or {@code deadlineNanos}
     * (System.nanoTime) passes. Returns the number of sockets still holding bytes: 0 when all drained.
     */
    static int awaitDrained(Set<Integer> localPorts, long deadlineNanos) throws IOException, InterruptedException {
        Set<String> pending = queued(localPorts).keySet();
        while (!pending.isEmpty()) {
            if (System.nanoTime() - deadlineNanos >= 0) {
                return pending.size();
            }
            Thread.sleep(POLL_MILLIS);
            Set<String> still = queued(localPorts).keySet();
            pending.retainAll(still);
        }
        return 0;
    }

    /**
     * The sockets on the given local ports that hold bytes not yet delivered, keyed by
     * "local remote", with the count: their own send queue plus, for a peer on this host, its
     * receive queue.
     */
    static Map<String, Long> queued(Set<Integer> localPorts) throws IOException {
        Map<String, Long> receiveQueues = new HashMap<>();
        Map<String, Long> sendQueues = new HashMap<>();
        Set<String> ours = new HashSet<>();
        for (Path table : TABLES) {
            if (!Files.isReadable(table)) {
                continue;
            }
            for (String line : Files.readAllLines(table)) {
                String[] fields = line.trim().split("\\s+");
                if (fields.length < 5 || !fields[0].endsWith(":") || QUIET_STATES.contains(fields[3])) {
                    continue;
                }
                String local = normalise(fields[1]);
                String remote = normalise(fields[2]);
                int colon = fields[4].indexOf(':');
                if (local == null || remote == null || colon < 0) {
                    continue;
                }
                String key = local + " " + remote;
                receiveQueues.put(key, Long.parseLong(fields[4], colon + 1, fields[4].length(), 16));
                if (localPorts.contains(port(local))) {
                    sendQueues.put(key, Long.parseLong(fields[4], 0, colon, 16));
                    ours.add(key);
                }
            }
        }
        Map<String, Long> queued = new HashMap<>();
        for (String key : ours) {
            int space = key.indexOf(' ');
            Long peerReceiving = receiveQueues.get(key.substring(space + 1) + " " + key.substring(0, space));
            long bytes = sendQueues.get(key) + (peerReceiving == null ? 0 : peerReceiving);
            if (bytes > 0) {
                queued.put(key, bytes);
            }
        }
        return queued;
    }

    /** "ADDRESS:PORT" in hex, with an IPv4-mapped IPv6 address written as the IPv4 table writes it, so that both ends of a connection match. */
    private static String normalise(String endpoint) {
        int colon = endpoint.indexOf(':');
        if (colon < 0) {
            return null;
        }
        String address = endpoint.substring(0, colon);
        if (address.length() == 32 && address.startsWith(V4_MAPPED)) {
            return address.substring(V4_MAPPED.length()) + endpoint.substring(colon);
        }
        return endpoint;
    }

    private static int port(String endpoint) {
        return Integer.parseInt(endpoint, endpoint.indexOf(':') + 1, endpoint.length(), 16);
    }
}
