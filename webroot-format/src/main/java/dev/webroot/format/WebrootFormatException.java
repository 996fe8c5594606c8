package dev.webroot.format;

import java.io.IOException;

/** A webroot file is not a valid webroot: the message names the file and the problem. */
public final class WebrootFormatException extends IOException {
    public WebrootFormatException(String message) {
        super(message);
    }
}
