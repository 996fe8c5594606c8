package dev.webroot.mkroot;

import dev.webroot.format.Encoding;
import dev.webroot.format.WebrootWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** {@code mkroot [pack] SRC_DIR OUT_FILE}: packs a directory tree into a webroot file. */
@Command(name = "pack", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Packs SRC_DIR into the webroot file OUT_FILE (written to a temporary file, synced, then renamed).",
            "index.html serves its directory (/dir/; /dir redirects there); a root 404.html is the not-found page; "
                    + "dotfiles are left out except .well-known/; fingerprinted names (a hash in the name) are cached "
                    + "as immutable. Compressible files (text, wasm, fonts, icons) of 256 bytes to 64 MiB get gzip, br and zstd variants when they save "
                    + "enough; larger files are stored uncompressed.",
            "_headers and _redirects at the root of SRC_DIR (Netlify / Cloudflare Pages syntax) are compiled into "
                    + "the webroot as header fields and rules, not packed as files.",
            "SOURCE_DATE_EPOCH, when set, caps every Last-Modified time (reproducible builds)."})
final class PackCommand implements Callable<Integer> {
    private final Io io;

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SRC_DIR", description = "The directory tree to pack.")
    private Path sourceDir;

    @Parameters(index = "1", paramLabel = "OUT_FILE", description = "The webroot file to write (replaced atomically).")
    private Path outFile;

    @Option(names = "--not-found", paramLabel = "PATH",
            description = "The not-found page, relative to SRC_DIR (default: 404.html when present).")
    private String notFound;

    @Option(names = "--no-not-found", description = "Have no not-found page, even if 404.html exists.")
    private boolean noNotFound;

    @Option(names = "--include-dotfiles", description = "Pack files and directories whose names start with '.'.")
    private boolean includeDotfiles;

    @Option(names = "--immutable-pattern", paramLabel = "REGEX", converter = PatternConverter.class,
            description = "URL paths matching REGEX (find) are cached as immutable, instead of detecting fingerprinted names.")
    private Pattern immutablePattern;

    @Option(names = "--cache-control", paramLabel = "VALUE", defaultValue = CachePolicy.DEFAULT,
            description = "Cache-Control of files that are not immutable ('none' for no header; default: ${DEFAULT-VALUE}).")
    private String cacheControl;

    @Option(names = "--no-nosniff", description = "Do not send X-Content-Type-Options: nosniff.")
    private boolean noNosniff;

    @Option(names = "--no-compress", description = "Store no precompressed variants.")
    private boolean noCompress;

    @Option(names = "--encodings", paramLabel = "LIST", split = ",", defaultValue = "br,gzip,zstd",
            converter = EncodingConverter.class,
            description = "Precompressed variants to make, from br, gzip, zstd (default: ${DEFAULT-VALUE}).")
    private List<Encoding> encodings;

    @Option(names = "--min-saving", paramLabel = "PERCENT", defaultValue = "5",
            description = "Keep a variant only if it is this much smaller (and 128 bytes smaller) than the file (default: ${DEFAULT-VALUE}).")
    private int minSavingPercent;

    @Option(names = "--clean-urls",
            description = "Serve name.html at name (and dir/index.html only at dir/), redirecting the .html paths there with 308.")
    private boolean cleanUrls;

    @Option(names = "--follow-external-links",
            description = "Pack the files and directories that symbolic links outside SRC_DIR point to.")
    private boolean followExternalLinks;

    @Option(names = "--threads", paramLabel = "N",
            description = "Files compressed in parallel (default: the number of processors).")
    private int threads = Runtime.getRuntime().availableProcessors();

    PackCommand(Io io) {
        this.io = io;
    }

    @Override
    public Integer call() throws IOException {
        Long sourceDateEpoch = sourceDateEpoch();
        checkOptions();
        Path out = checkOutput(checkSourceDir());
        HeaderRules headerRules = readRules(HeaderRules.FILE_NAME) instanceof String text ? HeaderRules.parse(text) : HeaderRules.NONE;
        List<WebrootWriter.Rule> redirectRules = readRules(RedirectRules.FILE_NAME) instanceof String text
                ? RedirectRules.parse(text) : List.of();
        TreeScanner scanner = new TreeScanner(sourceDir, includeDotfiles, followExternalLinks,
                message -> io.err().println("mkroot: warning: " + message));
        List<SourceFile> files = scanner.scan();
        SourceFile notFoundPage = notFoundPage(files);
        SiteAssembler assembler = new SiteAssembler(!noNosniff, cleanUrls, headerRules, redirectRules);
        assembler.checkRules(files);
        Precompressor precompressor = noCompress ? null : new Precompressor(EnumSet.copyOf(encodings), minSavingPercent);
        CachePolicy cachePolicy = new CachePolicy(immutablePattern, cacheControl.equals("none") ? null : cacheControl);
        long totalBytes = files.stream().mapToLong(SourceFile::size).sum();
        try (Progress progress = Progress.start(io, files.size(), totalBytes);
             VariantStore variants = openVariantStore(out)) {
            FileProcessor processor = new FileProcessor(precompressor, variants, cachePolicy, sourceDateEpoch, progress);
            List<PackedFile> packed = processAll(files, processor);
            progress.phase("writing " + out.getFileName());
            try {
                assembler.assemble(packed, notFoundPage).write(out);
            } catch (IOException e) {
                throw new MkrootException("cannot write " + out + ": " + reason(e, out.getParent()), e);
            } catch (IllegalArgumentException | IllegalStateException e) {
                // The writer's limits, e.g. an index beyond 2 GiB.
                throw new MkrootException("cannot write " + out + ": " + e.getMessage(), e);
            }
            progress.finish(out.getFileName().toString(), Files.size(out));
        }
        return Mkroot.EXIT_OK;
    }

    /** The text of a rule file at the root of SRC_DIR, or null when there is none. */
    private String readRules(String name) throws IOException {
        Path file = sourceDir.resolve(name);
        if (!Files.exists(file)) {
            return null;
        }
        if (!Files.isRegularFile(file)) {
            throw new MkrootException(name + ": not a regular file");
        }
        byte[] bytes = Files.readAllBytes(file);
        try {
            return java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new MkrootException(name + ": not valid UTF-8 text");
        }
    }

    /** The store of compressed variants beside OUT_FILE; a directory that cannot be written is reported as OUT_FILE's. */
    private static VariantStore openVariantStore(Path out) {
        try {
            return VariantStore.open(out.getParent());
        } catch (IOException e) {
            throw new MkrootException("cannot write " + out + ": " + reason(e, out.getParent()), e);
        }
    }

    /** What went wrong, without naming the temporary file the failure happened on. */
    static String reason(IOException e, Path dir) {
        return switch (e) {
            case java.nio.file.AccessDeniedException a -> "permission denied in " + dir;
            case java.nio.file.FileSystemException f -> (f.getReason() != null ? f.getReason() : "cannot create a file")
                    + " in " + dir;
            default -> IoErrors.describe(e);
        };
    }

    /** Processes files on a fixed pool; results keep the walk order, so thread timing cannot change the output. */
    private List<PackedFile> processAll(List<SourceFile> files, FileProcessor processor) throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(threads, Thread.ofPlatform().daemon().name("pack-", 0).factory());
        try {
            List<Future<PackedFile>> futures = new ArrayList<>(files.size());
            for (SourceFile file : files) {
                futures.add(pool.submit(() -> processor.process(file)));
            }
            List<PackedFile> packed = new ArrayList<>(files.size());
            for (Future<PackedFile> future : futures) {
                packed.add(future.get());
            }
            return packed;
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case IOException failure -> throw failure;
                case RuntimeException failure -> throw failure;
                case Error failure -> throw failure;
                default -> throw new IllegalStateException(e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MkrootException("interrupted");
        } finally {
            pool.shutdownNow();
        }
    }

    private Long sourceDateEpoch() {
        String value = io.env().get("SOURCE_DATE_EPOCH");
        if (value == null || value.isEmpty()) {
            return null;
        }
        if (!value.matches("[0-9]{1,18}")) {
            throw usage("SOURCE_DATE_EPOCH must be a non-negative integer number of seconds, not '" + value + "'");
        }
        return Long.parseLong(value);
    }

    private void checkOptions() {
        if (noNotFound && notFound != null) {
            throw usage("--not-found and --no-not-found cannot be used together");
        }
        if (minSavingPercent < 0 || minSavingPercent > 99) {
            throw usage("--min-saving must be between 0 and 99, not " + minSavingPercent);
        }
        if (threads < 1) {
            throw usage("--threads must be at least 1, not " + threads);
        }
        if (!cacheControl.matches("[\\x20-\\x7e]+") || cacheControl.isBlank()) {
            throw usage("--cache-control must be visible ASCII text: '" + cacheControl + "'");
        }
    }

    private Path checkSourceDir() throws IOException {
        if (!Files.exists(sourceDir)) {
            throw usage("SRC_DIR " + sourceDir + " does not exist");
        }
        if (!Files.isDirectory(sourceDir)) {
            throw usage("SRC_DIR " + sourceDir + " is not a directory");
        }
        return sourceDir.toRealPath();
    }

    /** The output's absolute path; refused when it could not be renamed into place or would be packed into itself. */
    private Path checkOutput(Path realSource) throws IOException {
        Path absolute = outFile.toAbsolutePath().normalize();
        Path parent = absolute.getParent();
        if (parent == null || absolute.getFileName() == null) {
            throw usage("OUT_FILE " + outFile + " is not a file name");
        }
        if (!Files.isDirectory(parent)) {
            throw usage("the directory of OUT_FILE, " + parent + ", does not exist");
        }
        if (Files.isDirectory(absolute)) {
            throw usage("OUT_FILE " + outFile + " is a directory");
        }
        Path real = parent.toRealPath().resolve(absolute.getFileName());
        if (real.startsWith(realSource)) {
            throw usage("OUT_FILE " + outFile + " is inside SRC_DIR " + sourceDir + "; it would be packed into itself");
        }
        return real;
    }

    private SourceFile notFoundPage(List<SourceFile> files) {
        if (noNotFound) {
            return null;
        }
        String wanted = notFound == null ? "404.html" : notFound.replaceFirst("^/+", "");
        for (SourceFile file : files) {
            if (file.relativePath().equals(wanted)) {
                return file;
            }
        }
        if (notFound != null) {
            throw usage("--not-found " + notFound + ": no such file is packed from SRC_DIR");
        }
        return null;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /** Compiles a regular expression, describing a syntax error in one line. */
    static final class PatternConverter implements ITypeConverter<Pattern> {
        @Override
        public Pattern convert(String value) {
            try {
                return Pattern.compile(value);
            } catch (PatternSyntaxException e) {
                throw new TypeConversionException("invalid regular expression '" + value + "': " + e.getDescription()
                        + (e.getIndex() >= 0 ? " at index " + e.getIndex() : ""));
            }
        }
    }

    /** Parses the tokens br, gzip and zstd. */
    static final class EncodingConverter implements ITypeConverter<Encoding> {
        @Override
        public Encoding convert(String value) {
            for (Encoding encoding : Encoding.values()) {
                if (encoding != Encoding.IDENTITY && encoding.token().equals(value)) {
                    return encoding;
                }
            }
            throw new TypeConversionException("unknown encoding '" + value + "' (expected br, gzip or zstd)");
        }
    }
}
