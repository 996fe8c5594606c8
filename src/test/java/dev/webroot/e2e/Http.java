package dev.webroot.e2e;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.decoder.Decoder;
import com.github.luben.zstd.ZstdInputStream;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/** A deliberately small raw HTTP/1.1 client, so tests see exactly the bytes on the wire. */
final class Http {
    record Response(int status, String statusLine, Map<String, List<String>> headers, byte[] body) {
        /** The first value of a header (name case-insensitive), or null. */
        String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null ? null : values.getFirst();
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** One connection to the server, kept open across requests. */
    static final class Client implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final OutputStream out;

        Client(int port, int timeoutMillis) throws IOException {
            socket = new Socket();
            socket.connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            out = socket.getOutputStream();
        }

        Client(int port) throws IOException {
            this(port, 10_000);
        }

        void send(String request) throws IOException {
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        Response read() throws IOException {
            return Http.read(in, false);
        }

        Response readHead() throws IOException {
            return Http.read(in, true);
        }

        /** Sends a GET with the given extra header lines and reads the response. */
        Response get(String host, String path, String... headerLines) throws IOException {
            send(request("GET", host, path, headerLines));
            return read();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private Http() {}

    static String request(String method, String host, String path, String... headerLines) {
        StringBuilder request = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: ")
                .append(host).append("\r\n");
        for (String line : headerLines) {
            request.append(line).append("\r\n");
        }
        return request.append("\r\n").toString();
    }

    /** A fresh connection for one GET. */
    static Response get(int port, String host, String path, String... headerLines) throws IOException {
        try (Client client = new Client(port)) {
            return client.get(host, path, headerLines);
        }
    }

    static Response head(int port, String host, String path, String... headerLines) throws IOException {
        try (Client client = new Client(port)) {
            client.send(request("HEAD", host, path, headerLines));
            return client.readHead();
        }
    }

    /** Reads one response; the body length comes from Content-Length (absent for HEAD, 204 and 304). */
    static Response read(InputStream in, boolean headRequest) throws IOException {
        String statusLine = line(in);
        if (!statusLine.startsWith("HTTP/1.1 ")) {
            throw new IOException("not an HTTP/1.1 status line: '" + statusLine + "'");
        }
        int status = Integer.parseInt(statusLine.substring(9, 12));
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (String line; !(line = line(in)).isEmpty(); ) {
            int colon = line.indexOf(':');
            headers.computeIfAbsent(line.substring(0, colon).toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                    .add(line.substring(colon + 1).trim());
        }
        byte[] body = new byte[0];
        List<String> length = headers.get("content-length");
        if (!headRequest && status != 304 && status != 204 && length != null) {
            body = in.readNBytes(Integer.parseInt(length.getFirst()));
            if (body.length != Integer.parseInt(length.getFirst())) {
                throw new EOFException("body cut short after " + body.length + " of " + length.getFirst() + " bytes");
            }
        }
        return new Response(status, statusLine, headers, body);
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != '\n'; ) {
            if (b < 0) {
                throw new EOFException("connection closed mid-line after '" + line + "'");
            }
            line.write(b);
        }
        String text = line.toString(StandardCharsets.ISO_8859_1);
        if (!text.endsWith("\r")) {
            throw new IOException("line not ended by CRLF: '" + text + "'");
        }
        return text.substring(0, text.length() - 1);
    }

    /** Reverses a Content-Encoding. */
    static byte[] decode(String encoding, byte[] body) throws IOException {
        return switch (encoding) {
            case "gzip" -> new GZIPInputStream(new ByteArrayInputStream(body)).readAllBytes();
            case "zstd" -> new ZstdInputStream(new ByteArrayInputStream(body)).readAllBytes();
            case "br" -> {
                Brotli4jLoader.ensureAvailability();
                yield Decoder.decompress(body).getDecompressedData();
            }
            default -> throw new IllegalArgumentException("unexpected encoding " + encoding);
        };
    }
}
