package dev.webroot.httpd.tls;

import dev.webroot.io.Connection;
import dev.webroot.io.Output;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import javax.net.ssl.SSLException;

/**
 * The TLS layer of one connection: a {@link Connection} to the transport below, which it feeds
 * ciphertext, and the driver of a plaintext {@link Connection} above (the protocol ALPN chose),
 * exactly as a transport drives it. No I/O and no clock of its own: every step happens inside a
 * call of the transport, with the transport's time.
 *
 * <p>Before the engine sees a byte, the first record is inspected ({@link ClientHello}): cleartext
 * HTTP sent to the TLS port gets a plain 400 that says so; a hello for a name that has no
 * certificate (and no default) gets the {@code unrecognized_name} alert. A failed handshake or a bad
 * record gets the engine's alert, then a close; nothing is logged, the failure is counted.
 *
 * <p>Deadlines: the handshake must complete within the handshake timeout; afterwards the next
 * layer's deadlines apply, plus the send timeout while ciphertext is waiting to leave.
 *
 * <p>This class is the part both engines share (record buffers, the hello check, the hand-off to
 * the protocol above, closing and deadlines); {@link JsseConnection} and {@link OpenSslConnection}
 * run the handshake and the records.
 */
abstract sealed class TlsConnection implements Connection permits JsseConnection, OpenSslConnection {
    private static final int MAX_GATHER = 16;
    /** A fatal {@code unrecognized_name} alert record. */
    private static final byte[] UNRECOGNIZED_NAME = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 112};
    /** A fatal {@code record_overflow} alert record: the engine would wait for the claimed bytes instead. */
    private static final byte[] RECORD_OVERFLOW = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 22};
    private static final byte[] CLEARTEXT_REFUSAL = ("HTTP/1.1 400 Bad Request\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: 44\r\n"
            + "Connection: close\r\n\r\n"
            + "This port speaks HTTPS: use an https:// URL\n").getBytes(StandardCharsets.US_ASCII);

    final TlsConnectionFactory factory;
    private final String remoteAddress;
    private final Ciphertext ciphertext = new Ciphertext();
    private final ByteBuffer[] gather = new ByteBuffer[MAX_GATHER];
    /** Lent while bytes are in flight in either direction; null while idle. */
    BufferPool.Set buffers;
    int outStart;
    int outEnd;
    /** The protocol above, once the handshake has completed. */
    Connection next;
    private boolean helloInspected;
    /** The handshake or a record failed, or the first bytes were refused: send what is queued, then close. */
    boolean failed;
    /** close_notify (or an alert) is queued: nothing more is sent after it. */
    boolean outboundClosed;
    /** The peer will send nothing more (its FIN, or its close_notify). */
    boolean peerEnded;
    /** close_notify arrived: nothing after it is decrypted. */
    boolean closeNotifyReceived;
    /** The layer above has been told of the end, after every byte before it. */
    private boolean endDelivered;
    private boolean closed;
    private long handshakeDeadline;
    private long lastSendNanos;

    TlsConnection(TlsConnectionFactory factory, String remoteAddress) {
        this.factory = factory;
        this.remoteAddress = remoteAddress;
    }

    @Override
    public void opened(long now) {
        handshakeDeadline = now + factory.handshakeTimeoutNanos;
        lastSendNanos = now;
    }

    @Override
    public Operation nextRead() {
        if (closed) {
            return Operation.CLOSE;
        }
        if (failed || outboundClosed) {
            return hasOutput() ? Operation.YIELD : Operation.CLOSE;
        }
        if (peerEnded) {
            // Nothing more to read; the layer above finishes its answers and then asks to close.
            return Operation.YIELD;
        }
        if (next != null && next.nextRead() != Operation.PROCEED) {
            // A layer above that is closing has had its close_notify queued by now.
            return Operation.YIELD;
        }
        return buffers == null || buffers.netIn.hasRemaining() ? Operation.PROCEED : Operation.YIELD;
    }

    @Override
    public ByteBuffer readBuffer() {
        lend();
        return buffers.netIn;
    }

    @Override
    public void read(int n, long now) {
        if (closed) {
            return;
        }
        advance(now);
    }

    @Override
    public void readNothing() {
        giveBackIfIdle();
    }

    @Override
    public void readEof(long now) {
        if (closed || peerEnded) {
            return;
        }
        // A FIN without close_notify: the request may still be answered (the client half-closed),
        // so the engine's inbound side is left alone; closing it would also close the outbound one.
        // What arrived before the FIN is still decrypted and passed up first.
        peerEnded = true;
        advance(now);
        if (next == null && !closed) {
            failed = true;
        }
    }

    @Override
    public Operation nextWrite() {
        if (closed) {
            return Operation.CLOSE;
        }
        if (hasOutput()) {
            return Operation.PROCEED;
        }
        return failed || outboundClosed ? Operation.CLOSE : Operation.YIELD;
    }

    @Override
    public Output output() {
        return ciphertext;
    }

    @Override
    public void written(long n, long now) {
        if (closed || n <= 0) {
            return;
        }
        outStart += (int) n;
        lastSendNanos = now;
        if (outStart == outEnd) {
            outStart = outEnd = 0;
        }
        advance(now);
    }

    @Override
    public long deadline() {
        if (closed) {
            return Long.MAX_VALUE;
        }
        long deadline = hasOutput() ? lastSendNanos + factory.sendTimeoutNanos : Long.MAX_VALUE;
        if (next == null) {
            return failed ? deadline : Math.min(deadline, handshakeDeadline);
        }
        return outboundClosed ? deadline : Math.min(deadline, next.deadline());
    }

    @Override
    public void timedOut(long now) {
        if (closed || now < deadline()) {
            return;
        }
        if (hasOutput() && now - lastSendNanos >= factory.sendTimeoutNanos) {
            closed();
            return;
        }
        if (next == null) {
            closed();
            return;
        }
        next.timedOut(now);
        advance(now);
    }

    @Override
    public void closed() {
        if (closed) {
            return;
        }
        closed = true;
        if (next != null) {
            next.closed();
        } else {
            // Every connection that closes before its handshake completed counts once as failed.
            factory.failedHandshakes.increment();
        }
        release();
        outStart = outEnd = 0;
        if (buffers != null) {
            factory.buffers.giveBack(buffers);
            buffers = null;
        }
    }

    /** Runs the engine as far as the bytes at hand allow, in both directions. */
    private void advance(long now) {
        lend();
        boolean hadOutput = hasOutput();
        if (!helloInspected && !inspectHello()) {
            giveBackIfIdle();
            return;
        }
        try {
            boolean progress = true;
            while (progress && !failed) {
                progress = handshake(now) | decrypt(now) | deliver(now) | wrap(now);
            }
        } catch (SSLException e) {
            fail();
        }
        if (!hadOutput && hasOutput()) {
            // The send timeout measures a stalled peer, not the idle time before this output.
            lastSendNanos = now;
        }
        giveBackIfIdle();
    }

    /** Looks at the first record before the engine does; false while it must wait or has refused it. */
    private boolean inspectHello() {
        ByteBuffer in = buffers.netIn;
        ClientHello hello = new ClientHello();
        int verdict = hello.inspect(in, in.position());
        switch (verdict) {
            case ClientHello.NEED_MORE -> {
                return false;
            }
            case ClientHello.CLEARTEXT_HTTP -> refuse(CLEARTEXT_REFUSAL);
            case ClientHello.OVERSIZED -> refuse(RECORD_OVERFLOW);
            case ClientHello.HELLO -> {
                if (!factory.hasCertificateFor(hello.serverName(), hello.offersAcmeTls())) {
                    refuse(UNRECOGNIZED_NAME);
                }
            }
            default -> {
                // Other records and unusual hellos are the engine's to refuse.
            }
        }
        helloInspected = true;
        if (failed) {
            return false;
        }
        try {
            start(hello.serverName(), hello.offersAcmeTls());
        } catch (SSLException e) {
            fail();
        }
        return !failed;
    }

    /** Creates the engine for a hello that passed inspection ({@code serverName} as the hello sent it, or null). */
    abstract void start(String serverName, boolean offersAcmeTls) throws SSLException;

    /** Moves handshake messages (and post-handshake ones: tickets, key updates) the engine wants sent. */
    abstract boolean handshake(long now) throws SSLException;

    /**
     * Decrypts what has arrived into {@code buffers.appIn}; on the peer's close_notify sets
     * {@link #closeNotifyReceived} and {@link #peerEnded} (and {@link #failed} before the handshake completed).
     */
    abstract boolean decrypt(long now) throws SSLException;

    /** Encrypts from the first {@code count} plaintext buffers into the ciphertext queue; returns the bytes consumed. */
    abstract long encrypt(ByteBuffer[] plain, int count) throws SSLException;

    /** Queues what the engine still has to send, then close_notify, as far as there is room; sets {@link #outboundClosed} once it is queued. */
    abstract boolean queueCloseNotify() throws SSLException;

    /** After a failure: queues the alert the engine prepared, if any, as far as there is room. */
    abstract void queueAlert();

    /** The protocol ALPN agreed on ("" or null: none). */
    abstract String applicationProtocol();

    /** Whether the received ciphertext still holds a whole record to decrypt. */
    abstract boolean holdsWholeRecord();

    /** Releases the engine; called once, when the connection closes. */
    abstract void release();

    private void refuse(byte[] answer) {
        failed = true;
        buffers.netIn.clear();
        buffers.netOut.clear().put(answer);
        outStart = 0;
        outEnd = answer.length;
    }

    /** Hands the layer above its protocol: the one ALPN chose. */
    final void established(long now) {
        factory.handshakes.increment();
        next = factory.protocol(applicationProtocol()).open(remoteAddress);
        next.opened(now);
    }

    /** Passes decrypted bytes up, as far as the layer above takes them. */
    private boolean deliver(long now) {
        ByteBuffer plain = buffers.appIn;
        boolean progress = false;
        while (next != null && plain.position() > 0 && next.nextRead() == Operation.PROCEED) {
            ByteBuffer into = next.readBuffer();
            int n = Math.min(into.remaining(), plain.position());
            if (n == 0) {
                break;
            }
            plain.flip();
            int limit = plain.limit();
            into.put(into.position(), plain, 0, n);
            into.position(into.position() + n);
            plain.position(n).limit(limit);
            plain.compact();
            next.read(n, now);
            progress = true;
        }
        if (next != null && peerEnded && !endDelivered && plain.position() == 0
                && (closeNotifyReceived || !holdsWholeRecord())) {
            endDelivered = true;
            next.readEof(now);
            progress = true;
        }
        return progress;
    }

    /** Encrypts what the layer above wants written; queues close_notify once it asks to close. */
    private boolean wrap(long now) throws SSLException {
        if (next == null || outboundClosed) {
            return false;
        }
        boolean progress = false;
        while (roomToWrap()) {
            Operation write = next.nextWrite();
            if (write == Operation.CLOSE) {
                // Whatever the engine still has queued (a post-handshake message) leaves first, then
                // close_notify; when the buffer fills, the rest follows after the next write.
                return queueCloseNotify() | progress;
            }
            if (write != Operation.PROCEED) {
                return progress;
            }
            Output plain = next.output();
            int count = Math.min(plain.segmentCount(), MAX_GATHER);
            for (int i = 0; i < count; i++) {
                gather[i] = plain.buffer(i);
            }
            long consumed;
            try {
                consumed = encrypt(gather, count);
            } finally {
                java.util.Arrays.fill(gather, 0, count, null);
            }
            if (consumed == 0) {
                return progress;
            }
            progress = true;
            next.written(consumed, now);
        }
        return progress;
    }

    /** Whether a whole record fits after the queued ciphertext (moving it to the front if that makes room). */
    final boolean roomToWrap() {
        return roomAfterOutput() >= factory.packetBytes;
    }

    /** The bytes free after the queued ciphertext, once it is moved to the front of the buffer. */
    final int roomAfterOutput() {
        ByteBuffer out = buffers.netOut;
        if (out.capacity() - outEnd < factory.packetBytes && outStart > 0) {
            out.limit(outEnd).position(outStart);
            out.compact();
            outEnd -= outStart;
            outStart = 0;
        }
        return out.capacity() - outEnd;
    }

    /** The free space after the queued ciphertext, as a buffer to encrypt into (then {@code outEnd = position()}). */
    final ByteBuffer outTail() {
        return buffers.netOut.limit(buffers.netOut.capacity()).position(outEnd);
    }

    /** The engine refused the peer: send the alert it prepared, then close. */
    final void fail() {
        failed = true;
        lend();
        buffers.netIn.clear();
        buffers.appIn.clear();
        queueAlert();
        outboundClosed = true;
    }

    /** Whether the connection holds record buffers: only while bytes are in flight. */
    boolean holdsBuffers() {
        return buffers != null;
    }

    final boolean hasOutput() {
        return outEnd > outStart;
    }

    final void lend() {
        if (buffers == null) {
            buffers = factory.buffers.take();
        }
    }

    private void giveBackIfIdle() {
        if (buffers != null && buffers.netIn.position() == 0 && buffers.appIn.position() == 0 && !hasOutput()) {
            factory.buffers.giveBack(buffers);
            buffers = null;
            outStart = outEnd = 0;
            if (!closed) {
                idle();
            }
        }
    }

    /** Called when the record buffers go back to the pool: nothing is in flight in this layer. */
    abstract void idle();

    /** The queued ciphertext as the transport's one output segment. */
    private final class Ciphertext implements Output {
        @Override
        public int segmentCount() {
            return hasOutput() ? 1 : 0;
        }

        @Override
        public long remaining(int segment) {
            return outEnd - outStart;
        }

        @Override
        public boolean isFileSpan(int segment) {
            return false;
        }

        @Override
        public ByteBuffer buffer(int segment) {
            return buffers.netOut.limit(outEnd).position(outStart);
        }

        @Override
        public FileChannel channel(int segment) {
            throw new UnsupportedOperationException("TLS output is in memory");
        }

        @Override
        public Path file(int segment) {
            throw new UnsupportedOperationException("TLS output is in memory");
        }

        @Override
        public MemorySegment mapping(int segment) {
            throw new UnsupportedOperationException("TLS output is in memory");
        }

        @Override
        public long filePosition(int segment) {
            throw new UnsupportedOperationException("TLS output is in memory");
        }

        @Override
        public long totalRemaining() {
            return outEnd - outStart;
        }
    }
}
