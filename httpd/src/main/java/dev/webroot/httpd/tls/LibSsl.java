package dev.webroot.httpd.tls;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * The functions of OpenSSL 3's libssl.so.3 and libcrypto.so.3 the OpenSSL engine calls, bound
 * through the foreign-function API when this class is first used (only with {@code --tls-engine
 * openssl}). Header macros are spelled out as the {@code *_ctrl} calls they expand to. Calls that
 * only move bytes or read a field are linked {@code critical}: they never call back into Java.
 */
final class LibSsl {
    static final String LIBSSL = "libssl.so.3";
    static final String LIBCRYPTO = "libcrypto.so.3";

    static final int TLS1_2_VERSION = 0x0303;
    static final long SSL_OP_NO_COMPRESSION = 1L << 17;
    static final long SSL_OP_CIPHER_SERVER_PREFERENCE = 1L << 22;
    static final long SSL_OP_NO_RENEGOTIATION = 1L << 30;
    static final long SSL_MODE_RELEASE_BUFFERS = 0x10;
    static final int SSL_CTRL_MODE = 33;
    static final int SSL_CTRL_SET_SESS_CACHE_MODE = 44;
    static final int SSL_CTRL_SET_TLSEXT_SERVERNAME_CB = 53;
    static final int SSL_CTRL_SET_TLSEXT_SERVERNAME_ARG = 54;
    static final int SSL_CTRL_CHAIN_CERT = 89;
    static final int SSL_CTRL_SET_GROUPS_LIST = 92;
    static final int SSL_CTRL_SET_MIN_PROTO_VERSION = 123;
    static final int SSL_SESS_CACHE_OFF = 0;
    static final int SSL_ERROR_WANT_READ = 2;
    static final int SSL_ERROR_ZERO_RETURN = 6;
    static final int SSL_TLSEXT_ERR_OK = 0;
    static final int SSL_TLSEXT_ERR_ALERT_FATAL = 2;
    static final int SSL_AD_INTERNAL_ERROR = 80;
    static final int SSL_AD_UNRECOGNIZED_NAME = 112;
    static final int TLSEXT_NAMETYPE_HOST_NAME = 0;
    static final int BIO_CTRL_PENDING = 10;
    static final int BIO_C_SET_BUF_MEM_EOF_RETURN = 130;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup SSL;
    private static final SymbolLookup CRYPTO;

    static {
        try {
            CRYPTO = SymbolLookup.libraryLookup(LIBCRYPTO, Arena.global());
            SSL = SymbolLookup.libraryLookup(LIBSSL, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("cannot load " + LIBSSL + " (OpenSSL 3): " + e.getMessage()
                    + "; install the libssl3 package or use --tls-engine jdk", e);
        }
    }

    private static final MethodHandle OPENSSL_VERSION = crypto("OpenSSL_version", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    private static final MethodHandle OPENSSL_VERSION_NUM = crypto("OpenSSL_version_num", FunctionDescriptor.of(JAVA_LONG));
    private static final MethodHandle ERR_CLEAR_ERROR = critical(CRYPTO, "ERR_clear_error", FunctionDescriptor.ofVoid());
    private static final MethodHandle ERR_GET_ERROR = critical(CRYPTO, "ERR_get_error", FunctionDescriptor.of(JAVA_LONG));
    private static final MethodHandle BIO_S_MEM = crypto("BIO_s_mem", FunctionDescriptor.of(ADDRESS));
    private static final MethodHandle BIO_NEW = crypto("BIO_new", FunctionDescriptor.of(ADDRESS, ADDRESS));
    private static final MethodHandle BIO_FREE = crypto("BIO_free", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle BIO_READ = critical(CRYPTO, "BIO_read", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle BIO_WRITE = critical(CRYPTO, "BIO_write", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle BIO_CTRL = critical(CRYPTO, "BIO_ctrl", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle D2I_X509 = crypto("d2i_X509", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle X509_FREE = crypto("X509_free", FunctionDescriptor.ofVoid(ADDRESS));
    private static final MethodHandle D2I_AUTO_PRIVATE_KEY = crypto("d2i_AutoPrivateKey", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle EVP_PKEY_FREE = crypto("EVP_PKEY_free", FunctionDescriptor.ofVoid(ADDRESS));

    private static final MethodHandle TLS_SERVER_METHOD = ssl("TLS_server_method", FunctionDescriptor.of(ADDRESS));
    private static final MethodHandle SSL_CTX_NEW = ssl("SSL_CTX_new", FunctionDescriptor.of(ADDRESS, ADDRESS));
    private static final MethodHandle SSL_CTX_FREE = ssl("SSL_CTX_free", FunctionDescriptor.ofVoid(ADDRESS));
    private static final MethodHandle SSL_CTX_CTRL = ssl("SSL_CTX_ctrl", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle SSL_CTX_CALLBACK_CTRL = ssl("SSL_CTX_callback_ctrl", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS));
    private static final MethodHandle SSL_CTX_SET_OPTIONS = ssl("SSL_CTX_set_options", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_LONG));
    private static final MethodHandle SSL_CTX_SET_CIPHER_LIST = ssl("SSL_CTX_set_cipher_list", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SSL_CTX_SET_CIPHERSUITES = ssl("SSL_CTX_set_ciphersuites", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SSL_CTX_SET_ALPN_SELECT_CB = ssl("SSL_CTX_set_alpn_select_cb", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle SSL_CTX_USE_CERTIFICATE = ssl("SSL_CTX_use_certificate", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SSL_CTX_USE_PRIVATEKEY = ssl("SSL_CTX_use_PrivateKey", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SSL_CTX_CHECK_PRIVATE_KEY = ssl("SSL_CTX_check_private_key", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SSL_NEW = ssl("SSL_new", FunctionDescriptor.of(ADDRESS, ADDRESS));
    private static final MethodHandle SSL_FREE = ssl("SSL_free", FunctionDescriptor.ofVoid(ADDRESS));
    private static final MethodHandle SSL_SET_BIO = ssl("SSL_set_bio", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle SSL_SET_ACCEPT_STATE = ssl("SSL_set_accept_state", FunctionDescriptor.ofVoid(ADDRESS));
    private static final MethodHandle SSL_DO_HANDSHAKE = ssl("SSL_do_handshake", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SSL_READ = ssl("SSL_read", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle SSL_WRITE = ssl("SSL_write", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle SSL_SHUTDOWN = ssl("SSL_shutdown", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SSL_GET_ERROR = critical(SSL, "SSL_get_error", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SSL_PENDING = critical(SSL, "SSL_pending", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SSL_GET0_ALPN_SELECTED = critical(SSL, "SSL_get0_alpn_selected", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle SSL_GET_SERVERNAME = ssl("SSL_get_servername", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle SSL_SET_SSL_CTX = ssl("SSL_set_SSL_CTX", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));

    private LibSsl() {}

    /** Loads and binds the libraries (the first call does); throws {@link IllegalStateException} naming libssl when it cannot. */
    static void load() {
        long version = OpenSSL_version_num();
        if (version >>> 28 < 3) {
            throw new IllegalStateException(LIBSSL + " is " + OpenSSL_version() + ", not OpenSSL 3");
        }
    }

    private static MethodHandle crypto(String name, FunctionDescriptor descriptor) {
        return bind(CRYPTO, LIBCRYPTO, name, descriptor);
    }

    private static MethodHandle ssl(String name, FunctionDescriptor descriptor) {
        return bind(SSL, LIBSSL, name, descriptor);
    }

    private static MethodHandle critical(SymbolLookup library, String name, FunctionDescriptor descriptor) {
        return bind(library, library == SSL ? LIBSSL : LIBCRYPTO, name, descriptor, Linker.Option.critical(false));
    }

    private static MethodHandle bind(SymbolLookup library, String file, String name, FunctionDescriptor descriptor,
            Linker.Option... options) {
        MemorySegment symbol = library.find(name)
                .orElseThrow(() -> new IllegalStateException(file + " has no " + name + ": not OpenSSL 3"));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** An upcall stub that lives as long as the process. */
    static MemorySegment upcall(MethodHandle target, FunctionDescriptor descriptor) {
        return LINKER.upcallStub(target, descriptor, Arena.global());
    }

    private static AssertionError unexpected(Throwable t) {
        return new AssertionError("foreign call failed", t);
    }

    static String OpenSSL_version() {
        try {
            return ((MemorySegment) OPENSSL_VERSION.invokeExact(0)).reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static long OpenSSL_version_num() {
        try {
            return (long) OPENSSL_VERSION_NUM.invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void ERR_clear_error() {
        try {
            ERR_CLEAR_ERROR.invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static long ERR_get_error() {
        try {
            return (long) ERR_GET_ERROR.invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static MemorySegment BIO_new_mem() {
        try {
            return (MemorySegment) BIO_NEW.invokeExact((MemorySegment) BIO_S_MEM.invokeExact());
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void BIO_free(MemorySegment bio) {
        try {
            int ignored = (int) BIO_FREE.invokeExact(bio);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int BIO_read(MemorySegment bio, MemorySegment into, int n) {
        try {
            return (int) BIO_READ.invokeExact(bio, into, n);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int BIO_write(MemorySegment bio, MemorySegment from, int n) {
        try {
            return (int) BIO_WRITE.invokeExact(bio, from, n);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static long BIO_ctrl(MemorySegment bio, int cmd, long larg, MemorySegment parg) {
        try {
            return (long) BIO_CTRL.invokeExact(bio, cmd, larg, parg);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {@code BIO_ctrl_pending}: the bytes a memory BIO holds. */
    static long BIO_pending(MemorySegment bio) {
        return BIO_ctrl(bio, BIO_CTRL_PENDING, 0, MemorySegment.NULL);
    }

    static MemorySegment d2i_X509(MemorySegment pointerToDer, long length) {
        try {
            return (MemorySegment) D2I_X509.invokeExact(MemorySegment.NULL, pointerToDer, length);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void X509_free(MemorySegment x509) {
        try {
            X509_FREE.invokeExact(x509);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static MemorySegment d2i_AutoPrivateKey(MemorySegment pointerToDer, long length) {
        try {
            return (MemorySegment) D2I_AUTO_PRIVATE_KEY.invokeExact(MemorySegment.NULL, pointerToDer, length);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void EVP_PKEY_free(MemorySegment key) {
        try {
            EVP_PKEY_FREE.invokeExact(key);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static MemorySegment SSL_CTX_new_server() {
        try {
            return (MemorySegment) SSL_CTX_NEW.invokeExact((MemorySegment) TLS_SERVER_METHOD.invokeExact());
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void SSL_CTX_free(MemorySegment ctx) {
        try {
            SSL_CTX_FREE.invokeExact(ctx);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static long SSL_CTX_ctrl(MemorySegment ctx, int cmd, long larg, MemorySegment parg) {
        try {
            return (long) SSL_CTX_CTRL.invokeExact(ctx, cmd, larg, parg);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static long SSL_CTX_callback_ctrl(MemorySegment ctx, int cmd, MemorySegment callback) {
        try {
            return (long) SSL_CTX_CALLBACK_CTRL.invokeExact(ctx, cmd, callback);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static long SSL_CTX_set_options(MemorySegment ctx, long options) {
        try {
            return (long) SSL_CTX_SET_OPTIONS.invokeExact(ctx, options);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int SSL_CTX_set_cipher_list(MemorySegment ctx, MemorySegment list) {
        try {
            return (int) SSL_CTX_SET_CIPHER_LIST.invokeExact(ctx, list);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int SSL_CTX_set_ciphersuites(MemorySegment ctx, MemorySegment list) {
        try {
            return (int) SSL_CTX_SET_CIPHERSUITES.invokeExact(ctx, list);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void SSL_CTX_set_alpn_select_cb(MemorySegment ctx, MemorySegment callback, MemorySegment arg) {
        try {
            SSL_CTX_SET_ALPN_SELECT_CB.invokeExact(ctx, callback, arg);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int SSL_CTX_use_certificate(MemorySegment ctx, MemorySegment x509) {
        try {
            return (int) SSL_CTX_USE_CERTIFICATE.invokeExact(ctx, x509);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int SSL_CTX_use_PrivateKey(MemorySegment ctx, MemorySegment key) {
        try {
            return (int) SSL_CTX_USE_PRIVATEKEY.invokeExact(ctx, key);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int SSL_CTX_check_private_key(MemorySegment ctx) {
        try {
            return (int) SSL_CTX_CHECK_PRIVATE_KEY.invokeExact(ctx);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static MemorySegment SSL_new(MemorySegment ctx) {
        try {
            return (MemorySegment) SSL_NEW.invokeExact(ctx);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void SSL_free(MemorySegment ssl) {
        try {
            SSL_FREE.invokeExact(ssl);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void SSL_set_bio(MemorySegment ssl, MemorySegment rbio, MemorySegment wbio) {
        try {
            SSL_SET_BIO.invokeExact(ssl, rbio, wbio);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void SSL_set_accept_state(MemorySegment ssl) {
        try {
            SSL_SET_ACCEPT_STATE.invokeExact(ssl);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int SSL_do_handshake(MemorySegment ssl) {
        try {
            return (int) SSL_DO_HANDSHAKE.invokeExact(ssl);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int SSL_read(MemorySegment ssl, MemorySegment into, int n) {
        try {
            return (int) SSL_READ.invokeExact(ssl, into, n);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int SSL_write(MemorySegment ssl, MemorySegment from, int n) {
        try {
            return (int) SSL_WRITE.invokeExact(ssl, from, n);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int SSL_shutdown(MemorySegment ssl) {
        try {
            return (int) SSL_SHUTDOWN.invokeExact(ssl);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int SSL_get_error(MemorySegment ssl, int ret) {
        try {
            return (int) SSL_GET_ERROR.invokeExact(ssl, ret);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int SSL_pending(MemorySegment ssl) {
        try {
            return (int) SSL_PENDING.invokeExact(ssl);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void SSL_get0_alpn_selected(MemorySegment ssl, MemorySegment data, MemorySegment length) {
        try {
            SSL_GET0_ALPN_SELECTED.invokeExact(ssl, data, length);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static MemorySegment SSL_get_servername(MemorySegment ssl, int type) {
        try {
            return (MemorySegment) SSL_GET_SERVERNAME.invokeExact(ssl, type);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static MemorySegment SSL_set_SSL_CTX(MemorySegment ssl, MemorySegment ctx) {
        try {
            return (MemorySegment) SSL_SET_SSL_CTX.invokeExact(ssl, ctx);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }
}
