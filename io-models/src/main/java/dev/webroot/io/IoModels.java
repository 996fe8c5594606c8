package dev.webroot.io;

import dev.webroot.io.model.AsyncModel;
import dev.webroot.io.model.SelectorModel;
import dev.webroot.io.model.SyncModel;
import java.util.List;

/** Creates I/O models by their command-line name. */
public final class IoModels {
    /** Every model name, in the order they are documented. */
    public static final List<String> NAMES = List.of("sync", "sendfile", "async", "direct");

    /** The model measured fastest for small files (see io-models/BENCHMARK.md). */
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
