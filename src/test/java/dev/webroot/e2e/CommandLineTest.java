package dev.webroot.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The httpd command line as users and scripts meet it: the launcher, exit codes and messages. */
@Timeout(120)
class CommandLineTest {
    private static List<String> httpd(String... args) {
        List<String> command = new ArrayList<>(List.of(Project.java().toString(), "-jar", Project.httpdJar().toString()));
        command.addAll(List.of(args));
        return command;
    }

    @Test
    void theLauncherWorksFromAnyDirectoryAndAcceptsAshttpdsModelArgument() throws Exception {
        Path elsewhere = Files.createTempDirectory("httpd-cwd");
        List<String> command = List.of(Project.root().resolve("scripts/httpd").toString(),
                Project.exampleVhosts().toString(), "sync", "--listen", "127.0.0.1:0", "--access-log", "off");
        try (Server server = Server.launch(command, elsewhere)) {
            assertThat(server.model).isEqualTo("sync");
            assertThat(server.errorLog()).anyMatch(line -> line.matches(
                    "httpd: listening on http://127\\.0\\.0\\.1:\\d+ \\(io=sync, vhosts=.*/vhosts, 3 sites\\)"));
            assertThat(Http.get(server.port, "www.example.com", "/about.html").status()).isEqualTo(200);
            assertThat(server.terminate(Duration.ofSeconds(15))).isZero();
        }
    }

    @Test
    void theLauncherRecordsTheStartUpCacheOnceAndLaterStartsUseIt() throws Exception {
        String launcher = Project.root().resolve("scripts/httpd").toString();
        Path cache = Project.root().resolve("httpd/target/httpd.aot");
        Project.Result first = Project.run(List.of(launcher, "--version"), 120);
        assertThat(first.exitCode()).as(first.output()).isZero();
        assertThat(first.output()).endsWith("httpd 0.1.0\n");
        assertThat(Files.getLastModifiedTime(cache)).isGreaterThanOrEqualTo(Files.getLastModifiedTime(Project.httpdJar()));
        assertThat(Files.readString(Project.root().resolve("httpd/target/httpd.aot.log")))
                .as("every I/O model served the training requests").doesNotContain("training: skipped");

        // AOTMode=on makes the JVM refuse to start unless the cache maps and fits the launcher's own flags.
        Project.Result strict = Project.run(List.of("env", "HTTPD_JAVA_OPTS=-XX:AOTMode=on", launcher, "--version"), 60);
        assertThat(strict.exitCode()).as(strict.output()).isZero();
        assertThat(strict.output()).isEqualTo("httpd 0.1.0\n");
    }

    @Test
    void aHangupIgnoredAtStartIsSaidToStayIgnored() throws Exception {
        try (Server server = Server.startIgnoringHangup(Project.exampleVhosts(), "epoll")) {
            server.awaitLog(line -> line.equals("httpd: SIGHUP was ignored when httpd started (nohup?) and stays ignored:"
                    + " it does not reopen the log files"), Duration.ofSeconds(5));
            assertThat(Http.get(server.port, "www.example.com", "/").status()).isEqualTo(200);
        }
    }

    @Test
    void sighupReopensTheAccessLogForLogrotate() throws Exception {
        try (Server server = Server.start(Project.exampleVhosts(), "sendfile")) {
            Path log = server.accessLog();
            Path rotated = log.resolveSibling(log.getFileName() + ".1");
            Http.get(server.port, "www.example.com", "/?before-rotation");
            awaitLine(log, "before-rotation");
            Files.move(log, rotated);
            Project.Result kill = Project.run(List.of("kill", "-HUP", String.valueOf(server.process.pid())), 10);
            assertThat(kill.exitCode()).isZero();
            server.awaitLog(line -> line.equals("httpd: received SIGHUP: reopening the log files"), Duration.ofSeconds(5));
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!Files.exists(log)) {
                assertThat(System.nanoTime()).as("access log reopened").isLessThan(deadline);
                Thread.sleep(10);
            }
            Http.get(server.port, "www.example.com", "/?after-rotation");
            awaitLine(log, "after-rotation");
            assertThat(Files.readString(rotated)).contains("before-rotation").doesNotContain("after-rotation");
            assertThat(server.terminate(Duration.ofSeconds(15))).isZero();
        }
    }

    /**
     * The listen queue is as long as the kernel allows by default, so that a burst of new connections
     * is queued rather than answered by dropped handshakes; --backlog shortens it. {@code ss} shows a
     * listening socket's backlog as its Send-Q.
     */
    @Test
    void theListenBacklogIsTheKernelsMaximumUnlessGiven() throws Exception {
        int somaxconn = Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/net/core/somaxconn")).getFirst().strip());
        try (Server server = Server.start(Project.exampleVhosts(), "epoll")) {
            assertThat(listenBacklog(server.port)).isEqualTo(Math.min(65535, somaxconn));
        }
        try (Server server = Server.start(Project.exampleVhosts(), "sync", "--backlog", "100")) {
            assertThat(listenBacklog(server.port)).isEqualTo(Math.min(100, somaxconn));
        }
    }

    private static int listenBacklog(int port) throws Exception {
        Project.Result ss = Project.run(List.of("ss", "-Hltn", "sport = :" + port), 10);
        assertThat(ss.exitCode()).as(ss.output()).isZero();
        String[] fields = ss.output().strip().split("\\s+");
        assertThat(fields).as(ss.output()).hasSizeGreaterThan(2);
        return Integer.parseInt(fields[2]);
    }

    private static void awaitLine(Path file, String text) throws Exception {
        long deadline = System.nanoTime() + 3_000_000_000L;
        while (!Files.exists(file) || !Files.readString(file).contains(text)) {
            assertThat(System.nanoTime()).as("%s logged in %s", text, file).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    @Test
    void aPortInUseIsOneClearLineAndExitCodeOne() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Project.Result result = Project.run(httpd(Project.exampleVhosts().toString(),
                    "--listen", "127.0.0.1:" + taken.getLocalPort()), 30);
            assertThat(result.exitCode()).isEqualTo(1);
            // Vhost lines (added, bodies verified in the background) may come before the refusal.
            assertThat(result.output().lines().filter(line -> !line.startsWith("httpd: vhost "))).containsExactly(
                    "httpd: cannot listen on http://127.0.0.1:" + taken.getLocalPort() + ": Address already in use");
        }
    }

    @Test
    void badUsageExitsTwoWithASpecificMessage() throws Exception {
        Project.Result unknownOption = Project.run(httpd(Project.exampleVhosts().toString(), "--frobnicate"), 30);
        assertThat(unknownOption.exitCode()).isEqualTo(2);
        assertThat(unknownOption.output()).contains("httpd: unknown option '--frobnicate'").doesNotContain("\tat ");

        Project.Result badModel = Project.run(httpd(Project.exampleVhosts().toString(), "--io", "kqueue"), 30);
        assertThat(badModel.exitCode()).isEqualTo(2);
        assertThat(badModel.output()).contains("unknown I/O model 'kqueue'; valid models: sync, sendfile, async, direct, epoll");

        Path missing = Project.work("cli").resolve("no-such-vhosts");
        Project.Result missingDir = Project.run(httpd(missing.toString(), "--listen", "127.0.0.1:0"), 30);
        assertThat(missingDir.exitCode()).isEqualTo(2);
        assertThat(missingDir.output()).isEqualTo("httpd: vhosts directory " + missing + " does not exist\n");

        Project.Result noArguments = Project.run(httpd(), 30);
        assertThat(noArguments.exitCode()).isEqualTo(2);
        assertThat(noArguments.output()).contains("httpd: missing VHOSTS_DIR");
    }

    @Test
    void helpDescribesTheOptions() throws Exception {
        Project.Result help = Project.run(httpd("--help"), 30);
        assertThat(help.exitCode()).isZero();
        assertThat(help.output()).contains("--listen=HOST:PORT", "--io=MODEL", "--access-log=PATH|-|off",
                "--shutdown-grace=DURATION", "--user=NAME", "default: 127.0.0.1:8080", "Exit codes:");
    }

    @Test
    void dropsPrivilegesAfterBindingWhenStartedAsRoot() throws Exception {
        assumeTrue("0".equals(String.valueOf(Files.getAttribute(Path.of("/proc/self"), "unix:uid"))),
                "needs to run as root");
        List<String> command = httpd(Project.exampleVhosts().toString(), "--listen", "127.0.0.1:0",
                "--user", "nobody", "--access-log", "off");
        try (Server server = Server.launch(command, null)) {
            assertThat(server.errorLog()).anyMatch(line -> line.contains("user=nobody"));
            assertThat(Http.get(server.port, "www.example.com", "/").status()).isEqualTo(200);
            int servingThreads = 0;
            try (var tasks = Files.list(Path.of("/proc/" + server.process.pid() + "/task"))) {
                for (Path task : tasks.toList()) {
                    String status = Files.readString(task.resolve("status"));
                    assertThat(status).as("every thread runs as nobody")
                            .containsPattern("(?m)^Uid:\\s+65534\\s+65534\\s+65534\\s+65534$");
                    // no_new_privs is per thread: set by the main thread before it starts the serving threads.
                    if (Files.readString(task.resolve("comm")).startsWith("io-")) {
                        assertThat(status).containsPattern("(?m)^NoNewPrivs:\\s+1$");
                        servingThreads++;
                    }
                }
            }
            assertThat(servingThreads).isPositive();
            assertThat(server.terminate(Duration.ofSeconds(15))).isZero();
        }
    }

    @Test
    void refusesUserWhenNotRoot() throws Exception {
        assumeTrue(!"0".equals(String.valueOf(Files.getAttribute(Path.of("/proc/self"), "unix:uid"))),
                "needs to run as a regular user");
        Project.Result result = Project.run(httpd(Project.exampleVhosts().toString(), "--user", "nobody"), 30);
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.output()).contains("--user nobody needs httpd to be started as root");
    }
}
