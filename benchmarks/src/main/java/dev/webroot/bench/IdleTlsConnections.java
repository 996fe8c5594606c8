package dev.webroot.bench;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * Opens N TLS connections speaking h2 or http/1.1 (chosen by ALPN), sends one GET on each, reads the
 * response, prints "ready N" and holds the connections idle for the hold time (or until killed): the
 * server's memory per idle TLS connection of that protocol is what its RSS grows by meanwhile.
 * Usage: IdleTlsConnections HOST PORT SERVER_NAME PATH COUNT HOLD_SECONDS h2|http/1.1 TRUSTED_CERT_PEM
 */
public final class IdleTlsConnections {
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final int DATA = 0x0;
    private static final int HEADERS = 0x1;
    private static final int SETTINGS = 0x4;
    private static final int GOAWAY = 0x7;
    private static final int FLAG_END_STREAM = 0x1;
    private static final int FLAG_ACK = 0x1;
    private static final int FLAG_END_HEADERS = 0x4;
    private static final Pattern CONTENT_LENGTH = Pattern.compile("(?im)^content-length:\\s*(\\d+)\\s*$");
    /** Handshakes under way at once: enough to keep one server core busy, few enough not to overflow its backlog. */
    private static final int SETUPS_AT_ONCE = 32;

    private IdleTlsConnections() {}

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        String serverName = args[2];
        String path = args[3];
        int count = Integer.parseInt(args[4]);
        long holdMillis = Long.parseLong(args[5]) * 1000;
        String protocol = args[6];
        if (!protocol.equals("h2") && !protocol.equals("http/1.1")) {
            throw new IllegalArgumentException("protocol must be h2 or http/1.1, not " + protocol);
        }
        SSLContext context = trusting(Path.of(args[7]));
        ConcurrentLinkedQueue<SSLSocket> open = new ConcurrentLinkedQueue<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicInteger done = new AtomicInteger();
        Semaphore setups = new Semaphore(SETUPS_AT_ONCE);
        for (int i = 0; i < count && failure.get() == null; i++) {
            setups.acquire();
            Thread.ofVirtual().start(() -> {
                try {
                    SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(host, port);
                    open.add(socket);
                    SSLParameters parameters = socket.getSSLParameters();
                    parameters.setServerNames(List.of(new SNIHostName(serverName)));
                    parameters.setApplicationProtocols(new String[] {protocol});
                    socket.setSSLParameters(parameters);
                    socket.setSoTimeout(30_000);
                    socket.startHandshake();
                    if (!protocol.equals(socket.getApplicationProtocol())) {
                        throw new IOException("ALPN selected '" + socket.getApplicationProtocol() + "', not " + protocol);
                    }
                    if (protocol.equals("h2")) {
                        h2Request(socket, serverName, path);
                    } else {
                        http11Request(socket, serverName, path);
                    }
                    done.incrementAndGet();
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    setups.release();
                }
            });
        }
        setups.acquire(SETUPS_AT_ONCE);
        if (failure.get() != null) {
            System.err.println("IdleTlsConnections: " + failure.get());
            System.exit(1);
        }
        System.out.println("ready " + done.get());
        System.out.flush();
        try {
            Thread.sleep(holdMillis);
        } finally {
            for (SSLSocket socket : open) {
                socket.close();
            }
        }
    }

    private static SSLContext trusting(Path certificate) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(certificate)) {
            trust.setCertificateEntry("server", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    /** Preface, empty SETTINGS and one GET on stream 1 (HPACK static-table names, no Huffman); reads frames
     * until the response ends, acknowledging the server's SETTINGS. */
    private static void h2Request(SSLSocket socket, String authority, String path) throws IOException {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        block.write(0x82); // :method GET
        block.write(0x87); // :scheme https
        literalWithIndexedName(block, 4, path); // :path
        literalWithIndexedName(block, 1, authority); // :authority
        OutputStream out = socket.getOutputStream();
        ByteArrayOutputStream first = new ByteArrayOutputStream();
        first.write(PREFACE);
        writeFrame(first, SETTINGS, 0, 0, new byte[0]);
        writeFrame(first, HEADERS, FLAG_END_STREAM | FLAG_END_HEADERS, 1, block.toByteArray());
        out.write(first.toByteArray());
        out.flush();
        DataInputStream in = new DataInputStream(socket.getInputStream());
        while (true) {
            int length = (in.readUnsignedByte() << 16) | in.readUnsignedShort();
            int type = in.readUnsignedByte();
            int flags = in.readUnsignedByte();
            int stream = in.readInt() & 0x7fffffff;
            in.skipNBytes(length);
            if (type == SETTINGS && (flags & FLAG_ACK) == 0) {
                ByteArrayOutputStream ack = new ByteArrayOutputStream();
                writeFrame(ack, SETTINGS, FLAG_ACK, 0, new byte[0]);
                out.write(ack.toByteArray());
                out.flush();
            } else if (type == GOAWAY) {
                throw new IOException("GOAWAY from the server");
            } else if (stream == 1 && (type == DATA || type == HEADERS) && (flags & FLAG_END_STREAM) != 0) {
                return;
            }
        }
    }

    private static void literalWithIndexedName(ByteArrayOutputStream block, int nameIndex, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length > 126) {
            throw new IllegalArgumentException("value too long for a one-byte length: " + value);
        }
        block.write(nameIndex); // literal without indexing, indexed name (4-bit prefix, index < 15)
        block.write(bytes.length);
        block.writeBytes(bytes);
    }

    private static void writeFrame(ByteArrayOutputStream out, int type, int flags, int stream, byte[] payload) {
        out.write(payload.length >>> 16);
        out.write(payload.length >>> 8);
        out.write(payload.length);
        out.write(type);
        out.write(flags);
        out.write(stream >>> 24);
        out.write(stream >>> 16);
        out.write(stream >>> 8);
        out.write(stream);
        out.writeBytes(payload);
    }

    /** One keep-alive GET; reads the head and the Content-Length body. */
    private static void http11Request(SSLSocket socket, String host, String path) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int lastFour = 0;
        while (lastFour != 0x0d0a0d0a) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed in the response head");
            }
            head.write(b);
            lastFour = (lastFour << 8) | b;
        }
        Matcher length = CONTENT_LENGTH.matcher(head.toString(StandardCharsets.ISO_8859_1));
        if (!length.find()) {
            throw new IOException("no Content-Length in " + head);
        }
        in.skipNBytes(Long.parseLong(length.group(1)));
    }
}
