package dev.webroot.mkroot;

/** An expected runtime failure: its message is printed as one line {@code mkroot: <message>} and the exit code is 1. */
final class MkrootException extends RuntimeException {
    MkrootException(String message) {
        super(message);
    }

    MkrootException(String message, Throwable cause) {
        super(message, cause);
    }
}
