package dev.webroot.httpd.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.webroot.httpd.log.ErrorLog;
import dev.webroot.httpd.tls.TestCertificates.Authority;
import dev.webroot.httpd.tls.TestCertificates.Issued;
import dev.webroot.httpd.tls.TestCertificates.KeyForm;
import dev.webroot.httpd.tls.TestCertificates.KeyType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedKeyManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(60)
class CertificateStoreTest {
    /** Long enough that only inotify (or an explicit rescan) applies a change within a test. */
    private static final Duration NO_TIMER = Duration.ofHours(1);
    private static Authority ca;
    private static Issued site;

    @TempDir
    Path temp;

    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    private final ErrorLog log = ErrorLog.to(new PrintStream(logBytes, true, StandardCharsets.UTF_8));
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());
    private CertificateStore store;

    @BeforeAll
    static void createAuthority() {
        ca = TestCertificates.createAuthority("webroot test CA");
        site = ca.issue(KeyType.EC, "www.example.com", "example.com");
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    private Path certs() throws IOException {
        return Files.createDirectories(temp.resolve("certs"));
    }

    private CertificateStore open(Duration rescanInterval) throws IOException {
        InstantSource clock = now::get;
        store = CertificateStore.open(certs(), log, rescanInterval, clock);
        return store;
    }

    private void write(String fileName, Issued issued) throws IOException {
        TestCertificates.writeBundle(certs().resolve(fileName), issued, KeyForm.PKCS8);
    }

    private String logText() {
        return logBytes.toString(StandardCharsets.UTF_8);
    }

    private List<String> logLines(String containing) {
        return logText().lines().filter(line -> line.contains(containing)).toList();
    }

    private static void awaitTrue(Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within %s", limit).isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    /** The leaf certificate a TLS client sending this SNI name (none when null) is shown by a server using the store. */
    private X509Certificate presented(String serverName) throws Exception {
        return presented(serverName, false);
    }

    private X509Certificate presented(String serverName, boolean verifyHostName) throws Exception {
        SSLContext serverContext = SSLContext.getInstance("TLS");
        serverContext.init(new KeyManager[] {store.keyManager()}, null, null);
        SSLEngine server = serverContext.createSSLEngine();
        server.setUseClientMode(false);
        SSLEngine client = serverName == null ? ca.clientContext().createSSLEngine()
                : ca.clientContext().createSSLEngine(serverName, 443);
        client.setUseClientMode(true);
        SSLParameters parameters = client.getSSLParameters();
        parameters.setServerNames(serverName == null ? List.of() : List.of(new SNIHostName(serverName)));
        if (verifyHostName) {
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
        }
        client.setSSLParameters(parameters);
        handshake(client, server);
        return (X509Certificate) client.getSession().getPeerCertificates()[0];
    }

    /** Runs a handshake between two engines through in-memory buffers. */
    private static void handshake(SSLEngine client, SSLEngine server) throws SSLException {
        ByteBuffer toServer = ByteBuffer.allocate(1 << 17);
        ByteBuffer toClient = ByteBuffer.allocate(1 << 17);
        ByteBuffer clientApp = ByteBuffer.allocate(1 << 17);
        ByteBuffer serverApp = ByteBuffer.allocate(1 << 17);
        client.beginHandshake();
        server.beginHandshake();
        for (int round = 0; round < 100; round++) {
            step(client, toServer, toClient, clientApp);
            step(server, toClient, toServer, serverApp);
            if (client.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING
                    && server.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING) {
                return;
            }
        }
        throw new AssertionError("handshake did not finish");
    }

    private static void step(SSLEngine engine, ByteBuffer out, ByteBuffer in, ByteBuffer app) throws SSLException {
        for (Runnable task = engine.getDelegatedTask(); task != null; task = engine.getDelegatedTask()) {
            task.run();
        }
        while (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
            engine.wrap(ByteBuffer.allocate(0), out);
        }
        in.flip();
        while (in.hasRemaining() && engine.unwrap(in, app).bytesConsumed() > 0) {
            for (Runnable task = engine.getDelegatedTask(); task != null; task = engine.getDelegatedTask()) {
                task.run();
            }
        }
        in.compact();
    }

    @Test
    void loadsTheKeyInEveryFormAndPresentsEachFileForItsName() throws Exception {
        Issued ecPkcs8 = ca.issue(KeyType.EC, "ec-pkcs8.example");
        Issued ecSec1 = ca.issue(KeyType.EC, "ec-sec1.example");
        Issued rsaPkcs8 = ca.issue(KeyType.RSA, "rsa-pkcs8.example");
        Issued rsaPkcs1 = ca.issue(KeyType.RSA, "rsa-pkcs1.example");
        String[] files = {
            TestCertificates.bundle(ecPkcs8, KeyForm.PKCS8), TestCertificates.bundle(ecSec1, KeyForm.TRADITIONAL),
            TestCertificates.bundle(rsaPkcs8, KeyForm.PKCS8), TestCertificates.bundle(rsaPkcs1, KeyForm.TRADITIONAL)};
        assertThat(files[0]).contains("BEGIN PRIVATE KEY");
        assertThat(files[1]).contains("BEGIN EC PRIVATE KEY");
        assertThat(files[2]).contains("BEGIN PRIVATE KEY");
        assertThat(files[3]).contains("BEGIN RSA PRIVATE KEY");
        String[] names = {"ec-pkcs8", "ec-sec1", "rsa-pkcs8", "rsa-pkcs1"};
        for (int i = 0; i < files.length; i++) {
            TestCertificates.writeAtomically(certs().resolve(names[i] + ".pem"), files[i]);
        }

        open(NO_TIMER);

        assertThat(store.certificateCount()).isEqualTo(4);
        assertThat(store.names()).containsExactly("ec-pkcs8.example", "ec-sec1.example", "rsa-pkcs1.example", "rsa-pkcs8.example");
        assertThat(logLines("loaded")).hasSize(4);
        assertThat(logLines("certificate ec-sec1.pem loaded: names ec-sec1.example, expires ")).hasSize(1);
        assertThat(logLines("refused")).isEmpty();
        // JDK key and certificate objects, so handshakes never reach into BouncyCastle.
        for (String type : new String[] {"EC", "RSA"}) {
            for (String alias : store.keyManager().getServerAliases(type, null)) {
                assertThat(store.keyManager().getPrivateKey(alias).getClass().getName()).startsWith("sun.security.");
                assertThat(store.keyManager().getCertificateChain(alias)[0].getClass().getName()).startsWith("sun.security.");
            }
        }
        Issued[] issued = {ecPkcs8, ecSec1, rsaPkcs8, rsaPkcs1};
        for (int i = 0; i < issued.length; i++) {
            assertThat(presented(names[i] + ".example", true)).isEqualTo(issued[i].leaf());
        }
    }

    @Test
    void loadsAnEd25519Key() throws Exception {
        Issued ed25519 = ca.issue(KeyType.ED25519, "ed.example");
        write("ed.pem", ed25519);
        open(NO_TIMER);

        assertThat(logLines("certificate ed.pem loaded: names ed.example")).singleElement().asString().contains("EdDSA key");
        assertThat(presented("ed.example", true)).isEqualTo(ed25519.leaf());
    }

    @Test
    void ignoresOtherNamesDotFilesAndDirectories() throws Exception {
        write("site.pem", site);
        write("site.crt", ca.issue(KeyType.EC, "crt.example"));
        Files.createDirectories(certs().resolve("dir.pem"));
        TestCertificates.writeAtomically(certs().resolve(".hidden.pem"), TestCertificates.bundle(ca.issue(KeyType.EC, "hidden.example"), KeyForm.PKCS8));

        open(NO_TIMER);

        assertThat(store.certificateCount()).isEqualTo(1);
        assertThat(store.names()).containsExactly("example.com", "www.example.com");
        assertThat(logText()).doesNotContain("refused");
    }

    @Test
    void exactNamesBeatWildcardsWhichCoverOneLabelAndTheDefaultAnswersTheRest() throws Exception {
        Issued exact = ca.issue(KeyType.EC, "www.example.com");
        Issued wildcard = ca.issue(KeyType.EC, "*.example.com");
        Issued fallback = ca.issue(KeyType.EC, "fallback.test");
        write("exact.pem", exact);
        write("wildcard.pem", wildcard);
        write("__default__.pem", fallback);
        open(NO_TIMER);

        assertThat(presented("www.example.com", true)).isEqualTo(exact.leaf());
        assertThat(presented("api.example.com", true)).isEqualTo(wildcard.leaf());
        assertThat(presented("example.com")).isEqualTo(fallback.leaf());
        assertThat(presented("a.b.example.com")).isEqualTo(fallback.leaf());
        assertThat(presented("other.org")).isEqualTo(fallback.leaf());
        assertThat(presented(null)).isEqualTo(fallback.leaf());
        assertThat(store.names()).containsExactly("*.example.com", "www.example.com");
        assertThat(store.certificateCount()).isEqualTo(3);
    }

    @Test
    void hasCertificateForFollowsTheNamesAndTheDefault() throws Exception {
        write("exact.pem", ca.issue(KeyType.EC, "www.example.com"));
        write("wildcard.pem", ca.issue(KeyType.EC, "*.example.org"));
        open(NO_TIMER);

        assertThat(store.hasCertificateFor("www.example.com")).isTrue();
        assertThat(store.hasCertificateFor("a.example.org")).isTrue();
        assertThat(store.hasCertificateFor("example.org")).isFalse();
        assertThat(store.hasCertificateFor("a.b.example.org")).isFalse();
        assertThat(store.hasCertificateFor("example.com")).isFalse();
        assertThat(store.hasCertificateFor(null)).isFalse();
        assertThatThrownBy(() -> presented("example.com")).isInstanceOf(SSLHandshakeException.class);

        write("__default__.pem", ca.issue(KeyType.EC, "fallback.test"));
        store.rescan();

        assertThat(store.hasCertificateFor("example.com")).isTrue();
        assertThat(store.hasCertificateFor("a.b.example.org")).isTrue();
        assertThat(store.hasCertificateFor(null)).isTrue();
    }

    @Test
    void aNameClaimedTwiceGoesToTheFirstFileNameWithOneLogLine() throws Exception {
        Issued first = ca.issue(KeyType.EC, "www.example.com", "a-only.example.com");
        Issued second = ca.issue(KeyType.EC, "www.example.com", "b-only.example.com");
        write("b.pem", second);
        write("a.pem", first);
        open(NO_TIMER);
        store.rescan();

        assertThat(presented("www.example.com")).isEqualTo(first.leaf());
        assertThat(presented("b-only.example.com")).isEqualTo(second.leaf());
        assertThat(logLines("www.example.com ignored"))
                .containsExactly("httpd: certificate b.pem: name www.example.com ignored, a.pem has it");
    }

    @Test
    void theKeyManagerAnswersOnlyForTheKeyTypeOfTheChosenFile() throws Exception {
        Issued rsa = ca.issue(KeyType.RSA, "rsa.example");
        write("__default__.pem", rsa);
        open(NO_TIMER);
        X509ExtendedKeyManager keys = store.keyManager();

        assertThat(keys.chooseEngineServerAlias("EC", null, null)).isNull();
        assertThat(keys.chooseServerAlias("EC", null, null)).isNull();
        String alias = keys.chooseEngineServerAlias("RSA", null, null);
        assertThat(alias).startsWith("__default__.pem#");
        assertThat(keys.chooseServerAlias("RSA", null, null)).isEqualTo(alias);
        assertThat(keys.getCertificateChain(alias)).containsExactly(rsa.chain());
        assertThat(keys.getPrivateKey(alias)).isEqualTo(rsa.keys().getPrivate());
        assertThat(keys.getServerAliases("RSA", null)).containsExactly(alias);
        assertThat(keys.getServerAliases("EC", null)).isNull();
        assertThat(keys.getCertificateChain("other.pem#1")).isNull();
        assertThat(keys.getPrivateKey("other.pem#1")).isNull();
        assertThat(keys.chooseEngineClientAlias(new String[] {"RSA"}, null, null)).isNull();
        assertThat(keys.chooseClientAlias(new String[] {"RSA"}, null, null)).isNull();
        assertThat(keys.getClientAliases("RSA", null)).isNull();
        // JSSE asks for EC first, is told no, and goes on to an RSA signature scheme.
        assertThat(presented("rsa.example", true)).isEqualTo(rsa.leaf());
    }

    /** Kinds of bad bundle, each with the reason the store gives. */
    enum BadBundle {
        GARBLED_CERTIFICATE("unparseable PEM") {
            @Override
            String pem(Issued good, Issued other) {
                String certificate = TestCertificates.pem(good.leaf());
                String body = certificate.lines().skip(1).findFirst().orElseThrow();
                return "-----BEGIN CERTIFICATE-----\n" + body.substring(0, 40) + "\n-----END CERTIFICATE-----\n"
                        + TestCertificates.pem(good.keys().getPrivate(), KeyForm.PKCS8);
            }
        },
        GARBLED_KEY("unparseable PEM") {
            @Override
            String pem(Issued good, Issued other) {
                String key = TestCertificates.pem(good.keys().getPrivate(), KeyForm.TRADITIONAL);
                String firstLine = key.lines().skip(1).findFirst().orElseThrow();
                return TestCertificates.pem(good.leaf())
                        + "-----BEGIN EC PRIVATE KEY-----\n" + firstLine.substring(0, 20) + "\n-----END EC PRIVATE KEY-----\n";
            }
        },
        NO_CERTIFICATE("no certificate") {
            @Override
            String pem(Issued good, Issued other) {
                return TestCertificates.pem(good.keys().getPrivate(), KeyForm.PKCS8);
            }
        },
        NO_KEY("no private key") {
            @Override
            String pem(Issued good, Issued other) {
                return TestCertificates.pem(good.leaf()) + TestCertificates.pem(good.chain()[1]);
            }
        },
        TWO_KEYS("2 private keys") {
            @Override
            String pem(Issued good, Issued other) {
                return TestCertificates.bundle(good, KeyForm.PKCS8) + TestCertificates.pem(other.keys().getPrivate(), KeyForm.TRADITIONAL);
            }
        },
        KEY_OF_ANOTHER_CERTIFICATE("the private key does not match the leaf certificate's public key") {
            @Override
            String pem(Issued good, Issued other) {
                return TestCertificates.bundle(good.chain(), other.keys().getPrivate(), KeyForm.PKCS8);
            }
        },
        LEAF_NOT_FIRST("the private key belongs to certificate 2 of the chain, not the first") {
            @Override
            String pem(Issued good, Issued other) {
                return TestCertificates.pem(good.chain()[1]) + TestCertificates.pem(good.leaf())
                        + TestCertificates.pem(good.keys().getPrivate(), KeyForm.PKCS8);
            }
        },
        EXPIRED("the leaf certificate expired at") {
            @Override
            String pem(Issued good, Issued other) {
                Instant now = Instant.now();
                return TestCertificates.bundle(ca.issue(KeyType.EC, now.minus(Duration.ofDays(90)), now.minus(Duration.ofDays(1)),
                        "www.example.com"), KeyForm.PKCS8);
            }
        },
        NOT_YET_VALID("the leaf certificate is not valid before") {
            @Override
            String pem(Issued good, Issued other) {
                Instant now = Instant.now();
                return TestCertificates.bundle(ca.issue(KeyType.EC, now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(90)),
                        "www.example.com"), KeyForm.PKCS8);
            }
        },
        NO_DNS_NAME("the leaf certificate has no DNS name in its subjectAltName") {
            @Override
            String pem(Issued good, Issued other) {
                return TestCertificates.bundle(ca.issue(KeyType.EC), KeyForm.PKCS8);
            }
        },
        ENCRYPTED_KEY("the private key is encrypted") {
            @Override
            String pem(Issued good, Issued other) {
                return TestCertificates.pem(good.leaf()) + TestCertificates.encryptedPem(good.keys().getPrivate(), "secret".toCharArray());
            }
        },
        OVERSIZED("larger than 1048576 bytes") {
            @Override
            String pem(Issued good, Issued other) {
                return TestCertificates.bundle(good, KeyForm.PKCS8) + "#".repeat(CertificateStore.MAX_FILE_BYTES);
            }
        },
        UNEXPECTED_BLOCK("unexpected PEM block (PUBLIC KEY)") {
            @Override
            String pem(Issued good, Issued other) {
                return TestCertificates.bundle(good, KeyForm.PKCS8) + TestCertificates.pem(good.leaf().getPublicKey());
            }
        };

        final String reason;

        BadBundle(String reason) {
            this.reason = reason;
        }

        abstract String pem(Issued good, Issued other);
    }

    @ParameterizedTest
    @EnumSource(BadBundle.class)
    void aBadReplacementIsRefusedWithOneLineAndThePreviousVersionKeepsServing(BadBundle bad) throws Exception {
        Issued other = ca.issue(KeyType.EC, "other.example.com");
        write("site.pem", site);
        open(NO_TIMER);
        assertThat(presented("www.example.com")).isEqualTo(site.leaf());

        String pem = bad.pem(site, other);
        TestCertificates.writeAtomically(certs().resolve("site.pem"), pem);
        store.rescan();
        store.rescan();

        assertThat(logLines("refused")).singleElement().satisfies(line -> assertThat(line)
                .startsWith("httpd: certificate site.pem refused: " + bad.reason)
                .endsWith("; still serving the version loaded at " + now.get()));
        assertThat(presented("www.example.com")).isEqualTo(site.leaf());
        assertThat(store.hasCertificateFor("www.example.com")).isTrue();
        for (String line : pem.lines().filter(line -> !line.startsWith("-----") && !line.startsWith("#")).toList()) {
            assertThat(logText()).as("PEM material in the log").doesNotContain(line);
        }

        // A good version after the bad one is loaded.
        Issued fixed = ca.issue(KeyType.EC, "www.example.com");
        write("site.pem", fixed);
        store.rescan();
        assertThat(presented("www.example.com")).isEqualTo(fixed.leaf());
        assertThat(logLines("certificate site.pem replaced: names www.example.com, expires ")).hasSize(1);
    }

    @ParameterizedTest
    @EnumSource(BadBundle.class)
    void aBadFileAtStartIsRefusedAndNotServed(BadBundle bad) throws Exception {
        TestCertificates.writeAtomically(certs().resolve("site.pem"), bad.pem(site, ca.issue(KeyType.EC, "other.example.com")));

        open(NO_TIMER);
        store.rescan();

        assertThat(logLines("refused")).singleElement().satisfies(line -> assertThat(line)
                .startsWith("httpd: certificate site.pem refused: " + bad.reason).endsWith("; not serving it"));
        assertThat(store.certificateCount()).isZero();
        assertThat(store.hasCertificateFor("www.example.com")).isFalse();
    }

    @Test
    void aLeafNotYetValidIsLoadedOnceItBecomesValid() throws Exception {
        Instant start = Instant.now();
        Issued early = ca.issue(KeyType.EC, start.plus(Duration.ofHours(1)), start.plus(Duration.ofDays(90)), "www.example.com");
        write("site.pem", early);
        open(NO_TIMER);
        assertThat(store.hasCertificateFor("www.example.com")).isFalse();

        now.set(start.plus(Duration.ofHours(2)));
        store.rescan();

        assertThat(store.hasCertificateFor("www.example.com")).isTrue();
        assertThat(logLines("certificate site.pem loaded")).hasSize(1);
    }

    @Test
    void aFileRenamedIntoPlaceIsPickedUpAndAHandshakeThatChoseTheOldAliasStillGetsTheOldVersion() throws Exception {
        Issued first = ca.issue(KeyType.EC, "one.example");
        write("__default__.pem", first);
        open(NO_TIMER);
        X509ExtendedKeyManager keys = store.keyManager();
        String chosenBefore = keys.chooseEngineServerAlias("EC", null, null);

        Issued second = ca.issue(KeyType.EC, "two.example");
        write("__default__.pem", second);
        awaitTrue(Duration.ofSeconds(5), () -> !chosenBefore.equals(keys.chooseEngineServerAlias("EC", null, null)));

        String chosenAfter = keys.chooseEngineServerAlias("EC", null, null);
        assertThat(keys.getCertificateChain(chosenAfter)[0]).isEqualTo(second.leaf());
        assertThat(keys.getPrivateKey(chosenAfter)).isEqualTo(second.keys().getPrivate());
        assertThat(keys.getCertificateChain(chosenBefore)[0]).isEqualTo(first.leaf());
        assertThat(keys.getPrivateKey(chosenBefore)).isEqualTo(first.keys().getPrivate());
        assertThat(presented(null)).isEqualTo(second.leaf());
        assertThat(logLines("certificate __default__.pem replaced: names two.example, expires")).hasSize(1);

        now.set(now.get().plus(CertificateStore.RETIRED_RETENTION).plusSeconds(1));
        store.rescan();
        assertThat(keys.getCertificateChain(chosenBefore)).isNull();
        assertThat(keys.getPrivateKey(chosenBefore)).isNull();
        assertThat(keys.getCertificateChain(chosenAfter)[0]).isEqualTo(second.leaf());
    }

    @Test
    void theRescanTimerNoticesAChangeThatSendsNoDirectoryEvent() throws Exception {
        // A symlink into another directory: renaming a new target into place there changes nothing in certs/.
        Path elsewhere = Files.createDirectories(temp.resolve("elsewhere"));
        TestCertificates.writeBundle(elsewhere.resolve("real.pem"), site, KeyForm.PKCS8);
        Files.createSymbolicLink(certs().resolve("site.pem"), elsewhere.resolve("real.pem"));
        open(Duration.ofMillis(100));
        assertThat(presented("www.example.com")).isEqualTo(site.leaf());

        Issued renewed = ca.issue(KeyType.EC, "www.example.com", "new.example.com");
        TestCertificates.writeBundle(elsewhere.resolve("real.pem"), renewed, KeyForm.PKCS8);
        awaitTrue(Duration.ofSeconds(5), () -> store.hasCertificateFor("new.example.com"));

        assertThat(presented("www.example.com")).isEqualTo(renewed.leaf());
    }

    @Test
    void aRemovedFileStopsBeingOffered() throws Exception {
        write("site.pem", site);
        write("other.pem", ca.issue(KeyType.EC, "other.example"));
        open(NO_TIMER);
        assertThat(store.hasCertificateFor("www.example.com")).isTrue();
        String chosenBefore = Arrays.stream(store.keyManager().getServerAliases("EC", null))
                .filter(alias -> alias.startsWith("site.pem#")).findFirst().orElseThrow();

        Files.delete(certs().resolve("site.pem"));
        awaitTrue(Duration.ofSeconds(5), () -> !store.hasCertificateFor("www.example.com"));

        assertThat(store.certificateCount()).isEqualTo(1);
        assertThat(store.names()).containsExactly("other.example");
        assertThat(logLines("certificate site.pem removed")).hasSize(1);
        assertThat(store.keyManager().getCertificateChain(chosenBefore)[0]).as("a handshake that chose it before").isEqualTo(site.leaf());
        assertThat(store.keyManager().getServerAliases("EC", null)).doesNotContain(chosenBefore);
        assertThatThrownBy(() -> presented("www.example.com")).isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void aKeyReadableByOthersIsWarnedAboutOncePerVersion() throws Exception {
        Path file = certs().resolve("site.pem");
        TestCertificates.writeAtomically(file, TestCertificates.bundle(site, KeyForm.PKCS8), "rw-r--r--");
        open(NO_TIMER);
        store.rescan();

        assertThat(logLines("warning: the file holds a private key")).containsExactly(
                "httpd: certificate site.pem: warning: the file holds a private key and is readable by others (rw-r--r--);"
                        + " make it readable only by the server (chmod 600)");
        assertThat(store.hasCertificateFor("www.example.com")).isTrue();

        TestCertificates.writeAtomically(file, TestCertificates.bundle(ca.issue(KeyType.EC, "www.example.com"), KeyForm.PKCS8), "rw-r-----");
        store.rescan();
        assertThat(logLines("warning: the file holds a private key")).hasSize(2).last().asString()
                .contains("readable by its group (rw-r-----)");

        TestCertificates.writeAtomically(file, TestCertificates.bundle(site, KeyForm.PKCS8), "rw-------");
        store.rescan();
        assertThat(logLines("warning: the file holds a private key")).hasSize(2);
        assertThat(logLines("certificate site.pem replaced")).hasSize(2);
    }

    @Test
    void aLeafExpiringWithinTwoWeeksIsWarnedAboutWhenLoadedThenDaily() throws Exception {
        Instant start = now.get();
        write("soon.pem", ca.issue(KeyType.EC, start.minus(Duration.ofDays(80)), start.plus(Duration.ofDays(3)), "soon.example"));
        write("later.pem", ca.issue(KeyType.EC, start.minus(Duration.ofDays(1)), start.plus(Duration.ofDays(15)), "later.example"));
        open(NO_TIMER);
        store.rescan();
        assertThat(logLines("warning: the leaf certificate")).singleElement().asString()
                .startsWith("httpd: certificate soon.pem: warning: the leaf certificate expires at ").endsWith(", in 72 hours");

        now.set(start.plus(Duration.ofHours(23)));
        store.rescan();
        assertThat(logLines("warning: the leaf certificate")).hasSize(1);

        now.set(start.plus(Duration.ofHours(25)));
        store.rescan();
        assertThat(logLines("certificate soon.pem: warning: the leaf certificate expires at")).hasSize(2);
        assertThat(logLines("certificate later.pem: warning")).singleElement().asString().endsWith(", in 335 hours");

        now.set(start.plus(Duration.ofDays(4)));
        store.rescan();
        assertThat(logLines("certificate soon.pem: warning: the leaf certificate expired at"))
                .singleElement().asString().endsWith("; still offering it until the file is replaced");
        assertThat(store.hasCertificateFor("soon.example")).isTrue();
    }

    @Test
    void openFailsOnlyWhenTheDirectoryCannotBeListed() throws Exception {
        assertThatThrownBy(() -> CertificateStore.open(temp.resolve("missing"), log, NO_TIMER))
                .isInstanceOf(IOException.class).hasMessageContaining("does not exist");
        Path file = Files.writeString(temp.resolve("file"), "x");
        assertThatThrownBy(() -> CertificateStore.open(file, log, NO_TIMER))
                .isInstanceOf(IOException.class).hasMessageContaining("is not a directory");

        open(NO_TIMER);
        assertThat(store.certificateCount()).isZero();
        assertThat(store.hasCertificateFor(null)).isFalse();
        assertThat(store.keyManager().chooseEngineServerAlias("EC", null, null)).isNull();
    }

    @Test
    void theSocketPathChoosesBySniToo() throws Exception {
        Issued exact = ca.issue(KeyType.EC, "www.example.com");
        Issued fallback = ca.issue(KeyType.EC, "fallback.test");
        write("exact.pem", exact);
        write("__default__.pem", fallback);
        open(NO_TIMER);
        SSLContext serverContext = SSLContext.getInstance("TLS");
        serverContext.init(new KeyManager[] {store.keyManager()}, null, null);

        try (SSLServerSocket listener = (SSLServerSocket) serverContext.getServerSocketFactory()
                .createServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            Thread acceptor = Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 2; i++) {
                    try (SSLSocket accepted = (SSLSocket) listener.accept()) {
                        accepted.startHandshake();
                        accepted.getOutputStream().write(1);
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            for (String name : new String[] {"www.example.com", "unknown.example.com"}) {
                try (SSLSocket client = (SSLSocket) ca.clientContext().getSocketFactory()
                        .createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
                    SSLParameters parameters = client.getSSLParameters();
                    parameters.setServerNames(List.of(new SNIHostName(name)));
                    client.setSSLParameters(parameters);
                    client.startHandshake();
                    assertThat(client.getInputStream().read()).isEqualTo(1);
                    assertThat(client.getSession().getPeerCertificates()[0])
                            .isEqualTo(name.startsWith("www") ? exact.leaf() : fallback.leaf());
                }
            }
            acceptor.join(Duration.ofSeconds(10));
        }
    }

    @Test
    void theSameKeyManagerServesAcrossReloads() throws Exception {
        open(NO_TIMER);
        X509ExtendedKeyManager keys = store.keyManager();
        write("site.pem", site);
        store.rescan();
        assertThat(store.keyManager()).isSameAs(keys);
        assertThat(presented("www.example.com", true)).isEqualTo(site.leaf());
        assertThat(Arrays.asList(keys.getServerAliases("EC", null))).singleElement().asString().startsWith("site.pem#");
    }
}
