package dev.webroot.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.httpd.core.MalformedCorpus;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * The protocol core's corpus of malformed and smuggling requests, replayed against the real httpd
 * over real sockets for every I/O model: each is answered with its status and
 * {@code Connection: close}, the server closes, and a valid request sent right behind it is never
 * answered.
 */
@Timeout(180)
class MalformedRequestsOverSocketsTest {
    static final List<String> MODELS = Project.MODELS;
    private static final byte[] FOLLOW_UP = "GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.1 (\\d{3}) ");

    @ParameterizedTest
    @FieldSource("MODELS")
    void everyCorpusRequestIsRefusedWithCloseAndNothingBehindItIsAnswered(String model) throws Exception {
        List<MalformedCorpus.Case> corpus = MalformedCorpus.load();
        assertThat(corpus).hasSizeGreaterThanOrEqualTo(100);
        try (Server server = Server.start(Project.exampleVhosts(), model)) {
            for (MalformedCorpus.Case c : corpus) {
                String answer = exchange(server.port, c.request());
                Matcher statuses = STATUS_LINE.matcher(answer);
                assertThat(statuses.lookingAt()).as("answer to %s: %s", c.source(), answer).isTrue();
                assertThat(Integer.parseInt(statuses.group(1))).as(c.source()).isEqualTo(c.status());
                assertThat(answer).as(c.source()).contains("\r\nConnection: close\r\n");
                assertThat(statuses.find()).as("a second response after %s", c.source()).isFalse();
            }
            assertThat(Http.get(server.port, "www.example.com", "/").status())
                    .as("the server still serves everyone else").isEqualTo(200);
        }
    }

    /** Sends the request and a valid one behind it, then reads until the server closes. */
    private static String exchange(int port, byte[] request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(5_000);
            byte[] both = new byte[request.length + FOLLOW_UP.length];
            System.arraycopy(request, 0, both, 0, request.length);
            System.arraycopy(FOLLOW_UP, 0, both, request.length, FOLLOW_UP.length);
            try {
                socket.getOutputStream().write(both);
            } catch (IOException closedWhileSending) {
                // The server may refuse and close before it has read everything; its answer is still readable.
            }
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    received.write(buffer, 0, n);
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the server did not close after answering: " + received.toString(StandardCharsets.ISO_8859_1), e);
            } catch (IOException reset) {
                // A reset after the answer (unread request bytes at close) ends the exchange too.
            }
            return received.toString(StandardCharsets.ISO_8859_1);
        }
    }
}
