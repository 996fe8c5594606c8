/**
 * The protocol core: I/O-free connection state machines that answer GET and HEAD from webroot
 * generations, in two codecs over one set of semantics.
 * <ul>
 *   <li>Semantics, shared: {@code ResponsePlanner} decides the answer to one request head (framing
 *       and method checks, Host, site lookup, site rules, redirects, Accept-Encoding, conditionals,
 *       Range) and {@code ResponseWriter} assembles it: which fields in which order, the stored
 *       header block or the prefix of it a 304 or 206 carries, and the body spans of the mapping.</li>
 *   <li>HTTP/1.1: {@link dev.webroot.httpd.core.HttpConnection} parses heads in place
 *       ({@code RequestParser}); {@code Http1Headers} writes the status line and field lines and
 *       {@code OutputQueue} sends them with the spans, pipelined responses in order.</li>
 *   <li>HTTP/2: {@link dev.webroot.httpd.core.Http2Connection} decodes each stream's header block
 *       (the bounded decoder of {@code dev.webroot.httpd.http2}) into a request head of its own;
 *       {@code HpackHeaders} writes {@code :status}, {@code date} and the HPACK fragment the packer
 *       stored; the connection frames the spans as flow control allows. A cleartext connection whose
 *       first bytes are the HTTP/2 preface is handed from the first to the second (prior knowledge);
 *       {@code Upgrade: h2c} is ignored, as browsers never send it.</li>
 * </ul>
 * The listener a connection came in on decides,
 * through its {@link dev.webroot.httpd.core.ListenerPolicy}, what is added to every answer before any
 * site is looked up: the 308 to HTTPS of a redirecting cleartext listener (ACME HTTP-01 challenge
 * paths excepted; a request without Host, which cannot be redirected, is 400) and the
 * Strict-Transport-Security line of an HTTPS listener.
 *
 * <p>Where RFC 9110/9112 leave a choice, this package decides:
 * <ul>
 *   <li>Requests have no bodies. Any Transfer-Encoding, or a malformed or self-contradicting
 *       Content-Length, is 400; a positive Content-Length on GET/HEAD is 413; other standard methods
 *       are 405 with {@code Allow: GET, HEAD} (OPTIONS included), unknown ones 501. Every refusal of
 *       framing or syntax (400, 405, 413, 414, 431, 501, 505) says {@code Connection: close} and
 *       nothing after it is parsed. 304, 404, 412 and 416 keep the connection.</li>
 *   <li>One empty line before a request line is ignored, a second is 400. Line endings must be CRLF.
 *       obs-fold, whitespace before a colon and control characters in values are 400.</li>
 *   <li>Limits: the request line (without CRLF) up to {@code maxRequestLineBytes} else 414; the header
 *       section (field lines and the final empty line) up to {@code maxHeaderBytes} else 431; more than
 *       {@code maxHeaderCount} fields, or one of the fields this server reads repeated more than eight
 *       times, is 431. A version {@code HTTP/1.x} with x ≥ 2 is handled as HTTP/1.1; a major version
 *       other than 1 is 505; anything else is 400.</li>
 *   <li>Targets: the query is kept only for a redirect's Location; dot segments are removed per RFC
 *       3986 ({@code /../x} is {@code /x}); {@code //} is not collapsed and so finds nothing (404).</li>
 *   <li>An unknown Host without a default site is 404 (not 421). An empty Host means the default site.</li>
 *   <li>A site out of service ({@link dev.webroot.httpd.core.Sites#OUT_OF_SERVICE}: its file was changed in
 *       place) is 503 with {@code Retry-After: 5}, and so is a representation whose body does not match
 *       its hash ({@link dev.webroot.httpd.core.Generation#bodyIntact}), checked before preconditions and
 *       Range so its ETag is never confirmed; a damaged not-found page gives the built-in 404. 503 keeps
 *       the connection. A representation whose stored HPACK fragment is not what its header block
 *       converts to is answered over HTTP/2 with that conversion ({@link
 *       dev.webroot.httpd.core.Generation#hpackFromBlock}): the same fields as over HTTP/1.1.</li>
 *   <li>Accept-Encoding: when nothing is acceptable the identity form is sent (no 406). Preconditions
 *       compare the selected representation's ETag only. A date field present twice is ignored.</li>
 *   <li>Range: bad syntax, other units, an empty representation, more specifiers than
 *       {@code maxRanges}, or specifiers adding up to more than the representation mean 200. Several
 *       ranges that coalesce into one are sent as a plain single-range 206. Multipart boundaries are
 *       24 hex digits of a SplitMix64 sequence seeded per connection.</li>
 *   <li>Site rules (the webroot's RULES): the exact lookup comes first; a packed path is answered by
 *       the forced rule the packer recorded for its entry, if any; any other path by the first rule
 *       that matches. Captures are percent-encoded into a redirect's Location (so a decoded CR or LF
 *       can never reach a header), and the request's query follows unless the target has its own. A
 *       200 rule serves its target exactly as a request for the target would be; a 404 or 410 rule
 *       sends the target without its ETag and ignores preconditions and Range; a template target
 *       that is not packed gets the not-found answer.</li>
 *   <li>A listener with a {@link dev.webroot.httpd.core.Responder} (the admin listener) answers every
 *       request from it, after the framing, method and Host checks and before any site lookup: the
 *       decoded path goes in, a status, Content-Type and body come out, sent with
 *       {@code Cache-Control: no-store}; a path it does not know is 404.</li>
 *   <li>Read-ahead stops once {@code maxPipelinedResponses} responses are queued.</li>
 *   <li>The access log gets the request line, Host, Referer and User-Agent cut to what the log line
 *       has room for ({@code AccessRecord.MAX_*}); a value cut short is logged ending in "...".
 *       A head refused before its request line was accepted (400, 414, 505) or timed out (408) is
 *       logged with as much of its first line as arrived. Responses cut short by a close or a send
 *       timeout are not logged.</li>
 *   <li>ACME HTTP-01: on a listener given a {@link dev.webroot.httpd.core.ChallengeResponder}, a GET
 *       or HEAD of {@code /.well-known/acme-challenge/TOKEN} for a pending token is answered 200
 *       {@code text/plain} with its key authorization, for any Host, before the HTTPS redirect and the
 *       site lookup; other tokens go on to the site as usual.</li>
 *   <li>HTTP/2 (RFC 9113): a request is its stream's header block; the HTTP/1.1 rules above apply to
 *       its fields, with {@code :authority} as Host (a Host that differs is a second Host: 400) and
 *       {@code :path} as the target. A malformed request (upper-case or connection-specific field
 *       names, {@code te} other than {@code trailers}, a pseudo-header unknown, repeated, missing or
 *       after a regular field, NUL, CR, LF or white space at either end of a value) resets its
 *       stream with PROTOCOL_ERROR; a request body is 413 at its first DATA frame (405 or 501 for
 *       other methods) and the stream is reset with NO_ERROR once the answer is sent. Limits per
 *       connection: 128 concurrent streams (more are refused with REFUSED_STREAM), a header block of
 *       twice {@code maxHeaderBytes} (GOAWAY ENHANCE_YOUR_CALM beyond it, since HPACK cannot be
 *       skipped), a decoded list of {@code maxHeaderBytes} (431), 1,000 frames that ask nothing
 *       (SETTINGS, PING, PRIORITY, empty DATA, empty CONTINUATION; 200 more a second) and 256 streams
 *       reset by the client (100 more a second) before ENHANCE_YOUR_CALM. The head timeout bounds a
 *       header block in progress and the first request; the keep-alive timeout an idle connection
 *       (GOAWAY NO_ERROR), and so does the stream that reaches {@code maxRequestsPerConnection}, which
 *       is still answered; the send timeout both unsent output and a response stalled on a window
 *       the client holds at zero.</li>
 * </ul>
 */
package dev.webroot.httpd.core;