package dev.webroot.httpd.core;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The corpus of malformed and smuggling requests in {@code malformed-requests.txt}: one case per
 * line, the expected status, a space, and the request with escapes ({@code \r \n \t \0 \xHH \\}).
 * Shared with the end-to-end tests, which replay it over real sockets.
 */
public final class MalformedCorpus {
    /** One request and the status it must be refused with; {@code source} is its escaped form, for messages. */
    public record Case(int status, byte[] request, String source) {
        @Override
        public String toString() {
            return status + " " + (source.length() > 90 ? source.substring(0, 90) + "..." : source);
        }
    }

    private MalformedCorpus() {}

    public static List<Case> load() {
        String text;
        try (InputStream in = MalformedCorpus.class.getResourceAsStream("malformed-requests.txt")) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Case> cases = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.isEmpty() && !line.startsWith("#")) {
                cases.add(new Case(Integer.parseInt(line.substring(0, 3)), unescape(line.substring(4)), line.substring(4)));
            }
        }
        return cases;
    }

    static byte[] unescape(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                out.write(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case 'r' -> out.write('\r');
                case 'n' -> out.write('\n');
                case 't' -> out.write('\t');
                case '0' -> out.write(0);
                case '\\' -> out.write('\\');
                case 'x' -> {
                    out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
                    i += 2;
                }
                default -> throw new IllegalArgumentException("bad escape \\" + e + " in " + s);
            }
        }
        return out.toByteArray();
    }
}
