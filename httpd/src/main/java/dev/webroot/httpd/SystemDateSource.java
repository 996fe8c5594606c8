package dev.webroot.httpd;

import dev.webroot.httpd.core.DateSource;
import dev.webroot.httpd.log.SecondStamp;

/** The Date header value from the wall clock, formatted at most once a second. */
public final class SystemDateSource implements DateSource {
    private final SecondStamp stamp = new SecondStamp(SecondStamp.Format.IMF_FIXDATE);

    @Override
    public byte[] imfFixdate() {
        return stamp.at(System.currentTimeMillis() / 1000);
    }
}
