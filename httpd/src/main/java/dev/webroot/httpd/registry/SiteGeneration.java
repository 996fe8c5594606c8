package dev.webroot.httpd.registry;

import dev.webroot.format.Webroot;
import dev.webroot.httpd.core.Generation;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One opened webroot of one vhost, reference counted. The registry holds one reference while the
 * generation is current; each response holds one more. The count never rises again once it reached
 * zero, so a retired generation whose last holder leaves is handed to {@code onDrained} exactly once
 * (the registry unmaps it off the serving thread).
 */
final class SiteGeneration implements Generation {
    private final String vhost;
    private final Webroot webroot;
    private final Identity identity;
    private final AtomicInteger holds = new AtomicInteger(1);
    private final Consumer<SiteGeneration> onDrained;

    SiteGeneration(String vhost, Webroot webroot, Identity identity, Consumer<SiteGeneration> onDrained) {
        this.vhost = vhost;
        this.webroot = webroot;
        this.identity = identity;
        this.onDrained = onDrained;
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
            onDrained.accept(this);
        } else if (left < 0) {
            throw new IllegalStateException("generation of " + vhost + " released more often than acquired");
        }
    }

    /** Gives up the registry's own hold: called once, after a newer table no longer refers to it. */
    void retire() {
        release();
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

    String vhost() {
        return vhost;
    }

    Identity identity() {
        return identity;
    }
}
