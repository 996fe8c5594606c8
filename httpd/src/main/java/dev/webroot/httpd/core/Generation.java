package dev.webroot.httpd.core;

import dev.webroot.format.Webroot;

/**
 * One opened version of a site. It stays mapped while anyone holds it; the registry unmaps it when
 * it has been replaced and the last holder releases it.
 */
public interface Generation {
    Webroot webroot();

    /** Gives back one hold taken by {@link Sites#acquire}. */
    void release();

    /** A generation that is never replaced, for one fixed webroot served without a registry. */
    static Generation pinned(Webroot webroot) {
        return new Generation() {
            @Override
            public Webroot webroot() {
                return webroot;
            }

            @Override
            public void release() {}
        };
    }
}
