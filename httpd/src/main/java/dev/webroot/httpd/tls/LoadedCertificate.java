package dev.webroot.httpd.tls;

import dev.webroot.httpd.registry.Identity;
import java.time.Instant;

/**
 * One loaded version of a certificate file. Its alias ({@code example.pem#3}) is unique to this
 * version, so a handshake that chose it resolves this chain and this key even if the file is
 * replaced before it asks for them.
 */
record LoadedCertificate(String fileName, String alias, Identity identity, PemBundle bundle, Instant loadedAt) {
}
