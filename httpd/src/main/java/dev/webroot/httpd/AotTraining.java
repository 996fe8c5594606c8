package dev.webroot.httpd;

import dev.webroot.format.Content;
import dev.webroot.format.Encoding;
import dev.webroot.format.WebrootWriter;
import dev.webroot.format.WebrootWriter.Representation;
import dev.webroot.io.IoModels;
import dev.webroot.io.IoSettings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

/**
 * The workload the launcher runs to record the JVM's ahead-of-time cache: it serves a small generated site with
 * each I/O model on a loopback port, sends it the requests clients send most, and stops. What this loads, links and
 * profiles (the command line, the vhost registry, each model's native calls, the protocol core) is then ready when
 * the real server starts, instead of being done while the first client waits.
 */
public final class AotTraining {
    private static final long TIMEOUT_SECONDS = 30;
    private static final String PAGE = "<!doctype html><title>training</title><p>" + "served ".repeat(200) + "</p>\n";
    /** Above the default sendfile threshold, so the models' large-body paths run too. */
    private static final int LARGE_BODY_BYTES = (int) IoSettings.defaults().sendfileThreshold() + 4096;
    private static final List<String> REQUESTS = List.of(
            "GET / HTTP/1.1\r\nHost: training\r\n\r\n",
            "GET /index.html HTTP/1.1\r\nHost: training\r\nAccept-Encoding: br;q=1, gzip;q=0.8\r\n\r\n",
            "GET /index.html HTTP/1.1\r\nHost: training\r\nIf-None-Match: *\r\n\r\n",
            "GET /large.bin HTTP/1.1\r\nHost: training\r\nRange: bytes=0-99,200-299\r\n\r\n",
            "HEAD /large.bin HTTP/1.1\r\nHost: training\r\n\r\n",
            "GET /missing HTTP/1.1\r\nHost: training\r\n\r\n",
            "GET /large.bin HTTP/1.1\r\nHost: training\r\n\r\n");

    /**
     * Small files beside the pages, so that opening the webroot runs the index checks often enough
     * (once per entry and model) for their profiles to be recorded: a large webroot's first open then
     * spends less time in unprofiled code.
     */
    private static final int INDEX_ENTRIES = 4000;

    /** Ends a connection: the server answers it and closes, so the client reads to the end. */
    private static final String CLOSE = "GET / HTTP/1.1\r\nHost: training\r\nConnection: close\r\n\r\n";

    private AotTraining() {}

    public static void main(String[] args) throws Exception {
        Path work = Files.createTempDirectory("httpd-aot-training");
        try {
            Path vhosts = Files.createDirectory(work.resolve("vhosts"));
            writeSite(work.resolve("site.webroot"));
            Files.createSymbolicLink(vhosts.resolve("__default__"), work.resolve("site.webroot"));
            for (String model : IoModels.NAMES) {
                train(vhosts, model, work);
            }
        } finally {
            try (Stream<Path> paths = Files.walk(work)) {
                paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    private static void writeSite(Path target) throws IOException {
        byte[] page = PAGE.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream gzipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(gzipped)) {
            gzip.write(page);
        }
        byte[] large = new byte[LARGE_BODY_BYTES];
        Arrays.fill(large, (byte) 'x');
        WebrootWriter writer = new WebrootWriter();
        writer.addFile("/index.html", "text/html; charset=utf-8", 0, "max-age=60", List.of(
                new Representation(Encoding.IDENTITY, Content.ofBytes(page, "index.html")),
                new Representation(Encoding.GZIP, Content.ofBytes(gzipped.toByteArray(), "index.html.gz"))));
        writer.addFile("/large.bin", "application/octet-stream", 0, null,
                List.of(new Representation(Encoding.IDENTITY, Content.ofBytes(large, "large.bin"))));
        for (int i = 0; i < INDEX_ENTRIES; i++) {
            byte[] body = ("file " + i + "\n").getBytes(StandardCharsets.UTF_8);
            writer.addFile("/files/" + i + ".txt", "text/plain; charset=utf-8", 0, null,
                    List.of(new Representation(Encoding.IDENTITY, Content.ofBytes(body, i + ".txt"))));
        }
        writer.write(target);
    }

    /** Serves one model until its requests are answered; a model that cannot run here is skipped. */
    private static void train(Path vhosts, String model, Path work) throws Exception {
        Settings settings = CommandLine.parse(List.of(vhosts.toString(), "--io", model, "--listen", "127.0.0.1:0",
                "--access-log", work.resolve("access.log").toString(),
                "--error-log", work.resolve("error.log").toString()));
        Httpd httpd = new Httpd(settings);
        Thread server = Thread.ofPlatform().name("training-" + model).start(httpd::serve);
        try {
            InetSocketAddress address = httpd.listening().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            exchange(address, String.join("", REQUESTS) + CLOSE);
            for (String request : REQUESTS) {
                exchange(address, request + CLOSE);
            }
        } catch (ExecutionException | TimeoutException | UncheckedIOException e) {
            System.err.println("training: skipped the " + model + " model: " + e);
        } finally {
            httpd.requestStop("the end of training");
            server.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
        }
    }

    /** Sends requests on one connection and reads until the server closes it. */
    private static void exchange(InetSocketAddress address, String requests) {
        try (Socket socket = new Socket(address.getAddress(), address.getPort())) {
            socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
            OutputStream out = socket.getOutputStream();
            out.write(requests.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
