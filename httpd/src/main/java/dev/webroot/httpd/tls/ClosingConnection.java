package dev.webroot.httpd.tls;

import dev.webroot.io.Connection;
import dev.webroot.io.ConnectionFactory;
import dev.webroot.io.Output;
import java.nio.ByteBuffer;

/**
 * The layer above a completed {@code acme-tls/1} handshake: RFC 8737 has the validator close once it
 * has seen the certificate, and so does this side; nothing is read or served.
 */
final class ClosingConnection implements Connection {
    static final ConnectionFactory FACTORY = remote -> new ClosingConnection();

    private static final ByteBuffer NOTHING = ByteBuffer.allocate(0);

    @Override
    public void opened(long now) {}

    @Override
    public Operation nextRead() {
        return Operation.YIELD;
    }

    @Override
    public ByteBuffer readBuffer() {
        return NOTHING;
    }

    @Override
    public void read(int n, long now) {}

    @Override
    public void readEof(long now) {}

    @Override
    public Operation nextWrite() {
        return Operation.CLOSE;
    }

    @Override
    public Output output() {
        throw new IllegalStateException("nothing is written after an acme-tls/1 handshake");
    }

    @Override
    public void written(long n, long now) {}

    @Override
    public long deadline() {
        return Long.MAX_VALUE;
    }

    @Override
    public void timedOut(long now) {}

    @Override
    public void closed() {}
}
