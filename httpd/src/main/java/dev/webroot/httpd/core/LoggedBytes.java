package dev.webroot.httpd.core;

/**
 * The bytes of one request field as received, copied for the access log into a reusable array; a
 * value longer than the capacity keeps its first bytes and says it was {@link #truncated}.
 */
public final class LoggedBytes {
    private final byte[] bytes;
    private int length;
    private boolean truncated;

    public LoggedBytes(int capacity) {
        bytes = new byte[capacity];
    }

    /** Copies {@code b[from, to)}, or as much of it as fits. */
    public void set(byte[] b, int from, int to) {
        length = Math.min(to - from, bytes.length);
        truncated = to - from > bytes.length;
        System.arraycopy(b, from, bytes, 0, length);
    }

    public void clear() {
        length = 0;
        truncated = false;
    }

    public int length() {
        return length;
    }

    public boolean isEmpty() {
        return length == 0;
    }

    /** Whether the value was longer than what is kept. */
    public boolean truncated() {
        return truncated;
    }

    /** The kept bytes, valid up to {@link #length}; read, never modified. */
    public byte[] array() {
        return bytes;
    }

    /** The kept bytes as text, one char per byte (ISO-8859-1). */
    @Override
    public String toString() {
        return new String(bytes, 0, length, java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}
