package dev.webroot.io.model;

import dev.webroot.io.Connection;
import dev.webroot.io.Output;
import java.io.IOException;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.util.concurrent.TimeUnit;

/**
 * An asynchronous socket with at most one read or write outstanding: the completion handler that
 * ends it is the connection's next owner, so the connection is never called concurrently.
 */
final class AsyncDriver extends ThreadedDriver {
    static final int GATHER_BUFFERS = 16;

    private final AsynchronousSocketChannel socket;
    private final GatheringWrite gather = new GatheringWrite(GATHER_BUFFERS);
    private int gathered;

    private final CompletionHandler<Integer, AsyncDriver> onRead = new CompletionHandler<>() {
        @Override
        public void completed(Integer n, AsyncDriver driver) {
            try {
                afterRead(n, System.nanoTime());
            } catch (RuntimeException e) {
                fail(e);
                return;
            }
            drive();
        }

        @Override
        public void failed(Throwable failure, AsyncDriver driver) {
            afterFailure(failure);
        }
    };

    private final CompletionHandler<Long, AsyncDriver> onWrite = new CompletionHandler<>() {
        @Override
        public void completed(Long n, AsyncDriver driver) {
            gather.clear(gathered);
            try {
                afterWrite(n, System.nanoTime());
            } catch (RuntimeException e) {
                fail(e);
                return;
            }
            drive();
        }

        @Override
        public void failed(Throwable failure, AsyncDriver driver) {
            gather.clear(gathered);
            afterFailure(failure);
        }
    };

    AsyncDriver(Connection connection, ConnectionTable table, AsynchronousSocketChannel socket) {
        super(connection, table, socket);
        this.socket = socket;
    }

    /** Owner: starts the next operation, or closes. */
    void drive() {
        try {
            switch (next()) {
                case WRITE -> {
                    Output output = connection.output();
                    gathered = gather.fill(output, GatheringWrite.firstPending(output), output.segmentCount());
                    enter(Phase.WRITING);
                    socket.write(gather.buffers(), 0, gathered, 0, TimeUnit.MILLISECONDS, this, onWrite);
                }
                case READ -> {
                    var buffer = connection.readBuffer();
                    enter(Phase.READING);
                    socket.read(buffer, this, onRead);
                }
                case WAIT -> enter(Phase.WAITING);
                case CLOSE -> close();
            }
        } catch (RuntimeException e) {
            afterFailure(e);
        }
    }

    @Override
    void wake() {
        try {
            afterWait(System.nanoTime());
        } catch (RuntimeException e) {
            fail(e);
            return;
        }
        drive();
    }

    @Override
    void shutdownInput() {
        try {
            socket.shutdownInput();
        } catch (IOException e) {
            abortChannel();
        }
    }

    @Override
    void releaseBuffers() {
        // writes go straight from the connection's buffers and the mapping
    }
}
