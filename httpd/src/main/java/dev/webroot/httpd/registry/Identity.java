package dev.webroot.httpd.registry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * What tells two versions of a file (a vhost entry's webroot, a certificate bundle) apart without
 * reading them: the target file's key (device and inode, following symlinks), size and modification
 * time. A replaced symlink, a file renamed over the entry, or a file rewritten in place all change it.
 */
public record Identity(Object fileKey, long size, long modifiedNanos) {
    /** Stands for an entry that cannot be followed, so its refusal is logged once. */
    static final Identity UNREADABLE = new Identity(null, -1, -1);
    /** Stands for the file of a generation retired because it was (about to be) written: unlike any real identity, so it is tried again. */
    static final Identity RETIRED = new Identity(null, -2, -2);

    /** Null when the entry cannot be followed to a regular file (dangling link, directory, gone). */
    public static Identity of(Path entry) {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(entry, BasicFileAttributes.class);
        } catch (IOException e) {
            return null;
        }
        if (!attributes.isRegularFile()) {
            return null;
        }
        long modified = attributes.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS);
        return new Identity(attributes.fileKey(), attributes.size(), modified);
    }
}
