package dev.webroot.io.model;

import java.io.IOException;
import java.net.BindException;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Linux socket and epoll calls of the {@code epoll} model (and the one socket option the other
 * models set on their listeners that the JDK does not offer), made through {@link LibC} with no
 * JDK channel in between. Each instance is used by one thread at a time: it owns the memory that
 * records {@code errno} and the scratch space for addresses, options and messages. Calls that may fail with an
 * expected error ({@code EAGAIN}, a reset peer) return {@code -errno} instead of throwing.
 *
 * <p>The non-blocking calls of the serving path (accept4, read, sendmsg, epoll_ctl, setsockopt) are made
 * as critical calls: they cannot block, so the thread-state transition of an ordinary downcall is saved.
 */
final class LinuxSockets implements AutoCloseable {
    static final int EAGAIN = 11;
    static final int EINTR = 4;
    static final int ECONNABORTED = 103;
    static final int EPOLLIN = 0x001;
    static final int EPOLLOUT = 0x004;
    static final int EPOLLERR = 0x008;
    static final int EPOLLHUP = 0x010;
    static final int EPOLLRDHUP = 0x2000;
    static final int EPOLLEXCLUSIVE = 1 << 28;
    static final int EPOLLET = 1 << 31;
    /** x86_64 packs struct epoll_event (12 bytes); other 64-bit ABIs align its data field (16). */
    private static final boolean PACKED_EVENTS = "amd64".equals(System.getProperty("os.arch"));
    static final int EVENT_BYTES = PACKED_EVENTS ? 12 : 16;
    private static final int EVENT_DATA_OFFSET = PACKED_EVENTS ? 4 : 8;

    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_NONBLOCK = 0x800;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_REUSEADDR = 2;
    private static final int SO_TYPE = 3;
    private static final int SO_ACCEPTCONN = 30;
    private static final int SO_DOMAIN = 39;
    private static final int F_GETFL = 3;
    private static final int F_SETFL = 4;
    private static final int F_SETFD = 2;
    private static final int FD_CLOEXEC = 1;
    private static final int O_NONBLOCK = 0x800;
    private static final int IPPROTO_TCP = 6;
    private static final int TCP_NODELAY = 1;
    private static final int TCP_DEFER_ACCEPT = 9;
    private static final int TCP_NOTSENT_LOWAT = 25;
    /**
     * A connection becomes acceptable when its first bytes arrive, not at the end of its handshake
     * (at the latest after this many seconds, when the kernel hands it over anyway). So a new
     * connection costs one wake-up and one turn, accept, read and answer together, rather than a
     * wake-up for the accept, a read that finds nothing and another wake-up for the request; and
     * a peer that connects and sends nothing holds no connection of ours. nginx's {@code deferred}
     * uses the same second.
     */
    private static final int DEFER_ACCEPT_SECONDS = 1;
    /**
     * Unsent bytes a socket may queue before it stops taking more (inherited by accepted sockets).
     * Without a cap a loopback socket's buffer grows to megabytes at once, so every slow reader of a
     * large file costs a copy of megabytes that it will take minutes to read, and 1,000 new ones a
     * second keep a loop busy copying. Only unsent bytes count: what is in flight is not limited.
     */
    private static final int NOT_SENT_LOW_WATER = 128 << 10;
    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLL_CTL_DEL = 2;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int MSG_PEEK = 0x2;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int SHUT_WR = 1;
    private static final int SOCKADDR_BYTES = 28;
    /** struct msghdr on 64-bit Linux: name, namelen (padded), iov, iovlen, control, controllen, flags (padded). */
    private static final int MSGHDR_BYTES = 56;
    private static final int MSGHDR_IOV = 16;
    private static final int MSGHDR_IOVLEN = 24;
    static final int IOVEC_BYTES = 16;

    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
    private static final AddressLayout A = ValueLayout.ADDRESS;

    private static final MemorySegment ONE = Arena.global().allocateFrom(L, 1L);

    private static final MemorySegment SOCKET = LibC.function("socket");
    private static final MemorySegment SETSOCKOPT = LibC.function("setsockopt");
    private static final MemorySegment BIND = LibC.function("bind");
    private static final MemorySegment LISTEN = LibC.function("listen");
    private static final MemorySegment GETSOCKNAME = LibC.function("getsockname");
    private static final MemorySegment GETSOCKOPT = LibC.function("getsockopt");
    private static final MemorySegment FCNTL = LibC.function("fcntl");
    private static final MemorySegment ACCEPT4 = LibC.function("accept4");
    private static final MemorySegment READ = LibC.function("read");
    private static final MemorySegment WRITE = LibC.function("write");
    private static final MemorySegment SENDMSG = LibC.function("sendmsg");
    private static final MemorySegment RECV = LibC.function("recv");
    private static final MemorySegment CLOSE = LibC.function("close");
    private static final MemorySegment SHUTDOWN = LibC.function("shutdown");
    private static final MemorySegment EPOLL_CREATE1 = LibC.function("epoll_create1");
    private static final MemorySegment EPOLL_CTL = LibC.function("epoll_ctl");
    private static final MemorySegment EPOLL_WAIT = LibC.function("epoll_wait");
    private static final MemorySegment EVENTFD = LibC.function("eventfd");

    private final Arena arena = Arena.ofShared();
    private final MemorySegment callState = arena.allocate(LibC.CALL_STATE);
    private final MemorySegment address = arena.allocate(SOCKADDR_BYTES, 8);
    private final MemorySegment length = arena.allocate(I);
    private final MemorySegment option = arena.allocate(8, 8);
    private final MemorySegment message = arena.allocate(MSGHDR_BYTES, 8);
    private final MemorySegment event = arena.allocate(16, 8);

    /** Fails unless the platform's ABI is one whose layouts this class knows. */
    static void requireSupported() {
        String arch = System.getProperty("os.arch");
        if (!System.getProperty("os.name").startsWith("Linux") || !("amd64".equals(arch) || "aarch64".equals(arch))) {
            throw new UnsupportedOperationException("the epoll model needs Linux on x86_64 or aarch64, not "
                    + System.getProperty("os.name") + " on " + arch);
        }
    }

    /** An ordinary downcall, with errno recorded for this instance. */
    private long call(MemorySegment function, long a, long b, long c, long d, long e) {
        try {
            return (long) LibC.CALL.invokeExact(function, callState, a, b, c, d, e);
        } catch (Throwable t) {
            throw LibC.unexpected(t);
        }
    }

    /** A downcall that cannot block, made without the thread-state transition of an ordinary one. */
    private long nonBlockingCall(MemorySegment function, long a, long b, long c, long d, long e) {
        try {
            return (long) LibC.NON_BLOCKING_CALL.invokeExact(function, callState, a, b, c, d, e);
        } catch (Throwable t) {
            throw LibC.unexpected(t);
        }
    }

    /** Arena for buffers the owning thread keeps for as long as this instance. */
    Arena arena() {
        return arena;
    }

    private int errno() {
        return LibC.errno(callState);
    }

    private int orErrno(int result) {
        return result >= 0 ? result : -errno();
    }

    private long orErrno(long result) {
        return result >= 0 ? result : -errno();
    }

    private IOException failure(String call) {
        return new IOException(call + " failed: " + LibC.describe(errno()));
    }

    /**
     * A non-blocking listening socket bound to {@code at} with SO_REUSEADDR, TCP_NODELAY, the
     * unsent-bytes cap and deferred accepts; returns its descriptor.
     */
    int listen(InetSocketAddress at, int backlog) throws IOException {
        byte[] ip = at.getAddress().getAddress();
        int family = ip.length == 4 ? AF_INET : AF_INET6;
        int fd = (int) call(SOCKET, family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, 0, 0);
        if (fd < 0) {
            throw failure("socket");
        }
        try {
            if (setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1) < 0) {
                throw failure("setsockopt(SO_REUSEADDR)");
            }
            tune(fd);
            // Accepted sockets inherit it, which saves a call per connection.
            if (setOption(fd, IPPROTO_TCP, TCP_NODELAY, 1) < 0) {
                throw failure("setsockopt(TCP_NODELAY)");
            }
            address.fill((byte) 0);
            address.set(ValueLayout.JAVA_SHORT, 0, (short) family);
            address.set(ValueLayout.JAVA_BYTE, 2, (byte) (at.getPort() >>> 8));
            address.set(ValueLayout.JAVA_BYTE, 3, (byte) at.getPort());
            MemorySegment.copy(ip, 0, address, ValueLayout.JAVA_BYTE, family == AF_INET ? 4 : 8, ip.length);
            if (at.getAddress() instanceof Inet6Address v6) {
                address.set(I, 24, v6.getScopeId());
            }
            int size = family == AF_INET ? 16 : SOCKADDR_BYTES;
            if ((int) call(BIND, fd, address.address(), size, 0, 0) < 0) {
                throw new BindException(LibC.describe(errno()));
            }
            if ((int) call(LISTEN, fd, backlog, 0, 0, 0) < 0) {
                throw failure("listen");
            }
            return fd;
        } catch (IOException | RuntimeException e) {
            close(fd);
            throw e;
        }
    }

    /**
     * Makes an inherited descriptor one of this process's listeners: it must be a listening stream
     * socket (of any address family the kernel bound it to); it is made non-blocking and close-on-exec.
     */
    void adoptListener(int fd) throws IOException {
        if (intOption(fd, SO_TYPE, "SO_TYPE") != SOCK_STREAM || intOption(fd, SO_ACCEPTCONN, "SO_ACCEPTCONN") != 1) {
            throw new IOException("descriptor " + fd + " is not a listening stream socket");
        }
        int flags = (int) call(FCNTL, fd, F_GETFL, 0, 0, 0);
        if (flags < 0 || (int) call(FCNTL, fd, F_SETFL, flags | O_NONBLOCK, 0, 0) < 0
                || (int) call(FCNTL, fd, F_SETFD, FD_CLOEXEC, 0, 0) < 0) {
            throw failure("fcntl on descriptor " + fd);
        }
        // A Unix socket refuses these options: it is left uncapped, accepts at once, and has no
        // Nagle's algorithm to turn off.
        setOption(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, NOT_SENT_LOW_WATER);
        setOption(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, DEFER_ACCEPT_SECONDS);
        setOption(fd, IPPROTO_TCP, TCP_NODELAY, 1);
    }

    /** The unsent-bytes cap and deferred accepts on a listening TCP socket this process opened. */
    private void tune(int fd) throws IOException {
        if (setOption(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, NOT_SENT_LOW_WATER) < 0) {
            throw failure("setsockopt(TCP_NOTSENT_LOWAT)");
        }
        if (setOption(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, DEFER_ACCEPT_SECONDS) < 0) {
            throw failure("setsockopt(TCP_DEFER_ACCEPT)");
        }
    }

    /**
     * Gives this process's listening socket bound to {@code bound}, one that a JDK channel opened,
     * the unsent-bytes cap and deferred accepts of the epoll model's own: the JDK has neither option
     * and does not show a channel's descriptor, so it is found among the process's descriptors by
     * what it is bound to. Returns false if none is.
     */
    boolean tuneListenerBoundTo(InetSocketAddress bound) throws IOException {
        try (DirectoryStream<Path> descriptors = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path descriptor : descriptors) {
                int fd = Integer.parseInt(descriptor.getFileName().toString());
                if (isListenerBoundTo(descriptor, fd, bound)) {
                    tune(fd);
                    return true;
                }
            }
        }
        return false;
    }

    private boolean isListenerBoundTo(Path descriptor, int fd, InetSocketAddress bound) {
        try {
            if (!Files.readSymbolicLink(descriptor).toString().startsWith("socket:")) {
                return false;
            }
            int domain = intOption(fd, SO_DOMAIN, "SO_DOMAIN");
            return (domain == AF_INET || domain == AF_INET6) && intOption(fd, SO_ACCEPTCONN, "SO_ACCEPTCONN") == 1
                    && bound.equals(localAddress(fd));
        } catch (IOException closedMeanwhile) {
            return false;
        }
    }

    private int intOption(int fd, int name, String what) throws IOException {
        option.set(I, 0, 0);
        length.set(I, 0, 4);
        if ((int) call(GETSOCKOPT, fd, SOL_SOCKET, name, option.address(), length.address()) < 0) {
            throw new IOException("descriptor " + fd + " is not a socket (getsockopt(" + what + "): " + LibC.describe(errno()) + ")");
        }
        return option.get(I, 0);
    }

    /** The address a socket is bound to. */
    InetSocketAddress localAddress(int fd) throws IOException {
        length.set(I, 0, SOCKADDR_BYTES);
        if ((int) call(GETSOCKNAME, fd, address.address(), length.address(), 0, 0) < 0) {
            throw failure("getsockname");
        }
        return socketAddress();
    }

    /** Accepts a connection as a non-blocking socket: its descriptor, or {@code -errno}. */
    int accept(int listener) {
        length.set(I, 0, SOCKADDR_BYTES);
        return orErrno((int) nonBlockingCall(ACCEPT4, listener, address.address(), length.address(),
                SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    }

    /** The peer of the last {@link #accept}, as "ip:port". */
    String acceptedPeer() {
        InetSocketAddress peer = socketAddress();
        return peer.getAddress().getHostAddress() + ":" + peer.getPort();
    }

    private InetSocketAddress socketAddress() {
        int family = address.get(ValueLayout.JAVA_SHORT, 0);
        int port = (address.get(ValueLayout.JAVA_BYTE, 2) & 0xff) << 8 | address.get(ValueLayout.JAVA_BYTE, 3) & 0xff;
        byte[] ip = address.asSlice(family == AF_INET ? 4 : 8, family == AF_INET ? 4 : 16).toArray(ValueLayout.JAVA_BYTE);
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("the kernel returned a malformed address", e);
        }
    }


    private int setOption(int fd, int level, int name, int value) {
        option.set(I, 0, value);
        return orErrno((int) nonBlockingCall(SETSOCKOPT, fd, level, name, option.address(), 4));
    }

    /** Reads into native memory: bytes read, 0 at end of input, or {@code -errno}. */
    long read(int fd, MemorySegment into, long max) {
        return orErrno(nonBlockingCall(READ, fd, into.address(), max, 0, 0));
    }

    /** Looks at the next input byte without taking it: 1 if one waits, 0 at end of input, or {@code -errno} ({@code EAGAIN}: none yet). */
    long peek(int fd, MemorySegment into) {
        return orErrno(nonBlockingCall(RECV, fd, into.address(), 1, MSG_PEEK | MSG_DONTWAIT, 0));
    }

    /**
     * One gathering send of {@code count} iovecs (without SIGPIPE on a closed peer): bytes sent or
     * {@code -errno}.
     */
    long send(int fd, MemorySegment iovecs, int count) {
        message.set(A, MSGHDR_IOV, iovecs);
        message.set(L, MSGHDR_IOVLEN, count);
        return orErrno(nonBlockingCall(SENDMSG, fd, message.address(), MSG_NOSIGNAL, 0, 0));
    }

    /** Shuts the socket's output down (the peer reads its end after the queued bytes): 0 or {@code -errno}. */
    int shutdownOutput(int fd) {
        return orErrno((int) nonBlockingCall(SHUTDOWN, fd, SHUT_WR, 0, 0, 0));
    }

    int close(int fd) {
        return orErrno((int) call(CLOSE, fd, 0, 0, 0, 0));
    }

    int epollCreate() throws IOException {
        // EPOLL_CLOEXEC has the value of SOCK_CLOEXEC (both are O_CLOEXEC).
        int fd = (int) call(EPOLL_CREATE1, SOCK_CLOEXEC, 0, 0, 0, 0);
        if (fd < 0) {
            throw failure("epoll_create1");
        }
        return fd;
    }

    /** Registers {@code fd} for {@code events}, with the descriptor itself as the event's data. */
    int epollAdd(int epoll, int fd, int events) {
        event.set(I, 0, events);
        event.set(ValueLayout.JAVA_LONG_UNALIGNED, EVENT_DATA_OFFSET, fd);
        return orErrno((int) nonBlockingCall(EPOLL_CTL, epoll, EPOLL_CTL_ADD, fd, event.address(), 0));
    }

    /** Removes {@code fd} from the set. */
    int epollDelete(int epoll, int fd) {
        return orErrno((int) nonBlockingCall(EPOLL_CTL, epoll, EPOLL_CTL_DEL, fd, event.address(), 0));
    }

    /** Waits for events: how many were stored, or {@code -errno}. */
    int epollWait(int epoll, MemorySegment events, int max, int timeoutMillis) {
        return orErrno((int) call(EPOLL_WAIT, epoll, events.address(), max, timeoutMillis, 0));
    }

    static int eventMask(MemorySegment events, int i) {
        return events.get(I, (long) i * EVENT_BYTES);
    }

    static int eventFd(MemorySegment events, int i) {
        return (int) events.get(ValueLayout.JAVA_LONG_UNALIGNED, (long) i * EVENT_BYTES + EVENT_DATA_OFFSET);
    }

    /** A non-blocking eventfd, used to wake a thread out of epoll_wait. */
    int eventFd() throws IOException {
        int fd = (int) call(EVENTFD, 0, SOCK_NONBLOCK | SOCK_CLOEXEC, 0, 0, 0);
        if (fd < 0) {
            throw failure("eventfd");
        }
        return fd;
    }

    /** Clears an eventfd's counter after a wakeup (from its owner's thread). */
    void drainEventFd(int fd) {
        read(fd, option, 8);
    }

    /** Wakes the thread waiting on an eventfd; any thread may call it. */
    static void signal(int eventFd) {
        LibC.callIgnoringErrno(WRITE, eventFd, ONE.address(), 8);
    }

    @Override
    public void close() {
        arena.close();
    }
}
