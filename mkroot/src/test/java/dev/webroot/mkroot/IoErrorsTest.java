package dev.webroot.mkroot;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

class IoErrorsTest {
    @Test
    void namesTheFileAndTheReasonInOneLine() {
        assertThat(IoErrors.describe(new AccessDeniedException("site/locked.html"))).isEqualTo("site/locked.html: permission denied");
        assertThat(IoErrors.describe(new NoSuchFileException("site/gone.css"))).isEqualTo("site/gone.css: no such file or directory");
        assertThat(IoErrors.describe(new FileSystemException("out.webroot", null, "No space left on device")))
                .isEqualTo("out.webroot: No space left on device");
        assertThat(IoErrors.describe(new IOException("No space left on device"))).isEqualTo("No space left on device");
        assertThat(IoErrors.describe(new IOException())).isEqualTo("IOException");
    }
}
