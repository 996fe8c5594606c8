package dev.webroot.httpd.core;

import dev.webroot.io.Connection;
import dev.webroot.io.Output;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The HTTP/1.1 server side of one connection, as an I/O-free state machine in the manner of http/af's
 * {@code Server_connection}: the driver feeds bytes and writes what {@link #output()} holds.
 *
 * <p>Requests carry no bodies here, so a complete head is a complete request: it is answered at once
 * from the webroot and its response queued behind the earlier ones, which keeps pipelined responses
 * in request order. Read-ahead stops while {@link Limits#maxPipelinedResponses()} responses are
 * queued. The read buffer grows up to what the longest allowed head needs, and no further.
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
    private static final AtomicLong BOUNDARY_SEEDS = new AtomicLong(System.nanoTime());

    private final Limits limits;
    private final AccessLog log;
    private final RequestHead head = new RequestHead();
    private final RequestParser parser;
    private final MappedView mapped = new MappedView();
    private final OutputQueue output = new OutputQueue(mapped);
    private final ResponseWriter writer;
    private final ResponsePlanner planner;
    private final Exchange[] exchanges;
    private final String remoteAddress;
    private final int maxReadBuffer;
    private final long headTimeout;
    private final long keepAliveTimeout;
    private final long sendTimeout;

    /** The pooled buffer behind {@link #in} while the connection has unparsed bytes, else null. */
    private ReadBufferPool.ReadBuffer pooled;
    private byte[] in;
    private ByteBuffer inView;
    private int start;
    private int end;
    private int firstExchange;
    private int queued;
    private int requests;
    private boolean closing;
    private boolean closed;
    private boolean eof;
    private boolean servedAny;
    private long headStartNanos;
    private long idleSinceNanos;
    private long lastSendNanos;

    public HttpConnection(Sites sites, Limits limits, DateSource dates, AccessLog log, String remoteAddress) {
        this(sites, limits, dates, log, remoteAddress, BOUNDARY_SEEDS.addAndGet(0x632be59bd9b4e019L));
    }

    /** As above, with the seed of the multipart boundaries given, so that output is reproducible. */
    public HttpConnection(Sites sites, Limits limits, DateSource dates, AccessLog log, String remoteAddress,
                          long boundarySeed) {
        this.limits = limits;
        this.log = log;
        this.parser = new RequestParser(head, limits);
        this.writer = new ResponseWriter(dates, mapped, output, limits.maxRanges(), boundarySeed);
        this.planner = new ResponsePlanner(sites, limits, dates, writer, mapped);
        // Slots are created when pipelining first needs them: an idle connection holds one at most.
        this.exchanges = new Exchange[Math.max(1, limits.maxPipelinedResponses())];
        this.remoteAddress = remoteAddress;
        // Room for one tolerated empty line, the longest request line and the largest header section.
        this.maxReadBuffer = 2 + limits.maxRequestLineBytes() + 2 + limits.maxHeaderBytes() + 1;
        this.headTimeout = limits.requestHeadTimeout().toNanos();
        this.keepAliveTimeout = limits.keepAliveTimeout().toNanos();
        this.sendTimeout = limits.sendTimeout().toNanos();
    }

    @Override
    public void opened(long now) {
        idleSinceNanos = now;
        lastSendNanos = now;
    }

    @Override
    public Operation nextRead() {
        if (closed) {
            return Operation.CLOSE;
        }
        if (closing) {
            return output.totalRemaining() > 0 ? Operation.YIELD : Operation.CLOSE;
        }
        return wantsInput() ? Operation.PROCEED : Operation.YIELD;
    }

    private boolean wantsInput() {
        return !closing && !eof && queued < exchanges.length && end - start < maxReadBuffer;
    }

    @Override
    public ByteBuffer readBuffer() {
        if (in == null) {
            pooled = ReadBufferPool.SHARED.take();
            in = pooled.bytes();
            inView = pooled.view();
            head.buffer = in;
        }
        if (start > 0) {
            System.arraycopy(in, start, in, 0, end - start);
            end -= start;
            start = 0;
        }
        if (end == in.length && in.length < maxReadBuffer) {
            in = java.util.Arrays.copyOf(in, Math.min(in.length * 2, maxReadBuffer));
            inView = ByteBuffer.wrap(in);
            head.buffer = in;
            returnPooledBuffer();
        }
        return inView.limit(in.length).position(end);
    }

    @Override
    public void read(int n, long now) {
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
    public void readEof(long now) {
        eof = true;
        advance(now);
    }

    @Override
    public Operation nextWrite() {
        if (closed) {
            return Operation.CLOSE;
        }
        if (output.totalRemaining() > 0) {
            return Operation.PROCEED;
        }
        return closing ? Operation.CLOSE : Operation.YIELD;
    }

    @Override
    public Output output() {
        return output;
    }

    @Override
    public void written(long n, long now) {
        if (closed || n <= 0) {
            return;
        }
        lastSendNanos = now;
        boolean wasFull = queued == exchanges.length;
        int completed = output.advance(n);
        for (int i = 0; i < completed; i++) {
            Exchange x = exchanges[firstExchange];
            x.durationNanos = now - x.startNanos;
            x.releaseGeneration();
            if (log != AccessLog.DISABLED) {
                log.log(x);
            }
            firstExchange = (firstExchange + 1) % exchanges.length;
            queued--;
        }
        if (output.totalRemaining() == 0) {
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
        if (closed) {
            return Long.MAX_VALUE;
        }
        long deadline = Long.MAX_VALUE;
        if (output.totalRemaining() > 0) {
            deadline = lastSendNanos + sendTimeout;
        }
        if (wantsInput()) {
            if (end > start) {
                deadline = Math.min(deadline, headStartNanos + headTimeout);
            } else if (queued == 0) {
                deadline = Math.min(deadline, idleSinceNanos + (servedAny ? keepAliveTimeout : headTimeout));
            }
        }
        return deadline;
    }

    @Override
    public void timedOut(long now) {
        if (closed || now < deadline()) {
            return;
        }
        if (output.totalRemaining() > 0 && now - lastSendNanos >= sendTimeout) {
            closed();
            return;
        }
        boolean partialRequest = end > start;
        closing = true;
        start = end = 0;
        if (partialRequest) {
            boolean wasIdle = output.totalRemaining() == 0;
            Exchange x = enqueue(headStartNanos);
            writer.error(x, 408, false, ResponseWriter.CONNECTION_CLOSE);
            if (wasIdle) {
                lastSendNanos = now;
            }
        }
        parser.reset();
    }

    @Override
    public void closed() {
        if (closed) {
            return;
        }
        closed = true;
        closing = true;
        for (int i = 0; i < queued; i++) {
            exchanges[(firstExchange + i) % exchanges.length].releaseGeneration();
        }
        queued = 0;
        output.clear();
        mapped.clear();
        start = end = 0;
        releaseReadBuffer();
    }

    /** Parses and answers every complete request the buffer holds, as far as the queue allows. */
    private void advance(long now) {
        while (!closing && start < end && queued < exchanges.length) {
            int result = parser.parse(in, start, end);
            if (result == RequestParser.NEED_MORE) {
                break;
            }
            boolean wasIdle = output.totalRemaining() == 0;
            Exchange x = enqueue(headStartNanos);
            head.base = start;
            x.describe(head, parser.hasRequestLine());
            if (result < 0) {
                writer.error(x, -result, parser.hasRequestLine() && head.isHead(), ResponseWriter.CONNECTION_CLOSE);
                closing = true;
                start = end = 0;
            } else {
                requests++;
                closing = planner.plan(head, x, requests >= limits.maxRequestsPerConnection());
                start += result;
                headStartNanos = now;
            }
            parser.reset();
            if (wasIdle) {
                lastSendNanos = now;
            }
        }
        if (eof && !closing && queued < exchanges.length) {
            // The peer sent all it will: a partial head can never complete.
            closing = true;
            start = end = 0;
            parser.reset();
        }
        if (start == end) {
            start = end = 0;
            releaseReadBuffer();
        }
    }

    /** Whether the connection holds a read buffer: only while it has bytes not yet answered. */
    boolean holdsReadBuffer() {
        return in != null;
    }

    /** Every byte read has been answered: hand the buffer back so an idle connection holds none. */
    private void releaseReadBuffer() {
        returnPooledBuffer();
        in = null;
        inView = null;
        head.buffer = null;
    }

    private void returnPooledBuffer() {
        if (pooled != null) {
            ReadBufferPool.SHARED.giveBack(pooled);
            pooled = null;
        }
    }

    private Exchange enqueue(long startNanos) {
        if (queued == 0) {
            // Without pipelining every response reuses the first slot, whose buffer views are cached.
            firstExchange = 0;
        }
        int slot = (firstExchange + queued) % exchanges.length;
        Exchange x = exchanges[slot];
        if (x == null) {
            x = exchanges[slot] = new Exchange(remoteAddress, log != AccessLog.DISABLED);
        }
        queued++;
        x.begin(startNanos);
        return x;
    }
}
