/**
 * The HTTP/2 codec (RFC 9113, RFC 7541).
 *
 * <p>{@link dev.webroot.httpd.http2.HpackDecoder} decodes the request header blocks of one
 * connection with memory fixed when it is made: a dynamic table of the size the server advertises
 * in SETTINGS_HEADER_TABLE_SIZE, kept in a byte ring, and an output buffer as large as the header
 * list limit, into which it writes the decoded names and values and reports them by offset, so a
 * request's headers cost no allocation. Where RFC 7541 leaves a choice, it decides: a block past
 * the list limit (RFC 9113 6.5.2 accounting) is still decoded to its end to keep the table in step,
 * but reports no field beyond the limit; an integer above 2^31-1 or with more than five
 * continuation bytes, a table size update after the first field of a block, and Huffman padding
 * of more than seven bits are compression errors, after which every block is. It checks HPACK
 * only: which characters and fields a request may carry (RFC 9113 8.2) is the connection's to judge.
 */
package dev.webroot.httpd.http2;
