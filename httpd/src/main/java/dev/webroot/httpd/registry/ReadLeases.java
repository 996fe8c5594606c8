package dev.webroot.httpd.registry;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
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

    private static final class LibC {
        static {
            Native.register(NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
        }

        static native int open(String path, int flags) throws LastErrorException;

        static native int fcntl(int fd, int command, long argument) throws LastErrorException;

        static native int close(int fd) throws LastErrorException;
    }

    private static final List<Runnable> LISTENERS = new CopyOnWriteArrayList<>();
    private static ReadLeases instance;
    private static RuntimeException unavailable;

    private ReadLeases() {}

    /**
     * The process's leases, with the SIGIO handler installed on first use (the JVM runs it on a
     * thread of its own per signal; it calls every listener). Throws, then and later, when leases
     * cannot be used here: not Linux, libc not callable through JNA, or the signal is taken.
     */
    static synchronized ReadLeases get() {
        if (instance == null && unavailable == null) {
            try {
                if (!Platform.isLinux()) {
                    throw new UnsupportedOperationException("read leases are a Linux feature");
                }
                try {
                    LibC.close(-1);
                } catch (LastErrorException expected) {
                    // EBADF: libc is loaded and callable.
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
    int take(Path file) throws LastErrorException {
        int fd = LibC.open(file.toString(), O_RDONLY | O_CLOEXEC);
        try {
            LibC.fcntl(fd, F_SETLEASE, F_RDLCK);
            return fd;
        } catch (LastErrorException e) {
            LibC.close(fd);
            throw e;
        }
    }

    /** Whether a writer is waiting for this lease: during a break the kernel reports the type it will be lowered to. */
    boolean breaking(int fd) {
        try {
            return LibC.fcntl(fd, F_GETLEASE, 0L) != F_RDLCK;
        } catch (LastErrorException e) {
            return true;
        }
    }

    /** Gives the lease up (closing its descriptor), letting a waiting writer go on. */
    void release(int fd) {
        try {
            LibC.close(fd);
        } catch (LastErrorException ignored) {
            // The descriptor is gone either way.
        }
    }

    /** The errno text of a failed lease, for the log. */
    static String reason(LastErrorException e) {
        return switch (e.getErrorCode()) {
            case 11 -> "the file is open for writing";
            case 13 -> "not the file's owner and no CAP_LEASE";
            case 22 -> "the filesystem does not support leases";
            default -> e.getMessage();
        };
    }
}
