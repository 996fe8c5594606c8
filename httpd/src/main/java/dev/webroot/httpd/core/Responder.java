package dev.webroot.httpd.core;

import java.nio.charset.StandardCharsets;

/**
 * Answers the requests of a listener that serves no site (the admin listener): chosen before the
 * site lookup, it gets the decoded path and returns what to send. The core still parses and frames
 * the exchange (limits, methods, Host, HEAD, keep-alive), so a responder never sees protocol bytes.
 * Its answers may allocate: they are not the serving path.
 */
public interface Responder {
    /** A generated response: a status the core knows, a Content-Type value and the whole body. */
    record Answer(int status, String contentType, byte[] body) {
        public static Answer text(int status, String text) {
            return new Answer(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
        }
    }

    /**
     * The answer for a decoded, normalized path ({@code path[0, length)}, UTF-8, starting with '/'),
     * or null when there is nothing at that path (the core answers 404).
     */
    Answer answer(byte[] path, int length);
}
