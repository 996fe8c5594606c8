package dev.webroot.io;

import dev.webroot.io.model.AsyncModel;
import dev.webroot.io.model.EpollModel;
import dev.webroot.io.model.SelectorModel;
import dev.webroot.io.model.SyncModel;
import java.util.List;

/** Creates I/O models by their command-line name. */
public final class IoModels {
    /** Every model name, in the order they are documented. */
    public static final List<String> NAMES = List.of("sync", "sendfile", "async", "direct", "epoll");

    /**
     * The model measured fastest and leanest: wrk against one worker, each pinned to its own CPU of
     * the 2-vCPU development machine, interleaved rounds of epoll and sendfile: 1 KiB keep-alive
     * 96.6 K against 86.5 K req/s (mean of three), 100 MB file 2.1 to 3.3 GB/s against 1.6 to 1.8
     * GB/s, a new connection per request tied at about 13.5 K/s (two each); and an idle connection
     * retains about 180 bytes of heap against about 1.1 KB with a JDK channel, selection key and
     * per-socket locks (class histograms with 10,000 connections held).
     */
    public static final String DEFAULT = "epoll";

    private IoModels() {}

    /** @throws IllegalArgumentException if {@code name} is not one of {@link #NAMES} */
    public static IoModel create(String name, IoSettings settings) {
        return switch (name) {
            case "sync" -> new SyncModel(settings);
            case "sendfile" -> SelectorModel.sendfile(settings);
            case "async" -> new AsyncModel(settings);
            case "direct" -> SelectorModel.direct(settings);
            case "epoll" -> new EpollModel(settings);
            default -> throw new IllegalArgumentException(
                    "unknown I/O model '" + name + "'; valid models: " + String.join(", ", NAMES));
        };
    }
}
