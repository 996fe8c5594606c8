package dev.webroot.httpd.acme;

import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.httpd.tls.CertificateStore;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Which names are managed, when a certificate is ordered, and how long a failure waits. */
class RenewalPolicyTest {
    private static final Instant ISSUED = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant EXPIRES = ISSUED.plus(Duration.ofDays(90));

    @Test
    void onlyDnsNamesAreManagedAndTheAllowListNarrowsThem() {
        RenewalPolicy all = new RenewalPolicy(null);
        assertThat(all.manages("www.example.com")).isTrue();
        assertThat(all.manages("a-b.example")).isTrue();
        for (String name : new String[] {"__default__", "localhost", "192.0.2.1", "10.0.0.300", "::1", "[::1]",
                "-a.example", "a-.example", "a..example", "a_b.example", "WWW.example.com", ".example"}) {
            assertThat(all.manages(name)).as(name).isFalse();
        }
        RenewalPolicy some = new RenewalPolicy(Pattern.compile(".*\\.example\\.com"));
        assertThat(some.manages("www.example.com")).isTrue();
        assertThat(some.manages("www.example.org")).isFalse();
        assertThat(some.manages("www.example.com.evil.test")).isFalse();
    }

    @Test
    void ourOwnFileIsRenewedAfterTwoThirdsOfItsLifetime() {
        CertificateStore.Named ours = new CertificateStore.Named("www.example.com.pem", ISSUED, EXPIRES);
        Instant renewal = ISSUED.plus(Duration.ofDays(60));
        assertThat(RenewalPolicy.renewalTime(ISSUED, EXPIRES)).isEqualTo(renewal);
        assertThat(RenewalPolicy.needsOrder("www.example.com", ours, renewal.minusSeconds(1))).isFalse();
        assertThat(RenewalPolicy.needsOrder("www.example.com", ours, renewal)).isTrue();
        assertThat(RenewalPolicy.needsOrder("www.example.com", ours, EXPIRES.plusSeconds(1))).isTrue();
    }

    @Test
    void aMissingOrExpiredCertificateIsOrderedAndAUsersValidFileIsLeftAlone() {
        assertThat(RenewalPolicy.needsOrder("www.example.com", null, ISSUED)).isTrue();
        CertificateStore.Named users = new CertificateStore.Named("wildcard.pem", ISSUED, EXPIRES);
        assertThat(RenewalPolicy.needsOrder("www.example.com", users, EXPIRES.minusSeconds(1))).isFalse();
        assertThat(RenewalPolicy.needsOrder("www.example.com", users, EXPIRES)).isTrue();
    }

    @Test
    void failuresWaitAMinuteDoublingUpToAnHour() {
        assertThat(RenewalPolicy.retryDelay(1)).isEqualTo(Duration.ofMinutes(1));
        assertThat(RenewalPolicy.retryDelay(2)).isEqualTo(Duration.ofMinutes(2));
        assertThat(RenewalPolicy.retryDelay(6)).isEqualTo(Duration.ofMinutes(32));
        assertThat(RenewalPolicy.retryDelay(7)).isEqualTo(Duration.ofHours(1));
        assertThat(RenewalPolicy.retryDelay(1000)).isEqualTo(Duration.ofHours(1));
    }
}
