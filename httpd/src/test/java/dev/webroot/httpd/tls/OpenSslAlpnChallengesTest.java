package dev.webroot.httpd.tls;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** {@link AlpnChallengesTest}'s cases with the OpenSSL engine serving the same site certificate. */
class OpenSslAlpnChallengesTest extends AlpnChallengesTest {
    @Override
    TlsConnectionFactory factory() {
        Map<String, LoadedCertificate> files = new TreeMap<>();
        try {
            files.put("site.pem", OpenSslConnectionTest.loaded("site.pem",
                    siteIssued.chain(),
                    siteIssued.keys().getPrivate()));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        CertificateIndex index = new CertificateIndex(files, List.of());
        return TlsConnectionFactory.openSsl(() -> index, protocols(), Duration.ofSeconds(10), Duration.ofSeconds(60),
                System::nanoTime, challenges);
    }
}
