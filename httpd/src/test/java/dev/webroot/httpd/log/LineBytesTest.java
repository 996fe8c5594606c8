package dev.webroot.httpd.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class LineBytesTest {
    /** Every byte value at every position of a run: the eight-at-a-time check stops exactly where a byte-wise one would. */
    @Test
    void aPlainRunEndsAtTheFirstByteThatNeedsEscaping() {
        for (int value = 0; value < 256; value++) {
            boolean plain = value >= 0x20 && value < 0x7f && value != '"' && value != '\\';
            assertThat(LineBytes.isPlain((byte) value)).as("byte %02x", value).isEqualTo(plain);
            for (int at = 0; at < 20; at++) {
                byte[] b = new byte[20];
                Arrays.fill(b, (byte) 'a');
                b[at] = (byte) value;
                assertThat(LineBytes.plainRun(b, 0, b.length)).as("byte %02x at %d", value, at).isEqualTo(plain ? 20 : at);
                assertThat(LineBytes.plainRun(b, 3, 17)).as("byte %02x at %d, from 3 to 17", value, at)
                        .isEqualTo(plain || at < 3 || at >= 17 ? 14 : at - 3);
            }
        }
    }

    @Test
    void decimalsHaveEveryDigit() {
        for (long value : new long[] {0, 7, 10, 99, 100, 200, 1024, 999_999, Long.MAX_VALUE, -1, -45, Long.MIN_VALUE}) {
            byte[] line = new byte[24];
            int end = LineBytes.decimal(value, line, 1);
            assertThat(new String(line, 1, end - 1, StandardCharsets.US_ASCII)).isEqualTo(Long.toString(value));
        }
    }

    @Test
    void secondsHaveMillisecondResolution() {
        byte[] line = new byte[32];
        assertThat(new String(line, 0, LineBytes.seconds(3_400_000, line, 0), StandardCharsets.US_ASCII)).isEqualTo("0.003");
        assertThat(new String(line, 0, LineBytes.seconds(61_234_999_999L, line, 0), StandardCharsets.US_ASCII))
                .isEqualTo("61.234");
        assertThat(new String(line, 0, LineBytes.seconds(-5, line, 0), StandardCharsets.US_ASCII)).isEqualTo("0.000");
    }
}
