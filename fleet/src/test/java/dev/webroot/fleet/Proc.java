package dev.webroot.fleet;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A process the test started, with its merged output kept line by line; closing stops it. */
final class Proc implements AutoCloseable {
    final String name;
    final Process process;
    private final List<String> log = new CopyOnWriteArrayList<>();

    private Proc(String name, Process process) {
        this.name = name;
        this.process = process;
        Thread.ofPlatform().daemon().name(name + "-output").start(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                    log.add(line);
                }
            } catch (IOException ignored) {
                // The process ended.
            }
        });
    }

    static Proc start(String name, List<String> command) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process process = builder.start();
        process.getOutputStream().close();
        return new Proc(name, process);
    }

    static Path root() {
        return Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize();
    }

    static Path java() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    /** This module's classes and dependencies, for running the agent and the CLI as processes. */
    static String classpath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }

    static List<String> fleetCommand(String... args) {
        List<String> command = new ArrayList<>(List.of(java().toString(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", classpath(), Fleet.class.getName()));
        command.addAll(List.of(args));
        return command;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    List<String> log() {
        return List.copyOf(log);
    }

    long count(Predicate<String> matching) {
        return log.stream().filter(matching).count();
    }

    /** Waits until a line of output matches; returns it. */
    String await(Predicate<String> matching, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            for (String line : log) {
                if (matching.test(line)) {
                    return line;
                }
            }
            if (!process.isAlive()) {
                Thread.sleep(100);
                for (String line : log) {
                    if (matching.test(line)) {
                        return line;
                    }
                }
                throw new AssertionError(name + " exited with " + process.exitValue() + ": " + log);
            }
            Thread.sleep(10);
        }
        throw new AssertionError(name + ": no matching line within " + limit + ": " + log);
    }

    int group(Pattern pattern, int group, Duration limit) throws InterruptedException {
        String line = await(l -> pattern.matcher(l).find(), limit);
        Matcher matcher = pattern.matcher(line);
        matcher.find();
        return Integer.parseInt(matcher.group(group));
    }

    /** Waits for the process to exit by itself; returns its status. */
    int exit(Duration limit) throws InterruptedException {
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(name + " did not exit within " + limit + ": " + log);
        }
        Thread.sleep(50);
        return process.exitValue();
    }

    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(15, TimeUnit.SECONDS);
    }

    /** SIGTERM through the handle (the output stays readable), then SIGKILL if it lingers. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.toHandle().destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }

    /** Runs a command to completion. */
    record Result(int exit, String output) {}

    static Result run(List<String> command, Duration limit) throws Exception {
        Proc proc = start("cli", command);
        int exit = proc.exit(limit);
        return new Result(exit, String.join("\n", proc.log()));
    }

    static Path fresh(String name) throws IOException {
        Path dir = root().resolve("fleet/target/fleet-e2e").resolve(name);
        if (Files.exists(dir)) {
            try (var entries = Files.walk(dir)) {
                for (Path entry : entries.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(entry);
                }
            }
        }
        return Files.createDirectories(dir);
    }
}
