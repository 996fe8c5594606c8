package dev.webroot.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

/** A blocking loopback client of {@link LineConnection}; every read times out. */
final class LineClient implements AutoCloseable {
    static final int READ_TIMEOUT_MILLIS = 10_000;

    final Socket socket;
    private final InputStream in;

    LineClient(InetSocketAddress server) throws IOException {
        this(server, 0);
    }

    /** @param receiveBuffer SO_RCVBUF to set before connecting, or 0 for the default */
    LineClient(InetSocketAddress server, int receiveBuffer) throws IOException {
        socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.setSoTimeout(READ_TIMEOUT_MILLIS);
        socket.connect(server, READ_TIMEOUT_MILLIS);
        in = socket.getInputStream();
    }

    void send(String lines) throws IOException {
        socket.getOutputStream().write(lines.getBytes(StandardCharsets.US_ASCII));
    }

    /** The next line without its newline, or null at end of stream. */
    String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.US_ASCII);
            }
            line.write(b);
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    byte[] readBytes(int n) throws IOException {
        return in.readNBytes(n);
    }

    /** Reads {@code n} bytes in chunks of at most {@code chunk}, pausing between chunks; returns their SHA-256. */
    String readDigest(long n, int chunk, long pauseMillis) throws IOException, InterruptedException {
        MessageDigest digest = TestFile.sha256();
        byte[] buffer = new byte[chunk];
        for (long done = 0; done < n; ) {
            int r = in.read(buffer, 0, (int) Math.min(chunk, n - done));
            if (r < 0) {
                throw new IOException("end of stream after " + done + " of " + n + " bytes");
            }
            digest.update(buffer, 0, r);
            done += r;
            if (pauseMillis > 0) {
                Thread.sleep(pauseMillis);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** Reads until end of stream (or reset); returns the bytes seen before it. */
    int drainToEnd() throws IOException {
        int total = 0;
        try {
            byte[] buffer = new byte[8192];
            int r;
            while ((r = in.read(buffer)) >= 0) {
                total += r;
            }
        } catch (java.net.SocketException reset) {
            // a reset is an end too
        }
        return total;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
