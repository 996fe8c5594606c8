package dev.webroot.httpd.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.webroot.format.Hpack;
import dev.webroot.httpd.http2.HpackDecoder;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A scripted HTTP/2 client for tests: writes frames as bytes and reads the server's frames back. */
final class H2 {
    record Frame(int type, int flags, int stream, byte[] payload) {
        int errorCode() {
            int at = type == Http2.GOAWAY ? 4 : 0;
            return (payload[at] & 0xff) << 24 | (payload[at + 1] & 0xff) << 16 | (payload[at + 2] & 0xff) << 8
                    | payload[at + 3] & 0xff;
        }

        boolean endStream() {
            return (flags & Http2.FLAG_END_STREAM) != 0;
        }

        @Override
        public String toString() {
            return "type " + type + " flags " + flags + " stream " + stream + " length " + payload.length;
        }
    }

    /** A response as the client assembles it from one stream's frames. */
    record Response(int stream, List<String[]> fields, byte[] body, boolean ended) {
        String status() {
            return field(":status");
        }

        String field(String name) {
            for (String[] f : fields) {
                if (f[0].equals(name)) {
                    return f[1];
                }
            }
            return null;
        }

        String bodyText() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    static H2 client() {
        return new H2().preface().settings();
    }

    H2 preface() {
        bytes.writeBytes(Http2.PREFACE);
        return this;
    }

    H2 settings(int... idValues) {
        byte[] p = new byte[idValues.length * 3];
        for (int i = 0; i < idValues.length; i += 2) {
            int at = i * 3;
            p[at] = (byte) (idValues[i] >>> 8);
            p[at + 1] = (byte) idValues[i];
            put32(p, at + 2, idValues[i + 1]);
        }
        return frame(Http2.SETTINGS, 0, 0, p);
    }

    H2 frame(int type, int flags, int stream, byte[] payload) {
        bytes.write(payload.length >>> 16);
        bytes.write(payload.length >>> 8);
        bytes.write(payload.length);
        bytes.write(type);
        bytes.write(flags);
        byte[] id = new byte[4];
        put32(id, 0, stream);
        bytes.writeBytes(id);
        bytes.writeBytes(payload);
        return this;
    }

    /** A GET (or other method) with the given extra fields, ending the stream. */
    H2 get(int stream, String path, String... fields) {
        return request(stream, "GET", path, Http2.FLAG_END_STREAM, fields);
    }

    H2 request(int stream, String method, String path, int flags, String... fields) {
        List<String> all = new ArrayList<>(List.of(":method", method, ":scheme", "https", ":path", path, ":authority",
                "site.test"));
        all.addAll(List.of(fields));
        return frame(Http2.HEADERS, flags | Http2.FLAG_END_HEADERS, stream, block(all.toArray(String[]::new)));
    }

    /** A header block of literal fields without indexing, names and values as given. */
    static byte[] block(String... namesAndValues) {
        byte[] out = new byte[64 * 1024];
        int at = 0;
        for (int i = 0; i < namesAndValues.length; i += 2) {
            byte[] name = namesAndValues[i].getBytes(StandardCharsets.ISO_8859_1);
            byte[] value = namesAndValues[i + 1].getBytes(StandardCharsets.ISO_8859_1);
            at = Hpack.putNewNameLiteral(out, at, name, value, 0, value.length);
        }
        return java.util.Arrays.copyOf(out, at);
    }

    H2 raw(byte[] b) {
        bytes.writeBytes(b);
        return this;
    }

    byte[] bytes() {
        return bytes.toByteArray();
    }

    static byte[] int32(int v) {
        byte[] b = new byte[4];
        put32(b, 0, v);
        return b;
    }

    static void put32(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    /** Splits a server's output into frames; a trailing partial frame fails the test. */
    static List<Frame> frames(byte[] out) {
        List<Frame> frames = new ArrayList<>();
        int at = 0;
        while (at < out.length) {
            assertThat(out.length - at).as("frame header").isGreaterThanOrEqualTo(9);
            int length = (out[at] & 0xff) << 16 | (out[at + 1] & 0xff) << 8 | out[at + 2] & 0xff;
            int stream = ((out[at + 5] & 0x7f) << 24 | (out[at + 6] & 0xff) << 16 | (out[at + 7] & 0xff) << 8
                    | out[at + 8] & 0xff);
            assertThat(out.length - at - 9).as("frame payload").isGreaterThanOrEqualTo(length);
            frames.add(new Frame(out[at + 3] & 0xff, out[at + 4] & 0xff, stream,
                    java.util.Arrays.copyOfRange(out, at + 9, at + 9 + length)));
            at += 9 + length;
        }
        return frames;
    }

    /** Every stream's response, in the order the streams ended (or began, for unfinished ones). */
    static Map<Integer, Response> responses(List<Frame> frames) {
        HpackDecoder decoder = new HpackDecoder(4096, 1 << 20);
        Map<Integer, List<String[]>> fields = new LinkedHashMap<>();
        Map<Integer, ByteArrayOutputStream> bodies = new LinkedHashMap<>();
        Map<Integer, Boolean> ended = new LinkedHashMap<>();
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        int blockStream = -1;
        boolean blockEnds = false;
        for (Frame f : frames) {
            if (f.type() == Http2.HEADERS || f.type() == Http2.CONTINUATION) {
                if (f.type() == Http2.HEADERS) {
                    block.reset();
                    blockStream = f.stream();
                    blockEnds = f.endStream();
                }
                block.writeBytes(f.payload());
                if ((f.flags() & Http2.FLAG_END_HEADERS) != 0) {
                    List<String[]> list = new ArrayList<>();
                    byte[] b = block.toByteArray();
                    int result = decoder.decode(b, 0, b.length, (buf, ns, ne, vs, ve) -> {
                        list.add(new String[] {new String(buf, ns, ne - ns, StandardCharsets.ISO_8859_1),
                            new String(buf, vs, ve - vs, StandardCharsets.ISO_8859_1)});
                        return true;
                    });
                    assertThat(result).as("response header block decodes").isEqualTo(HpackDecoder.OK);
                    fields.put(blockStream, list);
                    bodies.putIfAbsent(blockStream, new ByteArrayOutputStream());
                    if (blockEnds) {
                        ended.put(blockStream, true);
                    }
                }
            } else if (f.type() == Http2.DATA) {
                bodies.computeIfAbsent(f.stream(), k -> new ByteArrayOutputStream()).writeBytes(f.payload());
                if (f.endStream()) {
                    ended.put(f.stream(), true);
                }
            }
        }
        Map<Integer, Response> responses = new LinkedHashMap<>();
        for (Map.Entry<Integer, List<String[]>> e : fields.entrySet()) {
            responses.put(e.getKey(), new Response(e.getKey(), e.getValue(), bodies.get(e.getKey()).toByteArray(),
                    ended.getOrDefault(e.getKey(), false)));
        }
        return responses;
    }

    static Frame first(List<Frame> frames, int type) {
        return frames.stream().filter(f -> f.type() == type).findFirst().orElse(null);
    }
}
