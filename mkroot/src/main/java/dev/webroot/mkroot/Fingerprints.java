package dev.webroot.mkroot;

/**
 * Recognizes fingerprinted asset names: a content hash among the dot- or dash-separated segments of
 * the name, as bundlers write them ({@code app.3f2a9c1b.js}, {@code main-BxK9a2Qz.css}). Such a URL
 * never changes content, so it can be cached forever. Words, versions and dates must not qualify:
 * a wrong "immutable" would hide a deploy from browsers for a year.
 */
final class Fingerprints {
    private static final int MIN_HASH_LENGTH = 8;
    /** Letter/digit alternations a base36/base64url hash shows, unlike "html5shiv" or "bootstrap5". */
    private static final int MIN_ALTERNATIONS = 3;

    private Fingerprints() {}

    static boolean isFingerprinted(String fileName) {
        String[] segments = fileName.split("[.-]");
        // The last segment is the extension, unless the whole name is one segment.
        int candidates = segments.length > 1 ? segments.length - 1 : 1;
        for (int i = 0; i < candidates; i++) {
            if (looksLikeHash(segments[i])) {
                return true;
            }
        }
        return false;
    }

    /**
     * At least 8 characters, at least one digit and one letter (so dates and words never qualify),
     * and either all hexadecimal in one case, or base36/base64url with digits scattered among letters.
     */
    static boolean looksLikeHash(String segment) {
        if (segment.length() < MIN_HASH_LENGTH) {
            return false;
        }
        boolean digit = false, letter = false, lowerHex = true, upperHex = true;
        int alternations = 0;
        int previousClass = 0;
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            int charClass;
            if (c >= '0' && c <= '9') {
                digit = true;
                charClass = 1;
            } else if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
                letter = true;
                lowerHex &= c >= 'a' && c <= 'f';
                upperHex &= c >= 'A' && c <= 'F';
                charClass = 2;
            } else if (c == '_') {
                lowerHex = upperHex = false;
                charClass = previousClass;
            } else {
                return false;
            }
            if (previousClass != 0 && charClass != previousClass) {
                alternations++;
            }
            previousClass = charClass;
        }
        if (!digit || !letter) {
            return false;
        }
        return lowerHex || upperHex || alternations >= MIN_ALTERNATIONS;
    }
}
