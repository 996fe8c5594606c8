package dev.webroot.httpd.core;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ACME HTTP-01 answers a cleartext listener gives before any site is looked up: for
 * {@code /.well-known/acme-challenge/TOKEN}, the key authorization of a pending challenge, as
 * {@code text/plain}. Tokens are published by the certificate manager while the CA validates and
 * withdrawn afterwards; with none pending, a request costs one volatile read. Publishing and
 * withdrawing are rare and serialized, so the flag always agrees with the map.
 */
public final class ChallengeResponder {
    private final ConcurrentHashMap<String, byte[]> answers = new ConcurrentHashMap<>();
    private volatile boolean pending;

    /** Answers {@code token} with {@code keyAuthorization} until {@link #withdraw}. */
    public synchronized void publish(String token, String keyAuthorization) {
        answers.put(token, keyAuthorization.getBytes(StandardCharsets.US_ASCII));
        pending = true;
    }

    public synchronized void withdraw(String token) {
        answers.remove(token);
        pending = !answers.isEmpty();
    }

    /** The answer for the token in {@code path[from, to)}, or null when it is not pending. */
    byte[] answer(byte[] path, int from, int to) {
        if (!pending || from >= to) {
            return null;
        }
        return answers.get(new String(path, from, to - from, StandardCharsets.ISO_8859_1));
    }
}
