package dev.webroot.io.model;

import dev.webroot.io.Connection;
import dev.webroot.io.Connection.Operation;
import java.io.IOException;
import java.nio.channels.Channel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One accepted socket and its {@link Connection}: the driver-loop decisions every model shares.
 * Only the thread that currently owns the driver calls the connection; other threads may only
 * close the channel (which makes the owner's I/O fail) or read {@link #deadline}.
 *
 * <p>Lingering close: when the connection asks to close before the peer has ended its input, the
 * socket's output is shut down (after the last output byte was written) and its input read and
 * discarded until the peer's end, for at most {@link #LINGER_NANOS} and {@link #LINGER_BYTES}, before
 * the socket is closed. Closing a socket with unread input makes the kernel answer with a reset,
 * which would destroy response bytes still queued for the peer (nginx's lingering close does the
 * same, with 30 s and 5 s between reads; bounded tighter here, since a static response is short).
 * The byte bound must exceed what a pipelining client may still send after the last answered
 * request: 10,000 small pipelined requests leave about 0.5 MB unread at the 1,000th, while loopback
 * can hold megabytes of their responses queued; discarding 4 MiB costs about a millisecond.
 */
abstract class Driver {
    static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(2);
    static final long LINGER_BYTES = 4 * 1024 * 1024;

    /** What the owner does next. */
    enum Step { WRITE, READ, WAIT, CLOSE }

    final Connection connection;
    final ConnectionTable table;
    /** The peer as "ip:port", for failure reports. */
    final String remote;
    final Faults faults;
    private final Channel channel;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The connection has been told it is closed (owner only). */
    private boolean ended;
    /** The connection is done; the socket's output is shut and its input drained until it ends. */
    private volatile boolean lingering;
    private long discarded;
    /** The connection's deadline as of the owner's last call (or the lingering's end); read by sweepers. */
    volatile long deadline = Long.MAX_VALUE;
    /** The input side ended (EOF, or shut down by a sweep); reading again would only see EOF. */
    private boolean inputEnded;

    Driver(Connection connection, ConnectionTable table, Channel channel, String remote, Faults faults) {
        this.connection = connection;
        this.table = table;
        this.channel = channel;
        this.remote = remote;
        this.faults = faults;
    }

    /**
     * Writing comes first: a connection is read only when it has nothing to write, which bounds
     * read-ahead. A {@code CLOSE} from reading never cuts short output in flight. When the model is
     * draining, a connection with nothing to write is closed. Buffers pooled for output are given
     * back as soon as no output is in flight.
     */
    final Step next() {
        Step step = next(connection, table.draining(), inputEnded);
        if (step != Step.WRITE) {
            releaseBuffers();
        }
        return step;
    }

    /** The decision of {@link #next()}, for owners that keep their state elsewhere. */
    static Step next(Connection connection, boolean draining, boolean inputEnded) {
        Operation write = connection.nextWrite();
        if (write == Operation.PROCEED) {
            return Step.WRITE;
        }
        if (write == Operation.CLOSE || draining) {
            return Step.CLOSE;
        }
        Operation read = connection.nextRead();
        if (read == Operation.CLOSE) {
            return Step.CLOSE;
        }
        return read == Operation.PROCEED && !inputEnded ? Step.READ : Step.WAIT;
    }

    final void opened(long now) {
        connection.opened(now);
        deadline = connection.deadline();
    }

    /** Reports a read result: {@code n < 0} is end of input. */
    final void received(int n, long now) {
        if (n < 0) {
            inputEnded = true;
            connection.readEof(now);
        } else if (n > 0) {
            connection.read(n, now);
        }
        deadline = connection.deadline();
    }

    /** The input was shut down by this side (deadline or drain), not by the peer. */
    final void inputShutDown() {
        inputEnded = true;
    }

    final void sent(long n, long now) {
        if (n > 0) {
            connection.written(n, now);
            deadline = connection.deadline();
        }
    }

    final void timedOut(long now) {
        table.timedOut();
        connection.timedOut(now);
        deadline = connection.deadline();
    }

    /**
     * Owner, on {@code CLOSE}: if the peer may still send, shuts the socket's output, ends the
     * connection and returns true: the owner then drains the input ({@link #discarded}) until its
     * end or {@link #deadline}, and closes. False: close at once.
     */
    final boolean startLingering(long now) throws IOException {
        if (inputEnded) {
            return false;
        }
        shutdownOutput();
        endConnection();
        deadline = now + LINGER_NANOS;
        lingering = true;
        return true;
    }

    final boolean lingering() {
        return lingering;
    }

    /** Owner, lingering: a read returned {@code n}; true if draining goes on, false to close now. */
    final boolean discarded(int n, long now) {
        return n >= 0 && lingersOn(discarded += n, now, deadline);
    }

    /** Whether a lingering close that has discarded {@code discarded} bytes goes on draining until {@code deadline}. */
    static boolean lingersOn(long discarded, long now, long deadline) {
        return discarded < LINGER_BYTES && now - deadline < 0;
    }

    /** Shuts down the output side of the socket (the peer reads its end after the last byte). */
    abstract void shutdownOutput() throws IOException;

    /** Closes the channel from any thread, so that the owner's blocked I/O fails. */
    final void abortChannel() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing is best effort; the socket is gone either way
        }
    }

    /** Owner only: closes the socket, releases held buffers, tells the connection. Idempotent. */
    final void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        abortChannel();
        try {
            endConnection();
        } finally {
            table.release(this);
        }
    }

    /** Owner only: gives back the buffers and tells the connection it is closed, once. */
    private void endConnection() {
        if (ended) {
            return;
        }
        ended = true;
        try {
            releaseBuffers();
            connection.closed();
        } catch (Throwable e) {
            faults.connectionFailedOrFatal(remote, e);
        }
    }

    /** Owner only: gives back pooled buffers this connection holds while output is in flight. */
    void releaseBuffers() {
        // most drivers write straight from the connection's buffers and the mapping
    }

    /**
     * Owner only: ends the connection after a failure. I/O errors (reset, broken pipe, a channel
     * closed by a sweep) are the peer's business and close quietly; anything else (a bug, a mapped
     * file that faults) is reported, and a fatal error goes to the loop failure handler.
     */
    final void fail(Throwable failure) {
        close();
        if (!(failure instanceof IOException)) {
            faults.connectionFailedOrFatal(remote, failure);
        }
    }
}
