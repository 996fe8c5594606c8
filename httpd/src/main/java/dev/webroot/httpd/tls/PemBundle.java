package dev.webroot.httpd.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * One certificate file's contents, checked: a chain (leaf first) and the leaf's private key, as JDK
 * objects, so handshakes use only the JDK's providers. BouncyCastle only parses the PEM, which may
 * hold the key as PKCS#8 ({@code BEGIN PRIVATE KEY}) or in the traditional forms certbot and lego
 * write ({@code BEGIN EC PRIVATE KEY}, SEC1; {@code BEGIN RSA PRIVATE KEY}, PKCS#1).
 */
final class PemBundle {
    private static final byte[] PROBE = "certificate store key check".getBytes(StandardCharsets.US_ASCII);
    private static final int SAN_DNS_NAME = 2;

    private final X509Certificate[] chain;
    private final PrivateKey key;
    private final List<String> dnsNames;

    private PemBundle(X509Certificate[] chain, PrivateKey key, List<String> dnsNames) {
        this.chain = chain;
        this.key = key;
        this.dnsNames = dnsNames;
    }

    /**
     * Parses and checks a bundle: exactly one unencrypted private key, at least one certificate, the
     * key matching the first certificate, and that certificate valid at {@code now}.
     */
    static PemBundle parse(byte[] pem, Instant now) throws InvalidBundleException {
        List<X509Certificate> certificates = new ArrayList<>();
        List<PrivateKey> keys = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new InputStreamReader(new ByteArrayInputStream(pem), StandardCharsets.US_ASCII))) {
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (Object block = parser.readObject(); block != null; block = parser.readObject()) {
                switch (block) {
                    case X509CertificateHolder holder -> certificates.add(
                            (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(holder.getEncoded())));
                    case PrivateKeyInfo info -> keys.add(converter.getPrivateKey(info));
                    case PEMKeyPair pair -> keys.add(converter.getPrivateKey(pair.getPrivateKeyInfo()));
                    case PEMEncryptedKeyPair _, PKCS8EncryptedPrivateKeyInfo _ -> throw new InvalidBundleException(
                            "the private key is encrypted (store it unencrypted, readable only by the server)");
                    // openssl ecparam -genkey writes the curve's name in an EC PARAMETERS block before the key.
                    case ASN1ObjectIdentifier _ -> { }
                    default -> throw new InvalidBundleException("unexpected PEM block (" + describe(block)
                            + "): a bundle holds certificates and one private key");
                }
            }
        } catch (IOException | CertificateException | RuntimeException e) {
            throw new InvalidBundleException("unparseable PEM (" + e.getMessage() + ")");
        }
        if (certificates.isEmpty()) {
            throw new InvalidBundleException("no certificate");
        }
        if (keys.isEmpty()) {
            throw new InvalidBundleException("no private key");
        }
        if (keys.size() > 1) {
            throw new InvalidBundleException(keys.size() + " private keys (a bundle holds exactly one)");
        }
        X509Certificate leaf = certificates.getFirst();
        PrivateKey key = keys.getFirst();
        if (!matches(key, leaf.getPublicKey())) {
            for (int i = 1; i < certificates.size(); i++) {
                if (matches(key, certificates.get(i).getPublicKey())) {
                    throw new InvalidBundleException("the private key belongs to certificate " + (i + 1)
                            + " of the chain, not the first (the leaf must come first)");
                }
            }
            throw new InvalidBundleException("the private key does not match the leaf certificate's public key");
        }
        Instant notBefore = leaf.getNotBefore().toInstant();
        Instant notAfter = leaf.getNotAfter().toInstant();
        if (now.isBefore(notBefore)) {
            throw new InvalidBundleException("the leaf certificate is not valid before " + notBefore, notBefore);
        }
        if (now.isAfter(notAfter)) {
            throw new InvalidBundleException("the leaf certificate expired at " + notAfter);
        }
        return new PemBundle(certificates.toArray(X509Certificate[]::new), key, dnsNames(leaf));
    }

    /** Signs a probe with the private key and verifies it with the public key. */
    private static boolean matches(PrivateKey key, PublicKey publicKey) throws InvalidBundleException {
        if (!key.getAlgorithm().equals(publicKey.getAlgorithm())) {
            return false;
        }
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519", "Ed448" -> key.getAlgorithm();
            default -> throw new InvalidBundleException("unsupported key algorithm " + key.getAlgorithm()
                    + " (use an RSA, EC or EdDSA key)");
        };
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(PROBE);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(PROBE);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static List<String> dnsNames(X509Certificate leaf) throws InvalidBundleException {
        Collection<List<?>> alternatives;
        try {
            alternatives = leaf.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            throw new InvalidBundleException("unreadable subjectAltName of the leaf certificate (" + e.getMessage() + ")");
        }
        Set<String> names = new LinkedHashSet<>();
        if (alternatives != null) {
            for (List<?> alternative : alternatives) {
                if (alternative.get(0) instanceof Integer type && type == SAN_DNS_NAME
                        && alternative.get(1) instanceof String name) {
                    names.add(name.toLowerCase(Locale.ROOT));
                }
            }
        }
        return List.copyOf(names);
    }

    private static String describe(Object block) {
        return switch (block) {
            case SubjectPublicKeyInfo _ -> "PUBLIC KEY";
            case PKCS10CertificationRequest _ -> "CERTIFICATE REQUEST";
            case X509CRLHolder _ -> "X509 CRL";
            default -> block.getClass().getSimpleName();
        };
    }

    /** The chain as read, leaf first (callers get a copy). */
    X509Certificate[] chain() {
        return chain.clone();
    }

    X509Certificate leaf() {
        return chain[0];
    }

    PrivateKey key() {
        return key;
    }

    /** The leaf's subjectAltName DNS names, lowercased, in certificate order, wildcards included. */
    List<String> dnsNames() {
        return dnsNames;
    }

    Instant notAfter() {
        return chain[0].getNotAfter().toInstant();
    }

    /**
     * Whether the key suits the key type JSSE asks for: the key's algorithm ({@code RSA}, {@code EC},
     * {@code EdDSA}), or a legacy {@code EC_EC}/{@code EC_RSA} form whose first part is it.
     */
    boolean hasKeyType(String keyType) {
        String algorithm = key.getAlgorithm();
        return keyType.equals(algorithm)
                || keyType.length() > algorithm.length() && keyType.startsWith(algorithm) && keyType.charAt(algorithm.length()) == '_';
    }
}
