package dev.webroot.io.model;

import dev.webroot.io.Connection;
import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/** A connection on an event loop: driven only by that loop's thread, on readiness or deadline. */
final class LoopDriver extends Driver {
    /** Bytes one connection may write per turn before the loop serves the others. */
    static final long MAX_TURN_BYTES = 2L << 20;

    private final SocketChannel socket;
    private final BodyTransfer.Sender sender;
    private SelectionKey key;
    /**
     * The driver waits for the socket to become writable, with output pending (the last write found
     * the socket full, or the turn's budget ran out): a deadline now means the peer stopped reading.
     */
    private boolean writeBlocked;

    LoopDriver(Connection connection, ConnectionTable table, SocketChannel socket, BodyTransfer.Sender sender) {
        super(connection, table, socket);
        this.socket = socket;
        this.sender = sender;
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
                        close();
                        return;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            fail(e);
        }
    }

    /** The deadline passed: a stalled write ends the connection, otherwise the connection decides. */
    void expire(long now) {
        try {
            timedOut(now);
        } catch (RuntimeException e) {
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
    void releaseBuffers() {
        sender.release();
    }
}
