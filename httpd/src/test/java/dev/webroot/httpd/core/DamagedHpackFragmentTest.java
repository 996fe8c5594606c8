package dev.webroot.httpd.core;

import static dev.webroot.httpd.core.TestSites.DATES;
import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.format.Content;
import dev.webroot.format.Encoding;
import dev.webroot.format.Webroot;
import dev.webroot.format.WebrootWriter;
import dev.webroot.httpd.log.ErrorLog;
import dev.webroot.httpd.registry.VhostRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A webroot whose stored HPACK fragment is in bounds but not what its header block converts to
 * (behind a valid checksum): it opens and is served, HTTP/1.1 from the block as always, HTTP/2 with
 * the block's conversion instead of the stored fragment, and the fragment is logged once. A
 * replacement with such a fragment is refused like one with a damaged body.
 */
@Timeout(60)
class DamagedHpackFragmentTest {
    private static final String BODY = "<p>the page</p>";

    @TempDir
    Path temp;

    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    private final ErrorLog log = ErrorLog.to(new PrintStream(logBytes, true, StandardCharsets.UTF_8));
    private VhostRegistry registry;

    @AfterEach
    void close() {
        if (registry != null) {
            registry.close();
        }
    }

    private String logText() {
        return logBytes.toString(StandardCharsets.UTF_8);
    }

    private Path webroot(String name, String body) throws IOException {
        Path file = Files.createDirectories(temp.resolve("webroots")).resolve(name);
        WebrootWriter writer = new WebrootWriter();
        writer.addFile("/index.html", "text/html", 1_700_000_000L, "no-cache", List.of(new WebrootWriter.Representation(
                Encoding.IDENTITY, Content.ofBytes(body.getBytes(StandardCharsets.UTF_8), name))));
        writer.write(file);
        return file;
    }

    /**
     * Changes the last byte of /index.html's stored fragment (a digit of its content-length) to
     * another digit and reseals the index checksum: a fragment that decodes but lies.
     */
    private static void damageFragment(Path file) throws IOException {
        byte[] fragment;
        long indexEnd;
        try (Webroot w = Webroot.open(file)) {
            int r = w.representation(w.lookup("/index.html"), 0);
            fragment = new byte[w.hpackLength(r)];
            w.copyHpack(r, 0, fragment.length, fragment, 0);
            indexEnd = w.indexLength();
        }
        byte[] bytes = Files.readAllBytes(file);
        int at = indexOf(bytes, fragment, (int) indexEnd);
        int last = at + fragment.length - 1;
        assertThat((char) bytes[last]).as("the fragment ends with a digit of content-length").isBetween('0', '9');
        bytes[last] = (byte) (bytes[last] == '9' ? '8' : bytes[last] + 1);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(28, 0);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, (int) indexEnd);
        b.putInt(28, (int) crc.getValue());
        Files.write(file, bytes);
        try (Webroot w = Webroot.open(file)) {
            assertThat(w.hpackCheck().matches(w.representation(w.lookup("/index.html"), 0))).isFalse();
        }
    }

    private static int indexOf(byte[] bytes, byte[] part, int before) {
        int found = -1;
        for (int at = 0; at + part.length <= before; at++) {
            if (Arrays.equals(bytes, at, at + part.length, part, 0, part.length)) {
                assertThat(found).as("the fragment is stored once").isEqualTo(-1);
                found = at;
            }
        }
        assertThat(found).as("the fragment in the index").isNotNegative();
        return found;
    }

    private Path vhosts(Path target) throws IOException {
        Path vhosts = Files.createDirectories(temp.resolve("vhosts"));
        link(vhosts, target);
        return vhosts;
    }

    private static void link(Path vhosts, Path target) throws IOException {
        Path tmp = vhosts.resolve(".tmp");
        Files.deleteIfExists(tmp);
        Files.createSymbolicLink(tmp, target);
        Files.move(tmp, vhosts.resolve("site.test"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private WorkspacePool pool() {
        return new WorkspacePool(registry, Limits.defaults(), DATES, AccessLog.DISABLED);
    }

    /** HTTP/1.1: the status line and the header fields, names lower-cased, then the body. */
    private List<String> http1(String request) {
        String out = new Driver(new HttpConnection(pool(), "t")).feed(request).output();
        int end = out.indexOf("\r\n\r\n");
        List<String> lines = new ArrayList<>(List.of(out.substring(0, end).split("\r\n")));
        List<String> result = new ArrayList<>();
        result.add(lines.removeFirst());
        for (String line : lines) {
            int colon = line.indexOf(':');
            result.add(line.substring(0, colon).toLowerCase(Locale.ROOT) + ": " + line.substring(colon + 1).strip());
        }
        result.add(out.substring(end + 4));
        return result;
    }

    /** HTTP/2: the status and the fields, then the body, in the same form. */
    private List<String> http2(String... requestFields) {
        H2 client = H2.client().get(1, "/index.html", requestFields);
        H2.Response response = H2.responses(H2.frames(new Driver(new Http2Connection(pool(), "t")).feed(client.bytes())
                .outputBytes())).get(1);
        List<String> result = new ArrayList<>();
        result.add("HTTP/1.1 " + response.status() + " " + (response.status().equals("200") ? "OK" : "Not Modified"));
        for (String[] field : response.fields()) {
            if (!field[0].equals(":status")) {
                result.add(field[0] + ": " + field[1]);
            }
        }
        result.add(response.bodyText());
        return result;
    }

    private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition reached in time").isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    private long fragmentLogLines() {
        return logText().lines().filter(l -> l.contains("HPACK fragment of /index.html (identity) differs")).count();
    }

    @Test
    void aDamagedFragmentAtStartUpIsNeverSentOverHttp2AndIsLoggedOnce() throws Exception {
        Path file = webroot("damaged.webroot", BODY);
        damageFragment(file);
        registry = VhostRegistry.open(vhosts(file), log, Duration.ofMillis(500));

        List<String> h1 = http1("GET /index.html HTTP/1.1\r\nHost: site.test\r\n\r\n");
        assertThat(h1.getFirst()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(h1).contains("content-length: " + BODY.length(), "cache-control: no-cache").endsWith(BODY);
        List<String> h2 = http2();
        assertThat(h2).as("HTTP/2 carries exactly the HTTP/1.1 fields (but Connection), the block's conversion")
                .containsExactlyElementsOf(h1.stream().filter(l -> !l.startsWith("connection: ")).toList());
        String etag = h1.stream().filter(l -> l.startsWith("etag: ")).findFirst().orElseThrow().substring(6);
        List<String> notModified = http2("if-none-match", etag);
        assertThat(notModified).containsExactly("HTTP/1.1 304 Not Modified", h2.get(1), "etag: " + etag, "cache-control: no-cache", "");

        awaitTrue(() -> fragmentLogLines() > 0);
        assertThat(logText()).contains("vhost site.test: " + file.toRealPath() + ": HPACK fragment of /index.html (identity) differs"
                + " from what its header block converts to; HTTP/2 responses carry the fields converted from the header block instead");
        assertThat(http2()).isEqualTo(h2);
        Thread.sleep(200);
        assertThat(fragmentLogLines()).as("logged once").isEqualTo(1);
    }

    @Test
    void anIntactFragmentIsSentAsStored() throws Exception {
        Path file = webroot("intact.webroot", BODY);
        registry = VhostRegistry.open(vhosts(file), log, Duration.ofMillis(500));
        List<String> h1 = http1("GET /index.html HTTP/1.1\r\nHost: site.test\r\n\r\n");
        assertThat(http2()).containsExactlyElementsOf(h1.stream().filter(l -> !l.startsWith("connection: ")).toList());
        Thread.sleep(200);
        assertThat(logText()).doesNotContain("HPACK fragment");
    }

    @Test
    void aReplacementWithADamagedFragmentIsRefusedAndTheOldVersionKeepsServing() throws Exception {
        Path vhosts = vhosts(webroot("v1.webroot", "version 1"));
        registry = VhostRegistry.open(vhosts, log, Duration.ofMillis(50));
        Path damaged = webroot("v2.webroot", "version 2");
        damageFragment(damaged);
        link(vhosts, damaged);
        awaitTrue(() -> logText().contains("refused"));
        assertThat(logText()).contains("vhost site.test: refused: " + damaged.toRealPath()
                + ": HPACK fragment of /index.html (identity) differs from what its header block converts to");
        assertThat(http2()).last().isEqualTo("version 1");
    }
}
