package dev.webroot.mkroot;

import static dev.webroot.mkroot.Cli.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.webroot.format.Webroot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesystemCasesTest {
    @TempDir
    Path dir;

    private Path src() {
        return dir.resolve("site");
    }

    private Path out() {
        return dir.resolve("out.webroot");
    }

    /** Packs src() into out(), expecting exit code 1. */
    private Cli.Result packExpectingFailure() {
        Cli.Result result = Cli.run(src().toString(), out().toString());
        assertThat(result.exitCode()).as(result.stderr()).isEqualTo(1);
        return result;
    }

    /** Nothing but the source tree is left in the directory: no output, no temporary file. */
    private void assertNothingWritten() throws IOException {
        try (var entries = Files.list(dir)) {
            assertThat(entries.map(p -> p.getFileName().toString()).toList()).containsExactly("site");
        }
    }

    @Test
    void linksInsideTheTreeAreFollowed() throws IOException {
        write(src(), "real/page.html", "page");
        write(src(), "real/index.html", "index");
        Files.createSymbolicLink(src().resolve("alias.html"), Path.of("real/page.html"));
        Files.createSymbolicLink(src().resolve("mirror"), Path.of("real"));
        Cli.Result result = Cli.run(src().toString(), out().toString());
        assertThat(result.stderr()).isEmpty();
        assertThat(result.exitCode()).isZero();
        try (Webroot webroot = Webroot.open(out())) {
            assertThat(PackRoundTripTest.paths(webroot)).contains("/alias.html", "/mirror/page.html", "/mirror/", "/mirror");
            assertThat(PackRoundTripTest.identityOffset(webroot, "/alias.html"))
                    .isEqualTo(PackRoundTripTest.identityOffset(webroot, "/real/page.html"));
        }
    }

    @Test
    void aLinkOutsideTheTreeIsRefusedAndNothingIsWritten() throws IOException {
        write(src(), "index.html", "i");
        write(dir, "secret.txt", "secret");
        Files.createDirectories(src().resolve("assets"));
        Files.createSymbolicLink(src().resolve("assets/x"), dir.resolve("secret.txt"));
        Cli.Result result = packExpectingFailure();
        assertThat(result.stderr()).isEqualTo("mkroot: link assets/x -> " + dir.resolve("secret.txt")
                + " points outside SRC_DIR; pass --follow-external-links to pack what it points to" + System.lineSeparator());
        Files.delete(dir.resolve("secret.txt"));
        assertNothingWritten();
    }

    @Test
    void aDirectoryCycleIsRefused() throws IOException {
        write(src(), "a/page.html", "p");
        Files.createSymbolicLink(src().resolve("a/loop"), Path.of(".."));
        Cli.Result result = packExpectingFailure();
        assertThat(result.stderr()).startsWith("mkroot: link a/loop -> .. makes a directory cycle").hasLineCount(1);
        assertNothingWritten();
    }

    @Test
    void aBrokenLinkIsRefused() throws IOException {
        Files.createDirectories(src());
        Files.createSymbolicLink(src().resolve("dangling"), Path.of("nowhere"));
        Cli.Result result = packExpectingFailure();
        assertThat(result.stderr()).contains("dangling -> nowhere is broken").hasLineCount(1);
        assertNothingWritten();
    }

    @Test
    void specialFilesAreSkippedWithAWarning() throws Exception {
        write(src(), "index.html", "i");
        Process mkfifo = new ProcessBuilder("mkfifo", src().resolve("pipe").toString()).inheritIO().start();
        assumeTrue(mkfifo.waitFor() == 0, "mkfifo is available");
        Cli.Result result = Cli.run(src().toString(), out().toString());
        assertThat(result.exitCode()).isZero();
        assertThat(result.stderr()).isEqualTo("mkroot: warning: skipping pipe: not a regular file or directory"
                + System.lineSeparator());
        try (Webroot webroot = Webroot.open(out())) {
            assertThat(PackRoundTripTest.paths(webroot)).containsExactly("/", "/index.html");
        }
    }

    @Test
    void anUnreadableFileStopsTheBuild() throws IOException {
        Path locked = write(src(), "locked.html", "x");
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
        // Root (as in CI containers) reads files whatever their mode; IoErrorsTest covers the message there.
        assumeTrue(!Files.isReadable(locked), "chmod 000 makes the file unreadable for this user");
        Cli.Result result = packExpectingFailure();
        assertThat(result.stderr()).isEqualTo("mkroot: " + locked + ": permission denied" + System.lineSeparator());
        assertNothingWritten();
    }

    @Test
    void aNameThatIsNotUtf8StopsTheBuild() throws Exception {
        Files.createDirectories(src().resolve("docs"));
        Process touch = new ProcessBuilder("sh", "-c", "touch \"$(printf 'caf\\351.html')\"")
                .directory(src().resolve("docs").toFile()).inheritIO().start();
        assumeTrue(touch.waitFor() == 0, "sh can create the file");
        Cli.Result result = packExpectingFailure();
        assertThat(result.stderr()).startsWith("mkroot: file name is not valid UTF-8: docs/caf").hasLineCount(1);
        assertNothingWritten();
    }

    @Test
    void usageErrorsAboutPathsExitWith2AndNoStackTrace() throws IOException {
        write(src(), "index.html", "i");
        List<List<String>> cases = List.of(
                List.of(dir.resolve("missing").toString(), out().toString()),
                List.of(src().resolve("index.html").toString(), out().toString()),
                List.of(src().toString(), dir.resolve("no/such/dir/out.webroot").toString()),
                List.of(src().toString(), src().resolve("inside.webroot").toString()),
                List.of(src().toString(), dir.toString()),
                List.of(src().toString(), out().toString(), "--not-found", "missing.html"));
        for (List<String> args : cases) {
            Cli.Result result = Cli.run(args.toArray(String[]::new));
            assertThat(result.exitCode()).as("%s", args).isEqualTo(2);
            assertThat(result.stderr()).as("%s", args).startsWith("mkroot: ").doesNotContain("Exception").hasLineCount(2);
        }
        assertNothingWritten();
    }

    @Test
    void aFileChangedAfterItWasMeasuredFailsTheWriteAndLeavesNothing() throws IOException {
        Path page = write(src(), "page.html", Cli.compressibleText(30));
        SourceFile source = new SourceFile("page.html", page, Files.size(page), 0);
        PackedFile packed;
        try (Progress progress = Progress.start(new Io(System.out, System.err, java.util.Map.of(), false), 1, 0)) {
            packed = new FileProcessor(null, null, new CachePolicy(null, CachePolicy.DEFAULT), null, progress).process(source);
        }
        write(src(), "page.html", Cli.compressibleText(31));
        var writer = new SiteAssembler(true).assemble(List.of(packed), null);
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> writer.write(out())))
                .isInstanceOf(IOException.class).hasMessage(page + " changed while the webroot was being written");
        assertNothingWritten();
    }
}
