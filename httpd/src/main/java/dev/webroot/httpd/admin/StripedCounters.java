package dev.webroot.httpd.admin;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A fixed set of counters, each split over stripes picked by the calling thread, so that event loops
 * rarely touch the same cache line: adding is one atomic add to a plain array, with no allocation
 * ever (unlike a {@code LongAdder}, whose cells are allocated on first contention); reading sums the
 * stripes, at scrape time.
 */
final class StripedCounters {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    /** Longs per cache line: each stripe starts on its own line. */
    private static final int LINE = 8;
    private static final int STRIPES =
            Integer.highestOneBit(Math.max(1, Runtime.getRuntime().availableProcessors()) * 2 - 1) << 1;

    private final int counters;
    private final int width;
    private final long[] cells;

    StripedCounters(int counters) {
        this.counters = counters;
        this.width = (counters + LINE - 1) / LINE * LINE;
        this.cells = new long[STRIPES * width];
    }

    void add(int counter, long n) {
        if (counter < 0 || counter >= counters) {
            throw new IndexOutOfBoundsException(counter);
        }
        int stripe = (int) (Thread.currentThread().threadId() * 0x9E3779B97F4A7C15L >>> 40) & (STRIPES - 1);
        LONGS.getAndAdd(cells, stripe * width + counter, n);
    }

    long sum(int counter) {
        long sum = 0;
        for (int stripe = 0; stripe < STRIPES; stripe++) {
            sum += (long) LONGS.getVolatile(cells, stripe * width + counter);
        }
        return sum;
    }
}
