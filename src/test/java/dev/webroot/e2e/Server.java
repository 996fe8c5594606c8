package dev.webroot.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real httpd process ({@code java -jar httpd/target/httpd.jar}) on a loopback port chosen by the
 * kernel: started with {@code --listen 127.0.0.1:0}, its port read from the one "listening on" line.
 */
final class Server implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("^httpd: listening on ((?:https?://\\S+ )+)\\(io=(\\w+),");
    private static final Pattern LOOPBACK_URL = Pattern.compile("(https?)://127\\.0\\.0\\.1:(\\d+)");

    final Process process;
    /** The first cleartext port, or -1 when it listens on TLS only. */
    final int port;
    /** The first TLS port, or -1 when it has no TLS listener. */
    final int tlsPort;
    final String model;
    private final List<String> errorLog;
    private final Path accessLog;

    private Server(Process process, int port, int tlsPort, String model, List<String> errorLog, Path accessLog) {
        this.process = process;
        this.port = port;
        this.tlsPort = tlsPort;
        this.model = model;
        this.errorLog = errorLog;
        this.accessLog = accessLog;
    }

    /** Starts httpd on VHOSTS with {@code --io model}, the access log in a file, plus extra options. */
    static Server start(Path vhosts, String model, String... options) throws Exception {
        return start(List.of(), vhosts, model, options);
    }

    /** Like {@link #start}, in a process whose descriptor limit (soft and hard) is {@code limit}. */
    static Server startWithDescriptorLimit(int limit, Path vhosts, String model, String... options) throws Exception {
        return start(List.of("bash", "-c", "ulimit -n " + limit + " && exec \"$@\"", "httpd"), vhosts, model, options);
    }

    /** Like {@link #start}, in a process that inherits SIGHUP ignored, as under nohup. */
    static Server startIgnoringHangup(Path vhosts, String model) throws Exception {
        return start(List.of("bash", "-c", "trap '' HUP && exec \"$@\"", "httpd"), vhosts, model);
    }

    /** Starts httpd through a prefix that ends by exec'ing the rest of the command (empty: none). */
    private static Server start(List<String> prefix, Path vhosts, String model, String... options) throws Exception {
        Path accessLog = Project.work("logs").resolve("access-" + model + "-" + System.nanoTime() + ".log");
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of(Project.java().toString(), "-XX:+UseSerialGC", "-jar",
                Project.httpdJar().toString(), vhosts.toString(), "--listen", "127.0.0.1:0", "--io", model,
                "--access-log", accessLog.toString(), "--vhosts-rescan", "200ms"));
        command.addAll(List.of(options));
        return launch(command, null, accessLog);
    }

    /** Runs any httpd command line (java -jar or the launcher) in a working directory (null: this one). */
    static Server launch(List<String> command, Path workingDirectory) throws Exception {
        return launch(command, workingDirectory, null);
    }

    private static Server launch(List<String> command, Path workingDirectory, Path accessLog) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        if (workingDirectory != null) {
            builder.directory(workingDirectory.toFile());
        }
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process process = builder.start();
        List<String> errorLog = new CopyOnWriteArrayList<>();
        Thread.ofPlatform().daemon().name("httpd-stderr").start(() -> {
            try (BufferedReader reader = new BufferedReader(
                    new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                    errorLog.add(line);
                }
            } catch (IOException ignored) {
                // The process ended.
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            for (String line : errorLog) {
                Matcher matcher = LISTENING.matcher(line);
                if (matcher.find()) {
                    int port = -1;
                    int tlsPort = -1;
                    Matcher url = LOOPBACK_URL.matcher(matcher.group(1));
                    while (url.find()) {
                        if (url.group(1).equals("http") && port < 0) {
                            port = Integer.parseInt(url.group(2));
                        } else if (url.group(1).equals("https") && tlsPort < 0) {
                            tlsPort = Integer.parseInt(url.group(2));
                        }
                    }
                    return new Server(process, port, tlsPort, matcher.group(2), errorLog, accessLog);
                }
            }
            if (!process.isAlive()) {
                throw new AssertionError("httpd exited with " + process.exitValue() + " before listening: " + errorLog);
            }
            Thread.sleep(20);
        }
        process.destroyForcibly();
        throw new AssertionError("httpd did not log its listening line within 30 s: " + errorLog);
    }

    List<String> errorLog() {
        return List.copyOf(errorLog);
    }

    Path accessLog() {
        return accessLog;
    }

    /** Waits until an error-log line matches. */
    String awaitLog(Predicate<String> matching, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            for (String line : errorLog) {
                if (matching.test(line)) {
                    return line;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no matching log line within " + limit + ": " + errorLog);
    }

    /**
     * Sends SIGTERM. Through the process handle: {@link Process#destroy} would also close our end of
     * the process's stderr, and the log lines written while it stops would be lost.
     */
    void sigterm() {
        process.toHandle().destroy();
    }

    /** Sends SIGTERM and returns the exit code. */
    int terminate(Duration limit) throws InterruptedException {
        sigterm();
        return awaitExit(limit);
    }

    int awaitExit(Duration limit) throws InterruptedException {
        assertThat(process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS))
                .as("httpd exits within %s of SIGTERM; log: %s", limit, errorLog).isTrue();
        return process.exitValue();
    }

    /** Stops the process if a test left it running; SIGKILL if SIGTERM does not end it. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
