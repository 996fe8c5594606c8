package dev.webroot.mkroot;

import java.util.regex.Pattern;

/**
 * Decides each file's Cache-Control. Fingerprinted URLs never change content and are cached for a
 * year; everything else defaults to {@code no-cache}, so a deploy is never hidden by heuristic
 * caching while revalidation stays a cheap 304 thanks to the content ETags.
 *
 * @param immutablePattern when not null, replaces the fingerprint detector: matched (find) against the URL path
 * @param otherwise the value for other files, or null for no header
 */
record CachePolicy(Pattern immutablePattern, String otherwise) {
    static final String IMMUTABLE = "public, max-age=31536000, immutable";
    static final String DEFAULT = "no-cache";

    String cacheControl(SourceFile file) {
        boolean immutable = immutablePattern != null
                ? immutablePattern.matcher(file.urlPath()).find()
                : Fingerprints.isFingerprinted(file.name());
        return immutable ? IMMUTABLE : otherwise;
    }
}
