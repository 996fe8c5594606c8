/**
 * The admin listener: {@link dev.webroot.httpd.admin.AdminEndpoints}, a protocol-core responder
 * serving {@code /metrics} (Prometheus text format 0.0.4), {@code /healthz}, {@code /readyz} and
 * {@code /vhosts}, and {@link dev.webroot.httpd.admin.RequestMetrics}, the per-response counters that
 * ride on the access log's hook. Counters are striped by thread and summed at scrape time, so the
 * serving path allocates nothing for them; connection counters come from the I/O model, handshake
 * counters from the TLS factory, vhost counters from the registry.
 */
package dev.webroot.httpd.admin;
