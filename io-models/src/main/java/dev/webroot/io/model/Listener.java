package dev.webroot.io.model;

import dev.webroot.io.ConnectionFactory;

/** A bound listening channel and the factory of the connections accepted on it. */
record Listener<C>(C channel, ConnectionFactory factory) {}
