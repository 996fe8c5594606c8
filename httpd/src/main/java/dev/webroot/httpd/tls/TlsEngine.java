package dev.webroot.httpd.tls;

/** The TLS implementation behind a {@link TlsConnectionFactory}: JSSE, or OpenSSL's libssl. */
sealed interface TlsEngine permits JsseEngine, OpenSslContexts {
    /** The layer for one accepted connection. */
    TlsConnection open(TlsConnectionFactory factory, String remoteAddress);

    /** What the start-up log names: the implementation and the protocol versions. */
    String describe();

    /** The room a whole record needs in the ciphertext buffers. */
    int packetBytes();

    /** The most plaintext one record decrypts to. */
    int applicationBytes();

    /** Whether the record buffers are native memory (which libssl reads and writes in place). */
    boolean nativeBuffers();
}
