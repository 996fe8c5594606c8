package dev.webroot.httpd;

import dev.webroot.httpd.core.DateSource;
import dev.webroot.httpd.log.SecondStamp;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** The Date header value from the wall clock, formatted at most once a second. */
public final class SystemDateSource implements DateSource {
    static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    private final SecondStamp stamp = new SecondStamp(IMF_FIXDATE);

    @Override
    public byte[] imfFixdate() {
        return stamp.at(System.currentTimeMillis() / 1000);
    }
}
