package dev.webroot.httpd.core;

import dev.webroot.format.Webroot;
import dev.webroot.io.Output;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * The bytes of every queued response, in order, as one gather list: header bytes in heap arrays and
 * body spans of mapped webroots. Segments of several pipelined responses can leave in one write.
 * Segment arrays and buffer views are reused; a view is only created when a slot first sees a new
 * array or a new generation.
 */
final class OutputQueue implements Output, ResponseSpans {
    private final MappedView mapped;
    private byte[][] heap = new byte[8][];
    private Webroot[] file = new Webroot[8];
    private long[] position = new long[8];
    private long[] end = new long[8];
    private boolean[] endsResponse = new boolean[8];
    private ByteBuffer[] views = new ByteBuffer[8];
    private Object[] viewSources = new Object[8];
    private int head;
    private int tail;
    private long remaining;

    OutputQueue(MappedView mapped) {
        this.mapped = mapped;
    }

    @Override
    public void header(byte[] bytes, int from, int to, boolean last) {
        addHeap(bytes, from, to, last);
    }

    @Override
    public void heap(byte[] bytes, int from, int to, boolean last) {
        addHeap(bytes, from, to, last);
    }

    @Override
    public void file(Webroot webroot, long from, long to, boolean last) {
        add(null, webroot, from, to, last);
    }

    /** Queues {@code bytes[from..to)}; empty spans are skipped. */
    void addHeap(byte[] bytes, int from, int to, boolean last) {
        add(bytes, null, from, to, last);
    }

    private void add(byte[] bytes, Webroot webroot, long from, long to, boolean last) {
        if (from == to) {
            if (last) {
                endsResponse[tail - 1] = true;
            }
            return;
        }
        if (bytes != null && tail > head && heap[tail - 1] == bytes && end[tail - 1] == from && !endsResponse[tail - 1]) {
            // The continuation of the span before it (a small body after its header, in one buffer).
            end[tail - 1] = to;
            endsResponse[tail - 1] = last;
            remaining += to - from;
            return;
        }
        if (tail == heap.length) {
            makeRoom();
        }
        heap[tail] = bytes;
        file[tail] = webroot;
        position[tail] = from;
        end[tail] = to;
        endsResponse[tail] = last;
        tail++;
        remaining += to - from;
    }

    private void makeRoom() {
        int live = tail - head;
        if (head > 0) {
            System.arraycopy(heap, head, heap, 0, live);
            System.arraycopy(file, head, file, 0, live);
            System.arraycopy(position, head, position, 0, live);
            System.arraycopy(end, head, end, 0, live);
            System.arraycopy(endsResponse, head, endsResponse, 0, live);
            System.arraycopy(views, head, views, 0, live);
            System.arraycopy(viewSources, head, viewSources, 0, live);
            java.util.Arrays.fill(heap, live, tail, null);
            java.util.Arrays.fill(file, live, tail, null);
            // The moved views now belong to lower slots; a stale copy left above would alias them.
            java.util.Arrays.fill(views, live, tail, null);
            java.util.Arrays.fill(viewSources, live, tail, null);
            head = 0;
            tail = live;
        }
        if (tail == heap.length) {
            int n = heap.length * 2;
            heap = java.util.Arrays.copyOf(heap, n);
            file = java.util.Arrays.copyOf(file, n);
            position = java.util.Arrays.copyOf(position, n);
            end = java.util.Arrays.copyOf(end, n);
            endsResponse = java.util.Arrays.copyOf(endsResponse, n);
            views = java.util.Arrays.copyOf(views, n);
            viewSources = java.util.Arrays.copyOf(viewSources, n);
        }
    }

    /** Consumes {@code n} written bytes; returns how many responses were thereby completed. */
    int advance(long n) {
        if (n < 0 || n > remaining) {
            throw new IllegalArgumentException("written " + n + " of " + remaining + " bytes");
        }
        remaining -= n;
        int completed = 0;
        while (n > 0) {
            long left = end[head] - position[head];
            long step = Math.min(left, n);
            position[head] += step;
            n -= step;
            if (step == left) {
                if (endsResponse[head]) {
                    completed++;
                }
                heap[head] = null;
                file[head] = null;
                head++;
            }
        }
        if (head == tail) {
            head = tail = 0;
        }
        return completed;
    }

    /** Drops everything queued (the connection is being closed). */
    void clear() {
        java.util.Arrays.fill(heap, null);
        java.util.Arrays.fill(file, null);
        java.util.Arrays.fill(views, null);
        java.util.Arrays.fill(viewSources, null);
        head = tail = 0;
        remaining = 0;
    }

    @Override
    public int segmentCount() {
        return tail - head;
    }

    @Override
    public long remaining(int segment) {
        int i = head + segment;
        return end[i] - position[i];
    }

    @Override
    public boolean isFileSpan(int segment) {
        return file[head + segment] != null;
    }

    @Override
    public ByteBuffer buffer(int segment) {
        int i = head + segment;
        Webroot w = file[i];
        if (w == null) {
            if (viewSources[i] != heap[i]) {
                views[i] = ByteBuffer.wrap(heap[i]);
                viewSources[i] = heap[i];
            }
            return views[i].limit((int) end[i]).position((int) position[i]);
        }
        ByteBuffer whole = mapped.of(w);
        if (end[i] > whole.capacity()) {
            long length = Math.min(end[i] - position[i], MAX_BUFFER_BYTES);
            return w.segment().asSlice(position[i], length).asByteBuffer();
        }
        if (viewSources[i] != whole) {
            views[i] = whole.duplicate();
            viewSources[i] = whole;
        }
        return views[i].limit((int) end[i]).position((int) position[i]);
    }

    @Override
    public FileChannel channel(int segment) {
        return file[head + segment].channel();
    }

    @Override
    public Path file(int segment) {
        return file[head + segment].file();
    }

    @Override
    public MemorySegment mapping(int segment) {
        return file[head + segment].segment();
    }

    @Override
    public long filePosition(int segment) {
        return position[head + segment];
    }

    @Override
    public long totalRemaining() {
        return remaining;
    }
}
