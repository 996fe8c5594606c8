package dev.webroot.httpd.tls;

import java.nio.ByteBuffer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;

/** The TLS layer of one connection run by a JSSE {@link SSLEngine}, which wraps and unwraps the pooled heap buffers. */
final class JsseConnection extends TlsConnection {
    private static final ByteBuffer NOTHING = ByteBuffer.allocate(0);

    /** Created once the first record has been inspected (so that it knows the server name). */
    private SSLEngine engine;

    JsseConnection(TlsConnectionFactory factory, String remoteAddress) {
        super(factory, remoteAddress);
    }

    @Override
    void start(String serverName, boolean offersAcmeTls) throws SSLException {
        engine = factory.jsse().newEngine(serverName, offersAcmeTls);
        engine.beginHandshake();
    }

    @Override
    boolean handshake(long now) throws SSLException {
        boolean progress = false;
        while (!outboundClosed) {
            SSLEngineResult.HandshakeStatus status = engine.getHandshakeStatus();
            if (status == SSLEngineResult.HandshakeStatus.NEED_TASK) {
                runTasks();
                progress = true;
            } else if (status == SSLEngineResult.HandshakeStatus.NEED_WRAP && roomToWrap()) {
                SSLEngineResult result = engine.wrap(NOTHING, outTail());
                outEnd = buffers.netOut.position();
                afterStep(result, now);
                if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
                    outboundClosed = true;
                }
                if (result.bytesProduced() == 0 && result.getHandshakeStatus() != SSLEngineResult.HandshakeStatus.NEED_TASK) {
                    return progress;
                }
                progress = true;
            } else {
                return progress;
            }
        }
        return progress;
    }

    @Override
    boolean decrypt(long now) throws SSLException {
        ByteBuffer in = buffers.netIn;
        boolean progress = false;
        while (in.position() > 0 && !closeNotifyReceived && buffers.appIn.hasRemaining()) {
            in.flip();
            SSLEngineResult result;
            try {
                result = engine.unwrap(in, buffers.appIn);
            } finally {
                in.compact();
            }
            if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
                closeNotifyReceived = true;
                peerEnded = true;
                if (next == null) {
                    failed = true;
                }
                return true;
            }
            if (result.bytesConsumed() == 0 && result.bytesProduced() == 0) {
                return progress;
            }
            progress = true;
            afterStep(result, now);
            if (engine.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_WRAP) {
                return true;
            }
        }
        return progress;
    }

    /** Runs the engine's tasks; once the step that completes the handshake is done, opens the layer above. */
    private void afterStep(SSLEngineResult result, long now) {
        SSLEngineResult.HandshakeStatus status = result.getHandshakeStatus();
        if (status == SSLEngineResult.HandshakeStatus.NEED_TASK) {
            runTasks();
        } else if (status == SSLEngineResult.HandshakeStatus.FINISHED && next == null) {
            established(now);
        }
    }

    @Override
    long encrypt(ByteBuffer[] plain, int count) throws SSLException {
        SSLEngineResult result = engine.wrap(plain, 0, count, outTail());
        outEnd = buffers.netOut.position();
        return result.bytesConsumed();
    }

    @Override
    boolean queueCloseNotify() throws SSLException {
        engine.closeOutbound();
        boolean progress = wrapQueued();
        outboundClosed = engine.isOutboundDone() || !hasOutput();
        return progress;
    }

    @Override
    void queueAlert() {
        if (engine == null) {
            return;
        }
        try {
            wrapQueued();
        } catch (SSLException e) {
            // No alert could be produced: the close says enough.
        }
    }

    /** Wraps what the engine still has to send (a closing or alert record) as far as there is room; whether any was. */
    private boolean wrapQueued() throws SSLException {
        boolean progress = false;
        while (!engine.isOutboundDone() && roomToWrap()) {
            SSLEngineResult result = engine.wrap(NOTHING, outTail());
            outEnd = buffers.netOut.position();
            if (result.bytesProduced() == 0) {
                break;
            }
            progress = true;
        }
        return progress;
    }

    @Override
    String applicationProtocol() {
        return engine.getApplicationProtocol();
    }

    @Override
    boolean holdsWholeRecord() {
        ByteBuffer in = buffers.netIn;
        return in.position() >= 5 && in.position() >= 5 + ((in.get(3) & 0xff) << 8 | in.get(4) & 0xff);
    }

    @Override
    void release() {
        if (engine != null) {
            engine.closeOutbound();
        }
    }

    @Override
    void idle() {
        // The engine keeps no record buffers of its own between calls.
    }

    private void runTasks() {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run();
        }
    }
}
