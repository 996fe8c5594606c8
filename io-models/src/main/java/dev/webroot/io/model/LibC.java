package dev.webroot.io.model;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Functions of the C library, called through the FFM linker: the epoll model's sockets
 * ({@link LinuxSockets}) and the server's few calls the JDK lacks (read leases, the privilege drop,
 * systemd's notifications).
 *
 * <p>Every call goes through one of two handles of a single shape, five longs to a long, with the
 * function's address as the first argument. The linker builds code per distinct shape, tens of
 * milliseconds each on a cold JVM, so a dozen typed signatures would delay the first response by a
 * quarter of a second. On both ABIs supported here, ints and pointers travel in the same 64-bit
 * registers as longs, unused argument registers are ignored, and an int result is the low half of
 * the register, hence the (int) casts.
 */
public final class LibC {
    private static final Linker LINKER = Linker.nativeLinker();
    static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
    private static final FunctionDescriptor SHAPE = FunctionDescriptor.of(L, L, L, L, L, L);
    /** An ordinary downcall, recording errno in the call state passed after the function. */
    static final MethodHandle CALL = LINKER.downcallHandle(SHAPE, Linker.Option.captureCallState("errno"));
    /** A downcall that cannot block, made without the thread-state transition of an ordinary one. */
    static final MethodHandle NON_BLOCKING_CALL = LINKER.downcallHandle(SHAPE,
            Linker.Option.captureCallState("errno"), Linker.Option.critical(false));
    /** Where calls whose errno nobody reads leave it, from any thread. */
    private static final MemorySegment IGNORED_CALL_STATE = Arena.global().allocate(CALL_STATE);
    private static final MemorySegment STRERROR = function("strerror");

    private LibC() {}

    /** The address of a C library function; throws if the library has none of that name. */
    public static MemorySegment function(String name) {
        return LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsupportedOperationException("libc has no " + name));
    }

    /**
     * Calls a function returning an int that is negative on failure, from any thread: the result,
     * or a {@link NativeCallException} naming {@code what} and carrying errno.
     */
    public static int callInt(String what, MemorySegment function, long a, long b, long c, long d, long e) {
        return (int) checked(what, function, a, b, c, d, e, true);
    }

    /** As {@link #callInt}, for a function returning a long or {@code ssize_t}. */
    public static long callLong(String what, MemorySegment function, long a, long b, long c, long d, long e) {
        return checked(what, function, a, b, c, d, e, false);
    }

    private static long checked(String what, MemorySegment function, long a, long b, long c, long d, long e,
            boolean intResult) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            long result = (long) CALL.invokeExact(function, state, a, b, c, d, e);
            if ((intResult ? (int) result : result) < 0) {
                throw new NativeCallException(what, errno(state));
            }
            return result;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** Calls a function whose errno is not wanted (one that cannot fail, or reports failure otherwise), from any thread. */
    public static long callIgnoringErrno(MemorySegment function, long a, long b, long c) {
        try {
            return (long) CALL.invokeExact(function, IGNORED_CALL_STATE, a, b, c, 0L, 0L);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int errno(MemorySegment callState) {
        return (int) ERRNO.get(callState, 0L);
    }

    /** The C library's text for an error number, as the JDK's own exceptions show it. */
    public static String describe(int errno) {
        return MemorySegment.ofAddress(callIgnoringErrno(STRERROR, errno, 0, 0)).reinterpret(1024).getString(0);
    }

    static RuntimeException unexpected(Throwable t) {
        if (t instanceof Error e) {
            throw e;
        }
        return t instanceof RuntimeException r ? r : new IllegalStateException("native call failed", t);
    }
}
