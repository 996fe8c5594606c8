package dev.webroot.io;

import java.nio.ByteBuffer;

/**
 * A protocol connection as an I/O model sees it: fed bytes, asked what to write, told how much was
 * written, and asked for its next deadline. Implementations do no I/O and read no clock: every call
 * that can change state carries the driver's current time ({@link System#nanoTime()} in production,
 * scripted in tests). One driver thread at a time calls a connection.
 *
 * <p>The driver loop, whatever the model: while {@link #nextWrite} is {@code PROCEED}, write
 * {@link #output()} (fully or partly) and report with {@link #written}; when it is {@code YIELD}, ask
 * {@link #nextRead}: on {@code PROCEED} read into {@link #readBuffer()} and report with {@link #read} or
 * {@link #readEof}. {@code CLOSE} from either means close the socket: if the peer has not ended its
 * input, the model closes it lingering (output shut down, input discarded for a bounded time), so
 * that unread input cannot make the kernel reset the connection under its last response, unless
 * {@link #peerMaySend} says the peer is done and the socket holds nothing unread. Enforce
 * {@link #deadline()} by calling {@link #timedOut} once it has passed.
 *
 * <p>Whatever a call raises (an {@link InternalError} from a mapped file that faults included) closes
 * this connection only; see {@link LoopFailureHandler} for the errors that end the process instead.
 */
public interface Connection {
    enum Operation {
        /** Proceed: read into {@link #readBuffer()}, or write {@link #output()}. */
        PROCEED,
        /** Nothing to do in this direction until the other one makes progress. */
        YIELD,
        /** Close the connection. */
        CLOSE
    }

    /** Called once when the connection is accepted, to start the request-head timer. */
    void opened(long now);

    Operation nextRead();

    /** Where the driver puts received bytes: from position() up to limit(). Not retained by the driver between calls. */
    ByteBuffer readBuffer();

    /** {@code n > 0} bytes were put into {@link #readBuffer()} at its position (which the driver advanced). */
    void read(int n, long now);

    /**
     * The read {@link #readBuffer()} was asked for found no bytes after all (a spurious readiness
     * event, or an optimistic read of a new socket): the connection may release what it prepared.
     */
    default void readNothing() {}

    /** The peer closed its sending side. */
    void readEof(long now);

    /**
     * Whether the peer may still send after the connection asked to close: bytes received and not
     * consumed, or a request that may still be followed (a body, pipelined requests). When false
     * and the socket holds no unread byte, a model may close at once instead of lingering, since
     * the kernel then answers with a FIN, not a reset. The default always lingers.
     */
    default boolean peerMaySend() {
        return true;
    }

    Operation nextWrite();

    /** What to write now, in order; valid until the next call to {@link #written}. */
    Output output();

    /** The first {@code n} bytes of {@link #output()} were sent. */
    void written(long n, long now);

    /** Absolute time (driver clock) at which {@link #timedOut} must be called, or {@link Long#MAX_VALUE}. */
    long deadline();

    /** The deadline passed without progress: the connection answers (408) or asks to be closed. */
    void timedOut(long now);

    /**
     * The connection is being closed (by either side), or is done and its socket lingers; release
     * what it holds. No other call follows. Idempotent.
     */
    void closed();
}
