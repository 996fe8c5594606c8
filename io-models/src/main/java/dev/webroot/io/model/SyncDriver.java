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

    SyncDriver(Connection connection, ConnectionTable table, SocketChannel socket) {
        super(connection, table, socket);
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
                        close();
                        return;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            afterFailure(e);
        }
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
}
