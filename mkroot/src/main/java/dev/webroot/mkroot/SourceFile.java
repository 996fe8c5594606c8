package dev.webroot.mkroot;

import java.nio.file.Path;

/**
 * A regular file found in the source tree.
 *
 * @param relativePath the path below SRC_DIR with '/' separators, e.g. {@code assets/app.js}
 * @param file where to read it (through any symbolic links that were followed)
 * @param size the size the walk saw (the build measures it again while reading)
 * @param lastModified modification time in seconds since the epoch
 */
record SourceFile(String relativePath, Path file, long size, long lastModified) {
    /** The URL path the file is served at. */
    String urlPath() {
        return "/" + relativePath;
    }

    String name() {
        return relativePath.substring(relativePath.lastIndexOf('/') + 1);
    }
}
