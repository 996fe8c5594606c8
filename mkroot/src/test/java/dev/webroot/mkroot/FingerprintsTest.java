package dev.webroot.mkroot;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FingerprintsTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        // Hashes as bundlers write them.
        "app.3f2a9c1b.js, true",
        "main-BxK9a2Qz.css, true",
        "chunk.5e8f1a2b3c4d.mjs, true",
        "vendor.3F2A9C1B.js, true",
        "logo.a1b2c3d4e5f6a7b8.svg, true",
        "index-D2fK7uV9.js, true",
        "3f2a9c1b.js, true",
        "app.3f2a9c1b.js.map, true",
        "font-Xy12_aB3.woff2, true",
        // Words, versions, dates and short hashes are not.
        "index.html, false",
        "about-company.html, false",
        "jquery.min.js, false",
        "jquery-3.7.1.min.js, false",
        "bootstrap5.min.css, false",
        "html5shiv.js, false",
        "base64url.js, false",
        "report-20240101.pdf, false",
        "deadbeefcafe.js, false",
        "app.3f2a9c1.js, false",
        "x86_64-linux.txt, false",
        "README.md, false",
        "photo_2024.jpg, false",
        "3f2a9c1b, true",
        "js, false",
    })
    void detectsHashesButNotWords(String name, boolean fingerprinted) {
        assertThat(Fingerprints.isFingerprinted(name)).isEqualTo(fingerprinted);
    }
}
