package dev.webroot.httpd.core;

/** Picks the webroot generation that serves a host; implemented by the vhost registry. */
public interface Sites {
    /**
     * The current generation for a host name given as lowercase ASCII bytes without port or trailing
     * dot, falling back to the default site; retained for the caller, who must {@link Generation#release}
     * it. Returns null when neither the host nor a default site exists, and {@link #OUT_OF_SERVICE}
     * (which needs no release) when the host's site exists but cannot be served now.
     */
    Generation acquire(byte[] host, int offset, int length);

    /**
     * The name of the vhost that answers a host (as for {@link #acquire}, the default site's for an
     * unknown one), or null; for reports only: called when no generation names it.
     */
    default String siteName(byte[] host, int offset, int length) {
        return null;
    }

    /**
     * Stands for a site that is out of service, for example because its file was changed in place and
     * does not validate yet: the core answers 503 with Retry-After. It has no webroot.
     */
    Generation OUT_OF_SERVICE = new Generation() {
        @Override
        public dev.webroot.format.Webroot webroot() {
            throw new IllegalStateException("a site out of service has no webroot");
        }

        @Override
        public void release() {}
    };
}
