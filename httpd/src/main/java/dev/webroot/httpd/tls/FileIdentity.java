package dev.webroot.httpd.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.TimeUnit;

/**
 * What tells two versions of a certificate file apart without reading them: the file's key (device
 * and inode, following symlinks), size and modification time. A file renamed into place, a replaced
 * symlink or a file rewritten in place all change it.
 */
record FileIdentity(Object fileKey, long size, long modifiedNanos) {
    /** Null when the path does not lead to a regular file (dangling link, directory, gone). */
    static FileIdentity of(Path file) {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException e) {
            return null;
        }
        if (!attributes.isRegularFile()) {
            return null;
        }
        return new FileIdentity(attributes.fileKey(), attributes.size(),
                attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS));
    }
}
