package dev.webroot.mkroot;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryIteratorException;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code mkroot} command line: packs a directory tree into a webroot file, and lists, verifies and
 * extracts from existing ones. Exit codes: 0 success, 1 runtime failure, 2 usage error.
 */
@Command(name = "mkroot", mixinStandardHelpOptions = true, version = "mkroot 0.1.0",
        customSynopsis = {
            "mkroot SRC_DIR OUT_FILE [pack options]",
            "       mkroot pack|ls|verify|cat ... (mkroot COMMAND --help for details)"},
        description = "Packs a directory tree into one indexed webroot file that httpd serves, "
                + "and inspects webroot files.",
        footer = {"", "The bare form 'mkroot SRC_DIR OUT_FILE' is 'mkroot pack SRC_DIR OUT_FILE'; "
                + "use 'mkroot pack' explicitly when SRC_DIR is named like a command."})
public final class Mkroot implements Runnable {
    static final int EXIT_OK = 0;
    static final int EXIT_FAILURE = 1;
    static final int EXIT_USAGE = 2;

    private static final Set<String> NOT_A_SOURCE_DIR =
            Set.of("pack", "ls", "verify", "cat", "help", "-h", "--help", "-V", "--version");

    @Spec
    private CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args, Io.system()));
    }

    /** Runs the CLI with the given streams and environment and returns the exit code. */
    public static int run(String[] args, Io io) {
        CommandLine cli = new CommandLine(new Mkroot());
        cli.addSubcommand("pack", new PackCommand(io));
        cli.addSubcommand("ls", new ListCommand(io));
        cli.addSubcommand("verify", new VerifyCommand(io));
        cli.addSubcommand("cat", new CatCommand(io));
        cli.addSubcommand("help", new CommandLine.HelpCommand());
        cli.setOut(new PrintWriter(io.out(), true));
        cli.setErr(new PrintWriter(io.err(), true));
        cli.setParameterExceptionHandler((e, arguments) -> {
            io.err().println("mkroot: " + e.getMessage());
            io.err().println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help' for more information.");
            return EXIT_USAGE;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> reportFailure(e, io));
        return cli.execute(withImplicitPack(args));
    }

    /** The documented short form {@code mkroot SRC_DIR OUT_FILE} means the pack command. */
    private static String[] withImplicitPack(String[] args) {
        if (args.length == 0 || NOT_A_SOURCE_DIR.contains(args[0])) {
            return args;
        }
        String[] packed = new String[args.length + 1];
        packed[0] = "pack";
        System.arraycopy(args, 0, packed, 1, args.length);
        return packed;
    }

    private static int reportFailure(Exception e, Io io) {
        String message = switch (e) {
            case MkrootException m -> m.getMessage();
            case UncheckedIOException u -> IoErrors.describe(u.getCause());
            case DirectoryIteratorException d -> IoErrors.describe(d.getCause());
            case IOException i -> IoErrors.describe(i);
            default -> null;
        };
        if (message == null) {
            io.err().println("mkroot: internal error (please report it):");
            e.printStackTrace(io.err());
        } else {
            io.err().println("mkroot: " + message);
        }
        return EXIT_FAILURE;
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing SRC_DIR OUT_FILE or a command");
    }
}
