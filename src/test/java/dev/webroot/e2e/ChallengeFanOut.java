package dev.webroot.e2e;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * The port where Pebble fetches HTTP-01 answers, in front of several httpd processes: a request is
 * asked of each in turn and the first 200 is the answer (else 404), so whichever process orders
 * can be validated, as behind a load balancer whose servers share their challenge answers.
 */
final class ChallengeFanOut implements AutoCloseable {
    private final HttpServer server;

    private ChallengeFanOut(HttpServer server) {
        this.server = server;
    }

    /** Listens on 127.0.0.1:{@code port}, asking the cleartext ports of {@code servers}. */
    static ChallengeFanOut start(int port, List<Server> servers) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
        server.createContext("/.well-known/acme-challenge/", exchange -> {
            String path = exchange.getRequestURI().getRawPath();
            byte[] answer = null;
            for (Server backend : servers) {
                Http.Response response = Http.get(backend.port, "www.acme.test", path);
                if (response.status() == 200) {
                    answer = response.body();
                    break;
                }
            }
            exchange.sendResponseHeaders(answer == null ? 404 : 200, answer == null ? -1 : answer.length);
            if (answer != null) {
                try (OutputStream body = exchange.getResponseBody()) {
                    body.write(answer);
                }
            }
            exchange.close();
        });
        server.start();
        return new ChallengeFanOut(server);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
