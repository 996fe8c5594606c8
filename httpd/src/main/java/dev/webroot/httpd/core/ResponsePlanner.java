package dev.webroot.httpd.core;

import dev.webroot.format.Webroot;

/**
 * Decides the response to one complete request head: framing and method checks, Host and target,
 * then, from the webroot's precomputed data, existence, site rules, redirect, Accept-Encoding,
 * preconditions and Range, in RFC 9110's order (a 404 or redirect wins over preconditions). Every
 * refusal of the request's framing or syntax closes the connection; semantic answers (304, 404,
 * 412, 416) do not.
 *
 * <p>Site rules: the exact lookup comes first; a packed path is answered by a forced rule only when
 * the packer recorded one for its entry, any other path by the first rule that matches it. A 200
 * rule serves its target's file exactly as a request for it would be (negotiation, preconditions,
 * ranges, HEAD), at the requested path.
 */
final class ResponsePlanner {
    private static final byte[] CLOSE = Ascii.bytes("close");
    private static final byte[] KEEP_ALIVE = Ascii.bytes("keep-alive");
    private static final byte[] ACME_CHALLENGE = Ascii.bytes("/.well-known/acme-challenge/");

    private final Sites sites;
    private final DateSource dates;
    private final ResponseWriter writer;
    private final MappedView mapped;
    private final TargetDecoder target;
    private final HostNormalizer host = new HostNormalizer();
    private final EncodingNegotiator negotiator = new EncodingNegotiator();
    private final RangeSet ranges;
    private final ListenerPolicy policy;
    private final RuleMatcher rules;
    private byte[] etag = new byte[96];

    ResponsePlanner(Sites sites, Limits limits, DateSource dates, ResponseWriter writer, MappedView mapped,
            ListenerPolicy policy) {
        this.policy = policy;
        this.sites = sites;
        this.dates = dates;
        this.writer = writer;
        this.mapped = mapped;
        this.target = new TargetDecoder();
        this.ranges = new RangeSet(limits.maxRanges());
        this.rules = new RuleMatcher(mapped);
    }

    /**
     * Queues the response to {@code head} into {@code x}; {@code lastRequest} forces
     * {@code Connection: close}. Returns true when the connection must close after this response.
     */
    boolean plan(RequestHead head, Exchange x, boolean lastRequest) {
        boolean headOnly = head.isHead();
        int refusal = refusal(head);
        if (refusal != 0) {
            writer.error(x, refusal, headOnly, ResponseWriter.CONNECTION_CLOSE);
            return true;
        }
        byte[] b = head.buffer;
        if (!target.decode(b, head.base + head.targetStart, head.base + head.targetEnd)) {
            writer.error(x, 400, headOnly, ResponseWriter.CONNECTION_CLOSE);
            return true;
        }
        boolean hostValid = true;
        if (target.authorityStart >= 0) {
            hostValid = host.normalize(b, target.authorityStart, target.authorityEnd);
        } else if (head.count(RequestHead.HOST) == 0) {
            host.clear();
        } else {
            hostValid = host.normalize(b, head.valueStart(RequestHead.HOST, 0), head.valueEnd(RequestHead.HOST, 0));
        }
        if (!hostValid) {
            writer.error(x, 400, headOnly, ResponseWriter.CONNECTION_CLOSE);
            return true;
        }
        x.describeHost(host.host(), host.length());
        boolean close = lastRequest || !persistent(head);
        int connection = close ? ResponseWriter.CONNECTION_CLOSE
                : head.minorVersion == 0 ? ResponseWriter.CONNECTION_KEEP_ALIVE : ResponseWriter.CONNECTION_NONE;
        if (policy.responder != null) {
            Responder.Answer answer = policy.responder.answer(target.path(), target.pathLength);
            if (answer == null) {
                writer.error(x, 404, headOnly, connection);
            } else {
                writer.generated(x, answer, headOnly, connection);
            }
            return close;
        }
        if (policy.challenges != null && startsWith(target.path(), target.pathLength, ACME_CHALLENGE)) {
            byte[] answer = policy.challenges.answer(target.path(), ACME_CHALLENGE.length, target.pathLength);
            if (answer != null) {
                writer.text(x, answer, headOnly, connection);
                return close;
            }
        }
        if (policy.redirectsToHttps() && !startsWith(target.path(), target.pathLength, ACME_CHALLENGE)) {
            if (host.length() == 0) {
                // No name to send the client to: nothing is served in cleartext either.
                writer.error(x, 400, headOnly, ResponseWriter.CONNECTION_CLOSE);
                return true;
            }
            int from = target.authorityEnd >= 0 ? target.authorityEnd : head.base + head.targetStart;
            writer.httpsRedirect(x, host.host(), host.length(), policy.httpsPort, b, from, head.base + head.targetEnd,
                    connection);
            return close;
        }
        Generation generation = sites.acquire(host.host(), 0, host.length());
        if (generation == null) {
            writer.error(x, 404, headOnly, connection);
            return close;
        }
        if (generation == Sites.OUT_OF_SERVICE) {
            x.site = sites.siteName(host.host(), 0, host.length());
            writer.error(x, 503, headOnly, connection);
            return close;
        }
        x.generation = generation;
        x.site = generation.site();
        respond(head, x, generation, headOnly, connection);
        return close;
    }

    /** The status refusing the request before its target is looked at, or 0. */
    private static int refusal(RequestHead head) {
        // Any Transfer-Encoding, or a Content-Length that is malformed or disagrees with itself, is a
        // framing doubt: nothing after this head can be trusted to be a request.
        if (head.count(RequestHead.TRANSFER_ENCODING) > 0) {
            return 400;
        }
        long contentLength = contentLength(head);
        if (contentLength < 0) {
            return 400;
        }
        if (head.method == RequestHead.METHOD_NOT_ALLOWED) {
            return 405;
        }
        if (head.method == RequestHead.METHOD_UNKNOWN) {
            return 501;
        }
        if (contentLength > 0) {
            return 413;
        }
        int hosts = head.count(RequestHead.HOST);
        if (hosts > 1 || hosts == 0 && head.minorVersion == 1) {
            return 400;
        }
        return 0;
    }

    /** The agreed Content-Length (0 when absent), or -1 when malformed or contradictory. */
    private static long contentLength(RequestHead head) {
        long value = 0;
        boolean seen = false;
        byte[] b = head.buffer;
        for (int k = 0; k < head.count(RequestHead.CONTENT_LENGTH); k++) {
            int from = head.valueStart(RequestHead.CONTENT_LENGTH, k);
            int to = head.valueEnd(RequestHead.CONTENT_LENGTH, k);
            for (int i = from; i <= to; ) {
                int elementEnd = Ascii.elementEnd(b, i, to);
                long v = Ascii.parseDecimal(b, Ascii.skipOws(b, i, elementEnd), Ascii.trimOwsEnd(b, i, elementEnd));
                if (v < 0 || seen && v != value) {
                    return -1;
                }
                value = v;
                seen = true;
                i = elementEnd + 1;
            }
        }
        return value;
    }

    /** HTTP/1.1 persists unless {@code close}; HTTP/1.0 only with {@code keep-alive} (RFC 9112 §9.3). */
    static boolean persistent(RequestHead head) {
        boolean close = false;
        boolean keepAlive = false;
        byte[] b = head.buffer;
        for (int k = 0; k < head.count(RequestHead.CONNECTION); k++) {
            int to = head.valueEnd(RequestHead.CONNECTION, k);
            int i = head.valueStart(RequestHead.CONNECTION, k);
            while (i <= to) {
                int elementEnd = Ascii.elementEnd(b, i, to);
                int from = Ascii.skipOws(b, i, elementEnd);
                int end = Ascii.trimOwsEnd(b, from, elementEnd);
                close |= Ascii.equalsIgnoreCase(b, from, end, CLOSE);
                keepAlive |= Ascii.equalsIgnoreCase(b, from, end, KEEP_ALIVE);
                i = elementEnd + 1;
            }
        }
        return !close && (head.minorVersion == 1 || keepAlive);
    }

    private void respond(RequestHead head, Exchange x, Generation generation, boolean headOnly, int connection) {
        Webroot w = generation.webroot();
        byte[] path = target.path();
        int length = target.pathLength;
        int entry = w.lookup(path, 0, length);
        int rule = -1;
        if (entry >= 0) {
            int forced = w.forcedRule(entry);
            if (forced >= 0 && rules.matches(w, forced, path, length)) {
                rule = forced;
            }
        } else if (w.ruleCount() > 0) {
            rule = rules.first(w, path, length);
        }
        if (rule >= 0) {
            applyRule(head, x, generation, rule, headOnly, connection);
            return;
        }
        if (entry >= 0 && w.isRedirect(entry)) {
            writer.redirect(x, w, entry, head.buffer, target.queryStart, target.queryEnd, connection);
            return;
        }
        if (entry < 0 || !w.isFile(entry)) {
            notFound(head, x, generation, headOnly, connection);
            return;
        }
        serveFile(head, x, generation, entry, headOnly, connection);
    }

    private void applyRule(RequestHead head, Exchange x, Generation generation, int rule, boolean headOnly,
            int connection) {
        Webroot w = generation.webroot();
        int status = w.ruleStatus(rule);
        if (status >= 300 && status < 400) {
            writer.ruleRedirect(x, w, rule, rules, target.path(), head.buffer, target.queryStart, target.queryEnd, connection);
            return;
        }
        int entry = w.ruleTemplate(rule) ? rules.rewrite(w, rule, target.path()) : w.ruleTargetEntry(rule);
        if (entry < 0 || !w.isFile(entry)) {
            // A 200 rewrite to nothing is a miss; a 404 or 410 rule keeps its status without its page.
            if (status == 200) {
                notFound(head, x, generation, headOnly, connection);
            } else {
                writer.error(x, status, headOnly, connection);
            }
        } else if (status == 200) {
            serveFile(head, x, generation, entry, headOnly, connection);
        } else {
            int representation = w.representation(entry, negotiator.choose(head, w, entry));
            if (generation.bodyIntact(representation)) {
                x.encoding = w.encoding(representation).token();
                writer.page(x, status, w, representation, headOnly, connection);
            } else {
                writer.error(x, status, headOnly, connection);
            }
        }
    }

    private void notFound(RequestHead head, Exchange x, Generation generation, boolean headOnly, int connection) {
        Webroot w = generation.webroot();
        int notFound = w.notFoundEntry();
        if (notFound < 0) {
            writer.error(x, 404, headOnly, connection);
            return;
        }
        int representation = w.representation(notFound, negotiator.choose(head, w, notFound));
        if (generation.bodyIntact(representation)) {
            x.encoding = w.encoding(representation).token();
            writer.full(x, 404, w, representation, headOnly, connection);
        } else {
            writer.error(x, 404, headOnly, connection);
        }
    }

    private void serveFile(RequestHead head, Exchange x, Generation generation, int entry, boolean headOnly,
            int connection) {
        Webroot w = generation.webroot();
        int representation = w.representation(entry, negotiator.choose(head, w, entry));
        x.encoding = w.encoding(representation).token();
        // Checked before preconditions: a damaged body is not even confirmed by a 304 under its ETag.
        if (!generation.bodyIntact(representation)) {
            writer.error(x, 503, headOnly, connection);
            return;
        }
        // Validators are copied out and compared only when the request has a precondition.
        int etagLength = 0;
        long lastModified = 0;
        int year = 0;
        if (hasPreconditions(head)) {
            etagLength = w.etagLength(representation);
            if (etagLength > etag.length) {
                etag = new byte[etagLength];
            }
            mapped.copy(w, w.etagOffset(representation), etag, 0, etagLength);
            lastModified = w.lastModified(entry);
            year = HttpDates.year(dates.imfFixdate());
            int condition = Conditionals.evaluate(head, etag, etagLength, lastModified, year);
            if (condition == Conditionals.PRECONDITION_FAILED) {
                writer.error(x, 412, headOnly, connection);
                return;
            }
            if (condition == Conditionals.NOT_MODIFIED) {
                writer.notModified(x, w, representation, connection);
                return;
            }
        }
        // Range is defined for GET only; a repeated Range field is ambiguous and ignored.
        if (!headOnly && head.count(RequestHead.RANGE) == 1
                && Conditionals.ifRangeHolds(head, etag, etagLength, lastModified, year)) {
            long length = w.length(representation);
            int outcome = ranges.parse(head.buffer, head.valueStart(RequestHead.RANGE, 0),
                    head.valueEnd(RequestHead.RANGE, 0), length);
            if (outcome == RangeSet.UNSATISFIABLE) {
                writer.rangeNotSatisfiable(x, length, connection);
                return;
            }
            if (outcome == RangeSet.SATISFIABLE) {
                if (ranges.count() == 1) {
                    writer.singleRange(x, w, representation, ranges.first(0), ranges.last(0), connection);
                } else {
                    writer.multipart(x, w, entry, representation, ranges, connection);
                }
                return;
            }
        }
        writer.full(x, 200, w, representation, headOnly, connection);
    }

    private static boolean startsWith(byte[] bytes, int length, byte[] prefix) {
        return length >= prefix.length && java.util.Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static boolean hasPreconditions(RequestHead head) {
        return head.count(RequestHead.IF_MATCH) + head.count(RequestHead.IF_NONE_MATCH)
                + head.count(RequestHead.IF_MODIFIED_SINCE) + head.count(RequestHead.IF_UNMODIFIED_SINCE)
                + head.count(RequestHead.IF_RANGE) > 0;
    }
}
