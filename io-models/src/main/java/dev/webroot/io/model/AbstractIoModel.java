package dev.webroot.io.model;

import dev.webroot.io.ConnectionFactory;
import dev.webroot.io.IoModel;
import dev.webroot.io.IoSettings;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.NetworkChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The life cycle and the shutdown sequence every model shares. Shutdown takes at most the grace
 * period plus {@link #ABORT_WAIT_NANOS}, whatever state the connections and threads are in.
 */
abstract class AbstractIoModel implements IoModel {
    /** How long shutdown waits, after the grace period, for connections to close and threads to end. */
    static final long ABORT_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(900);
    /** Descriptors kept out of {@code maxConnections}: listeners, loops, webroots, log files, the JVM's own. */
    static final int DESCRIPTOR_RESERVE = 64;

    final IoSettings settings;
    final ConnectionTable table;
    private final String name;
    /** The configured limit, if the descriptor limit lowered it; else -1. */
    private final int configuredMax;
    private final long descriptorLimit;
    private int listeners;
    private boolean started;
    private boolean stopped;

    AbstractIoModel(String name, IoSettings settings) {
        this.name = name;
        this.settings = settings;
        this.descriptorLimit = descriptorLimit();
        int max = settings.maxConnections();
        if (descriptorLimit > 0 && descriptorLimit - DESCRIPTOR_RESERVE < max) {
            configuredMax = max;
            max = (int) Math.max(1, descriptorLimit - DESCRIPTOR_RESERVE);
        } else {
            configuredMax = -1;
        }
        this.table = new ConnectionTable(max);
        IoLog.prepare();
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final synchronized InetSocketAddress bind(InetSocketAddress address, int backlog, ConnectionFactory factory)
            throws IOException {
        if (started || stopped) {
            throw new IllegalStateException(name + " model can bind only before it starts");
        }
        listeners++;
        try {
            return (InetSocketAddress) openListener(address, backlog, factory);
        } catch (IOException | RuntimeException e) {
            // What opened before the bind failed (this channel, earlier listeners, the async model's group).
            shutdown();
            throw e;
        }
    }

    @Override
    public final synchronized InetSocketAddress adopt(int fd, ConnectionFactory factory) throws IOException {
        if (started || stopped) {
            throw new IllegalStateException(name + " model can take over a socket only before it starts");
        }
        listeners++;
        try {
            return adoptListener(fd, factory);
        } catch (IOException | RuntimeException e) {
            shutdown();
            throw e;
        }
    }

    /**
     * Takes over an inherited listening descriptor, as {@link #openListener} opens one. Models built
     * on JDK channels cannot: the JDK makes a channel of an inherited descriptor only for descriptor 0
     * ({@code System.inheritedChannel}), and any other way needs its internal classes.
     */
    InetSocketAddress adoptListener(int fd, ConnectionFactory factory) throws IOException {
        throw new UnsupportedOperationException("the " + name + " I/O model cannot take over an inherited socket"
                + " (JDK channels are made only of descriptors they open); use --io epoll with socket activation");
    }

    @Override
    public final long acceptedConnections() {
        return table.accepted();
    }

    @Override
    public final long refusedConnections() {
        return table.refused();
    }

    @Override
    public final long timedOutConnections() {
        return table.timedOutCount();
    }

    @Override
    public final synchronized void start() throws IOException {
        if (listeners == 0 || started || stopped) {
            throw new IllegalStateException(name + " model must be bound and not yet started");
        }
        started = true;
        if (configuredMax > 0) {
            IoLog.warn(name + " model: at most " + table.max() + " connections instead of " + configuredMax
                    + ": the process may open " + descriptorLimit + " descriptors (RLIMIT_NOFILE), "
                    + DESCRIPTOR_RESERVE + " of them kept for listeners, webroots and logs");
        }
        startServing();
    }

    @Override
    public final int maxConnections() {
        return table.max();
    }

    @Override
    public final int openConnections() {
        return table.open();
    }

    @Override
    public final synchronized void shutdown() {
        if (stopped) {
            return;
        }
        stopped = true;
        long graceEnd = System.nanoTime() + settings.shutdownGrace().toNanos();
        long end = graceEnd + ABORT_WAIT_NANOS;
        table.startDraining();
        stopAccepting(graceEnd);
        if (started) {
            wakeForDrain();
            table.awaitEmpty(graceEnd);
            abortAll();
            if (!table.awaitEmpty(end)) {
                IoLog.warn(name + " model: " + table.open() + " connections did not close after shutdown");
            }
        }
        stopWorkers(end);
    }

    /**
     * Opens and binds one more listener with SO_REUSEADDR, whose connections come from
     * {@code factory}; returns the bound address. Whatever it opens is kept where
     * {@link #stopAccepting} and {@link #stopWorkers} close it, also when binding fails.
     */
    abstract SocketAddress openListener(InetSocketAddress address, int backlog, ConnectionFactory factory)
            throws IOException;

    abstract void startServing() throws IOException;

    /** Closes every listener; accepts in progress fail quietly. Waits for nothing past {@code deadline} (nanoTime). */
    abstract void stopAccepting(long deadline);

    /** Makes every owner re-check its connection now that the table is draining. */
    abstract void wakeForDrain();

    /** Closes every connection's socket, so that owners close their connections. */
    abstract void abortAll();

    /**
     * Stops the model's threads once no connection is left (also when it never started), waiting for
     * them until {@code deadline} (nanoTime) at most.
     */
    abstract void stopWorkers(long deadline);

    /**
     * Pause after a failed accept (typically EMFILE: out of descriptors), so that a listener that
     * stays readable does not turn into a busy loop of failures.
     */
    static final long ACCEPT_RETRY_MILLIS = 100;

    /**
     * Gives a listener a JDK channel opened what the epoll model gives its own: a cap on unsent
     * bytes, so that a peer that reads nothing costs a bounded copy, and deferred accepts, so that
     * a new connection is accepted with its first bytes; where that fails, says so and serves on.
     * The options and {@code /proc/self/fd} are Linux's: elsewhere the listener stays as the JDK made it.
     */
    static InetSocketAddress tuneListener(InetSocketAddress bound) {
        if (!System.getProperty("os.name").startsWith("Linux")) {
            return bound;
        }
        try {
            LinuxSockets.requireSupported();
            try (LinuxSockets os = new LinuxSockets()) {
                if (!os.tuneListenerBoundTo(bound)) {
                    IoLog.warn("no listening socket bound to " + bound + " among this process's descriptors:"
                            + " its unsent bytes are not capped and its accepts not deferred");
                }
            }
        } catch (IOException | RuntimeException | LinkageError e) {
            // LinkageError: a C library without one of the calls the native bindings link at once.
            IoLog.warn("cannot cap the unsent bytes of the listener on " + bound + " or defer its accepts (" + e + ")");
        }
        return bound;
    }

    static <C extends NetworkChannel> C reuseAddress(C channel) throws IOException {
        channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        return channel;
    }

    /**
     * Waits for a thread to end (if it ever started), until {@code deadline} (nanoTime) at most; an
     * interrupt ends the wait and is kept for the caller.
     */
    static void join(Thread thread, long deadline) {
        if (thread.getState() == Thread.State.NEW) {
            return;
        }
        try {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                thread.join(Duration.ofNanos(left));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            IoLog.warn(thread.getName() + " did not end at shutdown");
        }
    }

    static void closeQuietly(AutoCloseable closeable) {
        try {
            if (closeable != null) {
                closeable.close();
            }
        } catch (Exception ignored) {
            // nothing useful to do when closing fails
        }
    }

    /** The soft RLIMIT_NOFILE of this process (which the JVM raises to the hard limit at start), or -1 if unknown. */
    static long descriptorLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                    return soft.equals("unlimited") ? -1 : Long.parseLong(soft);
                }
            }
        } catch (IOException | RuntimeException e) {
            IoLog.log(Level.DEBUG, "no descriptor limit known: " + e);
        }
        return -1;
    }
}
