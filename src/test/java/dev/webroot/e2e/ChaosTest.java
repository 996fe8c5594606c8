package dev.webroot.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Bounded versions of the attacks {@code scripts/chaos} runs, against the real httpd on every I/O
 * model, each checking the defence that holds it while a probe of normal requests must be served:
 * slow clients of every kind (slowloris trickling header lines, a slow body, a reader holding its
 * window shut) are closed on time; ranges asking for more than the file get it once; 10,000
 * pipelined requests get the 1,000 allowed responses whole and an orderly end; random request heads
 * never get a 5xx nor fault a connection; out of descriptors, open connections are served and new
 * ones again once descriptors are free.
 */
@Timeout(120)
class ChaosTest {
    static final List<String> MODELS = Project.MODELS;
    private static final String HOST = "www.example.com";
    /** How long a normal request may take while an attack runs. */
    private static final Duration PROBE_BOUND = Duration.ofSeconds(2);
    private static final Map<String, Server> servers = new ConcurrentHashMap<>();
    private static byte[] page;
    private static byte[] big;
    private static Path vhosts;

    @BeforeAll
    static void packSite() throws Exception {
        Path work = Project.freshDirectory("chaos");
        Path site = Files.createDirectories(work.resolve("site"));
        page = ("<!doctype html><title>chaos</title>\n" + "<p>a normal page</p>\n".repeat(150)).getBytes(StandardCharsets.UTF_8);
        // Larger than any socket buffer on loopback, so a reader holding its window shut stalls the server.
        big = new byte[16 << 20];
        new Random(7).nextBytes(big);
        Files.write(site.resolve("index.html"), page);
        Files.write(site.resolve("big.bin"), big);
        Project.mkroot(site, work.resolve("site.webroot"));
        vhosts = Files.createDirectories(work.resolve("vhosts"));
        Files.createSymbolicLink(vhosts.resolve("__default__"), work.resolve("site.webroot"));
    }

    @AfterAll
    static void stopServers() {
        servers.values().forEach(Server::close);
    }

    /** One server per model for the attacks that need no process of their own: 1 s to send a head, 1 s without send progress. */
    private static Server server(String model) throws Exception {
        Server server = servers.get(model);
        if (server == null) {
            server = Server.start(vhosts, model, "--request-head-timeout", "1s", "--send-timeout", "1s");
            servers.put(model, server);
        }
        assertThat(server.process.isAlive()).as("httpd (%s) still running; log: %s", model, server.errorLog()).isTrue();
        return server;
    }

    /** Normal requests for the page on fresh connections, one every 50 ms until closed; each must be a whole 200 within {@link #PROBE_BOUND}. */
    private static final class Probe implements AutoCloseable {
        private final List<String> failures = new CopyOnWriteArrayList<>();
        private final AtomicInteger served = new AtomicInteger();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread;

        Probe(int port) {
            thread = Thread.ofPlatform().daemon().name("probe").start(() -> {
                while (!stop.get()) {
                    long started = System.nanoTime();
                    try (Http.Client client = new Http.Client(port, (int) PROBE_BOUND.toMillis())) {
                        Http.Response response = client.get(HOST, "/index.html");
                        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                        if (response.status() != 200 || !Arrays.equals(response.body(), page)) {
                            failures.add(response.statusLine() + " with " + response.body().length + " bytes");
                        } else if (millis > PROBE_BOUND.toMillis()) {
                            failures.add("answered after " + millis + " ms");
                        } else {
                            served.incrementAndGet();
                        }
                    } catch (IOException e) {
                        failures.add(e + " after " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms");
                    }
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        /** Stops the probe; every request must have been served, and at least {@code atLeast} were made. */
        void assertAllServed(int atLeast) throws InterruptedException {
            close();
            assertThat(failures).as("normal requests during the attack").isEmpty();
            assertThat(served.get()).as("normal requests served during the attack").isGreaterThanOrEqualTo(atLeast);
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join(10_000);
        }
    }

    /** A client that sent all or part of a request, whose answer a virtual thread reads to the end. */
    private static final class SlowClient {
        final Socket socket = new Socket();
        final long openedAt = System.nanoTime();
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        volatile long firstByteAt;
        volatile long endedAt;
        /** How the answer ended: "end of stream", "reset" or "timeout"; null while it runs. */
        volatile String end;
        /** When a write failed because the server had closed the connection, or 0. */
        volatile long writeFailedAt;
        long receivedBytes;

        SlowClient(int port, int receiveBuffer, String request) throws IOException {
            if (receiveBuffer > 0) {
                socket.setReceiveBufferSize(receiveBuffer);
            }
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        }

        /** Sends more bytes, unless a write already failed (the server closed the connection, and a reset came back). */
        void trickle(String bytes) {
            if (writeFailedAt != 0) {
                return;
            }
            try {
                socket.getOutputStream().write(bytes.getBytes(StandardCharsets.ISO_8859_1));
            } catch (IOException e) {
                writeFailedAt = System.nanoTime();
            }
        }

        /** Reads until the end of stream, a reset or {@code timeoutMillis} of silence, keeping the first 4 KiB. */
        void readToEnd(int timeoutMillis) {
            try (InputStream in = socket.getInputStream()) {
                socket.setSoTimeout(timeoutMillis);
                byte[] buffer = new byte[64 * 1024];
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    if (firstByteAt == 0) {
                        firstByteAt = System.nanoTime();
                    }
                    if (received.size() < 4096) {
                        received.write(buffer, 0, Math.min(n, 4096 - received.size()));
                    }
                    receivedBytes += n;
                }
                end = "end of stream";
            } catch (SocketTimeoutException e) {
                end = "timeout";
            } catch (IOException e) {
                end = "reset";
            }
            endedAt = System.nanoTime();
        }

        Thread readInBackground(int timeoutMillis) {
            return Thread.ofVirtual().start(() -> readToEnd(timeoutMillis));
        }

        String text() {
            return received.toString(StandardCharsets.ISO_8859_1);
        }

        long millisTo(long at) {
            return TimeUnit.NANOSECONDS.toMillis(at - openedAt);
        }

        void close() throws IOException {
            socket.close();
        }
    }

    /**
     * 200 slowloris clients trickling a header line every 250 ms, 50 slow bodies trickling 10 bytes
     * every 250 ms after a head announcing a megabyte, and 20 readers holding a 4 KiB window shut
     * on a 16 MiB response, all at once for 3.5 s: slowloris gets 408 at the head timeout however
     * much it trickles, a slow body gets 405 at once and the server closes its connection within the
     * 2 s lingering bound though it goes on trickling (a write then fails), a shut window is given
     * up at the send timeout, and every normal request is served.
     */
    @ParameterizedTest
    @FieldSource("MODELS")
    void slowClientsOfEveryKindAreClosedOnTimeWhileOthersAreServed(String model) throws Exception {
        Server server = server(model);
        List<SlowClient> slowloris = new ArrayList<>();
        List<SlowClient> slowBodies = new ArrayList<>();
        List<SlowClient> shutWindows = new ArrayList<>();
        List<Thread> readers = new ArrayList<>();
        try (Probe probe = new Probe(server.port)) {
            for (int i = 0; i < 200; i++) {
                SlowClient client = new SlowClient(server.port, 0, "GET /index.html HTTP/1.1\r\nHost: " + HOST + "\r\n");
                slowloris.add(client);
                readers.add(client.readInBackground(10_000));
            }
            for (int i = 0; i < 50; i++) {
                SlowClient client = new SlowClient(server.port, 0,
                        "POST /index.html HTTP/1.1\r\nHost: " + HOST + "\r\nContent-Length: 1000000\r\n\r\n");
                slowBodies.add(client);
                readers.add(client.readInBackground(10_000));
            }
            for (int i = 0; i < 20; i++) {
                shutWindows.add(new SlowClient(server.port, 4096, "GET /big.bin HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n"));
            }
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3500);
            for (int tick = 0; System.nanoTime() < until; tick++) {
                for (SlowClient client : slowloris) {
                    client.trickle("X-Slow-" + tick + ": 1\r\n");
                }
                for (SlowClient client : slowBodies) {
                    client.trickle("0123456789");
                }
                Thread.sleep(250);
            }
            for (Thread reader : readers) {
                reader.join(15_000);
            }
            for (SlowClient client : shutWindows) {
                client.readToEnd(5_000);
            }
            probe.assertAllServed(20);
        } finally {
            for (SlowClient client : slowloris) {
                client.close();
            }
            for (SlowClient client : slowBodies) {
                client.close();
            }
            for (SlowClient client : shutWindows) {
                client.close();
            }
        }
        for (SlowClient client : slowloris) {
            assertThat(client.text()).as("slowloris answer").startsWith("HTTP/1.1 408 ");
            assertThat(client.end).as("slowloris connection").isIn("end of stream", "reset");
            assertThat(client.millisTo(client.endedAt)).as("slowloris closed at the 1 s head timeout, trickling all along")
                    .isBetween(900L, 4000L);
        }
        for (SlowClient client : slowBodies) {
            assertThat(client.text()).as("slow body answer").startsWith("HTTP/1.1 405 ").contains("\r\nConnection: close\r\n");
            assertThat(client.millisTo(client.firstByteAt)).as("slow body answered at once").isLessThan(1000L);
            assertThat(client.end).as("slow body answer").isIn("end of stream", "reset");
            assertThat(client.writeFailedAt).as("the server closed a slow body it went on trickling").isNotZero();
            assertThat(client.millisTo(client.writeFailedAt)).as("slow body closed after the 2 s lingering bound").isLessThan(3500L);
        }
        for (SlowClient client : shutWindows) {
            assertThat(client.text()).as("shut window answer").startsWith("HTTP/1.1 200 ");
            assertThat(client.end).as("shut window connection, read after 3.5 s").isIn("end of stream", "reset");
            assertThat(client.receivedBytes).as("a stalled response given up at the send timeout").isLessThan(big.length);
        }
        assertThat(Http.get(server.port, HOST, "/big.bin").body()).as("the large file to a reader").isEqualTo(big);
    }

    /**
     * The Apache Killer (1,300 overlapping ranges, CVE-2011-3192) and 16 whole-file ranges from 10
     * connections at once: each is answered 200 with the file once, never a multipart response
     * larger than the file; two disjoint ranges still get 206.
     */
    @ParameterizedTest
    @FieldSource("MODELS")
    void rangesAskingForMoreThanTheFileGetItOnce(String model) throws Exception {
        Server server = server(model);
        StringBuilder killer = new StringBuilder("Range: bytes=0-");
        for (int i = 0; i < 1300; i++) {
            killer.append(",5-").append(i);
        }
        String wholeFileSixteenTimes = "Range: bytes=" + String.join(",", java.util.Collections.nCopies(16, "0-"));
        List<String> failures = new CopyOnWriteArrayList<>();
        try (Probe probe = new Probe(server.port)) {
            List<Thread> clients = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                String range = i % 2 == 0 ? killer.toString() : wholeFileSixteenTimes;
                clients.add(Thread.ofVirtual().start(() -> {
                    try {
                        Http.Response response = Http.get(server.port, HOST, "/big.bin", range);
                        if (response.status() != 200 || !Arrays.equals(response.body(), big)) {
                            failures.add(response.statusLine() + " with " + response.body().length + " bytes");
                        }
                    } catch (IOException e) {
                        failures.add(e.toString());
                    }
                }));
            }
            for (Thread client : clients) {
                client.join(30_000);
            }
            probe.assertAllServed(1);
        }
        assertThat(failures).isEmpty();
        Http.Response two = Http.get(server.port, HOST, "/big.bin", "Range: bytes=0-9,1000000-1000009");
        assertThat(two.status()).isEqualTo(206);
        assertThat(two.header("Content-Type")).startsWith("multipart/byteranges");
    }

    /**
     * 10,000 requests pipelined on one connection whose reader starts late with a 16 KiB receive
     * buffer, so that responses are still queued in the server when it stops at
     * --max-requests-per-connection: exactly 1,000 whole responses arrive, the last saying
     * Connection: close, then the end of stream. Closing with the other 9,000 requests unread
     * would make the kernel reset the connection and destroy the queued responses.
     */
    @ParameterizedTest
    @FieldSource("MODELS")
    void tenThousandPipelinedRequestsGetTheThousandAllowedResponsesWholeThenAnOrderlyEnd(String model) throws Exception {
        Server server = server(model);
        byte[] hundredRequests = Http.request("GET", HOST, "/index.html").repeat(100).getBytes(StandardCharsets.ISO_8859_1);
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(16 * 1024);
            socket.connect(new InetSocketAddress("127.0.0.1", server.port), 5_000);
            socket.setSoTimeout(10_000);
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    for (int i = 0; i < 100; i++) {
                        out.write(hundredRequests);
                    }
                } catch (IOException closed) {
                    // The server closed after its 1,000 answers; what arrived is checked below.
                }
            });
            Thread.sleep(300);
            InputStream in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            int whole = 0;
            Http.Response last = null;
            try {
                while (whole < 1000) {
                    last = Http.read(in, false);
                    assertThat(last.status()).isEqualTo(200);
                    assertThat(last.body()).isEqualTo(page);
                    whole++;
                }
            } catch (IOException e) {
                throw new AssertionError("only " + whole + " whole responses of the 1,000 allowed arrived", e);
            }
            assertThat(last.header("Connection")).as("the 1,000th response").isEqualTo("close");
            int after;
            try {
                after = in.read();
            } catch (IOException e) {
                throw new AssertionError("a reset instead of the end of stream after 1,000 responses", e);
            }
            assertThat(after).as("the end of stream after the 1,000th response").isEqualTo(-1);
            writer.join(10_000);
        }
    }

    /** Valid requests the fuzzer mutates. */
    private static final String[] TEMPLATES = {
        "GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n\r\n",
        "GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nAccept-Encoding: br;q=1, gzip;q=0.8\r\nIf-None-Match: \"x\", W/\"y\"\r\n\r\n",
        "GET /big.bin HTTP/1.1\r\nHost: www.example.com\r\nRange: bytes=0-10,-5,100-200\r\nIf-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n",
        "HEAD /index.html?q=%41 HTTP/1.0\r\nConnection: keep-alive\r\nUser-Agent: fuzz\r\n\r\n",
        "GET http://www.example.com/dir/../index.html HTTP/1.1\r\nHost: www.example.com:80\r\nIf-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT\r\n\r\n",
        "GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n\r\nGET /big.bin HTTP/1.1\r\nHost: www.example.com\r\nRange: bytes=-100\r\n\r\n",
    };
    private static final byte[] SPECIAL = {'\r', '\n', 0, ' ', '\t', ':', ',', ';', '%', '/', '.', '"', '-', '=', (byte) 0x80, (byte) 0xff, '0', '9'};
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.1 (\\d{3}) ");

    /** A template with 1 to 8 random edits: a byte replaced, inserted, deleted, a run repeated, or the head cut short. */
    static byte[] mutate(Random random) {
        byte[] b = TEMPLATES[random.nextInt(TEMPLATES.length)].getBytes(StandardCharsets.ISO_8859_1);
        for (int edits = 1 + random.nextInt(8); edits > 0; edits--) {
            int at = random.nextInt(b.length);
            byte value = random.nextBoolean() ? SPECIAL[random.nextInt(SPECIAL.length)] : (byte) random.nextInt(256);
            switch (random.nextInt(5)) {
                case 0 -> b[at] = value;
                case 1 -> {
                    byte[] n = new byte[b.length + 1];
                    System.arraycopy(b, 0, n, 0, at);
                    n[at] = value;
                    System.arraycopy(b, at, n, at + 1, b.length - at);
                    b = n;
                }
                case 2 -> {
                    int length = Math.min(b.length - at, 1 + random.nextInt(8));
                    byte[] n = new byte[b.length - length];
                    System.arraycopy(b, 0, n, 0, at);
                    System.arraycopy(b, at + length, n, at, b.length - at - length);
                    b = n;
                }
                case 3 -> {
                    int length = Math.min(b.length - at, 1 + random.nextInt(16));
                    int times = 1 + random.nextInt(random.nextInt(10) == 0 ? 2000 : 4);
                    byte[] n = new byte[b.length + length * times];
                    System.arraycopy(b, 0, n, 0, at + length);
                    for (int t = 1; t <= times; t++) {
                        System.arraycopy(b, at, n, at + length * t, length);
                    }
                    System.arraycopy(b, at + length, n, at + length * (times + 1), b.length - at - length);
                    b = n;
                }
                default -> b = Arrays.copyOf(b, Math.max(1, at));
            }
            if (b.length == 0) {
                b = new byte[] {value};
            }
        }
        return b;
    }

    /**
     * 2 s of random request heads from 4 clients, each on a new connection whose output is shut
     * after the head: every answer is a run of well-formed status lines with no 500, 502, 503 or
     * 504 (501 and 505 are answers to fuzzed methods and versions), nothing in the error log says a
     * connection failed, and every normal request is served meanwhile.
     */
    @ParameterizedTest
    @FieldSource("MODELS")
    void randomRequestHeadsNeverGetAServerErrorNorFaultAConnection(String model) throws Exception {
        Server server = server(model);
        long seed = System.nanoTime();
        AtomicLongArray byClass = new AtomicLongArray(6);
        List<String> failures = new CopyOnWriteArrayList<>();
        AtomicInteger sent = new AtomicInteger();
        int logLinesBefore = server.errorLog().size();
        try (Probe probe = new Probe(server.port)) {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            List<Thread> fuzzers = new ArrayList<>();
            for (int f = 0; f < 4; f++) {
                Random random = new Random(seed + f);
                fuzzers.add(Thread.ofPlatform().start(() -> {
                    while (System.nanoTime() < until && failures.size() < 10) {
                        byte[] request = mutate(random);
                        sent.incrementAndGet();
                        String answer;
                        try {
                            answer = exchange(server.port, request);
                        } catch (IOException e) {
                            failures.add(e + " for " + printable(request));
                            continue;
                        }
                        Matcher status = STATUS_LINE.matcher(answer);
                        for (int at = 0; at < answer.length() && status.find(at); at = status.end()) {
                            int code = Integer.parseInt(status.group(1));
                            byClass.incrementAndGet(code / 100);
                            if (code / 100 == 5 && code != 501 && code != 505) {
                                failures.add(code + " for " + printable(request));
                            }
                        }
                        if (!answer.isEmpty() && !answer.startsWith("HTTP/1.1 ")) {
                            failures.add("not a status line: " + printable(answer.getBytes(StandardCharsets.ISO_8859_1)));
                        }
                    }
                }));
            }
            for (Thread fuzzer : fuzzers) {
                fuzzer.join(30_000);
            }
            probe.assertAllServed(10);
        }
        System.out.printf("%s: %d fuzzed requests (seed %d): 2xx %d, 3xx %d, 4xx %d, 5xx %d%n", model, sent.get(), seed,
                byClass.get(2), byClass.get(3), byClass.get(4), byClass.get(5));
        assertThat(failures).as("seed %d", seed).isEmpty();
        assertThat(byClass.get(4)).as("refusals").isPositive();
        List<String> log = server.errorLog();
        assertThat(log.subList(logLinesBefore, log.size())).as("faults while serving").noneMatch(line -> line.contains("closed the connection from")
                || line.contains("Exception") || line.contains("Error"));
    }

    /** Sends the bytes, shuts the output (so an incomplete head ends at once), and reads the answer to the end. */
    private static String exchange(int port, byte[] request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(5_000);
            try {
                socket.getOutputStream().write(request);
                socket.shutdownOutput();
            } catch (IOException refusedWhileSending) {
                // The server may answer and close before it has read everything; its answer is still readable.
            }
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            byte[] buffer = new byte[16 * 1024];
            try {
                for (int n; (n = socket.getInputStream().read(buffer)) >= 0; ) {
                    received.write(buffer, 0, n);
                }
            } catch (SocketTimeoutException e) {
                throw new IOException("no end of the answer within 5 s after " + received.size() + " bytes", e);
            } catch (IOException reset) {
                // A reset after the answer ends the exchange too.
            }
            return received.toString(StandardCharsets.ISO_8859_1);
        }
    }

    private static String printable(byte[] bytes) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < Math.min(bytes.length, 300); i++) {
            int b = bytes[i] & 0xff;
            text.append(b >= 0x20 && b < 0x7f && b != '\\' ? String.valueOf((char) b) : String.format("\\x%02x", b));
        }
        return text + (bytes.length > 300 ? "... (" + bytes.length + " bytes)" : "");
    }

    /**
     * httpd under {@code ulimit -n 512} lowers --max-connections to 448 with a warning; 1,200 idle
     * clients then take every slot (the rest are closed at once) while 5 keep-alive clients opened
     * before go on being served; once the idle clients leave, new clients are served within 5 s, and
     * no thread died.
     */
    @ParameterizedTest
    @FieldSource("MODELS")
    void outOfDescriptorsOpenConnectionsAreServedAndNewOnesAgainOnceTheyFree(String model) throws Exception {
        try (Server server = Server.startWithDescriptorLimit(512, vhosts, model)) {
            server.awaitLog(line -> line.contains("at most 448 connections instead of 10000"), Duration.ofSeconds(5));
            List<Http.Client> kept = new ArrayList<>();
            List<Socket> idle = new ArrayList<>();
            int connectFailures = 0;
            try {
                for (int i = 0; i < 5; i++) {
                    Http.Client client = new Http.Client(server.port, 5_000);
                    assertThat(client.get(HOST, "/index.html").body()).isEqualTo(page);
                    kept.add(client);
                }
                // A full backlog makes each further connect wait out its timeout: a few failures in a row end the flood.
                for (int i = 0, failedInARow = 0; i < 1200 && failedInARow < 3; i++) {
                    Socket socket = new Socket();
                    try {
                        socket.connect(new InetSocketAddress("127.0.0.1", server.port), 1_000);
                        idle.add(socket);
                        failedInARow = 0;
                    } catch (IOException e) {
                        socket.close();
                        connectFailures++;
                        failedInARow++;
                    }
                }
                for (int round = 0; round < 3; round++) {
                    for (Http.Client client : kept) {
                        assertThat(client.get(HOST, "/index.html").body()).as("a connection opened before").isEqualTo(page);
                    }
                    Thread.sleep(200);
                }
            } finally {
                for (Socket socket : idle) {
                    socket.close();
                }
            }
            long freed = System.nanoTime();
            while (true) {
                try {
                    Http.Response response = Http.get(server.port, HOST, "/index.html");
                    assertThat(response.body()).isEqualTo(page);
                    break;
                } catch (IOException refused) {
                    assertThat(System.nanoTime() - freed).as("served again within 5 s; log: %s", server.errorLog())
                            .isLessThan(TimeUnit.SECONDS.toNanos(5));
                    Thread.sleep(50);
                }
            }
            System.out.printf("%s: %d idle connections opened (%d connects failed), served again %d ms after they closed%n",
                    model, idle.size(), connectFailures, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - freed));
            for (Http.Client client : kept) {
                assertThat(client.get(HOST, "/index.html").body()).isEqualTo(page);
                client.close();
            }
            assertThat(server.errorLog()).noneMatch(line -> line.contains("Exception in thread") || line.contains("tzdb"));
            assertThat(server.terminate(Duration.ofSeconds(15))).isZero();
        }
    }
}
