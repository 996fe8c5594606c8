package dev.webroot.httpd;

import dev.webroot.httpd.core.Limits;
import dev.webroot.io.IoSettings;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

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
        String errorLog,
        Duration shutdownGrace,
        Duration vhostsRescan,
        String user,
        Tls tls,
        InetSocketAddress admin) {

    /**
     * The HTTPS side, or null when there is no TLS listener: its addresses, the certificate directory,
     * the handshake timeout, whether cleartext listeners redirect to it, and the HSTS max-age (-1: none).
     */
    record Tls(List<InetSocketAddress> listen, Path certificates, Duration handshakeTimeout, boolean redirectToHttps,
            long hstsSeconds) {}

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
