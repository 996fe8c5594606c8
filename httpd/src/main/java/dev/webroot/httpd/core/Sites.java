package dev.webroot.httpd.core;

/** Picks the webroot generation that serves a host; implemented by the vhost registry. */
public interface Sites {
    /**
     * The current generation for a host name given as lowercase ASCII bytes without port or trailing
     * dot, falling back to the default site; retained for the caller, who must {@link Generation#release}
     * it. Returns null when neither the host nor a default site exists.
     */
    Generation acquire(byte[] host, int offset, int length);
}
