package dev.webroot.httpd.core;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * What a connection needs only while it has a request in hand: the read buffer, parser, planner,
 * writer, output queue and response slots. Connections borrow one from a {@link WorkspacePool}
 * when bytes arrive and give it back once every byte read has been answered and sent, so an idle
 * keep-alive connection holds none, and a busy thread keeps reusing the same warm one.
 */
final class Workspace {
    static final int READ_BUFFER_BYTES = 4096;

    final RequestHead head = new RequestHead();
    final RequestParser parser;
    final MappedView mapped = new MappedView();
    final OutputQueue output = new OutputQueue(mapped);
    final ResponseWriter writer;
    final ResponsePlanner planner;
    /** Slots are created when pipelining first needs them: most workspaces only ever use one. */
    final Exchange[] exchanges;
    private final boolean logged;
    byte[] in;
    ByteBuffer inView;

    Workspace(WorkspacePool pool, long boundarySeed) {
        this.parser = new RequestParser(head, pool.limits);
        this.writer = new ResponseWriter(new Http1Headers(pool.dates, mapped, pool.policy.addedHeaders), mapped, output,
                pool.limits.maxRanges(), boundarySeed);
        this.planner = new ResponsePlanner(pool.sites, pool.limits, pool.dates, writer, mapped, pool.policy);
        this.exchanges = new Exchange[pool.maxQueued];
        this.logged = pool.log != AccessLog.DISABLED;
        useReadBuffer(new byte[READ_BUFFER_BYTES]);
    }

    Exchange exchange(int slot) {
        Exchange x = exchanges[slot];
        return x != null ? x : (exchanges[slot] = new Exchange(logged));
    }

    /** Doubles the read buffer, keeping its bytes, up to {@code max}. */
    void growReadBuffer(int max) {
        useReadBuffer(Arrays.copyOf(in, Math.min(in.length * 2, max)));
    }

    private void useReadBuffer(byte[] bytes) {
        in = bytes;
        inView = ByteBuffer.wrap(bytes);
        head.buffer = bytes;
    }

    /**
     * Readies the workspace for the next connection: a read buffer grown for one long head goes back
     * to its usual size. Buffer views stay cached, which is what makes a warm workspace allocation-free.
     */
    void reset() {
        parser.reset();
        if (in.length != READ_BUFFER_BYTES) {
            useReadBuffer(new byte[READ_BUFFER_BYTES]);
        }
    }
}
