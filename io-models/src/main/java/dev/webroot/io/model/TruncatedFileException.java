package dev.webroot.io.model;

import java.io.IOException;

/**
 * A file span could not be sent because its file now ends before it: the file was truncated under
 * the response. The connection is closed like after any I/O error, so the answer is cut.
 */
final class TruncatedFileException extends IOException {
    TruncatedFileException(long position) {
        super("the file ends at byte " + position + ", inside the span being sent: it was truncated");
    }
}
