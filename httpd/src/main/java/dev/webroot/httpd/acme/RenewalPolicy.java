package dev.webroot.httpd.acme;

import dev.webroot.httpd.tls.CertificateStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * When a certificate is ordered, and for which names: pure decisions, so the manager's clock can be
 * anyone's. A name is managed when it is a DNS name (not {@code __default__}, not an IP address) that
 * the allow-list admits; it needs an order when no file names it (or the file's leaf has expired), or
 * when the file is this manager's own {@code NAME.pem} and two thirds of its lifetime have passed. A
 * user's own valid file for a name is left alone.
 */
final class RenewalPolicy {
    static final Duration FIRST_RETRY = Duration.ofMinutes(1);
    static final Duration LAST_RETRY = Duration.ofHours(1);

    private static final Pattern DNS_NAME =
            Pattern.compile("(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern NUMERIC_LAST_LABEL = Pattern.compile(".*\\.[0-9]+");

    private final Pattern allowed;

    /** @param allowed the names (whole-name match) to manage, or null for every DNS name */
    RenewalPolicy(Pattern allowed) {
        this.allowed = allowed;
    }

    boolean manages(String name) {
        return isDnsName(name) && (allowed == null || allowed.matcher(name).matches());
    }

    /** At least two labels, letters, digits and inner hyphens, and a last label that is not a number (no IPv4). */
    static boolean isDnsName(String name) {
        return name.equals(name.toLowerCase(Locale.ROOT)) && DNS_NAME.matcher(name).matches()
                && !NUMERIC_LAST_LABEL.matcher(name).matches();
    }

    /** The file this manager writes for {@code name}. */
    static String fileName(String name) {
        return name + ".pem";
    }

    /** When a certificate valid over [notBefore, notAfter) is renewed: after two thirds of its lifetime. */
    static Instant renewalTime(Instant notBefore, Instant notAfter) {
        return notBefore.plus(Duration.between(notBefore, notAfter).multipliedBy(2).dividedBy(3));
    }

    /** Whether {@code name}, served by {@code named} (null: nothing names it), needs an order at {@code now}. */
    static boolean needsOrder(String name, CertificateStore.Named named, Instant now) {
        if (named == null || !now.isBefore(named.notAfter())) {
            return true;
        }
        if (!named.fileName().equals(fileName(name))) {
            return false;
        }
        return !now.isBefore(renewalTime(named.notBefore(), named.notAfter()));
    }

    /** The wait after the {@code failures}-th failure in a row (1, 2, ...): a minute, doubling, at most an hour. */
    static Duration retryDelay(int failures) {
        Duration delay = FIRST_RETRY;
        for (int i = 1; i < failures && delay.compareTo(LAST_RETRY) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(LAST_RETRY) > 0 ? LAST_RETRY : delay;
    }
}
