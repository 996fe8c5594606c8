package dev.webroot.io.model;

import dev.webroot.io.Connection;
import dev.webroot.io.Connection.Operation;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.Channel;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One accepted socket and its {@link Connection}: the driver-loop decisions every model shares.
 * Only the thread that currently owns the driver calls the connection; other threads may only
 * close the channel (which makes the owner's I/O fail) or read {@link #deadline}.
 */
abstract class Driver {
    static final System.Logger LOG = System.getLogger("dev.webroot.io");

    /** What the owner does next. */
    enum Step { WRITE, READ, WAIT, CLOSE }

    final Connection connection;
    final ConnectionTable table;
    private final Channel channel;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The connection's deadline as of the owner's last call; read by sweepers. */
    volatile long deadline = Long.MAX_VALUE;
    /** The input side ended (EOF, or shut down by a sweep); reading again would only see EOF. */
    private boolean inputEnded;

    Driver(Connection connection, ConnectionTable table, Channel channel) {
        this.connection = connection;
        this.table = table;
        this.channel = channel;
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
        connection.timedOut(now);
        deadline = connection.deadline();
    }

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
        releaseBuffers();
        try {
            connection.closed();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "connection failed while closing", e);
        } finally {
            table.release(this);
        }
    }

    /** Owner only: gives back pooled buffers this connection holds while output is in flight. */
    void releaseBuffers() {
        // most drivers write straight from the connection's buffers and the mapping
    }

    /**
     * Owner only: ends the connection after a failure. I/O errors (reset, broken pipe, a channel
     * closed by a sweep) are the peer's business and close quietly; anything else is a bug.
     */
    final void fail(Throwable failure) {
        if (!(failure instanceof IOException)) {
            LOG.log(Level.WARNING, "closing a connection after an unexpected failure", failure);
        }
        close();
    }
}
