package dev.webroot.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The servers of one test class, one per I/O model, each started on first use and all stopped together. */
final class ServersByModel {
    interface Starter {
        Server start(String model) throws Exception;
    }

    private final Map<String, Server> servers = new ConcurrentHashMap<>();
    private final Starter starter;
    private final boolean cleanErrorLogs;

    /** @param cleanErrorLogs whether stopping first checks that no server's error log shows an exception */
    ServersByModel(boolean cleanErrorLogs, Starter starter) {
        this.cleanErrorLogs = cleanErrorLogs;
        this.starter = starter;
    }

    Server get(String model) throws Exception {
        Server server = servers.get(model);
        if (server == null) {
            server = starter.start(model);
            servers.put(model, server);
        }
        return server;
    }

    /** Stops every server started: each must exit with status 0 within 15 s. */
    void stopAll() throws Exception {
        for (Server server : servers.values()) {
            if (cleanErrorLogs) {
                assertThat(server.errorLog()).noneMatch(line -> line.contains("Exception") || line.contains("\tat "));
            }
            assertThat(server.terminate(Duration.ofSeconds(15))).isZero();
        }
        servers.clear();
    }
}
