package dev.webroot.httpd.log;

import dev.webroot.httpd.core.AccessRecord;

/** How one access record becomes one line of bytes; formats allocate nothing. */
sealed interface LineFormat permits CombinedLogFormat, JsonLogFormat {
    /** The longest line any record can give, newline included: every field is capped to fit. */
    int MAX_LINE = 4096;

    /**
     * Writes the record's line into {@code into} from {@code at}, which must leave {@link #MAX_LINE}
     * bytes of room; returns the position after its newline.
     */
    int format(AccessRecord record, long epochMillis, byte[] into, int at);

    /** The format a command-line name stands for: "combined" or "json". */
    static LineFormat named(String name) {
        return switch (name) {
            case "combined" -> new CombinedLogFormat();
            case "json" -> new JsonLogFormat();
            default -> throw new IllegalArgumentException("unknown access log format '" + name + "'");
        };
    }
}
