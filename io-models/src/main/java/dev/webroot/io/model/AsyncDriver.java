package dev.webroot.io.model;

import dev.webroot.io.Connection;
import dev.webroot.io.Output;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileChannel;
import java.util.concurrent.TimeUnit;

/**
 * An asynchronous socket with at most one read or write outstanding: the completion handler that
 * ends it is the connection's next owner, so the connection is never called concurrently.
 *
 * <p>No direct buffer of the connection's is ever handed to the channel. JDK 25's
 * {@code UnixAsynchronousSocketChannelImpl.finishRead/finishWrite} release the buffers' memory
 * sessions only on success: a pending operation that fails (peer reset, channel closed) leaves the
 * arena acquired for good, so a webroot mapping could never be unmapped. Output with direct
 * buffers is therefore copied into a pooled staging buffer (heap buffers go as they are), and a
 * direct read buffer is filled through a small heap buffer.
 *
 * <p>File spans are staged with a positional read of the file, not copied from its mapping. A copy
 * from a mapping whose file was truncated faults, and HotSpot raises that fault's
 * {@link InternalError} at the thread's next safepoint poll, which can fall inside the channel's
 * {@code write} after it has taken its close lock: the channel could then never be closed, and the
 * thread would hang in {@code close}. A read past the file's new end is only short, and ends the
 * connection like any I/O error.
 */
final class AsyncDriver extends ThreadedDriver {
    static final int GATHER_BUFFERS = 16;
    /** Staging used when the pool is exhausted, allocated only for as long as output is in flight. */
    private static final int FALLBACK_STAGING_BYTES = 16 * 1024;
    private static final int READ_STAGING_BYTES = 4096;

    private final AsynchronousSocketChannel socket;
    private final BufferPool stagingPool;
    private final GatheringWrite gather = new GatheringWrite(GATHER_BUFFERS);
    private int gathered;
    private ByteBuffer writeStaging;
    private boolean writeStagingPooled;
    private ByteBuffer readStaging;
    /** The connection's read buffer while a staged read is outstanding (no connection call happens meanwhile). */
    private ByteBuffer readTarget;

    private final CompletionHandler<Integer, AsyncDriver> onRead = new CompletionHandler<>() {
        @Override
        public void completed(Integer n, AsyncDriver driver) {
            resume(() -> {
                unstage(n);
                afterRead(n, System.nanoTime());
                return true;
            });
        }

        @Override
        public void failed(Throwable failure, AsyncDriver driver) {
            afterFailure(failure);
        }
    };

    /** Lingering: input read only to be discarded, until its end or the lingering's bounds. */
    private final CompletionHandler<Integer, AsyncDriver> onDiscard = new CompletionHandler<>() {
        @Override
        public void completed(Integer n, AsyncDriver driver) {
            afterDiscard();
            if (discarded(n, System.nanoTime())) {
                discardNext();
            } else {
                close();
            }
        }

        @Override
        public void failed(Throwable failure, AsyncDriver driver) {
            afterDiscard();
            close();
        }
    };

    private final CompletionHandler<Long, AsyncDriver> onWrite = new CompletionHandler<>() {
        @Override
        public void completed(Long n, AsyncDriver driver) {
            gather.clear(gathered);
            resume(() -> afterWrite(n, System.nanoTime()));
        }

        @Override
        public void failed(Throwable failure, AsyncDriver driver) {
            gather.clear(gathered);
            afterFailure(failure);
        }
    };

    AsyncDriver(Connection connection, ConnectionTable table, AsynchronousSocketChannel socket, BufferPool stagingPool,
            String remote, Faults faults) {
        super(connection, table, socket, remote, faults);
        this.socket = socket;
        this.stagingPool = stagingPool;
    }

    /** Owner: starts the next operation, or closes. */
    void drive() {
        try {
            switch (next()) {
                case WRITE -> {
                    Output output = connection.output();
                    int from = GatheringWrite.firstPending(output);
                    gathered = needsStaging(output, from) ? stage(output, from)
                            : gather.fill(output, from, output.segmentCount());
                    enter(Phase.WRITING);
                    socket.write(gather.buffers(), 0, gathered, 0, TimeUnit.MILLISECONDS, this, onWrite);
                }
                case READ -> {
                    ByteBuffer target = connection.readBuffer();
                    ByteBuffer into = target;
                    if (target.isDirect()) {
                        readTarget = target;
                        if (readStaging == null) {
                            readStaging = ByteBuffer.allocate(READ_STAGING_BYTES);
                        }
                        into = readStaging.clear().limit(Math.min(READ_STAGING_BYTES, target.remaining()));
                    }
                    enter(Phase.READING);
                    socket.read(into, this, onRead);
                }
                case WAIT -> enter(Phase.WAITING);
                case CLOSE -> {
                    if (startLingering(System.nanoTime())) {
                        discardNext();
                    } else {
                        close();
                    }
                }
            }
        } catch (Throwable e) {
            afterFailure(e);
        }
    }

    private void discardNext() {
        if (readStaging == null) {
            readStaging = ByteBuffer.allocate(READ_STAGING_BYTES);
        }
        enter(Phase.READING);
        try {
            socket.read(readStaging.clear(), this, onDiscard);
        } catch (Throwable e) {
            afterDiscard();
            close();
        }
    }

    /** Whether the segments one write would gather hold a file span or a direct buffer, which go staged. */
    private static boolean needsStaging(Output output, int from) {
        for (int i = from, n = 0; i < output.segmentCount() && n < GATHER_BUFFERS; i++) {
            if (output.remaining(i) > 0) {
                n++;
                if (output.isFileSpan(i) || output.buffer(i).isDirect()) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Copies as much of the output from segment {@code from} on as fits into the staging buffer, file
     * spans by reading the file; the staging buffer becomes the only buffer to write.
     */
    private int stage(Output output, int from) throws IOException {
        if (writeStaging == null) {
            writeStaging = stagingPool.acquire();
            writeStagingPooled = writeStaging != null;
            if (writeStaging == null) {
                writeStaging = ByteBuffer.allocateDirect(FALLBACK_STAGING_BYTES);
            }
        }
        ByteBuffer staging = writeStaging.clear();
        for (int i = from; i < output.segmentCount() && staging.hasRemaining(); i++) {
            int length = (int) Math.min(staging.remaining(), output.remaining(i));
            if (output.isFileSpan(i)) {
                readSpan(output.channel(i), output.filePosition(i), staging.limit(staging.position() + length));
                staging.limit(staging.capacity());
            } else {
                ByteBuffer buffer = output.buffer(i);
                staging.put(staging.position(), buffer, buffer.position(), length);
                staging.position(staging.position() + length);
            }
        }
        gather.buffers()[0] = staging.flip();
        return 1;
    }

    /** Fills {@code into} from the file at {@code position}; a file that ends first was truncated under the response. */
    private static void readSpan(FileChannel file, long position, ByteBuffer into) throws IOException {
        long at = position;
        while (into.hasRemaining()) {
            int n = file.read(into, at);
            if (n <= 0) {
                throw new TruncatedFileException(at);
            }
            at += n;
        }
    }

    private void unstage(int n) {
        if (readTarget != null) {
            if (n > 0) {
                readTarget.put(readStaging.flip());
            }
            readTarget = null;
        }
    }

    /** What the owner does with an operation's outcome; returns whether it may go on. */
    private interface Outcome {
        boolean handle();
    }

    /** Owner: handles an outcome, then starts the next operation unless the outcome ended the connection. */
    private void resume(Outcome outcome) {
        boolean goOn;
        try {
            goOn = outcome.handle();
        } catch (Throwable e) {
            fail(e);
            return;
        }
        if (goOn) {
            drive();
        }
    }

    @Override
    void wake() {
        resume(() -> {
            afterWait(System.nanoTime());
            return true;
        });
    }

    @Override
    void shutdownSocketInput() throws IOException {
        socket.shutdownInput();
    }

    @Override
    void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    @Override
    void releaseBuffers() {
        if (writeStaging != null) {
            if (writeStagingPooled) {
                stagingPool.release(writeStaging);
            }
            writeStaging = null;
        }
    }
}
