package dev.webroot.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.webroot.format.Digests;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The store against real HTTP sources that cut, corrupt or refuse the download. */
class StoreTest {
    private HttpServer server;
    private Path dir;
    private byte[] good;
    private Keys.Version version;
    private final AtomicInteger goodHits = new AtomicInteger();

    @BeforeEach
    void setUp() throws Exception {
        dir = Proc.fresh("store-" + System.nanoTime());
        Path tree = Files.createDirectories(dir.resolve("tree"));
        Files.writeString(tree.resolve("index.html"), "<p>stored</p>\n".repeat(500));
        Path webroot = dir.resolve("site.webroot");
        Proc.Result packed = Proc.run(List.of(Proc.java().toString(), "-jar", Proc.root().resolve("mkroot/target/mkroot.jar").toString(),
                tree.toString(), webroot.toString(), "--no-compress"), java.time.Duration.ofSeconds(60));
        assertThat(packed.exit()).as(packed.output()).isZero();
        good = Files.readAllBytes(webroot);
        version = new Keys.Version(Digests.sha256Hex(webroot), good.length, List.of());
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/good", exchange -> {
            goodHits.incrementAndGet();
            respond(exchange, good, good.length);
        });
        server.createContext("/cut", exchange -> respond(exchange, Arrays.copyOf(good, good.length / 2), 0));
        server.createContext("/corrupt", exchange -> {
            byte[] bytes = good.clone();
            bytes[bytes.length / 2] ^= 1;
            respond(exchange, bytes, bytes.length);
        });
        server.createContext("/missing", exchange -> {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void tearDown() {
        server.stop(0);
    }

    private static void respond(com.sun.net.httpserver.HttpExchange exchange, byte[] bytes, long length) throws IOException {
        exchange.sendResponseHeaders(200, length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
        exchange.close();
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    @Test
    void aCutOrCorruptDownloadIsRetriedFromTheNextSource() throws Exception {
        Store store = new Store(dir.resolve("store"));
        Path staged = store.stage(version, List.of(url("/cut"), url("/corrupt"), url("/missing"), url("/good")));
        assertThat(staged.getFileName().toString()).isEqualTo(version.sha256() + ".webroot");
        assertThat(Files.readAllBytes(staged)).isEqualTo(good);
        assertThat(goodHits).hasValue(1);
        assertThat(store.stage(version, List.of(url("/good")))).isEqualTo(staged);
        assertThat(goodHits).as("a staged version is not downloaded again").hasValue(1);
    }

    @Test
    void whenEverySourceFailsNothingIsStagedAndEachFailureIsNamed() throws Exception {
        Store store = new Store(dir.resolve("store"));
        assertThatThrownBy(() -> store.stage(version, List.of(url("/cut"), url("/corrupt"), url("/missing"))))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("/cut: got " + good.length / 2 + " of " + good.length + " bytes")
                .hasMessageContaining("/corrupt: SHA-256")
                .hasMessageContaining("/missing: HTTP 404");
        assertThat(store.has(version.sha256())).isFalse();
        try (var files = Files.list(store.directory())) {
            assertThat(files.toList()).as("no partial file is left behind, only the empty out-of-service file")
                    .containsExactly(store.outOfService());
        }
        assertThat(store.outOfService()).isEmptyFile();
    }

    @Test
    void aFileWithTheRightHashThatIsNoWebrootIsRefused() throws Exception {
        byte[] junk = "not a webroot at all".getBytes();
        Path file = dir.resolve("junk");
        Files.write(file, junk);
        server.createContext("/junk", exchange -> respond(exchange, junk, junk.length));
        Keys.Version fake = new Keys.Version(Digests.sha256Hex(file), junk.length, List.of());
        Store store = new Store(dir.resolve("store"));
        assertThatThrownBy(() -> store.stage(fake, List.of(url("/junk")))).hasMessageContaining("not a valid webroot");
        assertThat(store.has(fake.sha256())).isFalse();
    }

    @Test
    void pruneKeepsOnlyTheNamedVersions() throws Exception {
        Store store = new Store(dir.resolve("store"));
        store.stage(version, List.of(url("/good")));
        Path other = store.file("0".repeat(64));
        Files.write(other, new byte[] {1});
        store.prune(Set.of(version.sha256()));
        assertThat(store.has(version.sha256())).isTrue();
        assertThat(other).doesNotExist();
    }
}
