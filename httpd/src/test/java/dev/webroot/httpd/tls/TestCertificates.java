package dev.webroot.httpd.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * Test certificates made on the spot with BouncyCastle: a CA, leaves for given DNS names (EC P-256
 * or RSA 2048, any validity), PEM bundles (chain and key, the key in any of the three forms the
 * store reads) and the CA's PEM for {@code curl --cacert}. For the store's tests, the TLS layer's
 * and the end-to-end tests.
 */
public final class TestCertificates {
    private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());

    private TestCertificates() {
    }

    /** EC P-256, RSA 2048 or Ed25519 keys. */
    public enum KeyType {
        EC, RSA, ED25519;

        KeyPair generate() {
            try {
                return switch (this) {
                    case EC -> {
                        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
                        generator.initialize(new ECGenParameterSpec("secp256r1"));
                        yield generator.generateKeyPair();
                    }
                    case RSA -> {
                        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
                        generator.initialize(2048);
                        yield generator.generateKeyPair();
                    }
                    case ED25519 -> KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
                };
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        String signatureAlgorithm() {
            return switch (this) {
                case EC -> "SHA256withECDSA";
                case RSA -> "SHA256withRSA";
                case ED25519 -> "Ed25519";
            };
        }
    }

    /** How the private key is written: PKCS#8 ({@code PRIVATE KEY}) or the traditional form of its type. */
    public enum KeyForm {
        /** {@code BEGIN PRIVATE KEY}, any key type. */
        PKCS8,
        /** {@code BEGIN EC PRIVATE KEY} (SEC1) for EC keys, {@code BEGIN RSA PRIVATE KEY} (PKCS#1) for RSA keys (Ed25519 has none). */
        TRADITIONAL
    }

    /** A leaf's chain (leaf first, then the issuing CA) and its key pair. */
    public record Issued(X509Certificate[] chain, KeyPair keys) {
        public X509Certificate leaf() {
            return chain[0];
        }
    }

    /** A certificate authority that issues leaves, and that clients can be told to trust. */
    public record Authority(X509Certificate certificate, KeyPair keys, KeyType keyType) {
        /** A leaf valid from a day ago for 90 days. */
        public Issued issue(KeyType type, String... dnsNames) {
            Instant now = Instant.now();
            return issue(type, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(90)), dnsNames);
        }

        /** A leaf for these subjectAltName DNS names (none at all when empty). */
        public Issued issue(KeyType type, Instant notBefore, Instant notAfter, String... dnsNames) {
            KeyPair leafKeys = type.generate();
            X500Name subject = new X500Name("CN=" + (dnsNames.length > 0 ? dnsNames[0] : "no-name"));
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, serial(),
                    Date.from(notBefore), Date.from(notAfter), subject, leafKeys.getPublic());
            try {
                builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(type == KeyType.RSA
                        ? KeyUsage.digitalSignature | KeyUsage.keyEncipherment : KeyUsage.digitalSignature));
                builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
                if (dnsNames.length > 0) {
                    GeneralName[] names = new GeneralName[dnsNames.length];
                    for (int i = 0; i < dnsNames.length; i++) {
                        names[i] = new GeneralName(GeneralName.dNSName, dnsNames[i]);
                    }
                    builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new Issued(new X509Certificate[] {sign(builder, keys.getPrivate(), keyType), certificate}, leafKeys);
        }

        /** Trust managers that trust this CA only. */
        public TrustManager[] trustManagers() {
            try {
                KeyStore trusted = KeyStore.getInstance("PKCS12");
                trusted.load(null, null);
                trusted.setCertificateEntry("test-ca", certificate);
                TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                factory.init(trusted);
                return factory.getTrustManagers();
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalStateException(e);
            }
        }

        /** A client SSLContext that trusts this CA only. */
        public SSLContext clientContext() {
            try {
                SSLContext context = SSLContext.getInstance("TLS");
                context.init(null, trustManagers(), null);
                return context;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Writes the CA certificate as PEM ({@code curl --cacert FILE}). */
        public void writeCertificate(Path file) throws IOException {
            writeAtomically(file, pem(certificate));
        }
    }

    /** A self-signed EC P-256 CA valid from a day ago for ten years. */
    public static Authority createAuthority(String commonName) {
        return createAuthority(commonName, KeyType.EC);
    }

    public static Authority createAuthority(String commonName, KeyType type) {
        KeyPair keys = type.generate();
        X500Name name = new X500Name("CN=" + commonName);
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(3650))), name, keys.getPublic());
        try {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Authority(sign(builder, keys.getPrivate(), type), keys, type);
    }

    /** The PEM of the chain (leaf first) followed by the key in the chosen form. */
    public static String bundle(Issued issued, KeyForm form) {
        return bundle(issued.chain(), issued.keys().getPrivate(), form);
    }

    public static String bundle(X509Certificate[] chain, PrivateKey key, KeyForm form) {
        StringBuilder pem = new StringBuilder();
        for (X509Certificate certificate : chain) {
            pem.append(pem(certificate));
        }
        return pem.append(pem(key, form)).toString();
    }

    /** Writes {@link #bundle(Issued, KeyForm)} to {@code file} through a temporary file renamed into place. */
    public static void writeBundle(Path file, Issued issued, KeyForm form) throws IOException {
        writeAtomically(file, bundle(issued, form));
    }

    /**
     * Writes text to a dot-named temporary file beside {@code file}, readable only by its owner, and
     * renames it over {@code file}, the way a deploy should.
     */
    public static void writeAtomically(Path file, String text) throws IOException {
        writeAtomically(file, text, "rw-------");
    }

    /** {@link #writeAtomically(Path, String)} with other POSIX permissions ({@code rw-r--r--}). */
    public static void writeAtomically(Path file, String text, String permissions) throws IOException {
        Path temporary = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.deleteIfExists(temporary);
        Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions)));
        Files.writeString(temporary, text, StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString(permissions));
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    public static String pem(X509Certificate certificate) {
        return write(certificate);
    }

    /** {@code BEGIN PUBLIC KEY}, for bundles with a block that does not belong. */
    public static String pem(PublicKey key) {
        return write(key);
    }

    public static String pem(PrivateKey key, KeyForm form) {
        if (form == KeyForm.TRADITIONAL && key instanceof ECPrivateKey ec) {
            // As openssl writes it: with the curve in the SEC1 structure, which JcaPEMWriter leaves out.
            ASN1Encodable curve = PrivateKeyInfo.getInstance(key.getEncoded()).getPrivateKeyAlgorithm().getParameters();
            org.bouncycastle.asn1.sec.ECPrivateKey sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(
                    ec.getParams().getOrder().bitLength(), ec.getS(), curve);
            try {
                return write(new PemObject("EC PRIVATE KEY", sec1.getEncoded()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (form == KeyForm.TRADITIONAL) {
            // JcaPEMWriter writes an RSA key in its traditional form (PKCS#1).
            return write(key);
        }
        try {
            return write(new JcaPKCS8Generator(key, null).generate());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code BEGIN ENCRYPTED PRIVATE KEY} (PKCS#8, AES-256-CBC), which the store refuses. */
    public static String encryptedPem(PrivateKey key, char[] password) {
        try {
            // The JDK has no AES/CBC/PKCS7Padding; a provider instance, never registered, so the store still uses the JDK's.
            OutputEncryptor encryptor = new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
                    .setProvider(new BouncyCastleProvider()).setPassword(password).build();
            return write(new JcaPKCS8Generator(key, encryptor).generate());
        } catch (OperatorCreationException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String write(Object object) {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(object);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey issuerKey, KeyType issuerType) {
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder(issuerType.signatureAlgorithm()).build(issuerKey)));
        } catch (OperatorCreationException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static BigInteger serial() {
        return BigInteger.valueOf(SERIALS.incrementAndGet());
    }
}
