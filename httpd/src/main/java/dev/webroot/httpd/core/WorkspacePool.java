package dev.webroot.httpd.core;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The {@link Workspace}s of every connection of one server, shared across threads. Taking and
 * giving back allocate nothing once the pool is warm; a workspace that finds no free slot is left
 * to the collector, so the pool never holds more than {@link #SLOTS}. Threads start probing at
 * different slots, so event loops rarely contend and each tends to get back the one it returned.
 */
public final class WorkspacePool {
    private static final int SLOTS = 256;
    private static final int PROBES = 8;
    /**
     * An HTTP/2 connection gives its workspace back whenever its streams are all answered, which
     * with many busy connections on one loop happens to dozens in turn: they find theirs again.
     */
    private static final int HTTP2_PROBES = 64;
    private static final long SEED_STEP = 0x632be59bd9b4e019L;

    final Limits limits;
    final AccessLog log;
    /** Responses a connection may have queued: the pipelining limit, at least one. */
    final int maxQueued;
    /** Room for one tolerated empty line, the longest request line and the largest header section. */
    final int maxReadBuffer;
    final long headTimeout;
    final long keepAliveTimeout;
    final long sendTimeout;
    final Sites sites;
    final DateSource dates;
    final ListenerPolicy policy;
    /** Whether a cleartext connection that opens with the HTTP/2 preface is served as HTTP/2 (prior knowledge). */
    final boolean priorKnowledgeHttp2;
    private final AtomicLong boundarySeeds;
    private final AtomicReferenceArray<Workspace> slots = new AtomicReferenceArray<>(SLOTS);
    private final AtomicReferenceArray<Http2Workspace> http2Slots = new AtomicReferenceArray<>(SLOTS);

    public WorkspacePool(Sites sites, Limits limits, DateSource dates, AccessLog log) {
        this(sites, limits, dates, log, System.nanoTime());
    }

    /** As above, with the seed of the multipart boundaries given, so that output is reproducible. */
    public WorkspacePool(Sites sites, Limits limits, DateSource dates, AccessLog log, long boundarySeed) {
        this(sites, limits, dates, log, boundarySeed, ListenerPolicy.PLAIN, true);
    }

    /** The workspaces of one kind of listener: what it adds to answers is decided once, here. */
    public WorkspacePool(Sites sites, Limits limits, DateSource dates, AccessLog log, ListenerPolicy policy) {
        this(sites, limits, dates, log, System.nanoTime(), policy, false);
    }

    /** As above; {@code priorKnowledgeHttp2} serves cleartext connections that open with the HTTP/2 preface as HTTP/2. */
    public WorkspacePool(Sites sites, Limits limits, DateSource dates, AccessLog log, ListenerPolicy policy,
            boolean priorKnowledgeHttp2) {
        this(sites, limits, dates, log, System.nanoTime(), policy, priorKnowledgeHttp2);
    }

    private WorkspacePool(Sites sites, Limits limits, DateSource dates, AccessLog log, long boundarySeed,
            ListenerPolicy policy, boolean priorKnowledgeHttp2) {
        this.policy = policy;
        this.priorKnowledgeHttp2 = priorKnowledgeHttp2;
        this.sites = sites;
        this.limits = limits;
        this.dates = dates;
        this.log = log;
        this.boundarySeeds = new AtomicLong(boundarySeed - SEED_STEP);
        this.maxQueued = Math.max(1, limits.maxPipelinedResponses());
        this.maxReadBuffer = 2 + limits.maxRequestLineBytes() + 2 + limits.maxHeaderBytes() + 1;
        this.headTimeout = limits.requestHeadTimeout().toNanos();
        this.keepAliveTimeout = limits.keepAliveTimeout().toNanos();
        this.sendTimeout = limits.sendTimeout().toNanos();
    }

    Workspace take() {
        Workspace w = take(slots, PROBES);
        return w != null ? w : new Workspace(this, boundarySeeds.addAndGet(SEED_STEP));
    }

    /** Takes back a workspace whose connection no longer uses it. */
    void giveBack(Workspace w) {
        w.reset();
        put(slots, w, PROBES);
    }

    Http2Workspace takeHttp2() {
        Http2Workspace w = take(http2Slots, HTTP2_PROBES);
        return w != null ? w : new Http2Workspace(this, boundarySeeds.addAndGet(SEED_STEP));
    }

    void giveBack(Http2Workspace w) {
        put(http2Slots, w, HTTP2_PROBES);
    }

    private static <T> T take(AtomicReferenceArray<T> slots, int probes) {
        int first = firstSlot();
        for (int i = 0; i < probes; i++) {
            int slot = (first + i) & (SLOTS - 1);
            T w = slots.get(slot);
            if (w != null && slots.compareAndSet(slot, w, null)) {
                return w;
            }
        }
        return null;
    }

    private static <T> void put(AtomicReferenceArray<T> slots, T w, int probes) {
        int first = firstSlot();
        for (int i = 0; i < probes; i++) {
            int slot = (first + i) & (SLOTS - 1);
            if (slots.get(slot) == null && slots.compareAndSet(slot, null, w)) {
                return;
            }
        }
    }

    private static int firstSlot() {
        return (int) (Thread.currentThread().threadId() * 0x9E3779B9L >>> 7) & (SLOTS - 1);
    }
}
