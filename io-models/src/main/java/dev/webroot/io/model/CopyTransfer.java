package dev.webroot.io.model;

import dev.webroot.io.Output;
import java.io.IOException;
import java.nio.channels.SocketChannel;

/** Everything as one gathering write from memory and the mapping; holds no per-connection state. */
final class CopyTransfer implements BodyTransfer, BodyTransfer.Sender {
    private final GatheringWrite gather;

    CopyTransfer(int maxBuffers) {
        gather = new GatheringWrite(maxBuffers);
    }

    @Override
    public long send(Output output, SocketChannel socket) throws IOException {
        return gather.write(output, GatheringWrite.firstPending(output), output.segmentCount(), socket);
    }

    @Override
    public Sender newSender() {
        return this;
    }
}
