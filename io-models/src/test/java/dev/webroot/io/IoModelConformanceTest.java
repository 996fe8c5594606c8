package dev.webroot.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.management.UnixOperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.net.ConnectException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.stream.Stream;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.FieldSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** One suite, every model, real loopback sockets. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IoModelConformanceTest {
    static final List<String> MODELS = IoModels.NAMES;
    static final long MIB = 1 << 20;
    static final long THRESHOLD = 64 * 1024;
    static final Duration IDLE = Duration.ofSeconds(5);
    static final Duration SEND = Duration.ofSeconds(5);

    @TempDir
    static Path dir;
    static TestFile file;

    @BeforeAll
    static void createFile() throws IOException {
        file = new TestFile(dir.resolve("webroot.bin"), 101 * MIB);
    }

    @AfterAll
    static void closeFile() throws IOException {
        file.close();
    }

    static IoSettings settings(int maxConnections) {
        return new IoSettings(2, maxConnections, THRESHOLD, Duration.ofSeconds(5));
    }

    static TestServer server(String model) throws IOException {
        return new TestServer(model, settings(2000), file, IDLE, SEND);
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void answersSpansWithExactBytes(String model) throws Exception {
        long[][] spans = {{100, 0}, {10, 4097}, {300_000, 4096}, {200_000, 12_345}, {THRESHOLD, 3 * MIB + 1}};
        try (TestServer server = server(model); LineClient client = new LineClient(server.address)) {
            for (long[] span : spans) {
                assertServes(client, span[0], span[1]);
            }
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void sendsHundredMegabytesIntact(String model) throws Exception {
        long length = 100 * MIB;
        try (TestServer server = server(model); LineClient client = new LineClient(server.address)) {
            client.send("GET " + length + " 4096\n");
            assertThat(client.readLine()).isEqualTo("OK " + length);
            assertThat(client.readDigest(length, 1 << 16, 0)).isEqualTo(file.sha256(4096, length));
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void answersPipelinedRequestsInOrder(String model) throws Exception {
        try (TestServer server = server(model); LineClient client = new LineClient(server.address)) {
            client.send("GET 10 0\nGET 70000 5\nGET 3 99\n");
            for (long[] span : new long[][] {{10, 0}, {70_000, 5}, {3, 99}}) {
                assertAnswer(client, span[0], span[1]);
            }
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void waitsForWritabilityWithoutSpinning(String model) throws Exception {
        long length = 6 * MIB;
        try (TestServer server = server(model); LineClient client = new LineClient(server.address, 16 * 1024)) {
            client.send("GET " + length + " 0\n");
            assertThat(client.readLine()).isEqualTo("OK " + length);
            assertThat(client.readDigest(length, 64 * 1024, 3)).isEqualTo(file.sha256(0, length));
            LineConnection.Record record = server.connections().getFirst().record;
            assertThat(record.outputCalls.get())
                    .as("write attempts against %s successful writes", record.writtenCalls.get())
                    .isLessThanOrEqualTo(2 * record.writtenCalls.get() + 8);
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void servesThousandConcurrentConnections(String model) throws Exception {
        int count = 1000;
        try (TestServer server = server(model);
                ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<LineClient> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < count; i++) {
                    sockets.add(new LineClient(server.address));
                }
                List<Future<byte[]>> answers = new ArrayList<>();
                for (LineClient client : sockets) {
                    answers.add(clients.submit(() -> {
                        client.send("GET 1000 777\n");
                        assertThat(client.readLine()).isEqualTo("OK 1000");
                        return client.readBytes(1000);
                    }));
                }
                byte[] expected = file.bytes(777, 1000);
                for (Future<byte[]> answer : answers) {
                    assertThat(answer.get(30, TimeUnit.SECONDS)).isEqualTo(expected);
                }
                assertThat(server.model.openConnections()).isEqualTo(count);
            } finally {
                for (LineClient client : sockets) {
                    client.close();
                }
            }
            awaitTrue(() -> server.model.openConnections() == 0, "all connections closed after the clients left");
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void aConnectionThatFailsAsItOpensIsClosedAndTheLoopServesOn(String model) throws Exception {
        try (TestServer server = new TestServer(model, new IoSettings(1, 10, THRESHOLD, Duration.ofSeconds(5)), file,
                IDLE, SEND)) {
            server.failNextOpen();
            try (LineClient doomed = new LineClient(server.address)) {
                assertThat(doomed.drainToEnd()).isZero();
            }
            try (LineClient client = new LineClient(server.address)) {
                assertServes(client, 1000, 4096);
            }
            awaitTrue(() -> server.model.openConnections() == 0, "both connections closed");
        }
    }

    static Stream<Arguments> modelsAndFailingCalls() {
        return MODELS.stream().flatMap(model -> Stream.of("read", "output", "written").map(call -> Arguments.of(model, call)));
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("modelsAndFailingCalls")
    void aConnectionThatRaisesAnInternalErrorIsClosedLoggedOnceAndTheNextClientServed(String model, String call)
            throws Exception {
        try (LogCapture log = new LogCapture();
                TestServer server = new TestServer(model, new IoSettings(1, 10, THRESHOLD, Duration.ofSeconds(5)), file,
                        IDLE, SEND)) {
            // What a read of a mapping whose file was truncated under it raises.
            server.failNext(call, new InternalError("a fault occurred in an unsafe memory access operation"));
            String doomedPeer;
            try (LineClient doomed = new LineClient(server.address)) {
                doomedPeer = "127.0.0.1:" + doomed.socket.getLocalPort();
                doomed.send("GET 1000 4096\n");
                assertThat(doomed.drainToEnd()).isLessThanOrEqualTo(1000 + "OK 1000\n".length());
            }
            try (LineClient client = new LineClient(server.address)) {
                assertServes(client, 1000, 4096);
                assertServes(client, 2 * THRESHOLD, 0);
            }
            awaitTrue(() -> server.model.openConnections() == 0, "both connections closed");
            // The loop logs after it has released the connection: the line may follow the count.
            awaitTrue(() -> !log.linesContaining("InternalError").isEmpty(), "the failure logged");
            assertThat(log.linesContaining("InternalError")).singleElement().asString()
                    .contains(doomedPeer).contains("a fault occurred");
        }
    }

    /**
     * A large span copied from a mapping whose file ends inside it (a file truncated under a live
     * mapping): the bytes before the end go out, then the connection is closed at once, neither
     * left waiting for a socket that never fills up nor completed with other bytes; the loop serves
     * the next client. The models that send spans from the file itself are not in it (their file
     * here is the untruncated test file; the next test truncates the file itself).
     */
    @ParameterizedTest
    @ValueSource(strings = {"sync", "epoll"})
    void aSpanPastTheEndOfItsMappedFileIsCutAndTheLoopServesOn(String model) throws Exception {
        Path shortened = dir.resolve("shortened-" + model + ".bin");
        try (FileChannel sparse = FileChannel.open(shortened, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            sparse.write(ByteBuffer.allocate(1), file.mapping.byteSize() - 1);
        }
        long span = 12 * MIB;
        try (TestServer server = new TestServer(model, "127.0.0.1", settings(10), file, IDLE, SEND, file.path, null,
                shortened)) {
            try (FileChannel truncating = FileChannel.open(shortened, StandardOpenOption.WRITE)) {
                truncating.truncate(8 * MIB);
            }
            assertCutAtOnce(server, span);
            try (LineClient client = new LineClient(server.address)) {
                client.send("GET 1000 4096\n");
                assertThat(client.readLine()).isEqualTo("OK 1000");
                assertThat(client.readBytes(1000)).as("the shortened file is sparse").isEqualTo(new byte[1000]);
            }
        }
    }

    /**
     * Asks for a span longer than the socket takes at once, so that the end of the file is met on a
     * later send: the answer is cut and the connection closed at once, not at a timeout.
     */
    private static void assertCutAtOnce(TestServer server, long span) throws IOException {
        try (LineClient doomed = new LineClient(server.address)) {
            doomed.send("GET " + span + " 0\n");
            long started = System.nanoTime();
            int received = doomed.drainToEnd();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).as("closed at once, not at a timeout")
                    .isLessThan(2000);
            assertThat(received).as("the answer cut").isLessThan((int) span + ("OK " + span + "\n").length());
        }
    }

    /**
     * A file truncated under a large span, the file itself and its mapping: every model cuts the
     * answer at once and serves the next client, and meets the end as an I/O error, never as a
     * fault of the mapping (the async model once copied from it and could meet the fault inside the
     * channel's write, which then left the channel unclosable and its thread hung).
     */
    @ParameterizedTest
    @FieldSource("MODELS")
    void aFileTruncatedUnderALargeSpanCutsTheAnswerWithoutAFault(String model) throws Exception {
        long span = 12 * MIB;
        try (TestFile truncated = new TestFile(dir.resolve("truncated-" + model + ".bin"), 16 * MIB);
                LogCapture log = new LogCapture();
                TestServer server = new TestServer(model, settings(10), truncated, IDLE, SEND)) {
            try (FileChannel truncating = FileChannel.open(truncated.path, StandardOpenOption.WRITE)) {
                truncating.truncate(8 * MIB);
            }
            assertCutAtOnce(server, span);
            try (LineClient client = new LineClient(server.address)) {
                assertServes(client, 1000, 4096);
            }
            awaitTrue(() -> server.model.openConnections() == 0, "both connections closed");
            // A failure is logged just after its connection is released.
            Thread.sleep(300);
            assertThat(log.linesContaining("InternalError")).as("no fault of the mapping").isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("modelsAndFatalFailures")
    void anOutOfMemoryErrorGoesToTheLoopFailureHandler(String model, String where) throws Exception {
        record Failure(String thread, Throwable cause) {}
        BlockingQueue<Failure> failures = new LinkedBlockingQueue<>();
        IoSettings settings = new IoSettings(1, 10, THRESHOLD, Duration.ofSeconds(1))
                .withLoopFailure((thread, cause) -> failures.add(new Failure(thread, cause)));
        OutOfMemoryError error = new OutOfMemoryError("simulated");
        try (TestServer server = new TestServer(model, settings, file, IDLE, SEND)) {
            if (where.equals("factory")) {
                server.failNextFactoryCall(error);
            } else {
                server.failNext(where, error);
            }
            try (LineClient doomed = new LineClient(server.address)) {
                doomed.send("GET 10 0\n");
                doomed.drainToEnd();
            }
            Failure failure = failures.poll(10, TimeUnit.SECONDS);
            assertThat(failure).as("the handler was called").isNotNull();
            assertThat(failure.cause()).isSameAs(error);
            assertThat(failure.thread()).startsWith("io-" + model);
            // This handler returns instead of ending the process: the model serves on and shuts down in time.
            try (LineClient client = new LineClient(server.address)) {
                assertServes(client, 10, 0);
            }
            long start = System.nanoTime();
            server.shutdown();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
            assertThat(failures).isEmpty();
        }
    }

    static Stream<Arguments> modelsAndFatalFailures() {
        return MODELS.stream().flatMap(model -> Stream.of("factory", "read").map(where -> Arguments.of(model, where)));
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void closingWithUnreadInputDeliversEveryQueuedByteThenTheEnd(String model) throws Exception {
        int length = 1 << 20;
        try (TestServer server = server(model)) {
            server.maxRequests(2);
            LineClient client = new LineClient(server.address, 16 * 1024);
            // Three requests where two are answered, then more input the server never reads as requests.
            client.send("GET " + length + " 0\nGET " + length + " 4096\nGET " + length + " 8192\n");
            String filler = "GET 1 0\n".repeat(512);
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < 16; i++) {
                        client.send(filler);
                        Thread.sleep(20);
                    }
                } catch (IOException | InterruptedException e) {
                    // the server closed; what was read so far is checked below
                }
            });
            for (long offset : new long[] {0, 4096}) {
                assertThat(client.readLine()).isEqualTo("OK " + length);
                assertThat(client.readDigest(length, 64 * 1024, 5)).as("response at %d", offset)
                        .isEqualTo(file.sha256(offset, length));
            }
            writer.join(10_000);
            assertThat(client.socket.getInputStream().read()).as("an end of stream, not a reset").isEqualTo(-1);
            client.close();
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void closesAtOnceWhenTheEndOfInputArrivesWithTheRequest(String model) throws Exception {
        // Many clients at once, so that request and end of input often reach a busy loop together.
        int clients = 40;
        try (TestServer server = new TestServer(model, settings(clients), file, IDLE, SEND)) {
            List<LineClient> open = new ArrayList<>();
            try {
                for (int i = 0; i < clients; i++) {
                    open.add(new LineClient(server.address));
                }
                for (LineClient client : open) {
                    client.send("GET 100000 4096\n");
                    client.socket.shutdownOutput();
                }
                long start = System.nanoTime();
                for (LineClient client : open) {
                    assertAnswer(client, 100000, 4096);
                    assertThat(client.drainToEnd()).isZero();
                }
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
                        .as("closed once the answers were sent, not at the idle timeout").isLessThan(IDLE.toMillis() / 2);
            } finally {
                for (LineClient client : open) {
                    client.close();
                }
            }
        }
    }

    @Test
    void epollClosesAtOnceWhenThePeerSaysItSendsNothingMore() throws Exception {
        try (TestServer server = server("epoll"); LineClient client = new LineClient(server.address)) {
            client.send("GET 10 0\nCLOSE\n");
            assertAnswer(client, 10, 0);
            assertThat(client.drainToEnd()).isZero();
            // The client keeps its socket open: a lingering server would hold the connection for seconds.
            long start = System.nanoTime();
            awaitTrue(() -> server.model.openConnections() == 0, "the connection closed without lingering");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("lingering lasts 2 s").isLessThan(Duration.ofSeconds(1));
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void aPeerThatSaysItIsDoneButLeftInputUnreadStillGetsItsWholeAnswer(String model) throws Exception {
        int length = 1 << 20;
        try (TestServer server = server(model); LineClient client = new LineClient(server.address, 16 * 1024)) {
            // Input the server never reads as requests sits in the socket when it closes: closing outright
            // would make the kernel reset the connection under the answer.
            client.send("GET " + length + " 0\nCLOSE\n" + "NOP\n".repeat(16 * 1024));
            assertThat(client.readLine()).isEqualTo("OK " + length);
            assertThat(client.readDigest(length, 64 * 1024, 5)).isEqualTo(file.sha256(0, length));
            assertThat(client.socket.getInputStream().read()).as("an end of stream, not a reset").isEqualTo(-1);
        }
    }

    /**
     * A connection is accepted with its first bytes, so a peer that connects and sends nothing
     * holds no connection of the server's; the kernel hands it over anyway about a second later,
     * and the idle limit then applies.
     */
    @ParameterizedTest
    @FieldSource("MODELS")
    void aConnectionIsAcceptedWithItsFirstBytes(String model) throws Exception {
        try (TestServer server = new TestServer(model, settings(100), file, Duration.ofMillis(400), SEND);
                LineClient silent = new LineClient(server.address);
                LineClient speaking = new LineClient(server.address)) {
            Thread.sleep(300);
            assertThat(server.connections()).as("connected, nothing sent: not accepted yet").isEmpty();
            speaking.send("GET 5 0\n");
            assertThat(speaking.readLine()).isEqualTo("OK 5");
            assertThat(server.connections()).hasSize(1);
            long start = System.nanoTime();
            assertThat(silent.readLine()).isEqualTo("TIMEOUT");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("handed over, then timed out")
                    .isLessThan(5_000);
            assertThat(server.connections()).hasSize(2);
        }
    }

    /** The kernel hands over a silent connection at last: its first turn reads nothing, and its request later is served. */
    @ParameterizedTest
    @FieldSource("MODELS")
    void aConnectionHandedOverBeforeItsFirstBytesIsServedWhenTheyArrive(String model) throws Exception {
        try (TestServer server = new TestServer(model, settings(100), file, Duration.ofSeconds(20), SEND);
                LineClient late = new LineClient(server.address)) {
            awaitTrue(() -> server.connections().size() == 1, "the silent connection handed over");
            assertServes(late, 5, 0);
            assertServes(late, 7, 3);
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void closesIdleConnectionOnTimeWhileServingOthers(String model) throws Exception {
        Duration idle = Duration.ofMillis(400);
        try (TestServer server = new TestServer(model, settings(100), file, idle, SEND)) {
            // Before the connect: the idle deadline runs from when the server opens the connection.
            long start = System.nanoTime();
            try (LineClient idler = new LineClient(server.address);
                    LineClient busy = new LineClient(server.address)) {
                // A first byte, so that the connection is accepted at once (accepts are deferred
                // until a connection's first bytes); then nothing more.
                idler.send("G");
                AtomicLong closedAt = new AtomicLong();
                Future<String> idlerEnd = Executors.newVirtualThreadPerTaskExecutor().submit(() -> {
                    String line = idler.readLine();
                    closedAt.set(System.nanoTime());
                    idler.drainToEnd();
                    return line;
                });
                long end = start + Duration.ofMillis(1200).toNanos();
                int requests = 0;
                while (System.nanoTime() < end) {
                    assertServes(busy, 5000, 1);
                    requests++;
                    Thread.sleep(50);
                }
                assertThat(idlerEnd.get(5, TimeUnit.SECONDS)).isEqualTo("TIMEOUT");
                long closedAfter = TimeUnit.NANOSECONDS.toMillis(closedAt.get() - start);
                assertThat(closedAfter).as("timed out after the idle limit, not long after")
                        .isBetween(idle.toMillis(), idle.toMillis() + 1000);
                assertThat(requests).isGreaterThan(5);
                awaitTrue(() -> server.connections().stream().anyMatch(c -> c.record.closed.get() == 1),
                        "the idle connection closed");
                assertThat(server.connections()).filteredOn(c -> c.record.timedOut.get() > 0).hasSize(1);
                assertServes(busy, 7, 7);
            }
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void closesStalledReaderWhenSendDeadlinePasses(String model) throws Exception {
        Duration send = Duration.ofMillis(300);
        try (TestServer server = new TestServer(model, settings(100), file, IDLE, send);
                LineClient stalled = new LineClient(server.address, 16 * 1024)) {
            stalled.send("GET " + 50 * MIB + " 0\n");
            assertThat(stalled.readLine()).isEqualTo("OK " + 50 * MIB);
            long start = System.nanoTime();
            LineClient other = new LineClient(server.address);
            awaitTrue(() -> server.connections().getFirst().record.closed.get() == 1, "the stalled connection closed");
            long closedAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(closedAfter).isBetween(send.toMillis() - 50, 3000L);
            assertThat(server.connections().getFirst().record.timedOut).hasValue(1);
            assertServes(other, 300_000, 1);
            assertThat(stalled.drainToEnd()).isLessThan((int) (50 * MIB));
            other.close();
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void enforcesMaxConnections(String model) throws Exception {
        try (TestServer server = new TestServer(model, settings(2), file, IDLE, SEND)) {
            LineClient first = new LineClient(server.address);
            try (LineClient second = new LineClient(server.address)) {
                for (LineClient client : List.of(first, second)) {
                    assertServes(client, 1, 0);
                }
                try (LineClient refused = new LineClient(server.address)) {
                    assertThat(refused.drainToEnd()).isZero();
                }
                first.close();
                awaitTrue(() -> server.model.openConnections() == 1, "a slot freed");
                try (LineClient third = new LineClient(server.address)) {
                    assertServes(third, 2, 0);
                }
            }
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void survivesPeerResetMidTransfer(String model) throws Exception {
        try (TestServer server = server(model)) {
            try (LineClient resetter = new LineClient(server.address)) {
                resetter.send("GET " + 50 * MIB + " 0\n");
                assertThat(resetter.readLine()).startsWith("OK");
                resetter.readBytes(1 << 20);
                resetter.socket.setSoLinger(true, 0);
            }
            awaitTrue(() -> server.connections().getFirst().record.closed.get() == 1, "the reset connection closed");
            try (LineClient next = new LineClient(server.address)) {
                assertServes(next, 300_000, 0);
            }
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void shutdownFinishesInFlightOutputAndClosesIdleConnections(String model) throws Exception {
        long length = 50 * MIB;
        try (TestServer server = server(model);
                LineClient loader = new LineClient(server.address);
                LineClient idler = new LineClient(server.address)) {
            assertServes(idler, 1, 0);
            loader.send("GET " + length + " 0\n");
            assertThat(loader.readLine()).isEqualTo("OK " + length);
            byte[] head = loader.readBytes(1 << 20);
            Thread shutdown = Thread.ofPlatform().start(server::shutdown);
            long start = System.nanoTime();
            assertThat(idler.drainToEnd()).isZero();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(2000);
            assertThat(head).isEqualTo(file.bytes(0, 1 << 20));
            assertThat(loader.readDigest(length - head.length, 1 << 16, 0))
                    .isEqualTo(file.sha256(head.length, length - head.length));
            assertThat(loader.drainToEnd()).isZero();
            shutdown.join(10_000);
            assertThat(shutdown.isAlive()).isFalse();
            assertThatThrownBy(() -> new LineClient(server.address)).isInstanceOf(ConnectException.class);
        }
    }

    /**
     * A mapping that agrees with the file in its first block (which the direct model compares) and
     * reads zeros after it: what a model copies from the mapping is zeros, what it sends from the
     * file itself (transferTo, O_DIRECT) is the file's bytes.
     */
    static Path decoy() throws IOException {
        Path decoy = dir.resolve("decoy.bin");
        if (!Files.exists(decoy)) {
            try (FileChannel out = FileChannel.open(decoy, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                out.write(ByteBuffer.wrap(file.bytes(0, 4096)), 0);
                out.write(ByteBuffer.wrap(new byte[1]), file.mapping.byteSize() - 1);
            }
        }
        return decoy;
    }

    /** The async model reads every span from the file (see {@code AsyncDriver}); the others copy small ones. */
    @ParameterizedTest
    @ValueSource(strings = {"sendfile", "direct", "async"})
    void largeFileSpansLeaveFromTheFileNotByCopyingTheMapping(String model) throws Exception {
        long large = 2 * THRESHOLD + 12_345;
        try (TestServer server = new TestServer(model, "127.0.0.1", settings(10), file, IDLE, SEND, file.path, null,
                decoy()); LineClient client = new LineClient(server.address)) {
            client.send("GET 1000 8192\n");
            assertThat(client.readLine()).isEqualTo("OK 1000");
            if (model.equals("async")) {
                assertThat(client.readBytes(1000)).as("a small span, from the file").isEqualTo(file.bytes(8192, 1000));
            } else {
                assertThat(client.readBytes(1000)).as("a small span, copied from the mapping").isEqualTo(new byte[1000]);
            }
            for (long offset : new long[] {8192, 3 * MIB + 1}) {
                client.send("GET " + large + " " + offset + "\n");
                assertThat(client.readLine()).isEqualTo("OK " + large);
                assertThat(client.readDigest(large, 1 << 16, 0)).as("a large span at %d, from the file", offset)
                        .isEqualTo(file.sha256(offset, large));
            }
            if (model.equals("direct")) {
                assertThat(openedWithDirectIo(file.path)).as("a descriptor of the file opened with O_DIRECT").isTrue();
            }
        }
    }

    /**
     * sendfile queues the file's pages themselves: until the loopback client has read a large span,
     * its bytes have not left this host, and an in-place write to the file would change them. The
     * client's receive buffer holds the whole span, so the server's send queue empties at once and
     * only the client's receive queue shows the bytes undelivered.
     */
    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void sendfileReportsFilePagesUndeliveredUntilThePeerHasReadThem(String host) throws Exception {
        long large = 2 * THRESHOLD;
        try (TestServer server = new TestServer("sendfile", host, settings(10), file, IDLE, SEND, file.path);
                LineClient client = new LineClient(server.address, 4 << 20)) {
            client.send("GET " + large + " 8192\n");
            assertThat(client.readLine()).isEqualTo("OK " + large);
            Thread.sleep(200);
            assertThat(server.model.awaitFilePagesDelivered(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300)))
                    .as("the body is still unread").isFalse();
            assertThat(client.readDigest(large, 1 << 16, 0)).isEqualTo(file.sha256(8192, large));
            assertThat(server.model.awaitFilePagesDelivered(System.nanoTime() + TimeUnit.SECONDS.toNanos(5)))
                    .as("the body has been read").isTrue();
        }
    }

    /**
     * A reader that reads nothing gets the cap of unsent bytes plus what its window takes, not a
     * socket buffer that grows to megabytes of copies (on loopback it does at once). The JDK-channel
     * models set the cap on a descriptor they find by its address.
     */
    @ParameterizedTest
    @FieldSource("MODELS")
    void aReaderThatDoesNotReadGetsBoundedBytesQueued(String model) throws Exception {
        try (TestServer server = new TestServer(model, settings(10), file, IDLE, SEND);
                LineClient client = new LineClient(server.address, 16 << 10)) {
            client.send("GET " + 64 * MIB + " 0\n");
            assertThat(client.readLine()).isEqualTo("OK " + 64 * MIB);
            Thread.sleep(300);
            long queued = sendQueue(server.address.getPort(), client.socket.getLocalPort());
            assertThat(queued).as("bytes queued in the server's socket").isPositive().isLessThan(512 << 10);
        }
    }

    /**
     * The send queue of the socket from {@code localPort} to {@code remotePort}, from /proc/net/tcp
     * (or tcp6: the JDK opens dual-stack sockets).
     */
    private static long sendQueue(int localPort, int remotePort) throws IOException {
        String ports = String.format(":%04X .*:%04X ", localPort, remotePort);
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            for (String line : Files.readAllLines(Path.of(table))) {
                String[] fields = line.trim().split("\\s+");
                if ((fields[1] + " " + fields[2] + " ").matches(".*" + ports)) {
                    return Long.parseLong(fields[4].substring(0, fields[4].indexOf(':')), 16);
                }
            }
        }
        throw new AssertionError("no socket from port " + localPort + " to " + remotePort + " in /proc/net/tcp or tcp6");
    }

    @ParameterizedTest
    @ValueSource(strings = {"sync", "async", "direct", "epoll"})
    void copyingModelsHaveNoFilePagesToDeliver(String model) throws Exception {
        long large = 4 * THRESHOLD;
        try (TestServer server = server(model); LineClient client = new LineClient(server.address)) {
            client.send("GET " + large + " 8192\n");
            assertThat(client.readLine()).isEqualTo("OK " + large);
            assertThat(server.model.awaitFilePagesDelivered(System.nanoTime())).as("unread bytes are copies").isTrue();
        }
    }

    /** Whether this process holds a descriptor of {@code path} whose flags (/proc/self/fdinfo) include O_DIRECT. */
    private static boolean openedWithDirectIo(Path path) throws IOException {
        int directFlag = "aarch64".equals(System.getProperty("os.arch")) ? 0200000 : 040000;
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    if (Files.readSymbolicLink(fd).equals(path.toRealPath())) {
                        for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo", fd.getFileName().toString()))) {
                            if (line.startsWith("flags:") && (Integer.parseInt(line.substring(6).trim(), 8) & directFlag) != 0) {
                                return true;
                            }
                        }
                    }
                } catch (IOException closedMeanwhile) {
                    // a descriptor that went away while listing
                }
            }
        }
        return false;
    }

    @ParameterizedTest
    @ValueSource(strings = {"sync", "epoll"})
    void copyingModelsSendLargeFileSpansFromTheMapping(String model) throws Exception {
        long large = 2 * THRESHOLD;
        try (TestServer server = new TestServer(model, "127.0.0.1", settings(10), file, IDLE, SEND, file.path, null,
                decoy()); LineClient client = new LineClient(server.address)) {
            client.send("GET " + large + " 8192\n");
            assertThat(client.readLine()).isEqualTo("OK " + large);
            assertThat(client.readBytes((int) large)).isEqualTo(new byte[(int) large]);
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void shutdownEndsWithinTheGracePeriodWhateverTheConnectionsDo(String model) throws Exception {
        Duration grace = Duration.ofMillis(500);
        TestServer server = new TestServer(model, new IoSettings(2, 10, THRESHOLD, grace), file, IDLE, SEND);
        server.maxRequests(1);
        try (LineClient stalled = new LineClient(server.address, 16 * 1024);
                LineClient lingering = new LineClient(server.address);
                LineClient idle = new LineClient(server.address)) {
            stalled.send("GET " + 50 * MIB + " 0\n");
            assertThat(stalled.readLine()).isEqualTo("OK " + 50 * MIB);
            // Answered once, then closed with more input unread: the socket lingers, the peer keeps it open.
            lingering.send("GET 10 0\nGET 10 0\n");
            assertThat(lingering.readLine()).isEqualTo("OK 10");
            assertThat(lingering.readBytes(10)).hasSize(10);
            idle.send("GET 1 0\n");
            assertThat(idle.readLine()).isEqualTo("OK 1");
            long start = System.nanoTime();
            server.shutdown();
            // The bound is grace + 0.9 s; the rest is room for a loaded machine.
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(grace.plusSeconds(2));
        }
        server.close();
    }

    @Test
    void directModelCopiesFromTheMappingWhenDirectIoIsUnavailable() throws Exception {
        Path unopenable = dir.resolve("not-there.bin");
        try (TestServer server = new TestServer("direct", settings(100), file, IDLE, SEND, unopenable);
                LineClient client = new LineClient(server.address)) {
            assertServes(client, 300_000, 12_345);
            assertServes(client, 2 * THRESHOLD, 0);
        }
    }

    @Test
    void directModelReadsOnlyTheMappedFileNotAnotherOfTheSameSizeAtItsPath() throws Exception {
        Path impostor = dir.resolve("impostor.bin");
        try (FileChannel out = FileChannel.open(impostor, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            out.write(ByteBuffer.wrap(new byte[] {1}), file.mapping.byteSize() - 1);
        }
        try (TestServer server = new TestServer("direct", settings(100), file, IDLE, SEND, impostor);
                LineClient client = new LineClient(server.address)) {
            assertServes(client, 300_000, 12_345);
            assertServes(client, 2 * THRESHOLD, 0);
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void servesOverIpv6Loopback(String model) throws Exception {
        try (ServerSocketChannel probe = ServerSocketChannel.open()) {
            probe.bind(new InetSocketAddress("::1", 0));
        } catch (IOException e) {
            assumeTrue(false, "no IPv6 loopback here: " + e.getMessage());
        }
        try (TestServer server = new TestServer(model, "::1", settings(10), file, IDLE, SEND, file.path);
                LineClient client = new LineClient(server.address)) {
            assertThat(server.address.getAddress().getHostAddress()).isEqualTo("0:0:0:0:0:0:0:1");
            assertServes(client, 1000, 4096);
            assertThat(server.remotes()).containsExactly("0:0:0:0:0:0:0:1:" + client.socket.getLocalPort());
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void failedBindLeavesNothingOpen(String model) throws Exception {
        try (ServerSocketChannel taken = ServerSocketChannel.open()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            InetSocketAddress address = (InetSocketAddress) taken.getLocalAddress();
            long before = openDescriptors();
            for (int i = 0; i < 20; i++) {
                IoModel failing = IoModels.create(model, settings(10));
                assertThatThrownBy(() -> failing.bind(address, 16, remote -> null)).isInstanceOf(IOException.class);
            }
            assertThat(openDescriptors()).isLessThan(before + 10);
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void aFailedSecondBindShutsTheModelDownWithTheFirstListenerClosed(String model) throws Exception {
        try (ServerSocketChannel taken = ServerSocketChannel.open()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            IoModel failing = IoModels.create(model, settings(10));
            InetSocketAddress first = failing.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16,
                    remote -> null);
            assertThatThrownBy(() -> failing.bind((InetSocketAddress) taken.getLocalAddress(), 16, remote -> null))
                    .isInstanceOf(IOException.class);
            assertThatThrownBy(failing::start).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> new LineClient(first)).isInstanceOf(ConnectException.class);
            failing.shutdown();
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void servesTwoListenersEachWithItsOwnFactoryUnderOneConnectionLimit(String model) throws Exception {
        try (TestServer server = new TestServer(model, "127.0.0.1", settings(2), file, IDLE, SEND, file.path, "TWO", file.path)) {
            LineClient first = new LineClient(server.address);
            try (LineClient second = new LineClient(server.secondAddress)) {
                assertServes(first, 10, 3);
                second.send("GET 10 3\n");
                assertThat(second.readLine()).isEqualTo("TWO 10");
                assertThat(second.readBytes(10)).isEqualTo(file.bytes(3, 10));
                for (InetSocketAddress either : List.of(server.address, server.secondAddress)) {
                    try (LineClient refused = new LineClient(either)) {
                        assertThat(refused.drainToEnd()).as("a third connection on %s", either).isZero();
                    }
                }
                first.close();
                awaitTrue(() -> server.model.openConnections() == 1, "a slot freed");
                try (LineClient third = new LineClient(server.secondAddress)) {
                    third.send("GET 5 0\n");
                    assertThat(third.readLine()).isEqualTo("TWO 5");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sendfile", "direct", "epoll"})
    void aLoopModelThatCannotStartLeavesNothingOpenAndShutsDown(String model) throws Exception {
        var os = (UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        assumeTrue(os.getMaxFileDescriptorCount() <= 65_536, "few enough descriptors to run out of them quickly");
        // Every loop's selector (or epoll and eventfd) takes at least two descriptors: these many loops cannot all be created.
        int workers = (int) (os.getMaxFileDescriptorCount() / 2) + 1;
        IoModel starving = IoModels.create(model, new IoSettings(workers, 10, THRESHOLD, Duration.ofSeconds(1)));
        starving.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16, remote -> null);
        long before = openDescriptors();
        assertThatThrownBy(starving::start).isInstanceOf(IOException.class);
        assertThat(openDescriptors()).isLessThan(before + 10);
        starving.shutdown();
    }

    private static long openDescriptors() {
        return ((UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getOpenFileDescriptorCount();
    }

    @Test
    void refusesUnknownModelNames() {
        assertThatThrownBy(() -> IoModels.create("kqueue", IoSettings.defaults()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sync, sendfile, async, direct, epoll");
    }

    /** Asks for {@code length} bytes at {@code offset} and checks the answer byte for byte. */
    static void assertServes(LineClient client, long length, long offset) throws IOException {
        client.send("GET " + length + " " + offset + "\n");
        assertAnswer(client, length, offset);
    }

    static void assertAnswer(LineClient client, long length, long offset) throws IOException {
        assertThat(client.readLine()).isEqualTo("OK " + length);
        assertThat(client.readBytes((int) length)).as("%d bytes at %d", length, offset)
                .isEqualTo(file.bytes(offset, (int) length));
    }

    static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(10);
        }
    }
}
