package dev.webroot.io.model;

import dev.webroot.io.ConnectionFactory;
import dev.webroot.io.IoSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Linux epoll loops driven through the FFM linker, one per worker, each accepting for itself: no JDK
 * channel, selector or per-socket lock, so an idle keep-alive connection costs the kernel's socket
 * plus a few dozen bytes here, and a request costs one read and one gathering send. Bodies are
 * copied from the mapping by {@code sendmsg} rather than sent with sendfile, which measured faster
 * on loopback; see {@link EpollLoop}.
 */
public final class EpollModel extends AbstractIoModel {
    private LinuxSockets os;
    /** Listening descriptors and the factories of their connections, index for index. */
    private int[] listeners = new int[0];
    private ConnectionFactory[] factories = new ConnectionFactory[0];
    private EpollLoop[] loops;

    public EpollModel(IoSettings settings) {
        super("epoll", settings);
    }

    @Override
    SocketAddress openListener(InetSocketAddress address, int backlog, ConnectionFactory factory) throws IOException {
        if (os == null) {
            LinuxSockets.requireSupported();
            os = new LinuxSockets();
        }
        return add(os.listen(address, backlog), factory);
    }

    /** The epoll loops need only a descriptor, so an inherited one serves as well as one of their own. */
    @Override
    InetSocketAddress adoptListener(int fd, ConnectionFactory factory) throws IOException {
        if (os == null) {
            LinuxSockets.requireSupported();
            os = new LinuxSockets();
        }
        os.adoptListener(fd);
        return add(fd, factory);
    }

    private InetSocketAddress add(int listener, ConnectionFactory factory) throws IOException {
        listeners = Arrays.copyOf(listeners, listeners.length + 1);
        listeners[listeners.length - 1] = listener;
        factories = Arrays.copyOf(factories, factories.length + 1);
        factories[factories.length - 1] = factory;
        return os.localAddress(listener);
    }

    @Override
    void startServing() throws IOException {
        EpollLoop[] created = new EpollLoop[settings.workerCount()];
        try {
            for (int i = 0; i < created.length; i++) {
                created[i] = new EpollLoop("io-epoll-" + i, table, listeners, factories, settings.loopFailure());
            }
        } catch (IOException | RuntimeException e) {
            for (EpollLoop loop : created) {
                if (loop != null) {
                    loop.release();
                }
            }
            throw e;
        }
        loops = created;
        for (EpollLoop loop : loops) {
            loop.start();
        }
    }

    @Override
    void stopAccepting(long deadline) {
        forEachLoop(EpollLoop::stopListening);
        boolean released = true;
        if (loops != null) {
            for (EpollLoop loop : loops) {
                released &= loop.awaitListenersReleased(deadline);
            }
        }
        if (!released) {
            // A loop stuck in a turn may still accept on them; the process is going away anyway.
            IoLog.warn("epoll model: listeners left open, a loop did not let go of them in time");
            return;
        }
        for (int listener : listeners) {
            os.close(listener);
        }
        listeners = new int[0];
    }

    @Override
    public boolean workersAlive() {
        if (loops == null) {
            return false;
        }
        for (EpollLoop loop : loops) {
            if (loop.ended()) {
                return false;
            }
        }
        return true;
    }

    @Override
    void wakeForDrain() {
        forEachLoop(EpollLoop::wakeup);
    }

    @Override
    void abortAll() {
        forEachLoop(EpollLoop::abort);
    }

    @Override
    void stopWorkers(long deadline) {
        forEachLoop(loop -> loop.join(deadline));
        boolean ended = true;
        if (loops != null) {
            for (EpollLoop loop : loops) {
                if (loop.ended()) {
                    loop.release();
                } else {
                    ended = false;
                }
            }
        }
        if (os != null && ended) {
            os.close();
        }
    }

    private void forEachLoop(Consumer<EpollLoop> action) {
        if (loops != null) {
            for (EpollLoop loop : loops) {
                action.accept(loop);
            }
        }
    }
}
