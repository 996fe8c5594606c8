package dev.webroot.httpd.registry;

import dev.webroot.format.Digests;
import dev.webroot.format.HpackFragment;
import dev.webroot.format.Webroot;
import dev.webroot.httpd.core.Generation;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One opened webroot of one vhost, reference counted. The registry holds one reference while the
 * generation is current; each response holds one more. The count never rises again once it reached
 * zero, so a retired generation whose last holder leaves is handed to {@link Listener#drained} exactly
 * once (the registry unmaps it off the serving thread).
 *
 * <p>Each representation's body is unchecked, intact or damaged. A generation published before its
 * bodies were hashed (at start-up, or a new vhost) checks an unchecked body the first time a request
 * asks for it, while a background pass checks the rest; a damaged body is never sent. The states
 * are plain bytes: every value written is true of the immutable mapping, so a stale read only
 * costs a repeated hash.
 *
 * <p>Each representation's HPACK fragment is likewise unchecked, intact (exactly what its header
 * block converts to) or damaged, checked by the same background pass or on its first use over
 * HTTP/2. A damaged one is never sent: HTTP/2 responses carry the block's conversion instead.
 */
final class SiteGeneration implements Generation {
    private static final byte UNCHECKED = 0;
    private static final byte INTACT = 1;
    private static final byte DAMAGED = 2;

    /** What the registry hears from a generation. */
    interface Listener {
        /** The last hold of a retired generation was released. */
        void drained(SiteGeneration generation);

        /** A body was found not to match its SHA-256 (reported once per representation). */
        void damaged(SiteGeneration generation, int representation, String problem);

        /** An HPACK fragment was found not to be what its header block converts to (reported once per representation). */
        void hpackDamaged(SiteGeneration generation, int representation, String problem);
    }

    private final String vhost;
    private final Webroot webroot;
    private final Path file;
    private final Identity identity;
    private final AtomicInteger holds = new AtomicInteger(1);
    private final Listener listener;
    private final byte[] bodies;
    private final byte[] fragments;
    /** The header blocks' conversions that replace damaged fragments, by representation; null until one is damaged. */
    private volatile HpackFragment[] fromBlock;
    private volatile boolean retired;
    /** The descriptor holding a read lease on the file, or -1. */
    private final AtomicInteger leaseFd = new AtomicInteger(-1);
    private String firstDamage;
    private final java.time.Instant loadedAt = java.time.Instant.now();
    private volatile String contentId;

    SiteGeneration(String vhost, Webroot webroot, Identity identity, Listener listener) {
        this(vhost, webroot, webroot.file(), identity, listener);
    }

    private SiteGeneration(String vhost, Webroot webroot, Path file, Identity identity, Listener listener) {
        this.vhost = vhost;
        this.webroot = webroot;
        this.file = file;
        this.identity = identity;
        this.listener = listener;
        this.bodies = webroot == null ? new byte[0] : new byte[webroot.representationCount()];
        this.fragments = new byte[bodies.length];
    }

    /**
     * A vhost whose generation was retired because its file changed in place (or a writer broke its
     * lease): it answers 503 until the file validates again. The file stays watched, and its
     * identity is {@link Identity#RETIRED}, so whatever the file is now is tried.
     */
    static SiteGeneration outOfService(String vhost, Path file) {
        return outOfService(vhost, file, Identity.RETIRED);
    }

    /** A vhost taken out of service on purpose: its entry leads to an empty file, of this identity. */
    static SiteGeneration outOfService(String vhost, Path file, Identity identity) {
        return new SiteGeneration(vhost, null, file, identity, null);
    }

    boolean inService() {
        return webroot != null;
    }

    /** Takes a hold unless the generation has already drained; never allocates. */
    boolean tryRetain() {
        for (;;) {
            int current = holds.get();
            if (current == 0) {
                return false;
            }
            if (holds.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    @Override
    public void release() {
        int left = holds.decrementAndGet();
        if (left == 0) {
            listener.drained(this);
        } else if (left < 0) {
            throw new IllegalStateException("generation of " + vhost + " released more often than acquired");
        }
    }

    /**
     * Gives up the registry's own hold and stops a background verification, once (later calls do
     * nothing): when no table refers to the generation any more, or a candidate is given up.
     */
    void retire() {
        if (webroot != null && !retired) {
            retired = true;
            release();
        }
    }

    @Override
    public boolean bodyIntact(int representation) {
        byte state = bodies[representation];
        if (state == UNCHECKED) {
            state = check(representation, null);
        }
        return state == INTACT;
    }

    @Override
    public HpackFragment hpackFromBlock(int representation) {
        byte state = fragments[representation];
        if (state == UNCHECKED) {
            state = checkFragment(representation, webroot.hpackCheck());
        }
        return state == INTACT ? null : converted(representation);
    }

    /** Compares one representation's fragment with its block; a damaged one is recorded and reported once. */
    private byte checkFragment(int representation, Webroot.HpackCheck check) {
        if (check.matches(representation)) {
            fragments[representation] = INTACT;
            return INTACT;
        }
        String problem = "HPACK fragment of " + webroot.describe(representation) + " differs from what its header block converts to";
        if (markDamaged(fragments, representation, problem)) {
            listener.hpackDamaged(this, representation, problem);
        }
        return DAMAGED;
    }

    private HpackFragment converted(int representation) {
        HpackFragment[] all = fromBlock;
        HpackFragment fragment = all == null ? null : all[representation];
        return fragment != null ? fragment : convert(representation);
    }

    /** Converts a damaged fragment's block once; its fields are final, so other threads may read it without the lock. */
    private synchronized HpackFragment convert(int representation) {
        if (fromBlock == null) {
            fromBlock = new HpackFragment[fragments.length];
        }
        HpackFragment fragment = fromBlock[representation];
        if (fragment == null) {
            fragment = webroot.convertedHpack(representation);
            fromBlock[representation] = fragment;
        }
        return fragment;
    }

    /** Hashes one body (through {@code digestBySpan} when given, so a body shared by several representations is read once). */
    private byte check(int representation, Map<Span, byte[]> digestBySpan) {
        boolean intact;
        String problem;
        try {
            byte[] actual = digestBySpan == null ? webroot.hashBody(representation)
                    : digestBySpan.computeIfAbsent(new Span(webroot.dataOffset(representation), webroot.length(representation)),
                            span -> webroot.hashBody(representation));
            byte[] recorded = webroot.sha256(representation);
            if (!MessageDigest.isEqual(actual, recorded)) {
                intact = false;
                problem = "data of " + webroot.describe(representation) + " does not match its SHA-256";
            } else {
                // The ETag a client sees must be the one derived from these bytes.
                intact = webroot.etagLength(representation) == 0 || webroot.etag(representation).equals(Digests.etag(recorded));
                problem = "ETag of " + webroot.describe(representation) + " does not match its content hash";
            }
        } catch (InternalError e) {
            // The file shrank under the mapping; the registry retires this generation on the file's change.
            intact = false;
            // Naming the entry would read the mapping again.
            problem = "representation " + representation + " could not be read (" + e.getMessage()
                    + "): the file was changed in place";
        }
        if (intact) {
            bodies[representation] = INTACT;
            return INTACT;
        }
        if (markDamaged(bodies, representation, problem)) {
            listener.damaged(this, representation, problem);
        }
        return DAMAGED;
    }

    private record Span(long offset, long length) {}

    /** Records a damaged body or fragment ({@code states} is {@link #bodies} or {@link #fragments}); true the first time. */
    private synchronized boolean markDamaged(byte[] states, int representation, String problem) {
        boolean first = states[representation] != DAMAGED;
        states[representation] = DAMAGED;
        if (firstDamage == null) {
            firstDamage = problem;
        }
        return first;
    }

    /** The first damaged body or fragment found, or null. */
    synchronized String firstDamage() {
        return firstDamage;
    }

    /**
     * Checks every unchecked body, hashing a body shared by several representations once, and every
     * unchecked HPACK fragment; stops early when the generation is retired. Returns the number of
     * representations with a damaged body or fragment, or -1 if stopped.
     */
    int verifyRepresentations() {
        Map<Span, byte[]> digestBySpan = new HashMap<>();
        Webroot.HpackCheck fragmentCheck = webroot.hpackCheck();
        int damaged = 0;
        for (int r = 0; r < bodies.length; r++) {
            if (retired) {
                return -1;
            }
            byte state = bodies[r] == UNCHECKED ? check(r, digestBySpan) : bodies[r];
            byte fragment = fragments[r] == UNCHECKED ? checkFragment(r, fragmentCheck) : fragments[r];
            damaged += state == DAMAGED || fragment == DAMAGED ? 1 : 0;
        }
        return damaged;
    }

    void leased(int fd) {
        leaseFd.set(fd);
    }

    int leaseFd() {
        return leaseFd.get();
    }

    /** The lease's descriptor, once (then -1), so that it is released exactly once. */
    int takeLease() {
        return leaseFd.getAndSet(-1);
    }

    private boolean unmapRetried;

    /** Returns true the first time, so that a deferred unmap is logged once. */
    boolean markUnmapRetry() {
        boolean first = !unmapRetried;
        unmapRetried = true;
        return first;
    }

    int holds() {
        return holds.get();
    }

    @Override
    public Webroot webroot() {
        return webroot;
    }

    @Override
    public String site() {
        return vhost;
    }

    /** When the file was opened. */
    java.time.Instant loadedAt() {
        return loadedAt;
    }

    /**
     * The SHA-256 of the webroot's index (lowercase hex), which covers every body's SHA-256 and header
     * block: equal for files that serve the same bytes. Computed on first use while holding the
     * generation; null for a vhost out of service or a generation already unmapped.
     */
    String contentId() {
        String id = contentId;
        if (id != null || webroot == null || !tryRetain()) {
            return id;
        }
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(webroot.segment().asSlice(0, webroot.indexLength()).asByteBuffer());
            id = java.util.HexFormat.of().formatHex(digest.digest());
            contentId = id;
            return id;
        } catch (java.security.NoSuchAlgorithmException | IllegalStateException | InternalError e) {
            return null;
        } finally {
            release();
        }
    }

    /** The real path of the webroot file (also for a vhost out of service). */
    Path file() {
        return file;
    }

    Identity identity() {
        return identity;
    }
}
