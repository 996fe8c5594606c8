package dev.webroot.httpd.core;

/**
 * Validates a Host value (or an absolute-form authority) and reduces it to the key {@link Sites}
 * expects: lowercase ASCII without port and without one trailing dot. Accepted: a reg-name of
 * letters, digits, {@code - _ ~} in non-empty dot-separated labels (percent-encoding and
 * sub-delims are refused), an IPv4 address (which is such a name), or a bracketed IPv6/IPvFuture
 * literal; an optional {@code :port} of at most five digits up to 65535. An empty value is valid
 * and means "the default site".
 */
final class HostNormalizer {
    private static final int MAX_HOST = 255;

    private final byte[] host = new byte[MAX_HOST];
    private int length;

    byte[] host() {
        return host;
    }

    int length() {
        return length;
    }

    /** No Host at all: the default site answers. */
    void clear() {
        length = 0;
    }

    /** False means the value is invalid (400). */
    boolean normalize(byte[] b, int from, int to) {
        length = 0;
        int i = from;
        if (i < to && b[i] == '[') {
            while (i < to && b[i] != ']') {
                int c = b[i] & 0xff;
                if (i > from && Ascii.hexValue(c) < 0 && c != ':' && c != '.' && Ascii.toLower(c) != 'v') {
                    return false;
                }
                i++;
            }
            if (i >= to || i - from < 3 || i + 1 - from > MAX_HOST) {
                return false;
            }
            i++;
            for (int k = from; k < i; k++) {
                host[length++] = (byte) Ascii.toLower(b[k]);
            }
        } else {
            boolean labelEmpty = true;
            while (i < to && b[i] != ':') {
                int c = b[i] & 0xff;
                if (c == '.') {
                    if (labelEmpty) {
                        return false;
                    }
                    labelEmpty = true;
                } else if (Ascii.isDigit(c) || (c | 0x20) >= 'a' && (c | 0x20) <= 'z' || c == '-' || c == '_' || c == '~') {
                    labelEmpty = false;
                } else {
                    return false;
                }
                if (length == MAX_HOST) {
                    return false;
                }
                host[length++] = (byte) Ascii.toLower(c);
                i++;
            }
            if (length > 0 && host[length - 1] == '.') {
                length--;
            }
            if (i > from && length == 0) {
                return false;
            }
        }
        if (i < to) {
            if (length == 0 || b[i] != ':' || to - i - 1 > 5) {
                return false;
            }
            int port = 0;
            for (int k = i + 1; k < to; k++) {
                if (!Ascii.isDigit(b[k])) {
                    return false;
                }
                port = port * 10 + (b[k] - '0');
            }
            if (port > 65535) {
                return false;
            }
        }
        return true;
    }
}
