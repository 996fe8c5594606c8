package dev.webroot.io.model;

/** A C library call that failed: the call and the error number it left, with the library's text for it. */
public final class NativeCallException extends RuntimeException {
    private final int errno;

    NativeCallException(String call, int errno) {
        super(call + " failed: " + LibC.describe(errno));
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
