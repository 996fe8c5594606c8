package dev.webroot.mkroot;

import dev.webroot.format.Encoding;
import dev.webroot.format.EntryKind;
import dev.webroot.format.Webroot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mkroot cat FILE URL_PATH}: writes an entry's stored bytes to stdout. */
@Command(name = "cat", mixinStandardHelpOptions = true,
        description = {"Writes the bytes stored for URL_PATH (decoded, e.g. '/my file.txt') to standard output."})
final class CatCommand extends WebrootFileCommand {
    private static final int CHUNK = 1 << 20;

    @Parameters(index = "1", paramLabel = "URL_PATH", description = "The entry's path, starting with '/'.")
    private String urlPath;

    @Option(names = "--encoding", paramLabel = "ENCODING", converter = PackCommand.EncodingConverter.class,
            description = "Write the precompressed variant in this encoding (br, gzip or zstd) instead of the identity form.")
    private Encoding encoding;

    CatCommand(Io io) {
        super(io);
    }

    @Override
    int run(Webroot webroot) throws IOException {
        int entry = webroot.lookup(urlPath);
        if (entry < 0) {
            throw new MkrootException(file + ": no entry at " + urlPath);
        }
        if (webroot.kind(entry) == EntryKind.REDIRECT) {
            throw new MkrootException(file + ": " + urlPath + " is a redirect to " + webroot.location(entry));
        }
        int representation = find(webroot, entry, encoding == null ? Encoding.IDENTITY : encoding);
        WritableByteChannel out = Channels.newChannel(io.out());
        long length = webroot.length(representation);
        for (long done = 0; done < length; done += CHUNK) {
            ByteBuffer chunk = webroot.body(representation, done, (int) Math.min(CHUNK, length - done));
            while (chunk.hasRemaining()) {
                out.write(chunk);
            }
        }
        io.out().flush();
        if (io.out().checkError()) {
            throw new MkrootException("error writing to standard output");
        }
        return Mkroot.EXIT_OK;
    }

    private int find(Webroot webroot, int entry, Encoding wanted) {
        for (int i = 0; i < webroot.representationCount(entry); i++) {
            int r = webroot.representation(entry, i);
            if (webroot.encoding(r) == wanted) {
                return r;
            }
        }
        throw new MkrootException(file + ": " + urlPath + " has no " + wanted.token() + " variant");
    }
}
