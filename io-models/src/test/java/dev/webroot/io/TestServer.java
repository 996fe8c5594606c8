package dev.webroot.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A model serving {@link LineConnection}s on 127.0.0.1 (and, if asked, on a second listener whose
 * connections answer with another word); closing it checks every connection's end.
 */
final class TestServer implements AutoCloseable {
    final IoModel model;
    final InetSocketAddress address;
    /** The second listener's address, or null. */
    final InetSocketAddress secondAddress;
    private final Queue<LineConnection> connections = new ConcurrentLinkedQueue<>();
    /** The peer each connection was opened with, as the model reported it. */
    private final Queue<String> remotes = new ConcurrentLinkedQueue<>();
    private volatile boolean failNextOpen;
    private volatile String failNextIn;
    private volatile Throwable failNextWith;
    private volatile int maxRequests = Integer.MAX_VALUE;
    private volatile Throwable factoryFailure;
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
        this(name, host, settings, file, idleTimeout, sendTimeout, advertisedPath, null, file.path);
    }

    /**
     * @param secondAnswer if not null, a second listener is bound whose connections answer with this word
     * @param mapped the file whose mapping connections offer as the file's (the file itself, or a decoy
     *     that shows which bytes a model copied from the mapping rather than read from the file)
     */
    TestServer(String name, String host, IoSettings settings, TestFile file, Duration idleTimeout, Duration sendTimeout,
            Path advertisedPath, String secondAnswer, Path mapped) throws IOException {
        model = IoModels.create(name, settings);
        MemorySegment mapping;
        try (FileChannel channel = FileChannel.open(mapped, StandardOpenOption.READ)) {
            mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, file.mapping.byteSize(), arena);
        }
        address = model.bind(new InetSocketAddress(host, 0), 1100,
                factory(file, mapping, advertisedPath, idleTimeout, sendTimeout, "OK"));
        secondAddress = secondAnswer == null ? null : model.bind(new InetSocketAddress(host, 0), 1100,
                factory(file, mapping, advertisedPath, idleTimeout, sendTimeout, secondAnswer));
        model.start();
    }

    private ConnectionFactory factory(TestFile file, MemorySegment mapping, Path advertisedPath, Duration idleTimeout,
            Duration sendTimeout, String answer) {
        return remote -> {
            Throwable failure = factoryFailure;
            if (failure != null) {
                factoryFailure = null;
                throw LineConnection.sneaky(failure);
            }
            LineConnection connection = new LineConnection(file, mapping, advertisedPath, idleTimeout.toNanos(),
                    sendTimeout.toNanos(), answer);
            connection.failOnOpen = failNextOpen;
            failNextOpen = false;
            connection.failIn = failNextIn;
            connection.failure = failNextWith;
            failNextIn = null;
            connection.maxRequests = maxRequests;
            connections.add(connection);
            remotes.add(remote);
            return connection;
        };
    }

    List<LineConnection> connections() {
        return List.copyOf(connections);
    }

    /** The next connection to open throws from {@code opened}. */
    void failNextOpen() {
        failNextOpen = true;
    }

    /** The next connection to open throws {@code failure} from {@code call} ("read", "output" or "written"). */
    void failNext(String call, Throwable failure) {
        failNextWith = failure;
        failNextIn = call;
    }

    /** The factory throws {@code failure} for the next connection, before there is one. */
    void failNextFactoryCall(Throwable failure) {
        factoryFailure = failure;
    }

    /** Connections opened from now on close after answering {@code n} requests. */
    void maxRequests(int n) {
        maxRequests = n;
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
