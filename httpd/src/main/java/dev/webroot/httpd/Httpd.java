package dev.webroot.httpd;

import dev.webroot.httpd.admin.AdminEndpoints;
import dev.webroot.httpd.admin.RequestMetrics;
import dev.webroot.httpd.admin.ServerState;
import dev.webroot.httpd.acme.CertificateManager;
import dev.webroot.httpd.core.AccessLog;
import dev.webroot.httpd.core.ChallengeResponder;
import dev.webroot.httpd.core.Http2Connection;
import dev.webroot.httpd.core.HttpConnection;
import dev.webroot.httpd.core.ListenerPolicy;
import dev.webroot.httpd.core.WorkspacePool;
import dev.webroot.httpd.log.AsyncAccessLog;
import dev.webroot.httpd.log.ErrorLog;
import dev.webroot.httpd.registry.VhostRegistry;
import dev.webroot.httpd.tls.AlpnChallenges;
import dev.webroot.httpd.tls.CertificateStore;
import dev.webroot.httpd.tls.TlsConnectionFactory;
import dev.webroot.io.ConnectionFactory;
import dev.webroot.io.IoModel;
import dev.webroot.io.IoModels;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import sun.misc.Signal;

/**
 * The server: serves a vhosts directory until SIGTERM or SIGINT (or {@link #requestStop}); {@link #main} is its
 * command line.
 */
public final class Httpd {
    static final int EXIT_RUNTIME = 1;
    static final int EXIT_USAGE = 2;
    /** What closing the connections may take beyond {@code --shutdown-grace}. */
    private static final long STOP_MARGIN_NANOS = TimeUnit.MILLISECONDS.toNanos(900);

    private final Settings settings;
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final AtomicReference<String> stopReason = new AtomicReference<>();
    private final CompletableFuture<InetSocketAddress> listening = new CompletableFuture<>();
    private volatile ServerState state = ServerState.STARTING;

    Httpd(Settings settings) {
        this.settings = settings;
    }

    public static void main(String[] args) {
        System.exit(run(List.of(args), System.out, System.err));
    }

    /** Runs the command line to its end and returns the exit code; usage errors go to {@code err}. */
    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (CommandLine.asksForHelp(args)) {
            out.print(CommandLine.help());
            return 0;
        }
        if (CommandLine.asksForVersion(args)) {
            out.println(CommandLine.VERSION);
            return 0;
        }
        Settings settings;
        try {
            settings = CommandLine.parse(args);
        } catch (CommandLine.UsageException e) {
            err.println("httpd: " + e.getMessage());
            err.println("Try 'httpd --help' for the options.");
            return EXIT_USAGE;
        }
        return new Httpd(settings).serve();
    }

    /** Completes with the bound address once the server accepts connections. */
    CompletableFuture<InetSocketAddress> listening() {
        return listening;
    }

    /** Starts the orderly stop that SIGTERM starts, logging {@code reason} as what asked for it. */
    void requestStop(String reason) {
        stopReason.compareAndSet(null, reason);
        stopRequested.countDown();
    }

    /** Serves until a stop is requested, then stops in order; returns the exit code. */
    int serve() {
        ErrorLog errors;
        String errorLog = settings.errorLog();
        try {
            errors = errorLog.equals("-") ? ErrorLog.toStderr() : ErrorLog.toFile(Path.of(errorLog));
        } catch (IOException e) {
            System.err.println("httpd: cannot open error log " + errorLog + ": " + e.getMessage());
            listening.completeExceptionally(e);
            return EXIT_RUNTIME;
        }
        try (errors) {
            return serve(errors);
        } finally {
            listening.completeExceptionally(new IllegalStateException("httpd stopped before listening"));
        }
    }

    private int serve(ErrorLog errors) {
        PrivilegeDrop.Account account = null;
        String user = settings.user();
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
            registry = VhostRegistry.open(settings.vhostsDir(), errors, settings.vhostsRescan());
        } catch (IOException e) {
            errors.log(e.getMessage());
            return EXIT_USAGE;
        }
        try (registry) {
            AccessLog access;
            try {
                access = openAccessLog(errors);
            } catch (IOException e) {
                errors.log("cannot open access log " + settings.accessLog() + ": " + e.getMessage());
                return EXIT_RUNTIME;
            }
            try {
                return serve(errors, registry, access, account);
            } finally {
                if (access instanceof AsyncAccessLog async) {
                    async.close();
                }
            }
        }
    }

    private int serve(ErrorLog errors, VhostRegistry registry, AccessLog access, PrivilegeDrop.Account account) {
        Settings.Tls tls = settings.tls();
        if (tls == null) {
            return serve(errors, registry, access, account, null);
        }
        CertificateStore certificates;
        try {
            // Read before the privilege drop: keys are usually readable by root only.
            certificates = CertificateStore.open(tls.certificates(), errors, settings.vhostsRescan());
        } catch (IOException e) {
            errors.log("cannot read the certificate directory " + tls.certificates() + ": " + describe(e));
            return EXIT_USAGE;
        }
        try (certificates) {
            if (certificates.certificateCount() == 0) {
                errors.log("no usable certificate in " + tls.certificates() + " yet: TLS handshakes fail until one is added");
            }
            return serve(errors, registry, access, account, certificates);
        }
    }

    private int serve(ErrorLog errors, VhostRegistry registry, AccessLog log, PrivilegeDrop.Account account,
            CertificateStore certificates) {
        List<SocketActivation.Inherited> inherited;
        SystemdNotify notify;
        try {
            inherited = SocketActivation.fromEnvironment(System.getenv(), ProcessHandle.current().pid());
            notify = SystemdNotify.fromEnvironment(System.getenv());
        } catch (IllegalArgumentException e) {
            errors.log(e.getMessage());
            return EXIT_USAGE;
        }
        boolean admin = settings.admin() != null || inherited.stream().anyMatch(s -> s.role().equals("admin"));
        // Counting rides on the access log's hook, so that it costs nothing when there is no admin listener.
        RequestMetrics metrics = admin ? new RequestMetrics(log) : null;
        AccessLog access = admin ? metrics : log;
        String modelName = settings.model();
        IoModel model = IoModels.create(modelName, settings.ioSettings());
        registry.awaitFilePagesDeliveredBy(model::awaitFilePagesDelivered);
        SystemDateSource dates = new SystemDateSource();
        Settings.Tls tls = settings.tls();
        TlsConnectionFactory tlsFactory = null;
        AlpnChallenges alpnChallenges = null;
        ChallengeResponder httpChallenges = null;
        if (tls != null) {
            WorkspacePool secure = new WorkspacePool(registry, settings.limits(), dates, access,
                    ListenerPolicy.https(tls.hstsSeconds()));
            LinkedHashMap<String, ConnectionFactory> protocols = new LinkedHashMap<>();
            if (settings.http2()) {
                protocols.put(TlsConnectionFactory.H2, remote -> new Http2Connection(secure, remote));
            }
            protocols.put(TlsConnectionFactory.HTTP_1_1, remote -> new HttpConnection(secure, remote));
            alpnChallenges = tls.acme() == null ? null : new AlpnChallenges();
            if (tls.engine() != Settings.TlsEngineChoice.JDK) {
                try {
                    tlsFactory = TlsConnectionFactory.openSsl(certificates, protocols, tls.handshakeTimeout(),
                            settings.sendTimeout(), alpnChallenges);
                } catch (IllegalStateException e) {
                    if (tls.engine() == Settings.TlsEngineChoice.OPENSSL) {
                        errors.log("--tls-engine openssl: " + e.getMessage());
                        model.shutdown();
                        return EXIT_RUNTIME;
                    }
                    errors.log("TLS: OpenSSL is not available (" + e.getMessage() + "); using the JDK's SSLEngine");
                }
            }
            if (tlsFactory == null) {
                tlsFactory = new TlsConnectionFactory(certificates.keyManager(), certificates::hasCertificateFor,
                        protocols, tls.handshakeTimeout(), settings.sendTimeout(), alpnChallenges);
            }
            // HTTP-01 only where a cleartext listener will answer it: a bound --listen, or an http socket from systemd.
            boolean cleartextListener = inherited.isEmpty() ? !settings.listen().isEmpty()
                    : inherited.stream().anyMatch(socket -> socket.role().equals("http"));
            if (tls.acme() != null && cleartextListener) {
                httpChallenges = new ChallengeResponder();
            }
        }
        ConnectionFactory adminFactory = null;
        if (admin) {
            WorkspacePool adminPool = new WorkspacePool(registry, settings.limits(), dates, AccessLog.DISABLED,
                    ListenerPolicy.respondWith(new AdminEndpoints(metrics, registry, model, tlsFactory, () -> state)));
            adminFactory = remote -> new HttpConnection(adminPool, remote);
        }
        List<String> urls = new ArrayList<>();
        InetSocketAddress first = null;
        String adminUrl = null;
        try {
            List<InetSocketAddress> secure = new ArrayList<>();
            if (!inherited.isEmpty()) {
                for (SocketActivation.Inherited socket : inherited) {
                    if (socket.role().equals("https")) {
                        if (tlsFactory == null) {
                            errors.log("socket " + socket.fd() + " passed by systemd is named https, but TLS is not "
                                    + "configured: give --listen-tls and --tls-certs");
                            model.shutdown();
                            return EXIT_USAGE;
                        }
                        secure.add(adopt(model, socket, tlsFactory));
                    }
                }
            } else if (tls != null) {
                for (InetSocketAddress address : tls.listen()) {
                    secure.add(bind(model, "https", address, tlsFactory));
                }
            }
            // Redirects name the port the first TLS listener really got (port 0 asks for any).
            ListenerPolicy cleartextPolicy = tls != null && tls.redirectToHttps() && !secure.isEmpty()
                    ? ListenerPolicy.redirectToHttps(secure.getFirst().getPort())
                    : ListenerPolicy.PLAIN;
            if (httpChallenges != null) {
                cleartextPolicy = cleartextPolicy.answering(httpChallenges);
            }
            WorkspacePool cleartext = new WorkspacePool(registry, settings.limits(), dates, access, cleartextPolicy,
                    settings.http2());
            ConnectionFactory plain = remote -> new HttpConnection(cleartext, remote);
            List<InetSocketAddress> cleartextBound = new ArrayList<>();
            if (!inherited.isEmpty()) {
                for (SocketActivation.Inherited socket : inherited) {
                    if (socket.role().equals("http")) {
                        cleartextBound.add(adopt(model, socket, plain));
                    } else if (socket.role().equals("admin")) {
                        adminUrl = url("http", adopt(model, socket, adminFactory));
                    }
                }
            } else {
                for (InetSocketAddress address : settings.listen()) {
                    cleartextBound.add(bind(model, "http", address, plain));
                }
                if (settings.admin() != null) {
                    adminUrl = url("http", bind(model, "http", settings.admin(), adminFactory));
                }
            }
            for (InetSocketAddress bound : cleartextBound) {
                urls.add(url("http", bound));
                first = first == null ? bound : first;
            }
            for (InetSocketAddress bound : secure) {
                urls.add(url("https", bound));
                first = first == null ? bound : first;
            }
        } catch (UnsupportedOperationException e) {
            errors.log("socket activation: " + e.getMessage());
            model.shutdown();
            return EXIT_RUNTIME;
        } catch (IOException e) {
            errors.log(e.getMessage());
            model.shutdown();
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
        installSignalHandlers(errors, log, notify);
        try {
            model.start();
        } catch (IOException e) {
            errors.log("cannot start the " + modelName + " I/O model: " + describe(e));
            model.shutdown();
            return EXIT_RUNTIME;
        }
        int sites = registry.names().size();
        errors.log("listening on " + String.join(" ", urls) + " (io=" + modelName + ", vhosts=" + registry.directory()
                + ", " + sites + (sites == 1 ? " site" : " sites")
                + (certificates == null ? "" : ", " + certificates.certificateCount() + " certificates")
                + (account == null ? "" : ", user=" + account.name())
                + (inherited.isEmpty() ? "" : ", sockets from systemd") + ")");
        if (tlsFactory != null) {
            errors.log("TLS: " + tlsFactory.describe());
        }
        if (adminUrl != null) {
            errors.log("admin endpoints on " + adminUrl + ": /metrics /healthz /readyz /vhosts");
        }
        if (!registry.names().contains("__default__")) {
            errors.log("no __default__ entry in " + registry.directory() + ": requests for other hosts get 404");
        }
        CertificateManager acme = null;
        if (tls != null && tls.acme() != null) {
            Settings.Acme acmeSettings = tls.acme();
            try {
                acme = CertificateManager.start(acmeSettings.directory(), acmeSettings.email(), acmeSettings.trust(),
                        acmeSettings.hosts(), acmeSettings.firstRetry(), certificates, registry::names, httpChallenges,
                        alpnChallenges, errors);
            } catch (IOException | GeneralSecurityException e) {
                errors.log("cannot start ACME for " + tls.certificates() + ": " + e.getMessage());
                model.shutdown();
                return EXIT_RUNTIME;
            }
            errors.log("ACME: " + acmeSettings.directory() + ", challenges "
                    + (httpChallenges == null ? "tls-alpn-01" : "http-01 (else tls-alpn-01)")
                    + ", certificates in " + tls.certificates());
        }
        state = ServerState.SERVING;
        notify(notify, errors, "READY=1\nSTATUS=serving " + sites + (sites == 1 ? " site" : " sites"));
        Thread watchdog = startWatchdog(notify, errors, model);
        listening.complete(first);
        awaitStop();
        state = ServerState.STOPPING;
        notify(notify, errors, "STOPPING=1");
        if (watchdog != null) {
            watchdog.interrupt();
        }
        if (acme != null) {
            acme.close();
        }
        errors.log("received " + stopReason.get() + ": no longer accepting; finishing " + model.openConnections()
                + " open connections within " + settings.shutdownGrace().toMillis() + " ms");
        long started = System.nanoTime();
        // Whatever hangs, the stop ends 0.9 s after the grace period, with a non-zero status.
        Thread deadline = StopDeadline.start(settings.shutdownGrace().toNanos() + STOP_MARGIN_NANOS, line -> {
            errors.log(line);
            Runtime.getRuntime().halt(EXIT_RUNTIME);
        });
        model.shutdown();
        deadline.interrupt();
        errors.log("stopped after " + (System.nanoTime() - started) / 1_000_000 + " ms");
        return 0;
    }

    /** Takes over a socket systemd passed; the exception's message names it. */
    private static InetSocketAddress adopt(IoModel model, SocketActivation.Inherited socket, ConnectionFactory factory)
            throws IOException {
        try {
            return model.adopt(socket.fd(), factory);
        } catch (IOException e) {
            throw new IOException("cannot use socket " + socket.fd() + " (" + socket.role() + ") passed by systemd: "
                    + describe(e), e);
        }
    }

    /** Tells systemd about a change of state, when it asked to be told; a failure is logged, never fatal. */
    private static void notify(SystemdNotify notify, ErrorLog errors, String message) {
        if (notify == null) {
            return;
        }
        try {
            notify.send(message);
        } catch (RuntimeException e) {
            errors.log(e.getMessage());
        }
    }

    /**
     * When systemd's watchdog is on ({@code WATCHDOG_USEC}), pings it at half the interval, but only
     * while every I/O loop is alive: a server whose loops died is then restarted by systemd.
     */
    private static Thread startWatchdog(SystemdNotify notify, ErrorLog errors, IoModel model) {
        long micros = SystemdNotify.watchdogMicros(System.getenv(), ProcessHandle.current().pid());
        if (notify == null || micros == 0) {
            return null;
        }
        long intervalNanos = Math.max(1, micros / 2) * 1000;
        return Thread.ofPlatform().name("systemd-watchdog").daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                if (model.workersAlive()) {
                    notify(notify, errors, "WATCHDOG=1");
                }
                java.util.concurrent.locks.LockSupport.parkNanos(intervalNanos);
            }
        });
    }

    /** Binds one listener; the exception's message says which address failed and why. */
    private InetSocketAddress bind(IoModel model, String scheme, InetSocketAddress address, ConnectionFactory factory)
            throws IOException {
        try {
            return model.bind(address, settings.backlog(), factory);
        } catch (IOException e) {
            throw new IOException("cannot listen on " + url(scheme, address) + ": " + describe(e), e);
        }
    }

    private AccessLog openAccessLog(ErrorLog errors) throws IOException {
        return switch (settings.accessLog()) {
            case "off" -> AccessLog.DISABLED;
            case "-" -> AsyncAccessLog.toStdout(settings.accessLogFormat(), errors);
            default -> AsyncAccessLog.toFile(Path.of(settings.accessLog()), settings.accessLogFormat(), errors);
        };
    }

    /**
     * SIGTERM and SIGINT start an orderly stop (a second one while stopping ends the process at once);
     * SIGHUP reopens the log files, for logrotate. Handling the signals ourselves, rather than in a
     * shutdown hook, is what lets an orderly stop exit 0 instead of the JVM's 143.
     */
    private void installSignalHandlers(ErrorLog errors, AccessLog access, SystemdNotify notify) {
        for (String name : new String[] {"TERM", "INT"}) {
            handle(name, errors, signal -> {
                if (!stopReason.compareAndSet(null, "SIG" + signal.getName())) {
                    errors.log("received SIG" + signal.getName() + " while stopping: exiting now");
                    Runtime.getRuntime().halt(EXIT_RUNTIME);
                }
                stopRequested.countDown();
            });
        }
        handle("HUP", errors, signal -> {
            // Reopening the logs is all a reload does; systemd hears of it as one.
            notify(notify, errors, "RELOADING=1\nMONOTONIC_USEC=" + System.nanoTime() / 1000);
            errors.reopen();
            if (access instanceof AsyncAccessLog async) {
                async.reopen();
            }
            errors.log("received SIGHUP: reopening the log files");
            notify(notify, errors, "READY=1");
        });
    }

    private static void handle(String name, ErrorLog errors, sun.misc.SignalHandler handler) {
        try {
            // The JVM keeps a signal the parent ignored (nohup ignores SIGHUP) ignored, whatever the handler.
            if (Signal.handle(new Signal(name), handler) == sun.misc.SignalHandler.SIG_IGN) {
                errors.log("SIG" + name + " was ignored when httpd started (nohup?) and stays ignored: "
                        + ("HUP".equals(name) ? "it does not reopen the log files" : "it does not stop the server"));
            }
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
                // Only a signal or requestStop stops the server.
            }
        }
    }

    static String url(InetSocketAddress address) {
        return url("http", address);
    }

    static String url(String scheme, InetSocketAddress address) {
        String host = address.getAddress() == null ? address.getHostString() : address.getAddress().getHostAddress();
        if (host.contains(":")) {
            int scope = host.indexOf('%');
            host = "[" + (scope < 0 ? host : host.substring(0, scope)) + "]";
        }
        return scheme + "://" + host + ":" + address.getPort();
    }

    private static String describe(IOException e) {
        if (e instanceof BindException) {
            return e.getMessage() == null ? "address in use or not available" : e.getMessage();
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
