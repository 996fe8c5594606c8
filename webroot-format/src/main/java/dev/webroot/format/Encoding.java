package dev.webroot.format;

/** A content coding a representation is stored in. The code is the byte stored in the file. */
public enum Encoding {
    IDENTITY(0, "identity"),
    GZIP(1, "gzip"),
    BR(2, "br"),
    ZSTD(3, "zstd");

    private static final Encoding[] BY_CODE = values();

    private final int code;
    private final String token;

    Encoding(int code, String token) {
        this.code = code;
        this.token = token;
    }

    public int code() {
        return code;
    }

    /** The Content-Encoding / Accept-Encoding token. */
    public String token() {
        return token;
    }

    public static Encoding ofCode(int code) {
        if (code < 0 || code >= BY_CODE.length) {
            throw new IllegalArgumentException("unknown encoding code " + code);
        }
        return BY_CODE[code];
    }

    static boolean isValidCode(int code) {
        return code >= 0 && code < BY_CODE.length;
    }
}
