package dev.webroot.io.model;

import dev.webroot.io.Connection;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** A blocking socket owned by its own virtual thread, which runs the driver loop start to end. */
final class SyncDriver extends ThreadedDriver implements Runnable {
    /** Longest park while waiting for nothing but time, so a missed wake-up costs at most this. */
    private static final long MAX_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final int GATHER_BUFFERS = 16;

    private final SocketChannel socket;
    private final CopyTransfer copy = new CopyTransfer(GATHER_BUFFERS);
    private volatile Thread owner;

    SyncDriver(Connection connection, ConnectionTable table, SocketChannel socket, String remote, Faults faults) {
        super(connection, table, socket, remote, faults);
        this.socket = socket;
    }

    @Override
    public void run() {
        owner = Thread.currentThread();
        try {
            opened(System.nanoTime());
            while (true) {
                switch (next()) {
                    case WRITE -> {
                        var output = connection.output();
                        enter(Phase.WRITING);
                        long n = copy.send(output, socket);
                        if (!afterWrite(n, System.nanoTime())) {
                            return;
                        }
                    }
                    case READ -> {
                        ByteBuffer buffer = connection.readBuffer();
                        enter(Phase.READING);
                        int n = socket.read(buffer);
                        afterRead(n, System.nanoTime());
                    }
                    case WAIT -> {
                        enter(Phase.WAITING);
                        long wait = deadline - System.nanoTime();
                        if (wait > 0 && !table.draining()) {
                            LockSupport.parkNanos(Math.min(wait, MAX_WAIT_NANOS));
                        }
                        afterWait(System.nanoTime());
                    }
                    case CLOSE -> {
                        if (startLingering(System.nanoTime())) {
                            drain();
                        }
                        close();
                        return;
                    }
                }
            }
        } catch (Throwable e) {
            afterFailure(e);
        }
    }

    /** Lingering: discards input until its end or the lingering's bounds (the sweeper ends the read at the deadline). */
    private void drain() throws IOException {
        ByteBuffer discard = ByteBuffer.allocate(4096);
        int n;
        do {
            enter(Phase.READING);
            n = socket.read(discard.clear());
            afterDiscard();
        } while (discarded(n, System.nanoTime()));
    }

    @Override
    void wake() {
        Thread thread = owner;
        if (thread != null) {
            LockSupport.unpark(thread);
        }
    }

    @Override
    void shutdownSocketInput() throws IOException {
        socket.shutdownInput();
    }

    @Override
    void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }
}
