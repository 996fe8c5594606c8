package dev.webroot.httpd.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One {@link TestSites} for all the tests of a class, registered as
 * {@code @RegisterExtension static final SharedTestSites fixture = new SharedTestSites();}: built in
 * a temporary directory before the first test, closed and deleted after the last.
 */
final class SharedTestSites implements BeforeAllCallback, AfterAllCallback {
    private Path dir;
    private TestSites sites;

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        dir = Files.createTempDirectory("test-sites");
        sites = TestSites.create(dir);
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        sites.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }

    TestSites sites() {
        return sites;
    }

    /**
     * A connection to the sites with the default limits, the fixed date and no access log, whose
     * multipart boundaries follow from {@code boundarySeed}.
     */
    HttpConnection connection(long boundarySeed) {
        return new HttpConnection(new WorkspacePool(sites, Limits.defaults(), TestSites.DATES, AccessLog.DISABLED, boundarySeed), "t");
    }
}
