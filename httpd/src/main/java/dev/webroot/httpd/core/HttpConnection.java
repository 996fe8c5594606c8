package dev.webroot.httpd.core;

import dev.webroot.io.Connection;
import dev.webroot.io.Output;
import java.nio.ByteBuffer;

/**
 * The HTTP/1.1 server side of one connection, as an I/O-free state machine in the manner of http/af's
 * {@code Server_connection}: the driver feeds bytes and writes what {@link #output()} holds.
 *
 * <p>Requests carry no bodies here, so a complete head is a complete request: it is answered at once
 * from the webroot and its response queued behind the earlier ones, which keeps pipelined responses
 * in request order. Read-ahead stops while {@link Limits#maxPipelinedResponses()} responses are
 * queued. The read buffer grows up to what the longest allowed head needs, and no further.
 *
 * <p>Everything a request needs (read buffer, parser, planner, output queue) lives in a
 * {@link Workspace} borrowed from the server's {@link WorkspacePool} while the connection has bytes
 * not yet answered or output not yet sent; an idle keep-alive connection holds only its timers,
 * counters and flags.
 *
 * <p>After any refused request, {@code Connection: close}, the last allowed request, HTTP/1.0
 * without keep-alive, end of input or a timeout, nothing more is parsed: queued output is written
 * and then both directions say {@link Operation#CLOSE}.
 *
 * <p>Deadlines: the request-head timeout runs from the first byte of a request (and from
 * {@link #opened} for the first request, whose expiry closes silently when no byte came); the
 * keep-alive timeout runs from the end of the last response while nothing is buffered; the send
 * timeout runs from the last write progress while output is pending. A head timeout with part of a
 * request received is answered with 408; the others close without a response.
 */
public final class HttpConnection implements Connection {
    private final WorkspacePool pool;
    private final String remoteAddress;

    /** Borrowed while there are unanswered bytes or unsent output, else null. */
    private Workspace ws;
    private int start;
    private int end;
    private int firstExchange;
    private int queued;
    private int requests;
    private boolean closing;
    private boolean closed;
    private boolean eof;
    private boolean servedAny;
    /** The last request asked to close the connection and was answered without an error. */
    private boolean peerDone;
    private long openedNanos;
    private long headStartNanos;
    private long idleSinceNanos;
    private long lastSendNanos;
    /** Set once the client turned out to speak HTTP/2 with prior knowledge: every call goes to it. */
    private Http2Connection http2;

    public HttpConnection(WorkspacePool pool, String remoteAddress) {
        this.pool = pool;
        this.remoteAddress = remoteAddress;
    }

    @Override
    public void opened(long now) {
        openedNanos = now;
        idleSinceNanos = now;
        lastSendNanos = now;
    }

    @Override
    public Operation nextRead() {
        if (http2 != null) {
            return http2.nextRead();
        }
        if (closed) {
            return Operation.CLOSE;
        }
        if (closing) {
            return hasOutput() ? Operation.YIELD : Operation.CLOSE;
        }
        return wantsInput() ? Operation.PROCEED : Operation.YIELD;
    }

    private boolean wantsInput() {
        return !closing && !eof && queued < pool.maxQueued && end - start < pool.maxReadBuffer;
    }

    private boolean hasOutput() {
        return ws != null && ws.output.totalRemaining() > 0;
    }

    @Override
    public ByteBuffer readBuffer() {
        if (http2 != null) {
            return http2.readBuffer();
        }
        if (ws == null) {
            ws = pool.take();
        }
        if (start > 0) {
            System.arraycopy(ws.in, start, ws.in, 0, end - start);
            end -= start;
            start = 0;
        }
        if (end == ws.in.length && ws.in.length < pool.maxReadBuffer) {
            ws.growReadBuffer(pool.maxReadBuffer);
        }
        return ws.inView.limit(ws.in.length).position(end);
    }

    @Override
    public void read(int n, long now) {
        if (http2 != null) {
            http2.read(n, now);
            return;
        }
        if (closed || closing) {
            return;
        }
        if (start == end) {
            headStartNanos = now;
        }
        end += n;
        advance(now);
    }

    @Override
    public void readNothing() {
        if (http2 != null) {
            http2.readNothing();
            return;
        }
        giveBackIfIdle();
    }

    @Override
    public void readEof(long now) {
        if (http2 != null) {
            http2.readEof(now);
            return;
        }
        eof = true;
        advance(now);
    }

    @Override
    public boolean peerMaySend() {
        return http2 != null || !peerDone || start != end;
    }

    @Override
    public Operation nextWrite() {
        if (http2 != null) {
            return http2.nextWrite();
        }
        if (closed) {
            return Operation.CLOSE;
        }
        if (hasOutput()) {
            return Operation.PROCEED;
        }
        return closing ? Operation.CLOSE : Operation.YIELD;
    }

    /** Only while {@link #nextWrite} says {@code PROCEED}: there is no output otherwise. */
    @Override
    public Output output() {
        return http2 != null ? http2.output() : ws.output;
    }

    @Override
    public void written(long n, long now) {
        if (http2 != null) {
            http2.written(n, now);
            return;
        }
        if (closed || n <= 0) {
            return;
        }
        lastSendNanos = now;
        Exchange[] exchanges = ws.exchanges;
        boolean wasFull = queued == exchanges.length;
        int completed = ws.output.advance(n);
        for (int i = 0; i < completed; i++) {
            Exchange x = exchanges[firstExchange];
            x.durationNanos = now - x.startNanos;
            x.releaseGeneration();
            if (pool.log != AccessLog.DISABLED) {
                pool.log.log(x);
            }
            firstExchange = (firstExchange + 1) % exchanges.length;
            queued--;
        }
        if (ws.output.totalRemaining() == 0) {
            idleSinceNanos = now;
            servedAny = true;
        }
        if (wasFull && completed > 0 && end > start) {
            // The head timer measures waiting for the client, not the time reading was paused.
            headStartNanos = now;
        }
        advance(now);
    }

    @Override
    public long deadline() {
        if (http2 != null) {
            return http2.deadline();
        }
        if (closed) {
            return Long.MAX_VALUE;
        }
        long deadline = Long.MAX_VALUE;
        if (hasOutput()) {
            deadline = lastSendNanos + pool.sendTimeout;
        }
        if (wantsInput()) {
            if (end > start) {
                deadline = Math.min(deadline, headStartNanos + pool.headTimeout);
            } else if (queued == 0) {
                deadline = Math.min(deadline, idleSinceNanos + (servedAny ? pool.keepAliveTimeout : pool.headTimeout));
            }
        }
        return deadline;
    }

    @Override
    public void timedOut(long now) {
        if (http2 != null) {
            http2.timedOut(now);
            return;
        }
        if (closed || now < deadline()) {
            return;
        }
        if (hasOutput() && now - lastSendNanos >= pool.sendTimeout) {
            closed();
            return;
        }
        closing = true;
        if (end > start) {
            boolean wasIdle = !hasOutput();
            Exchange x = enqueue(headStartNanos);
            x.describeReceived(ws.in, start, end);
            ws.writer.error(x, 408, false, ResponseWriter.CONNECTION_CLOSE);
            if (wasIdle) {
                lastSendNanos = now;
            }
        }
        start = end = 0;
        giveBackIfIdle();
    }

    @Override
    public void closed() {
        if (http2 != null) {
            http2.closed();
        }
        if (closed) {
            return;
        }
        closed = true;
        closing = true;
        if (ws != null) {
            for (int i = 0; i < queued; i++) {
                ws.exchanges[(firstExchange + i) % ws.exchanges.length].releaseGeneration();
            }
            ws.output.clear();
        }
        queued = 0;
        start = end = 0;
        giveBackIfIdle();
    }

    /** Parses and answers every complete request the buffer holds, as far as the queue allows. */
    private void advance(long now) {
        if (requests == 0 && queued == 0 && pool.priorKnowledgeHttp2 && start < end && ws.in[start] == 'P') {
            int n = Math.min(end - start, Http2.PREFACE.length);
            if (java.util.Arrays.equals(ws.in, start, start + n, Http2.PREFACE, 0, n)) {
                if (n == Http2.PREFACE.length) {
                    handOver(now);
                    return;
                }
                if (!eof) {
                    return;
                }
            }
        }
        while (!closing && start < end && queued < pool.maxQueued) {
            RequestParser parser = ws.parser;
            int result = parser.parse(ws.in, start, end);
            if (result == RequestParser.NEED_MORE) {
                break;
            }
            boolean wasIdle = !hasOutput();
            Exchange x = enqueue(headStartNanos);
            RequestHead head = ws.head;
            head.base = start;
            if (parser.hasRequestLine()) {
                x.describe(head);
            } else {
                x.describeReceived(ws.in, start, end);
            }
            if (result < 0) {
                ws.writer.error(x, -result, parser.hasRequestLine() && head.isHead(), ResponseWriter.CONNECTION_CLOSE);
                closing = true;
                start = end = 0;
            } else {
                requests++;
                closing = ws.planner.plan(head, x, requests >= pool.limits.maxRequestsPerConnection());
                // A client that asked to close sends nothing more; one refused (a body, say) may still be sending.
                peerDone = closing && !ResponsePlanner.persistent(head) && x.status() < 400;
                start += result;
                headStartNanos = now;
            }
            parser.reset();
            if (wasIdle) {
                lastSendNanos = now;
            }
        }
        if (eof && !closing && queued < pool.maxQueued) {
            // The peer sent all it will: a partial head can never complete.
            closing = true;
            start = end = 0;
        }
        if (start == end) {
            start = end = 0;
        }
        giveBackIfIdle();
    }

    /** The client opened with the HTTP/2 preface: the rest of the connection is HTTP/2's. */
    private void handOver(long now) {
        http2 = new Http2Connection(pool, remoteAddress);
        http2.takeOver(ws.in, start, end, openedNanos, now);
        start = end = 0;
        giveBackIfIdle();
    }

    /** Whether the connection holds a workspace: only while it has bytes or output not yet done with. */
    boolean holdsWorkspace() {
        return ws != null;
    }

    /** Every byte read has been answered and sent: the workspace goes back, so an idle connection holds none. */
    private void giveBackIfIdle() {
        if (ws != null && start == end && queued == 0) {
            Workspace w = ws;
            ws = null;
            pool.giveBack(w);
        }
    }

    private Exchange enqueue(long startNanos) {
        if (queued == 0) {
            // Without pipelining every response reuses the first slot, whose buffer views are cached.
            firstExchange = 0;
        }
        int slot = (firstExchange + queued) % ws.exchanges.length;
        Exchange x = ws.exchange(slot);
        queued++;
        x.begin(startNanos, remoteAddress);
        return x;
    }
}
