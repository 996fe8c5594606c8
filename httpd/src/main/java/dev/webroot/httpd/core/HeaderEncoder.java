package dev.webroot.httpd.core;

import dev.webroot.format.Webroot;

/**
 * Writes a response's header section into its exchange's header buffer in one protocol's form:
 * HTTP/1.1 field lines ({@link Http1Headers}) or an HPACK header block ({@link HpackHeaders}). The
 * {@link ResponseWriter} decides which fields a response has and in what order; this decides only
 * their bytes. Values composed by the writer are put between {@link #beginValue} and {@link #endValue}
 * as raw bytes, which both forms carry unchanged.
 */
interface HeaderEncoder {
    /** The representation's stored fields up to what a 304 carries. */
    int NOT_MODIFIED = 0;
    /** ... up to what every 206 carries, multipart included. */
    int COMMON = 1;
    /** ... up to what a single-range 206 carries. */
    int CONTENT_TYPE = 2;
    /** All of them: a 200, and HEAD. */
    int WHOLE = 3;

    /** The status, Date, and the fields the listener adds to every response. */
    void start(Exchange x, int status);

    void line(Exchange x, ResponseField.Line line);

    void beginValue(Exchange x, ResponseField field);

    void endValue(Exchange x);

    /** The representation's precomputed fields up to {@code cut}. */
    void block(Exchange x, Webroot w, int representation, int cut);

    /** All the representation's fields but its ETag: a page sent with an error status. */
    void blockWithoutEtag(Exchange x, Webroot w, int representation);

    /** Ends the header section; {@code connection} is one of ResponseWriter's CONNECTION_ values. */
    void finish(Exchange x, int connection);
}
