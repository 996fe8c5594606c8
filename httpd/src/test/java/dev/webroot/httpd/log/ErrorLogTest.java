package dev.webroot.httpd.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ErrorLogTest {
    @TempDir
    Path temp;

    @Test
    void aFileGetsLinesStampedInUtcToTheMillisecond() throws Exception {
        Path file = temp.resolve("error.log");
        long before = System.currentTimeMillis();
        try (ErrorLog log = ErrorLog.toFile(file)) {
            log.log("listening");
        }
        long after = System.currentTimeMillis();
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z httpd: listening");
        long stamped = Instant.parse(lines.get(0).substring(0, 24)).toEpochMilli();
        assertThat(stamped).isBetween(before, after);
    }

    @Test
    void writesEveryMillisecondWithThreeDigits() {
        assertThat(ErrorLog.timestamp(784111777000L)).isEqualTo("1994-11-06T08:49:37.000Z");
        assertThat(ErrorLog.timestamp(784111777007L)).isEqualTo("1994-11-06T08:49:37.007Z");
        assertThat(ErrorLog.timestamp(784111777999L)).isEqualTo("1994-11-06T08:49:37.999Z");
        assertThat(ErrorLog.timestamp(-1L)).isEqualTo("1969-12-31T23:59:59.999Z");
    }
}
