package dev.webroot.mkroot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

/**
 * Walks SRC_DIR in a deterministic order (names sorted by their UTF-8 bytes) and lists the regular
 * files to pack. Symbolic links are followed while their real target stays inside SRC_DIR, or
 * anywhere when external links are allowed (a link back into a directory being walked is a cycle
 * and refused either way); special files are skipped with a warning; names that are not valid UTF-8
 * stop the walk. The site's rule files at the root ({@code _headers}, {@code _redirects}) are not
 * part of the site.
 */
final class TreeScanner {
    private static final Comparator<String> BY_UTF8_BYTES = (a, b) ->
            Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

    private final Path root;
    private final Path realRoot;
    private final boolean includeDotfiles;
    private final boolean followExternalLinks;
    private final Consumer<String> warnings;
    private final List<SourceFile> files = new ArrayList<>();
    /** Real paths of the directories being walked, from the root down: a link back to one is a cycle. */
    private final Deque<Path> openDirectories = new ArrayDeque<>();

    TreeScanner(Path root, boolean includeDotfiles, Consumer<String> warnings) throws IOException {
        this(root, includeDotfiles, false, warnings);
    }

    TreeScanner(Path root, boolean includeDotfiles, boolean followExternalLinks, Consumer<String> warnings) throws IOException {
        this.root = root;
        this.realRoot = root.toRealPath();
        this.includeDotfiles = includeDotfiles;
        this.followExternalLinks = followExternalLinks;
        this.warnings = warnings;
    }

    /** The regular files below the root, in walk order. */
    List<SourceFile> scan() throws IOException {
        walk(root, realRoot, "");
        return files;
    }

    private void walk(Path dir, Path realDir, String relativeDir) throws IOException {
        openDirectories.push(realDir);
        for (Path child : sortedChildren(dir, relativeDir)) {
            String name = child.getFileName().toString();
            String relative = relativeDir.isEmpty() ? name : relativeDir + "/" + name;
            if (name.startsWith(".") && !includeDotfiles && !(relativeDir.isEmpty() && name.equals(".well-known"))) {
                continue;
            }
            if (relativeDir.isEmpty() && (name.equals(HeaderRules.FILE_NAME) || name.equals(RedirectRules.FILE_NAME))) {
                continue;
            }
            BasicFileAttributes attributes = Files.readAttributes(child, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            Path realChild = realDir.resolve(name);
            if (attributes.isSymbolicLink()) {
                realChild = resolveLink(child, relative);
                attributes = Files.readAttributes(realChild, BasicFileAttributes.class);
            }
            if (attributes.isDirectory()) {
                if (openDirectories.contains(realChild)) {
                    throw new MkrootException("link " + relative + " -> " + Files.readSymbolicLink(child)
                            + " makes a directory cycle");
                }
                walk(child, realChild, relative);
            } else if (attributes.isRegularFile()) {
                files.add(new SourceFile(relative, child, attributes.size(), attributes.lastModifiedTime().toInstant().getEpochSecond()));
            } else {
                warnings.accept("skipping " + relative + ": not a regular file or directory");
            }
        }
        openDirectories.pop();
    }

    private List<Path> sortedChildren(Path dir, String relativeDir) throws IOException {
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path child : stream) {
                checkName(child, relativeDir);
                children.add(child);
            }
        }
        children.sort(Comparator.comparing(p -> p.getFileName().toString(), BY_UTF8_BYTES));
        return children;
    }

    /**
     * A name whose bytes are not valid UTF-8 decodes with replacement characters, so encoding the
     * decoded name again gives other bytes and hence a path that is not equal to the one listed.
     */
    private static void checkName(Path child, String relativeDir) {
        Path reencoded;
        try {
            reencoded = child.getFileSystem().getPath(child.toString());
        } catch (java.nio.file.InvalidPathException e) {
            reencoded = null;
        }
        if (child.equals(reencoded)) {
            return;
        }
        String shown = (relativeDir.isEmpty() ? "" : relativeDir + "/") + child.getFileName();
        String encoding = System.getProperty("sun.jnu.encoding", "UTF-8");
        if (!encoding.equalsIgnoreCase("UTF-8")) {
            throw new MkrootException("cannot decode the file name " + shown + ": file names are read as " + encoding
                    + "; run mkroot in a UTF-8 locale (e.g. LC_ALL=C.UTF-8)");
        }
        throw new MkrootException("file name is not valid UTF-8: " + shown);
    }

    private Path resolveLink(Path link, String relative) throws IOException {
        Path target = Files.readSymbolicLink(link);
        Path real;
        try {
            real = link.toRealPath();
        } catch (NoSuchFileException e) {
            throw new MkrootException("link " + relative + " -> " + target + " is broken (its target does not exist)");
        }
        if (!real.startsWith(realRoot) && !followExternalLinks) {
            throw new MkrootException("link " + relative + " -> " + target
                    + " points outside SRC_DIR; pass --follow-external-links to pack what it points to");
        }
        return real;
    }
}
