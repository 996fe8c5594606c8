package dev.webroot.httpd.core;

import dev.webroot.format.Webroot;
import dev.webroot.io.Output;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;

/**
 * A workspace's cached {@link ByteBuffer} view of the first 2 GiB of the webroot it last served, so
 * that header blocks can be copied and body spans exposed without creating a slice per response.
 * One view is created per generation change (the last webroot stays reachable from a pooled
 * workspace until it serves another; its mapping is released by its generation regardless); offsets
 * beyond it fall back to slicing.
 */
final class MappedView {
    private Webroot webroot;
    private ByteBuffer view;

    ByteBuffer of(Webroot w) {
        if (w != webroot) {
            webroot = w;
            view = w.segment().asSlice(0, Math.min(w.fileLength(), Output.MAX_BUFFER_BYTES)).asByteBuffer();
        }
        return view;
    }

    /** Copies {@code length} bytes at absolute file offset {@code offset} into {@code dst[at..]}. */
    void copy(Webroot w, long offset, byte[] dst, int at, int length) {
        ByteBuffer v = of(w);
        if (offset + length <= v.capacity()) {
            v.get((int) offset, dst, at, length);
        } else {
            MemorySegment.copy(w.segment(), ValueLayout.JAVA_BYTE, offset, dst, at, length);
        }
    }
}
