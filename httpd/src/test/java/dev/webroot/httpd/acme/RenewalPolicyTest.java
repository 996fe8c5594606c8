package dev.webroot.httpd.acme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.webroot.httpd.acme.RenewalPolicy.RenewalSchedule;
import dev.webroot.httpd.acme.RenewalPolicy.RenewalWindow;
import dev.webroot.httpd.tls.CertificateStore;
import dev.webroot.httpd.tls.TestCertificates;
import dev.webroot.httpd.tls.TestCertificates.KeyType;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Which names are managed, when a certificate is ordered, what renewal information decides, how long failures wait. */
class RenewalPolicyTest {
    private static final Instant ISSUED = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant EXPIRES = ISSUED.plus(Duration.ofDays(90));
    private static final Instant TWO_THIRDS = ISSUED.plus(Duration.ofDays(60));
    private static final String NAME = "www.example.com";
    private static final RenewalPolicy POLICY = new RenewalPolicy(null, Duration.ofMinutes(1));

    private static X509Certificate leaf;
    private static X509Certificate renewed;
    private static CertificateStore.Named ours;

    @BeforeAll
    static void issue() {
        TestCertificates.Authority ca = TestCertificates.createAuthority("renewal policy CA");
        leaf = ca.issue(KeyType.EC, ISSUED, EXPIRES, NAME).leaf();
        renewed = ca.issue(KeyType.EC, TWO_THIRDS, TWO_THIRDS.plus(Duration.ofDays(90)), NAME).leaf();
        ours = new CertificateStore.Named("www.example.com.pem", leaf);
    }

    @Test
    void onlyDnsNamesAreManagedAndTheAllowListNarrowsThem() {
        assertThat(POLICY.manages("www.example.com")).isTrue();
        assertThat(POLICY.manages("a-b.example")).isTrue();
        for (String name : new String[] {"__default__", "localhost", "192.0.2.1", "10.0.0.300", "::1", "[::1]",
                "-a.example", "a-.example", "a..example", "a_b.example", "WWW.example.com", ".example"}) {
            assertThat(POLICY.manages(name)).as(name).isFalse();
        }
        RenewalPolicy some = new RenewalPolicy(Pattern.compile(".*\\.example\\.com"), Duration.ofMinutes(1));
        assertThat(some.manages("www.example.com")).isTrue();
        assertThat(some.manages("www.example.org")).isFalse();
        assertThat(some.manages("www.example.com.evil.test")).isFalse();
    }

    @Test
    void ourOwnFileIsRenewedAfterTwoThirdsOfItsLifetimeWithoutRenewalInformation() {
        assertThat(RenewalPolicy.renewalTime(ISSUED, EXPIRES)).isEqualTo(TWO_THIRDS);
        assertThat(RenewalPolicy.needsOrder(NAME, ours, null, TWO_THIRDS.minusSeconds(1))).isFalse();
        assertThat(RenewalPolicy.needsOrder(NAME, ours, null, TWO_THIRDS)).isTrue();
        assertThat(RenewalPolicy.needsOrder(NAME, ours, null, EXPIRES.plusSeconds(1))).isTrue();
        // A CA without renewal information: two thirds, and its directory is looked at again in six hours.
        RenewalSchedule without = RenewalPolicy.withoutRenewalInfo(leaf, ISSUED);
        assertThat(RenewalPolicy.renewalTime(ours, without)).isEqualTo(TWO_THIRDS);
        assertThat(without.recheckAt()).isEqualTo(ISSUED.plus(Duration.ofHours(6)));
    }

    @Test
    void aMissingOrExpiredCertificateIsOrderedAndAUsersValidFileIsLeftAlone() {
        assertThat(RenewalPolicy.needsOrder(NAME, null, null, ISSUED)).isTrue();
        CertificateStore.Named users = new CertificateStore.Named("wildcard.pem", leaf);
        assertThat(RenewalPolicy.needsOrder(NAME, users, null, EXPIRES.minusSeconds(1))).isFalse();
        assertThat(RenewalPolicy.needsOrder(NAME, users, null, EXPIRES)).isTrue();
        // Renewal information is never asked about a user's file, nor about an expired leaf.
        assertThat(RenewalPolicy.needsRenewalInfo(NAME, users, null, ISSUED)).isFalse();
        assertThat(RenewalPolicy.needsRenewalInfo(NAME, ours, null, EXPIRES)).isFalse();
        assertThat(RenewalPolicy.needsRenewalInfo(NAME, null, null, ISSUED)).isFalse();
    }

    @Test
    void theRenewalTimeIsAUniformlyRandomPointOfTheSuggestedWindow() {
        Instant start = ISSUED.plus(Duration.ofDays(55));
        Instant end = ISSUED.plus(Duration.ofDays(57));
        RenewalWindow window = new RenewalWindow(start, end, null);
        Random random = new Random(20260101);
        Duration earliest = Duration.ofDays(2);
        Duration latest = Duration.ZERO;
        long sumMillis = 0;
        int draws = 2000;
        for (int i = 0; i < draws; i++) {
            RenewalSchedule schedule = RenewalPolicy.fromWindow(leaf, window, null, ISSUED, random);
            assertThat(schedule.renewAt()).isAfterOrEqualTo(start).isBefore(end);
            Duration offset = Duration.between(start, schedule.renewAt());
            earliest = offset.compareTo(earliest) < 0 ? offset : earliest;
            latest = offset.compareTo(latest) > 0 ? offset : latest;
            sumMillis += offset.toMillis();
        }
        // Spread over the whole window, centred on its middle: not its start, end or a fixed point.
        assertThat(earliest).isLessThan(Duration.ofHours(1));
        assertThat(latest).isGreaterThan(Duration.ofHours(47));
        assertThat(Duration.ofMillis(sumMillis / draws)).isBetween(Duration.ofHours(22), Duration.ofHours(26));

        RenewalSchedule schedule = RenewalPolicy.fromWindow(leaf, window, null, ISSUED, random);
        assertThat(RenewalPolicy.renewalTime(ours, schedule)).isEqualTo(schedule.renewAt());
        assertThat(RenewalPolicy.needsOrder(NAME, ours, schedule, schedule.renewAt().minusMillis(1))).isFalse();
        assertThat(RenewalPolicy.needsOrder(NAME, ours, schedule, schedule.renewAt())).isTrue();
        // Earlier than two thirds, as the CA says: before the window the two-thirds rule does not apply.
        assertThat(RenewalPolicy.needsOrder(NAME, ours, schedule, TWO_THIRDS.minusSeconds(1))).isTrue();
    }

    @Test
    void aWindowLaterThanTwoThirdsDefersTheRenewalAndAPassedWindowRenewsAtOnce() {
        Instant now = ISSUED.plus(Duration.ofDays(59));
        RenewalSchedule later = RenewalPolicy.fromWindow(leaf,
                new RenewalWindow(ISSUED.plus(Duration.ofDays(70)), ISSUED.plus(Duration.ofDays(71)), null), null,
                now, new Random(1));
        assertThat(RenewalPolicy.needsOrder(NAME, ours, later, TWO_THIRDS.plusSeconds(1))).isFalse();
        assertThat(RenewalPolicy.needsOrder(NAME, ours, later, ISSUED.plus(Duration.ofDays(71)))).isTrue();

        RenewalSchedule passed = RenewalPolicy.fromWindow(leaf,
                new RenewalWindow(ISSUED.plus(Duration.ofDays(10)), ISSUED.plus(Duration.ofDays(11)), null), null,
                now, new Random(1));
        assertThat(RenewalPolicy.needsOrder(NAME, ours, passed, now)).isTrue();
    }

    @Test
    void aRecheckKeepsAChoiceStillInsideTheWindowAndDrawsAgainOutsideIt() {
        Instant now = ISSUED.plus(Duration.ofDays(30));
        RenewalWindow first =
                new RenewalWindow(ISSUED.plus(Duration.ofDays(55)), ISSUED.plus(Duration.ofDays(57)), null);
        RenewalSchedule chosen = RenewalPolicy.fromWindow(leaf, first, null, now, new Random(7));
        RenewalWindow wider = new RenewalWindow(first.start().minus(Duration.ofDays(5)), first.end(), null);
        RenewalSchedule rechecked = RenewalPolicy.fromWindow(leaf, wider, chosen, now.plus(Duration.ofHours(6)),
                new Random(8));
        assertThat(rechecked.renewAt()).isEqualTo(chosen.renewAt());

        // The CA moved the window earlier (a revocation coming, say): a new point inside it.
        RenewalWindow earlier = new RenewalWindow(now, now.plus(Duration.ofHours(2)), null);
        RenewalSchedule moved = RenewalPolicy.fromWindow(leaf, earlier, chosen, now, new Random(9));
        assertThat(moved.renewAt()).isAfterOrEqualTo(earlier.start()).isBefore(earlier.end());

        // An earlier choice for another certificate is not carried over to the renewed one.
        RenewalSchedule next = RenewalPolicy.fromWindow(renewed, wider, chosen, now, new Random(10));
        assertThat(next.renewAt()).isNotEqualTo(chosen.renewAt());
        CertificateStore.Named renewedFile = new CertificateStore.Named("www.example.com.pem", renewed);
        assertThat(RenewalPolicy.renewalTime(renewedFile, chosen))
                .isEqualTo(RenewalPolicy.renewalTime(renewedFile.notBefore(), renewedFile.notAfter()));
        assertThat(RenewalPolicy.needsRenewalInfo(NAME, renewedFile, chosen, now.plus(Duration.ofDays(31)))).isTrue();
    }

    @Test
    void renewalInformationIsAskedForAtFirstSightThenAtTheCasRetryAfterWithinAMinuteAndADay() {
        Instant now = ISSUED.plusSeconds(5);
        assertThat(RenewalPolicy.needsRenewalInfo(NAME, ours, null, now)).isTrue();
        Instant start = ISSUED.plus(Duration.ofDays(55));
        Instant end = ISSUED.plus(Duration.ofDays(57));
        Random random = new Random(3);
        RenewalSchedule threeHours = RenewalPolicy.fromWindow(leaf,
                new RenewalWindow(start, end, now.plus(Duration.ofHours(3))), null, now, random);
        assertThat(threeHours.recheckAt()).isEqualTo(now.plus(Duration.ofHours(3)));
        assertThat(RenewalPolicy.needsRenewalInfo(NAME, ours, threeHours, threeHours.recheckAt().minusMillis(1)))
                .isFalse();
        assertThat(RenewalPolicy.needsRenewalInfo(NAME, ours, threeHours, threeHours.recheckAt())).isTrue();

        assertThat(RenewalPolicy.fromWindow(leaf, new RenewalWindow(start, end, now.plusSeconds(5)), null, now, random)
                .recheckAt()).isEqualTo(now.plus(Duration.ofMinutes(1)));
        assertThat(RenewalPolicy.fromWindow(leaf, new RenewalWindow(start, end, now.plus(Duration.ofDays(9))), null,
                now, random).recheckAt()).isEqualTo(now.plus(Duration.ofDays(1)));
        assertThat(RenewalPolicy.fromWindow(leaf, new RenewalWindow(start, end, null), null, now, random).recheckAt())
                .isEqualTo(now.plus(Duration.ofHours(6)));
    }

    @Test
    void aFailedOrInvalidAnswerFallsBackToTwoThirdsOrTheEarlierAnswerAndBacksOff() {
        assertThatThrownBy(() -> new RenewalWindow(TWO_THIRDS, TWO_THIRDS, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the suggested renewal window ends at " + TWO_THIRDS + ", not after its start "
                        + TWO_THIRDS);
        Instant now = ISSUED.plusSeconds(5);
        RenewalSchedule first = POLICY.afterFailedCheck(leaf, null, now);
        assertThat(first.renewAt()).isNull();
        assertThat(RenewalPolicy.renewalTime(ours, first)).isEqualTo(TWO_THIRDS);
        assertThat(first.recheckAt()).isEqualTo(now.plus(Duration.ofMinutes(1)));
        RenewalSchedule second = POLICY.afterFailedCheck(leaf, first, first.recheckAt());
        assertThat(second.recheckAt()).isEqualTo(first.recheckAt().plus(Duration.ofMinutes(2)));
        assertThat(second.failures()).isEqualTo(2);

        RenewalSchedule answered = RenewalPolicy.fromWindow(leaf, new RenewalWindow(ISSUED.plus(Duration.ofDays(40)),
                ISSUED.plus(Duration.ofDays(41)), null), second, now, new Random(4));
        assertThat(answered.failures()).isZero();
        RenewalSchedule afterAnswer = POLICY.afterFailedCheck(leaf, answered, answered.recheckAt());
        assertThat(afterAnswer.renewAt()).isEqualTo(answered.renewAt());
        assertThat(afterAnswer.recheckAt()).isEqualTo(answered.recheckAt().plus(Duration.ofMinutes(1)));
        // The answer for an older certificate does not stand for a new one.
        assertThat(POLICY.afterFailedCheck(renewed, answered, now).renewAt()).isNull();
    }

    @Test
    void aValidLeafAnotherProcessWroteUnderTheLockIsDeferredToOnce() {
        Instant now = TWO_THIRDS.plusSeconds(1);
        // Renewing `leaf`, the file now holds `renewed`: another process renewed it meanwhile.
        assertThat(RenewalPolicy.writtenMeanwhile(renewed, leaf, null, now)).isTrue();
        assertThat(RenewalPolicy.writtenMeanwhile(renewed, null, null, now)).isTrue();
        // The file still holds the leaf being renewed, or nothing: order.
        assertThat(RenewalPolicy.writtenMeanwhile(leaf, leaf, null, now)).isFalse();
        assertThat(RenewalPolicy.writtenMeanwhile(null, leaf, null, now)).isFalse();
        // Deferred to once already and still not served (the store refused it): order over it.
        assertThat(RenewalPolicy.writtenMeanwhile(renewed, leaf, renewed, now)).isFalse();
        // An expired or not yet valid leaf is nothing to defer to.
        assertThat(RenewalPolicy.writtenMeanwhile(leaf, null, null, EXPIRES)).isFalse();
        assertThat(RenewalPolicy.writtenMeanwhile(renewed, null, null, TWO_THIRDS.minusSeconds(1))).isFalse();
    }

    @Test
    void failuresWaitTheFirstRetryDoublingUpToAnHour() {
        assertThat(POLICY.retryDelay(1)).isEqualTo(Duration.ofMinutes(1));
        assertThat(POLICY.retryDelay(2)).isEqualTo(Duration.ofMinutes(2));
        assertThat(POLICY.retryDelay(6)).isEqualTo(Duration.ofMinutes(32));
        assertThat(POLICY.retryDelay(7)).isEqualTo(Duration.ofHours(1));
        assertThat(POLICY.retryDelay(1000)).isEqualTo(Duration.ofHours(1));
        RenewalPolicy quick = new RenewalPolicy(null, Duration.ofSeconds(1));
        assertThat(quick.retryDelay(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(quick.retryDelay(4)).isEqualTo(Duration.ofSeconds(8));
        assertThat(quick.retryDelay(13)).isEqualTo(Duration.ofHours(1));
    }
}
