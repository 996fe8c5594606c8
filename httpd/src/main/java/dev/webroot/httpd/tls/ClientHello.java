package dev.webroot.httpd.tls;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A look at the first bytes a client sends to a TLS port, before the engine sees them: whether they
 * start a TLS handshake at all (or are a cleartext HTTP request sent to the wrong port), and which
 * server name the ClientHello asks for. JSSE consults the key manager only when it is too late to
 * answer a hello without a usable name with the {@code unrecognized_name} alert, so the layer reads
 * the name here. Bounds-checked against the record; reads only the first record.
 */
final class ClientHello {
    /** Not enough bytes yet to tell. */
    static final int NEED_MORE = 0;
    /** A TLS handshake record holding a whole ClientHello; {@link #serverName} says what it asks for. */
    static final int HELLO = 1;
    /** A TLS handshake record whose ClientHello does not fit in it (or is unusual): the engine decides. */
    static final int UNREAD = 2;
    /** The bytes begin like an HTTP request line: cleartext HTTP sent to the TLS port. */
    static final int CLEARTEXT_HTTP = 3;
    /** Anything else: the engine refuses it with its own alert. */
    static final int NOT_TLS = 4;
    /** A TLS record header claiming more than any record may hold: no byte that follows can make it valid. */
    static final int OVERSIZED = 5;

    private static final int HANDSHAKE_RECORD = 0x16;
    private static final int CLIENT_HELLO = 1;
    private static final int SERVER_NAME_EXTENSION = 0;
    private static final int HOST_NAME = 0;
    private static final int ALPN_EXTENSION = 16;
    /** Read-only, so one view serves every hello ({@code equals} moves no position). */
    private static final ByteBuffer ACME_TLS_1 = ByteBuffer.wrap(AlpnChallenges.ACME_TLS_1.getBytes(StandardCharsets.US_ASCII)).asReadOnlyBuffer();
    private static final int MAX_RECORD = 16384 + 256;

    private String serverName;
    private boolean offersAcmeTls;

    /** The host name of the ClientHello's server_name extension, lowercased; null when it sent none. */
    String serverName() {
        return serverName;
    }

    /** Whether the ClientHello's ALPN extension offers {@code acme-tls/1}: an ACME TLS-ALPN-01 validation. */
    boolean offersAcmeTls() {
        return offersAcmeTls;
    }

    /** Classifies {@code in[0, end)}. */
    int inspect(ByteBuffer in, int end) {
        serverName = null;
        offersAcmeTls = false;
        if (end < 1) {
            return NEED_MORE;
        }
        int first = in.get(0) & 0xff;
        if (first != HANDSHAKE_RECORD) {
            return httpRequestLine(in, end);
        }
        if (end < 5) {
            return NEED_MORE;
        }
        int recordLength = u16(in, 3);
        if (in.get(1) != 3) {
            return NOT_TLS;
        }
        if (recordLength > MAX_RECORD) {
            return OVERSIZED;
        }
        if (end < 5 + recordLength) {
            return NEED_MORE;
        }
        return readHello(in, 5, 5 + recordLength);
    }

    private int readHello(ByteBuffer in, int at, int recordEnd) {
        if (at + 4 > recordEnd || (in.get(at) & 0xff) != CLIENT_HELLO) {
            return UNREAD;
        }
        int helloEnd = at + 4 + u24(in, at + 1);
        if (helloEnd > recordEnd) {
            return UNREAD;
        }
        int p = at + 4 + 2 + 32;
        if (p + 1 > helloEnd) {
            return UNREAD;
        }
        p += 1 + (in.get(p) & 0xff);
        if (p + 2 > helloEnd) {
            return UNREAD;
        }
        p += 2 + u16(in, p);
        if (p + 1 > helloEnd) {
            return UNREAD;
        }
        p += 1 + (in.get(p) & 0xff);
        if (p == helloEnd) {
            return HELLO;
        }
        int extensionsEnd = listEnd(in, p, helloEnd);
        if (extensionsEnd < 0) {
            return UNREAD;
        }
        p += 2;
        while (p + 4 <= extensionsEnd) {
            int type = u16(in, p);
            int length = u16(in, p + 2);
            int dataEnd = p + 4 + length;
            if (dataEnd > extensionsEnd) {
                return UNREAD;
            }
            if (type == SERVER_NAME_EXTENSION && !readServerName(in, p + 4, dataEnd)) {
                return UNREAD;
            }
            if (type == ALPN_EXTENSION && !readProtocols(in, p + 4, dataEnd)) {
                return UNREAD;
            }
            p = dataEnd;
        }
        return HELLO;
    }

    /** Reads the host name of a server_name extension; false when it is malformed. */
    private boolean readServerName(ByteBuffer in, int p, int end) {
        int listEnd = listEnd(in, p, end);
        if (listEnd < 0) {
            return false;
        }
        p += 2;
        while (p + 3 <= listEnd) {
            int type = in.get(p) & 0xff;
            int length = u16(in, p + 1);
            if (p + 3 + length > listEnd) {
                return false;
            }
            if (type == HOST_NAME) {
                byte[] name = new byte[length];
                in.get(p + 3, name);
                serverName = new String(name, StandardCharsets.ISO_8859_1).toLowerCase(java.util.Locale.ROOT);
                return true;
            }
            p += 3 + length;
        }
        return true;
    }

    /** Notes whether an ALPN extension's protocol list holds {@code acme-tls/1}; false when it is malformed. */
    private boolean readProtocols(ByteBuffer in, int p, int end) {
        int listEnd = listEnd(in, p, end);
        if (listEnd < 0) {
            return false;
        }
        p += 2;
        while (p + 1 <= listEnd) {
            int length = in.get(p) & 0xff;
            if (p + 1 + length > listEnd) {
                return false;
            }
            if (length == ACME_TLS_1.remaining() && in.slice(p + 1, length).equals(ACME_TLS_1)) {
                offersAcmeTls = true;
            }
            p += 1 + length;
        }
        return true;
    }

    /** Whether the bytes begin with an upper-case token of up to 16 letters and a space: every HTTP method there is. */
    private static int httpRequestLine(ByteBuffer in, int end) {
        int n = Math.min(end, 17);
        for (int i = 0; i < n; i++) {
            byte b = in.get(i);
            if (b == ' ') {
                return i > 0 ? CLEARTEXT_HTTP : NOT_TLS;
            }
            if (b < 'A' || b > 'Z') {
                return NOT_TLS;
            }
        }
        return n < 17 ? NEED_MORE : NOT_TLS;
    }

    /** The end of the list at {@code p} that a 16-bit length prefixes, or -1 when it does not fit before {@code end}. */
    private static int listEnd(ByteBuffer in, int p, int end) {
        if (p + 2 > end) {
            return -1;
        }
        int listEnd = p + 2 + u16(in, p);
        return listEnd > end ? -1 : listEnd;
    }

    private static int u16(ByteBuffer in, int at) {
        return (in.get(at) & 0xff) << 8 | in.get(at + 1) & 0xff;
    }

    private static int u24(ByteBuffer in, int at) {
        return (in.get(at) & 0xff) << 16 | u16(in, at + 1);
    }
}
