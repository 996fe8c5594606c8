/**
 * The HTTP/1.1 protocol core: an I/O-free connection state machine ({@link dev.webroot.httpd.core.HttpConnection})
 * that answers GET and HEAD from webroot generations. The listener a connection came in on decides,
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
 *       the connection.</li>
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
 * </ul>
 */
package dev.webroot.httpd.core;
