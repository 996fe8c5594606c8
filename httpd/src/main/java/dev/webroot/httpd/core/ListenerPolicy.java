package dev.webroot.httpd.core;

/**
 * What the listener a connection came in on adds to every answer: header lines sent on every
 * response (Strict-Transport-Security on HTTPS listeners), or, for a cleartext listener that
 * redirects to HTTPS, the port to send every request to instead of serving it. Responders chosen
 * before the site lookup, so every site of the listener gets them.
 */
public final class ListenerPolicy {
    /** Serves every request, adding nothing. */
    public static final ListenerPolicy PLAIN = new ListenerPolicy(-1, 0, null, null);

    /** The max-age of the Strict-Transport-Security field on every response, or -1 for none. */
    final long hstsSeconds;
    /** HTTP/1.1 header lines (each ending in CRLF) after Date, or null. */
    final byte[] addedHeaders;
    /** The HTTPS port requests are redirected to, or 0 when they are served. */
    final int httpsPort;
    /** Answers every request instead of the sites, or null. */
    final Responder responder;
    /** ACME HTTP-01 answers given before the site lookup (and before the HTTPS redirect), or null. */
    final ChallengeResponder challenges;

    private ListenerPolicy(long hstsSeconds, int httpsPort, Responder responder, ChallengeResponder challenges) {
        this.hstsSeconds = hstsSeconds;
        this.addedHeaders = hstsSeconds < 0 ? null
                : ResponseField.STRICT_TRANSPORT_SECURITY.line("max-age=" + hstsSeconds).http1;
        this.httpsPort = httpsPort;
        this.responder = responder;
        this.challenges = challenges;
    }

    /** A listener that serves no site: every request is answered by {@code responder}. */
    public static ListenerPolicy respondWith(Responder responder) {
        return new ListenerPolicy(-1, 0, java.util.Objects.requireNonNull(responder), null);
    }

    /** This policy, also answering the ACME HTTP-01 challenges that {@code challenges} holds. */
    public ListenerPolicy answering(ChallengeResponder challenges) {
        return new ListenerPolicy(hstsSeconds, httpsPort, responder, challenges);
    }

    /** Answers every request except ACME HTTP-01 challenges with 308 to {@code https://HOST[:httpsPort]TARGET}. */
    public static ListenerPolicy redirectToHttps(int httpsPort) {
        if (httpsPort <= 0 || httpsPort > 65535) {
            throw new IllegalArgumentException("not a port: " + httpsPort);
        }
        return new ListenerPolicy(-1, httpsPort, null, null);
    }

    /** An HTTPS listener: {@code Strict-Transport-Security: max-age=N} on every response when {@code hstsSeconds >= 0}. */
    public static ListenerPolicy https(long hstsSeconds) {
        return hstsSeconds < 0 ? PLAIN : new ListenerPolicy(hstsSeconds, 0, null, null);
    }

    boolean redirectsToHttps() {
        return httpsPort != 0;
    }
}
