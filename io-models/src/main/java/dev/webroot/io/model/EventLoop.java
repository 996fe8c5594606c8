package dev.webroot.io.model;

import dev.webroot.io.Connection;
import dev.webroot.io.ConnectionFactory;
import dev.webroot.io.LoopFailureHandler;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One selector thread owning its connections. The first loop also accepts and hands sockets out
 * round-robin. Deadlines: the loop remembers the earliest deadline it has seen and sweeps its
 * connections when it passes (at most every {@link #MIN_SWEEP_NANOS}); the select timeout is the
 * time to that deadline, at most {@link #MAX_SELECT_MILLIS}.
 */
final class EventLoop implements Runnable {
    static final long MAX_SELECT_MILLIS = 1000;
    static final long MIN_SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long HOUSEKEEPING_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** Accepts per readiness event, so that a connection storm cannot starve the loop's own sockets. */
    static final int MAX_ACCEPTS_PER_EVENT = 64;

    private final Selector selector;
    private final ConnectionTable table;
    private final BodyTransfer transfer;
    private final Faults faults;
    /** Where lingering connections discard their input. */
    private final ByteBuffer discard = ByteBuffer.allocateDirect(16 * 1024);
    /** An accepted socket handed to this loop, with the factory of the listener that accepted it. */
    private record Arrival(SocketChannel socket, ConnectionFactory factory) {}

    private final Queue<Arrival> arrivals = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private volatile boolean aborting;
    private final List<SelectionKey> acceptKeys = new ArrayList<>();
    /** While accepting is paused after a failure: when to resume (nanoTime), else MAX_VALUE. */
    private long acceptResume = Long.MAX_VALUE;
    private EventLoop[] loops;
    private int nextLoop;
    private boolean drainSeen;
    private long earliestDeadline = Long.MAX_VALUE;
    private long lastSweep;
    private long lastHousekeeping = System.nanoTime();

    EventLoop(String name, ConnectionTable table, BodyTransfer transfer, LoopFailureHandler onFailure)
            throws IOException {
        this.selector = Selector.open();
        this.table = table;
        this.transfer = transfer;
        this.faults = new Faults(name, onFailure);
        this.thread = Thread.ofPlatform().name(name).daemon().unstarted(this);
    }

    void start() {
        thread.start();
    }

    /** Makes this loop the acceptor for every listener, distributing sockets over {@code loops}. */
    void accept(List<Listener<ServerSocketChannel>> listeners, EventLoop[] loops) throws IOException {
        this.loops = loops;
        for (Listener<ServerSocketChannel> listener : listeners) {
            listener.channel().configureBlocking(false);
            acceptKeys.add(listener.channel().register(selector, SelectionKey.OP_ACCEPT, listener));
        }
    }

    /** Releases the selector and the transfer of a loop that will never start. */
    void discard() {
        transfer.close();
        AbstractIoModel.closeQuietly(selector);
    }

    boolean alive() {
        return thread.isAlive();
    }

    void wakeup() {
        selector.wakeup();
    }

    /** Makes the loop close every connection it owns and end. */
    void abort() {
        aborting = true;
        selector.wakeup();
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
            while (!aborting) {
                long wakeAt = Math.min(earliestDeadline, acceptResume);
                long timeout = Math.clamp(TimeUnit.NANOSECONDS.toMillis(wakeAt - System.nanoTime()) + 1,
                        1, MAX_SELECT_MILLIS);
                selector.select(this::ready, timeout);
                long now = System.nanoTime();
                registerArrivals(now);
                if (now >= acceptResume) {
                    acceptResume = Long.MAX_VALUE;
                    setAcceptInterest(SelectionKey.OP_ACCEPT);
                }
                if (table.draining() && !drainSeen) {
                    drainSeen = true;
                    forEachDriver(d -> {
                        d.turn(false, now);
                        noteDeadline(d);
                    });
                }
                if (now >= earliestDeadline && now - lastSweep >= MIN_SWEEP_NANOS) {
                    sweep(now);
                }
                if (now - lastHousekeeping >= HOUSEKEEPING_NANOS) {
                    lastHousekeeping = now;
                    transfer.housekeeping();
                }
            }
        } catch (Throwable e) {
            failure = e;
        } finally {
            try {
                forEachDriver(Driver::close);
                closeArrivals();
                transfer.close();
            } finally {
                AbstractIoModel.closeQuietly(selector);
            }
        }
        if (failure != null) {
            faults.loopFailed(failure);
        }
    }

    private void ready(SelectionKey key) {
        if (!key.isValid()) {
            return;
        }
        if (key.attachment() instanceof LoopDriver driver) {
            driver.turn(key.isReadable(), System.nanoTime());
            noteDeadline(driver);
        } else if (key.isAcceptable() && key.attachment() instanceof Listener<?> listener) {
            acceptSome((ServerSocketChannel) listener.channel(), listener.factory());
        }
    }

    private void setAcceptInterest(int ops) {
        for (SelectionKey key : acceptKeys) {
            if (key.isValid()) {
                key.interestOps(ops);
            }
        }
    }

    private void acceptSome(ServerSocketChannel listener, ConnectionFactory factory) {
        for (int i = 0; i < MAX_ACCEPTS_PER_EVENT; i++) {
            SocketChannel socket;
            try {
                socket = listener.accept();
            } catch (Throwable e) {
                if (IoLog.fatal(e)) {
                    faults.loopFailed(e);
                } else if (listener.isOpen()) {
                    faults.acceptFailed(e);
                    setAcceptInterest(0);
                    acceptResume = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(AbstractIoModel.ACCEPT_RETRY_MILLIS);
                }
                return;
            }
            if (socket == null) {
                return;
            }
            if (!table.admit(socket)) {
                continue;
            }
            EventLoop target = loops[nextLoop];
            nextLoop = (nextLoop + 1) % loops.length;
            target.arrivals.add(new Arrival(socket, factory));
            if (target != this) {
                target.selector.wakeup();
            }
        }
    }

    private void registerArrivals(long now) {
        Arrival arrival;
        while ((arrival = arrivals.poll()) != null) {
            SocketChannel socket = arrival.socket();
            String remote = ConnectionTable.peer(socket::getRemoteAddress);
            Connection connection = table.connect(arrival.factory(), socket, remote, faults);
            if (connection == null) {
                continue;
            }
            LoopDriver driver = new LoopDriver(connection, table, socket, transfer.newSender(), discard, remote, faults);
            try {
                socket.configureBlocking(false);
                driver.attach(socket.register(selector, 0, driver));
                driver.opened(now);
            } catch (Throwable e) {
                driver.fail(e);
                continue;
            }
            driver.turn(false, now);
            noteDeadline(driver);
        }
    }

    private void closeArrivals() {
        Arrival arrival;
        while ((arrival = arrivals.poll()) != null) {
            AbstractIoModel.closeQuietly(arrival.socket());
            table.release(null);
        }
    }

    private void noteDeadline(LoopDriver driver) {
        earliestDeadline = Math.min(earliestDeadline, driver.deadline);
    }

    private void sweep(long now) {
        lastSweep = now;
        earliestDeadline = Long.MAX_VALUE;
        forEachDriver(driver -> {
            if (driver.deadline <= now) {
                driver.expire(now);
            }
            noteDeadline(driver);
        });
    }

    private void forEachDriver(Consumer<LoopDriver> action) {
        for (SelectionKey key : selector.keys()) {
            if (key.isValid() && key.attachment() instanceof LoopDriver driver) {
                action.accept(driver);
            }
        }
    }
}
