#!/usr/bin/python3
"""Frame-level HTTP/2 conformance suite (RFC 9113, RFC 7541) for a server on a loopback port.

Each case opens its own connection (cleartext prior knowledge, or TLS with ALPN h2), writes frames
built with hyperframe or by hand where the frame must be invalid, and judges what comes back.
One line per case: PASS|FAIL|SKIP <section> <name>: <detail>; the exit status is 1 when a case
failed (or h2 could not be spoken at all), 0 otherwise.

Expectations follow the RFCs' MUSTs. A connection error passes only with a GOAWAY carrying the
expected code followed by the close of the connection (RFC 9113 5.4.1 says SHOULD for the GOAWAY;
this suite holds the server to it, except for an invalid preface, where 3.4 allows omitting it).
A stream error passes with RST_STREAM of the expected code (after which the connection must still
answer a PING), or with a GOAWAY of that code (5.4.2 lets an endpoint escalate).

Tags: 'policy' cases check this project's server choices beyond the RFCs (413 for request bodies,
ETag/Range/Brotli answers, the advertised stream limit) and are left out with --rfc-only;
'defence' cases check the server's resistance to floods and are run only with --defences.
"""

import argparse
import re
import select
import socket
import ssl
import struct
import sys
import time

import hpack
from hpack.exceptions import HPACKError
from hyperframe.exceptions import HyperframeError
from hyperframe.frame import (ContinuationFrame, DataFrame, Frame, GoAwayFrame, HeadersFrame,
                              PingFrame, PriorityFrame, PushPromiseFrame, RstStreamFrame, SettingsFrame,
                              WindowUpdateFrame)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
FLAG_END_STREAM = 0x1
FLAG_ACK = 0x1
FLAG_END_HEADERS = 0x4
FLAG_PADDED = 0x8
FLAG_PRIORITY = 0x20

NO_ERROR, PROTOCOL_ERROR, FLOW_CONTROL_ERROR = 0x0, 0x1, 0x3
STREAM_CLOSED, FRAME_SIZE_ERROR, REFUSED_STREAM, CANCEL, COMPRESSION_ERROR = 0x5, 0x6, 0x7, 0x8, 0x9
ENHANCE_YOUR_CALM = 0xb
ERROR_NAMES = {0x0: "NO_ERROR", 0x1: "PROTOCOL_ERROR", 0x2: "INTERNAL_ERROR", 0x3: "FLOW_CONTROL_ERROR",
               0x4: "SETTINGS_TIMEOUT", 0x5: "STREAM_CLOSED", 0x6: "FRAME_SIZE_ERROR", 0x7: "REFUSED_STREAM",
               0x8: "CANCEL", 0x9: "COMPRESSION_ERROR", 0xa: "CONNECT_ERROR", 0xb: "ENHANCE_YOUR_CALM",
               0xc: "INADEQUATE_SECURITY", 0xd: "HTTP_1_1_REQUIRED"}

HEADER_TABLE_SIZE, ENABLE_PUSH, MAX_CONCURRENT_STREAMS = 0x1, 0x2, 0x3
INITIAL_WINDOW_SIZE, MAX_FRAME_SIZE, MAX_HEADER_LIST_SIZE = 0x4, 0x5, 0x6

MAX_WINDOW = 2**31 - 1
DEFAULT_FRAME_SIZE = 16384
MAX_FRAME_LENGTH = 2**24 - 1
# A quiet period long enough for a loopback server to have answered if it was going to.
QUIET_SECONDS = 0.5
CONNECTION_SPECIFIC = ("connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade")


def error_name(code):
    return ERROR_NAMES.get(code, "0x%x" % code)


def codes_text(codes):
    return " or ".join(error_name(c) for c in codes)


class Failure(Exception):
    """The server did something the case does not accept."""


class Skip(Exception):
    """The case cannot run against this server or with these options."""


class Closed(Exception):
    """The connection ended while a case expected more from it."""


# ---- raw frames: for frames hyperframe refuses to build (invalid ones, reserved bits, odd flags)

def frame(frame_type, flags, stream, payload=b""):
    if len(payload) > MAX_FRAME_LENGTH:
        raise ValueError("a frame payload of %d bytes does not fit the 24-bit length" % len(payload))
    return struct.pack(">I", len(payload))[1:] + bytes([frame_type, flags]) + struct.pack(">I", stream) + payload


def settings_payload(pairs):
    return b"".join(struct.pack(">HI", ident, value) for ident, value in pairs)


def settings_frame(pairs=(), ack=False):
    return frame(SETTINGS, FLAG_ACK if ack else 0, 0, settings_payload(pairs))


def serialize(f):
    return f.serialize()


# ---- HPACK by hand: literals that never touch the dynamic table, so hand-made blocks can be mixed
# with the hpack.Encoder's on one connection, and malformed blocks are exactly what they say.

def hpack_integer(value, prefix_bits, first_byte=0):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first_byte | value])
    out = bytearray([first_byte | limit])
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def hpack_string(data):
    if isinstance(data, str):
        data = data.encode("latin-1")
    return hpack_integer(len(data), 7) + data


def literal(name, value, indexing=False):
    """A literal field with a literal name: without indexing (0x00) or with incremental indexing (0x40)."""
    return (b"\x40" if indexing else b"\x00") + hpack_string(name) + hpack_string(value)


def plain_block(fields):
    return b"".join(literal(n, v) for n, v in fields)


def table_size_update(size):
    return hpack_integer(size, 5, 0x20)


# ---- the connection

class Connection:
    def __init__(self, opts):
        self.opts = opts
        self.timeout = opts.timeout
        raw = socket.create_connection((opts.host, opts.port), timeout=opts.timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.alpn = None
        self.tls_version = None
        self.tls_compression = None
        if opts.tls:
            context = ssl.create_default_context(cafile=opts.ca)
            context.set_alpn_protocols(["h2"])
            self.sock = context.wrap_socket(raw, server_hostname=opts.sni)
            self.alpn = self.sock.selected_alpn_protocol()
            self.tls_version = self.sock.version()
            self.tls_compression = self.sock.compression()
        else:
            self.sock = raw
        self.inbuf = bytearray()
        self.eof = None  # None while open; then "FIN" or "RST"
        self.encoder = hpack.Encoder()
        self.decoder = hpack.Decoder(max_header_list_size=1 << 20)
        self.server_settings = {}
        self.next_stream = 1
        self.auto_window_update = True
        self.log = []  # received frames, for details

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    # -- bytes out

    def send(self, data):
        try:
            self.sock.settimeout(self.timeout)
            self.sock.sendall(data)
        except OSError as e:
            # The server may close while a case is still writing; what it sent before is still read.
            if self.opts.verbose:
                print("  send failed: %r" % e, file=sys.stderr)

    def send_while_reading(self, data, limit):
        """Sends data, taking in whatever arrives meanwhile, until sent, the peer closes, or the time limit."""
        deadline = time.monotonic() + limit
        view = memoryview(data)
        sent = 0
        self.sock.setblocking(False)
        try:
            while sent < len(data) and self.eof is None and time.monotonic() < deadline:
                self._read_available()
                if self.eof is not None:
                    break
                _, writable, _ = select.select([self.sock], [self.sock], [], 0.05)
                if writable:
                    try:
                        sent += self.sock.send(view[sent:sent + 16384])
                    except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
                        pass
                    except OSError:
                        break
        finally:
            self.sock.settimeout(self.timeout)
        return sent

    def send_without_reading(self, data, stall_limit):
        """Sends data without reading anything; stops when the peer takes nothing for stall_limit seconds."""
        view = memoryview(data)
        sent = 0
        last_progress = time.monotonic()
        self.sock.setblocking(False)
        try:
            while sent < len(data) and time.monotonic() - last_progress < stall_limit:
                _, writable, _ = select.select([], [self.sock], [], 0.05)
                if writable:
                    try:
                        sent += self.sock.send(view[sent:sent + 16384])
                        last_progress = time.monotonic()
                    except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
                        pass
                    except OSError:
                        break
        finally:
            self.sock.settimeout(self.timeout)
        return sent

    # -- bytes in

    def _read_available(self):
        while self.eof is None:
            try:
                chunk = self.sock.recv(65536)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                return
            except OSError:
                self.eof = "RST"
                return
            if not chunk:
                self.eof = "FIN"
                return
            self.inbuf += chunk

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout()
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise
        except OSError:
            self.eof = "RST"
            return
        if not chunk:
            self.eof = "FIN"
        else:
            self.inbuf += chunk

    def raw_frame(self, deadline):
        """The next frame as (9-byte header, payload), or None at the end of the connection."""
        while True:
            if len(self.inbuf) >= 9:
                length = int.from_bytes(self.inbuf[0:3], "big")
                if len(self.inbuf) >= 9 + length:
                    header = bytes(self.inbuf[:9])
                    payload = bytes(self.inbuf[9:9 + length])
                    del self.inbuf[:9 + length]
                    return header, payload
            if self.eof is not None:
                return None
            self._fill(deadline)

    def frame(self, deadline):
        """The next frame as a hyperframe object with .raw_flags, or None at the end of the connection."""
        raw = self.raw_frame(deadline)
        if raw is None:
            return None
        header, payload = raw
        try:
            f, _ = Frame.parse_frame_header(memoryview(header))
            f.parse_body(memoryview(payload))
        except HyperframeError as e:
            raise Failure("the server sent a malformed frame (header %s): %s" % (header.hex(), e))
        f.raw_flags = header[4]
        if self.opts.verbose:
            print("  <- %r" % f, file=sys.stderr)
        return f

    def event(self, timeout=None):
        """The next frame, with the server's SETTINGS acknowledged and its PINGs answered, header blocks
        reassembled and decoded (.fields), and DATA credited back to the windows. None at the end."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        f = self.frame(deadline)
        if f is None:
            return None
        self.log.append(f)
        if isinstance(f, SettingsFrame) and "ACK" not in f.flags:
            self.server_settings.update(f.settings)
            if HEADER_TABLE_SIZE in f.settings:
                self.encoder.header_table_size = min(4096, f.settings[HEADER_TABLE_SIZE])
            self.send(settings_frame(ack=True))
        elif isinstance(f, PingFrame) and "ACK" not in f.flags:
            self.send(serialize(PingFrame(0, opaque_data=f.opaque_data, flags=["ACK"])))
        elif isinstance(f, PushPromiseFrame):
            raise Failure("the server sent PUSH_PROMISE although this client set SETTINGS_ENABLE_PUSH to 0")
        elif isinstance(f, HeadersFrame):
            block = f.data
            while "END_HEADERS" not in f.flags:
                c = self.frame(deadline)
                if c is None:
                    raise Closed("the connection ended inside a response header block")
                if not isinstance(c, ContinuationFrame) or c.stream_id != f.stream_id:
                    raise Failure("the server interleaved %r inside a header block" % c)
                block += c.data
                if "END_HEADERS" in c.flags:
                    break
            f.block = block
            try:
                f.fields = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in self.decoder.decode(block, raw=True)]
            except HPACKError as e:
                raise Failure("the server's header block does not decode: %r" % e)
        elif isinstance(f, DataFrame) and self.auto_window_update and f.flow_controlled_length > 0:
            updates = serialize(WindowUpdateFrame(0, window_increment=f.flow_controlled_length))
            if "END_STREAM" not in f.flags:
                updates += serialize(WindowUpdateFrame(f.stream_id, window_increment=f.flow_controlled_length))
            self.send(updates)
        return f

    # -- the preface and SETTINGS

    def handshake(self, settings=((ENABLE_PUSH, 0),)):
        """Client preface and SETTINGS; the server's SETTINGS must come first; waits for the ACK of ours."""
        self.send(PREFACE + settings_frame(settings))
        deadline = time.monotonic() + self.timeout
        try:
            first = self.raw_frame(deadline)
        except socket.timeout:
            raise Failure("no SETTINGS from the server within %.1f s%s" % (
                self.timeout, (", only %r" % bytes(self.inbuf[:60])) if self.inbuf else ""))
        if first is None:
            if self.inbuf:
                raise Failure("the server closed after %r instead of its SETTINGS" % bytes(self.inbuf[:60]))
            raise Failure("the server closed the connection instead of sending its SETTINGS")
        header, payload = first
        if header.startswith(b"HTTP/") or header[3] != SETTINGS:
            raise Failure("the server's first bytes are not a SETTINGS frame: %r" % (header + payload[:60]))
        self.inbuf[0:0] = header + payload
        f = self.event()
        if "ACK" in f.flags:
            raise Failure("the server's first frame is a SETTINGS ACK, not its own SETTINGS")
        self.await_settings_ack()
        return f

    def await_settings_ack(self):
        while True:
            f = self.event()
            if f is None:
                raise Closed("the connection ended before the server acknowledged our SETTINGS")
            if isinstance(f, SettingsFrame) and "ACK" in f.flags:
                return
            if isinstance(f, GoAwayFrame):
                raise Failure("GOAWAY %s before the SETTINGS ACK" % error_name(f.error_code))

    # -- requests

    def new_stream(self):
        stream = self.next_stream
        self.next_stream += 2
        return stream

    def request_fields(self, method="GET", path=None, extra=()):
        opts = self.opts
        return [(":method", method), (":scheme", "https" if opts.tls else "http"),
                (":path", opts.path if path is None else path), (":authority", opts.authority)] + list(extra)

    def headers(self, stream, block, end_stream=True, end_headers=True, **kwargs):
        flags = (["END_STREAM"] if end_stream else []) + (["END_HEADERS"] if end_headers else [])
        return serialize(HeadersFrame(stream, data=block, flags=flags, **kwargs))

    def get(self, path=None, extra=(), end_stream=True, method="GET"):
        """Sends a request encoded with the connection's hpack.Encoder; returns its stream id."""
        stream = self.new_stream()
        self.send(self.headers(stream, self.encoder.encode(self.request_fields(method, path, extra)), end_stream))
        return stream

    def response(self, stream, timeout=None):
        """Reads until the stream ends; returns a Response. Raises Failure on a reset or GOAWAY."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        result = Response(stream)
        while True:
            f = self.event(max(0.0, deadline - time.monotonic()))
            if f is None:
                raise Closed("the connection ended before stream %d ended (%s)" % (stream, result.summary()))
            if isinstance(f, GoAwayFrame):
                raise Failure("GOAWAY %s (last stream %d) while waiting for stream %d: %r"
                              % (error_name(f.error_code), f.last_stream_id, stream, f.additional_data[:100]))
            if f.stream_id != stream:
                continue
            if isinstance(f, RstStreamFrame):
                raise Failure("RST_STREAM %s on stream %d (%s)" % (error_name(f.error_code), stream, result.summary()))
            if isinstance(f, HeadersFrame):
                result.add_headers(f)
            elif isinstance(f, DataFrame):
                result.data_frames += 1
                result.body += f.data
            if "END_STREAM" in getattr(f, "flags", ()):
                return result

    def ping(self, payload=b"conform!"):
        """Sends a PING and waits for its ACK; raises Failure if the connection does not answer."""
        self.send(serialize(PingFrame(0, opaque_data=payload)))
        while True:
            try:
                f = self.event()
            except socket.timeout:
                raise Failure("no PING ACK within %.1f s" % self.timeout)
            if f is None:
                raise Failure("the connection ended instead of answering a PING")
            if isinstance(f, GoAwayFrame):
                raise Failure("GOAWAY %s instead of a PING ACK" % error_name(f.error_code))
            if isinstance(f, PingFrame) and "ACK" in f.flags:
                if f.opaque_data != payload:
                    raise Failure("PING ACK carries %r, sent %r" % (f.opaque_data, payload))
                return f

    def quiet(self, seconds=QUIET_SECONDS, frame_types=(DataFrame, HeadersFrame)):
        """Fails if a frame of the given types (or a reset, or GOAWAY) arrives within the period."""
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                f = self.event(remaining)
            except socket.timeout:
                return
            if f is None:
                raise Failure("the connection ended during a quiet period")
            if isinstance(f, frame_types):
                raise Failure("unexpected %r during a quiet period" % f)
            if isinstance(f, (GoAwayFrame, RstStreamFrame)):
                raise Failure("unexpected %r" % f)

    def await_close(self, seconds):
        """True when the connection ends within the time (frames on the way are read and dropped)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                if self.frame(deadline) is None:
                    return True
            except socket.timeout:
                return False
            except Failure:
                continue


class Response:
    def __init__(self, stream):
        self.stream = stream
        self.status = None
        self.fields = []
        self.body = b""
        self.data_frames = 0

    def add_headers(self, f):
        """Keeps the final response's fields; informational responses and trailers are not judged."""
        status = dict(f.fields).get(":status")
        if self.status is None and not (status or "").startswith("1"):
            self.status = status
            self.fields = f.fields

    def header(self, name):
        values = [v for n, v in self.fields if n == name]
        return values[0] if values else None

    def summary(self):
        return ":status %s, %d body bytes" % (self.status, len(self.body))


# ---- expectations

def expect_connection_error(conn, *codes, allow_silent_close=False):
    """Waits for GOAWAY with one of codes, then for the close of the connection (RFC 9113 5.4.1)."""
    notes = []
    while True:
        try:
            f = conn.event()
        except socket.timeout:
            raise Failure("no GOAWAY %s within %.1f s%s" % (codes_text(codes), conn.timeout, note_text(notes)))
        except Closed as e:
            raise Failure("%s%s" % (e, note_text(notes)))
        if f is None:
            if allow_silent_close:
                return "connection closed (%s)%s" % (conn.eof, note_text(notes))
            raise Failure("the connection was closed (%s) without GOAWAY %s%s"
                          % (conn.eof, codes_text(codes), note_text(notes)))
        if isinstance(f, GoAwayFrame):
            if f.error_code not in codes:
                raise Failure("GOAWAY %s, expected %s (%r)" % (error_name(f.error_code), codes_text(codes),
                                                                 f.additional_data[:100]))
            if not conn.await_close(conn.timeout):
                raise Failure("GOAWAY %s, but the connection stayed open %.1f s after it"
                              % (error_name(f.error_code), conn.timeout))
            return "GOAWAY %s, then closed%s" % (error_name(f.error_code), note_text(notes))
        if isinstance(f, RstStreamFrame):
            notes.append("RST_STREAM %s on stream %d" % (error_name(f.error_code), f.stream_id))


def expect_stream_error(conn, stream, *codes, answered_early_is_inconclusive=False):
    """Waits for RST_STREAM on the stream with one of codes (then the connection must answer a PING), or
    GOAWAY with one of codes. A response that ends the stream without a reset fails.
    answered_early_is_inconclusive: the offending frame followed a request the server could answer at
    once; a server that did, and reset the stream with NO_ERROR to stop the upload (RFC 9113 8.1), must
    ignore what comes after on that stream (5.1), so nothing can be concluded."""
    notes = []
    ended = False
    while True:
        try:
            f = conn.event()
        except socket.timeout:
            if ended:
                raise Failure("answered%s and ended stream %d without RST_STREAM %s"
                              % (note_text(notes), stream, codes_text(codes)))
            raise Failure("no RST_STREAM or GOAWAY %s within %.1f s%s" % (codes_text(codes), conn.timeout, note_text(notes)))
        except Closed as e:
            raise Failure("%s%s" % (e, note_text(notes)))
        if f is None:
            raise Failure("the connection was closed (%s) without RST_STREAM or GOAWAY %s%s"
                          % (conn.eof, codes_text(codes), note_text(notes)))
        if isinstance(f, GoAwayFrame):
            if f.error_code not in codes:
                raise Failure("GOAWAY %s, expected %s%s" % (error_name(f.error_code), codes_text(codes), note_text(notes)))
            if not conn.await_close(conn.timeout):
                raise Failure("GOAWAY %s, but the connection stayed open" % error_name(f.error_code))
            return "GOAWAY %s, then closed (a connection error)%s" % (error_name(f.error_code), note_text(notes))
        if f.stream_id != stream:
            continue
        if isinstance(f, RstStreamFrame):
            if answered_early_is_inconclusive and ended and f.error_code == NO_ERROR:
                raise Skip("inconclusive: the server answered stream %d%s and reset it with NO_ERROR before "
                           "reading the frame under test" % (stream, note_text(notes)))
            if f.error_code not in codes:
                raise Failure("RST_STREAM %s, expected %s%s" % (error_name(f.error_code), codes_text(codes), note_text(notes)))
            conn.ping(b"after-rs")
            return "RST_STREAM %s%s, connection still answers PING" % (error_name(f.error_code), note_text(notes))
        if isinstance(f, HeadersFrame):
            notes.append(":status %s" % dict(f.fields).get(":status"))
        if "END_STREAM" in getattr(f, "flags", ()):
            ended = True


def note_text(notes):
    return " (after %s)" % ", ".join(notes) if notes else ""


def expect_served(conn, stream, what="the request"):
    response = conn.response(stream)
    if response.status != "200":
        raise Failure("%s got %s" % (what, response.summary()))
    return response


# ---- the cases

CASES = []


class Case:
    def __init__(self, section, name, run, tags):
        self.section, self.name, self.run, self.tags = section, name, run, tags

    @property
    def title(self):
        return "%s %s" % (self.section, self.name)


def case(section, name, *tags):
    def register(run):
        CASES.append(Case(section, name, run, set(tags)))
        return run
    return register


class Suite:
    """What a case can use: the options, fresh connections, and the baseline response of --path."""

    def __init__(self, opts):
        self.opts = opts
        self.baseline = None
        self.connections = []

    def connect(self, settings=((ENABLE_PUSH, 0),), handshake=True):
        conn = Connection(self.opts)
        self.connections.append(conn)
        if self.opts.tls and conn.alpn != "h2":
            raise Failure("ALPN selected %r, not h2" % conn.alpn)
        if handshake:
            conn.handshake(settings)
        return conn

    def close_all(self):
        for conn in self.connections:
            conn.close()
        self.connections = []

    def body(self):
        return self.baseline.body

    def max_frame_size(self, conn):
        return conn.server_settings.get(MAX_FRAME_SIZE, DEFAULT_FRAME_SIZE)

    def server_window(self, conn):
        return conn.server_settings.get(INITIAL_WINDOW_SIZE, 65535)


def pseudo(conn, method="GET", path=None, scheme=None, authority=None):
    fields = conn.request_fields(method, path)
    if scheme is not None:
        fields[1] = (":scheme", scheme)
    if authority is not None:
        fields[3] = (":authority", authority)
    return fields


def require_window(t, conn, size):
    """DATA that the server's stream window must admit, so that no flow-control error hides the one tested."""
    if t.server_window(conn) < size:
        raise Skip("the server's initial stream window (%d) admits no %d-byte DATA frame" % (t.server_window(conn), size))


def connection_error_case(section, name, build, *codes, tags=(), settings=((ENABLE_PUSH, 0),)):
    """A case that sends build(conn) after the handshake and expects a connection error."""
    def run(t):
        conn = t.connect(settings)
        conn.send(build(conn))
        return expect_connection_error(conn, *codes)
    case(section, name, *tags)(run)


def stream_error_case(section, name, build, *codes, tags=()):
    """A case that sends build(conn, stream) after the handshake and expects a stream error on stream."""
    def run(t):
        conn = t.connect()
        stream = conn.new_stream()
        conn.send(build(conn, stream))
        return expect_stream_error(conn, stream, *codes)
    case(section, name, *tags)(run)


def request_error_case(section, name, fields_of, *codes):
    """A malformed request (RFC 9113 8.1.1): its fields, hand-encoded, must get a stream error."""
    stream_error_case(section, name,
                      lambda conn, stream: conn.headers(stream, plain_block(fields_of(conn))), *codes)


# 3.4 connection preface

@case("3.4", "server-preface-is-settings")
def _(t):
    conn = t.connect(handshake=False)
    f = conn.handshake()
    problems = []
    s = f.settings
    if s.get(ENABLE_PUSH, 0) != 0:
        problems.append("SETTINGS_ENABLE_PUSH %d (a server MUST NOT send 1, 6.5.2)" % s[ENABLE_PUSH])
    if not DEFAULT_FRAME_SIZE <= s.get(MAX_FRAME_SIZE, DEFAULT_FRAME_SIZE) <= MAX_FRAME_LENGTH:
        problems.append("SETTINGS_MAX_FRAME_SIZE %d out of range" % s[MAX_FRAME_SIZE])
    if s.get(INITIAL_WINDOW_SIZE, 0) > MAX_WINDOW:
        problems.append("SETTINGS_INITIAL_WINDOW_SIZE %d above 2^31-1" % s[INITIAL_WINDOW_SIZE])
    if problems:
        raise Failure("; ".join(problems))
    return "SETTINGS %s, and our SETTINGS acknowledged" % {("0x%x" % k): v for k, v in s.items()}


@case("3.4", "invalid-preface")
def _(t):
    conn = t.connect(handshake=False)
    conn.send(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" + settings_frame())
    return expect_preface_rejected(conn)


@case("3.4", "preface-not-followed-by-settings")
def _(t):
    conn = t.connect(handshake=False)
    conn.send(PREFACE + serialize(PingFrame(0, opaque_data=b"12345678")))
    return expect_preface_rejected(conn)


def expect_preface_rejected(conn):
    """3.4: an invalid preface is a connection error PROTOCOL_ERROR, and the GOAWAY MAY be omitted. The
    server may already have sent its own preface (SETTINGS, WINDOW_UPDATE); it must then close, without
    acknowledging anything of ours as if HTTP/2 had started."""
    deadline = time.monotonic() + conn.timeout
    while True:
        try:
            raw = conn.raw_frame(deadline)
        except socket.timeout:
            raise Failure("the connection stayed open %.1f s after an invalid preface" % conn.timeout)
        if raw is None:
            if conn.inbuf:
                return "closed after %r" % bytes(conn.inbuf[:40])
            return "connection closed (%s)" % conn.eof
        header, payload = raw
        if header.startswith(b"HTTP/"):
            conn.inbuf.clear()
            if conn.await_close(conn.timeout):
                return "closed after an HTTP/1 answer %r" % (header + payload)[:40]
            raise Failure("answered %r and stayed open" % (header + payload)[:40])
        frame_type, flags = header[3], header[4]
        if frame_type == GOAWAY:
            code = int.from_bytes(payload[4:8], "big")
            if code != PROTOCOL_ERROR:
                raise Failure("GOAWAY %s, expected PROTOCOL_ERROR" % error_name(code))
            if not conn.await_close(conn.timeout):
                raise Failure("GOAWAY PROTOCOL_ERROR, but the connection stayed open")
            return "GOAWAY PROTOCOL_ERROR, then closed"
        if frame_type in (SETTINGS, PING) and flags & FLAG_ACK:
            raise Failure("the server acknowledged our %s after an invalid preface"
                          % ("SETTINGS" if frame_type == SETTINGS else "PING"))
        if frame_type not in (SETTINGS, WINDOW_UPDATE):
            raise Failure("the server went on with frame type %d after an invalid preface" % frame_type)


# 4.1 frame format

@case("4.1", "unknown-frame-type-ignored")
def _(t):
    conn = t.connect()
    conn.send(frame(0xFA, 0, 0, b"unknown extension payload"))
    conn.ping()
    return "ignored; PING answered"


@case("4.1", "unknown-flags-ignored")
def _(t):
    conn = t.connect()
    conn.send(frame(PING, 0xFE, 0, b"flagging"))
    ack = conn.ping(b"flagging")
    if ack.raw_flags != FLAG_ACK:
        raise Failure("the PING ACK carries flags 0x%02x: undefined flags MUST be left unset" % ack.raw_flags)
    stream = conn.new_stream()
    conn.send(frame(HEADERS, FLAG_END_STREAM | FLAG_END_HEADERS | 0x02 | 0x10 | 0x40 | 0x80, stream,
                    conn.encoder.encode(conn.request_fields())))
    expect_served(conn, stream, "HEADERS with undefined flags")
    return "PING and HEADERS with undefined flags handled as without them"


@case("4.1", "reserved-bit-ignored")
def _(t):
    conn = t.connect()
    conn.send(frame(PING, 0, 0x80000000, b"reserved"))
    conn.ping(b"reserved")
    stream = conn.new_stream()
    conn.send(frame(HEADERS, FLAG_END_STREAM | FLAG_END_HEADERS, stream | 0x80000000,
                    conn.encoder.encode(conn.request_fields())))
    expect_served(conn, stream, "HEADERS with the reserved bit set")
    conn.send(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 0x80000001)))
    conn.ping(b"reserv-2")
    return "stream identifier and window increment read without the R bit"


# 4.2 frame size

@case("4.2", "data-of-16384-octets-accepted")
def _(t):
    # 2^14 is the smallest SETTINGS_MAX_FRAME_SIZE there can be, so every server must take such a frame.
    conn = t.connect()
    size = DEFAULT_FRAME_SIZE
    require_window(t, conn, size)
    stream = conn.new_stream()
    conn.send(conn.headers(stream, conn.encoder.encode(pseudo(conn, "POST") + [("content-length", str(size))]),
                           end_stream=False)
              + serialize(DataFrame(stream, data=b"x" * size, flags=["END_STREAM"])))
    response = conn.response(stream)
    return "a DATA frame of %d octets was processed (%s)" % (size, response.summary())


def oversized_frame_length(t, conn):
    size = t.max_frame_size(conn) + 1
    if size > MAX_FRAME_LENGTH:
        raise Skip("the server's SETTINGS_MAX_FRAME_SIZE %d is the largest a frame header can express"
                   % t.max_frame_size(conn))
    return size


@case("4.2", "data-larger-than-max-frame-size")
def _(t):
    conn = t.connect()
    size = oversized_frame_length(t, conn)
    stream = conn.new_stream()
    conn.send(conn.headers(stream, conn.encoder.encode(pseudo(conn, "POST")), end_stream=False)
              + frame(DATA, FLAG_END_STREAM, stream, b"x" * size))
    return expect_stream_error(conn, stream, FRAME_SIZE_ERROR)


@case("4.2", "headers-larger-than-max-frame-size")
def _(t):
    conn = t.connect()
    size = oversized_frame_length(t, conn)
    prefix = plain_block(conn.request_fields())
    filler = size - len(prefix) - 10
    while len(prefix + literal("x-pad", "p" * filler)) < size:
        filler += 1
    block = prefix + literal("x-pad", "p" * filler)
    if len(block) != size:
        raise Skip("no filler makes a block of exactly %d bytes" % size)
    conn.send(frame(HEADERS, FLAG_END_STREAM | FLAG_END_HEADERS, conn.new_stream(), block))
    return expect_connection_error(conn, FRAME_SIZE_ERROR)


# 4.3 field blocks

@case("4.3", "header-block-split-over-continuation")
def _(t):
    conn = t.connect()
    stream = conn.new_stream()
    block = plain_block(conn.request_fields() + [("x-filler", "f" * 40)])
    third = len(block) // 3
    conn.send(frame(HEADERS, FLAG_END_STREAM, stream, block[:third])
              + frame(CONTINUATION, 0, stream, block[third:2 * third])
              + frame(CONTINUATION, FLAG_END_HEADERS, stream, block[2 * third:]))
    expect_served(conn, stream)
    return "HEADERS + 2 CONTINUATION served"


@case("4.3", "invalid-header-block")
def _(t):
    conn = t.connect()
    conn.send(frame(HEADERS, FLAG_END_STREAM | FLAG_END_HEADERS, conn.new_stream(), b"\x82\x87\x84\x41\x7f"))
    return expect_connection_error(conn, COMPRESSION_ERROR)


connection_error_case("4.3", "priority-inside-header-block",
                      lambda conn: frame(HEADERS, FLAG_END_STREAM, 1, plain_block(conn.request_fields()))
                      + serialize(PriorityFrame(1, depends_on=0, stream_weight=15))
                      + frame(CONTINUATION, FLAG_END_HEADERS, 1, b""), PROTOCOL_ERROR)

connection_error_case("4.3", "headers-of-another-stream-inside-header-block",
                      lambda conn: frame(HEADERS, FLAG_END_STREAM, 1, plain_block(conn.request_fields()))
                      + frame(HEADERS, FLAG_END_STREAM | FLAG_END_HEADERS, 3, plain_block(conn.request_fields())),
                      PROTOCOL_ERROR)


# 5.1 stream states

connection_error_case("5.1", "idle-data", lambda conn: frame(DATA, FLAG_END_STREAM, 1, b""), PROTOCOL_ERROR)
connection_error_case("5.1", "idle-rst-stream", lambda conn: serialize(RstStreamFrame(1, error_code=CANCEL)),
                      PROTOCOL_ERROR)
connection_error_case("5.1", "idle-window-update", lambda conn: serialize(WindowUpdateFrame(1, window_increment=100)),
                      PROTOCOL_ERROR)
connection_error_case("5.1", "idle-continuation",
                      lambda conn: frame(CONTINUATION, FLAG_END_HEADERS, 1, plain_block(conn.request_fields())),
                      PROTOCOL_ERROR)


@case("5.1", "priority-on-idle-stream-allowed")
def _(t):
    conn = t.connect()
    conn.send(serialize(PriorityFrame(3, depends_on=0, stream_weight=200)))
    conn.ping()
    conn.next_stream = 3
    expect_served(conn, conn.get(), "a request on the stream named by the PRIORITY frame")
    return "PRIORITY on idle stream 3 accepted, then stream 3 served"


def held_stream(t, conn):
    """A request the server cannot finish: our stream window is 0, so its body waits (needs a body).
    Returns once the response headers came, or after a second without them (they are not required)."""
    if not t.body():
        raise Skip("--path has an empty body")
    stream = conn.get()
    deadline = time.monotonic() + 1.0
    while True:
        try:
            f = conn.event(max(0.0, deadline - time.monotonic()))
        except socket.timeout:
            return stream
        if f is None:
            raise Failure("the connection ended before the response headers of stream %d" % stream)
        if isinstance(f, (RstStreamFrame, GoAwayFrame)) and f.stream_id in (0, stream):
            raise Failure("%r before the response headers" % f)
        if isinstance(f, DataFrame) and f.stream_id == stream and f.data:
            raise Failure("DATA sent with a stream window of 0")
        if isinstance(f, HeadersFrame) and f.stream_id == stream:
            if "END_STREAM" in f.flags:
                raise Failure("the response ended with its headers; --path needs a body")
            return stream


ZERO_WINDOW = ((ENABLE_PUSH, 0), (INITIAL_WINDOW_SIZE, 0))


@case("5.1", "half-closed-remote-data")
def _(t):
    conn = t.connect(ZERO_WINDOW)
    stream = held_stream(t, conn)
    conn.send(frame(DATA, FLAG_END_STREAM, stream, b""))
    return expect_stream_error(conn, stream, STREAM_CLOSED)


@case("5.1", "half-closed-remote-headers")
def _(t):
    conn = t.connect(ZERO_WINDOW)
    stream = held_stream(t, conn)
    conn.send(frame(HEADERS, FLAG_END_STREAM | FLAG_END_HEADERS, stream, plain_block([("x-trailer", "late")])))
    return expect_stream_error(conn, stream, STREAM_CLOSED)


@case("5.1", "closed-after-rst-data")
def _(t):
    conn = t.connect(ZERO_WINDOW)
    stream = held_stream(t, conn)
    conn.send(serialize(RstStreamFrame(stream, error_code=CANCEL)))
    conn.ping()
    conn.send(frame(DATA, FLAG_END_STREAM, stream, b""))
    return expect_stream_error(conn, stream, STREAM_CLOSED)


@case("5.1", "closed-data")
def _(t):
    conn = t.connect()
    stream = conn.get()
    expect_served(conn, stream)
    conn.send(frame(DATA, FLAG_END_STREAM, stream, b""))
    return expect_stream_error(conn, stream, STREAM_CLOSED)


@case("5.1", "closed-window-update-and-priority-allowed")
def _(t):
    conn = t.connect()
    stream = conn.get()
    expect_served(conn, stream)
    conn.send(serialize(WindowUpdateFrame(stream, window_increment=1000))
              + serialize(PriorityFrame(stream, depends_on=0, stream_weight=10)))
    conn.ping()
    return "WINDOW_UPDATE and PRIORITY on a stream the server ended are no error (6.9, 5.1)"


connection_error_case("5.1.1", "even-stream-id",
                      lambda conn: frame(HEADERS, FLAG_END_STREAM | FLAG_END_HEADERS, 2,
                                         plain_block(conn.request_fields())), PROTOCOL_ERROR)


@case("5.1.1", "decreasing-stream-id")
def _(t):
    conn = t.connect()
    conn.next_stream = 5
    expect_served(conn, conn.get())
    conn.send(frame(HEADERS, FLAG_END_STREAM | FLAG_END_HEADERS, 3, plain_block(conn.request_fields())))
    return expect_connection_error(conn, PROTOCOL_ERROR)


# 5.1.2 concurrency

@case("5.1.2", "advertised-max-concurrent-streams", "policy")
def _(t):
    conn = t.connect()
    expected = t.opts.expect_max_concurrent_streams
    got = conn.server_settings.get(MAX_CONCURRENT_STREAMS)
    if expected is None:
        raise Skip("no --expect-max-concurrent-streams given (the server advertises %s)" % got)
    if got != expected:
        raise Failure("SETTINGS_MAX_CONCURRENT_STREAMS is %s, expected %d" % (got, expected))
    return "SETTINGS_MAX_CONCURRENT_STREAMS %d" % got


@case("5.1.2", "exceeding-max-concurrent-streams")
def _(t):
    conn = t.connect(ZERO_WINDOW)
    limit = conn.server_settings.get(MAX_CONCURRENT_STREAMS)
    if limit is None:
        raise Skip("the server advertises no SETTINGS_MAX_CONCURRENT_STREAMS")
    if limit > 1000:
        raise Skip("SETTINGS_MAX_CONCURRENT_STREAMS %d is too large to exceed here" % limit)
    if not t.body():
        raise Skip("--path has an empty body")
    batch = b""
    streams = []
    for _ in range(limit + 1):
        stream = conn.new_stream()
        streams.append(stream)
        batch += conn.headers(stream, conn.encoder.encode(conn.request_fields()))
    conn.send(batch)
    detail = expect_stream_error(conn, streams[-1], PROTOCOL_ERROR, REFUSED_STREAM)
    refused = [f.stream_id for f in conn.log if isinstance(f, RstStreamFrame) and f.stream_id != streams[-1]]
    if refused:
        raise Failure("streams within the limit were reset too: %s" % refused[:10])
    return "stream %d of %d: %s" % (limit + 1, limit, detail)


# 5.4 error handling

@case("5.4.1", "goaway-names-last-processed-stream")
def _(t):
    conn = t.connect()
    stream = conn.get()
    expect_served(conn, stream)
    conn.send(frame(PING, 0, 0, b"1234567"))
    while True:
        f = conn.event()
        if f is None:
            raise Failure("closed without GOAWAY")
        if isinstance(f, GoAwayFrame):
            if f.error_code != FRAME_SIZE_ERROR:
                raise Failure("GOAWAY %s, expected FRAME_SIZE_ERROR" % error_name(f.error_code))
            if f.last_stream_id != stream:
                raise Failure("GOAWAY last stream %d, but stream %d was processed" % (f.last_stream_id, stream))
            if not conn.await_close(conn.timeout):
                raise Failure("the connection stayed open after GOAWAY")
            return "GOAWAY FRAME_SIZE_ERROR, last stream %d, then closed" % stream


@case("5.4.2", "stream-error-leaves-connection-usable", "policy")
def _(t):
    # The RFC lets a server escalate any stream error to a connection error; this server does not.
    conn = t.connect()
    bad = conn.new_stream()
    conn.send(conn.headers(bad, plain_block(pseudo(conn) + [("x-bad", "a\x00b")])))
    detail = expect_stream_error(conn, bad, PROTOCOL_ERROR)
    if not detail.startswith("RST_STREAM"):
        raise Failure("a malformed request ended the connection: %s" % detail)
    expect_served(conn, conn.get(), "the next request")
    return detail + "; the next stream is served"


# 5.5 extensions

@case("5.5", "unknown-frame-on-open-stream-ignored")
def _(t):
    conn = t.connect()
    stream = conn.new_stream()
    conn.send(conn.headers(stream, conn.encoder.encode(conn.request_fields()), end_stream=False)
              + frame(0xFB, 0x3, stream, b"extension")
              + serialize(DataFrame(stream, flags=["END_STREAM"])))
    expect_served(conn, stream)
    return "unknown frame type on a stream ignored"


connection_error_case("5.5", "unknown-frame-inside-header-block",
                      lambda conn: frame(HEADERS, FLAG_END_STREAM, 1, plain_block(conn.request_fields()))
                      + frame(0xFA, 0, 1, b"ext") + frame(CONTINUATION, FLAG_END_HEADERS, 1, b""), PROTOCOL_ERROR)


@case("5.5", "unknown-setting-ignored")
def _(t):
    conn = t.connect(((ENABLE_PUSH, 0), (0xF0F0, 12345), (0x99, 0)))
    expect_served(conn, conn.get())
    return "SETTINGS with unknown identifiers acknowledged"


# 6.1 DATA

connection_error_case("6.1", "data-on-stream-0", lambda conn: frame(DATA, 0, 0, b""), PROTOCOL_ERROR)


@case("6.1", "data-padding-too-long")
def _(t):
    conn = t.connect()
    require_window(t, conn, 6)
    stream = conn.new_stream()
    conn.send(conn.headers(stream, conn.encoder.encode(pseudo(conn, "POST")), end_stream=False)
              + frame(DATA, FLAG_END_STREAM | FLAG_PADDED, stream, bytes([6]) + b"body\x00"))
    return expect_connection_error(conn, PROTOCOL_ERROR)


@case("6.1", "padded-empty-data-ends-request")
def _(t):
    conn = t.connect()
    require_window(t, conn, 5)
    stream = conn.new_stream()
    conn.send(conn.headers(stream, conn.encoder.encode(conn.request_fields()), end_stream=False)
              + frame(DATA, FLAG_END_STREAM | FLAG_PADDED, stream, bytes([4]) + b"\x00" * 4))
    response = expect_served(conn, stream)
    check_body(t, response)
    return "served after a DATA frame of padding only"


# 6.2 HEADERS

connection_error_case("6.2", "headers-on-stream-0",
                      lambda conn: frame(HEADERS, FLAG_END_STREAM | FLAG_END_HEADERS, 0,
                                         plain_block(conn.request_fields())), PROTOCOL_ERROR)


@case("6.2", "headers-padding-too-long")
def _(t):
    conn = t.connect()
    block = plain_block(conn.request_fields())
    conn.send(frame(HEADERS, FLAG_END_STREAM | FLAG_END_HEADERS | FLAG_PADDED, 1, bytes([len(block) + 1]) + block))
    return expect_connection_error(conn, PROTOCOL_ERROR)


@case("6.2", "padded-and-prioritised-headers-served")
def _(t):
    conn = t.connect()
    stream = conn.new_stream()
    conn.send(serialize(HeadersFrame(stream, data=conn.encoder.encode(conn.request_fields()), pad_length=17,
                                     depends_on=0, stream_weight=31, exclusive=True,
                                     flags=["END_STREAM", "END_HEADERS", "PADDED", "PRIORITY"])))
    check_body(t, expect_served(conn, stream))
    return "HEADERS with padding and priority served"


@case("6.2", "headers-self-dependency")
def _(t):
    conn = t.connect()
    stream = conn.new_stream()
    conn.send(serialize(HeadersFrame(stream, data=conn.encoder.encode(conn.request_fields()), depends_on=stream,
                                     stream_weight=15, flags=["END_STREAM", "END_HEADERS", "PRIORITY"])))
    return expect_stream_error(conn, stream, PROTOCOL_ERROR)


# 6.3 PRIORITY

connection_error_case("6.3", "priority-on-stream-0",
                      lambda conn: frame(PRIORITY, 0, 0, struct.pack(">IB", 1, 15)), PROTOCOL_ERROR)
stream_error_case("6.3", "priority-wrong-length",
                  lambda conn, stream: frame(PRIORITY, 0, stream, struct.pack(">IB", 0, 15) + b"\x00"), FRAME_SIZE_ERROR)
stream_error_case("6.3", "priority-self-dependency",
                  lambda conn, stream: serialize(PriorityFrame(stream, depends_on=stream, stream_weight=15)),
                  PROTOCOL_ERROR)


# 6.4 RST_STREAM

connection_error_case("6.4", "rst-stream-on-stream-0", lambda conn: frame(RST_STREAM, 0, 0, struct.pack(">I", CANCEL)),
                      PROTOCOL_ERROR)


@case("6.4", "rst-stream-wrong-length")
def _(t):
    conn = t.connect(ZERO_WINDOW)
    stream = held_stream(t, conn)
    conn.send(frame(RST_STREAM, 0, stream, struct.pack(">I", CANCEL) + b"\x00"))
    return expect_connection_error(conn, FRAME_SIZE_ERROR)


# 6.5 SETTINGS

connection_error_case("6.5", "settings-ack-with-payload",
                      lambda conn: frame(SETTINGS, FLAG_ACK, 0, settings_payload([(ENABLE_PUSH, 0)])), FRAME_SIZE_ERROR)
connection_error_case("6.5", "settings-on-stream-1", lambda conn: frame(SETTINGS, 0, 1, settings_payload([(ENABLE_PUSH, 0)])),
                      PROTOCOL_ERROR)
connection_error_case("6.5", "settings-length-not-multiple-of-6", lambda conn: frame(SETTINGS, 0, 0, b"\x00\x02\x00"),
                      FRAME_SIZE_ERROR)
connection_error_case("6.5.2", "enable-push-2", lambda conn: settings_frame([(ENABLE_PUSH, 2)]), PROTOCOL_ERROR)
connection_error_case("6.5.2", "initial-window-size-above-max", lambda conn: settings_frame([(INITIAL_WINDOW_SIZE, 2**31)]),
                      FLOW_CONTROL_ERROR)
connection_error_case("6.5.2", "max-frame-size-below-16384", lambda conn: settings_frame([(MAX_FRAME_SIZE, 16383)]),
                      PROTOCOL_ERROR)
connection_error_case("6.5.2", "max-frame-size-above-2^24-1", lambda conn: settings_frame([(MAX_FRAME_SIZE, 2**24)]),
                      PROTOCOL_ERROR)


@case("6.5.3", "settings-acknowledged")
def _(t):
    conn = t.connect()
    conn.send(settings_frame([(MAX_FRAME_SIZE, MAX_FRAME_LENGTH), (MAX_HEADER_LIST_SIZE, 1 << 20)]))
    conn.await_settings_ack()
    conn.send(settings_frame())
    conn.await_settings_ack()
    return "a second and an empty SETTINGS acknowledged"


@case("6.5.3", "settings-values-applied-in-order")
def _(t):
    if len(t.body()) < 2:
        raise Skip("--path needs a body of at least 2 bytes")
    conn = t.connect(((ENABLE_PUSH, 0), (INITIAL_WINDOW_SIZE, 100), (INITIAL_WINDOW_SIZE, 1)))
    conn.auto_window_update = False
    stream = conn.get()
    got = receive_data(conn, stream, 1)
    conn.quiet(frame_types=(DataFrame,))
    return "INITIAL_WINDOW_SIZE 100 then 1 in one frame: %d byte sent, then the server waits" % got


@case("6.5.2", "header-table-size-0-honoured")
def _(t):
    conn = t.connect(((ENABLE_PUSH, 0), (HEADER_TABLE_SIZE, 0)))
    conn.decoder.max_allowed_table_size = 0
    conn.decoder.header_table_size = 0
    first = conn.response(conn.get())
    second = conn.response(conn.get())
    blocks = [f.block for f in conn.log if isinstance(f, HeadersFrame)]
    if not blocks or not blocks[0] or blocks[0][0] & 0xE0 != 0x20:
        raise Failure("the first response block does not start with a dynamic table size update (RFC 7541 4.2): %s"
                      % (blocks[0][:8].hex() if blocks else "none"))
    return "first response block begins with a table size update; responses %s and %s decode without a dynamic table" % (
        first.status, second.status)


def receive_data(conn, stream, expected):
    """Reads DATA of the stream until exactly expected bytes came; more is a flow-control violation."""
    got = 0
    while got < expected:
        f = conn.event()
        if f is None:
            raise Failure("the connection ended after %d of %d bytes" % (got, expected))
        if isinstance(f, (GoAwayFrame, RstStreamFrame)) and f.stream_id in (0, stream):
            raise Failure("%r after %d bytes" % (f, got))
        if isinstance(f, DataFrame) and f.stream_id == stream:
            got += f.flow_controlled_length
            if got > expected:
                raise Failure("the server sent %d bytes into a window of %d" % (got, expected))
    return got


# 6.6 PUSH_PROMISE

connection_error_case("6.6", "push-promise-from-client",
                      lambda conn: conn.headers(1, conn.encoder.encode(conn.request_fields()), end_stream=False)
                      + frame(PUSH_PROMISE, FLAG_END_HEADERS, 1, struct.pack(">I", 2) + plain_block(conn.request_fields())),
                      PROTOCOL_ERROR)


# 6.7 PING

@case("6.7", "ping-echoed")
def _(t):
    conn = t.connect()
    conn.ping(bytes(range(8)))
    return "PING ACK with the same 8 octets"


@case("6.7", "ping-ack-not-answered")
def _(t):
    conn = t.connect()
    conn.send(serialize(PingFrame(0, opaque_data=b"an-ack!!", flags=["ACK"])))
    conn.ping(b"not-ack!")
    acks = [f.opaque_data for f in conn.log if isinstance(f, PingFrame) and "ACK" in f.flags]
    if acks != [b"not-ack!"]:
        raise Failure("PING ACKs received: %r" % acks)
    return "our PING ACK drew no answer"


connection_error_case("6.7", "ping-on-stream-1", lambda conn: frame(PING, 0, 1, b"12345678"), PROTOCOL_ERROR)
connection_error_case("6.7", "ping-length-7", lambda conn: frame(PING, 0, 0, b"1234567"), FRAME_SIZE_ERROR)
connection_error_case("6.7", "ping-length-9", lambda conn: frame(PING, 0, 0, b"123456789"), FRAME_SIZE_ERROR)


# 6.8 GOAWAY

connection_error_case("6.8", "goaway-on-stream-1",
                      lambda conn: frame(GOAWAY, 0, 1, struct.pack(">II", 0, NO_ERROR)), PROTOCOL_ERROR)


# 6.9 WINDOW_UPDATE

connection_error_case("6.9", "zero-increment-on-connection", lambda conn: frame(WINDOW_UPDATE, 0, 0, b"\x00" * 4),
                      PROTOCOL_ERROR)


@case("6.9", "zero-increment-on-stream")
def _(t):
    conn = t.connect(ZERO_WINDOW)
    stream = held_stream(t, conn)
    conn.send(frame(WINDOW_UPDATE, 0, stream, b"\x00" * 4))
    return expect_stream_error(conn, stream, PROTOCOL_ERROR)


connection_error_case("6.9", "window-update-length-3", lambda conn: frame(WINDOW_UPDATE, 0, 0, b"\x00\x00\x01"),
                      FRAME_SIZE_ERROR)


@case("6.9.1", "connection-window-overflow")
def _(t):
    conn = t.connect()
    conn.send(serialize(WindowUpdateFrame(0, window_increment=MAX_WINDOW)))
    return expect_connection_error(conn, FLOW_CONTROL_ERROR)


@case("6.9.1", "connection-window-respected-and-stream-window-overflow")
def _(t):
    # Stream windows of 2^31-1 and a connection window of 65,535 that is never credited: enough GETs of
    # --path to need more than the connection window leave the last streams open, held by the connection
    # window alone, so an increment on one of them overflows it whatever the server had sent on it.
    body = len(t.body())
    count = 65535 // body + 2 if body else 0
    if not body or count > 100:
        raise Skip("--path is too small to fill the connection window with at most 100 streams")
    conn = t.connect(((ENABLE_PUSH, 0), (INITIAL_WINDOW_SIZE, MAX_WINDOW)))
    limit = conn.server_settings.get(MAX_CONCURRENT_STREAMS, count)
    if count > limit:
        raise Skip("%d streams needed, the server allows %d" % (count, limit))
    conn.auto_window_update = False
    streams = [conn.get() for _ in range(count)]
    received = 0
    ended = set()
    while received < 65535:
        f = conn.event()
        if f is None:
            raise Failure("the connection ended after %d bytes" % received)
        if isinstance(f, (GoAwayFrame, RstStreamFrame)):
            raise Failure("%r after %d bytes" % (f, received))
        if isinstance(f, DataFrame):
            received += f.flow_controlled_length
            if received > 65535:
                raise Failure("the server sent %d bytes into a connection window of 65535" % received)
        if "END_STREAM" in getattr(f, "flags", ()):
            ended.add(f.stream_id)
    held = [s for s in streams if s not in ended]
    if not held:
        raise Failure("every stream ended within the connection window")
    conn.quiet(frame_types=(DataFrame,))
    conn.send(serialize(WindowUpdateFrame(held[-1], window_increment=MAX_WINDOW)))
    detail = expect_stream_error(conn, held[-1], FLOW_CONTROL_ERROR)
    return "the server stopped at the connection window of 65535; stream %d: %s" % (held[-1], detail)


# 6.9.2 initial window size

@case("6.9.2", "download-paced-by-small-window")
def _(t):
    body = t.body()
    if len(body) < 3:
        raise Skip("--path needs a body of at least 3 bytes")
    window = max(1, min(16384, len(body) // 8))
    conn = t.connect(((ENABLE_PUSH, 0), (INITIAL_WINDOW_SIZE, window)))
    conn.auto_window_update = False
    stream = conn.get()
    received = b""
    allowed = window
    rounds = 0
    while True:
        f = conn.event()
        if f is None:
            raise Failure("the connection ended after %d bytes" % len(received))
        if isinstance(f, (GoAwayFrame, RstStreamFrame)) and f.stream_id in (0, stream):
            raise Failure("%r after %d bytes" % (f, len(received)))
        if not isinstance(f, DataFrame) or f.stream_id != stream:
            continue
        received += f.data
        if len(received) > allowed:
            raise Failure("%d bytes sent into a window of %d" % (len(received), allowed))
        if "END_STREAM" in f.flags:
            break
        if len(received) == allowed:
            if rounds == 0:
                conn.quiet(frame_types=(DataFrame,))
            rounds += 1
            conn.send(serialize(WindowUpdateFrame(stream, window_increment=window))
                      + serialize(WindowUpdateFrame(0, window_increment=window)))
            allowed += window
    if received != body:
        raise Failure("body differs from the baseline: %d bytes, expected %d" % (len(received), len(body)))
    return "%d bytes in %d windows of %d, the server waiting for each WINDOW_UPDATE" % (len(received), rounds + 1, window)


@case("6.9.2", "initial-window-raised-on-open-stream")
def _(t):
    conn = t.connect(ZERO_WINDOW)
    conn.auto_window_update = False
    stream = held_stream(t, conn)
    conn.quiet(frame_types=(DataFrame,))
    conn.send(settings_frame([(INITIAL_WINDOW_SIZE, 1)]))
    receive_data(conn, stream, 1)
    conn.quiet(frame_types=(DataFrame,))
    return "window 0 held the body; SETTINGS_INITIAL_WINDOW_SIZE 1 released exactly 1 byte"


@case("6.9.2", "negative-window-after-settings-decrease")
def _(t):
    if len(t.body()) < 7:
        raise Skip("--path needs a body of at least 7 bytes")
    conn = t.connect(((ENABLE_PUSH, 0), (INITIAL_WINDOW_SIZE, 5)))
    conn.auto_window_update = False
    stream = conn.get()
    receive_data(conn, stream, 5)
    conn.send(settings_frame([(INITIAL_WINDOW_SIZE, 3)]))
    conn.await_settings_ack()
    conn.send(serialize(WindowUpdateFrame(stream, window_increment=2)))
    conn.quiet(frame_types=(DataFrame,))
    conn.send(serialize(WindowUpdateFrame(stream, window_increment=1)))
    receive_data(conn, stream, 1)
    conn.quiet(frame_types=(DataFrame,))
    return "window 5 used, cut to -2 by SETTINGS, +2 sent nothing, +1 sent exactly 1 byte"


# 6.10 CONTINUATION

connection_error_case("6.10", "ping-inside-header-block",
                      lambda conn: frame(HEADERS, FLAG_END_STREAM, 1, plain_block(conn.request_fields()))
                      + serialize(PingFrame(0, opaque_data=b"12345678")) + frame(CONTINUATION, FLAG_END_HEADERS, 1, b""),
                      PROTOCOL_ERROR)
connection_error_case("6.10", "data-inside-header-block",
                      lambda conn: frame(HEADERS, 0, 1, plain_block(conn.request_fields()))
                      + frame(DATA, FLAG_END_STREAM, 1, b"") + frame(CONTINUATION, FLAG_END_HEADERS, 1, b""),
                      PROTOCOL_ERROR)


@case("6.10", "continuation-after-end-headers")
def _(t):
    conn = t.connect(ZERO_WINDOW)
    stream = held_stream(t, conn)
    conn.send(frame(CONTINUATION, FLAG_END_HEADERS, stream, plain_block([("x-late", "1")])))
    return expect_connection_error(conn, PROTOCOL_ERROR)


connection_error_case("6.10", "continuation-on-other-stream",
                      lambda conn: frame(HEADERS, FLAG_END_STREAM, 1, plain_block(conn.request_fields()))
                      + frame(CONTINUATION, FLAG_END_HEADERS, 3, b""), PROTOCOL_ERROR)
connection_error_case("6.10", "continuation-on-stream-0",
                      lambda conn: frame(HEADERS, FLAG_END_STREAM, 1, plain_block(conn.request_fields()))
                      + frame(CONTINUATION, FLAG_END_HEADERS, 0, b""), PROTOCOL_ERROR)


# 8.1 request semantics

@case("8.1", "get-served-with-exact-body")
def _(t):
    conn = t.connect()
    response = expect_served(conn, conn.get())
    check_body(t, response)
    length = response.header("content-length")
    if length is not None and int(length) != len(response.body):
        raise Failure("content-length %s but %d body bytes" % (length, len(response.body)))
    return "200, %d bytes as expected" % len(response.body)


@case("8.1", "get-then-empty-data-with-end-stream")
def _(t):
    conn = t.connect()
    stream = conn.get(end_stream=False)
    conn.send(serialize(DataFrame(stream, flags=["END_STREAM"])))
    check_body(t, expect_served(conn, stream))
    return "served normally"


@case("8.1", "request-body-gets-413", "policy")
def _(t):
    conn = t.connect()
    require_window(t, conn, 4)
    stream = conn.new_stream()
    # GET: this server answers other methods 405 before looking at a body, as over HTTP/1.1.
    conn.send(conn.headers(stream, conn.encoder.encode(pseudo(conn, "GET") + [("content-length", "4")]), end_stream=False)
              + serialize(DataFrame(stream, data=b"body", flags=["END_STREAM"])))
    response = read_until_end_or_reset(conn, stream)
    if response.status != "413":
        raise Failure("a request with a body got %s, expected 413" % response.summary())
    conn.ping()
    expect_served(conn, conn.get(), "the next request")
    return "413, stream ended; the connection goes on"


def read_until_end_or_reset(conn, stream):
    """The response of a stream that the server may end with END_STREAM and then reset (RST NO_ERROR)."""
    response = Response(stream)
    while True:
        f = conn.event()
        if f is None:
            raise Failure("the connection ended (%s)" % response.summary())
        if isinstance(f, GoAwayFrame):
            raise Failure("GOAWAY %s (%s)" % (error_name(f.error_code), response.summary()))
        if f.stream_id != stream:
            continue
        if isinstance(f, RstStreamFrame):
            if response.status is None or f.error_code != NO_ERROR:
                raise Failure("RST_STREAM %s (%s)" % (error_name(f.error_code), response.summary()))
            return response
        if isinstance(f, HeadersFrame):
            response.add_headers(f)
        elif isinstance(f, DataFrame):
            response.body += f.data
        if "END_STREAM" in getattr(f, "flags", ()):
            return response


@case("8.1", "second-headers-without-end-stream")
def _(t):
    conn = t.connect()
    stream = conn.new_stream()
    conn.send(conn.headers(stream, plain_block(conn.request_fields()), end_stream=False)
              + conn.headers(stream, plain_block([("x-trailer", "1")]), end_stream=False))
    return expect_stream_error(conn, stream, PROTOCOL_ERROR, answered_early_is_inconclusive=True)


request_error_case("8.1.1", "content-length-without-data",
                   lambda conn: conn.request_fields() + [("content-length", "5")], PROTOCOL_ERROR)


# 8.2 fields

request_error_case("8.2", "uppercase-field-name", lambda conn: conn.request_fields() + [("X-Upper", "1")], PROTOCOL_ERROR)
request_error_case("8.2.1", "field-name-with-space", lambda conn: conn.request_fields() + [("x bad", "1")], PROTOCOL_ERROR)
request_error_case("8.2.1", "field-value-with-nul", lambda conn: conn.request_fields() + [("x-bad", "a\x00b")],
                   PROTOCOL_ERROR)
request_error_case("8.2.1", "field-value-with-cr", lambda conn: conn.request_fields() + [("x-bad", "a\rb")],
                   PROTOCOL_ERROR)
request_error_case("8.2.1", "field-value-with-lf", lambda conn: conn.request_fields() + [("x-bad", "a\nb")],
                   PROTOCOL_ERROR)
for _name, _value in (("connection", "keep-alive"), ("keep-alive", "timeout=5"), ("proxy-connection", "keep-alive"),
                      ("transfer-encoding", "chunked"), ("upgrade", "h2c")):
    request_error_case("8.2.2", "connection-specific-" + _name,
                       lambda conn, n=_name, v=_value: conn.request_fields() + [(n, v)], PROTOCOL_ERROR)
request_error_case("8.2.2", "te-other-than-trailers", lambda conn: conn.request_fields() + [("te", "gzip")],
                   PROTOCOL_ERROR)


@case("8.2.2", "te-trailers-allowed")
def _(t):
    conn = t.connect()
    expect_served(conn, conn.get(extra=[("te", "trailers")]))
    return "served"


# 8.3 pseudo-header fields

def without(name):
    return lambda conn: [f for f in conn.request_fields() if f[0] != name]


request_error_case("8.3.1", "missing-method", without(":method"), PROTOCOL_ERROR)
request_error_case("8.3.1", "missing-scheme", without(":scheme"), PROTOCOL_ERROR)
request_error_case("8.3.1", "missing-path", without(":path"), PROTOCOL_ERROR)
request_error_case("8.3.1", "empty-path", lambda conn: pseudo(conn, path=""), PROTOCOL_ERROR)
request_error_case("8.3", "unknown-pseudo-field", lambda conn: conn.request_fields() + [(":foo", "bar")], PROTOCOL_ERROR)
request_error_case("8.3", "response-pseudo-field-in-request",
                   lambda conn: conn.request_fields() + [(":status", "200")], PROTOCOL_ERROR)
request_error_case("8.3", "pseudo-field-after-regular",
                   lambda conn: conn.request_fields()[:3] + [("accept", "*/*"), conn.request_fields()[3]], PROTOCOL_ERROR)
request_error_case("8.3.1", "duplicate-path", lambda conn: conn.request_fields()[:3] + [(":path", conn.opts.path)]
                   + conn.request_fields()[3:], PROTOCOL_ERROR)
request_error_case("8.3.1", "duplicate-method", lambda conn: [(":method", "GET")] + conn.request_fields(), PROTOCOL_ERROR)


@case("8.3", "pseudo-field-in-trailers")
def _(t):
    conn = t.connect()
    stream = conn.new_stream()
    conn.send(conn.headers(stream, plain_block(conn.request_fields()), end_stream=False)
              + conn.headers(stream, plain_block([(":path", conn.opts.path)])))
    return expect_stream_error(conn, stream, PROTOCOL_ERROR, answered_early_is_inconclusive=True)


# HPACK (RFC 7541)

def hpack_error_case(section, name, block_of):
    connection_error_case(section, name, lambda conn: frame(HEADERS, FLAG_END_STREAM | FLAG_END_HEADERS, 1,
                                                             block_of(conn)), COMPRESSION_ERROR)


def static_prefix(conn):
    return plain_block(conn.request_fields())


hpack_error_case("hpack-2.3.3", "index-beyond-tables", lambda conn: static_prefix(conn) + b"\xc6")
hpack_error_case("hpack-6.1", "index-0", lambda conn: static_prefix(conn) + b"\x80")
hpack_error_case("hpack-4.2", "table-size-update-above-setting",
                 lambda conn: table_size_update(conn.server_settings.get(HEADER_TABLE_SIZE, 4096) + 1) + static_prefix(conn))
hpack_error_case("hpack-4.2", "table-size-update-after-field",
                 lambda conn: b"\x82" + table_size_update(0) + plain_block(conn.request_fields()[1:]))
hpack_error_case("hpack-5.2", "huffman-padding-longer-than-7-bits",
                 lambda conn: static_prefix(conn) + b"\x00" + hpack_string("x-h") + b"\x82\x1f\xff")
hpack_error_case("hpack-5.2", "huffman-padding-not-eos-prefix",
                 lambda conn: static_prefix(conn) + b"\x00" + hpack_string("x-h") + b"\x81\x18")
hpack_error_case("hpack-5.2", "huffman-eos-symbol",
                 lambda conn: static_prefix(conn) + b"\x00" + hpack_string("x-h") + b"\x84\xff\xff\xff\xff")
hpack_error_case("hpack-5.1", "integer-overflow", lambda conn: static_prefix(conn) + b"\xff" + b"\xff" * 10 + b"\x01")
hpack_error_case("hpack-5.2", "string-longer-than-block",
                 lambda conn: static_prefix(conn) + b"\x00" + hpack_string("x-h") + b"\x64abc")


@case("hpack-4.2", "table-size-update-at-start-accepted")
def _(t):
    conn = t.connect()
    stream = conn.new_stream()
    conn.send(conn.headers(stream, table_size_update(0) + table_size_update(256) + plain_block(conn.request_fields())))
    expect_served(conn, stream)
    return "two size updates at the start of a block accepted"


@case("hpack-2.3.2", "dynamic-table-entries-referenced")
def _(t):
    conn = t.connect()
    for i in range(3):
        response = expect_served(conn, conn.get(extra=[("x-dynamic", "v" * 50), ("x-count", str(i))]))
        check_body(t, response)
    return "three requests, the later ones referencing entries the earlier ones added"


# Responses

def check_body(t, response):
    if response.body != t.body():
        raise Failure("body of %d bytes differs from the expected %d bytes" % (len(response.body), len(t.body())))


@case("8.3.2", "response-fields-well-formed")
def _(t):
    conn = t.connect()
    response = expect_served(conn, conn.get())
    names = [n for n, _ in response.fields]
    problems = []
    if names[0] != ":status":
        problems.append("the first field is %r, not :status" % names[0])
    pseudo_fields = [n for n in names if n.startswith(":")]
    if pseudo_fields != [":status"]:
        problems.append("pseudo-fields %s" % pseudo_fields)
    problems += ["connection-specific field %r" % n for n in names if n in CONNECTION_SPECIFIC]
    problems += ["field name %r is not lowercase" % n for n in names if n != n.lower()]
    if problems:
        raise Failure("; ".join(problems))
    return "only :status as pseudo-field, no connection-specific fields, lowercase names"


@case("8.1", "head-has-no-data")
def _(t):
    conn = t.connect()
    response = conn.response(conn.get(method="HEAD"))
    if response.status != "200":
        raise Failure("HEAD got %s" % response.summary())
    if response.body:
        raise Failure("HEAD response carries %d body bytes" % len(response.body))
    length = response.header("content-length")
    if length is not None and int(length) != len(t.body()):
        raise Failure("HEAD content-length %s, GET has %d bytes" % (length, len(t.body())))
    return "200, no body (%d DATA frames)" % response.data_frames


@case("8.1", "if-none-match-gets-304", "policy")
def _(t):
    etag = t.baseline.header("etag")
    if etag is None:
        raise Failure("the response of %s has no etag" % t.opts.path)
    conn = t.connect()
    response = conn.response(conn.get(extra=[("if-none-match", etag)]))
    if response.status != "304" or response.body:
        raise Failure("if-none-match %s got %s" % (etag, response.summary()))
    return "304 for %s" % etag


@case("8.1", "range-gets-206", "policy")
def _(t):
    body = t.body()
    if len(body) < 10:
        raise Skip("--path needs a body of at least 10 bytes")
    conn = t.connect()
    response = conn.response(conn.get(extra=[("range", "bytes=0-9")]))
    expected_range = "bytes 0-9/%d" % len(body)
    if response.status != "206" or response.header("content-range") != expected_range or response.body != body[:10]:
        raise Failure("range bytes=0-9 got %s, content-range %r (expected %r)"
                      % (response.summary(), response.header("content-range"), expected_range))
    return "206, %s, the first 10 bytes" % expected_range


@case("8.1", "brotli-variant-served", "policy")
def _(t):
    if not t.opts.expect_br:
        raise Skip("no --expect-br")
    conn = t.connect()
    response = expect_served(conn, conn.get(extra=[("accept-encoding", "br")]))
    if response.header("content-encoding") != "br":
        raise Failure("accept-encoding br got content-encoding %r" % response.header("content-encoding"))
    if not response.body or response.body == t.body():
        raise Failure("the br body is empty or the identity bytes")
    return "content-encoding br, %d bytes" % len(response.body)


# 9.2 TLS

@case("9.2", "tls-version-and-compression")
def _(t):
    if not t.opts.tls:
        raise Skip("cleartext")
    conn = t.connect()
    if conn.tls_version not in ("TLSv1.2", "TLSv1.3"):
        raise Failure("negotiated %s; HTTP/2 needs TLS 1.2 or later" % conn.tls_version)
    if conn.tls_compression is not None:
        raise Failure("TLS compression %s is on" % conn.tls_compression)
    return "%s, ALPN h2, no TLS compression" % conn.tls_version


# Defences: this project's policy against resource exhaustion (not RFC requirements)

def expect_calm(conn, what):
    """GOAWAY ENHANCE_YOUR_CALM, read from what already arrived or arrives next."""
    deadline = time.monotonic() + conn.timeout
    seen = {}
    while True:
        try:
            f = conn.frame(deadline)
        except socket.timeout:
            raise Failure("no GOAWAY ENHANCE_YOUR_CALM within %.1f s after %s (frames seen: %s)"
                          % (conn.timeout, what, seen))
        if f is None:
            hint = ""
            if conn.eof == "RST":
                hint = ("; a close with unread input resets the connection, and the kernel drops what the server "
                        "still had queued, its GOAWAY included: the server must stop writing and drain first")
            raise Failure("the connection was closed (%s) without GOAWAY ENHANCE_YOUR_CALM after %s (frames seen: %s)%s"
                          % (conn.eof, what, seen, hint))
        kind = type(f).__name__.replace("Frame", "")
        seen[kind] = seen.get(kind, 0) + 1
        if isinstance(f, GoAwayFrame):
            if f.error_code != ENHANCE_YOUR_CALM:
                raise Failure("GOAWAY %s after %s" % (error_name(f.error_code), what))
            conn.await_close(conn.timeout)
            return "GOAWAY ENHANCE_YOUR_CALM after %s" % what


@case("defence", "rapid-reset", "defence")
def _(t):
    conn = t.connect()
    batch = bytearray()
    for _ in range(1000):
        stream = conn.new_stream()
        batch += conn.headers(stream, conn.encoder.encode(conn.request_fields()))
        batch += serialize(RstStreamFrame(stream, error_code=CANCEL))
    conn.send_while_reading(bytes(batch), 20)
    return expect_calm(conn, "1000 streams opened and reset")


@case("defence", "continuation-flood", "defence")
def _(t):
    conn = t.connect()
    stream = conn.new_stream()
    chunk = plain_block([("x-flood", "c" * 1000)])
    flood = frame(HEADERS, FLAG_END_STREAM, stream, plain_block(conn.request_fields()))
    flood += b"".join(frame(CONTINUATION, 0, stream, chunk) for _ in range(1024))
    sent = conn.send_while_reading(flood, 20)
    return expect_calm(conn, "%d KiB of CONTINUATION without END_HEADERS" % (sent // 1024))


@case("defence", "hpack-bomb", "defence")
def _(t):
    conn = t.connect()
    table = conn.server_settings.get(HEADER_TABLE_SIZE, 4096)
    value_length = min(4000, table - 32 - len("x-bomb"))
    if value_length < 1000:
        raise Skip("the server's dynamic table (%d) is too small for the entry" % table)
    stream = conn.new_stream()
    block = plain_block(conn.request_fields()) + literal("x-bomb", "b" * value_length, indexing=True) + b"\xbe" * 100
    conn.send(frame(HEADERS, FLAG_END_STREAM | FLAG_END_HEADERS, stream, block))
    response = read_until_end_or_reset(conn, stream)
    if response.status != "431":
        raise Failure("a %d-byte entry referenced 100 times got %s, expected 431" % (value_length, response.summary()))
    # Static-table-only encoding: the server's decoder now holds x-bomb, ours knows nothing of it.
    next_stream = conn.new_stream()
    conn.send(frame(HEADERS, FLAG_END_STREAM | FLAG_END_HEADERS, next_stream, plain_block(conn.request_fields())))
    expect_served(conn, next_stream, "the request after the bomb")
    return "431 for %d KB of decoded fields; the next stream is served" % (value_length * 100 // 1000)


@case("defence", "over-long-header-list", "defence")
def _(t):
    conn = t.connect()
    stream = conn.new_stream()
    block = plain_block(conn.request_fields() + [("x-long", "l" * 40960)])
    piece = 16000
    frames = frame(HEADERS, FLAG_END_STREAM, stream, block[:piece])
    for offset in range(piece, len(block), piece):
        last = offset + piece >= len(block)
        frames += frame(CONTINUATION, FLAG_END_HEADERS if last else 0, stream, block[offset:offset + piece])
    conn.send_while_reading(frames, 20)
    while True:
        try:
            f = conn.event()
        except socket.timeout:
            raise Failure("no answer to a 40 KiB field")
        if f is None:
            raise Failure("closed (%s) without 431 or GOAWAY ENHANCE_YOUR_CALM" % conn.eof)
        if isinstance(f, GoAwayFrame):
            if f.error_code != ENHANCE_YOUR_CALM:
                raise Failure("GOAWAY %s" % error_name(f.error_code))
            return "GOAWAY ENHANCE_YOUR_CALM"
        if f.stream_id == stream and isinstance(f, RstStreamFrame):
            raise Failure("RST_STREAM %s, expected 431 or GOAWAY ENHANCE_YOUR_CALM" % error_name(f.error_code))
        if f.stream_id == stream and isinstance(f, HeadersFrame):
            status = dict(f.fields).get(":status")
            if status != "431":
                raise Failure(":status %s for a 40 KiB field, expected 431" % status)
            conn.ping()
            return ":status 431, the connection goes on"


def flood_case(name, unit, build_prefix=None):
    @case("defence", name + "-flood", "defence")
    def run(t):
        conn = t.connect()
        prefix = build_prefix(conn) if build_prefix else b""
        conn.send(prefix)
        sent = conn.send_without_reading(unit * 10000, stall_limit=3)
        return expect_calm(conn, "%d of 10000 frames sent without reading" % (sent // len(unit)))
    return run


flood_case("settings", settings_frame())
flood_case("ping", serialize(PingFrame(0, opaque_data=b"floodfld")))
flood_case("empty-data", frame(DATA, 0, 1, b""),
           lambda conn: conn.headers(conn.new_stream(), conn.encoder.encode(pseudo(conn, "POST")), end_stream=False))


@case("defence", "zero-window-held-open", "defence")
def _(t):
    limit = t.opts.send_timeout_seconds
    if limit is None:
        raise Skip("no --send-timeout-seconds")
    conn = t.connect(ZERO_WINDOW)
    started = time.monotonic()
    held_stream(t, conn)
    deadline = started + limit + 15
    while True:
        try:
            f = conn.frame(deadline)
        except socket.timeout:
            raise Failure("still open %.0f s after the response stalled (send timeout %s s)" % (limit + 15, limit))
        if f is None or isinstance(f, GoAwayFrame):
            break
        if isinstance(f, PingFrame) and "ACK" not in f.flags:
            conn.send(serialize(PingFrame(0, opaque_data=f.opaque_data, flags=["ACK"])))
    elapsed = time.monotonic() - started
    how = "GOAWAY %s" % error_name(f.error_code) if f is not None else "closed (%s)" % conn.eof
    if f is not None and not conn.await_close(conn.timeout):
        raise Failure("GOAWAY after %.1f s but the connection stayed open" % elapsed)
    if elapsed < limit * 0.8:
        raise Failure("%s after %.1f s, before the send timeout of %s s" % (how, elapsed, limit))
    return "%s after %.1f s (send timeout %s s)" % (how, elapsed, limit)


# ---- running

def fetch_baseline(suite):
    """GET --path: the expected body comes from --expect-body, else from a second fetch that must agree."""
    conn = suite.connect()
    first = conn.response(conn.get())
    if first.status != "200":
        raise Failure("GET %s got %s; --path must name a file served with 200" % (suite.opts.path, first.summary()))
    if suite.opts.expect_body:
        with open(suite.opts.expect_body, "rb") as f:
            expected = f.read()
        if first.body != expected:
            raise Failure("GET %s: %d bytes differ from %s (%d bytes)" % (suite.opts.path, len(first.body),
                                                                          suite.opts.expect_body, len(expected)))
    else:
        second = conn.response(conn.get())
        if second.body != first.body:
            raise Failure("two GETs of %s gave different bodies" % suite.opts.path)
    suite.baseline = first
    suite.close_all()


def selected(c, opts):
    if "defence" in c.tags and not opts.defences:
        return False
    if "policy" in c.tags and opts.rfc_only:
        return False
    return opts.only is None or re.search(opts.only, c.title) is not None


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int)
    parser.add_argument("--tls", action="store_true", help="TLS with ALPN h2 (else cleartext prior knowledge)")
    parser.add_argument("--ca", help="CA certificate file that verifies the server (with --tls)")
    parser.add_argument("--sni", help="server name to send and verify (with --tls; default: --authority or --host)")
    parser.add_argument("--authority", help=":authority of the requests (default: --sni, or HOST:PORT)")
    parser.add_argument("--path", default="/", help="a path the server answers with 200 and a body of 10+ bytes")
    parser.add_argument("--expect-body", metavar="FILE", help="the exact bytes GET --path must return")
    parser.add_argument("--expect-br", action="store_true", help="--path has a Brotli variant")
    parser.add_argument("--expect-max-concurrent-streams", type=int, metavar="N")
    parser.add_argument("--send-timeout-seconds", type=float, help="the server's send timeout (for a defence case)")
    parser.add_argument("--defences", action="store_true", help="also run the cases tagged defence")
    parser.add_argument("--rfc-only", action="store_true", help="leave out the cases tagged policy")
    parser.add_argument("--only", metavar="PATTERN", help="run the cases whose 'section name' matches this regex")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for each expected answer")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--verbose", action="store_true", help="print every frame received to stderr")
    opts = parser.parse_args(argv)
    if opts.list:
        for c in CASES:
            print("%s%s" % (c.title, (" [%s]" % ",".join(sorted(c.tags))) if c.tags else ""))
        return 0
    if opts.port is None:
        parser.error("--port is required")
    if opts.tls and not opts.ca:
        parser.error("--tls needs --ca")
    opts.sni = opts.sni or opts.authority or opts.host
    opts.authority = opts.authority or (opts.sni if opts.tls else "%s:%d" % (opts.host, opts.port))

    suite = Suite(opts)
    try:
        fetch_baseline(suite)
    except (Failure, Closed, OSError) as e:
        print("FAIL 3 h2-spoken: %s" % (e if str(e) else type(e).__name__))
        print("conformance: aborted, HTTP/2 could not be spoken with %s:%d" % (opts.host, opts.port), file=sys.stderr)
        return 1
    finally:
        suite.close_all()

    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    for c in CASES:
        if not selected(c, opts):
            continue
        started = time.monotonic()
        try:
            outcome, detail = "PASS", c.run(suite)
        except Skip as e:
            outcome, detail = "SKIP", str(e)
        except (Failure, Closed) as e:
            outcome, detail = "FAIL", str(e)
        except socket.timeout:
            outcome, detail = "FAIL", "timed out waiting for the server"
        except OSError as e:
            outcome, detail = "FAIL", "%s: %s" % (type(e).__name__, e)
        finally:
            suite.close_all()
        counts[outcome] += 1
        if opts.verbose:
            detail += " [%.2f s]" % (time.monotonic() - started)
        print("%s %s: %s" % (outcome, c.title, detail), flush=True)
    print("conformance: %d passed, %d failed, %d skipped" % (counts["PASS"], counts["FAIL"], counts["SKIP"]))
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
