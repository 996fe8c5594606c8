package dev.webroot.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** Slow and idle clients are closed on time while other clients keep being served. */
@Timeout(60)
class TimeoutsTest {
    static final List<String> MODELS = Project.MODELS;

    /** Milliseconds from now until the server closes the connection (reading and discarding what it sends). */
    private static long millisUntilClosed(Http.Client client, StringBuilder received) throws IOException {
        long started = System.nanoTime();
        for (int b; (b = client.in.read()) >= 0; ) {
            received.append((char) b);
        }
        return (System.nanoTime() - started) / 1_000_000;
    }

    @ParameterizedTest
    @FieldSource("MODELS")
    void closesSlowAndIdleClientsOnTimeWhileServingOthers(String model) throws Exception {
        try (Server server = Server.start(Project.exampleVhosts(), model,
                "--request-head-timeout", "1s", "--keepalive-timeout", "1s")) {
            CompletableFuture<Long> silent = CompletableFuture.supplyAsync(() -> {
                try (Http.Client client = new Http.Client(server.port)) {
                    return millisUntilClosed(client, new StringBuilder());
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            StringBuilder slowReceived = new StringBuilder();
            CompletableFuture<Long> slow = CompletableFuture.supplyAsync(() -> {
                try (Http.Client client = new Http.Client(server.port)) {
                    client.send("GET / HTTP/1.1\r\nHost: www.exa");
                    return millisUntilClosed(client, slowReceived);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            CompletableFuture<Long> idle = CompletableFuture.supplyAsync(() -> {
                try (Http.Client client = new Http.Client(server.port)) {
                    assertThat(client.get("www.example.com", "/").status()).isEqualTo(200);
                    return millisUntilClosed(client, new StringBuilder());
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            AtomicInteger served = new AtomicInteger();
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2500);
            while (System.nanoTime() < until) {
                assertThat(Http.get(server.port, "blog.example.org", "/").status()).isEqualTo(200);
                served.incrementAndGet();
                Thread.sleep(50);
            }
            assertThat(served.get()).isGreaterThan(20);
            assertThat(silent.get(10, TimeUnit.SECONDS)).as("silent client closed after ~1 s").isBetween(800L, 2500L);
            assertThat(slow.get(10, TimeUnit.SECONDS)).as("slow client closed after ~1 s").isBetween(800L, 2500L);
            assertThat(slowReceived.toString()).startsWith("HTTP/1.1 408 ");
            assertThat(idle.get(10, TimeUnit.SECONDS)).as("idle keep-alive closed after ~1 s").isBetween(800L, 2500L);
            assertThat(server.terminate(Duration.ofSeconds(15))).isZero();
        }
    }
}
