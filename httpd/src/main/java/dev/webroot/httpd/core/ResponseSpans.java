package dev.webroot.httpd.core;

import dev.webroot.format.Webroot;

/**
 * Where an assembled response goes: its header section, then its body as spans of heap arrays and
 * of mapped webroots, each call saying whether it ends the response. HTTP/1.1 queues them straight
 * onto the connection's output; HTTP/2 keeps them on the stream, to be framed as flow control allows.
 * The arrays are the exchange's own (or constants) and stay untouched until the response is done.
 */
interface ResponseSpans {
    /** The header section, in the connection's protocol's form. */
    void header(byte[] bytes, int from, int to, boolean last);

    /** Body bytes from memory. */
    void heap(byte[] bytes, int from, int to, boolean last);

    /** Body bytes of the webroot at absolute offsets {@code [from, to)}. */
    void file(Webroot webroot, long from, long to, boolean last);
}
