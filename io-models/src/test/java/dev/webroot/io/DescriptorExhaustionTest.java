package dev.webroot.io;

import static dev.webroot.io.IoModelConformanceTest.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Every model in a child JVM limited to 256 descriptors ({@code ulimit -n}): out of descriptors, it
 * keeps serving its open connections, logs a bounded number of lines, and serves new clients once
 * descriptors are free again; and it lowers maxConnections to what the limit allows.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DescriptorExhaustionTest {
    static final List<String> MODELS = IoModels.NAMES;
    static final int DESCRIPTOR_LIMIT = 256;

    @TempDir
    static Path dir;
    static TestFile file;

    @BeforeAll
    static void createFile() throws IOException {
        // The same pseudo-random bytes as the child's file, to check its answers against.
        file = new TestFile(dir.resolve("expected.bin"), 1 << 20);
    }

    @AfterAll
    static void closeFile() throws IOException {
        file.close();
    }

    /** A {@link DescriptorHog} child process: its stdout lines as they come, its stderr lines collected. */
    static final class Child implements AutoCloseable {
        final Process process;
        final BlockingQueue<String> out = new LinkedBlockingQueue<>();
        final List<String> err = new CopyOnWriteArrayList<>();
        final OutputStream commands;

        Child(String model, int maxConnections) throws IOException {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            String classPath = location(IoModel.class) + ":" + location(DescriptorHog.class);
            process = new ProcessBuilder("bash", "-c", "ulimit -n " + DESCRIPTOR_LIMIT + " && exec \"$0\" -cp \"$1\" "
                    + DescriptorHog.class.getName() + " " + model + " " + maxConnections, java, classPath).start();
            commands = process.getOutputStream();
            collect(process.inputReader(), out::add);
            collect(process.errorReader(), err::add);
        }

        private static String location(Class<?> type) {
            try {
                return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }

        private static void collect(BufferedReader reader, java.util.function.Consumer<String> sink) {
            Thread.ofPlatform().daemon().start(() -> {
                try (reader) {
                    for (String line; (line = reader.readLine()) != null; ) {
                        sink.accept(line);
                    }
                } catch (IOException ignored) {
                    // the child ended
                }
            });
        }

        /** The next stdout line, which must start with {@code word}; its remaining words. */
        String[] expect(String word) throws InterruptedException {
            String line = out.poll(30, TimeUnit.SECONDS);
            assertThat(line).as("child's answer (stderr: %s)", err).isNotNull().startsWith(word + " ");
            return line.substring(word.length() + 1).split(" ");
        }

        void command(String line) throws IOException {
            commands.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            commands.flush();
        }

        List<String> errorLinesContaining(String text) {
            return err.stream().filter(line -> line.contains(text)).toList();
        }

        @Override
        public void close() throws Exception {
            commands.close();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void outOfDescriptorsServesOpenConnectionsLogsLittleAndRecovers(String model) throws Exception {
        try (Child child = new Child(model, 150)) {
            String[] listening = child.expect("LISTENING");
            InetSocketAddress server = new InetSocketAddress("127.0.0.1", Integer.parseInt(listening[0]));
            assertThat(Integer.parseInt(listening[1])).as("not lowered: 150 fits under the limit").isEqualTo(150);
            List<LineClient> open = new ArrayList<>();
            List<LineClient> extra = new ArrayList<>();
            try {
                for (int i = 0; i < 5; i++) {
                    LineClient client = new LineClient(server);
                    assertServes(client, 1000, 100 * i);
                    open.add(client);
                }
                child.command("HOG 8");
                child.expect("HOGGED");
                long exhausted = System.nanoTime();
                for (int i = 0; i < 40; i++) {
                    LineClient client = new LineClient(server);
                    client.send("GET 10 0\n");
                    extra.add(client);
                }
                awaitTrue(() -> !child.errorLinesContaining("accept failed").isEmpty(), "an accept failed");
                for (int round = 0; round < 3; round++) {
                    for (LineClient client : open) {
                        assertServes(client, 5000, 4096);
                    }
                    Thread.sleep(500);
                }
                long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - exhausted) + 1;
                List<String> failures = child.errorLinesContaining("accept failed");
                assertThat(failures.size()).as("accept failures logged in about %d s: %s", seconds, failures)
                        .isBetween(1, (int) seconds + 1);
                for (LineClient client : extra) {
                    client.close();
                }
                extra.clear();
                try (LineClient late = new LineClient(server)) {
                    assertServes(late, 1000, 12);
                }
                for (LineClient client : open) {
                    assertServes(client, 10, 1);
                }
            } finally {
                for (LineClient client : open) {
                    client.close();
                }
                for (LineClient client : extra) {
                    client.close();
                }
            }
            child.commands.close();
            assertThat(child.expect("STOPPED")).containsExactly("0");
            assertThat(child.process.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(child.process.exitValue()).as("stderr: %s", child.err).isZero();
            assertThat(child.err).noneMatch(line -> line.contains("Exception in thread") || line.contains("tzdb"));
        }
    }

    private static void assertServes(LineClient client, int length, long offset) throws IOException {
        client.send("GET " + length + " " + offset + "\n");
        assertThat(client.readLine()).isEqualTo("OK " + length);
        assertThat(client.readBytes(length)).isEqualTo(file.bytes(offset, length));
    }

    @Test
    void maxConnectionsIsLoweredToTheDescriptorLimitWithOneWarning() throws Exception {
        try (Child child = new Child("epoll", 10_000)) {
            String[] listening = child.expect("LISTENING");
            assertThat(Integer.parseInt(listening[1])).isEqualTo(DESCRIPTOR_LIMIT - 64);
            assertThat(child.errorLinesContaining("at most " + (DESCRIPTOR_LIMIT - 64) + " connections instead of 10000"))
                    .hasSize(1);
        }
    }
}
