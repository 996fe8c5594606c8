package dev.webroot.io;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * A manual, bounded loopback benchmark (not run by the build): for each model, {@code clients}
 * platform threads do keep-alive request/response of a {@code bodyBytes} file span for
 * {@code seconds}, after a one-second warm-up. Closed loop, so it measures throughput, not latency.
 *
 * <pre>java -cp io-models/target/classes:io-models/target/test-classes dev.webroot.io.IoModelBenchmark [seconds] [clients] [bodyBytes] [models...]</pre>
 */
public final class IoModelBenchmark {
    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int clients = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int bodyBytes = args.length > 2 ? Integer.parseInt(args[2]) : 2048;
        List<String> models = args.length > 3 ? List.of(args).subList(3, args.length) : IoModels.NAMES;
        Path dir = Files.createTempDirectory("io-bench");
        long fileSize = Math.max(4096, (bodyBytes + 4095L) & -4096L);
        try (TestFile file = new TestFile(dir.resolve("bench.bin"), fileSize)) {
            for (String model : models) {
                double rate = run(model, file, clients, bodyBytes, seconds);
                System.out.printf("%-9s %3d clients %8d B  %,10.0f req/s%n", model, clients, bodyBytes, rate);
            }
        } finally {
            Files.deleteIfExists(dir.resolve("bench.bin"));
            Files.deleteIfExists(dir);
        }
    }

    private static double run(String name, TestFile file, int clients, int bodyBytes, int seconds) throws Exception {
        IoSettings settings = new IoSettings(0, 10_000, 256 * 1024, Duration.ofSeconds(2));
        IoModel model = IoModels.create(name, settings);
        Duration timeout = Duration.ofSeconds(30);
        InetSocketAddress address = model.bind(new InetSocketAddress("127.0.0.1", 0), 128,
                remote -> new LineConnection(file, file.mapping, file.path, timeout.toNanos(), timeout.toNanos()));
        model.start();
        try {
            LongAdder done = new LongAdder();
            long warmEnd = System.nanoTime() + Duration.ofSeconds(1).toNanos();
            long end = warmEnd + Duration.ofSeconds(seconds).toNanos();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                threads.add(Thread.ofPlatform().start(() -> client(address, bodyBytes, warmEnd, end, done)));
            }
            for (Thread thread : threads) {
                thread.join(Duration.ofSeconds(seconds + 30));
            }
            return done.sum() / (double) seconds;
        } finally {
            model.shutdown();
        }
    }

    private static void client(InetSocketAddress address, int bodyBytes, long warmEnd, long end, LongAdder done) {
        ByteBuffer request = ByteBuffer.wrap(("GET " + bodyBytes + " 0\n").getBytes(StandardCharsets.US_ASCII));
        int responseBytes = ("OK " + bodyBytes + "\n").length() + bodyBytes;
        ByteBuffer response = ByteBuffer.allocateDirect(responseBytes);
        try (SocketChannel socket = SocketChannel.open(address)) {
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
            long now;
            while ((now = System.nanoTime()) < end) {
                request.rewind();
                socket.write(request);
                response.clear();
                while (response.hasRemaining()) {
                    if (socket.read(response) < 0) {
                        throw new IOException("server closed the connection");
                    }
                }
                if (now >= warmEnd) {
                    done.increment();
                }
            }
        } catch (IOException e) {
            System.err.println("client failed: " + e);
        }
    }
}
