package dev.webroot.mkroot;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Checks, chunk by chunk, that bytes are strictly valid UTF-8 (no overlong forms, no surrogates).
 * A UTF-8 byte order mark is valid UTF-8 and passes.
 */
final class Utf8Validator {
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    /** A sequence split across chunks waits here for its remaining bytes (at most 3). */
    private ByteBuffer carry = ByteBuffer.allocate(0);
    private CharBuffer chars = CharBuffer.allocate(0);
    private boolean valid = true;

    void update(byte[] bytes, int offset, int length) {
        if (!valid) {
            return;
        }
        ByteBuffer in;
        if (carry.hasRemaining()) {
            in = ByteBuffer.allocate(carry.remaining() + length);
            in.put(carry).put(bytes, offset, length).flip();
        } else {
            in = ByteBuffer.wrap(bytes, offset, length);
        }
        decode(in, false);
        if (valid) {
            carry = ByteBuffer.allocate(in.remaining()).put(in).flip();
        }
    }

    /** Whether everything fed in was valid UTF-8; call once, after the last chunk. */
    boolean finish() {
        if (valid) {
            decode(carry, true);
        }
        if (valid) {
            chars.clear();
            valid = !decoder.flush(chars).isError();
        }
        return valid;
    }

    private void decode(ByteBuffer in, boolean endOfInput) {
        if (chars.capacity() < in.remaining()) {
            chars = CharBuffer.allocate(in.remaining());
        }
        chars.clear();
        CoderResult result = decoder.decode(in, chars, endOfInput);
        if (result.isError()) {
            valid = false;
        }
    }
}
