package dev.webroot.httpd.registry;

import dev.webroot.io.model.LibC;
import dev.webroot.io.model.NativeCallException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import sun.misc.Signal;

/**
 * Linux read leases ({@code fcntl(F_SETLEASE, F_RDLCK)}) on the webroot files being served. While a
 * lease is held, another process's {@code open} for writing or {@code truncate} waits (at most
 * {@code /proc/sys/fs/lease-break-time}, or fails with EAGAIN when non-blocking, as GNU
 * {@code truncate} opens) and the kernel signals SIGIO; the registry then retires the generation,
 * lets its in-flight responses finish, and only then releases the lease, so the writer's change
 * never lands under a mapping in use. The handler is installed before any lease is taken (SIGIO
 * would otherwise end the process); native calls are made per file, never per request.
 */
final class ReadLeases {
    private static final int F_SETLEASE = 1024;
    private static final int F_GETLEASE = 1025;
    private static final int F_RDLCK = 0;
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;

    /** Looked up on first use, so that a platform without them fails in {@link #get}. */
    private static final class Functions {
        static final MemorySegment OPEN = LibC.function("open");
        static final MemorySegment FCNTL = LibC.function("fcntl");
        static final MemorySegment CLOSE = LibC.function("close");
    }

    private static final List<Runnable> LISTENERS = new CopyOnWriteArrayList<>();
    private static ReadLeases instance;
    private static RuntimeException unavailable;

    private ReadLeases() {}

    /**
     * The process's leases, with the SIGIO handler installed on first use (the JVM runs it on a
     * thread of its own per signal; it calls every listener). Throws, then and later, when leases
     * cannot be used here: not Linux, libc not callable, or the signal is taken.
     */
    static synchronized ReadLeases get() {
        if (instance == null && unavailable == null) {
            try {
                if (!System.getProperty("os.name").startsWith("Linux")) {
                    throw new UnsupportedOperationException("read leases are a Linux feature");
                }
                try {
                    LibC.callInt("close", Functions.CLOSE, -1, 0, 0, 0, 0);
                } catch (NativeCallException expected) {
                    // EBADF: libc is callable.
                }
                Signal.handle(new Signal("IO"), signal -> LISTENERS.forEach(ReadLeases::runQuietly));
                instance = new ReadLeases();
            } catch (RuntimeException | LinkageError e) {
                unavailable = e instanceof RuntimeException r ? r : new IllegalStateException(e.toString(), e);
            }
        }
        if (unavailable != null) {
            throw unavailable;
        }
        return instance;
    }

    /** One listener's failure must not keep the others (other registries' leases) from being released. */
    private static void runQuietly(Runnable listener) {
        try {
            listener.run();
        } catch (RuntimeException | Error e) {
            System.err.println("httpd: handling a read-lease break failed: " + e);
        }
    }

    /** Called on every lease break (SIGIO) until removed. */
    void addListener(Runnable onBreak) {
        LISTENERS.add(onBreak);
    }

    void removeListener(Runnable onBreak) {
        LISTENERS.remove(onBreak);
    }

    /** Opens the file read-only and takes a read lease on that descriptor; returns the descriptor. */
    int take(Path file) throws NativeCallException {
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            fd = LibC.callInt("open", Functions.OPEN, arena.allocateFrom(file.toString()).address(), O_RDONLY | O_CLOEXEC, 0, 0, 0);
        }
        try {
            LibC.callInt("fcntl(F_SETLEASE)", Functions.FCNTL, fd, F_SETLEASE, F_RDLCK, 0, 0);
            return fd;
        } catch (NativeCallException e) {
            release(fd);
            throw e;
        }
    }

    /** Whether a writer is waiting for this lease: during a break the kernel reports the type it will be lowered to. */
    boolean breaking(int fd) {
        try {
            return LibC.callInt("fcntl(F_GETLEASE)", Functions.FCNTL, fd, F_GETLEASE, 0, 0, 0) != F_RDLCK;
        } catch (NativeCallException e) {
            return true;
        }
    }

    /** Gives the lease up (closing its descriptor), letting a waiting writer go on. */
    void release(int fd) {
        try {
            LibC.callInt("close", Functions.CLOSE, fd, 0, 0, 0, 0);
        } catch (NativeCallException ignored) {
            // The descriptor is gone either way.
        }
    }

    /** The errno text of a failed lease, for the log. */
    static String reason(NativeCallException e) {
        return switch (e.errno()) {
            case 11 -> "the file is open for writing";
            case 13 -> "not the file's owner and no CAP_LEASE";
            case 22 -> "the filesystem does not support leases";
            default -> e.getMessage();
        };
    }
}
