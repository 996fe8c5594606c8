package dev.webroot.io.model;

import dev.webroot.io.Connection;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/** A connection on an event loop: driven only by that loop's thread, on readiness or deadline. */
final class LoopDriver extends Driver {
    /** Bytes one connection may write per turn before the loop serves the others. */
    static final long MAX_TURN_BYTES = 2L << 20;

    private final SocketChannel socket;
    private final BodyTransfer.Sender sender;
    /** The loop's buffer for input read only to be discarded (lingering close). */
    private final ByteBuffer discard;
    private SelectionKey key;
    /**
     * The driver waits for the socket to become writable, with output pending (the last write found
     * the socket full, or the turn's budget ran out): a deadline now means the peer stopped reading.
     */
    private boolean writeBlocked;

    LoopDriver(Connection connection, ConnectionTable table, SocketChannel socket, BodyTransfer.Sender sender,
            ByteBuffer discard, String remote, Faults faults) {
        super(connection, table, socket, remote, faults);
        this.socket = socket;
        this.sender = sender;
        this.discard = discard;
    }

    void attach(SelectionKey key) {
        this.key = key;
    }

    /**
     * Runs the driver loop until the connection waits on the socket: writes while there is output
     * (up to the turn's byte budget), and reads at most once per readable event.
     */
    void turn(boolean readable, long now) {
        try {
            if (lingering()) {
                if (readable) {
                    drain(now);
                }
                return;
            }
            long budget = MAX_TURN_BYTES;
            while (true) {
                switch (next()) {
                    case WRITE -> {
                        long n = sender.send(connection.output(), socket);
                        sent(n, now);
                        writeBlocked = n == 0 || (budget -= n) <= 0;
                        if (writeBlocked) {
                            interest(SelectionKey.OP_WRITE);
                            return;
                        }
                    }
                    case READ -> {
                        if (!readable) {
                            interest(SelectionKey.OP_READ);
                            return;
                        }
                        int n = socket.read(connection.readBuffer());
                        readable = false;
                        if (n == 0) {
                            connection.readNothing();
                            interest(SelectionKey.OP_READ);
                            return;
                        }
                        received(n, now);
                    }
                    case WAIT -> {
                        interest(0);
                        return;
                    }
                    case CLOSE -> {
                        if (startLingering(now)) {
                            interest(SelectionKey.OP_READ);
                        } else {
                            close();
                        }
                        return;
                    }
                }
            }
        } catch (Throwable e) {
            fail(e);
        }
    }

    /** Lingering: discards what the peer sent; closes at its end or when the lingering's bounds are reached. */
    private void drain(long now) throws IOException {
        while (true) {
            int n = socket.read(discard.clear());
            if (n == 0) {
                return;
            }
            if (!discarded(n, now)) {
                close();
                return;
            }
        }
    }

    /** The deadline passed: a stalled write or a lingering close ends the connection, otherwise the connection decides. */
    void expire(long now) {
        if (lingering()) {
            close();
            return;
        }
        try {
            timedOut(now);
        } catch (Throwable e) {
            fail(e);
            return;
        }
        if (writeBlocked) {
            close();
        } else {
            turn(false, now);
        }
    }

    private void interest(int ops) {
        if (key.interestOps() != ops) {
            key.interestOps(ops);
        }
    }

    @Override
    void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    @Override
    void releaseBuffers() {
        sender.release();
    }
}
