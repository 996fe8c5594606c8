package dev.webroot.httpd.core;

import dev.webroot.format.Webroot;
import dev.webroot.httpd.http2.HpackDecoder;
import dev.webroot.io.Connection;
import dev.webroot.io.Output;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The HTTP/2 server side of one connection (RFC 9113), as an I/O-free state machine like
 * {@link HttpConnection}: the driver feeds bytes and writes what {@link #output()} holds.
 *
 * <p>Each request is a stream. Its header block is decoded by a bounded {@link HpackDecoder} into
 * the stream's own {@link RequestHead}, and once the client ends the stream the same
 * {@link ResponsePlanner} as HTTP/1.1 decides the answer, written by a {@link ResponseWriter} with
 * {@link HpackHeaders} into the stream's spans. Those are framed lazily: whenever the output is
 * empty, streams with something to send get a turn each, one frame at a time (HEADERS, then DATA of
 * at most 16 KiB within both flow-control windows), until a write's worth is queued, so one large
 * download never starves small ones. A DATA frame is its 9-byte header and a span of the mapping,
 * so a body is never copied into a frame buffer.
 *
 * <p>Requests have no bodies, as in HTTP/1.1: a DATA frame with payload before the end of a
 * request's stream is answered 413. Error handling follows RFC 9113 §5.4: stream errors reset the
 * stream, connection errors send GOAWAY and close once it is written. Against abuse: more than
 * {@value #MAX_CONCURRENT_STREAMS} open streams are refused; header blocks (with CONTINUATION)
 * beyond twice the header limit, floods of frames that ask nothing (SETTINGS, PING, PRIORITY,
 * empty DATA) and streams reset by the client faster than a budget allows end the connection with
 * ENHANCE_YOUR_CALM; a decoded header list over the limit is answered 431; a stream stalled on a
 * window the client keeps at zero closes the connection after the send timeout.
 */
public final class Http2Connection implements Connection, HpackDecoder.FieldListener {
    static final int MAX_CONCURRENT_STREAMS = 128;
    /** The largest frame payload accepted, and sent: the protocol's default SETTINGS_MAX_FRAME_SIZE. */
    private static final int MAX_FRAME = Http2.MIN_MAX_FRAME_SIZE;
    /** Body bytes framed per fill of the output queue. */
    private static final int FILL_BYTES = 256 * 1024;
    private static final int HEADER_TABLE_BYTES = 4096;
    /** Control frames (acknowledgements, resets) queued but not yet written, beyond which input waits. */
    private static final int MAX_UNSENT_CONTROL = 64 * 1024;
    /** The connection's receive window is topped up once this much of it was used. */
    private static final int WINDOW_REFILL = Http2.DEFAULT_WINDOW / 2;
    private static final byte[] HTTP_2 = Ascii.bytes(" HTTP/2.0");
    private static final byte[] TRAILERS = Ascii.bytes("trailers");
    private static final byte[][] CONNECTION_SPECIFIC = {
        Ascii.bytes("connection"), Ascii.bytes("keep-alive"), Ascii.bytes("proxy-connection"),
        Ascii.bytes("transfer-encoding"), Ascii.bytes("upgrade")
    };
    private static final byte[] METHOD = Ascii.bytes(":method");
    private static final byte[] SCHEME = Ascii.bytes(":scheme");
    private static final byte[] AUTHORITY = Ascii.bytes(":authority");
    private static final byte[] PATH = Ascii.bytes(":path");
    private static final byte[] TE = Ascii.bytes("te");
    private static final byte[] CONNECT = Ascii.bytes("CONNECT");
    private static final byte[] NO_BLOCK = new byte[0];
    /** Not a wire flag: the HEADERS frame's priority named its own stream. */
    private static final int SELF_DEPENDENT = 0x100;

    private final WorkspacePool pool;
    private final String remoteAddress;
    private final HpackDecoder decoder;
    private final FrameBudget idleFrames = new FrameBudget(1000, 200);
    private final FrameBudget resets = new FrameBudget(256, 100);

    /** Borrowed while there are bytes, streams or output in hand, else null; the fields below are its parts. */
    private Http2Workspace ws;
    private byte[] in;
    private OutputQueue out;
    private ResponseWriter writer;
    private ResponsePlanner planner;
    private byte[] arena;
    private int start;
    private int end;
    private boolean prefaceRead;
    private boolean settingsRead;

    private int arenaLength;

    /** A header block arriving in HEADERS and CONTINUATION frames, or -1. */
    private int blockStream = -1;
    private int blockFlags;
    private byte[] block = NO_BLOCK;
    private int blockLength;
    private long blockStartNanos;

    private Stream[] active = new Stream[8];
    private int activeCount;
    /** Streams whose response's last frame is queued, in queue order. */
    private Stream[] completing = new Stream[8];
    private int completingHead;
    private int completingCount;
    /** Streams ended while frames of theirs may still be queued: recycled once the queue is empty. */
    private Stream[] retired = new Stream[8];
    private int retiredCount;
    private int turn;
    /** The identifiers of the streams that closed last, to tell a closed stream from one never opened. */
    private final int[] recentIds = new int[32];
    private int recentNext;

    private int lastStreamId;
    private int requests;
    private long sendWindow = Http2.DEFAULT_WINDOW;
    private long receiveWindow = Http2.DEFAULT_WINDOW;
    private int peerInitialWindow = Http2.DEFAULT_WINDOW;
    private int peerMaxFrame = Http2.MIN_MAX_FRAME_SIZE;

    /** GOAWAY queued: no new streams; close once the output and the open streams are done. */
    private boolean goingAway;
    /** A connection error: close as soon as the GOAWAY is written. */
    private boolean failed;
    private boolean eof;
    private boolean closed;
    private long idleSinceNanos;
    private long lastSendNanos;
    private long stalledSinceNanos = -1;
    private boolean servedAny;

    /** The stream whose header block is being decoded, or null to decode without keeping anything. */
    private Stream decoding;
    /** The block being decoded is a request's trailers. */
    private boolean trailers;
    /**
     * The client set SETTINGS_HEADER_TABLE_SIZE: the next header block starts with a dynamic table
     * size update to 0 (RFC 7541 §4.2), which is the table responses use.
     */
    private boolean tableSizeUpdate;

    public Http2Connection(WorkspacePool pool, String remoteAddress) {
        this.pool = pool;
        this.remoteAddress = remoteAddress;
        this.decoder = new HpackDecoder(HEADER_TABLE_BYTES, pool.limits.maxHeaderBytes());
    }

    private void borrow() {
        if (ws == null) {
            ws = pool.takeHttp2();
            in = ws.in;
            out = ws.out;
            writer = ws.writer;
            planner = ws.planner;
            arena = ws.arena;
        }
    }

    /** Nothing read is unprocessed, no stream is open and everything queued was written: the workspace goes back. */
    private void giveBackIfIdle() {
        if (ws != null && start == end && activeCount == 0 && retiredCount == 0 && completingCount == 0
                && out.totalRemaining() == 0) {
            Http2Workspace w = ws;
            // The queue is empty; its buffer views stay cached, which keeps a warm workspace allocation-free.
            w.arena = arena;
            ws = null;
            in = null;
            out = null;
            writer = null;
            planner = null;
            arena = null;
            start = end = arenaLength = 0;
            pool.giveBack(w);
        }
    }

    private boolean hasOutput() {
        return out != null && out.totalRemaining() > 0;
    }

    @Override
    public void opened(long now) {
        idleSinceNanos = now;
        lastSendNanos = now;
        borrow();
        int at = frameHeader(18, Http2.SETTINGS, 0, 0);
        at = setting(at, Http2.SETTINGS_MAX_CONCURRENT_STREAMS, MAX_CONCURRENT_STREAMS);
        at = setting(at, Http2.SETTINGS_MAX_HEADER_LIST_SIZE, pool.limits.maxHeaderBytes());
        at = setting(at, Http2.SETTINGS_ENABLE_PUSH, 0);
        queueArena(at);
    }

    /**
     * Takes over a cleartext connection whose first bytes, {@code b[from, to)}, begin with the
     * client preface (HTTP/2 with prior knowledge).
     */
    void takeOver(byte[] b, int from, int to, long openedAt, long now) {
        opened(openedAt);
        System.arraycopy(b, from, in, 0, to - from);
        end = to - from;
        advance(now);
    }

    // ---- the driver's side ----

    @Override
    public Operation nextRead() {
        if (closed || failed) {
            return closed ? Operation.CLOSE : Operation.YIELD;
        }
        if (eof) {
            return hasOutput() || hasWork() ? Operation.YIELD : Operation.CLOSE;
        }
        if (ws == null) {
            return Operation.PROCEED;
        }
        // A peer that sends faster than it reads its answers is not read until it catches up.
        return end - start < in.length && arenaLength < MAX_UNSENT_CONTROL ? Operation.PROCEED : Operation.YIELD;
    }

    @Override
    public ByteBuffer readBuffer() {
        borrow();
        if (start > 0) {
            System.arraycopy(in, start, in, 0, end - start);
            end -= start;
            start = 0;
        }
        return ws.inView.limit(in.length).position(end);
    }

    @Override
    public void readNothing() {
        giveBackIfIdle();
    }

    @Override
    public void read(int n, long now) {
        if (closed || failed) {
            return;
        }
        end += n;
        advance(now);
        checkStall(now);
        giveBackIfIdle();
    }

    @Override
    public void readEof(long now) {
        eof = true;
        if (blockStream >= 0) {
            blockStream = -1;
        }
        if (ws != null) {
            advance(now);
            giveBackIfIdle();
        }
    }

    @Override
    public Operation nextWrite() {
        if (closed) {
            return Operation.CLOSE;
        }
        if (ws != null && out.totalRemaining() == 0 && !failed) {
            fill();
        }
        if (hasOutput()) {
            return Operation.PROCEED;
        }
        return failed || done() ? Operation.CLOSE : Operation.YIELD;
    }

    /** Nothing more will happen: GOAWAY sent or the peer gone, and every stream finished. */
    private boolean done() {
        return (goingAway || eof) && activeCount == 0;
    }

    private boolean hasWork() {
        return activeCount > 0;
    }

    @Override
    public Output output() {
        return out;
    }

    @Override
    public void written(long n, long now) {
        if (closed || n <= 0) {
            return;
        }
        lastSendNanos = now;
        int completed = out.advance(n);
        for (int i = 0; i < completed; i++) {
            Stream s = completing[completingHead];
            completing[completingHead] = null;
            completingHead = (completingHead + 1) % completing.length;
            completingCount--;
            finish(s, now);
        }
        if (out.totalRemaining() == 0) {
            arenaLength = 0;
            recycleRetired();
            if (activeCount == 0) {
                idleSinceNanos = now;
            }
        }
        checkStall(now);
        giveBackIfIdle();
    }

    @Override
    public long deadline() {
        if (closed) {
            return Long.MAX_VALUE;
        }
        if (hasOutput()) {
            return lastSendNanos + pool.sendTimeout;
        }
        long deadline = Long.MAX_VALUE;
        if (stalledSinceNanos >= 0) {
            deadline = stalledSinceNanos + pool.sendTimeout;
        }
        if (blockStream >= 0) {
            deadline = Math.min(deadline, blockStartNanos + pool.headTimeout);
        }
        if (activeCount == 0) {
            deadline = Math.min(deadline, idleSinceNanos + (servedAny ? pool.keepAliveTimeout : pool.headTimeout));
        }
        return deadline;
    }

    @Override
    public void timedOut(long now) {
        if (closed || now < deadline()) {
            return;
        }
        if (hasOutput()) {
            // The client has not read for a whole send timeout: nothing can be said to it any more.
            closed();
            return;
        }
        borrow();
        goAway(Http2.NO_ERROR);
        fail();
    }

    @Override
    public void closed() {
        if (closed) {
            return;
        }
        closed = true;
        for (int i = 0; i < activeCount; i++) {
            active[i].exchange.releaseGeneration();
        }
        for (int i = 0; i < retiredCount; i++) {
            retired[i].exchange.releaseGeneration();
        }
        activeCount = 0;
        retiredCount = 0;
        completingCount = 0;
        if (ws != null) {
            out.clear();
            start = end;
            giveBackIfIdle();
        }
    }

    // ---- input ----

    private void advance(long now) {
        while (!failed && !closed) {
            if (!prefaceRead) {
                int n = Math.min(end - start, Http2.PREFACE.length);
                if (!Arrays.equals(in, start, start + n, Http2.PREFACE, 0, n)) {
                    connectionError(Http2.PROTOCOL_ERROR);
                    return;
                }
                if (n < Http2.PREFACE.length) {
                    return;
                }
                start += n;
                prefaceRead = true;
            }
            if (end - start < Http2.FRAME_HEADER_BYTES) {
                return;
            }
            int length = (in[start] & 0xff) << 16 | (in[start + 1] & 0xff) << 8 | in[start + 2] & 0xff;
            int type = in[start + 3] & 0xff;
            int flags = in[start + 4] & 0xff;
            int stream = int32(in, start + 5) & 0x7fffffff;
            if (length > MAX_FRAME) {
                connectionError(Http2.FRAME_SIZE_ERROR);
                return;
            }
            if (end - start < Http2.FRAME_HEADER_BYTES + length) {
                return;
            }
            int payload = start + Http2.FRAME_HEADER_BYTES;
            start = payload + length;
            if (!settingsRead && type != Http2.SETTINGS) {
                connectionError(Http2.PROTOCOL_ERROR);
                return;
            }
            frame(type, flags, stream, payload, length, now);
        }
    }

    private void frame(int type, int flags, int id, int payload, int length, long now) {
        if (blockStream >= 0 && type != Http2.CONTINUATION) {
            connectionError(Http2.PROTOCOL_ERROR);
            return;
        }
        switch (type) {
            case Http2.DATA -> data(flags, id, payload, length, now);
            case Http2.HEADERS -> headers(flags, id, payload, length, now);
            case Http2.PRIORITY -> priority(id, payload, length, now);
            case Http2.RST_STREAM -> resetByPeer(id, payload, length, now);
            case Http2.SETTINGS -> settings(flags, id, payload, length, now);
            case Http2.PUSH_PROMISE -> connectionError(Http2.PROTOCOL_ERROR);
            case Http2.PING -> ping(flags, id, payload, length, now);
            case Http2.GOAWAY -> goAwayByPeer(id, length);
            case Http2.WINDOW_UPDATE -> windowUpdate(id, payload, length);
            case Http2.CONTINUATION -> continuation(flags, id, payload, length, now);
            default -> { } // Unknown frame types are ignored (5.5).
        }
    }

    private void data(int flags, int id, int payload, int length, long now) {
        if (id == 0) {
            connectionError(Http2.PROTOCOL_ERROR);
            return;
        }
        int dataLength = length;
        if ((flags & Http2.FLAG_PADDED) != 0) {
            if (length < 1 || (in[payload] & 0xff) >= length) {
                connectionError(Http2.PROTOCOL_ERROR);
                return;
            }
            dataLength = length - 1 - (in[payload] & 0xff);
        }
        if (length > receiveWindow) {
            connectionError(Http2.FLOW_CONTROL_ERROR);
            return;
        }
        receiveWindow -= length;
        if (receiveWindow <= Http2.DEFAULT_WINDOW - WINDOW_REFILL) {
            windowUpdateFrame(0, (int) (Http2.DEFAULT_WINDOW - receiveWindow));
            receiveWindow = Http2.DEFAULT_WINDOW;
        }
        if (id > lastStreamId) {
            connectionError(Http2.PROTOCOL_ERROR);
            return;
        }
        boolean endStream = (flags & Http2.FLAG_END_STREAM) != 0;
        if (dataLength == 0 && !endStream && flooded(now)) {
            return;
        }
        Stream s = find(id);
        if (s == null || s.remoteEnded) {
            if (flooded(now)) {
                return;
            }
            streamError(id, Http2.STREAM_CLOSED);
            return;
        }
        s.received += length;
        s.bodyReceived += dataLength;
        if (s.received > Http2.DEFAULT_WINDOW) {
            streamError(s, Http2.FLOW_CONTROL_ERROR);
            return;
        }
        if (endStream) {
            s.remoteEnded = true;
            if (!s.planned && !bodyAsDeclared(s)) {
                streamError(s, Http2.PROTOCOL_ERROR);
                return;
            }
        }
        if (dataLength > 0 && !s.planned) {
            // A request body: refused as HTTP/1.1 refuses one (405 for other methods, else 413),
            // without waiting for the rest.
            if (s.refusal == 0 && (s.head.method == RequestHead.METHOD_GET || s.head.method == RequestHead.METHOD_HEAD)) {
                s.refusal = 413;
            }
            plan(s);
        } else if (endStream && !s.planned) {
            plan(s);
        }
    }

    private void headers(int flags, int id, int payload, int length, long now) {
        if (id == 0) {
            connectionError(Http2.PROTOCOL_ERROR);
            return;
        }
        int from = payload;
        int to = payload + length;
        if ((flags & Http2.FLAG_PADDED) != 0) {
            if (length < 1) {
                connectionError(Http2.PROTOCOL_ERROR);
                return;
            }
            int pad = in[from++] & 0xff;
            if (pad > to - from) {
                connectionError(Http2.PROTOCOL_ERROR);
                return;
            }
            to -= pad;
        }
        boolean selfDependent = false;
        if ((flags & Http2.FLAG_PRIORITY) != 0) {
            if (to - from < 5) {
                connectionError(Http2.FRAME_SIZE_ERROR);
                return;
            }
            selfDependent = (int32(in, from) & 0x7fffffff) == id;
            from += 5;
        }
        blockFlags = flags | (selfDependent ? SELF_DEPENDENT : 0);
        if ((flags & Http2.FLAG_END_HEADERS) != 0) {
            headerBlock(id, in, from, to, now);
            return;
        }
        blockStream = id;
        blockStartNanos = now;
        blockLength = 0;
        appendBlock(from, to, now);
    }

    private void continuation(int flags, int id, int payload, int length, long now) {
        if (blockStream < 0 || id != blockStream) {
            connectionError(Http2.PROTOCOL_ERROR);
            return;
        }
        if (length == 0 && (flags & Http2.FLAG_END_HEADERS) == 0 && flooded(now)) {
            return;
        }
        if (!appendBlock(payload, payload + length, now)) {
            return;
        }
        if ((flags & Http2.FLAG_END_HEADERS) != 0) {
            int stream = blockStream;
            blockStream = -1;
            headerBlock(stream, block, 0, blockLength, now);
            // Blocks split into CONTINUATION frames are rare: an idle connection keeps no buffer for them.
            block = NO_BLOCK;
        }
    }

    private boolean appendBlock(int from, int to, long now) {
        int n = to - from;
        if (blockLength + n > 2 * pool.limits.maxHeaderBytes()) {
            // Too large to decode, and the HPACK state cannot be kept without decoding: the connection ends.
            connectionError(Http2.ENHANCE_YOUR_CALM);
            return false;
        }
        if (blockLength + n > block.length) {
            block = Arrays.copyOf(block, Math.min(2 * pool.limits.maxHeaderBytes(),
                    Math.max(blockLength + n, 2 * block.length + 1024)));
        }
        System.arraycopy(in, from, block, blockLength, n);
        blockLength += n;
        return true;
    }

    /** A complete header block for stream {@code id}: always decoded, so the HPACK state stays shared. */
    private void headerBlock(int id, byte[] b, int from, int to, long now) {
        boolean endStream = (blockFlags & Http2.FLAG_END_STREAM) != 0;
        if ((id & 1) == 0) {
            connectionError(Http2.PROTOCOL_ERROR);
            return;
        }
        Stream existing = id <= lastStreamId ? find(id) : null;
        if (id <= lastStreamId) {
            // Trailers of an open request (kept only to check them), or a HEADERS on a stream that is over.
            decoding = existing != null && !existing.remoteEnded ? existing : null;
            trailers = true;
            int result = decoder.decode(b, from, to, ws.fields, this);
            trailers = false;
            decoding = null;
            if (result == HpackDecoder.COMPRESSION_ERROR) {
                connectionError(Http2.COMPRESSION_ERROR);
                return;
            }
            if (existing == null) {
                // A stream that was open is closed; an identifier never used is out of order (5.1.1).
                connectionError(wasOpen(id) ? Http2.STREAM_CLOSED : Http2.PROTOCOL_ERROR);
            } else if (existing.remoteEnded) {
                streamError(existing, Http2.STREAM_CLOSED);
            } else if (!endStream || existing.malformed || !bodyAsDeclared(existing)) {
                streamError(existing, Http2.PROTOCOL_ERROR);
            } else {
                existing.remoteEnded = true;
                if (!existing.planned) {
                    plan(existing);
                }
            }
            return;
        }
        lastStreamId = id;
        if (goingAway || activeCount >= MAX_CONCURRENT_STREAMS) {
            decoding = null;
            if (decoder.decode(b, from, to, ws.fields, this) == HpackDecoder.COMPRESSION_ERROR) {
                connectionError(Http2.COMPRESSION_ERROR);
            } else if (!goingAway) {
                resetFrame(id, Http2.REFUSED_STREAM);
            }
            return;
        }
        Stream s = open(id, now);
        if (++requests >= pool.limits.maxRequestsPerConnection()) {
            // As HTTP/1.1's keep-alive limit: this stream is the last; the client opens a new connection.
            goAway(Http2.NO_ERROR);
        }
        decoding = s;
        int result = decoder.decode(b, from, to, ws.fields, this);
        decoding = null;
        if (result == HpackDecoder.COMPRESSION_ERROR) {
            connectionError(Http2.COMPRESSION_ERROR);
            return;
        }
        if ((blockFlags & SELF_DEPENDENT) != 0) {
            s.malformed = true;
        }
        if (result == HpackDecoder.LIST_TOO_LARGE) {
            s.refusal = 431;
        }
        finishRequest(s);
        if (endStream && !bodyAsDeclared(s)) {
            s.malformed = true;
        }
        if (s.malformed) {
            streamError(s, Http2.PROTOCOL_ERROR);
            return;
        }
        s.remoteEnded = endStream;
        if (endStream || s.refusal != 0) {
            plan(s);
        }
    }

    private void priority(int id, int payload, int length, long now) {
        if (id == 0) {
            connectionError(Http2.PROTOCOL_ERROR);
            return;
        }
        if (flooded(now)) {
            return;
        }
        if (length != 5) {
            streamError(id, Http2.FRAME_SIZE_ERROR);
            return;
        }
        if ((int32(in, payload) & 0x7fffffff) == id) {
            streamError(id, Http2.PROTOCOL_ERROR);
        }
    }

    private void resetByPeer(int id, int payload, int length, long now) {
        if (id == 0) {
            connectionError(Http2.PROTOCOL_ERROR);
            return;
        }
        if (length != 4) {
            connectionError(Http2.FRAME_SIZE_ERROR);
            return;
        }
        if (id > lastStreamId) {
            connectionError(Http2.PROTOCOL_ERROR);
            return;
        }
        Stream s = find(id);
        if (s == null) {
            return;
        }
        abort(s);
        // Opening streams only to cancel them is the rapid-reset attack (CVE-2023-44487).
        if (!resets.spend(now)) {
            connectionError(Http2.ENHANCE_YOUR_CALM);
        }
    }

    private void settings(int flags, int id, int payload, int length, long now) {
        if (id != 0) {
            connectionError(Http2.PROTOCOL_ERROR);
            return;
        }
        if ((flags & Http2.FLAG_ACK) != 0) {
            if (length != 0) {
                connectionError(Http2.FRAME_SIZE_ERROR);
            }
            return;
        }
        if (length % 6 != 0) {
            connectionError(Http2.FRAME_SIZE_ERROR);
            return;
        }
        if (settingsRead && flooded(now)) {
            return;
        }
        settingsRead = true;
        for (int i = payload; i < payload + length; i += 6) {
            int setting = (in[i] & 0xff) << 8 | in[i + 1] & 0xff;
            long value = int32(in, i + 2) & 0xffffffffL;
            switch (setting) {
                case Http2.SETTINGS_ENABLE_PUSH -> {
                    if (value > 1) {
                        connectionError(Http2.PROTOCOL_ERROR);
                        return;
                    }
                }
                case Http2.SETTINGS_INITIAL_WINDOW_SIZE -> {
                    if (value > Http2.MAX_WINDOW) {
                        connectionError(Http2.FLOW_CONTROL_ERROR);
                        return;
                    }
                    long delta = value - peerInitialWindow;
                    for (int k = 0; k < activeCount; k++) {
                        active[k].window += delta;
                        if (active[k].window > Http2.MAX_WINDOW) {
                            connectionError(Http2.FLOW_CONTROL_ERROR);
                            return;
                        }
                    }
                    peerInitialWindow = (int) value;
                }
                case Http2.SETTINGS_MAX_FRAME_SIZE -> {
                    if (value < Http2.MIN_MAX_FRAME_SIZE || value > Http2.MAX_MAX_FRAME_SIZE) {
                        connectionError(Http2.PROTOCOL_ERROR);
                        return;
                    }
                    peerMaxFrame = (int) Math.min(value, MAX_FRAME);
                }
                case Http2.SETTINGS_HEADER_TABLE_SIZE -> tableSizeUpdate = true;
                default -> { } // The others do not bind a server.
            }
        }
        queueArena(frameHeader(0, Http2.SETTINGS, Http2.FLAG_ACK, 0));
    }

    private void ping(int flags, int id, int payload, int length, long now) {
        if (id != 0) {
            connectionError(Http2.PROTOCOL_ERROR);
            return;
        }
        if (length != 8) {
            connectionError(Http2.FRAME_SIZE_ERROR);
            return;
        }
        if ((flags & Http2.FLAG_ACK) != 0) {
            return;
        }
        if (flooded(now)) {
            return;
        }
        int at = frameHeader(8, Http2.PING, Http2.FLAG_ACK, 0);
        System.arraycopy(in, payload, arena, at, 8);
        queueArena(at + 8);
    }

    private void goAwayByPeer(int id, int length) {
        if (id != 0) {
            connectionError(Http2.PROTOCOL_ERROR);
            return;
        }
        if (length < 8) {
            connectionError(Http2.FRAME_SIZE_ERROR);
            return;
        }
        // The peer opens no more streams; those in progress finish, then the connection closes.
        eof = true;
    }

    private void windowUpdate(int id, int payload, int length) {
        if (length != 4) {
            connectionError(Http2.FRAME_SIZE_ERROR);
            return;
        }
        long increment = int32(in, payload) & 0x7fffffff;
        if (id == 0) {
            if (increment == 0) {
                connectionError(Http2.PROTOCOL_ERROR);
                return;
            }
            sendWindow += increment;
            if (sendWindow > Http2.MAX_WINDOW) {
                connectionError(Http2.FLOW_CONTROL_ERROR);
            }
            return;
        }
        if (id > lastStreamId) {
            connectionError(Http2.PROTOCOL_ERROR);
            return;
        }
        Stream s = find(id);
        if (s == null) {
            return;
        }
        if (increment == 0) {
            streamError(s, Http2.PROTOCOL_ERROR);
            return;
        }
        s.window += increment;
        if (s.window > Http2.MAX_WINDOW) {
            streamError(s, Http2.FLOW_CONTROL_ERROR);
        }
    }

    // ---- request fields ----

    @Override
    public boolean field(byte[] b, int nameStart, int nameEnd, int valueStart, int valueEnd) {
        Stream s = decoding;
        if (s == null || s.malformed) {
            return false;
        }
        if (trailers) {
            // Trailers are not read, but a pseudo-header among them makes the request malformed (8.1).
            s.malformed |= nameEnd > nameStart && b[nameStart] == ':';
            return !s.malformed;
        }
        if (++s.fieldCount > pool.limits.maxHeaderCount()) {
            s.refusal = 431;
            return false;
        }
        if (nameEnd > nameStart && b[nameStart] == ':') {
            if (s.regularSeen) {
                s.malformed = true;
            } else if (Arrays.equals(b, nameStart, nameEnd, METHOD, 0, METHOD.length)) {
                s.methodStart = pseudo(s, s.methodStart, b, valueStart, valueEnd);
                s.methodEnd = s.requestLength;
            } else if (Arrays.equals(b, nameStart, nameEnd, PATH, 0, PATH.length)) {
                s.pathStart = pseudo(s, s.pathStart, b, valueStart, valueEnd);
                s.pathEnd = s.requestLength;
            } else if (Arrays.equals(b, nameStart, nameEnd, AUTHORITY, 0, AUTHORITY.length)) {
                s.authorityStart = pseudo(s, s.authorityStart, b, valueStart, valueEnd);
                s.authorityEnd = s.requestLength;
            } else if (Arrays.equals(b, nameStart, nameEnd, SCHEME, 0, SCHEME.length)) {
                s.schemeStart = pseudo(s, s.schemeStart, b, valueStart, valueEnd);
            } else {
                s.malformed = true;
            }
            return true;
        }
        s.regularSeen = true;
        if (nameEnd == nameStart || !validValue(b, valueStart, valueEnd)) {
            s.malformed = true;
            return true;
        }
        for (int i = nameStart; i < nameEnd; i++) {
            byte c = b[i];
            if (!Ascii.isTchar(c) || c >= 'A' && c <= 'Z') {
                s.malformed = true;
                return true;
            }
        }
        for (byte[] name : CONNECTION_SPECIFIC) {
            if (Arrays.equals(b, nameStart, nameEnd, name, 0, name.length)) {
                s.malformed = true;
                return true;
            }
        }
        if (Arrays.equals(b, nameStart, nameEnd, TE, 0, TE.length)
                && !Arrays.equals(b, valueStart, valueEnd, TRAILERS, 0, TRAILERS.length)) {
            s.malformed = true;
            return true;
        }
        int id = RequestParser.fieldId(b, nameStart, nameEnd);
        if (id >= 0) {
            int at = s.append(b, valueStart, valueEnd);
            if (!s.head.addField(id, at, s.requestLength)) {
                s.refusal = 431;
            }
        }
        return true;
    }

    /** Copies a pseudo-header's value into the stream's request bytes; a repeated one is malformed. */
    private static int pseudo(Stream s, int seen, byte[] b, int from, int to) {
        if (seen >= 0) {
            s.malformed = true;
            return seen;
        }
        return s.append(b, from, to);
    }

    /** RFC 9113 §8.2.1: no NUL, CR or LF, and no white space at either end. */
    private static boolean validValue(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            byte c = b[i];
            if (c == 0 || c == '\r' || c == '\n') {
                return false;
            }
        }
        return from == to || b[from] != ' ' && b[from] != '\t' && b[to - 1] != ' ' && b[to - 1] != '\t';
    }

    /**
     * Whether a request that ended carried as many body bytes as its Content-Length says (RFC 9113
     * §8.1.1: otherwise it is malformed). Bodies are refused anyway; this keeps a lying length from
     * being answered as if it were true.
     */
    private static boolean bodyAsDeclared(Stream s) {
        RequestHead head = s.head;
        for (int k = 0; k < head.count(RequestHead.CONTENT_LENGTH); k++) {
            long declared = Ascii.parseDecimal(s.request, head.valueStart(RequestHead.CONTENT_LENGTH, k),
                    head.valueEnd(RequestHead.CONTENT_LENGTH, k));
            if (declared != s.bodyReceived) {
                return false;
            }
        }
        return true;
    }

    /** Checks the pseudo-headers and lays out what the planner and the access log read. */
    private void finishRequest(Stream s) {
        if (s.malformed) {
            return;
        }
        RequestHead head = s.head;
        if (s.methodStart < 0) {
            s.malformed = true;
            return;
        }
        head.method = RequestParser.method(s.request, s.methodStart, s.methodEnd);
        boolean connect = Arrays.equals(s.request, s.methodStart, s.methodEnd, CONNECT, 0, CONNECT.length);
        if (!connect && (s.schemeStart < 0 || s.pathStart < 0 || s.pathStart == s.pathEnd)) {
            s.malformed = true;
            return;
        }
        if (s.authorityStart >= 0) {
            boolean same = head.count(RequestHead.HOST) == 1 && Arrays.equals(s.request, s.authorityStart,
                    s.authorityEnd, s.request, head.valueStart(RequestHead.HOST, 0), head.valueEnd(RequestHead.HOST, 0));
            if (!same && !head.addField(RequestHead.HOST, s.authorityStart, s.authorityEnd)) {
                s.refusal = 431;
            }
        }
        // The access log's request line: METHOD SP target SP HTTP/2.0, as nginx writes it.
        int line = s.append(s.request, s.methodStart, s.methodEnd);
        s.append((byte) ' ');
        int target = s.requestLength;
        if (s.pathStart >= 0) {
            s.append(s.request, s.pathStart, s.pathEnd);
        } else {
            s.append((byte) '*');
        }
        int targetEnd = s.requestLength;
        s.append(HTTP_2, 0, HTTP_2.length);
        head.buffer = s.request;
        head.base = 0;
        head.minorVersion = 1;
        head.requestLineStart = line;
        head.requestLineEnd = s.requestLength;
        head.targetStart = target;
        head.targetEnd = targetEnd;
        s.exchange.describe(head);
    }

    // ---- streams ----

    private Stream open(int id, long now) {
        Stream s = ws.freeCount > 0 ? ws.free[--ws.freeCount] : new Stream(pool.log != AccessLog.DISABLED);
        ws.free[ws.freeCount] = null;
        s.reset(id, peerInitialWindow);
        s.exchange.begin(now, remoteAddress);
        if (activeCount == active.length) {
            active = Arrays.copyOf(active, 2 * active.length);
        }
        active[activeCount++] = s;
        return s;
    }

    private Stream find(int id) {
        for (int i = 0; i < activeCount; i++) {
            if (active[i].id == id) {
                return active[i];
            }
        }
        return null;
    }

    private void plan(Stream s) {
        s.planned = true;
        writer.into(s);
        if (s.refusal != 0) {
            writer.error(s.exchange, s.refusal, s.head.isHead(), ResponseWriter.CONNECTION_NONE);
        } else {
            planner.plan(s.head, s.exchange, false);
        }
        writer.into(null);
    }

    /** The stream ends without its response completing (reset by either side): nothing is logged. */
    private void abort(Stream s) {
        remove(s);
        if (s.queuedAny) {
            if (retiredCount == retired.length) {
                retired = Arrays.copyOf(retired, 2 * retired.length);
            }
            retired[retiredCount++] = s;
            s.aborted = true;
        } else {
            recycle(s);
        }
    }

    /** The last frame of a stream's response was written. */
    private void finish(Stream s, long now) {
        if (s.aborted) {
            return;
        }
        remove(s);
        Exchange x = s.exchange;
        x.durationNanos = now - x.startNanos;
        servedAny = true;
        if (pool.log != AccessLog.DISABLED) {
            pool.log.log(x);
        }
        if (!s.remoteEnded) {
            // Answered before the client finished sending (a refused body): it need send no more.
            resetFrame(s.id, Http2.NO_ERROR);
        }
        recycle(s);
    }

    /** Whether {@code id} was one of the last streams opened on this connection. */
    private boolean wasOpen(int id) {
        for (int used : recentIds) {
            if (used == id) {
                return true;
            }
        }
        return false;
    }

    private void remove(Stream s) {
        recentIds[recentNext] = s.id;
        recentNext = (recentNext + 1) % recentIds.length;
        for (int i = 0; i < activeCount; i++) {
            if (active[i] == s) {
                System.arraycopy(active, i + 1, active, i, activeCount - i - 1);
                active[--activeCount] = null;
                return;
            }
        }
    }

    private void recycle(Stream s) {
        s.exchange.releaseGeneration();
        s.clearSpans();
        if (ws.freeCount == ws.free.length) {
            ws.free = Arrays.copyOf(ws.free, 2 * ws.free.length);
        }
        ws.free[ws.freeCount++] = s;
    }

    private void recycleRetired() {
        for (int i = 0; i < retiredCount; i++) {
            Stream s = retired[i];
            retired[i] = null;
            recycle(s);
        }
        retiredCount = 0;
    }

    // ---- output ----

    /** Frames what the streams have to send, a turn each, until a write's worth is queued. */
    private void fill() {
        arenaLength = 0;
        recycleRetired();
        long budget = FILL_BYTES;
        boolean progress = true;
        while (budget > 0 && progress) {
            progress = false;
            int n = activeCount;
            for (int k = 0; k < n && budget > 0; k++) {
                Stream s = active[(turn + k) % n];
                if (!s.planned || s.lastQueued) {
                    continue;
                }
                if (!s.headerQueued) {
                    queueHeader(s);
                    progress = true;
                    continue;
                }
                long chunk = Math.min(Math.min(s.spanRemaining(), peerMaxFrame), Math.min(s.window, sendWindow));
                if (chunk <= 0) {
                    continue;
                }
                chunk = Math.min(chunk, budget);
                queueData(s, (int) chunk);
                budget -= chunk;
                progress = true;
            }
            turn++;
        }
    }

    /** Starts or stops the stall clock: nothing to write while a response waits for a window to open. */
    private void checkStall(long now) {
        boolean stalled = false;
        if (!hasOutput()) {
            for (int i = 0; i < activeCount && !stalled; i++) {
                Stream s = active[i];
                stalled = s.headerQueued && !s.lastQueued && (s.window <= 0 || sendWindow <= 0);
            }
        }
        if (!stalled) {
            stalledSinceNanos = -1;
        } else if (stalledSinceNanos < 0) {
            stalledSinceNanos = now;
        }
    }

    private void queueHeader(Stream s) {
        s.headerQueued = true;
        s.queuedAny = true;
        boolean endStream = s.bodyRemaining == 0;
        int from = s.headerFrom;
        int to = s.headerTo;
        int type = Http2.HEADERS;
        do {
            int update = type == Http2.HEADERS && tableSizeUpdate ? 1 : 0;
            int n = Math.min(to - from, peerMaxFrame - update);
            boolean lastFrame = from + n == to;
            int flags = (lastFrame ? Http2.FLAG_END_HEADERS : 0) | (type == Http2.HEADERS && endStream ? Http2.FLAG_END_STREAM : 0);
            int at = frameHeader(n + update, type, flags, s.id);
            if (update == 1) {
                arena[at++] = 0x20;
                tableSizeUpdate = false;
            }
            queueArena(at);
            out.addHeap(s.header, from, from + n, lastFrame && endStream);
            from += n;
            type = Http2.CONTINUATION;
        } while (from < to);
        if (endStream) {
            lastQueued(s);
        }
    }

    private void queueData(Stream s, int n) {
        boolean last = s.spanRemaining() == n && s.spanIndex == s.spanCount - 1;
        queueArena(frameHeader(n, Http2.DATA, last ? Http2.FLAG_END_STREAM : 0, s.id));
        int i = s.spanIndex;
        long from = s.spanPosition;
        if (s.spanFiles[i] != null) {
            out.file(s.spanFiles[i], from, from + n, last);
        } else {
            out.addHeap(s.spanHeaps[i], (int) from, (int) from + n, last);
        }
        s.advance(n);
        s.window -= n;
        sendWindow -= n;
        if (last) {
            lastQueued(s);
        }
    }

    private void lastQueued(Stream s) {
        s.lastQueued = true;
        if (completingCount == completing.length) {
            Stream[] grown = new Stream[2 * completing.length];
            for (int i = 0; i < completingCount; i++) {
                grown[i] = completing[(completingHead + i) % completing.length];
            }
            completing = grown;
            completingHead = 0;
        }
        completing[(completingHead + completingCount++) % completing.length] = s;
    }

    private void connectionError(int code) {
        if (failed) {
            return;
        }
        goAway(code);
        fail();
    }

    /** Nothing more is read or sent but the GOAWAY: the streams end here. */
    private void fail() {
        failed = true;
        start = end = 0;
        blockStream = -1;
        while (activeCount > 0) {
            abort(active[activeCount - 1]);
        }
    }

    private void goAway(int code) {
        if (goingAway && failed) {
            return;
        }
        goingAway = true;
        int at = frameHeader(8, Http2.GOAWAY, 0, 0);
        at = putInt32(arena, at, lastStreamId);
        at = putInt32(arena, at, code);
        queueArena(at);
    }

    /** Spends one of the frames that ask nothing; once they run out, the connection ends with ENHANCE_YOUR_CALM. */
    private boolean flooded(long now) {
        if (idleFrames.spend(now)) {
            return false;
        }
        connectionError(Http2.ENHANCE_YOUR_CALM);
        return true;
    }

    /** A stream error (RFC 9113 §5.4.2): the stream ends here and the client is told why. */
    private void streamError(Stream s, int code) {
        abort(s);
        resetFrame(s.id, code);
    }

    /** A stream error on {@code id}, which may be open or not. */
    private void streamError(int id, int code) {
        Stream s = find(id);
        if (s != null) {
            abort(s);
        }
        resetFrame(id, code);
    }

    private void resetFrame(int id, int code) {
        int at = frameHeader(4, Http2.RST_STREAM, 0, id);
        queueArena(putInt32(arena, at, code));
    }

    private void windowUpdateFrame(int id, int increment) {
        int at = frameHeader(4, Http2.WINDOW_UPDATE, 0, id);
        queueArena(putInt32(arena, at, increment));
    }

    /** Writes a frame header at the end of the arena, with room for {@code length} payload bytes after it. */
    private int frameHeader(int length, int type, int flags, int id) {
        // DATA and CONTINUATION payloads are spans of their own; HEADERS may start with one byte here.
        int need = Http2.FRAME_HEADER_BYTES + switch (type) {
            case Http2.DATA, Http2.CONTINUATION -> 0;
            case Http2.HEADERS -> 1;
            default -> length;
        };
        if (arenaLength + need > arena.length) {
            // Queued spans keep the old array; only what follows goes into the new one.
            arena = new byte[Math.max(2 * arena.length, need)];
            ws.arena = arena;
            arenaLength = 0;
        }
        int at = arenaLength;
        arena[at] = (byte) (length >>> 16);
        arena[at + 1] = (byte) (length >>> 8);
        arena[at + 2] = (byte) length;
        arena[at + 3] = (byte) type;
        arena[at + 4] = (byte) flags;
        putInt32(arena, at + 5, id);
        return at + Http2.FRAME_HEADER_BYTES;
    }

    private int setting(int at, int id, int value) {
        arena[at] = (byte) (id >>> 8);
        arena[at + 1] = (byte) id;
        return putInt32(arena, at + 2, value);
    }

    /** Queues the arena's bytes from its last queued end up to {@code to}. */
    private void queueArena(int to) {
        int from = arenaLength;
        // The frame header written last starts 9 bytes (plus its payload) before `to`, at the arena's end.
        out.addHeap(arena, from, to, false);
        arenaLength = to;
    }

    private static int int32(byte[] b, int at) {
        return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | b[at + 3] & 0xff;
    }

    private static int putInt32(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
        return at + 4;
    }

    /** One request and its response: the request's fields, the planned response's spans, flow control. */
    static final class Stream implements ResponseSpans {
        static final int REQUEST_BYTES = 512;

        final RequestHead head = new RequestHead();
        final Exchange exchange;
        byte[] request = new byte[REQUEST_BYTES];
        int requestLength;
        int id;
        long window;
        long received;
        long bodyReceived;
        boolean remoteEnded;
        boolean planned;
        boolean headerQueued;
        boolean lastQueued;
        boolean queuedAny;
        boolean aborted;
        boolean malformed;
        boolean regularSeen;
        int refusal;
        int fieldCount;
        int methodStart;
        int methodEnd;
        int pathStart;
        int pathEnd;
        int authorityStart;
        int authorityEnd;
        int schemeStart;

        byte[] header;
        int headerFrom;
        int headerTo;
        byte[][] spanHeaps = new byte[4][];
        Webroot[] spanFiles = new Webroot[4];
        long[] spanFrom = new long[4];
        long[] spanTo = new long[4];
        int spanCount;
        int spanIndex;
        long spanPosition;
        long bodyRemaining;

        Stream(boolean logged) {
            this.exchange = new Exchange(logged);
        }

        void reset(int id, int window) {
            this.id = id;
            this.window = window;
            received = 0;
            bodyReceived = 0;
            remoteEnded = planned = headerQueued = lastQueued = queuedAny = aborted = false;
            malformed = regularSeen = false;
            refusal = 0;
            fieldCount = 0;
            requestLength = 0;
            methodStart = pathStart = authorityStart = schemeStart = -1;
            methodEnd = pathEnd = authorityEnd = 0;
            head.reset();
            head.buffer = request;
            clearSpans();
        }

        void clearSpans() {
            header = null;
            Arrays.fill(spanHeaps, null);
            Arrays.fill(spanFiles, null);
            spanCount = 0;
            spanIndex = 0;
            spanPosition = 0;
            bodyRemaining = 0;
        }

        int append(byte[] b, int from, int to) {
            int at = requestLength;
            if (at + to - from > request.length) {
                request = Arrays.copyOf(request, Math.max(2 * request.length, at + to - from));
                head.buffer = request;
            }
            System.arraycopy(b, from, request, at, to - from);
            requestLength += to - from;
            return at;
        }

        void append(byte b) {
            if (requestLength == request.length) {
                request = Arrays.copyOf(request, 2 * request.length);
                head.buffer = request;
            }
            request[requestLength++] = b;
        }

        @Override
        public void header(byte[] bytes, int from, int to, boolean last) {
            header = bytes;
            headerFrom = from;
            headerTo = to;
        }

        @Override
        public void heap(byte[] bytes, int from, int to, boolean last) {
            span(bytes, null, from, to);
        }

        @Override
        public void file(Webroot webroot, long from, long to, boolean last) {
            span(null, webroot, from, to);
        }

        private void span(byte[] bytes, Webroot webroot, long from, long to) {
            if (from == to) {
                return;
            }
            if (spanCount == spanHeaps.length) {
                int n = 2 * spanCount;
                spanHeaps = Arrays.copyOf(spanHeaps, n);
                spanFiles = Arrays.copyOf(spanFiles, n);
                spanFrom = Arrays.copyOf(spanFrom, n);
                spanTo = Arrays.copyOf(spanTo, n);
            }
            spanHeaps[spanCount] = bytes;
            spanFiles[spanCount] = webroot;
            spanFrom[spanCount] = from;
            spanTo[spanCount] = to;
            if (spanCount == 0) {
                spanPosition = from;
            }
            spanCount++;
            bodyRemaining += to - from;
        }

        /** Bytes left in the current span. */
        long spanRemaining() {
            return spanIndex < spanCount ? spanTo[spanIndex] - spanPosition : 0;
        }

        void advance(int n) {
            spanPosition += n;
            bodyRemaining -= n;
            if (spanPosition == spanTo[spanIndex] && spanIndex + 1 < spanCount) {
                spanIndex++;
                spanPosition = spanFrom[spanIndex];
            }
        }
    }
}
