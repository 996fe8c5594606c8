package dev.webroot.httpd.core;

import dev.webroot.format.Hpack;
import dev.webroot.format.HpackFragment;
import dev.webroot.format.Webroot;

/**
 * HTTP/2 header blocks: {@code :status}, {@code date}, the listener's fields, then the
 * representation's HPACK fragment stored by the packer and the few fields composed per response.
 * Only static-table references and literals without indexing are written, so no response touches
 * the connection's dynamic table and nothing is encoded per response but the status, the date and
 * composed values. A representation whose stored fragment is not what its header block converts to
 * gets that conversion instead ({@link Generation#hpackFromBlock}).
 */
final class HpackHeaders implements HeaderEncoder {
    private static final int STATUS = 8;
    private static final int DATE = 33;

    private final DateSource dates;
    /** Fields the listener adds to every response, HPACK-encoded, or null. */
    private final byte[] addedFields;
    /** Where the length of the value being composed goes. */
    private int valueLengthAt;

    HpackHeaders(DateSource dates, byte[] addedFields) {
        this.dates = dates;
        this.addedFields = addedFields;
    }

    @Override
    public void start(Exchange x, int status) {
        int indexed = switch (status) {
            case 200 -> 8;
            case 204 -> 9;
            case 206 -> 10;
            case 304 -> 11;
            case 400 -> 12;
            case 404 -> 13;
            case 500 -> 14;
            default -> 0;
        };
        x.reserveHeader(8 + 2 + 29);
        if (indexed != 0) {
            x.header[x.headerLength++] = (byte) (0x80 | indexed);
        } else {
            x.header[x.headerLength++] = STATUS;
            x.header[x.headerLength++] = 3;
            x.header[x.headerLength++] = (byte) ('0' + status / 100);
            x.header[x.headerLength++] = (byte) ('0' + status / 10 % 10);
            x.header[x.headerLength++] = (byte) ('0' + status % 10);
        }
        byte[] date = dates.imfFixdate();
        x.headerLength = Hpack.putIndexedNameLiteral(x.header, x.headerLength, DATE, date, 0, date.length);
        if (addedFields != null) {
            x.put(addedFields);
        }
    }

    @Override
    public void line(Exchange x, ResponseField.Line line) {
        x.put(line.hpack);
    }

    @Override
    public void beginValue(Exchange x, ResponseField field) {
        x.reserveHeader(2);
        x.headerLength = Hpack.putInteger(x.header, x.headerLength, 0x00, 4, field.hpackIndex);
        valueLengthAt = x.headerLength++;
    }

    @Override
    public void endValue(Exchange x) {
        int length = x.headerLength - valueLengthAt - 1;
        int size = Hpack.integerLength(length, 7);
        if (size > 1) {
            // The value was longer than a one-byte length: move it up to make room for the rest.
            x.reserveHeader(size - 1);
            System.arraycopy(x.header, valueLengthAt + 1, x.header, valueLengthAt + size, length);
            x.headerLength += size - 1;
        }
        Hpack.putInteger(x.header, valueLengthAt, 0x00, 7, length);
    }

    @Override
    public void block(Exchange x, Webroot w, int representation, int cut) {
        HpackFragment fromBlock = x.generation.hpackFromBlock(representation);
        if (fromBlock != null) {
            int length = switch (cut) {
                case NOT_MODIFIED -> fromBlock.notModifiedEnd();
                case COMMON -> fromBlock.commonEnd();
                case CONTENT_TYPE -> fromBlock.contentTypeEnd();
                default -> fromBlock.length();
            };
            copy(x, fromBlock, 0, length);
            return;
        }
        int length = switch (cut) {
            case NOT_MODIFIED -> w.hpackNotModifiedEnd(representation);
            case COMMON -> w.hpackCommonEnd(representation);
            case CONTENT_TYPE -> w.hpackContentTypeEnd(representation);
            default -> w.hpackLength(representation);
        };
        copy(x, w, representation, 0, length);
    }

    @Override
    public void blockWithoutEtag(Exchange x, Webroot w, int representation) {
        HpackFragment fromBlock = x.generation.hpackFromBlock(representation);
        if (fromBlock != null) {
            copy(x, fromBlock, fromBlock.etagEnd(), fromBlock.length());
        } else {
            copy(x, w, representation, w.hpackEtagEnd(representation), w.hpackLength(representation));
        }
    }

    private static void copy(Exchange x, Webroot w, int representation, int from, int to) {
        x.reserveHeader(to - from);
        w.copyHpack(representation, from, to, x.header, x.headerLength);
        x.headerLength += to - from;
    }

    private static void copy(Exchange x, HpackFragment fragment, int from, int to) {
        x.reserveHeader(to - from);
        fragment.copy(from, to, x.header, x.headerLength);
        x.headerLength += to - from;
    }

    @Override
    public void finish(Exchange x, int connection) {
        // HTTP/2 has no connection-specific fields and no end-of-section marker: the frame ends it.
    }

    /** The HPACK form of the fields a listener adds to every response, or null. */
    static byte[] fields(ListenerPolicy policy) {
        return policy.hstsSeconds < 0 ? null
                : ResponseField.STRICT_TRANSPORT_SECURITY.line("max-age=" + policy.hstsSeconds).hpack;
    }
}
