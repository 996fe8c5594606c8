package dev.webroot.io;

import java.time.Duration;
import java.util.Objects;

/**
 * How an I/O model runs: {@code workers} event loops or carrier threads (0 = one per core),
 * {@code maxConnections} open at once (past it, new connections are accepted and closed at once; a
 * model lowers it to what the process's descriptor limit allows, see {@link IoModel#maxConnections}),
 * {@code sendfileThreshold}: file spans at least this long go through {@code transferTo} or direct
 * I/O where the model supports it; smaller ones are copied from the mapping in one gathering write;
 * and {@code loopFailure}, what happens when a loop fails outside any connection.
 */
public record IoSettings(int workers, int maxConnections, long sendfileThreshold, Duration shutdownGrace,
        LoopFailureHandler loopFailure) {
    public IoSettings {
        Objects.requireNonNull(loopFailure, "loopFailure");
    }

    /** Settings whose loop failures halt the process ({@link LoopFailureHandler#HALT}). */
    public IoSettings(int workers, int maxConnections, long sendfileThreshold, Duration shutdownGrace) {
        this(workers, maxConnections, sendfileThreshold, shutdownGrace, LoopFailureHandler.HALT);
    }

    public static IoSettings defaults() {
        return new IoSettings(0, 10_000, 256 * 1024, Duration.ofSeconds(10));
    }

    public IoSettings withLoopFailure(LoopFailureHandler handler) {
        return new IoSettings(workers, maxConnections, sendfileThreshold, shutdownGrace, handler);
    }

    public int workerCount() {
        return workers > 0 ? workers : Runtime.getRuntime().availableProcessors();
    }
}
