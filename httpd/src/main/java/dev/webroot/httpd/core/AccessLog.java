package dev.webroot.httpd.core;

/** Receives one record per finished response; implementations must copy what they keep before returning. */
public interface AccessLog {
    AccessLog DISABLED = record -> {};

    void log(AccessRecord record);
}
