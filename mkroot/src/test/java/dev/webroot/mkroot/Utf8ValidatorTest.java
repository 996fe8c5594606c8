package dev.webroot.mkroot;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Utf8ValidatorTest {
    /** Feeds the bytes split at every possible point, so sequences straddle chunk boundaries. */
    private static boolean validInEverySplit(byte[] bytes) {
        boolean whole = validate(bytes, bytes.length);
        for (int chunk = 1; chunk < bytes.length; chunk++) {
            assertThat(validate(bytes, chunk)).as("chunks of %d", chunk).isEqualTo(whole);
        }
        return whole;
    }

    private static boolean validate(byte[] bytes, int chunk) {
        Utf8Validator validator = new Utf8Validator();
        for (int at = 0; at < bytes.length; at += chunk) {
            validator.update(bytes, at, Math.min(chunk, bytes.length - at));
        }
        return validator.finish();
    }

    @Test
    void acceptsValidUtf8IncludingABom() {
        assertThat(validInEverySplit("plain ascii".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(validInEverySplit("ü € 😀 end".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(validInEverySplit("\uFEFFwith bom".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(validate(new byte[0], 1)).isTrue();
    }

    @Test
    void rejectsMalformedOverlongSurrogateAndTruncatedSequences() {
        assertThat(validInEverySplit(new byte[] {'c', 'a', 'f', (byte) 0xe9, 'x'})).isFalse();
        assertThat(validInEverySplit(new byte[] {(byte) 0xc0, (byte) 0xaf})).isFalse();
        assertThat(validInEverySplit(new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80})).isFalse();
        assertThat(validInEverySplit(new byte[] {'a', (byte) 0xf0, (byte) 0x9f, (byte) 0x98})).isFalse();
    }
}
