package dev.webroot.io;

import java.time.Duration;

/**
 * How an I/O model runs: {@code workers} event loops or carrier threads (0 = one per core),
 * {@code maxConnections} open at once (past it, new connections are accepted and closed at once), and
 * {@code sendfileThreshold}: file spans at least this long go through {@code transferTo} or direct
 * I/O where the model supports it; smaller ones are copied from the mapping in one gathering write.
 */
public record IoSettings(int workers, int maxConnections, long sendfileThreshold, Duration shutdownGrace) {
    public static IoSettings defaults() {
        return new IoSettings(0, 10_000, 256 * 1024, Duration.ofSeconds(10));
    }

    public int workerCount() {
        return workers > 0 ? workers : Runtime.getRuntime().availableProcessors();
    }
}
