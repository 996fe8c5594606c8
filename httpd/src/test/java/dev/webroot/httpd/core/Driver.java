package dev.webroot.httpd.core;

import dev.webroot.io.Connection;
import dev.webroot.io.Output;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A deterministic in-memory driver (http/af's test runtime): feeds scripted bytes in chosen chunks,
 * writes output in chosen chunk sizes, and collects the exact bytes a socket would have carried.
 */
final class Driver {
    final Connection connection;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    long now = 1_000_000_000L;
    /** Bytes reported written per write call. */
    int writeChunk = Integer.MAX_VALUE;
    boolean closeRequested;
    /** Input bytes accepted by the connection so far. */
    int accepted;

    Driver(Connection connection) {
        this(connection, true);
    }

    /** A driver for {@code connection}, which is told it was opened unless {@code open} is false (it was already). */
    Driver(Connection connection, boolean open) {
        this.connection = connection;
        if (open) {
            connection.opened(now);
        }
    }

    /** Feeds {@code input} split at the given ascending offsets, writing output as it appears. */
    Driver feed(byte[] input, int... splits) {
        int from = 0;
        for (int i = 0; i <= splits.length; i++) {
            int to = i < splits.length ? splits[i] : input.length;
            if (!feedChunk(input, from, to)) {
                return this;
            }
            from = to;
        }
        drain();
        return this;
    }

    Driver feed(String input, int... splits) {
        return feed(input.getBytes(StandardCharsets.ISO_8859_1), splits);
    }

    /** Feeds byte by byte. */
    Driver feedBytewise(byte[] input) {
        for (int i = 0; i < input.length; i++) {
            if (!feedChunk(input, i, i + 1)) {
                return this;
            }
        }
        drain();
        return this;
    }

    private boolean feedChunk(byte[] input, int from, int to) {
        while (from < to) {
            drain();
            Connection.Operation op = connection.nextRead();
            if (op == Connection.Operation.CLOSE) {
                closeRequested = true;
                return false;
            }
            if (op == Connection.Operation.YIELD) {
                return false;
            }
            ByteBuffer buffer = connection.readBuffer();
            int n = Math.min(buffer.remaining(), to - from);
            buffer.put(input, from, n);
            connection.read(n, now);
            accepted += n;
            from += n;
        }
        return true;
    }

    Driver eof() {
        drain();
        if (!closeRequested && connection.nextRead() == Connection.Operation.PROCEED) {
            connection.readEof(now);
        }
        drain();
        return this;
    }

    /** Writes until the connection has nothing more to write. */
    Driver drain() {
        while (true) {
            Connection.Operation op = connection.nextWrite();
            if (op == Connection.Operation.CLOSE) {
                closeRequested = true;
                return this;
            }
            if (op == Connection.Operation.YIELD) {
                return this;
            }
            writeOnce(writeChunk);
        }
    }

    /**
     * Writes at most {@code limit} bytes of the current output. Like a gathering write, it takes every
     * segment's buffer first and reads them afterwards, so buffers that alias each other would show.
     */
    long writeOnce(long limit) {
        Output output = connection.output();
        ByteBuffer[] buffers = new ByteBuffer[output.segmentCount()];
        for (int s = 0; s < buffers.length; s++) {
            buffers[s] = output.buffer(s);
            if (output.isFileSpan(s)) {
                assert buffers[s].remaining() == output.remaining(s);
            }
        }
        long written = 0;
        for (int s = 0; s < buffers.length && written < limit; s++) {
            int n = (int) Math.min(buffers[s].remaining(), limit - written);
            byte[] bytes = new byte[n];
            buffers[s].get(bytes);
            out.write(bytes, 0, n);
            written += n;
        }
        connection.written(written, now);
        return written;
    }

    String output() {
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    byte[] outputBytes() {
        return out.toByteArray();
    }
}
