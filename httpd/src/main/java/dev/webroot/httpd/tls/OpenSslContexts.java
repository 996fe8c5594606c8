package dev.webroot.httpd.tls;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * OpenSSL's side of the TLS listeners: the {@code SSL_CTX} objects handshakes run in, shared by
 * every thread (each {@code SSL} object is used by its connection's thread only).
 *
 * <p>A handshake starts in the <em>session context</em>, which holds the profile (TLS 1.3 and 1.2,
 * ECDHE with AEAD suites in the JDK engine's order, server preference, no renegotiation, no
 * compression, no early data, {@code SSL_MODE_RELEASE_BUFFERS}) and the session ticket keys, but no
 * certificate. Its servername callback then moves the handshake to the context of the certificate
 * that the store's index picks for the SNI name (exact names, then wildcards, then
 * {@code __default__.pem}), and refuses a name without one with {@code unrecognized_name}. Those
 * per-certificate contexts are built from the store's parsed chain and key (DER, so OpenSSL sees
 * exactly what the store checked) on first use of each loaded version; a version the store no
 * longer resolves is dropped, and freed a minute later (SSL objects that use it hold their own
 * reference). The ALPN callback picks as the JDK engine does. A hello offering {@code acme-tls/1}
 * for a name with a pending TLS-ALPN-01 challenge starts instead in a context made for that
 * handshake from the challenge certificate, whose callbacks (told apart by their argument) keep it
 * and agree on {@code acme-tls/1} only.
 *
 * <p>Resumption is by stateless tickets only (no server-side session cache). OpenSSL makes the
 * ticket keys at random when a context is created and keeps them in memory; the session context is
 * replaced every {@link #TICKET_KEY_LIFETIME}, so tickets older than that get a full handshake.
 */
final class OpenSslContexts implements TlsEngine {
    static final long TICKET_KEY_LIFETIME = TimeUnit.HOURS.toNanos(1);
    /** A retired context is freed this long after it left use: long enough for any handshake that had just looked it up. */
    private static final long RETIRED_RETENTION = CertificateStore.RETIRED_RETENTION.toNanos();
    /** Mozilla's intermediate TLS 1.2 suites without DHE, in the JDK engine's order. */
    private static final String TLS12_CIPHERS = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
            + "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
            + "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
    private static final String TLS13_SUITES = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
    private static final String GROUPS = "X25519:P-256:P-384";
    /** The largest TLS record: header, 2^14 bytes of plaintext and 256 of expansion. */
    static final int PACKET_BYTES = 5 + 16384 + 256;
    static final int APPLICATION_BYTES = 16384;

    /** Callbacks find their contexts by the id passed as their argument. */
    private static final Map<Long, OpenSslContexts> BY_ID = new ConcurrentHashMap<>();
    /** The ids the contexts of TLS-ALPN-01 handshakes pass instead (one per engine). */
    private static final Set<Long> CHALLENGE_IDS = ConcurrentHashMap.newKeySet();
    private static final AtomicLong IDS = new AtomicLong();

    private record Retired(MemorySegment ctx, long at) {}

    private record SessionContext(MemorySegment ctx, long createdAt) {}

    private final long id;
    private final MemorySegment callbackArgument;
    private final MemorySegment challengeArgument;
    private final AlpnChallenges challenges;
    private final Supplier<CertificateIndex> index;
    private final List<String> protocols;
    private final String version;
    private final Map<String, MemorySegment> byAlias = new ConcurrentHashMap<>();
    private final List<Retired> retired = new ArrayList<>();
    private final AtomicLong liveConnections = new AtomicLong();
    private volatile SessionContext session;
    private volatile CertificateIndex prunedFor;
    /** Nanoseconds, as {@link System#nanoTime}: when ticket keys and retired contexts are due. */
    private final LongSupplier clock;

    /**
     * @param index     the certificates to serve, read at each handshake
     * @param protocols the ALPN protocols on offer, in order of preference
     * @param clock     nanoseconds, as {@link System#nanoTime}
     * @param challenges the TLS-ALPN-01 certificates to present to hellos offering {@code acme-tls/1},
     *     or null
     * @throws IllegalStateException when libssl.so.3 cannot be loaded or refuses the profile
     */
    OpenSslContexts(Supplier<CertificateIndex> index, List<String> protocols, LongSupplier clock,
            AlpnChallenges challenges) {
        try {
            LibSsl.load();
        } catch (ExceptionInInitializerError e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (NoClassDefFoundError e) {
            throw new IllegalStateException("cannot load " + LibSsl.LIBSSL + " (OpenSSL 3)", e);
        }
        this.id = IDS.incrementAndGet();
        this.callbackArgument = MemorySegment.ofAddress(id);
        long challengeId = IDS.incrementAndGet();
        this.challengeArgument = MemorySegment.ofAddress(challengeId);
        this.challenges = challenges;
        this.index = index;
        this.protocols = List.copyOf(protocols);
        this.clock = clock;
        String full = LibSsl.OpenSSL_version();
        String[] words = full.split(" ");
        this.version = words.length >= 2 ? words[0] + " " + words[1] : full;
        BY_ID.put(id, this);
        CHALLENGE_IDS.add(challengeId);
        MemorySegment ctx = newContext(callbackArgument);
        if (ctx == null) {
            BY_ID.remove(id);
            CHALLENGE_IDS.remove(challengeId);
            throw new IllegalStateException(LibSsl.LIBSSL + " (" + full + ") refused the TLS profile: " + drainErrors());
        }
        session = new SessionContext(ctx, clock.getAsLong());
    }

    @Override
    public TlsConnection open(TlsConnectionFactory factory, String remoteAddress) {
        return new OpenSslConnection(factory, this, remoteAddress);
    }

    /**
     * A new server-side SSL object, or NULL when OpenSSL has no memory for one (or refuses a
     * challenge certificate). It starts in the current session context; a hello offering
     * {@code acme-tls/1} for a name with a pending TLS-ALPN-01 challenge gets a context of its own
     * that presents the challenge certificate and agrees on that protocol only.
     */
    MemorySegment newSsl(String serverName, boolean offersAcmeTls) {
        AlpnChallenges.Pending challenge = offersAcmeTls && challenges != null ? challenges.pending(serverName) : null;
        MemorySegment ssl;
        if (challenge != null) {
            MemorySegment ctx = build(new X509Certificate[] {challenge.certificate()}, challenge.key(), challengeArgument);
            if (ctx == null) {
                return MemorySegment.NULL;
            }
            ssl = LibSsl.SSL_new(ctx);
            LibSsl.SSL_CTX_free(ctx); // the SSL object holds its own reference
        } else {
            ssl = LibSsl.SSL_new(sessionContext().ctx());
        }
        if (!MemorySegment.NULL.equals(ssl)) {
            liveConnections.incrementAndGet();
        }
        return ssl;
    }

    /** Frees an SSL object from {@link #newSsl} (and the BIOs it owns). */
    void free(MemorySegment ssl) {
        LibSsl.SSL_free(ssl);
        liveConnections.decrementAndGet();
    }

    /** SSL objects not yet freed. */
    long liveConnections() {
        return liveConnections.get();
    }

    private SessionContext sessionContext() {
        SessionContext current = session;
        long now = clock.getAsLong();
        if (now - current.createdAt() < TICKET_KEY_LIFETIME) {
            return current;
        }
        synchronized (this) {
            current = session;
            if (now - current.createdAt() >= TICKET_KEY_LIFETIME) {
                MemorySegment ctx = newContext(callbackArgument);
                if (ctx == null) {
                    // Keep the old keys rather than fail handshakes; the next handshake tries again.
                    LibSsl.ERR_clear_error();
                    return current;
                }
                retire(current.ctx(), now);
                current = new SessionContext(ctx, now);
                session = current;
            }
            return current;
        }
    }

    /**
     * A context with the profile and the callbacks, without a certificate; null if OpenSSL refuses.
     * The callbacks get {@code argument}: the engine's id, or its id for challenge handshakes.
     */
    private MemorySegment newContext(MemorySegment argument) {
        LibSsl.ERR_clear_error();
        MemorySegment ctx = LibSsl.SSL_CTX_new_server();
        if (MemorySegment.NULL.equals(ctx)) {
            return null;
        }
        try (Arena arena = Arena.ofConfined()) {
            boolean ok = LibSsl.SSL_CTX_ctrl(ctx, LibSsl.SSL_CTRL_SET_MIN_PROTO_VERSION, LibSsl.TLS1_2_VERSION,
                    MemorySegment.NULL) == 1;
            LibSsl.SSL_CTX_set_options(ctx, LibSsl.SSL_OP_NO_COMPRESSION | LibSsl.SSL_OP_CIPHER_SERVER_PREFERENCE
                    | LibSsl.SSL_OP_NO_RENEGOTIATION);
            LibSsl.SSL_CTX_ctrl(ctx, LibSsl.SSL_CTRL_MODE, LibSsl.SSL_MODE_RELEASE_BUFFERS, MemorySegment.NULL);
            LibSsl.SSL_CTX_ctrl(ctx, LibSsl.SSL_CTRL_SET_SESS_CACHE_MODE, LibSsl.SSL_SESS_CACHE_OFF, MemorySegment.NULL);
            ok &= LibSsl.SSL_CTX_set_cipher_list(ctx, arena.allocateFrom(TLS12_CIPHERS)) == 1;
            ok &= LibSsl.SSL_CTX_set_ciphersuites(ctx, arena.allocateFrom(TLS13_SUITES)) == 1;
            ok &= LibSsl.SSL_CTX_ctrl(ctx, LibSsl.SSL_CTRL_SET_GROUPS_LIST, 0, arena.allocateFrom(GROUPS)) == 1;
            ok &= LibSsl.SSL_CTX_callback_ctrl(ctx, LibSsl.SSL_CTRL_SET_TLSEXT_SERVERNAME_CB, Callbacks.SERVER_NAME) == 1;
            LibSsl.SSL_CTX_ctrl(ctx, LibSsl.SSL_CTRL_SET_TLSEXT_SERVERNAME_ARG, 0, argument);
            LibSsl.SSL_CTX_set_alpn_select_cb(ctx, Callbacks.ALPN, argument);
            if (!ok) {
                LibSsl.SSL_CTX_free(ctx);
                return null;
            }
        }
        return ctx;
    }

    /** The servername callback's work: moves the handshake to the context of its certificate. */
    private int chooseCertificate(MemorySegment ssl, MemorySegment alert) {
        MemorySegment requested = LibSsl.SSL_get_servername(ssl, LibSsl.TLSEXT_NAMETYPE_HOST_NAME);
        String name = MemorySegment.NULL.equals(requested) ? null
                : requested.reinterpret(256).getString(0, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
        CertificateIndex current = index.get();
        LoadedCertificate certificate = current.select(name);
        if (certificate == null) {
            alert.set(JAVA_INT, 0, LibSsl.SSL_AD_UNRECOGNIZED_NAME);
            return LibSsl.SSL_TLSEXT_ERR_ALERT_FATAL;
        }
        MemorySegment ctx = contextFor(certificate, current);
        if (ctx == null) {
            alert.set(JAVA_INT, 0, LibSsl.SSL_AD_INTERNAL_ERROR);
            return LibSsl.SSL_TLSEXT_ERR_ALERT_FATAL;
        }
        LibSsl.SSL_set_SSL_CTX(ssl, ctx);
        return LibSsl.SSL_TLSEXT_ERR_OK;
    }

    /** The context of one loaded certificate version, built on first use; null if OpenSSL refuses its chain or key. */
    private MemorySegment contextFor(LoadedCertificate certificate, CertificateIndex current) {
        if (prunedFor != current) {
            prune(current);
        }
        MemorySegment ctx = byAlias.get(certificate.alias());
        return ctx != null ? ctx : byAlias.computeIfAbsent(certificate.alias(), alias -> build(certificate));
    }

    /** Drops the contexts of versions the index no longer resolves, and frees those dropped long enough ago. */
    private synchronized void prune(CertificateIndex current) {
        if (prunedFor == current) {
            return;
        }
        long now = clock.getAsLong();
        for (Iterator<Map.Entry<String, MemorySegment>> entries = byAlias.entrySet().iterator(); entries.hasNext(); ) {
            Map.Entry<String, MemorySegment> entry = entries.next();
            if (current.byAlias(entry.getKey()) == null) {
                entries.remove();
                retire(entry.getValue(), now);
            }
        }
        prunedFor = current;
    }

    /** Queues a context for freeing; frees those queued more than {@link #RETIRED_RETENTION} ago. */
    private synchronized void retire(MemorySegment ctx, long now) {
        retired.removeIf(old -> {
            if (now - old.at() < RETIRED_RETENTION) {
                return false;
            }
            LibSsl.SSL_CTX_free(old.ctx());
            return true;
        });
        retired.add(new Retired(ctx, now));
    }

    private MemorySegment build(LoadedCertificate certificate) {
        return build(certificate.bundle().chain(), certificate.bundle().key(), callbackArgument);
    }

    /** A context presenting {@code chain} with {@code key}; null if OpenSSL refuses them. */
    private MemorySegment build(X509Certificate[] chain, PrivateKey privateKey, MemorySegment argument) {
        MemorySegment ctx = newContext(argument);
        if (ctx == null) {
            LibSsl.ERR_clear_error();
            return null;
        }
        try (Arena arena = Arena.ofConfined()) {
            boolean ok = true;
            for (int i = 0; i < chain.length && ok; i++) {
                byte[] der = chain[i].getEncoded();
                MemorySegment x509 = LibSsl.d2i_X509(pointerTo(arena, der), der.length);
                if (MemorySegment.NULL.equals(x509)) {
                    ok = false;
                    break;
                }
                // Both calls take their own reference.
                ok = i == 0 ? LibSsl.SSL_CTX_use_certificate(ctx, x509) == 1
                        : LibSsl.SSL_CTX_ctrl(ctx, LibSsl.SSL_CTRL_CHAIN_CERT, 1, x509) == 1;
                LibSsl.X509_free(x509);
            }
            byte[] pkcs8 = privateKey.getEncoded();
            MemorySegment key = ok ? LibSsl.d2i_AutoPrivateKey(pointerTo(arena, pkcs8), pkcs8.length) : MemorySegment.NULL;
            ok &= !MemorySegment.NULL.equals(key);
            if (ok) {
                ok = LibSsl.SSL_CTX_use_PrivateKey(ctx, key) == 1;
                LibSsl.EVP_PKEY_free(key);
                ok &= LibSsl.SSL_CTX_check_private_key(ctx) == 1;
            }
            if (ok) {
                return ctx;
            }
        } catch (GeneralSecurityException e) {
            // An encoding the JDK cannot give: no context, handshakes for it get internal_error.
        }
        LibSsl.ERR_clear_error();
        LibSsl.SSL_CTX_free(ctx);
        return null;
    }

    /** A {@code const unsigned char **} to a copy of {@code der}, as the d2i functions take. */
    private static MemorySegment pointerTo(Arena arena, byte[] der) {
        return arena.allocateFrom(ADDRESS, arena.allocateFrom(JAVA_BYTE, der));
    }

    /** The ALPN callback's work: the first of {@code ours} in the client's list, pointed to in that list. */
    private static int chooseProtocol(List<String> ours, MemorySegment out, MemorySegment outLength, MemorySegment offered) {
        List<String> names = new ArrayList<>();
        List<Long> offsets = new ArrayList<>();
        long at = 0;
        while (at < offered.byteSize()) {
            int length = offered.get(JAVA_BYTE, at) & 0xff;
            if (length == 0 || at + 1 + length > offered.byteSize()) {
                return LibSsl.SSL_TLSEXT_ERR_ALERT_FATAL;
            }
            names.add(new String(offered.asSlice(at + 1, length).toArray(JAVA_BYTE), StandardCharsets.ISO_8859_1));
            offsets.add(at);
            at += 1 + length;
        }
        String chosen = names.isEmpty() ? null : TlsConnectionFactory.selectProtocol(ours, names);
        if (chosen == null) {
            return LibSsl.SSL_TLSEXT_ERR_ALERT_FATAL; // OpenSSL sends no_application_protocol
        }
        long offset = offsets.get(names.indexOf(chosen));
        out.set(ADDRESS, 0, offered.asSlice(offset + 1, chosen.length()));
        outLength.set(JAVA_BYTE, 0, (byte) chosen.length());
        return LibSsl.SSL_TLSEXT_ERR_OK;
    }

    /** The OpenSSL errors queued on this thread, as text, and clears them. */
    private static String drainErrors() {
        StringBuilder text = new StringBuilder();
        for (long error = LibSsl.ERR_get_error(); error != 0; error = LibSsl.ERR_get_error()) {
            text.append(text.isEmpty() ? "" : ", ").append("error 0x").append(Long.toHexString(error));
        }
        return text.isEmpty() ? "no error reported" : text.toString();
    }

    @Override
    public String describe() {
        return version + " (" + LibSsl.LIBSSL + "), TLSv1.3 TLSv1.2";
    }

    @Override
    public int packetBytes() {
        return PACKET_BYTES;
    }

    @Override
    public int applicationBytes() {
        return APPLICATION_BYTES;
    }

    @Override
    public boolean nativeBuffers() {
        return true;
    }

    /**
     * The upcall stubs OpenSSL calls during handshakes, made once. They never throw (an exception
     * escaping an upcall ends the process): anything unexpected is a fatal alert for that handshake.
     */
    private static final class Callbacks {
        static final MemorySegment SERVER_NAME;
        static final MemorySegment ALPN;

        static {
            try {
                MethodHandles.Lookup lookup = MethodHandles.lookup();
                SERVER_NAME = LibSsl.upcall(lookup.findStatic(Callbacks.class, "serverName",
                        MethodType.methodType(int.class, MemorySegment.class, MemorySegment.class, MemorySegment.class)),
                        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
                ALPN = LibSsl.upcall(lookup.findStatic(Callbacks.class, "alpn",
                        MethodType.methodType(int.class, MemorySegment.class, MemorySegment.class, MemorySegment.class,
                                MemorySegment.class, int.class, MemorySegment.class)),
                        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS));
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /** {@code int (*)(SSL *ssl, int *alert, void *arg)} */
        private static int serverName(MemorySegment ssl, MemorySegment alert, MemorySegment arg) {
            MemorySegment alertCode = alert.reinterpret(4);
            try {
                OpenSslContexts contexts = BY_ID.get(arg.address());
                if (contexts != null) {
                    return contexts.chooseCertificate(ssl, alertCode);
                }
                if (CHALLENGE_IDS.contains(arg.address())) {
                    // The challenge certificate was chosen for the name the hello's pre-check read.
                    return LibSsl.SSL_TLSEXT_ERR_OK;
                }
            } catch (Throwable t) {
                // Falls through to the alert.
            }
            alertCode.set(JAVA_INT, 0, LibSsl.SSL_AD_INTERNAL_ERROR);
            return LibSsl.SSL_TLSEXT_ERR_ALERT_FATAL;
        }

        /** {@code int (*)(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in, unsigned int inlen, void *arg)} */
        private static int alpn(MemorySegment ssl, MemorySegment out, MemorySegment outLength, MemorySegment in,
                int inLength, MemorySegment arg) {
            try {
                OpenSslContexts contexts = BY_ID.get(arg.address());
                List<String> ours = contexts != null ? contexts.protocols
                        : CHALLENGE_IDS.contains(arg.address()) ? List.of(AlpnChallenges.ACME_TLS_1) : null;
                if (ours != null) {
                    return chooseProtocol(ours, out.reinterpret(ADDRESS.byteSize()), outLength.reinterpret(1),
                            in.reinterpret(Integer.toUnsignedLong(inLength)));
                }
            } catch (Throwable t) {
                // Falls through to the alert.
            }
            return LibSsl.SSL_TLSEXT_ERR_ALERT_FATAL;
        }
    }
}
