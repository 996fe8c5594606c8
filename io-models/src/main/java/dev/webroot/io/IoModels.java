package dev.webroot.io;

import dev.webroot.io.model.AsyncModel;
import dev.webroot.io.model.SelectorModel;
import dev.webroot.io.model.SyncModel;
import java.util.List;

/** Creates I/O models by their command-line name. */
public final class IoModels {
    /** Every model name, in the order they are documented. */
    public static final List<String> NAMES = List.of("sync", "sendfile", "async", "direct");

    /**
     * The model measured fastest for small files. {@code IoModelBenchmark} (io-models test sources),
     * 2 KiB bodies, 16 keep-alive loopback clients in the same JVM on a shared, loaded 2-vCPU
     * machine, five interleaved 2 s runs (req/s): sendfile mean 59.5 K (best 69.5 K), sync 49.1 K
     * (84.9 K), direct 44.9 K (61.9 K; the same code path as sendfile for small bodies, so the gap
     * is noise), async 43.4 K (52.4 K). Earlier, with less load, sync and sendfile tied at 85 K.
     * The event loops also hold up best under load and keep a bounded thread count.
     */
    public static final String DEFAULT = "sendfile";

    private IoModels() {}

    /** @throws IllegalArgumentException if {@code name} is not one of {@link #NAMES} */
    public static IoModel create(String name, IoSettings settings) {
        return switch (name) {
            case "sync" -> new SyncModel(settings);
            case "sendfile" -> SelectorModel.sendfile(settings);
            case "async" -> new AsyncModel(settings);
            case "direct" -> SelectorModel.direct(settings);
            default -> throw new IllegalArgumentException(
                    "unknown I/O model '" + name + "'; valid models: " + String.join(", ", NAMES));
        };
    }
}
