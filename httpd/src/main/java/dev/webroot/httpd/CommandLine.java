package dev.webroot.httpd;

import dev.webroot.httpd.core.Limits;
import dev.webroot.io.IoModels;
import dev.webroot.io.IoSettings;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;

/**
 * httpd's command line: {@code --name VALUE} or {@code --name=VALUE}, then VHOSTS_DIR and an optional MODEL.
 * Parsed by hand because it sits on the start-up path: a general CLI library costs a third of a second there
 * (its classes predate the class-file version the JVM's class-data cache accepts, and it reads annotations
 * through reflection), which is more than the whole rest of start-up.
 */
final class CommandLine {
    static final String VERSION = "httpd 0.1.0";
    private static final int WIDTH = 80;
    private static final String INDENT = "        ";
    /** Stands for a space that {@link #wrap} must not break at. */
    private static final char UNBROKEN = '\u00a0';

    /** The defaults of what the protocol core and the I/O models take, so that the two cannot drift apart. */
    private static final Limits LIMITS = Limits.defaults();
    private static final IoSettings IO = IoSettings.defaults();
    /** Longer durations are mistakes, and past about 290 years they overflow the nanosecond clock arithmetic. */
    private static final Duration MAX_DURATION = Duration.ofDays(1);

    /** How an option is given: once with a value, any number of times with a value, or alone. */
    private enum Arity { ONCE, REPEATED, FLAG }

    /** An option; {@code defaultValue} is null where there is none. */
    private record Option(String name, String label, String defaultValue, String description, Arity arity) {
        Option(String name, String label, String defaultValue, String description) {
            this(name, label, defaultValue, description, Arity.ONCE);
        }
    }

    /** The cleartext listener when neither --listen nor --listen-tls is given. */
    private static final String DEFAULT_LISTEN = "127.0.0.1:8080";

    private static final List<Option> OPTIONS = List.of(
            new Option("--listen", "HOST:PORT", DEFAULT_LISTEN,
                    "Cleartext HTTP address to listen on, repeatable; [::1]:8080 for IPv6, port 0 for any free port. "
                            + "The default applies only when no --listen-tls is given either.", Arity.REPEATED),
            new Option("--listen-tls", "HOST:PORT", null,
                    "HTTPS address to listen on, repeatable (needs --tls-certs).", Arity.REPEATED),
            new Option("--tls-certs", "DIR", null,
                    "Directory of PEM files, each a certificate chain and its key, chosen by SNI from the "
                            + "certificates' DNS names (__default__.pem otherwise); reloaded when files change."),
            new Option("--tls-handshake-timeout", "DURATION", "10s",
                    "Time a client has to complete the TLS handshake."),
            new Option("--tls-engine", "jdk|openssl|auto", "jdk",
                    "What runs TLS: the JDK's SSLEngine, or the system's OpenSSL 3 (libssl.so.3, loaded at "
                            + "start); auto: OpenSSL where libssl.so.3 loads, else the JDK's."),
            new Option("--redirect-to-https", null, null,
                    "Answer every cleartext request with 308 to the same host and target on the first "
                            + "--listen-tls port (except /.well-known/acme-challenge/).", Arity.FLAG),
            new Option("--hsts", "SECONDS", null,
                    "Send Strict-Transport-Security: max-age=SECONDS on every HTTPS response."),
            new Option("--admin", "HOST:PORT", null,
                    "Admin listener (cleartext; keep it on loopback or a private network): /metrics for "
                            + "Prometheus, /healthz, /readyz, /vhosts."),
            new Option("--acme", "DIRECTORY_URL", null,
                    "Obtain and renew certificates for the vhosts' DNS names into --tls-certs from this ACME "
                            + "directory (Let's Encrypt: https://acme-v02.api.letsencrypt.org/directory; staging: "
                            + "https://acme-staging-v02.api.letsencrypt.org/directory). Needs --acme-agree-tos."),
            new Option("--acme-email", "ADDRESS", null, "Contact address of the ACME account."),
            new Option("--acme-agree-tos", null, null,
                    "Agree to the ACME CA's terms of service (required with --acme).", Arity.FLAG),
            new Option("--acme-trust", "PEM", null,
                    "Trust anchors for the ACME server's own HTTPS certificate (default: the JDK's)."),
            new Option("--acme-hosts", "REGEX", null,
                    "Only vhost names matching REGEX (whole name) get ACME certificates."),
            new Option("--acme-retry", "DURATION", "1m",
                    "Wait after a failed ACME order, doubled after each further failure up to 1h (1s to 1h)."),
            new Option("--io", "MODEL", IoModels.DEFAULT,
                    "How bytes move: " + String.join(", ", IoModels.NAMES) + "."),
            new Option("--workers", "N", String.valueOf(IO.workers()), "Event loops or carrier threads; 0 = one per core."),
            new Option("--max-connections", "N", String.valueOf(IO.maxConnections()),
                    "Connections open at once; further ones are closed on accept."),
            new Option("--backlog", "N", "65535",
                    "Listen backlog; the kernel caps it at net.core.somaxconn (4096 by default)."),
            new Option("--request-head-timeout", "DURATION", text(LIMITS.requestHeadTimeout()),
                    "Time a client has to send a request head; 408 after it."),
            new Option("--keepalive-timeout", "DURATION", text(LIMITS.keepAliveTimeout()),
                    "Idle time after a response before the connection is closed."),
            new Option("--send-timeout", "DURATION", text(LIMITS.sendTimeout()),
                    "Time without send progress before the connection is closed."),
            new Option("--max-requests-per-connection", "N", String.valueOf(LIMITS.maxRequestsPerConnection()),
                    "Requests served on one connection before it is closed."),
            new Option("--max-request-line-bytes", "N", String.valueOf(LIMITS.maxRequestLineBytes()),
                    "Longest request line; 414 beyond it."),
            new Option("--max-header-bytes", "N", String.valueOf(LIMITS.maxHeaderBytes()),
                    "Largest header section; 431 beyond it."),
            new Option("--sendfile-threshold", "BYTES", String.valueOf(IO.sendfileThreshold()),
                    "Bodies at least this long go through sendfile or direct I/O where the model can."),
            new Option("--access-log", "PATH|-|off", "-",
                    "Access log: a file (appended), - for standard output, or off."),
            new Option("--access-log-format", "combined|json", "combined",
                    "Access log lines: combined log format plus host, encoding and seconds, or one JSON object."),
            new Option("--http2", "on|off", "on",
                    "HTTP/2: offered by ALPN on TLS listeners, and served to cleartext clients that open with its preface."),
            new Option("--error-log", "PATH|-", "-",
                    "Start-up, vhost changes and problems: a file (appended) or - for standard error."),
            new Option("--shutdown-grace", "DURATION", text(IO.shutdownGrace()),
                    "How long in-flight responses may take to finish on SIGTERM/SIGINT."),
            new Option("--vhosts-rescan", "DURATION", "500ms",
                    "How often VHOSTS_DIR is re-checked besides its change events."),
            new Option("--user", "NAME", null,
                    "After binding, switch to this user and its group for good (only when started as root)."));
    private static final Map<String, Option> BY_NAME =
            OPTIONS.stream().collect(Collectors.toMap(Option::name, option -> option));
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)?");

    /** A command line that cannot be served; the message names the argument and what is wrong with it. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message, null, false, false);
        }
    }

    private CommandLine() {}

    /** True when the arguments ask for the help text ({@code -h}, {@code --help}), whatever else they hold. */
    static boolean asksForHelp(List<String> args) {
        return beforeEndOfOptions(args).stream().anyMatch(arg -> arg.equals("-h") || arg.equals("--help"));
    }

    /** True when the arguments ask for the version ({@code -V}, {@code --version}). */
    static boolean asksForVersion(List<String> args) {
        return beforeEndOfOptions(args).stream().anyMatch(arg -> arg.equals("-V") || arg.equals("--version"));
    }

    private static List<String> beforeEndOfOptions(List<String> args) {
        int end = args.indexOf("--");
        return end < 0 ? args : args.subList(0, end);
    }

    static Settings parse(List<String> args) throws UsageException {
        Map<String, String> given = new HashMap<>();
        Map<String, List<String>> repeated = new HashMap<>();
        List<String> positional = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--")) {
                positional.addAll(args.subList(i + 1, args.size()));
                break;
            }
            if (!arg.startsWith("-") || arg.equals("-")) {
                positional.add(arg);
                continue;
            }
            int equals = arg.indexOf('=');
            String name = equals < 0 ? arg : arg.substring(0, equals);
            Option option = BY_NAME.get(name);
            if (option == null) {
                throw new UsageException("unknown option '" + name + "'");
            }
            String value;
            if (option.arity() == Arity.FLAG) {
                if (equals >= 0) {
                    throw new UsageException(name + " takes no value");
                }
                value = "true";
            } else if (equals >= 0) {
                value = arg.substring(equals + 1);
            } else if (i + 1 < args.size()) {
                value = args.get(++i);
            } else {
                throw new UsageException(name + " needs a value (" + option.label() + ")");
            }
            if (option.arity() == Arity.REPEATED) {
                repeated.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
            } else if (given.put(name, value) != null) {
                throw new UsageException(name + " is given more than once");
            }
        }
        if (positional.isEmpty()) {
            throw new UsageException("missing VHOSTS_DIR, the directory of virtual hosts");
        }
        if (positional.size() > 2) {
            throw new UsageException("unexpected argument '" + positional.get(2) + "' (after VHOSTS_DIR and MODEL)");
        }
        Values values = new Values(given);
        List<InetSocketAddress> listenTls = listenAddresses("--listen-tls", repeated.getOrDefault("--listen-tls", List.of()));
        List<InetSocketAddress> listen = listenAddresses("--listen",
                repeated.getOrDefault("--listen", listenTls.isEmpty() ? List.of(DEFAULT_LISTEN) : List.of()));
        Settings settings = new Settings(
                Path.of(positional.get(0)),
                model(given.get("--io"), positional.size() > 1 ? positional.get(1) : null),
                listen,
                values.integer("--workers", 0),
                values.integer("--max-connections", 1),
                values.integer("--backlog", 1),
                values.positiveDuration("--request-head-timeout"),
                values.positiveDuration("--keepalive-timeout"),
                values.positiveDuration("--send-timeout"),
                values.integer("--max-requests-per-connection", 1),
                values.integer("--max-request-line-bytes", 64),
                values.integer("--max-header-bytes", 256),
                values.number("--sendfile-threshold", 0),
                values.text("--access-log"),
                values.choice("--access-log-format", List.of("combined", "json")),
                values.choice("--http2", List.of("on", "off")).equals("on"),
                values.text("--error-log"),
                values.duration("--shutdown-grace"),
                values.positiveDuration("--vhosts-rescan"),
                values.text("--user"),
                tls(values, listen, listenTls),
                admin(values.text("--admin")));
        if (settings.user() != null && settings.user().isBlank()) {
            throw new UsageException("--user needs a user name");
        }
        return settings;
    }

    private static Settings.Tls tls(Values values, List<InetSocketAddress> listen, List<InetSocketAddress> listenTls)
            throws UsageException {
        String certificates = values.text("--tls-certs");
        boolean redirect = values.given().containsKey("--redirect-to-https");
        String hsts = values.text("--hsts");
        if (listenTls.isEmpty()) {
            for (String needsTls : List.of("--tls-certs", "--tls-handshake-timeout", "--tls-engine", "--redirect-to-https", "--hsts",
                    "--acme", "--acme-email", "--acme-agree-tos", "--acme-trust", "--acme-hosts", "--acme-retry")) {
                if (values.given().containsKey(needsTls)) {
                    throw new UsageException(needsTls + " needs a --listen-tls address");
                }
            }
            return null;
        }
        if (certificates == null || certificates.isBlank()) {
            throw new UsageException("--listen-tls needs --tls-certs DIR, the directory of certificates");
        }
        if (redirect && listen.isEmpty()) {
            throw new UsageException("--redirect-to-https needs a cleartext --listen address to redirect from");
        }
        return new Settings.Tls(listenTls, Path.of(certificates), values.positiveDuration("--tls-handshake-timeout"),
                Settings.TlsEngineChoice.valueOf(values.choice("--tls-engine", List.of("jdk", "openssl", "auto"))
                        .toUpperCase(Locale.ROOT)),
                redirect, hsts == null ? -1 : values.number("--hsts", 0), acme(values));
    }

    private static Settings.Acme acme(Values values) throws UsageException {
        String directory = values.text("--acme");
        if (directory == null) {
            for (String needsAcme : List.of("--acme-email", "--acme-agree-tos", "--acme-trust", "--acme-hosts",
                    "--acme-retry")) {
                if (values.given().containsKey(needsAcme)) {
                    throw new UsageException(needsAcme + " needs --acme DIRECTORY_URL");
                }
            }
            return null;
        }
        if (!values.given().containsKey("--acme-agree-tos")) {
            throw new UsageException("--acme needs --acme-agree-tos: read the CA's terms of service and agree to them");
        }
        URI uri;
        try {
            uri = new URI(directory);
        } catch (URISyntaxException e) {
            throw new UsageException("--acme: '" + directory + "' is not a URL: " + e.getReason());
        }
        if (!("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new UsageException("--acme: '" + directory + "' is not an http(s) URL of an ACME directory");
        }
        String email = values.text("--acme-email");
        if (email != null && (email.isBlank() || !email.contains("@"))) {
            throw new UsageException("--acme-email: '" + email + "' is not an e-mail address");
        }
        String trust = values.text("--acme-trust");
        String hosts = values.text("--acme-hosts");
        Pattern pattern = null;
        if (hosts != null) {
            try {
                pattern = Pattern.compile(hosts);
            } catch (PatternSyntaxException e) {
                throw new UsageException("--acme-hosts: '" + hosts + "' is not a regular expression: "
                        + e.getDescription());
            }
        }
        Duration firstRetry = values.duration("--acme-retry");
        if (firstRetry.compareTo(Duration.ofSeconds(1)) < 0 || firstRetry.compareTo(Duration.ofHours(1)) > 0) {
            throw new UsageException("--acme-retry must be between 1s and 1h, not " + values.text("--acme-retry"));
        }
        return new Settings.Acme(uri, email, trust == null ? null : Path.of(trust), pattern, firstRetry);
    }

    private static InetSocketAddress admin(String value) throws UsageException {
        if (value == null) {
            return null;
        }
        try {
            return parseListenAddress(value);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--admin: " + e.getMessage());
        }
    }

    private static List<InetSocketAddress> listenAddresses(String name, List<String> values) throws UsageException {
        List<InetSocketAddress> addresses = new ArrayList<>();
        for (String value : values) {
            try {
                InetSocketAddress address = parseListenAddress(value);
                if (address.getPort() != 0 && addresses.contains(address)) {
                    throw new UsageException(name + ": " + value + " is given twice");
                }
                addresses.add(address);
            } catch (IllegalArgumentException e) {
                throw new UsageException(name + ": " + e.getMessage());
            }
        }
        return addresses;
    }

    private static String model(String io, String positionalModel) throws UsageException {
        if (positionalModel != null && io != null && !positionalModel.equals(io)) {
            throw new UsageException(
                    "the I/O model is given twice, differently: MODEL '" + positionalModel + "' and --io " + io);
        }
        String model = io != null ? io : positionalModel != null ? positionalModel : IoModels.DEFAULT;
        if (!IoModels.NAMES.contains(model)) {
            throw new UsageException(
                    "unknown I/O model '" + model + "'; valid models: " + String.join(", ", IoModels.NAMES));
        }
        return model;
    }

    /** The given values, falling back to each option's default, converted with the option named in errors. */
    private record Values(Map<String, String> given) {
        String text(String name) {
            return given.getOrDefault(name, BY_NAME.get(name).defaultValue());
        }

        String choice(String name, List<String> choices) throws UsageException {
            String text = text(name);
            if (!choices.contains(text)) {
                throw new UsageException(name + ": '" + text + "' is not one of " + String.join(", ", choices));
            }
            return text;
        }

        long number(String name, long minimum) throws UsageException {
            String text = text(name);
            long value;
            try {
                value = Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new UsageException(name + ": '" + text + "' is not a whole number");
            }
            if (value < minimum) {
                throw new UsageException(name + " must be at least " + minimum + ", not " + value);
            }
            return value;
        }

        int integer(String name, int minimum) throws UsageException {
            long value = number(name, minimum);
            if (value > Integer.MAX_VALUE) {
                throw new UsageException(name + " must be at most " + Integer.MAX_VALUE + ", not " + value);
            }
            return (int) value;
        }

        Duration duration(String name) throws UsageException {
            Duration value;
            try {
                value = parseDuration(text(name));
            } catch (IllegalArgumentException e) {
                throw new UsageException(name + ": " + e.getMessage());
            }
            if (value.compareTo(MAX_DURATION) > 0) {
                throw new UsageException(name + " must be at most 24h, not " + text(name));
            }
            return value;
        }

        Duration positiveDuration(String name) throws UsageException {
            Duration value = duration(name);
            if (value.isZero()) {
                throw new UsageException(name + " must be longer than zero");
            }
            return value;
        }
    }

    /** A duration as the command line writes it: whole seconds as 60s, anything else in milliseconds. */
    private static String text(Duration duration) {
        return duration.toMillisPart() == 0 ? duration.toSeconds() + "s" : duration.toMillis() + "ms";
    }

    /** Parses 500ms, 60s, 2m, 1h; a bare number means seconds, as in nginx. */
    static Duration parseDuration(String value) {
        Matcher matcher = DURATION.matcher(value.trim());
        if (!matcher.matches()) {
            throw new IllegalArgumentException("'" + value + "' is not a duration (examples: 500ms, 60s, 2m, 1h)");
        }
        long amount = Long.parseLong(matcher.group(1));
        String unit = matcher.group(2) == null ? "s" : matcher.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofSeconds(amount);
        };
    }

    /** Parses HOST:PORT, [IPV6]:PORT; the host is resolved once, at start-up. */
    static InetSocketAddress parseListenAddress(String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new IllegalArgumentException(
                    "'" + value + "' is not HOST:PORT (for example 127.0.0.1:8080 or [::1]:8080)");
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new IllegalArgumentException("'" + value + "': put an IPv6 address in brackets, as [::1]:8080");
        }
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "': the port is not a number");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("'" + value + "': the port must be 0 to 65535");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + value + "': unknown host " + host);
        }
    }

    static String help() {
        StringBuilder help = new StringBuilder("Usage: httpd [OPTIONS] VHOSTS_DIR [MODEL]\n\n");
        wrap(help, "", "Serves every webroot in VHOSTS_DIR as a virtual host named after its entry (__default__ "
                + "answers unknown hosts). Replacing an entry (ln -s NEW .tmp && mv -T .tmp NAME) deploys a site "
                + "atomically, without a restart. SIGTERM or SIGINT stops accepting, lets in-flight responses finish "
                + "within --shutdown-grace, and exits 0; SIGHUP reopens the log files.");
        help.append('\n');
        describe(help, "VHOSTS_DIR", "Directory whose entries (webroot files or symlinks to them) are the virtual "
                + "hosts.");
        describe(help, "MODEL", "The I/O model, as in ashttpd's 'httpd VHOSTS_DIR MODEL' (same as --io).");
        help.append("\nOptions (durations take a unit: 500ms, 60s, 2m; a bare number means seconds):\n");
        for (Option option : OPTIONS) {
            describe(help, option.label() == null ? option.name() : option.name() + "=" + option.label(), option.description()
                    + (option.defaultValue() == null ? "" : " (default:" + UNBROKEN + option.defaultValue() + ")"));
        }
        describe(help, "-h, --help", "Show this help and exit.");
        describe(help, "-V, --version", "Print the version and exit.");
        help.append("""

                Exit codes:
                  0   stopped by SIGTERM or SIGINT
                  1   could not start (cannot listen, cannot drop privileges, cannot open a log)
                  2   bad command line, or VHOSTS_DIR or --tls-certs unusable
                """);
        return help.toString();
    }

    private static void describe(StringBuilder help, String term, String description) {
        help.append("  ").append(term).append('\n');
        wrap(help, INDENT, description);
    }

    /** Appends {@code text} broken at spaces into lines of at most {@link #WIDTH} columns, each indented. */
    private static void wrap(StringBuilder out, String indent, String text) {
        int column = 0;
        for (String word : text.split(" ")) {
            if (column > 0 && column + 1 + word.length() > WIDTH) {
                out.append('\n');
                column = 0;
            }
            if (column == 0) {
                out.append(indent);
                column = indent.length() + word.length();
            } else {
                out.append(' ');
                column += 1 + word.length();
            }
            out.append(word.replace(UNBROKEN, ' '));
        }
        out.append('\n');
    }
}
