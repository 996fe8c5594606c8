package dev.webroot.httpd.core;

/** The current time as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT", 29 ASCII bytes), refreshed once a second. */
public interface DateSource {
    /** The bytes must not be modified; they may change between calls. */
    byte[] imfFixdate();
}
