package dev.webroot.httpd.tls;

import java.time.Instant;

/** Why a PEM bundle cannot be served; the message is the reason logged with the file's name. */
final class InvalidBundleException extends Exception {
    private final Instant retryAt;

    InvalidBundleException(String reason) {
        this(reason, null);
    }

    /** @param retryAt when the same bytes may become acceptable (a leaf not yet valid), or null */
    InvalidBundleException(String reason, Instant retryAt) {
        super(reason, null, false, false);
        this.retryAt = retryAt;
    }

    Instant retryAt() {
        return retryAt;
    }
}
