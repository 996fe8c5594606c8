package dev.webroot.mkroot;

import dev.webroot.format.Webroot;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Parameters;

/**
 * A command that reads one existing webroot file, named by its first parameter: opens it (a file
 * that fails validation is reported by {@link Mkroot}'s failure handler), runs, and closes it.
 */
abstract class WebrootFileCommand implements Callable<Integer> {
    final Io io;

    @Parameters(index = "0", paramLabel = "FILE", description = "The webroot file.")
    Path file;

    WebrootFileCommand(Io io) {
        this.io = io;
    }

    @Override
    public final Integer call() throws IOException {
        try (Webroot webroot = Webroot.open(file)) {
            return run(webroot);
        }
    }

    /** The command's work on the open file; returns the exit code. */
    abstract int run(Webroot webroot) throws IOException;
}
