package dev.webroot.httpd.admin;

/** Where the server is in its life, as {@code /readyz} reports it. */
public enum ServerState {
    /** Loading vhosts, opening listeners. */
    STARTING,
    /** Every vhost loaded (or refused) and every listener open. */
    SERVING,
    /** A stop was asked for: no longer accepting, finishing what is in flight. */
    STOPPING
}
