package dev.webroot.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * A webroot larger than 2 GiB: a file stored past the 2 GiB mark, ranges across it and a body
 * longer than one buffer view can cover are served correctly by every model.
 */
@Timeout(300)
class BeyondTwoGibibytesTest {
    static final List<String> MODELS = Project.MODELS;
    private static final long BIG = (1L << 31) + (64L << 20);
    private static final String TAIL = "stored after more than two gibibytes\n";
    /** Non-zero bytes straddling offset 2^31 of the big file, so a wrong offset there cannot pass as zeros. */
    private static final byte[] MARKER = "across 2 GiB, ok".getBytes(StandardCharsets.US_ASCII);
    private static final long MARKER_AT = (1L << 31) - MARKER.length / 2;

    private static Path vhosts;

    @BeforeAll
    static void packASiteLargerThanTwoGibibytes() throws Exception {
        Path work = Project.work("beyond-2gib");
        Path site = Project.freshDirectory("beyond-2gib/site");
        // Paths are stored in sorted order, so the small file's body comes after the big one's.
        try (RandomAccessFile sparse = new RandomAccessFile(site.resolve("a-zeros.bin").toFile(), "rw")) {
            sparse.setLength(BIG);
            sparse.seek(MARKER_AT);
            sparse.write(MARKER);
        }
        Files.writeString(site.resolve("z-tail.txt"), TAIL);
        Path webroot = work.resolve("beyond-2gib.webroot");
        Project.mkroot(site, webroot, "--no-compress");
        Files.delete(site.resolve("a-zeros.bin"));
        vhosts = Project.freshDirectory("beyond-2gib/vhosts");
        Files.createSymbolicLink(vhosts.resolve("__default__"), webroot);
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void servesFilesAndRangesPastTwoGibibytes(String model) throws Exception {
        try (Server server = Server.start(vhosts, model);
             Http.Client client = new Http.Client(server.port, 60_000)) {
            Http.Response tail = client.get("any.example", "/z-tail.txt");
            assertThat(tail.status()).isEqualTo(200);
            assertThat(tail.text()).isEqualTo(TAIL);

            long across = Integer.MAX_VALUE - 100;
            Http.Response range = client.get("any.example", "/a-zeros.bin", "Range: bytes=" + across + "-" + (across + 199));
            assertThat(range.status()).isEqualTo(206);
            assertThat(range.header("Content-Range")).isEqualTo("bytes " + across + "-" + (across + 199) + "/" + BIG);
            byte[] expected = new byte[200];
            System.arraycopy(MARKER, 0, expected, (int) (MARKER_AT - across), MARKER.length);
            assertThat(range.body()).isEqualTo(expected);

            client.send(Http.request("GET", "any.example", "/a-zeros.bin"));
            Http.Response head = Http.read(client.in, true);
            assertThat(head.header("Content-Length")).isEqualTo(Long.toString(BIG));
            assertThat(readContent(client.in, BIG)).isEqualTo(BIG);

            assertThat(client.get("any.example", "/z-tail.txt").text()).isEqualTo(TAIL);
        }
    }

    /** Reads exactly {@code length} bytes, failing on the first that is neither zero nor the marker's; returns the count. */
    private static long readContent(InputStream in, long length) throws IOException {
        byte[] buffer = new byte[1 << 20];
        long received = 0;
        while (received < length) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, length - received));
            if (n < 0) {
                throw new IOException("connection closed after " + received + " of " + length + " bytes");
            }
            for (int i = 0; i < n; i++) {
                long at = received + i;
                boolean inMarker = at >= MARKER_AT && at < MARKER_AT + MARKER.length;
                if (buffer[i] != (inMarker ? MARKER[(int) (at - MARKER_AT)] : 0)) {
                    throw new IOException("unexpected byte at " + at);
                }
            }
            received += n;
        }
        return received;
    }
}
