package dev.webroot.httpd.core;

/** A reusable ISO-8859-1 view of bytes copied for the access log; copies are truncated at capacity. */
final class ByteChars implements CharSequence {
    private final byte[] bytes;
    private int length;

    ByteChars(int capacity) {
        bytes = new byte[capacity];
    }

    void set(byte[] b, int from, int to) {
        length = Math.min(to - from, bytes.length);
        System.arraycopy(b, from, bytes, 0, length);
    }

    void clear() {
        length = 0;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public char charAt(int index) {
        if (index >= length) {
            throw new IndexOutOfBoundsException(index);
        }
        return (char) (bytes[index] & 0xff);
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        return toString().substring(start, end);
    }

    @Override
    public String toString() {
        return new String(bytes, 0, length, java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}
