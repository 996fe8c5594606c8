package dev.webroot.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/** A model serving {@link LineConnection}s on 127.0.0.1; closing it checks every connection's end. */
final class TestServer implements AutoCloseable {
    final IoModel model;
    final InetSocketAddress address;
    private final Queue<LineConnection> connections = new ConcurrentLinkedQueue<>();
    /** The peer each connection was opened with, as the model reported it. */
    private final Queue<String> remotes = new ConcurrentLinkedQueue<>();
    private volatile boolean failNextOpen;
    private final Arena arena = Arena.ofShared();
    private boolean shutDown;

    TestServer(String name, IoSettings settings, TestFile file, Duration idleTimeout, Duration sendTimeout)
            throws IOException {
        this(name, settings, file, idleTimeout, sendTimeout, file.path);
    }

    /** @param advertisedPath what connections report as the file's path (models that open it themselves) */
    TestServer(String name, IoSettings settings, TestFile file, Duration idleTimeout, Duration sendTimeout,
            Path advertisedPath) throws IOException {
        this(name, "127.0.0.1", settings, file, idleTimeout, sendTimeout, advertisedPath);
    }

    /** @param host the address to listen on */
    TestServer(String name, String host, IoSettings settings, TestFile file, Duration idleTimeout, Duration sendTimeout,
            Path advertisedPath) throws IOException {
        model = IoModels.create(name, settings);
        address = model.bind(new InetSocketAddress(host, 0), 1100);
        MemorySegment mapping = file.map(arena);
        model.start(remote -> {
            LineConnection connection =
                    new LineConnection(file, mapping, advertisedPath, idleTimeout.toNanos(), sendTimeout.toNanos());
            connection.failOnOpen = failNextOpen;
            failNextOpen = false;
            connections.add(connection);
            remotes.add(remote);
            return connection;
        });
    }

    List<LineConnection> connections() {
        return List.copyOf(connections);
    }

    /** The next connection to open throws from {@code opened}. */
    void failNextOpen() {
        failNextOpen = true;
    }

    List<String> remotes() {
        return List.copyOf(remotes);
    }

    void shutdown() {
        model.shutdown();
        shutDown = true;
    }

    @Override
    public void close() {
        if (!shutDown) {
            shutdown();
        }
        assertThat(model.openConnections()).isZero();
        assertThatCode(arena::close).as("unmapping after shutdown (no I/O may still use the mapping)")
                .doesNotThrowAnyException();
        for (LineConnection connection : connections) {
            assertThat(connection.record.closed).as("closed() calls").hasValue(1);
            assertThat(connection.record.overlapped).as("connection called from two threads at once").isFalse();
        }
    }
}
