package dev.webroot.httpd.tls;

import dev.webroot.io.Connection;
import dev.webroot.io.Output;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * A plaintext protocol for testing the TLS layer alone: answers each line with the line in upper
 * case, a line "big N" with N bytes of 'x', and a line "bye" by closing after the answers.
 */
final class EchoConnection implements Connection, Output {
    private final ByteBuffer in = ByteBuffer.allocate(64);
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private ByteBuffer out = ByteBuffer.allocate(0);
    private boolean closing;
    boolean opened;
    boolean closed;
    boolean eof;

    @Override
    public void opened(long now) {
        opened = true;
    }

    @Override
    public Operation nextRead() {
        if (closed || closing && !out.hasRemaining()) {
            return Operation.CLOSE;
        }
        return closing || eof || out.hasRemaining() ? Operation.YIELD : Operation.PROCEED;
    }

    @Override
    public ByteBuffer readBuffer() {
        return in.clear();
    }

    @Override
    public void read(int n, long now) {
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        for (int i = 0; i < n; i++) {
            byte b = in.get(i);
            if (b != '\n') {
                line.write(b);
                continue;
            }
            String text = line.toString(java.nio.charset.StandardCharsets.US_ASCII);
            line.reset();
            if (text.equals("bye")) {
                closing = true;
            } else if (text.startsWith("big ")) {
                answer.writeBytes("x".repeat(Integer.parseInt(text.substring(4))).getBytes());
            } else {
                answer.writeBytes((text.toUpperCase() + "\n").getBytes());
            }
        }
        ByteBuffer more = ByteBuffer.allocate(out.remaining() + answer.size());
        more.put(out).put(answer.toByteArray()).flip();
        out = more;
    }

    @Override
    public void readEof(long now) {
        eof = true;
        closing = true;
    }

    @Override
    public Operation nextWrite() {
        if (closed) {
            return Operation.CLOSE;
        }
        if (out.hasRemaining()) {
            return Operation.PROCEED;
        }
        return closing ? Operation.CLOSE : Operation.YIELD;
    }

    @Override
    public Output output() {
        return this;
    }

    @Override
    public void written(long n, long now) {
        out.position(out.position() + (int) n);
    }

    @Override
    public long deadline() {
        return Long.MAX_VALUE;
    }

    @Override
    public void timedOut(long now) {}

    @Override
    public void closed() {
        closed = true;
    }

    @Override
    public int segmentCount() {
        return out.hasRemaining() ? 1 : 0;
    }

    @Override
    public long remaining(int segment) {
        return out.remaining();
    }

    @Override
    public boolean isFileSpan(int segment) {
        return false;
    }

    @Override
    public ByteBuffer buffer(int segment) {
        return out.duplicate();
    }

    @Override
    public FileChannel channel(int segment) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Path file(int segment) {
        throw new UnsupportedOperationException();
    }

    @Override
    public MemorySegment mapping(int segment) {
        throw new UnsupportedOperationException();
    }

    @Override
    public long filePosition(int segment) {
        throw new UnsupportedOperationException();
    }

    @Override
    public long totalRemaining() {
        return out.remaining();
    }
}
