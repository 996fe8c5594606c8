package dev.webroot.httpd.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HostTableTest {
    private static SiteGeneration site(String name) {
        return SiteGeneration.outOfService(name, null);
    }

    private static SiteGeneration find(HostTable table, String host) {
        byte[] bytes = host.getBytes(StandardCharsets.US_ASCII);
        return table.find(bytes, 0, bytes.length);
    }

    @Test
    void findsEveryNameAmongManyAndNothingElse() {
        Map<String, SiteGeneration> sites = new HashMap<>();
        for (int i = 0; i < 5000; i++) {
            sites.put("site" + i + ".example", site("site" + i));
        }
        HostTable table = new HostTable(sites);
        for (int i = 0; i < 5000; i++) {
            assertThat(find(table, "site" + i + ".example")).isSameAs(sites.get("site" + i + ".example"));
        }
        assertThat(find(table, "site5000.example")).isNull();
        assertThat(find(table, "site1.example.")).isNull();
        assertThat(find(table, "")).isNull();
    }

    @Test
    void unknownHostsGetTheDefaultSite() {
        SiteGeneration fallback = site("__default__");
        HostTable table = new HostTable(Map.of("a.example", site("a"), "__default__", fallback));
        assertThat(find(table, "b.example")).isSameAs(fallback);
        assertThat(find(HostTable.EMPTY, "a.example")).isNull();
    }
}
