package dev.webroot.httpd.core;

import dev.webroot.format.HpackFragment;
import dev.webroot.format.Webroot;

/**
 * One opened version of a site. It stays mapped while anyone holds it; the registry unmaps it when
 * it has been replaced and the last holder releases it.
 */
public interface Generation {
    Webroot webroot();

    /** The name of the vhost this is a version of, or null when it serves without one. */
    default String site() {
        return null;
    }

    /** Gives back one hold taken by {@link Sites#acquire}. */
    void release();

    /**
     * Whether a representation's stored body may be sent: false once its bytes are known not to match
     * their SHA-256 (the core then answers 503 rather than send them under their strong ETag). A
     * generation whose bodies are still being verified in the background hashes an unchecked body
     * the first time it is asked; later calls only read a flag and never allocate.
     */
    default boolean bodyIntact(int representation) {
        return true;
    }

    /**
     * What HTTP/2 responses carry of a representation's precomputed fields instead of its stored
     * HPACK fragment: null while that fragment is exactly what its header block converts to (the
     * file's checksum does not cover this: a packer could have written a wrong one), else that
     * conversion, so an HTTP/2 response never carries fields its HTTP/1.1 form does not. A generation
     * whose fragments are still being checked in the background checks an unchecked one the first
     * time it is asked; later calls only read a flag and never allocate.
     */
    default HpackFragment hpackFromBlock(int representation) {
        return null;
    }

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
