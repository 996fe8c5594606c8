package dev.webroot.mkroot;

import dev.webroot.format.Webroot;
import java.io.IOException;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code mkroot verify FILE}: validates the index and re-hashes every stored body. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Checks a webroot file: validates its index as httpd does when loading it, then re-hashes "
                + "every stored body against its SHA-256 and ETag. Exits 1 on any problem."})
final class VerifyCommand extends WebrootFileCommand {
    VerifyCommand(Io io) {
        super(io);
    }

    @Override
    int run(Webroot webroot) throws IOException {
        List<String> problems = webroot.verify();
        for (String problem : problems) {
            io.err().println("mkroot: " + file + ": " + problem);
        }
        if (!problems.isEmpty()) {
            return Mkroot.EXIT_FAILURE;
        }
        io.out().println(file + ": ok, " + webroot.entryCount() + " entries, " + webroot.representationCount()
                + " representations, " + webroot.fileLength() + " bytes");
        io.out().flush();
        return Mkroot.EXIT_OK;
    }
}
