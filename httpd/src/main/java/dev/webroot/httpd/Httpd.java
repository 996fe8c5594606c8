package dev.webroot.httpd;

import dev.webroot.httpd.core.AccessLog;
import dev.webroot.httpd.core.HttpConnection;
import dev.webroot.httpd.core.Limits;
import dev.webroot.httpd.core.WorkspacePool;
import dev.webroot.httpd.log.AsyncAccessLog;
import dev.webroot.httpd.log.ErrorLog;
import dev.webroot.httpd.registry.VhostRegistry;
import dev.webroot.io.IoModel;
import dev.webroot.io.IoModels;
import dev.webroot.io.IoSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/** The server CLI: serves a vhosts directory until SIGTERM or SIGINT. */
@Command(name = "httpd", mixinStandardHelpOptions = true, version = "httpd 0.1.0", sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Serves every webroot in VHOSTS_DIR as a virtual host named after its entry (__default__ answers "
                + "unknown hosts). Replacing an entry (ln -s NEW .tmp && mv -T .tmp NAME) deploys a site atomically, "
                + "without a restart. SIGTERM or SIGINT stops accepting, lets in-flight responses finish within "
                + "--shutdown-grace, and exits 0; SIGHUP reopens the log files.",
            "Durations take a unit: 500ms, 60s, 2m (a bare number means seconds)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:stopped by SIGTERM or SIGINT",
            "1:could not start (cannot listen, cannot drop privileges, cannot open a log)",
            "2:bad command line or VHOSTS_DIR unusable"})
public final class Httpd implements Callable<Integer> {
    static final int EXIT_RUNTIME = 1;
    static final int EXIT_USAGE = 2;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "VHOSTS_DIR",
            description = "Directory whose entries (webroot files or symlinks to them) are the virtual hosts.")
    Path vhostsDir;

    @Parameters(index = "1", arity = "0..1", paramLabel = "MODEL",
            description = "The I/O model, as in ashttpd's 'httpd VHOSTS_DIR MODEL' (same as --io).")
    String positionalModel;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8080",
            converter = ListenAddressConverter.class,
            description = "Address to listen on; [::1]:8080 for IPv6, port 0 for any free port (default: ${DEFAULT-VALUE}).")
    InetSocketAddress listen;

    @Option(names = "--io", paramLabel = "MODEL",
            description = "How bytes move: sync, sendfile, async, direct or epoll (default: " + IoModels.DEFAULT + ").")
    String io;

    @Option(names = "--workers", paramLabel = "N", defaultValue = "0",
            description = "Event loops or carrier threads; 0 = one per core (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "10000",
            description = "Connections open at once; further ones are closed on accept (default: ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(names = "--backlog", paramLabel = "N", defaultValue = "511",
            description = "Listen backlog (default: ${DEFAULT-VALUE}, as nginx).")
    int backlog;

    @Option(names = "--request-head-timeout", paramLabel = "DURATION", defaultValue = "60s",
            converter = DurationConverter.class,
            description = "Time a client has to send a request head; 408 after it (default: ${DEFAULT-VALUE}).")
    Duration requestHeadTimeout;

    @Option(names = "--keepalive-timeout", paramLabel = "DURATION", defaultValue = "75s",
            converter = DurationConverter.class,
            description = "Idle time after a response before the connection is closed (default: ${DEFAULT-VALUE}).")
    Duration keepAliveTimeout;

    @Option(names = "--send-timeout", paramLabel = "DURATION", defaultValue = "60s",
            converter = DurationConverter.class,
            description = "Time without send progress before the connection is closed (default: ${DEFAULT-VALUE}).")
    Duration sendTimeout;

    @Option(names = "--max-requests-per-connection", paramLabel = "N", defaultValue = "1000",
            description = "Requests served on one connection before it is closed (default: ${DEFAULT-VALUE}).")
    int maxRequestsPerConnection;

    @Option(names = "--max-request-line-bytes", paramLabel = "N", defaultValue = "8192",
            description = "Longest request line; 414 beyond it (default: ${DEFAULT-VALUE}).")
    int maxRequestLineBytes;

    @Option(names = "--max-header-bytes", paramLabel = "N", defaultValue = "32768",
            description = "Largest header section; 431 beyond it (default: ${DEFAULT-VALUE}).")
    int maxHeaderBytes;

    @Option(names = "--sendfile-threshold", paramLabel = "BYTES", defaultValue = "262144",
            description = "Bodies at least this long go through sendfile or direct I/O where the model can "
                    + "(default: ${DEFAULT-VALUE}).")
    long sendfileThreshold;

    @Option(names = "--access-log", paramLabel = "PATH|-|off", defaultValue = "-",
            description = "Combined-format access log: a file (appended), - for standard output, or off "
                    + "(default: ${DEFAULT-VALUE}).")
    String accessLog;

    @Option(names = "--error-log", paramLabel = "PATH|-", defaultValue = "-",
            description = "Start-up, vhost changes and problems: a file (appended) or - for standard error "
                    + "(default: ${DEFAULT-VALUE}).")
    String errorLog;

    @Option(names = "--shutdown-grace", paramLabel = "DURATION", defaultValue = "10s",
            converter = DurationConverter.class,
            description = "How long in-flight responses may take to finish on SIGTERM/SIGINT (default: ${DEFAULT-VALUE}).")
    Duration shutdownGrace;

    @Option(names = "--vhosts-rescan", paramLabel = "DURATION", defaultValue = "500ms",
            converter = DurationConverter.class,
            description = "How often VHOSTS_DIR is re-checked besides its change events (default: ${DEFAULT-VALUE}).")
    Duration vhostsRescan;

    @Option(names = "--user", paramLabel = "NAME",
            description = "After binding, switch to this user and its group for good (only when started as root).")
    String user;

    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final AtomicReference<String> stopSignal = new AtomicReference<>();

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new Httpd());
        commandLine.setParameterExceptionHandler((e, args) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("httpd: " + e.getMessage());
            err.println("Try 'httpd --help' for the options.");
            return EXIT_USAGE;
        });
        return commandLine;
    }

    @Override
    public Integer call() {
        String model = chooseModel();
        validate();
        ErrorLog errors;
        try {
            errors = errorLog.equals("-") ? ErrorLog.toStderr() : ErrorLog.toFile(Path.of(errorLog));
        } catch (IOException e) {
            System.err.println("httpd: cannot open error log " + errorLog + ": " + e.getMessage());
            return EXIT_RUNTIME;
        }
        try (errors) {
            return serve(model, errors);
        }
    }

    private int serve(String modelName, ErrorLog errors) {
        PrivilegeDrop.Account account = null;
        if (user != null) {
            if (!PrivilegeDrop.runningAsRoot()) {
                errors.log("--user " + user + " needs httpd to be started as root (to bind, then drop to " + user
                        + "); start it as " + user + " directly instead");
                return EXIT_USAGE;
            }
            account = PrivilegeDrop.lookup(user).orElse(null);
            if (account == null) {
                errors.log("--user " + user + ": no such user");
                return EXIT_USAGE;
            }
        }
        VhostRegistry registry;
        try {
            registry = VhostRegistry.open(vhostsDir, errors, vhostsRescan);
        } catch (IOException e) {
            errors.log(e.getMessage());
            return EXIT_USAGE;
        }
        try (registry) {
            AccessLog access;
            try {
                access = openAccessLog(errors);
            } catch (IOException e) {
                errors.log("cannot open access log " + accessLog + ": " + e.getMessage());
                return EXIT_RUNTIME;
            }
            try {
                return serve(modelName, errors, registry, access, account);
            } finally {
                if (access instanceof AsyncAccessLog async) {
                    async.close();
                }
            }
        }
    }

    private int serve(String modelName, ErrorLog errors, VhostRegistry registry, AccessLog access,
                      PrivilegeDrop.Account account) {
        IoModel model = IoModels.create(modelName, new IoSettings(workers, maxConnections, sendfileThreshold, shutdownGrace));
        InetSocketAddress bound;
        try {
            bound = model.bind(listen, backlog);
        } catch (IOException e) {
            errors.log("cannot listen on " + url(listen) + ": " + describe(e));
            return EXIT_RUNTIME;
        }
        if (account != null) {
            try {
                PrivilegeDrop.dropTo(account);
            } catch (RuntimeException e) {
                errors.log("cannot drop privileges to " + account.name() + ": " + e.getMessage());
                model.shutdown();
                return EXIT_RUNTIME;
            }
        }
        Limits defaults = Limits.defaults();
        Limits limits = new Limits(maxRequestLineBytes, maxHeaderBytes, defaults.maxHeaderCount(),
                defaults.maxPipelinedResponses(), maxRequestsPerConnection, defaults.maxRanges(),
                requestHeadTimeout, keepAliveTimeout, sendTimeout);
        SystemDateSource dates = new SystemDateSource();
        installSignalHandlers(errors, access);
        try {
            WorkspacePool workspaces = new WorkspacePool(registry, limits, dates, access);
            model.start(remote -> new HttpConnection(workspaces, remote));
        } catch (IOException e) {
            errors.log("cannot start the " + modelName + " I/O model: " + describe(e));
            model.shutdown();
            return EXIT_RUNTIME;
        }
        int sites = registry.names().size();
        errors.log("listening on " + url(bound) + " (io=" + modelName + ", vhosts=" + registry.directory() + ", "
                + sites + (sites == 1 ? " site" : " sites")
                + (account == null ? "" : ", user=" + account.name()) + ")");
        if (!registry.names().contains("__default__")) {
            errors.log("no __default__ entry in " + registry.directory() + ": requests for other hosts get 404");
        }
        awaitStop();
        errors.log("received SIG" + stopSignal.get() + ": no longer accepting; finishing "
                + model.openConnections() + " open connections within " + shutdownGrace.toMillis() + " ms");
        long started = System.nanoTime();
        model.shutdown();
        errors.log("stopped after " + (System.nanoTime() - started) / 1_000_000 + " ms");
        return 0;
    }

    private AccessLog openAccessLog(ErrorLog errors) throws IOException {
        return switch (accessLog) {
            case "off" -> AccessLog.DISABLED;
            case "-" -> AsyncAccessLog.toStdout(errors);
            default -> AsyncAccessLog.toFile(Path.of(accessLog), errors);
        };
    }

    /**
     * SIGTERM and SIGINT start an orderly stop (a second one while stopping ends the process at once);
     * SIGHUP reopens the log files, for logrotate. Handling the signals ourselves, rather than in a
     * shutdown hook, is what lets an orderly stop exit 0 instead of the JVM's 143.
     */
    private void installSignalHandlers(ErrorLog errors, AccessLog access) {
        for (String name : new String[] {"TERM", "INT"}) {
            handle(name, errors, signal -> {
                if (!stopSignal.compareAndSet(null, signal.getName())) {
                    errors.log("received SIG" + signal.getName() + " while stopping: exiting now");
                    Runtime.getRuntime().halt(EXIT_RUNTIME);
                }
                stopRequested.countDown();
            });
        }
        handle("HUP", errors, signal -> {
            errors.reopen();
            if (access instanceof AsyncAccessLog async) {
                async.reopen();
            }
            errors.log("received SIGHUP: reopening the log files");
        });
    }

    private static void handle(String name, ErrorLog errors, sun.misc.SignalHandler handler) {
        try {
            Signal.handle(new Signal(name), handler);
        } catch (IllegalArgumentException e) {
            errors.log("cannot handle SIG" + name + " (" + e.getMessage() + "); the JVM's default applies");
        }
    }

    private void awaitStop() {
        while (true) {
            try {
                stopRequested.await();
                return;
            } catch (InterruptedException e) {
                // Only a signal stops the server.
            }
        }
    }

    private String chooseModel() {
        if (positionalModel != null && io != null && !positionalModel.equals(io)) {
            throw new ParameterException(spec.commandLine(),
                    "the I/O model is given twice, differently: MODEL '" + positionalModel + "' and --io " + io);
        }
        String model = io != null ? io : positionalModel != null ? positionalModel : IoModels.DEFAULT;
        if (!IoModels.NAMES.contains(model)) {
            throw new ParameterException(spec.commandLine(),
                    "unknown I/O model '" + model + "'; valid models: " + String.join(", ", IoModels.NAMES));
        }
        return model;
    }

    private void validate() {
        requireAtLeast("--workers", workers, 0);
        requireAtLeast("--max-connections", maxConnections, 1);
        requireAtLeast("--backlog", backlog, 1);
        requireAtLeast("--max-requests-per-connection", maxRequestsPerConnection, 1);
        requireAtLeast("--max-request-line-bytes", maxRequestLineBytes, 64);
        requireAtLeast("--max-header-bytes", maxHeaderBytes, 256);
        requireAtLeast("--sendfile-threshold", sendfileThreshold, 0);
        requirePositive("--request-head-timeout", requestHeadTimeout);
        requirePositive("--keepalive-timeout", keepAliveTimeout);
        requirePositive("--send-timeout", sendTimeout);
        requirePositive("--vhosts-rescan", vhostsRescan);
        if (shutdownGrace.isNegative()) {
            throw new ParameterException(spec.commandLine(), "--shutdown-grace must not be negative");
        }
        if (user != null && user.isBlank()) {
            throw new ParameterException(spec.commandLine(), "--user needs a user name");
        }
    }

    private void requireAtLeast(String option, long value, long minimum) {
        if (value < minimum) {
            throw new ParameterException(spec.commandLine(), option + " must be at least " + minimum + ", not " + value);
        }
    }

    private void requirePositive(String option, Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw new ParameterException(spec.commandLine(), option + " must be longer than zero");
        }
    }

    static String url(InetSocketAddress address) {
        String host = address.getAddress() == null ? address.getHostString() : address.getAddress().getHostAddress();
        if (host.contains(":")) {
            int scope = host.indexOf('%');
            host = "[" + (scope < 0 ? host : host.substring(0, scope)) + "]";
        }
        return "http://" + host + ":" + address.getPort();
    }

    private static String describe(IOException e) {
        if (e instanceof BindException) {
            return e.getMessage() == null ? "address in use or not available" : e.getMessage();
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
