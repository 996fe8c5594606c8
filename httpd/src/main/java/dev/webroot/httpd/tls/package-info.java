/**
 * The TLS layer of a connection and its certificates.
 *
 * <p>{@link dev.webroot.httpd.tls.TlsConnectionFactory} opens, for each connection of a TLS
 * listener, a {@code TlsConnection}: a {@link dev.webroot.io.Connection} to the transport that runs a
 * TLS engine and, once the handshake is done, drives the protocol ALPN chose (a plaintext
 * {@code Connection}: HTTP/1.1 or HTTP/2) exactly as a transport would. It does no I/O and reads no
 * clock, so it works over every I/O model. The first record is inspected before the engine sees
 * it: cleartext HTTP gets a plain 400, a hello naming no certificate (and no default) gets
 * {@code unrecognized_name}; the server name it read is also what the key manager chooses by when
 * JSSE restores a session from a ticket (that happens before JSSE reads the hello's server_name).
 * Record buffers are pooled and held only while bytes are in flight.
 *
 * <p>The engine is JSSE's {@code SSLEngine} ({@code JsseEngine}, {@code JsseConnection}) or
 * OpenSSL 3's libssl called through the foreign-function API ({@code LibSsl}, the bindings;
 * {@code OpenSslContexts}, the shared {@code SSL_CTX} objects and the SNI and ALPN callbacks;
 * {@code OpenSslConnection}, an {@code SSL} object between two memory BIOs).
 *
 * <p>{@link dev.webroot.httpd.tls.CertificateStore} loads a directory
 * of PEM bundles (chain and key per file, HAProxy-style), indexes them by subjectAltName DNS names,
 * chooses one per handshake by SNI through its key manager, and reloads files as they change.
 *
 * <p>Where the request leaves a choice, this package decides:
 * <ul>
 *   <li>Only names ending in {@code .pem} are read, dot-names (temporary files) and directories
 *       ignored; symlinks are followed. A file larger than 1 MiB is refused (reading stops there).</li>
 *   <li>A file must hold exactly one unencrypted private key (PKCS#8, SEC1 or PKCS#1) and at least
 *       one certificate; the first certificate is the leaf and must match the key (a probe signed with
 *       the key must verify with the leaf's public key) and be valid now. Other PEM blocks are refused,
 *       except {@code EC PARAMETERS}, which {@code openssl ecparam -genkey} writes before the key.
 *       Supported keys: RSA, EC, EdDSA. The rest of the chain is sent as it is, unchecked.</li>
 *   <li>A leaf without any subjectAltName DNS name is refused, except in {@code __default__.pem}.
 *       The default file's own names are not indexed: it answers only what no other file claims.</li>
 *   <li>A name claimed by two files goes to the first file name in {@link java.lang.String} order; an
 *       exact name always beats a wildcard; a wildcard covers exactly one label.</li>
 *   <li>A refused file keeps its previous version serving and is read again once its identity (file
 *       key, size, modification time) changes; a leaf that is not yet valid is retried when it becomes
 *       valid. A leaf that expires while loaded stays offered (a warning a day says so).</li>
 *   <li>A key file readable by group or others is served with one warning per file version.</li>
 *   <li>ACME TLS-ALPN-01 ({@link dev.webroot.httpd.tls.AlpnChallenges}): a hello whose ALPN list
 *       offers {@code acme-tls/1} for a name with a pending challenge is answered, in a context of
 *       its own, with the challenge certificate only, agrees on {@code acme-tls/1} and is closed after
 *       the handshake; for any other name it is handled like every hello (no certificate:
 *       {@code unrecognized_name}; {@code acme-tls/1} alone: {@code no_application_protocol}).</li>
 * </ul>
 */
package dev.webroot.httpd.tls;
