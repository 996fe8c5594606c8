package dev.webroot.httpd.tls;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLException;

/**
 * The TLS layer of one connection run by OpenSSL: an {@code SSL} object between two memory BIOs.
 * Ciphertext from the transport is written into the read BIO (at most about a record ahead, so the
 * transport stops reading when the layer above stops taking), {@code SSL_read} decrypts into the
 * pooled native plaintext buffer, {@code SSL_write} encrypts what the layer above wants written, and
 * the write BIO is read into the ciphertext buffer the transport sends. A failed call clears the
 * thread's OpenSSL error queue, so the queue is empty before every call (as {@code SSL_get_error}
 * needs) without a clearing call on the record path; handshakes, which run callbacks, also clear
 * it before they start. An error ends this connection with OpenSSL's alert, and nothing is logged.
 *
 * <p>Plaintext to encrypt is first copied into a pooled native buffer, also when it is a mapped
 * file: a fault in a mapping that shrank is then an error in Java, not a crash in libssl.
 */
final class OpenSslConnection extends TlsConnection {
    /**
     * The most a memory BIO may have held for an idle connection to keep its BIOs: a BIO keeps its
     * largest buffer (about 4/3 of the most it held), and replacing both costs two allocations,
     * two cleared frees and the locks of OpenSSL's ex-data, which small keep-alive exchanges would
     * pay on every request.
     */
    static final int IDLE_BIO_BYTES = 2048;
    private final OpenSslContexts contexts;
    private MemorySegment ssl = MemorySegment.NULL;
    /** The memory BIOs, read by tests of what an idle connection keeps. */
    MemorySegment rbio;
    MemorySegment wbio;
    private boolean shutdownSent;
    /** The last SSL_read found no whole record, and no more ciphertext has arrived since. */
    private boolean inputExhausted;
    /** The most either current BIO has held; past {@link #IDLE_BIO_BYTES}, an idle connection trades them. */
    private long bioPeak;

    OpenSslConnection(TlsConnectionFactory factory, OpenSslContexts contexts, String remoteAddress) {
        super(factory, remoteAddress);
        this.contexts = contexts;
    }

    @Override
    void start(String serverName, boolean offersAcmeTls) throws SSLException {
        // The servername callback chooses the certificate from the hello OpenSSL parses itself,
        // except for a TLS-ALPN-01 challenge, whose context the pre-check's reading chooses.
        LibSsl.ERR_clear_error();
        MemorySegment created = contexts.newSsl(serverName, offersAcmeTls);
        if (MemorySegment.NULL.equals(created)) {
            LibSsl.ERR_clear_error();
            throw new SSLException("SSL_new failed");
        }
        ssl = created;
        MemorySegment in = LibSsl.BIO_new_mem();
        MemorySegment out = LibSsl.BIO_new_mem();
        if (MemorySegment.NULL.equals(in) || MemorySegment.NULL.equals(out)) {
            freeUnset(in, out);
            throw new SSLException("BIO_new failed");
        }
        // An empty read BIO means "wait for more", not end of input.
        LibSsl.BIO_ctrl(in, LibSsl.BIO_C_SET_BUF_MEM_EOF_RETURN, -1, MemorySegment.NULL);
        LibSsl.SSL_set_bio(ssl, in, out);
        rbio = in;
        wbio = out;
        LibSsl.SSL_set_accept_state(ssl);
    }

    @Override
    boolean handshake(long now) throws SSLException {
        if (next != null) {
            return drain();
        }
        boolean progress = feed();
        LibSsl.ERR_clear_error();
        int result = LibSsl.SSL_do_handshake(ssl);
        progress |= drain();
        if (result == 1) {
            // What a callback or a tolerated failure left must not reach the record path.
            LibSsl.ERR_clear_error();
            // The handshake's flights are never sent or received again: trade their BIOs once idle.
            bioPeak = Long.MAX_VALUE;
            established(now);
            return true;
        }
        int error = LibSsl.SSL_get_error(ssl, result);
        LibSsl.ERR_clear_error();
        if (error == LibSsl.SSL_ERROR_WANT_READ) {
            return progress;
        }
        throw new SSLException("handshake failed (SSL_get_error " + error + ")");
    }

    @Override
    boolean decrypt(long now) throws SSLException {
        if (next == null || closeNotifyReceived) {
            return false;
        }
        ByteBuffer plain = buffers.appIn;
        boolean progress = feed();
        while (plain.hasRemaining()) {
            int wanted = plain.remaining();
            int n = LibSsl.SSL_read(ssl, BufferPool.Set.span(plain, plain.position(), plain.limit()), wanted);
            if (n > 0) {
                plain.position(plain.position() + n);
                progress = true;
                if (n < wanted && buffers.netIn.position() == 0 && LibSsl.BIO_pending(rbio) == 0) {
                    // The record is taken whole and no ciphertext is left (OpenSSL reads no
                    // further ahead than the record it returns): another SSL_read would only
                    // say so, at the cost of a call and of an error-queue entry to clear.
                    inputExhausted = true;
                    break;
                }
                continue;
            }
            int error = LibSsl.SSL_get_error(ssl, n);
            LibSsl.ERR_clear_error();
            if (error == LibSsl.SSL_ERROR_WANT_READ) {
                if (feed()) {
                    progress = true;
                    continue;
                }
                inputExhausted = true;
                break;
            }
            if (error == LibSsl.SSL_ERROR_ZERO_RETURN) {
                closeNotifyReceived = true;
                peerEnded = true;
                progress = true;
                break;
            }
            throw new SSLException("record refused (SSL_get_error " + error + ")");
        }
        // Reading may have queued an answer: a key update, or the alert of a failure.
        return drain() | progress;
    }

    @Override
    long encrypt(ByteBuffer[] plain, int count) throws SSLException {
        ByteBuffer staging = buffers.plainOut;
        int n = 0;
        for (int i = 0; i < count && n < staging.capacity(); i++) {
            ByteBuffer from = plain[i];
            int take = Math.min(from.remaining(), staging.capacity() - n);
            staging.put(n, from, from.position(), take);
            n += take;
        }
        if (n == 0) {
            return 0;
        }
        int written = LibSsl.SSL_write(ssl, BufferPool.Set.span(staging, 0, n), n);
        if (written <= 0) {
            int error = LibSsl.SSL_get_error(ssl, written);
            LibSsl.ERR_clear_error();
            throw new SSLException("SSL_write failed (SSL_get_error " + error + ")");
        }
        drain();
        return written;
    }

    @Override
    boolean queueCloseNotify() {
        if (!shutdownSent) {
            shutdownSent = true;
            LibSsl.ERR_clear_error();
            LibSsl.SSL_shutdown(ssl);
            LibSsl.ERR_clear_error();
        }
        // What does not fit now leaves after the next write (handshake() drains the write BIO).
        drain();
        outboundClosed = true;
        return true;
    }

    @Override
    void queueAlert() {
        if (wbio != null) {
            drain();
        }
    }

    @Override
    String applicationProtocol() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(ADDRESS);
            MemorySegment length = arena.allocate(JAVA_INT);
            LibSsl.SSL_get0_alpn_selected(ssl, data, length);
            int n = length.get(JAVA_INT, 0);
            if (n == 0) {
                return null;
            }
            return new String(data.get(ADDRESS, 0).reinterpret(n).toArray(JAVA_BYTE), StandardCharsets.ISO_8859_1);
        }
    }

    @Override
    boolean holdsWholeRecord() {
        return !inputExhausted || LibSsl.SSL_pending(ssl) > 0;
    }

    /**
     * A memory BIO keeps its largest buffer until it is freed, so an idle connection trades its two
     * for empty ones after the handshake and whenever either held more than {@link #IDLE_BIO_BYTES}:
     * it then keeps at most a few KiB of record memory (libssl's own buffers go with
     * {@code SSL_MODE_RELEASE_BUFFERS}).
     */
    @Override
    void idle() {
        if (next == null || MemorySegment.NULL.equals(ssl)
                || bioPeak <= IDLE_BIO_BYTES
                || LibSsl.BIO_pending(rbio) != 0 || LibSsl.BIO_pending(wbio) != 0) {
            return;
        }
        LibSsl.ERR_clear_error();
        MemorySegment in = LibSsl.BIO_new_mem();
        MemorySegment out = LibSsl.BIO_new_mem();
        if (MemorySegment.NULL.equals(in) || MemorySegment.NULL.equals(out)) {
            // Keep the old ones: the connection works on, only less frugally.
            freeUnset(in, out);
            return;
        }
        LibSsl.BIO_ctrl(in, LibSsl.BIO_C_SET_BUF_MEM_EOF_RETURN, -1, MemorySegment.NULL);
        LibSsl.SSL_set_bio(ssl, in, out);
        rbio = in;
        wbio = out;
        bioPeak = 0;
    }

    private static void freeUnset(MemorySegment in, MemorySegment out) {
        if (!MemorySegment.NULL.equals(in)) {
            LibSsl.BIO_free(in);
        }
        if (!MemorySegment.NULL.equals(out)) {
            LibSsl.BIO_free(out);
        }
        LibSsl.ERR_clear_error();
    }

    @Override
    void release() {
        if (!MemorySegment.NULL.equals(ssl)) {
            contexts.free(ssl);
            ssl = MemorySegment.NULL;
            rbio = wbio = null;
        }
    }

    /** Moves received ciphertext into the read BIO, keeping at most about one record there; whether any moved. */
    private boolean feed() {
        ByteBuffer in = buffers.netIn;
        int held = in.position();
        if (held == 0) {
            return false;
        }
        long pending = LibSsl.BIO_pending(rbio);
        long room = factory.packetBytes - pending;
        int n = (int) Math.min(held, room);
        if (n <= 0) {
            return false;
        }
        int written = LibSsl.BIO_write(rbio, BufferPool.Set.span(in, 0, n), n);
        if (written <= 0) {
            LibSsl.ERR_clear_error();
            return false;
        }
        in.limit(held).position(written);
        in.compact();
        inputExhausted = false;
        bioPeak = Math.max(bioPeak, pending + written);
        return true;
    }

    /** Moves what OpenSSL wrote into the ciphertext buffer, as far as it has room; whether any moved. */
    private boolean drain() {
        boolean moved = false;
        long pending;
        while ((pending = LibSsl.BIO_pending(wbio)) > 0) {
            bioPeak = Math.max(bioPeak, pending);
            int room = roomAfterOutput();
            if (room == 0) {
                break;
            }
            int n = LibSsl.BIO_read(wbio, BufferPool.Set.span(buffers.netOut, outEnd, outEnd + room), room);
            if (n <= 0) {
                LibSsl.ERR_clear_error();
                break;
            }
            outEnd += n;
            moved = true;
        }
        return moved;
    }
}
