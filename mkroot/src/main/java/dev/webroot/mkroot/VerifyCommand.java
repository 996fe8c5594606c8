package dev.webroot.mkroot;

import dev.webroot.format.Webroot;
import java.io.IOException;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code mkroot verify FILE}: validates the index, re-hashes every stored body and compares every HPACK fragment with its block. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Checks a webroot file: validates its index as httpd does when loading it, then re-hashes "
                + "every stored body against its SHA-256 and ETag, compares every HPACK fragment with what its header block "
                + "converts to, and checks every site rule's pattern and placeholders. "
                + "Exits 1 on any problem."})
final class VerifyCommand extends WebrootFileCommand {
    VerifyCommand(Io io) {
        super(io);
    }

    @Override
    int run(Webroot webroot) throws IOException {
        List<String> problems = new java.util.ArrayList<>(webroot.verify());
        problems.addAll(webroot.verifyRules());
        for (String problem : problems) {
            io.err().println("mkroot: " + file + ": " + problem);
        }
        if (!problems.isEmpty()) {
            return Mkroot.EXIT_FAILURE;
        }
        io.out().println(file + ": ok, " + webroot.entryCount() + " entries, " + webroot.representationCount()
                + " representations, " + webroot.ruleCount() + " rules, " + webroot.fileLength() + " bytes (format version "
                + webroot.version() + ")");
        io.out().flush();
        return Mkroot.EXIT_OK;
    }
}
