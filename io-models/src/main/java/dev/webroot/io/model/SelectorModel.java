package dev.webroot.io.model;

import dev.webroot.io.ConnectionFactory;
import dev.webroot.io.IoSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Non-blocking selector loops, one per worker; the first also accepts, on every listener. The models built on it
 * differ only in their {@link BodyTransfer}: {@code sendfile} ({@code transferTo} for large file
 * spans) and {@code direct} (O_DIRECT reads into pooled aligned buffers). Past
 * {@code maxConnections}, new sockets are accepted and closed at once, so clients see a prompt
 * close rather than a stall in the backlog.
 */
public final class SelectorModel extends AbstractIoModel {
    /** Buffers per gathering write: enough for a few pipelined responses of a few segments each. */
    static final int LOOP_GATHER_BUFFERS = 64;
    /** O_DIRECT buffers per loop (256 KiB each): at most 8 MiB per loop. */
    static final int DIRECT_BUFFERS_PER_LOOP = 32;

    private final Supplier<BodyTransfer> transfers;
    /** Whether file spans go to sockets as page-cache references (sendfile), not copies. */
    private final boolean sendsFilePages;
    private final List<Listener<ServerSocketChannel>> listeners = new ArrayList<>();
    private final Set<Integer> listenerPorts = ConcurrentHashMap.newKeySet();
    private EventLoop[] loops;

    private SelectorModel(String name, IoSettings settings, Supplier<BodyTransfer> transfers, boolean sendsFilePages) {
        super(name, settings);
        this.transfers = transfers;
        this.sendsFilePages = sendsFilePages;
    }

    public static SelectorModel sendfile(IoSettings settings) {
        return new SelectorModel("sendfile", settings,
                () -> new SendfileTransfer(settings.sendfileThreshold(), LOOP_GATHER_BUFFERS), true);
    }

    public static SelectorModel direct(IoSettings settings) {
        return new SelectorModel("direct", settings,
                () -> new DirectTransfer(settings.sendfileThreshold(), LOOP_GATHER_BUFFERS, DIRECT_BUFFERS_PER_LOOP), false);
    }

    @Override
    SocketAddress openListener(InetSocketAddress address, int backlog, ConnectionFactory factory) throws IOException {
        ServerSocketChannel listener = ServerSocketChannel.open();
        listeners.add(new Listener<>(listener, factory));
        InetSocketAddress bound = tuneListener((InetSocketAddress) reuseAddress(listener).bind(address, backlog).getLocalAddress());
        listenerPorts.add(bound.getPort());
        return bound;
    }

    @Override
    public boolean awaitFilePagesDelivered(long deadlineNanos) {
        if (!sendsFilePages) {
            return true;
        }
        try {
            return SocketQueues.awaitDrained(listenerPorts, deadlineNanos) == 0;
        } catch (IOException | RuntimeException e) {
            // RuntimeException: a /proc line this parser does not understand; the writer must still go on.
            IoLog.warn(name() + " model: cannot read the socket queues (" + e + ")");
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Creates and starts the loops; if one cannot be created, those created so far are discarded. */
    @Override
    void startServing() throws IOException {
        EventLoop[] created = new EventLoop[settings.workerCount()];
        try {
            for (int i = 0; i < created.length; i++) {
                created[i] = new EventLoop("io-" + name() + "-" + i, table, transfers.get(), settings.loopFailure());
            }
            created[0].accept(listeners, created);
        } catch (IOException | RuntimeException e) {
            for (EventLoop loop : created) {
                if (loop != null) {
                    loop.discard();
                }
            }
            throw e;
        }
        loops = created;
        for (EventLoop loop : loops) {
            loop.start();
        }
    }

    @Override
    void stopAccepting(long deadline) {
        listeners.forEach(listener -> closeQuietly(listener.channel()));
    }

    @Override
    public boolean workersAlive() {
        if (loops == null) {
            return false;
        }
        for (EventLoop loop : loops) {
            if (!loop.alive()) {
                return false;
            }
        }
        return true;
    }

    @Override
    void wakeForDrain() {
        forEachLoop(EventLoop::wakeup);
    }

    @Override
    void abortAll() {
        forEachLoop(EventLoop::abort);
    }

    @Override
    void stopWorkers(long deadline) {
        forEachLoop(loop -> loop.join(deadline));
    }

    /** Applies {@code action} to every loop (there are none unless {@link #startServing} created them all). */
    private void forEachLoop(Consumer<EventLoop> action) {
        if (loops != null) {
            for (EventLoop loop : loops) {
                action.accept(loop);
            }
        }
    }
}
