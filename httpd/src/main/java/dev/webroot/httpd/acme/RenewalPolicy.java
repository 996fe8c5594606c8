package dev.webroot.httpd.acme;

import dev.webroot.httpd.tls.CertificateStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;

/**
 * When a certificate is ordered, and for which names: pure decisions, so the manager's clock can be
 * anyone's. A name is managed when it is a DNS name (not {@code __default__}, not an IP address) that
 * the allow-list admits; it needs an order when no file names it (or the file's leaf has expired), or
 * when the file is this manager's own {@code NAME.pem} and its renewal time has come: the time chosen
 * from the CA's renewal information (RFC 9773) when the CA offers it and answered for this leaf, else
 * two thirds of its lifetime. A user's own valid file for a name is left alone.
 */
final class RenewalPolicy {
    static final Duration LAST_RETRY = Duration.ofHours(1);
    /** How often renewal information is asked for without a Retry-After, and a CA without it is looked at again. */
    static final Duration RENEWAL_INFO_RECHECK = Duration.ofHours(6);
    /** The bounds RFC 9773 (section 4.3) suggests for the CA's Retry-After. */
    static final Duration SHORTEST_RECHECK = Duration.ofMinutes(1);
    static final Duration LONGEST_RECHECK = Duration.ofDays(1);

    private static final Pattern DNS_NAME =
            Pattern.compile("(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern NUMERIC_LAST_LABEL = Pattern.compile(".*\\.[0-9]+");

    private final Pattern allowed;
    private final Duration firstRetry;

    /**
     * @param allowed the names (whole-name match) to manage, or null for every DNS name
     * @param firstRetry the wait after a first failure, doubled after each further one up to {@link #LAST_RETRY}
     */
    RenewalPolicy(Pattern allowed, Duration firstRetry) {
        this.allowed = allowed;
        this.firstRetry = firstRetry;
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

    /** When a certificate valid over [notBefore, notAfter) is renewed without renewal information: at two thirds. */
    static Instant renewalTime(Instant notBefore, Instant notAfter) {
        return notBefore.plus(Duration.between(notBefore, notAfter).multipliedBy(2).dividedBy(3));
    }

    /** When {@code named} is renewed: the schedule's time if it is for this leaf and has one, else two thirds. */
    static Instant renewalTime(CertificateStore.Named named, RenewalSchedule schedule) {
        if (schedule != null && schedule.renewAt() != null && schedule.isFor(named.leaf())) {
            return schedule.renewAt();
        }
        return renewalTime(named.notBefore(), named.notAfter());
    }

    /** Whether {@code named} is this manager's own, still valid, file for {@code name}. */
    static boolean isOwnValid(String name, CertificateStore.Named named, Instant now) {
        return named != null && now.isBefore(named.notAfter()) && named.fileName().equals(fileName(name));
    }

    /**
     * Whether {@code name}, served by {@code named} (null: nothing names it), needs an order at
     * {@code now}, given what the renewal information said ({@code schedule}, null when never asked).
     */
    static boolean needsOrder(String name, CertificateStore.Named named, RenewalSchedule schedule, Instant now) {
        if (named == null || !now.isBefore(named.notAfter())) {
            return true;
        }
        if (!named.fileName().equals(fileName(name))) {
            return false;
        }
        return !now.isBefore(renewalTime(named, schedule));
    }

    /**
     * Whether the CA is to be asked about {@code named}'s renewal: only for this manager's own valid
     * file, first as soon as its leaf is seen (right after issuance, as RFC 9773 asks), then at the
     * schedule's recheck time. A user's file and an expired leaf are never asked about.
     */
    static boolean needsRenewalInfo(String name, CertificateStore.Named named, RenewalSchedule schedule, Instant now) {
        return isOwnValid(name, named, now)
                && (schedule == null || !schedule.isFor(named.leaf()) || !now.isBefore(schedule.recheckAt()));
    }

    /**
     * Whether {@code stored}, the leaf of the name's file read under its lock (null: none), was
     * written by another process since the name was found due, so ordering again would only repeat
     * that process's order: a leaf valid at {@code now} that is neither {@code ours} (the one being
     * renewed, or null) nor {@code deferredTo}, one already deferred to once. The store did not take
     * that one up (a broken file, say), so it is ordered over.
     */
    static boolean writtenMeanwhile(X509Certificate stored, X509Certificate ours, X509Certificate deferredTo,
            Instant now) {
        return stored != null && !stored.equals(ours) && !stored.equals(deferredTo)
                && !now.isBefore(stored.getNotBefore().toInstant()) && now.isBefore(stored.getNotAfter().toInstant());
    }

    /**
     * The schedule from the CA's suggested window (RFC 9773 section 4.2): the earlier choice for the
     * same leaf if it still lies in the window (so rechecks do not keep drawing earlier times), else a
     * uniformly random point of it, which is the renewal time even when it has passed (renew at once);
     * asked again at the CA's Retry-After held within a minute and a day, or after six hours without one.
     */
    static RenewalSchedule fromWindow(X509Certificate leaf, RenewalWindow window, RenewalSchedule previous,
            Instant now, RandomGenerator random) {
        Instant renewAt;
        if (previous != null && previous.isFor(leaf) && previous.renewAt() != null
                && !previous.renewAt().isBefore(window.start()) && previous.renewAt().isBefore(window.end())) {
            renewAt = previous.renewAt();
        } else {
            long width = Duration.between(window.start(), window.end()).toMillis();
            renewAt = width <= 1 ? window.start() : window.start().plusMillis(random.nextLong(width));
        }
        Duration recheck = RENEWAL_INFO_RECHECK;
        if (window.retryAfter() != null) {
            recheck = Duration.between(now, window.retryAfter());
            recheck = recheck.compareTo(SHORTEST_RECHECK) < 0 ? SHORTEST_RECHECK
                    : recheck.compareTo(LONGEST_RECHECK) > 0 ? LONGEST_RECHECK : recheck;
        }
        return new RenewalSchedule(leaf, renewAt, now.plus(recheck), 0);
    }

    /** The CA offers no renewal information: two thirds, and its directory is looked at again after six hours. */
    static RenewalSchedule withoutRenewalInfo(X509Certificate leaf, Instant now) {
        return new RenewalSchedule(leaf, null, now.plus(RENEWAL_INFO_RECHECK), 0);
    }

    /**
     * Asking failed (or the answer was invalid): an earlier answer for the same leaf stands, else two
     * thirds of the lifetime; asked again after the same back-off as a failed order.
     */
    RenewalSchedule afterFailedCheck(X509Certificate leaf, RenewalSchedule previous, Instant now) {
        boolean same = previous != null && previous.isFor(leaf);
        int failures = same ? previous.failures() + 1 : 1;
        return new RenewalSchedule(leaf, same ? previous.renewAt() : null, now.plus(retryDelay(failures)), failures);
    }

    /** The wait after the {@code failures}-th failure in a row (1, 2, ...): the first retry, doubling, at most 1 h. */
    Duration retryDelay(int failures) {
        Duration delay = firstRetry;
        for (int i = 1; i < failures && delay.compareTo(LAST_RETRY) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(LAST_RETRY) > 0 ? LAST_RETRY : delay;
    }

    /** The CA's suggested renewal window for one certificate, and when to ask again (null: it did not say). */
    record RenewalWindow(Instant start, Instant end, Instant retryAfter) {
        /** RFC 9773: a window whose end is not after its start is invalid, to be treated as no answer. */
        RenewalWindow {
            if (!end.isAfter(start)) {
                throw new IllegalArgumentException("the suggested renewal window ends at " + end
                        + ", not after its start " + start);
            }
        }
    }

    /**
     * What is known of one certificate's renewal: when it is renewed (null: at two thirds of its
     * lifetime), when renewal information is asked for again, and how many asks in a row failed.
     */
    record RenewalSchedule(X509Certificate leaf, Instant renewAt, Instant recheckAt, int failures) {
        boolean isFor(X509Certificate other) {
            return leaf.equals(other);
        }
    }
}
