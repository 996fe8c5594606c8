package dev.webroot.httpd.core;

/**
 * A token bucket over the driver's clock: what a peer may spend on frames that cost the server work
 * but ask nothing of it (SETTINGS, PING, PRIORITY, empty DATA) or on streams it opens and resets.
 * A peer that uses HTTP/2 as intended never runs it dry; a flood does within one burst.
 */
final class FrameBudget {
    private final long capacity;
    private final long perSecond;
    private long tokens;
    private long lastNanos;
    private boolean started;

    FrameBudget(long capacity, long perSecond) {
        this.capacity = capacity;
        this.perSecond = perSecond;
        this.tokens = capacity;
    }

    /** Spends one token; false when none is left. */
    boolean spend(long now) {
        if (!started) {
            started = true;
            lastNanos = now;
        }
        long elapsed = now - lastNanos;
        if (elapsed > 0) {
            long earned = elapsed / (1_000_000_000L / perSecond);
            if (earned > 0) {
                tokens = Math.min(capacity, tokens + earned);
                lastNanos = now;
            }
        }
        if (tokens == 0) {
            return false;
        }
        tokens--;
        return true;
    }
}
