package dev.webroot.httpd;

import dev.webroot.httpd.core.Limits;
import dev.webroot.io.IoSettings;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Everything the command line decides, checked and converted; {@link CommandLine} builds it. {@code admin}
 * is the admin listener's address, or null when there is none.
 */
record Settings(
        Path vhostsDir,
        String model,
        List<InetSocketAddress> listen,
        int workers,
        int maxConnections,
        int backlog,
        Duration requestHeadTimeout,
        Duration keepAliveTimeout,
        Duration sendTimeout,
        int maxRequestsPerConnection,
        int maxRequestLineBytes,
        int maxHeaderBytes,
        long sendfileThreshold,
        String accessLog,
        String accessLogFormat,
        boolean http2,
        String errorLog,
        Duration shutdownGrace,
        Duration vhostsRescan,
        String user,
        Tls tls,
        InetSocketAddress admin) {

    /**
     * The HTTPS side, or null when there is no TLS listener: its addresses, the certificate directory,
     * the handshake timeout, whether OpenSSL rather than the JDK runs TLS, whether cleartext listeners
     * redirect to it, and the HSTS max-age (-1: none).
     */
    record Tls(List<InetSocketAddress> listen, Path certificates, Duration handshakeTimeout, TlsEngineChoice engine,
            boolean redirectToHttps,
            long hstsSeconds, Acme acme) {}

    /** What runs TLS: the JDK's engine, OpenSSL, or OpenSSL where libssl.so.3 loads and else the JDK's (AUTO). */
    enum TlsEngineChoice { JDK, OPENSSL, AUTO }

    /**
     * Automatic certificates, or null when --acme is not given: the CA's ACME directory, the account's
     * contact address (or null), the PEM file of trust anchors for the CA's own HTTPS certificate (or
     * null: the JDK's), the host names certificates are ordered for (null: every DNS vhost name), and
     * the wait after a first failed order (doubled after each further one, up to an hour).
     */
    record Acme(URI directory, String email, Path trust, Pattern hosts, Duration firstRetry) {}

    /** The protocol core's limits: the ones the command line sets, the defaults for the rest. */
    Limits limits() {
        Limits defaults = Limits.defaults();
        return new Limits(maxRequestLineBytes, maxHeaderBytes, defaults.maxHeaderCount(), defaults.maxPipelinedResponses(),
                maxRequestsPerConnection, defaults.maxRanges(), requestHeadTimeout, keepAliveTimeout, sendTimeout);
    }

    IoSettings ioSettings() {
        return new IoSettings(workers, maxConnections, sendfileThreshold, shutdownGrace);
    }
}
