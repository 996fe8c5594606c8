package dev.webroot.io;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * The bytes a connection wants written next: a sequence of segments, each either bytes in memory
 * or a span of a file that is also mapped in memory (so a model may copy it from the mapping, send
 * it with {@code transferTo}, or read it with direct I/O). Reused by its connection; valid until the
 * next {@link Connection#written} call.
 */
public interface Output {
    /** The most bytes one {@link #buffer} covers: the JDK's largest buffer view of a memory segment. */
    int MAX_BUFFER_BYTES = Integer.MAX_VALUE - 8;

    int segmentCount();

    /** Bytes left in this segment. */
    long remaining(int segment);

    /** True if the segment is a file span; false if it is only in memory. */
    boolean isFileSpan(int segment);

    /**
     * The segment's remaining bytes as a buffer (position..limit). For a file span this is a view of
     * the mapping, so a model may always use it; it covers at most {@link #MAX_BUFFER_BYTES} bytes.
     */
    ByteBuffer buffer(int segment);

    /** For a file span: the file's channel (shared; use positional I/O only). */
    FileChannel channel(int segment);

    /**
     * For a file span: the file's path, for models that open it their own way (O_DIRECT). It must
     * name the mapped file itself for as long as the mapping is in use (an immutable file, never
     * replaced under the same name); the direct model checks only that the sizes agree.
     */
    java.nio.file.Path file(int segment);

    /** For a file span: the whole file's mapping. */
    MemorySegment mapping(int segment);

    /** For a file span: the absolute file offset of its next unsent byte. */
    long filePosition(int segment);

    /** Total bytes left across all segments. */
    long totalRemaining();
}
