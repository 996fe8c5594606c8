package dev.webroot.format;

/** What an index entry is. The code is the byte stored in the file. */
public enum EntryKind {
    /** A file served with 200 (and 206/304). */
    FILE(1),
    /** A directory path without its slash: answered with a redirect to {@link Webroot#location}. */
    REDIRECT(2),
    /** The site's not-found page: sent with 404 and no validators; never found by lookup. */
    NOT_FOUND(3);

    private final int code;

    EntryKind(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    private static final EntryKind[] BY_CODE = {null, FILE, REDIRECT, NOT_FOUND};

    /** The kind stored as {@code code}, or null for a code no kind has. */
    static EntryKind ofCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
