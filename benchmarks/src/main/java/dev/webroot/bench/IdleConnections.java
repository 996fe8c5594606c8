package dev.webroot.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Opens N keep-alive connections, sends one request on each, reads the responses, prints "ready"
 * and then holds the connections idle for the hold time (or until killed): the server's memory
 * per idle connection is what its RSS grows by meanwhile.
 * Usage: IdleConnections HOST PORT PATH COUNT HOLD_SECONDS
 */
public final class IdleConnections {
    private IdleConnections() {}

    public static void main(String[] args) throws IOException, InterruptedException {
        InetSocketAddress server = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        byte[] request = ("GET " + args[2] + " HTTP/1.1\r\nHost: bench\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        int count = Integer.parseInt(args[3]);
        long holdMillis = Long.parseLong(args[4]) * 1000;
        List<SocketChannel> open = new ArrayList<>(count);
        ByteBuffer sink = ByteBuffer.allocateDirect(1 << 16);
        try (Selector selector = Selector.open()) {
            for (int i = 0; i < count; i++) {
                SocketChannel channel = SocketChannel.open(server);
                channel.write(ByteBuffer.wrap(request));
                channel.configureBlocking(false);
                channel.register(selector, SelectionKey.OP_READ);
                open.add(channel);
            }
            // Drain responses until the connections have been quiet for a second.
            long deadline = System.currentTimeMillis() + 30_000;
            while (System.currentTimeMillis() < deadline && selector.select(1_000) > 0) {
                for (SelectionKey key : selector.selectedKeys()) {
                    sink.clear();
                    if (((SocketChannel) key.channel()).read(sink) < 0) {
                        key.cancel();
                    }
                }
                selector.selectedKeys().clear();
            }
            System.out.println("ready " + open.size());
            System.out.flush();
            Thread.sleep(holdMillis);
        } finally {
            for (SocketChannel channel : open) {
                channel.close();
            }
        }
    }
}
