package dev.webroot.mkroot;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Runs the CLI in-process with captured streams, as the tests' only way in. */
final class Cli {
    record Result(int exitCode, byte[] stdoutBytes, String stderr) {
        String stdout() {
            return new String(stdoutBytes, StandardCharsets.UTF_8);
        }
    }

    private Cli() {}

    static Result run(String... args) {
        return runWithEnv(Map.of(), args);
    }

    static Result runWithEnv(Map<String, String> env, String... args) {
        return run(env, false, args);
    }

    /** Runs as if a user watched stderr on a terminal. */
    static Result runOnTerminal(String... args) {
        return run(Map.of(), true, args);
    }

    private static Result run(Map<String, String> env, boolean terminal, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit;
        try (PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            exit = Mkroot.run(args, new Io(outStream, errStream, env, terminal));
        }
        return new Result(exit, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    }

    /** Writes a file, creating its parent directories. */
    static Path write(Path root, String relative, String text) {
        return write(root, relative, text.getBytes(StandardCharsets.UTF_8));
    }

    static Path write(Path root, String relative, byte[] bytes) {
        try {
            Path file = root.resolve(relative);
            Files.createDirectories(file.getParent());
            return Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Text that compresses well and is long enough to get variants. */
    static String compressibleText(int lines) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            b.append("<p class=\"para\">Line ").append(i).append(" of some highly repetitive page text.</p>\n");
        }
        return b.toString();
    }
}
