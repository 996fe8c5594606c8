package dev.webroot.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Writes the reproducible test sites of scripts/bench.
 * {@code BenchSite DIR}: 1k.html (1 KiB), mix/ (20 text files of 3 to 300 KB), big.bin (100 MB random).
 * {@code BenchSite --many DIR N}: N small files in directories of 1,000.
 */
public final class BenchSite {
    private static final int MIX_FILES = 20;
    private static final long BIG_BYTES = 100L * 1000 * 1000;

    private BenchSite() {}

    public static void main(String[] args) throws IOException {
        if (args[0].equals("--many")) {
            many(Path.of(args[1]), Integer.parseInt(args[2]));
        } else {
            site(Path.of(args[0]));
        }
    }

    private static void site(Path root) throws IOException {
        Random random = new Random(20261122);
        Files.createDirectories(root.resolve("mix"));
        Files.writeString(root.resolve("1k.html"), text(random, 1024));
        for (int i = 0; i < MIX_FILES; i++) {
            // Sizes spread geometrically from 3 KB to 300 KB.
            int size = (int) (3000 * Math.pow(100, i / (double) (MIX_FILES - 1)));
            String name = String.format("file-%02d.%s", i, i % 3 == 0 ? "css" : i % 3 == 1 ? "js" : "html");
            Files.writeString(root.resolve("mix").resolve(name), text(random, size));
        }
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(root.resolve("big.bin"))) {
            for (long written = 0; written < BIG_BYTES; written += block.length) {
                random.nextBytes(block);
                out.write(block, 0, (int) Math.min(block.length, BIG_BYTES - written));
            }
        }
    }

    private static void many(Path root, int count) throws IOException {
        for (int i = 0; i < count; i++) {
            Path dir = root.resolve("f").resolve(Integer.toString(i / 1000));
            if (i % 1000 == 0) {
                Files.createDirectories(dir);
            }
            Files.writeString(dir.resolve(i + ".txt"), "file " + i + "\n");
        }
    }

    /** Word salad that compresses like real markup. */
    private static String text(Random random, int size) {
        String[] words = {"<div class=\"item\">", "</div>", "<p>", "</p>", "static", "server", "webroot", "request",
            "response", "header", "content", "cache", "the", "and", "of", "to", "a", "in", "for", "is", "on", "with"};
        StringBuilder b = new StringBuilder(size + 32);
        while (b.length() < size) {
            b.append(words[random.nextInt(words.length)]).append(random.nextInt(7) == 0 ? '\n' : ' ');
        }
        b.setLength(size);
        return b.toString();
    }
}
