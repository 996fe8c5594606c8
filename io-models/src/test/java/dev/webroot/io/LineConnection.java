package dev.webroot.io;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test protocol with no I/O of its own: each line {@code GET <length> <offset>} is answered with
 * {@code OK <length>\n} (or another word than OK) and that span of the test file; {@code CLOSE} asks
 * to close, saying the peer sends nothing more, and any other line closes. An idle connection past its deadline gets
 * {@code TIMEOUT\n} and is closed; one whose output stalls past its deadline is closed. All times
 * come from the driver's {@code now}, so deadlines are a pure function of the calls made.
 */
final class LineConnection implements Connection {
    /** What the test observes about one connection. */
    static final class Record {
        final AtomicInteger closed = new AtomicInteger();
        final AtomicInteger timedOut = new AtomicInteger();
        final AtomicInteger outputCalls = new AtomicInteger();
        final AtomicInteger writtenCalls = new AtomicInteger();
        final AtomicInteger concurrentCalls = new AtomicInteger();
        volatile boolean overlapped;
    }

    private static final byte[] TIMEOUT = "TIMEOUT\n".getBytes(StandardCharsets.US_ASCII);

    private final TestFile file;
    private final MemorySegment mapping;
    private final Path path;
    private final long idleTimeout;
    private final long sendTimeout;
    /** The first word of every answer. */
    private final String answer;
    final Record record = new Record();
    /** Set for a connection whose {@link #opened} throws, as a buggy connection would. */
    volatile boolean failOnOpen;
    /** The call ("read", "output" or "written") that throws {@link #failure}, or null. */
    volatile String failIn;
    volatile Throwable failure;
    /** Requests answered before the connection closes (and ignores the rest), as a keep-alive limit does. */
    volatile int maxRequests = Integer.MAX_VALUE;
    private int answered;
    private final ByteBuffer in = ByteBuffer.allocateDirect(4096);
    private final ArrayDeque<long[]> requests = new ArrayDeque<>();
    private final SpanOutput output = new SpanOutput();
    private boolean closing;
    /** The peer sent {@code CLOSE}: it says it sends nothing more (whatever else it sent is ignored). */
    private boolean peerDone;
    private long lastActivity;
    private long lastProgress;

    LineConnection(TestFile file, MemorySegment mapping, Path path, long idleTimeoutNanos, long sendTimeoutNanos) {
        this(file, mapping, path, idleTimeoutNanos, sendTimeoutNanos, "OK");
    }

    LineConnection(TestFile file, MemorySegment mapping, Path path, long idleTimeoutNanos, long sendTimeoutNanos,
            String answer) {
        this.answer = answer;
        this.file = file;
        this.mapping = mapping;
        this.path = path;
        this.idleTimeout = idleTimeoutNanos;
        this.sendTimeout = sendTimeoutNanos;
    }

    @Override
    public void opened(long now) {
        enter();
        lastActivity = now;
        exit();
        if (failOnOpen) {
            throw new IllegalStateException("this connection fails as it opens");
        }
    }

    @Override
    public Operation nextRead() {
        enter();
        try {
            return closing ? Operation.CLOSE : Operation.PROCEED;
        } finally {
            exit();
        }
    }

    @Override
    public ByteBuffer readBuffer() {
        return in;
    }

    @Override
    public void read(int n, long now) {
        failIf("read");
        enter();
        lastActivity = now;
        in.flip();
        int lineStart = 0;
        for (int i = 0; i < in.limit(); i++) {
            if (in.get(i) == '\n') {
                parse(lineStart, i);
                lineStart = i + 1;
            }
        }
        in.position(lineStart);
        in.compact();
        exit();
    }

    private void parse(int from, int to) {
        byte[] line = new byte[to - from];
        in.get(from, line);
        String[] words = new String(line, StandardCharsets.US_ASCII).trim().split(" ");
        if (words[0].equals("GET")) {
            requests.add(new long[] {Long.parseLong(words[1]), words.length > 2 ? Long.parseLong(words[2]) : 0});
        } else {
            closing = true;
            peerDone |= words[0].equals("CLOSE");
        }
    }

    @Override
    public void readEof(long now) {
        enter();
        closing = true;
        exit();
    }

    @Override
    public boolean peerMaySend() {
        return !peerDone;
    }

    @Override
    public Operation nextWrite() {
        enter();
        try {
            if (output.totalRemaining() > 0) {
                return Operation.PROCEED;
            }
            if (answered >= maxRequests) {
                requests.clear();
                closing = true;
            }
            long[] request = requests.poll();
            if (request != null) {
                answered++;
                output.respond((answer + " " + request[0] + "\n").getBytes(StandardCharsets.US_ASCII), request[1], request[0]);
                return Operation.PROCEED;
            }
            return closing ? Operation.CLOSE : Operation.YIELD;
        } finally {
            exit();
        }
    }

    @Override
    public Output output() {
        failIf("output");
        record.outputCalls.incrementAndGet();
        return output;
    }

    @Override
    public void written(long n, long now) {
        failIf("written");
        enter();
        record.writtenCalls.incrementAndGet();
        output.advance(n);
        lastProgress = now;
        lastActivity = now;
        exit();
    }

    @Override
    public long deadline() {
        return output.totalRemaining() > 0 ? lastProgress + sendTimeout : lastActivity + idleTimeout;
    }

    @Override
    public void timedOut(long now) {
        enter();
        record.timedOut.incrementAndGet();
        if (output.totalRemaining() == 0) {
            output.respond(TIMEOUT, 0, 0);
            lastProgress = now;
        }
        requests.clear();
        closing = true;
        exit();
    }

    @Override
    public void closed() {
        record.closed.incrementAndGet();
    }

    private void failIf(String call) {
        if (call.equals(failIn)) {
            throw sneaky(failure);
        }
    }

    @SuppressWarnings("unchecked")
    static <T extends Throwable> RuntimeException sneaky(Throwable failure) throws T {
        throw (T) failure;
    }

    /** Catches a driver calling the connection from two threads at once. */
    private void enter() {
        if (record.concurrentCalls.incrementAndGet() != 1) {
            record.overlapped = true;
        }
    }

    private void exit() {
        record.concurrentCalls.decrementAndGet();
    }

    /** A header buffer followed by one file span. */
    private final class SpanOutput implements Output {
        private ByteBuffer header = ByteBuffer.allocate(0);
        private long position;
        private long remaining;

        void respond(byte[] headerBytes, long offset, long length) {
            header = ByteBuffer.wrap(headerBytes);
            position = offset;
            remaining = length;
        }

        void advance(long n) {
            int fromHeader = (int) Math.min(n, header.remaining());
            header.position(header.position() + fromHeader);
            position += n - fromHeader;
            remaining -= n - fromHeader;
        }

        @Override
        public int segmentCount() {
            return 2;
        }

        @Override
        public long remaining(int segment) {
            return segment == 0 ? header.remaining() : remaining;
        }

        @Override
        public boolean isFileSpan(int segment) {
            return segment == 1;
        }

        @Override
        public ByteBuffer buffer(int segment) {
            return segment == 0
                    ? header.duplicate()
                    : mapping.asSlice(position, Math.min(remaining, Integer.MAX_VALUE)).asByteBuffer();
        }

        @Override
        public FileChannel channel(int segment) {
            return file.channel;
        }

        @Override
        public Path file(int segment) {
            return path;
        }

        @Override
        public MemorySegment mapping(int segment) {
            return mapping;
        }

        @Override
        public long filePosition(int segment) {
            return position;
        }

        @Override
        public long totalRemaining() {
            return header.remaining() + remaining;
        }
    }
}
