package dev.webroot.io.model;

import dev.webroot.io.Output;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;

/**
 * File spans of at least the threshold go by {@code FileChannel.transferTo} (sendfile), at most
 * {@link #MAX_CHUNK} per call so that one large body cannot hold its loop for long (nginx's
 * {@code sendfile_max_chunk}); what precedes them goes as one gathering write.
 */
final class SendfileTransfer implements BodyTransfer, BodyTransfer.Sender {
    static final long MAX_CHUNK = 2L << 20;

    private final long threshold;
    private final GatheringWrite gather;

    SendfileTransfer(long threshold, int maxBuffers) {
        this.threshold = threshold;
        this.gather = new GatheringWrite(maxBuffers);
    }

    @Override
    public long send(Output output, SocketChannel socket) throws IOException {
        int first = GatheringWrite.firstPending(output);
        int large = GatheringWrite.firstLargeFileSpan(output, first, threshold);
        if (large != first) {
            return gather.write(output, first, large, socket);
        }
        long count = Math.min(output.remaining(first), MAX_CHUNK);
        long position = output.filePosition(first);
        FileChannel file = output.channel(first);
        long sent = file.transferTo(position, count, socket);
        // transferTo sends nothing both to a full socket and from past the file's end.
        if (sent == 0 && file.size() <= position) {
            throw new TruncatedFileException(position);
        }
        return sent;
    }

    @Override
    public Sender newSender() {
        return this;
    }
}
