package dev.webroot.io;

/** Creates the protocol connection for a newly accepted socket. */
@FunctionalInterface
public interface ConnectionFactory {
    /** @param remoteAddress the peer as "ip:port", for logging */
    Connection open(String remoteAddress);
}
