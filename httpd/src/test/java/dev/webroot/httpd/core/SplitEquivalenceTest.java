package dev.webroot.httpd.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every script gives the same bytes and the same close whether it is fed whole, byte by byte, or
 * split in two at any position, and whether writes complete whole or one byte at a time.
 */
class SplitEquivalenceTest {
    @RegisterExtension
    static final SharedTestSites fixture = new SharedTestSites();

    static List<byte[]> scripts() {
        List<byte[]> scripts = new ArrayList<>();
        List<SemanticsTableTest.Case> table = SemanticsTableTest.cases();
        for (SemanticsTableTest.Case c : table) {
            scripts.add(c.request().getBytes(StandardCharsets.ISO_8859_1));
        }
        // Pipelines: a few table requests back to back, then a malformed one, then a valid one.
        for (int i = 0; i + 3 < table.size(); i += 7) {
            String three = table.get(i).request() + table.get(i + 1).request() + table.get(i + 2).request();
            scripts.add(three.getBytes(StandardCharsets.ISO_8859_1));
        }
        for (MalformedCorpus.Case m : MalformedRequestsTest.corpus()) {
            if (m.request().length < 1000) {
                byte[] prefix = SemanticsTableTest.get("/plain.txt", "Range: bytes=0-1,5-5,9-").getBytes(StandardCharsets.ISO_8859_1);
                byte[] script = java.util.Arrays.copyOf(prefix, prefix.length + m.request().length);
                System.arraycopy(m.request(), 0, script, prefix.length, m.request().length);
                scripts.add(MalformedRequestsTest.withFollowUp(script));
            }
        }
        return scripts;
    }

    static Driver driver() {
        return new Driver(fixture.connection(3));
    }

    @Test
    void outputDoesNotDependOnHowBytesArriveOrLeave() {
        int checked = 0;
        for (byte[] script : scripts()) {
            Driver whole = driver().feed(script);
            String expected = whole.output();
            String name = new String(script, StandardCharsets.ISO_8859_1);
            assertThat(driver().feedBytewise(script).output()).as(name).isEqualTo(expected);
            Driver slow = driver();
            slow.writeChunk = 1;
            assertThat(slow.feed(script).output()).as(name).isEqualTo(expected);
            for (int split = 1; split < script.length; split++) {
                Driver d = driver().feed(script, split);
                assertThat(d.output()).as("%s split at %d", name, split).isEqualTo(expected);
                assertThat(d.closeRequested).as("%s split at %d", name, split).isEqualTo(whole.closeRequested);
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(10_000);
        fixture.sites().assertBalanced();
    }
}
