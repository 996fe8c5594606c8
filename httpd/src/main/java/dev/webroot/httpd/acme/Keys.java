package dev.webroot.httpd.acme;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Key pairs from the JDK's own providers, and the account key's PEM form (PKCS#8, then the public key). */
final class Keys {
    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    private Keys() {}

    static KeyPair ec(String curve) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec(curve));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot make " + curve + " keys: " + e.getMessage(), e);
        }
    }

    /** An RSA key: acme4j signs TLS-ALPN-01 challenge certificates with SHA256withRSA. */
    static KeyPair rsa() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot make RSA keys: " + e.getMessage(), e);
        }
    }

    static String pem(KeyPair key) {
        return block("PRIVATE KEY", key.getPrivate().getEncoded()) + block("PUBLIC KEY", key.getPublic().getEncoded());
    }

    static String block(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /** Reads what {@link #pem(KeyPair)} wrote. */
    static KeyPair readPair(String pem) throws GeneralSecurityException {
        byte[] privateKey = null;
        byte[] publicKey = null;
        Matcher block = BLOCK.matcher(pem);
        while (block.find()) {
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(block.group(2).strip());
            } catch (IllegalArgumentException e) {
                throw new GeneralSecurityException("the " + block.group(1) + " block is not base64: " + e.getMessage(), e);
            }
            switch (block.group(1)) {
                case "PRIVATE KEY" -> privateKey = der;
                case "PUBLIC KEY" -> publicKey = der;
                default -> throw new GeneralSecurityException("unexpected PEM block " + block.group(1));
            }
        }
        if (privateKey == null || publicKey == null) {
            throw new GeneralSecurityException("not a PRIVATE KEY and PUBLIC KEY pair");
        }
        KeyFactory factory = KeyFactory.getInstance("EC");
        return new KeyPair(factory.generatePublic(new X509EncodedKeySpec(publicKey)),
                factory.generatePrivate(new PKCS8EncodedKeySpec(privateKey)));
    }
}
