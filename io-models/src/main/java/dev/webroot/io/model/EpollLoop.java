package dev.webroot.io.model;

import static dev.webroot.io.model.LinuxSockets.EAGAIN;
import static dev.webroot.io.model.LinuxSockets.EINTR;
import static dev.webroot.io.model.LinuxSockets.EPOLLERR;
import static dev.webroot.io.model.LinuxSockets.EPOLLET;
import static dev.webroot.io.model.LinuxSockets.EPOLLEXCLUSIVE;
import static dev.webroot.io.model.LinuxSockets.EPOLLHUP;
import static dev.webroot.io.model.LinuxSockets.EPOLLIN;
import static dev.webroot.io.model.LinuxSockets.EPOLLOUT;
import static dev.webroot.io.model.LinuxSockets.EPOLLRDHUP;

import dev.webroot.io.Connection;
import dev.webroot.io.ConnectionFactory;
import dev.webroot.io.LoopFailureHandler;
import dev.webroot.io.Output;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One epoll thread owning the connections it accepted. Every loop waits on every shared listener with
 * {@code EPOLLEXCLUSIVE}, so the kernel wakes one loop per arrival and no socket changes threads; the
 * listener's descriptor picks the factory of the connection.
 * Sockets are registered once, edge-triggered for input and output, and the loop remembers their
 * readiness: a request costs a read and a send, with no {@code epoll_ctl}. A read or send that
 * comes back short means the socket is drained or full, as nginx assumes, which saves the call that
 * would only say {@code EAGAIN}.
 *
 * <p>Output goes out by one gathering {@code sendmsg}: header bytes are first copied to a native
 * staging area, bodies are sent straight from the webroot's mapping (which the connection keeps
 * alive while the output is queued). Deadlines are swept as in the selector loops, with their limits.
 */
final class EpollLoop implements Runnable {
    private static final int MAX_EVENTS = 512;
    private static final int READ_BYTES = 16 * 1024;
    private static final int STAGING_BYTES = 64 * 1024;
    private static final int MAX_IOVECS = 64;
    private static final int SOCKET_EVENTS = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    private static final int INPUT_EVENTS = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR;
    private static final int OUTPUT_EVENTS = EPOLLOUT | EPOLLHUP | EPOLLERR;

    /** An accepted socket and its connection; only the loop's thread touches it. */
    private static final class Client {
        final int fd;
        final Connection connection;
        /** The peer as "ip:port", for failure reports. */
        final String remote;
        long deadline = Long.MAX_VALUE;
        /** Readiness as the edge-triggered events and the last calls left it. */
        boolean readable = true;
        boolean writable = true;
        /** Output is pending and the socket is full: a deadline now means the peer stopped reading. */
        boolean writeBlocked;
        boolean inputEnded;
        /** The peer shut its side (EPOLLRDHUP or EPOLLHUP): reads go on until they see the end, even after a short one. */
        boolean peerClosed;
        boolean resumeQueued;
        /** The connection has been told it is closed. */
        boolean ended;
        /** Lingering close (see {@link Driver}): output shut, input discarded until its end or the deadline. */
        boolean lingering;
        long discarded;

        Client(int fd, Connection connection, String remote) {
            this.fd = fd;
            this.connection = connection;
            this.remote = remote;
        }
    }

    private final ConnectionTable table;
    private final LinuxSockets os;
    private final int epoll;
    private final int wakeFd;
    private final int[] listeners;
    private final ConnectionFactory[] factories;
    private final Faults faults;
    private final Thread thread;
    /** Native buffers, allocated by the loop's thread when it starts. */
    private MemorySegment events;
    private MemorySegment readScratch;
    private ByteBuffer readScratchView;
    private MemorySegment staging;
    private ByteBuffer stagingView;
    private MemorySegment iovecs;
    /** Sockets that used up their turn's byte budget with output left: served again next round. */
    private final ArrayDeque<Client> resume = new ArrayDeque<>();
    private Client[] byFd = new Client[1024];
    private volatile boolean listening = true;
    /** Opens once this loop will not touch the listener again, so that the model may close it. */
    private final CountDownLatch listenerReleased = new CountDownLatch(1);
    private volatile boolean aborting;
    private long acceptResume = Long.MAX_VALUE;
    private boolean drainSeen;
    private long earliestDeadline = Long.MAX_VALUE;
    private long lastSweep;

    EpollLoop(String name, ConnectionTable table, int[] listeners, ConnectionFactory[] factories,
            LoopFailureHandler onFailure) throws IOException {
        this.faults = new Faults(name, onFailure);
        this.table = table;
        this.listeners = listeners;
        this.factories = factories;
        this.os = new LinuxSockets();
        int createdEpoll = -1;
        int createdWake = -1;
        try {
            createdEpoll = os.epollCreate();
            createdWake = os.eventFd();
            if (os.epollAdd(createdEpoll, createdWake, EPOLLIN) < 0) {
                throw new IOException("epoll_ctl failed for the wakeup descriptor");
            }
            for (int listener : listeners) {
                if (os.epollAdd(createdEpoll, listener, EPOLLIN | EPOLLEXCLUSIVE) < 0) {
                    throw new IOException("epoll_ctl failed for a listener");
                }
            }
        } catch (IOException | RuntimeException e) {
            closeDescriptors(createdEpoll, createdWake);
            os.close();
            throw e;
        }
        this.epoll = createdEpoll;
        this.wakeFd = createdWake;
        this.thread = Thread.ofPlatform().name(name).daemon().unstarted(this);
    }

    void start() {
        thread.start();
    }

    /**
     * Closes the loop's epoll and wakeup descriptors and frees its native memory, once its thread
     * has ended or will never start: closing them earlier could let a late wakeup write to a reused
     * descriptor number.
     */
    void release() {
        closeDescriptors(epoll, wakeFd);
        os.close();
    }

    private void closeDescriptors(int... fds) {
        for (int fd : fds) {
            if (fd >= 0) {
                os.close(fd);
            }
        }
    }

    /** Stops accepting: the loop drops the listeners from its set at the end of its current turn. */
    void stopListening() {
        listening = false;
        wakeup();
    }

    /**
     * Waits until the loop has dropped the listeners, or has ended: until then a close of a listener
     * could let its descriptor number, reused by a new socket, be accepted on or added to this loop's set.
     */
    boolean awaitListenersReleased(long deadline) {
        try {
            while (thread.isAlive() && !listenerReleased.await(10, TimeUnit.MILLISECONDS)) {
                if (System.nanoTime() - deadline > 0) {
                    return false;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return true;
    }

    /** True once the loop's thread has ended, or if it never started. */
    boolean ended() {
        return !thread.isAlive();
    }

    void wakeup() {
        LinuxSockets.signal(wakeFd);
    }

    void abort() {
        aborting = true;
        wakeup();
    }

    void join(long deadline) {
        AbstractIoModel.join(thread, deadline);
    }

    /**
     * Serves until aborted. A connection's failure closes only that connection; anything else that
     * ends the loop closes its connections and goes to the loop failure handler.
     */
    @Override
    public void run() {
        Throwable failure = null;
        try {
            // Inside the guard: a loop whose buffers cannot be allocated fails like any other loop.
            var arena = os.arena();
            events = arena.allocate((long) MAX_EVENTS * LinuxSockets.EVENT_BYTES, 8);
            readScratch = arena.allocate(READ_BYTES, 8);
            readScratchView = readScratch.asByteBuffer();
            staging = arena.allocate(STAGING_BYTES, 8);
            stagingView = staging.asByteBuffer();
            iovecs = arena.allocate((long) MAX_IOVECS * LinuxSockets.IOVEC_BYTES, 8);
            while (!aborting) {
                long wakeAt = Math.min(earliestDeadline, acceptResume);
                int timeout = resume.isEmpty()
                        ? (int) Math.clamp(TimeUnit.NANOSECONDS.toMillis(wakeAt - System.nanoTime()) + 1, 1, EventLoop.MAX_SELECT_MILLIS)
                        : 0;
                int n = os.epollWait(epoll, events, MAX_EVENTS, timeout);
                if (n < 0 && n != -EINTR) {
                    throw new IOException("epoll_wait failed: " + LibC.describe(-n));
                }
                long now = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    ready(LinuxSockets.eventFd(events, i), LinuxSockets.eventMask(events, i), now);
                }
                resumeTurns(now);
                housekeeping(now);
            }
        } catch (Throwable e) {
            failure = e;
        } finally {
            listenerReleased.countDown();
            for (Client s : byFd) {
                if (s != null) {
                    close(s);
                }
            }
        }
        if (failure != null) {
            faults.loopFailed(failure);
        }
    }

    private void ready(int fd, int mask, long now) {
        if (fd == wakeFd) {
            os.drainEventFd(wakeFd);
        } else if (fd < byFd.length && byFd[fd] != null) {
            Client s = byFd[fd];
            s.readable |= (mask & INPUT_EVENTS) != 0;
            s.peerClosed |= (mask & (EPOLLRDHUP | EPOLLHUP)) != 0;
            s.writable |= (mask & OUTPUT_EVENTS) != 0;
            turn(s, now);
        } else if (listening) {
            for (int i = 0; i < listeners.length; i++) {
                if (listeners[i] == fd) {
                    acceptSome(fd, factories[i], now);
                    return;
                }
            }
        }
    }

    /** Adds every listener to the set, or takes every one out of it; true if all calls succeeded. */
    private boolean watchListeners(boolean watch) {
        boolean ok = true;
        for (int listener : listeners) {
            ok &= (watch ? os.epollAdd(epoll, listener, EPOLLIN | EPOLLEXCLUSIVE) : os.epollDelete(epoll, listener)) >= 0;
        }
        return ok;
    }

    private void housekeeping(long now) {
        if (!listening && listenerReleased.getCount() > 0) {
            watchListeners(false);
            listenerReleased.countDown();
        }
        if (now >= acceptResume) {
            acceptResume = Long.MAX_VALUE;
            if (listening && !watchListeners(true)) {
                watchListeners(false);
                acceptResume = now + TimeUnit.MILLISECONDS.toNanos(AbstractIoModel.ACCEPT_RETRY_MILLIS);
            }
        }
        if (table.draining() && !drainSeen) {
            drainSeen = true;
            for (Client s : byFd) {
                if (s != null) {
                    turn(s, now);
                }
            }
        }
        if (now >= earliestDeadline && now - lastSweep >= EventLoop.MIN_SWEEP_NANOS) {
            sweep(now);
        }
    }

    private void acceptSome(int listener, ConnectionFactory factory, long now) {
        for (int i = 0; i < EventLoop.MAX_ACCEPTS_PER_EVENT; i++) {
            int fd = os.accept(listener);
            if (fd == -EAGAIN) {
                return;
            }
            if (fd < 0) {
                if (listening && fd != -EINTR && fd != -LinuxSockets.ECONNABORTED) {
                    faults.acceptFailed(new IOException("accept4 failed: " + LibC.describe(-fd)));
                    watchListeners(false);
                    acceptResume = now + TimeUnit.MILLISECONDS.toNanos(AbstractIoModel.ACCEPT_RETRY_MILLIS);
                    return;
                }
                continue;
            }
            if (!table.reserve()) {
                os.close(fd);
                continue;
            }
            open(fd, factory, now);
        }
    }

    private void open(int fd, ConnectionFactory factory, long now) {
        Connection connection;
        String remote = "unknown";
        try {
            remote = os.acceptedPeer();
            connection = factory.open(remote);
        } catch (Throwable e) {
            os.close(fd);
            table.release(null);
            faults.connectionFailedOrFatal(remote, e);
            return;
        }
        Client s = new Client(fd, connection, remote);
        if (fd >= byFd.length) {
            byFd = Arrays.copyOf(byFd, Math.max(fd + 1, byFd.length * 2));
        }
        byFd[fd] = s;
        try {
            connection.opened(now);
            s.deadline = connection.deadline();
        } catch (Throwable e) {
            fail(s, e);
            return;
        }
        // A deferred accept hands over a socket with its request already there: the first turn often
        // answers it and, for a client that asked to close, closes it, so it joins the set only if it
        // is still open. The edge-triggered add reports the readiness the turn left, so none is lost.
        turn(s, now);
        if (byFd[fd] == s && os.epollAdd(epoll, fd, SOCKET_EVENTS) < 0) {
            close(s);
        }
    }

    /** Closes a connection that raised {@code failure}, and reports it. */
    private void fail(Client s, Throwable failure) {
        close(s);
        faults.connectionFailedOrFatal(s.remote, failure);
    }

    /**
     * Runs the connection until it waits on the socket: writes while there is output (up to the
     * turn's byte budget) and reads while it wants input and the socket has some.
     */
    private void turn(Client s, long now) {
        Connection c = s.connection;
        try {
            if (s.lingering) {
                drain(s, now);
                return;
            }
            long budget = LoopDriver.MAX_TURN_BYTES;
            while (true) {
                switch (Driver.next(c, table.draining(), s.inputEnded)) {
                    case WRITE -> {
                        if (!s.writable) {
                            s.writeBlocked = true;
                            return;
                        }
                        long n = send(s.fd, c.output());
                        if (n == -EAGAIN) {
                            s.writable = false;
                            s.writeBlocked = true;
                            return;
                        }
                        if (n < 0) {
                            close(s);
                            return;
                        }
                        c.written(n, now);
                        s.deadline = c.deadline();
                        // A short send is not taken to mean a full socket: it also ends where the mapping
                        // faults (the file was truncated under it), and the socket, never full, would then
                        // send no edge. The next send says which: EAGAIN, or EFAULT and a close.
                        if ((budget -= n) <= 0) {
                            if (!s.resumeQueued) {
                                s.resumeQueued = true;
                                resume.add(s);
                            }
                            return;
                        }
                    }
                    case READ -> {
                        s.writeBlocked = false;
                        if (!s.readable) {
                            return;
                        }
                        ByteBuffer into = c.readBuffer();
                        int room = Math.min(into.remaining(), READ_BYTES);
                        long n = os.read(s.fd, readScratch, room);
                        if (n == -EAGAIN) {
                            s.readable = false;
                            c.readNothing();
                            return;
                        }
                        if (n < 0) {
                            close(s);
                            return;
                        }
                        if (n == 0) {
                            s.inputEnded = true;
                            c.readEof(now);
                        } else {
                            int at = into.position();
                            into.put(at, readScratchView, 0, (int) n).position(at + (int) n);
                            s.readable = n == room || s.peerClosed;
                            c.read((int) n, now);
                        }
                        s.deadline = c.deadline();
                    }
                    case WAIT -> {
                        s.writeBlocked = false;
                        return;
                    }
                    case CLOSE -> {
                        closeGracefully(s, now);
                        return;
                    }
                }
            }
        } catch (Throwable e) {
            fail(s, e);
        } finally {
            earliestDeadline = Math.min(earliestDeadline, s.deadline);
        }
    }

    /**
     * The connection asked to close: at once if the peer's input has ended, or if the peer will send
     * nothing more and nothing unread waits (as nginx skips its lingering close then), else by
     * lingering (see {@link Driver}), which costs a shutdown, a wakeup and two reads more. A socket
     * whose last read came back short, with no edge since, is taken as drained, as nginx takes it;
     * only one that may hold more is peeked at.
     */
    private void closeGracefully(Client s, long now) {
        if (s.inputEnded || (!s.connection.peerMaySend() && (!s.readable || os.peek(s.fd, readScratch) <= 0))
                || os.shutdownOutput(s.fd) < 0) {
            close(s);
            return;
        }
        end(s);
        s.lingering = true;
        s.deadline = now + Driver.LINGER_NANOS;
        drain(s, now);
    }

    /** Lingering: discards what the peer sent; closes at its end, on an error, or past the byte bound. */
    private void drain(Client s, long now) {
        while (s.readable) {
            long n = os.read(s.fd, readScratch, READ_BYTES);
            if (n == -EAGAIN) {
                s.readable = false;
                return;
            }
            if (n <= 0 || !Driver.lingersOn(s.discarded += n, now, s.deadline)) {
                close(s);
                return;
            }
            s.readable = n == READ_BYTES || s.peerClosed;
        }
    }

    /**
     * One gathering send of the pending output: header bytes staged in native memory, file spans
     * from the mapping. Returns the bytes sent or {@code -errno}.
     */
    private long send(int fd, Output out) {
        int count = out.segmentCount();
        int iov = 0;
        int staged = 0;
        long offered = 0;
        for (int i = GatheringWrite.firstPending(out); i < count && iov < MAX_IOVECS && offered < LoopDriver.MAX_TURN_BYTES; i++) {
            long left = out.remaining(i);
            if (left == 0) {
                continue;
            }
            long base;
            long length;
            if (out.isFileSpan(i)) {
                length = Math.min(left, LoopDriver.MAX_TURN_BYTES - offered);
                base = out.mapping(i).address() + out.filePosition(i);
            } else {
                length = Math.min(left, STAGING_BYTES - staged);
                if (length == 0) {
                    break;
                }
                ByteBuffer bytes = out.buffer(i);
                stagingView.put(staged, bytes, bytes.position(), (int) length);
                base = staging.address() + staged;
                staged += (int) length;
            }
            iovecs.set(ValueLayout.JAVA_LONG, (long) iov * LinuxSockets.IOVEC_BYTES, base);
            iovecs.set(ValueLayout.JAVA_LONG, (long) iov * LinuxSockets.IOVEC_BYTES + 8, length);
            iov++;
            offered += length;
        }
        return os.send(fd, iovecs, iov);
    }

    private void resumeTurns(long now) {
        for (int i = resume.size(); i > 0; i--) {
            Client s = resume.poll();
            s.resumeQueued = false;
            if (byFd[s.fd] == s) {
                turn(s, now);
            }
        }
    }

    private void sweep(long now) {
        lastSweep = now;
        earliestDeadline = Long.MAX_VALUE;
        for (Client s : byFd) {
            if (s == null) {
                continue;
            }
            if (s.deadline <= now) {
                expire(s, now);
            } else {
                earliestDeadline = Math.min(earliestDeadline, s.deadline);
            }
        }
    }

    /** The deadline passed: a stalled write ends the connection, otherwise the connection decides. */
    private void expire(Client s, long now) {
        if (s.lingering) {
            close(s);
            return;
        }
        try {
            table.timedOut();
            s.connection.timedOut(now);
            s.deadline = s.connection.deadline();
        } catch (Throwable e) {
            fail(s, e);
            return;
        }
        if (s.writeBlocked) {
            close(s);
        } else {
            turn(s, now);
        }
    }

    /** Closes the socket and tells the connection; idempotent. */
    private void close(Client s) {
        if (byFd[s.fd] != s) {
            return;
        }
        byFd[s.fd] = null;
        s.deadline = Long.MAX_VALUE;
        os.close(s.fd);
        try {
            end(s);
        } finally {
            table.release(null);
        }
    }

    /** Tells the connection it is closed, once. */
    private void end(Client s) {
        if (s.ended) {
            return;
        }
        s.ended = true;
        try {
            s.connection.closed();
        } catch (Throwable e) {
            faults.connectionFailedOrFatal(s.remote, e);
        }
    }
}
