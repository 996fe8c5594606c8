package dev.webroot.httpd.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.format.Content;
import dev.webroot.format.Encoding;
import dev.webroot.format.Webroot;
import dev.webroot.format.WebrootFormatException;
import dev.webroot.format.WebrootWriter;
import dev.webroot.format.WebrootWriter.Representation;
import dev.webroot.httpd.core.AccessLog;
import dev.webroot.httpd.core.DateSource;
import dev.webroot.httpd.core.Generation;
import dev.webroot.httpd.core.HttpConnection;
import dev.webroot.httpd.core.Limits;
import dev.webroot.httpd.core.Sites;
import dev.webroot.httpd.core.WorkspacePool;
import dev.webroot.io.Connection;
import dev.webroot.io.Output;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A seeded loop of damaged webroots (bit flips, truncations, zeroed runs, lying section tables,
 * overlapping spans, huge counts and lengths, most of them behind a recomputed index checksum):
 * each is opened; a refusal must name the file and its problem; an accepted one serves every path
 * of the original site through the protocol core and a real {@link SiteGeneration}, and every body
 * sent with an ETag must be exactly the original bytes for that ETag (or their requested range).
 */
@Timeout(120)
class MutatedWebrootServingTest {
    private static final int ROUNDS = 700;
    private static final byte[] DATE = "Sun, 06 Nov 1994 08:49:37 GMT".getBytes(StandardCharsets.US_ASCII);
    private static final DateSource DATES = () -> DATE;
    private static final String[] REQUEST_VARIANTS = {
        "", "Accept-Encoding: br, gzip, zstd\r\n", "Accept-Encoding: gzip\r\nRange: bytes=1-5000\r\n",
        "If-None-Match: \"x\"\r\nRange: bytes=0-0,-3\r\n"};

    @TempDir
    Path dir;

    private byte[] good;
    private final Map<String, byte[]> bodyByEtag = new HashMap<>();
    private final List<byte[]> notFoundBodies = new ArrayList<>();
    private final List<String> paths = new ArrayList<>();
    private long indexEnd;
    private long representations;
    private int representationCount;

    @Test
    void damagedWebrootsAreRefusedWithAReasonOrServeOnlyTheirOriginalBytes() throws IOException {
        Path original = sampleSite();
        good = Files.readAllBytes(original);
        indexEnd = le(good).getLong(32);
        representations = sectionOffset(good, 3);
        representationCount = le(good).getInt(56);
        try (Webroot w = Webroot.open(original)) {
            for (int e = 0; e < w.entryCount(); e++) {
                if (e != w.notFoundEntry()) {
                    paths.add(w.path(e));
                }
                for (int i = 0; i < w.representationCount(e); i++) {
                    int r = w.representation(e, i);
                    byte[] body = bytes(w, r);
                    if (e == w.notFoundEntry()) {
                        notFoundBodies.add(body);
                    } else {
                        bodyByEtag.put(w.etag(r), body);
                    }
                }
            }
        }
        paths.add("/missing");
        Random random = new Random(20261201);
        int accepted = 0;
        int refused = 0;
        int servedBodies = 0;
        int unavailable = 0;
        Map<String, Integer> refusals = new HashMap<>();
        for (int round = 0; round < ROUNDS; round++) {
            byte[] mutated = mutate(random);
            Path file = dir.resolve("mutated-" + round + ".webroot");
            Files.write(file, mutated);
            Webroot webroot;
            try {
                webroot = Webroot.open(file);
            } catch (WebrootFormatException e) {
                assertThat(e.getMessage()).as("round %d", round).startsWith(file + ": not a valid webroot: ");
                String problem = e.getMessage().substring((file + ": not a valid webroot: ").length());
                assertThat(problem).as("round %d names the problem", round).hasSizeGreaterThan(8);
                refusals.merge(problem.replaceAll("\\b[0-9a-f]{8}\\b|\\d+", "N"), 1, Integer::sum);
                refused++;
                Files.delete(file);
                continue;
            }
            accepted++;
            SiteGeneration generation = new SiteGeneration("site", webroot, null, new SiteGeneration.Listener() {
                @Override
                public void drained(SiteGeneration g) {}

                @Override
                public void damaged(SiteGeneration g, int representation, String problem) {}

                @Override
                public void hpackDamaged(SiteGeneration g, int representation, String problem) {}
            });
            Sites sites = (host, offset, length) -> generation.tryRetain() ? generation : null;
            WorkspacePool pool = new WorkspacePool(sites, Limits.defaults(), DATES, AccessLog.DISABLED);
            for (String path : paths) {
                for (String variant : REQUEST_VARIANTS) {
                    Response response = serve(pool, "GET " + path + " HTTP/1.1\r\nHost: site\r\n" + variant + "Connection: close\r\n\r\n");
                    servedBodies += check(round, path, variant, response) ? 1 : 0;
                    unavailable += response.status == 503 ? 1 : 0;
                }
            }
            assertThat(generation.holds()).as("round %d: every hold given back", round).isEqualTo(1);
            webroot.close();
            Files.delete(file);
        }
        System.out.printf("%d mutated webroots: %d refused, %d accepted; %d bodies served, %d answers 503%n",
                ROUNDS, refused, accepted, servedBodies, unavailable);
        refusals.entrySet().stream().sorted(Map.Entry.comparingByValue(java.util.Comparator.reverseOrder())).limit(12)
                .forEach(entry -> System.out.println("  " + entry.getValue() + "x " + entry.getKey()));
        assertThat(refused).isPositive();
        assertThat(accepted).as("some damage is only found by hashing bodies").isPositive();
        assertThat(unavailable).as("damaged bodies are answered 503").isPositive();
    }

    /** Returns whether a body was served; fails on anything but the original bytes under their ETag. */
    private boolean check(int round, String path, String variant, Response response) {
        String what = "round " + round + ": GET " + path + " " + variant.replace("\r\n", "; ");
        assertThat(response.status).as(what).isIn(200, 206, 301, 304, 404, 416, 503);
        if (response.body.length == 0) {
            return false;
        }
        String etag = response.headers.get("etag");
        if (response.status == 200 || response.status == 206) {
            assertThat(etag).as(what).isNotNull();
            byte[] expected = bodyByEtag.get(etag);
            assertThat(expected).as("%s: ETag %s is one of the original site's", what, etag).isNotNull();
            if (response.status == 200) {
                assertThat(Arrays.equals(response.body, expected)).as("%s: the body is the original bytes of its ETag", what).isTrue();
            } else {
                String range = response.headers.get("content-range");
                if (range != null) {
                    String[] span = range.substring("bytes ".length(), range.indexOf('/')).split("-");
                    int first = Integer.parseInt(span[0]);
                    int last = Integer.parseInt(span[1]);
                    assertThat(Arrays.equals(response.body, Arrays.copyOfRange(expected, first, last + 1)))
                            .as("%s: the body is the requested range of its ETag's original bytes", what).isTrue();
                } else {
                    assertThat(response.headers.get("content-type")).startsWith("multipart/byteranges");
                }
            }
            return true;
        }
        if (response.status == 404) {
            boolean builtIn = Arrays.equals(response.body, "Not Found\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(builtIn || notFoundBodies.stream().anyMatch(b -> Arrays.equals(b, response.body)))
                    .as("%s: 404 body is the original not-found page or the built-in one", what).isTrue();
            assertThat(etag).as(what).isNull();
        }
        if (response.status == 503) {
            assertThat(response.headers.get("retry-after")).as(what).isNotNull();
        }
        return false;
    }

    private byte[] mutate(Random random) {
        byte[] b = good.clone();
        boolean reseal = random.nextInt(10) < 7;
        for (int n = 1 + random.nextInt(2); n > 0; n--) {
            switch (random.nextInt(7)) {
                case 0 -> b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
                case 1 -> b[(int) indexEnd + random.nextInt(b.length - (int) indexEnd)] ^= (byte) (1 << random.nextInt(8));
                case 2 -> {
                    int at = (int) indexEnd + random.nextInt(b.length - (int) indexEnd);
                    Arrays.fill(b, at, Math.min(b.length, at + 1 + random.nextInt(600)), (byte) 0);
                }
                case 3 -> {
                    int at = 64 + random.nextInt((int) indexEnd - 64);
                    Arrays.fill(b, at, Math.min((int) indexEnd, at + 1 + random.nextInt(40)), (byte) 0);
                }
                case 4 -> {
                    // A lying section table entry: any offset or length, often huge.
                    int entry = 64 + 24 * random.nextInt(6);
                    le(b).putLong(entry + 8 + 8 * random.nextInt(2), wild(random));
                }
                case 5 -> {
                    // Overlapping spans: one representation's data placed at or across another's.
                    int r = random.nextInt(representationCount);
                    int other = random.nextInt(representationCount);
                    long otherOffset = le(b).getLong((int) representations + other * 96 + 8);
                    le(b).putLong((int) representations + r * 96 + 8, otherOffset + (random.nextBoolean() ? 0 : 4096));
                }
                case 6 -> {
                    // Huge counts and lengths in the header or in a record.
                    int[] fields = {40, 48, 52, 56};
                    if (random.nextBoolean()) {
                        le(b).putInt(fields[random.nextInt(fields.length)], (int) wild(random));
                    } else {
                        int at = (int) representations + random.nextInt(representationCount) * 96;
                        int[] recordFields = {4, 16, 64, 68, 72, 76, 80};
                        int field = recordFields[random.nextInt(recordFields.length)];
                        if (field == 16) {
                            le(b).putLong(at + field, wild(random));
                        } else {
                            le(b).putInt(at + field, (int) wild(random));
                        }
                    }
                }
                default -> {
                    // A zeroed run anywhere, such as a hole a crash left.
                    int at = random.nextInt(b.length);
                    Arrays.fill(b, at, Math.min(b.length, at + 1 + random.nextInt(5000)), (byte) 0);
                }
            }
        }
        if (random.nextInt(8) == 0) {
            b = Arrays.copyOf(b, random.nextInt(b.length));
        }
        if (reseal && b.length >= 64) {
            long end = le(b).getLong(32);
            if (end > 0 && end <= b.length) {
                le(b).putInt(28, 0);
                CRC32C crc = new CRC32C();
                crc.update(b, 0, (int) end);
                le(b).putInt(28, (int) crc.getValue());
            }
        }
        return b;
    }

    private static long wild(Random random) {
        return switch (random.nextInt(4)) {
            case 0 -> random.nextLong();
            case 1 -> (1L << random.nextInt(63)) - random.nextInt(3);
            case 2 -> random.nextInt(1 << 16);
            default -> 0xFFFFFFFFL - random.nextInt(4);
        };
    }

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static long sectionOffset(byte[] b, int id) {
        for (int i = 0; i < 6; i++) {
            if (le(b).getInt(64 + 24 * i) == id) {
                return le(b).getLong(64 + 24 * i + 8);
            }
        }
        return 0;
    }

    private static byte[] bytes(Webroot w, int representation) {
        ByteBuffer body = w.body(representation, 0, (int) w.length(representation));
        byte[] out = new byte[body.remaining()];
        body.get(out);
        return out;
    }

    /** A site with variants, shared bodies, a redirect, an empty file, a multi-page body and a not-found page. */
    private Path sampleSite() throws IOException {
        String page = "<!doctype html><title>home</title>" + "hello ".repeat(300);
        byte[] big = new byte[9000];
        new Random(7).nextBytes(big);
        WebrootWriter w = new WebrootWriter();
        List<Representation> pageReps = List.of(rep(Encoding.IDENTITY, page.getBytes(StandardCharsets.UTF_8)),
                rep(Encoding.GZIP, ("GZIP" + page).getBytes(StandardCharsets.UTF_8)),
                rep(Encoding.BR, "BR(page)".getBytes(StandardCharsets.UTF_8)));
        w.addFile("/index.html", "text/html; charset=utf-8", 1_700_000_000L, "no-cache", pageReps);
        w.addFile("/", "text/html; charset=utf-8", 1_700_000_000L, "no-cache", pageReps);
        w.addFile("/copy.html", "text/html; charset=utf-8", 1_700_000_000L, "no-cache",
                List.of(rep(Encoding.IDENTITY, page.getBytes(StandardCharsets.UTF_8))));
        w.addFile("/big.bin", "application/octet-stream", 1_700_000_001L, null, List.of(rep(Encoding.IDENTITY, big)));
        w.addFile("/app.js", "text/javascript", 1_700_000_002L, "public, max-age=31536000, immutable",
                List.of(rep(Encoding.IDENTITY, "console.log(1)".getBytes(StandardCharsets.UTF_8)),
                        rep(Encoding.ZSTD, "ZSTD(console.log(1))".getBytes(StandardCharsets.UTF_8))));
        w.addRedirect("/docs", "docs/");
        w.addFile("/docs/", "text/html", 1_700_000_003L, null, List.of(rep(Encoding.IDENTITY, "docs".getBytes(StandardCharsets.UTF_8))));
        w.addFile("/empty.txt", "text/plain", 1_700_000_004L, null, List.of(rep(Encoding.IDENTITY, new byte[0])));
        w.setNotFound("text/html", List.of(rep(Encoding.IDENTITY, "<h1>not here</h1>".getBytes(StandardCharsets.UTF_8)),
                rep(Encoding.GZIP, "GZIP(not here)".getBytes(StandardCharsets.UTF_8))));
        Path file = dir.resolve("site.webroot");
        w.write(file);
        return file;
    }

    private static Representation rep(Encoding encoding, byte[] bytes) {
        return new Representation(encoding, Content.ofBytes(bytes, encoding.token()));
    }

    private record Response(int status, Map<String, String> headers, byte[] body) {}

    /** One request on a new connection, answered in full: the exact bytes a socket would carry, parsed. */
    private static Response serve(WorkspacePool pool, String request) {
        HttpConnection connection = new HttpConnection(pool, "192.0.2.1");
        connection.opened(0);
        byte[] in = request.getBytes(StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int fed = 0;
        for (int turns = 0; turns < 10_000; turns++) {
            while (connection.nextWrite() == Connection.Operation.PROCEED) {
                Output output = connection.output();
                long n = 0;
                for (int s = 0; s < output.segmentCount(); s++) {
                    ByteBuffer buffer = output.buffer(s);
                    byte[] chunk = new byte[buffer.remaining()];
                    buffer.get(chunk);
                    out.writeBytes(chunk);
                    n += chunk.length;
                }
                connection.written(n, 0);
            }
            if (fed == in.length || connection.nextRead() != Connection.Operation.PROCEED) {
                break;
            }
            ByteBuffer buffer = connection.readBuffer();
            int n = Math.min(buffer.remaining(), in.length - fed);
            buffer.put(in, fed, n);
            connection.read(n, 0);
            fed += n;
        }
        connection.closed();
        return parse(out.toByteArray());
    }

    private static Response parse(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int headEnd = text.indexOf("\r\n\r\n");
        assertThat(headEnd).as("a whole response head in %s", text).isPositive();
        String[] lines = text.substring(0, headEnd).split("\r\n");
        int status = Integer.parseInt(lines[0].substring(9, 12));
        Map<String, String> headers = new HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).toLowerCase(java.util.Locale.ROOT), lines[i].substring(colon + 2));
        }
        byte[] body = Arrays.copyOfRange(bytes, headEnd + 4, bytes.length);
        assertThat(body.length).as("Content-Length of %s", lines[0]).isEqualTo(Integer.parseInt(headers.get("content-length")));
        return new Response(status, headers, body);
    }
}
