/**
 * Automatic certificates by ACME (RFC 8555, through acme4j):
 * {@link dev.webroot.httpd.acme.CertificateManager} keeps a {@code NAME.pem} in the certificate
 * directory for every managed vhost name, answering challenges on this server's own listeners
 * (HTTP-01 through the core's {@link dev.webroot.httpd.core.ChallengeResponder}, TLS-ALPN-01 through
 * {@link dev.webroot.httpd.tls.AlpnChallenges}); the certificate store's reload then serves it.
 *
 * <p>Where the request leaves a choice, this package decides:
 * <ul>
 *   <li>Managed names: the registry's names that are lowercase DNS names of at least two labels whose
 *       last label is not a number, matching the allow-list if one is given.</li>
 *   <li>A name whose certificate comes from another file than {@code NAME.pem} (a wildcard of the
 *       user's, say) is left alone while that certificate is valid.</li>
 *   <li>HTTP-01 is preferred when there is a cleartext listener; TLS-ALPN-01 otherwise.</li>
 *   <li>Keys: the account's is EC P-384, each certificate's EC P-256 (a fresh one per order); the
 *       TLS-ALPN-01 challenge certificate's is RSA 2048, since acme4j signs it with SHA256withRSA.</li>
 *   <li>After an issuance the name is not looked at until the store serves the new file (at most 30
 *       seconds).</li>
 *   <li>Renewal information (RFC 9773) is asked for only when the CA's directory offers it: the
 *       renewal time is a uniformly random point of the suggested window, kept across rechecks while it
 *       stays inside the window; rechecks follow the CA's Retry-After, held within a minute and a day,
 *       six hours without one. When asking fails, an earlier answer for the same certificate stands,
 *       else two thirds of the lifetime, and the next ask waits out the same back-off as an order. A
 *       renewal order then names the certificate it replaces.</li>
 *   <li>A failure to read the CA's directory while asking is not logged: an order due at the time
 *       logs it.</li>
 * </ul>
 */
package dev.webroot.httpd.acme;
