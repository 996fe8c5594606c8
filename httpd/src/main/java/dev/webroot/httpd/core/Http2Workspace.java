package dev.webroot.httpd.core;

import java.nio.ByteBuffer;

/**
 * What an HTTP/2 connection needs only while it has bytes, streams or output in hand, as
 * {@link Workspace} is for HTTP/1.1: the read buffer, the scratch buffer header blocks decode into,
 * the planner and writer, the output queue and its frame arena, and the streams not in use. An idle
 * HTTP/2 connection keeps only its HPACK table and its counters.
 */
final class Http2Workspace {
    /** Room for two whole frames of the largest size this server accepts. */
    static final int READ_BUFFER_BYTES = 2 * (Http2.FRAME_HEADER_BYTES + Http2.MIN_MAX_FRAME_SIZE);

    final byte[] in = new byte[READ_BUFFER_BYTES];
    final ByteBuffer inView = ByteBuffer.wrap(in);
    /** Decoded names and values of the header block at hand. */
    final byte[] fields;
    final MappedView mapped = new MappedView();
    final OutputQueue out = new OutputQueue(mapped);
    final ResponseWriter writer;
    final ResponsePlanner planner;
    /** Frame headers and control frames, queued in order; reused once everything queued was written. */
    byte[] arena = new byte[4096];
    Http2Connection.Stream[] free = new Http2Connection.Stream[8];
    int freeCount;

    Http2Workspace(WorkspacePool pool, long boundarySeed) {
        this.fields = new byte[pool.limits.maxHeaderBytes()];
        this.writer = new ResponseWriter(new HpackHeaders(pool.dates, HpackHeaders.fields(pool.policy)), mapped, null,
                pool.limits.maxRanges(), boundarySeed);
        this.planner = new ResponsePlanner(pool.sites, pool.limits, pool.dates, writer, mapped, pool.policy);
    }
}
