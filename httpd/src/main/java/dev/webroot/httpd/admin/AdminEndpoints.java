package dev.webroot.httpd.admin;

import dev.webroot.httpd.core.Responder;
import dev.webroot.httpd.registry.VhostRegistry;
import dev.webroot.httpd.tls.TlsConnectionFactory;
import dev.webroot.io.IoModel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;

/**
 * The admin listener's responder: {@code /metrics} (Prometheus text format 0.0.4), {@code /healthz},
 * {@code /readyz} and {@code /vhosts} (JSON). Everything is read when asked for, from the counters
 * the serving path keeps, the I/O model, the TLS factory and the registry.
 */
public final class AdminEndpoints implements Responder {
    private final RequestMetrics requests;
    private final VhostRegistry registry;
    private final IoModel model;
    private final TlsConnectionFactory tls;
    private final Supplier<ServerState> state;

    /** @param tls the TLS listeners' factory, or null when there are none */
    public AdminEndpoints(RequestMetrics requests, VhostRegistry registry, IoModel model, TlsConnectionFactory tls,
            Supplier<ServerState> state) {
        this.requests = requests;
        this.registry = registry;
        this.model = model;
        this.tls = tls;
        this.state = state;
    }

    @Override
    public Answer answer(byte[] path, int length) {
        return switch (new String(path, 0, length, StandardCharsets.UTF_8)) {
            case "/metrics" -> new Answer(200, MetricsText.CONTENT_TYPE, metrics().bytes());
            case "/healthz" -> Answer.text(200, "ok\n");
            case "/readyz" -> readiness();
            case "/vhosts" -> new Answer(200, "application/json", vhosts().getBytes(StandardCharsets.UTF_8));
            default -> null;
        };
    }

    private Answer readiness() {
        ServerState now = state.get();
        return now == ServerState.SERVING ? Answer.text(200, "ready\n")
                : Answer.text(503, now.name().toLowerCase(java.util.Locale.ROOT) + "\n");
    }

    MetricsText metrics() {
        MetricsText text = new MetricsText();
        requests.writeTo(text);
        text.family("httpd_connections_open", "gauge", "Connections open now, on every listener.")
                .sample("httpd_connections_open", model.openConnections());
        text.family("httpd_connections_max", "gauge", "Connections allowed open at once (--max-connections, as lowered).")
                .sample("httpd_connections_max", model.maxConnections());
        text.family("httpd_connections_accepted_total", "counter", "Connections accepted and admitted.")
                .sample("httpd_connections_accepted_total", model.acceptedConnections());
        text.family("httpd_connections_refused_total", "counter",
                        "Connections closed on accept: past --max-connections, or while stopping.")
                .sample("httpd_connections_refused_total", model.refusedConnections());
        text.family("httpd_connections_timed_out_total", "counter",
                        "Deadlines that passed: request head, keep-alive, send and TLS handshake timeouts.")
                .sample("httpd_connections_timed_out_total", model.timedOutConnections());
        if (tls != null) {
            text.family("httpd_tls_handshakes_total", "counter", "TLS handshakes completed.")
                    .sample("httpd_tls_handshakes_total", tls.completedHandshakes());
            text.family("httpd_tls_handshake_failures_total", "counter",
                            "TLS handshakes that failed (a client that leaves mid-handshake included).")
                    .sample("httpd_tls_handshake_failures_total", tls.failedHandshakes());
        }
        // Not the names that only have a .next entry so far: they are no vhost yet.
        List<VhostRegistry.VhostStatus> vhosts = registry.status(false).stream()
                .filter(v -> v.file() != null || v.swaps() > 0 || v.refusals() > 0).toList();
        text.family("httpd_vhost_serving", "gauge", "1 while a vhost's webroot is served, 0 while it is refused or out of service.");
        vhosts.forEach(v -> text.sample("httpd_vhost_serving", v.inService() ? 1 : 0, "vhost", v.name()));
        text.family("httpd_vhost_swaps_total", "counter", "Replacements of a vhost's webroot put in service.");
        vhosts.forEach(v -> text.sample("httpd_vhost_swaps_total", v.swaps(), "vhost", v.name()));
        text.family("httpd_vhost_refused_webroots_total", "counter", "Webroot files of a vhost refused (invalid, damaged, unreadable).");
        vhosts.forEach(v -> text.sample("httpd_vhost_refused_webroots_total", v.refusals(), "vhost", v.name()));
        text.family("httpd_generations_mapped", "gauge",
                        "Webroot files mapped: served, being verified, or retired and still in use by a response.")
                .sample("httpd_generations_mapped", registry.mappedGenerations());
        text.family("httpd_ready", "gauge", "1 while /readyz answers 200.")
                .sample("httpd_ready", state.get() == ServerState.SERVING ? 1 : 0);
        return text;
    }

    private String vhosts() {
        StringBuilder json = new StringBuilder("[");
        for (VhostRegistry.VhostStatus v : registry.status(true)) {
            if (json.length() > 1) {
                json.append(',');
            }
            json.append("\n  {\"name\": ").append(quote(v.name()))
                    .append(", \"file\": ").append(v.file() == null ? "null" : quote(v.file().toString()))
                    .append(", \"index_sha256\": ").append(v.contentId() == null ? "null" : quote(v.contentId()))
                    .append(", \"entries\": ").append(v.entries() < 0 ? "null" : String.valueOf(v.entries()))
                    .append(", \"loaded_at\": ").append(v.loadedAt() == null ? "null" : quote(v.loadedAt().toString()))
                    .append(", \"serving\": ").append(v.inService())
                    .append(", \"swaps\": ").append(v.swaps())
                    .append(", \"refused\": ").append(v.refusals())
                    .append(", \"next\": ").append(v.next() == null ? "null" : "{\"file\": " + quote(v.next().file().toString())
                            + ", \"state\": " + quote(v.next().state()) + "}")
                    .append('}');
        }
        return json.append(json.length() > 1 ? "\n]\n" : "]\n").toString();
    }

    /** A JSON string: quotes, backslashes and control characters escaped. */
    static String quote(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
