package dev.webroot.io;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The server of {@link DescriptorExhaustionTest}, run in a child JVM with a low descriptor limit:
 * serves {@link LineConnection}s with one model and, told {@code HOG n} on stdin, opens descriptors
 * until the process is out of them and gives back {@code n}; {@code FREE} closes them all; the end
 * of stdin shuts down. Arguments: model name, maxConnections.
 */
public final class DescriptorHog {
    private DescriptorHog() {}

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("descriptor-hog");
        Duration timeout = Duration.ofSeconds(30);
        try (TestFile file = new TestFile(dir.resolve("file.bin"), 1 << 20)) {
            IoModel model = IoModels.create(args[0], new IoSettings(1, Integer.parseInt(args[1]), 256 * 1024,
                    Duration.ofSeconds(2)));
            InetSocketAddress address = model.bind(new InetSocketAddress("127.0.0.1", 0), 512,
                    remote -> new LineConnection(file, file.mapping, file.path, timeout.toNanos(), timeout.toNanos()));
            model.start();
            System.out.println("LISTENING " + address.getPort() + " " + model.maxConnections());
            List<FileChannel> hogs = new ArrayList<>();
            BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
            for (String line; (line = commands.readLine()) != null; ) {
                if (line.startsWith("HOG ")) {
                    try {
                        while (true) {
                            hogs.add(FileChannel.open(Path.of("/dev/null")));
                        }
                    } catch (IOException outOfDescriptors) {
                        // as intended
                    }
                    for (int i = Integer.parseInt(line.substring(4)); i > 0 && !hogs.isEmpty(); i--) {
                        hogs.removeLast().close();
                    }
                    System.out.println("HOGGED " + hogs.size());
                } else if (line.equals("FREE")) {
                    for (FileChannel hog : hogs) {
                        hog.close();
                    }
                    hogs.clear();
                    System.out.println("FREED");
                }
            }
            model.shutdown();
            System.out.println("STOPPED " + model.openConnections());
        } finally {
            Files.deleteIfExists(dir.resolve("file.bin"));
            Files.deleteIfExists(dir);
        }
    }
}
