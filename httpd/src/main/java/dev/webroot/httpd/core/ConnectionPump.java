package dev.webroot.httpd.core;

import dev.webroot.io.Connection;
import dev.webroot.io.Output;
import java.nio.ByteBuffer;

/**
 * Runs bytes through a {@link Connection} without I/O, as a benchmark or a test needs: feeds the
 * input, then reports every output byte as written without copying it. The hot path of a keep-alive
 * request can be driven this way with no socket and no allocation.
 */
public final class ConnectionPump {
    private ConnectionPump() {}

    /**
     * Feeds {@code request} (its remaining bytes; its position advances) and drains the output.
     * Returns the number of output bytes the connection produced, or -1 if it asked to be closed.
     */
    public static long pump(Connection connection, ByteBuffer request, long now) {
        long produced = 0;
        while (true) {
            while (connection.nextWrite() == Connection.Operation.PROCEED) {
                Output out = connection.output();
                long n = out.totalRemaining();
                produced += n;
                connection.written(n, now);
            }
            if (connection.nextWrite() == Connection.Operation.CLOSE) {
                return -1;
            }
            if (!request.hasRemaining() || connection.nextRead() != Connection.Operation.PROCEED) {
                return produced;
            }
            ByteBuffer into = connection.readBuffer();
            int n = Math.min(into.remaining(), request.remaining());
            int limit = request.limit();
            request.limit(request.position() + n);
            into.put(request);
            request.limit(limit);
            connection.read(n, now);
        }
    }
}
