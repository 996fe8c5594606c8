package dev.webroot.fleet;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Command line of the fleet tools: {@code agent} (scripts/webroot-agent) and {@code publish},
 * {@code status}, {@code rollback} (scripts/webroot-fleet). Options are parsed by hand, as httpd's
 * are. Exit status: 0 done, 1 refused or failed (one line on stderr says why), 2 usage error.
 */
public final class Fleet {
    static final int EXIT_FAILURE = 1;
    static final int EXIT_USAGE = 2;
    private static final String USAGE = """
            usage: webroot-fleet [--etcd URL[,URL...]] publish FILE SITE [--source URL]... [--serve HOST:PORT] [--timeout 60s]
                   webroot-fleet [--etcd URL[,URL...]] status SITE
                   webroot-fleet [--etcd URL[,URL...]] rollback SITE [--timeout 60s]
                   webroot-agent --etcd URL[,URL...] --vhosts DIR --store DIR [--node NAME] [--admin HOST:PORT]
                                 [--lease-ttl 5s] [--keep 3] [--httpd-admin URL] [--catch-up 30s]
            --etcd defaults to $WEBROOT_ETCD, else http://127.0.0.1:2379.""";

    private Fleet() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        List<String> rest = new ArrayList<>(List.of(args));
        try {
            String endpoints = take(rest, "--etcd", System.getenv().getOrDefault("WEBROOT_ETCD", "http://127.0.0.1:2379"));
            if (rest.isEmpty() || rest.getFirst().equals("--help") || rest.getFirst().equals("-h")) {
                (rest.isEmpty() ? err : out).println(USAGE);
                return rest.isEmpty() ? EXIT_USAGE : 0;
            }
            Etcd etcd = Etcd.parse(endpoints);
            String command = rest.removeFirst();
            switch (command) {
                case "agent" -> {
                    String catchUpOption = take(rest, "--catch-up", null);
                    Duration catchUp = catchUpOption == null ? null : duration(catchUpOption);
                    Agent.Options options = new Agent.Options(etcd,
                            Keys.nodeName(take(rest, "--node", InetAddress.getLocalHost().getHostName())),
                            directory(require(rest, "--vhosts")), Path.of(require(rest, "--store")),
                            address(take(rest, "--admin", "127.0.0.1:0")),
                            Math.max(1, duration(take(rest, "--lease-ttl", "5s")).toSeconds()),
                            positive(take(rest, "--keep", "3"), "--keep"), httpdAdmin(take(rest, "--httpd-admin", null)));
                    noneLeft(rest);
                    if (catchUp != null) {
                        return new Agent(options).catchUp(catchUp) ? 0 : EXIT_FAILURE;
                    }
                    new Agent(options).run();
                    return 0;
                }
                case "publish" -> {
                    List<String> sources = new ArrayList<>();
                    for (String source; (source = take(rest, "--source", null)) != null; ) {
                        if (!source.startsWith("http://") && !source.startsWith("https://") || source.contains(" ")) {
                            throw new IllegalArgumentException("--source must be an http(s) URL without spaces: " + source);
                        }
                        sources.add(source);
                    }
                    String serve = take(rest, "--serve", null);
                    Duration timeout = duration(take(rest, "--timeout", "60s"));
                    noOptionsLeft(rest);
                    if (rest.size() != 2) {
                        throw new IllegalArgumentException("publish takes FILE SITE");
                    }
                    new Publisher(etcd, out).publish(Path.of(rest.get(0)), Keys.site(rest.get(1)), sources,
                            serve == null ? null : address(serve), timeout);
                    return 0;
                }
                case "status" -> {
                    noOptionsLeft(rest);
                    if (rest.size() != 1) {
                        throw new IllegalArgumentException("status takes SITE");
                    }
                    new Publisher(etcd, out).status(Keys.site(rest.getFirst()));
                    return 0;
                }
                case "rollback" -> {
                    Duration timeout = duration(take(rest, "--timeout", "60s"));
                    noOptionsLeft(rest);
                    if (rest.size() != 1) {
                        throw new IllegalArgumentException("rollback takes SITE");
                    }
                    new Publisher(etcd, out).rollback(Keys.site(rest.getFirst()), timeout);
                    return 0;
                }
                default -> throw new IllegalArgumentException("unknown command '" + command + "'");
            }
        } catch (IllegalArgumentException e) {
            err.println("webroot-fleet: " + e.getMessage());
            err.println(USAGE);
            return EXIT_USAGE;
        } catch (Publisher.Refused e) {
            err.println("webroot-fleet: " + e.getMessage());
            return EXIT_FAILURE;
        } catch (IOException e) {
            err.println("webroot-fleet: " + Etcd.describe(e));
            return EXIT_FAILURE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return EXIT_FAILURE;
        }
    }

    /** Removes OPTION and its value from ARGS; returns the value, or FALLBACK when absent. */
    private static String take(List<String> args, String option, String fallback) {
        int at = args.indexOf(option);
        if (at < 0) {
            return fallback;
        }
        if (at + 1 >= args.size()) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        args.remove(at);
        return args.remove(at);
    }

    private static String require(List<String> args, String option) {
        String value = take(args, option, null);
        if (value == null) {
            throw new IllegalArgumentException(option + " is required");
        }
        return value;
    }

    private static void noneLeft(List<String> args) {
        if (!args.isEmpty()) {
            throw new IllegalArgumentException("unexpected argument '" + args.getFirst() + "'");
        }
    }

    private static void noOptionsLeft(List<String> args) {
        for (String arg : args) {
            if (arg.startsWith("--")) {
                throw new IllegalArgumentException("unknown option '" + arg + "'");
            }
        }
    }

    private static Path directory(String value) {
        Path path = Path.of(value);
        if (!Files.isDirectory(path)) {
            throw new IllegalArgumentException("not a directory: " + value);
        }
        return path;
    }

    private static URI httpdAdmin(String value) {
        if (value == null) {
            return null;
        }
        URI uri = URI.create(value.replaceAll("/+$", ""));
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("--httpd-admin must be an http(s)://HOST:PORT URL: " + value);
        }
        return uri;
    }

    private static InetSocketAddress address(String value) {
        int colon = value.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("expected HOST:PORT, got '" + value + "'");
        }
        String host = value.substring(0, colon).replaceAll("^\\[|]$", "");
        try {
            return new InetSocketAddress(host, Integer.parseInt(value.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expected HOST:PORT, got '" + value + "'");
        }
    }

    static Duration duration(String value) {
        try {
            if (value.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2)));
            }
            if (value.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(value.substring(0, value.length() - 1)));
            }
            if (value.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(value.substring(0, value.length() - 1)));
            }
            return Duration.ofSeconds(Long.parseLong(value));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a duration such as 500ms, 60s or 2m, got '" + value + "'");
        }
    }

    private static int positive(String value, String option) {
        try {
            int n = Integer.parseInt(value);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // Reported below.
        }
        throw new IllegalArgumentException(option + " must be a positive integer, got '" + value + "'");
    }
}
