package dev.webroot.httpd;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;

/** Everything the command line decides, checked and converted; {@link CommandLine} builds it. */
record Settings(
        Path vhostsDir,
        String model,
        InetSocketAddress listen,
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
        String errorLog,
        Duration shutdownGrace,
        Duration vhostsRescan,
        String user) {}
