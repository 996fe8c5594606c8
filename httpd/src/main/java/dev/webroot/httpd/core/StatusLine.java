package dev.webroot.httpd.core;

/** The fixed set of statuses this server sends, with their status lines and tiny error bodies. */
final class StatusLine {
    private static final int[] CODES = {200, 206, 301, 302, 303, 304, 307, 308, 400, 404, 405, 408, 410, 412, 413, 414,
        416, 431, 501, 503, 505};
    private static final String[] REASONS = {
        "OK", "Partial Content", "Moved Permanently", "Found", "See Other", "Not Modified", "Temporary Redirect",
        "Permanent Redirect", "Bad Request", "Not Found", "Method Not Allowed", "Request Timeout", "Gone",
        "Precondition Failed", "Content Too Large", "URI Too Long", "Range Not Satisfiable",
        "Request Header Fields Too Large", "Not Implemented", "Service Unavailable", "HTTP Version Not Supported"
    };
    /** {@code HTTP/1.1 NNN Reason CRLF "Date: "}, ready for the date. */
    private static final byte[][] PREFIXES = new byte[CODES.length][];
    private static final byte[][] BODIES = new byte[CODES.length][];

    static {
        for (int i = 0; i < CODES.length; i++) {
            PREFIXES[i] = Ascii.bytes("HTTP/1.1 " + CODES[i] + " " + REASONS[i] + "\r\nDate: ");
            BODIES[i] = Ascii.bytes(REASONS[i] + "\n");
        }
    }

    private StatusLine() {}

    private static int index(int status) {
        for (int i = 0; i < CODES.length; i++) {
            if (CODES[i] == status) {
                return i;
            }
        }
        throw new IllegalArgumentException("unsupported status " + status);
    }

    static byte[] prefix(int status) {
        return PREFIXES[index(status)];
    }

    /** The plain-text body of an error status: its reason phrase and a newline. */
    static byte[] body(int status) {
        return BODIES[index(status)];
    }
}
