package dev.webroot.fleet;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * An etcd v3 client over its gRPC JSON gateway ({@code /v3/kv/range}, {@code /v3/kv/txn},
 * {@code /v3/lease/*}, {@code /v3/watch}) with the JDK's HTTP client: keys and values are UTF-8
 * strings, base64 on the wire. Every call tries the endpoints in turn; an {@link IOException} means
 * none answered.
 */
final class Etcd {
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

    record KeyValue(String key, String value, long createRevision, long modRevision, long lease) {}

    /** A range read: the store's revision when it was read and the keys found. */
    record Range(long revision, List<KeyValue> kvs) {
        KeyValue first() {
            return kvs.isEmpty() ? null : kvs.getFirst();
        }
    }

    /** A change seen by a watch; {@code deleted} events carry the key only. */
    record Event(boolean deleted, KeyValue kv) {}

    private final List<URI> endpoints;
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(CONNECT_TIMEOUT)
            .build();
    private volatile int preferred;

    Etcd(List<URI> endpoints) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no etcd endpoint given");
        }
        this.endpoints = List.copyOf(endpoints);
    }

    static Etcd parse(String commaSeparated) {
        List<URI> uris = new ArrayList<>();
        for (String endpoint : commaSeparated.split(",")) {
            URI uri = URI.create(endpoint.strip().replaceAll("/+$", ""));
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("etcd endpoint must be an http(s)://HOST:PORT URL: " + endpoint);
            }
            uris.add(uri);
        }
        return new Etcd(uris);
    }

    Range get(String key) throws IOException {
        return range("{\"key\":" + b64(key) + "}");
    }

    Range prefix(String prefix) throws IOException {
        return range("{\"key\":" + b64(prefix) + ",\"range_end\":" + b64(prefixEnd(prefix)) + "}");
    }

    void put(String key, String value, long lease) throws IOException {
        call("/v3/kv/put", "{\"key\":" + b64(key) + ",\"value\":" + b64(value)
                + (lease != 0 ? ",\"lease\":\"" + lease + "\"" : "") + "}");
    }

    void delete(String key) throws IOException {
        call("/v3/kv/deleterange", "{\"key\":" + b64(key) + "}");
    }

    /** Runs the operations if every comparison holds; returns whether they ran. */
    boolean txn(List<String> compares, List<String> operations) throws IOException {
        Map<String, Object> response = call("/v3/kv/txn", "{\"compare\":[" + String.join(",", compares)
                + "],\"success\":[" + String.join(",", operations) + "]}");
        return Boolean.TRUE.equals(response.get("succeeded"));
    }

    static String createRevisionIs(String key, long revision) {
        return "{\"key\":" + b64(key) + ",\"target\":\"CREATE\",\"result\":\"EQUAL\",\"create_revision\":\"" + revision + "\"}";
    }

    static String modRevisionIs(String key, long revision) {
        return "{\"key\":" + b64(key) + ",\"target\":\"MOD\",\"result\":\"EQUAL\",\"mod_revision\":\"" + revision + "\"}";
    }

    static String putOp(String key, String value, long lease) {
        return "{\"request_put\":{\"key\":" + b64(key) + ",\"value\":" + b64(value)
                + (lease != 0 ? ",\"lease\":\"" + lease + "\"" : "") + "}}";
    }

    static String deleteOp(String key) {
        return "{\"request_delete_range\":{\"key\":" + b64(key) + "}}";
    }

    long grant(long ttlSeconds) throws IOException {
        return Long.parseLong((String) call("/v3/lease/grant", "{\"TTL\":\"" + ttlSeconds + "\"}").get("ID"));
    }

    /** Renews a lease once; returns its new TTL in seconds, 0 when it has expired. */
    long keepAlive(long lease) throws IOException {
        Map<String, Object> response = call("/v3/lease/keepalive", "{\"ID\":\"" + lease + "\"}");
        Map<String, Object> result = Json.object(response.get("result"));
        Object ttl = result.get("TTL");
        return ttl == null ? 0 : Long.parseLong((String) ttl);
    }

    void revoke(long lease) throws IOException {
        call("/v3/lease/revoke", "{\"ID\":\"" + lease + "\"}");
    }

    /**
     * Watches every key under PREFIX from REVISION on, handing each event to the consumer, until the
     * stream ends (returns) or fails (throws). OPENED receives a handle that ends the watch early
     * when closed from another thread.
     *
     * <p>The stream is read from a plain socket by the calling thread, so an event reaches the
     * consumer with one wake-up (the JDK's HTTP client hands each chunk across two threads first).
     */
    void watch(String prefix, long revision, Consumer<List<Event>> events, Consumer<AutoCloseable> opened)
            throws IOException {
        String body = "{\"create_request\":{\"key\":" + b64(prefix) + ",\"range_end\":" + b64(prefixEnd(prefix))
                + ",\"start_revision\":\"" + revision + "\"}}";
        URI endpoint = endpoints.get(preferred);
        Socket socket;
        try {
            socket = connect(endpoint);
        } catch (IOException e) {
            preferred = (preferred + 1) % endpoints.size();
            throw e;
        }
        try (socket) {
            byte[] payload = body.getBytes(StandardCharsets.UTF_8);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v3/watch HTTP/1.1\r\nHost: " + endpoint.getAuthority() + "\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + payload.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(payload);
            out.flush();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            String status = headLine(in);
            boolean chunked = false;
            for (String header; !(header = headLine(in)).isEmpty(); ) {
                chunked |= header.toLowerCase(Locale.ROOT).matches("transfer-encoding:.*chunked.*");
            }
            if (!status.matches("HTTP/1\\.[01] 200.*")) {
                throw new IOException("etcd " + endpoint + " answered " + status + " to a watch");
            }
            opened.accept(socket::close);
            InputStream stream = chunked ? new ChunkedStream(in) : in;
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            for (int b; (b = stream.read()) >= 0; ) {
                if (b != '\n') {
                    line.write(b);
                    continue;
                }
                String message = line.toString(StandardCharsets.UTF_8);
                line.reset();
                if (!message.isBlank()) {
                    handle(message, revision, events);
                }
            }
        } catch (IllegalArgumentException e) {
            throw new IOException("etcd watch stream broke: " + e.getMessage(), e);
        }
    }

    private static void handle(String line, long revision, Consumer<List<Event>> events) throws IOException {
        Map<String, Object> message = Json.object(Json.parse(line));
        if (message.containsKey("error")) {
            throw new IOException("etcd watch failed: " + message.get("error"));
        }
        Map<String, Object> result = Json.object(message.get("result"));
        if (result.get("compact_revision") != null && !"0".equals(result.get("compact_revision"))) {
            throw new IOException("etcd compacted past revision " + revision);
        }
        if (Boolean.TRUE.equals(result.get("canceled"))) {
            throw new IOException("etcd canceled the watch: " + result.get("cancel_reason"));
        }
        List<Event> batch = new ArrayList<>();
        for (Object event : Json.array(result.get("events"))) {
            Map<String, Object> e = Json.object(event);
            batch.add(new Event("DELETE".equals(e.get("type")), keyValue(Json.object(e.get("kv")))));
        }
        if (!batch.isEmpty()) {
            events.accept(batch);
        }
    }

    private static Socket connect(URI endpoint) throws IOException {
        boolean tls = "https".equals(endpoint.getScheme());
        int port = endpoint.getPort() > 0 ? endpoint.getPort() : tls ? 443 : 80;
        Socket plain = new Socket();
        try {
            plain.connect(new InetSocketAddress(endpoint.getHost(), port), (int) CONNECT_TIMEOUT.toMillis());
            plain.setTcpNoDelay(true);
            if (!tls) {
                return plain;
            }
            SSLSocket secure = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault())
                    .createSocket(plain, endpoint.getHost(), port, true);
            SSLParameters parameters = secure.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            secure.setSSLParameters(parameters);
            secure.startHandshake();
            return secure;
        } catch (IOException e) {
            plain.close();
            throw e;
        }
    }

    /** One line of a response head, without its CRLF; a head line longer than 8 KiB is refused. */
    private static String headLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b; (b = in.read()) != '\n'; ) {
            if (b < 0) {
                throw new IOException("etcd closed the watch before its response head ended");
            }
            if (line.length() > 8192) {
                throw new IOException("etcd's watch response head is too long");
            }
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    /** The body of a chunked HTTP/1.1 response; ends at the last chunk. */
    private static final class ChunkedStream extends InputStream {
        private final InputStream in;
        private long left;
        private boolean done;

        ChunkedStream(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            if (done) {
                return -1;
            }
            if (left == 0) {
                String size = headLine(in);
                int extension = size.indexOf(';');
                try {
                    left = Long.parseLong((extension >= 0 ? size.substring(0, extension) : size).strip(), 16);
                } catch (NumberFormatException e) {
                    throw new IOException("etcd's watch stream has a malformed chunk size: " + size);
                }
                if (left == 0) {
                    done = true;
                    return -1;
                }
            }
            int b = in.read();
            if (b < 0) {
                throw new IOException("etcd closed the watch in the middle of a chunk");
            }
            if (--left == 0) {
                headLine(in);
            }
            return b;
        }
    }

    private Range range(String body) throws IOException {
        Map<String, Object> response = call("/v3/kv/range", body);
        long revision = Long.parseLong((String) Json.object(response.get("header")).get("revision"));
        List<KeyValue> kvs = new ArrayList<>();
        for (Object kv : Json.array(response.get("kvs"))) {
            kvs.add(keyValue(Json.object(kv)));
        }
        return new Range(revision, kvs);
    }

    private Map<String, Object> call(String path, String body) throws IOException {
        IOException failure = null;
        for (int attempt = 0; attempt < endpoints.size(); attempt++) {
            int index = (preferred + attempt) % endpoints.size();
            URI endpoint = endpoints.get(index);
            HttpRequest request = HttpRequest.newBuilder(endpoint.resolve(path)).timeout(CALL_TIMEOUT)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            try {
                HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 200) {
                    throw new IOException("etcd " + endpoint + path + " answered " + response.statusCode() + ": "
                            + response.body().strip());
                }
                preferred = index;
                return Json.object(Json.parse(response.body()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            } catch (IOException e) {
                failure = failure == null ? e : failure;
            } catch (IllegalArgumentException e) {
                failure = new IOException(e.getMessage(), e);
            }
        }
        throw new IOException("etcd " + endpoints + " unreachable: " + describe(failure), failure);
    }

    static String describe(Throwable e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }

    private static KeyValue keyValue(Map<String, Object> kv) {
        return new KeyValue(unb64((String) kv.get("key")), unb64((String) kv.get("value")),
                number(kv.get("create_revision")), number(kv.get("mod_revision")), number(kv.get("lease")));
    }

    private static long number(Object value) {
        return value == null ? 0 : Long.parseLong((String) value);
    }

    private static String b64(String s) {
        return "\"" + Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8)) + "\"";
    }

    private static String unb64(String s) {
        return s == null ? "" : new String(Base64.getDecoder().decode(s), StandardCharsets.UTF_8);
    }

    /** The first key after every key that starts with PREFIX (etcd's range_end for a prefix). */
    private static String prefixEnd(String prefix) {
        char last = prefix.charAt(prefix.length() - 1);
        return prefix.substring(0, prefix.length() - 1) + (char) (last + 1);
    }
}
