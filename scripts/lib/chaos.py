"""Clients for scripts/chaos: a probe of normal requests, 10,000 pipelined requests, descriptor
exhaustion and a request fuzzer. Each prints one line of figures "key=value ..." for the script.

  chaos.py probe PORT PATH SECONDS [RATE]
  chaos.py pipeline PORT PATH COUNT
  chaos.py exhaust PORT PATH CONNECTIONS HOLD_SECONDS AFTER_SECONDS
  chaos.py fuzz PORT SECONDS THREADS SEED
"""

import random
import re
import select
import socket
import sys
import threading
import time

PROBE_TIMEOUT = 5.0


def fetch(port, path, timeout=PROBE_TIMEOUT):
    """One GET on a new connection; returns None if it was a whole 200, else what went wrong."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"GET %s HTTP/1.1\r\nHost: chaos.test\r\nConnection: close\r\n\r\n" % path.encode())
            data = bytearray()
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    except socket.timeout:
        return "timeout"
    except OSError as e:
        return type(e).__name__
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200 "):
        return head.split(b"\r\n")[0].decode("latin-1") or "no answer"
    length = re.search(rb"\r\ncontent-length: *(\d+)", head, re.I)
    if length is None or int(length.group(1)) != len(body):
        return "cut short"
    return None


def percentile(sorted_values, fraction):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


class Probe(threading.Thread):
    """Normal requests at RATE per second on a fixed schedule, each on a new connection and thread
    of its own, so that one stuck request does not hold back the next, until stopped."""

    def __init__(self, port, path, rate=20.0):
        super().__init__(daemon=True)
        self.port, self.path, self.interval = port, path, 1.0 / rate
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.requests = []
        self.latencies, self.failures = [], []  # (time, ms) and (time, reason)

    def one(self):
        started = time.monotonic()
        problem = fetch(self.port, self.path)
        elapsed = time.monotonic() - started
        with self.lock:
            if problem is None:
                self.latencies.append((started, elapsed * 1000))
            else:
                self.failures.append((started, problem))

    def run(self):
        next_at = time.monotonic()
        while not self.stopping.is_set():
            request = threading.Thread(target=self.one, daemon=True)
            request.start()
            self.requests.append(request)
            next_at += self.interval
            self.stopping.wait(max(0.0, next_at - time.monotonic()))

    def stop(self):
        self.stopping.set()
        self.join()
        for request in self.requests:
            request.join()

    def figures(self, since=float("-inf"), until=float("inf")):
        ok = sorted(ms for t, ms in self.latencies if since <= t < until)
        failed = [reason for t, reason in self.failures if since <= t < until]
        reasons = ",".join(sorted(set(failed))) or "-"
        return "requests=%d failed=%d p50=%.1f p99=%.1f reasons=%s" % (
            len(ok) + len(failed), len(failed), percentile(ok, 0.5), percentile(ok, 0.99), reasons.replace(" ", "_"))


def probe(port, path, seconds, rate=20.0):
    p = Probe(port, path, rate)
    p.start()
    time.sleep(seconds)
    p.stop()
    print(p.figures())


def pipeline(port, path, count):
    """COUNT pipelined GETs on one connection, written by a thread while this one reads the answers."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    request = b"GET %s HTTP/1.1\r\nHost: chaos.test\r\n\r\n" % path.encode()

    def write():
        try:
            for _ in range(count // 100):
                s.sendall(request * 100)
        except OSError:
            pass  # the server closed after its last answer

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    f = s.makefile("rb", buffering=65536)
    whole, end, last_close = 0, "end of stream", False
    try:
        while True:
            status = f.readline()
            if not status:
                break
            fields = {}
            while True:
                line = f.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                fields[name.strip().lower()] = value.strip()
            length = int(fields.get("content-length", 0))
            if len(f.read(length)) < length:
                end = "cut mid-body"
                break
            whole += 1
            last_close = fields.get("connection") == "close"
    except ConnectionResetError:
        end = "reset"
    except socket.timeout:
        end = "timeout"
    s.close()
    print("whole=%d end=%s last_says_close=%s" % (whole, end.replace(" ", "_"), last_close))


def exhaust(port, path, connections, hold, after):
    """Opens CONNECTIONS idle connections at once (non-blocking), holds them HOLD seconds while
    probing, closes them and probes AFTER seconds more."""
    p = Probe(port, path)
    p.start()
    time.sleep(2)
    held = []
    for _ in range(connections):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        held.append(s)
    poller = select.poll()
    by_fd = {s.fileno(): s for s in held}
    for fd in by_fd:
        poller.register(fd, select.POLLOUT)
    pending, deadline = set(by_fd), time.monotonic() + 3
    while pending and time.monotonic() < deadline:
        for fd, _ in poller.poll(200):
            pending.discard(fd)
            poller.unregister(fd)
    connected = [s for fd, s in by_fd.items() if fd not in pending and s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0]
    start_hold = time.monotonic()
    time.sleep(hold)
    closed_by_server = 0
    for s in connected:
        try:
            if s.recv(1) == b"":
                closed_by_server += 1
        except BlockingIOError:
            pass
        except OSError:
            closed_by_server += 1
    for s in held:
        s.close()
    released = time.monotonic()
    time.sleep(after)
    p.stop()
    hold_failed = sum(1 for t, _ in p.failures if start_hold <= t < released)
    last_failure = max((t for t, _ in p.failures if t >= released), default=None)
    recovered = sorted(t for t, _ in p.latencies if t >= released and (last_failure is None or t > last_failure))
    recovery = "%.0f" % ((recovered[0] - released) * 1000) if recovered else "never"
    print("connected=%d of=%d closed_by_server=%d hold_failed=%d recovered_ms=%s %s" % (
        len(connected), connections, closed_by_server, hold_failed, recovery, p.figures(start_hold, released + after)))


TEMPLATES = [
    b"GET /1k.html HTTP/1.1\r\nHost: chaos.test\r\n\r\n",
    b"GET /1k.html HTTP/1.1\r\nHost: chaos.test\r\nAccept-Encoding: br;q=1, gzip;q=0.8\r\nIf-None-Match: \"x\", W/\"y\"\r\n\r\n",
    b"GET /1k.html HTTP/1.1\r\nHost: chaos.test\r\nRange: bytes=0-10,-5,100-200\r\nIf-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n",
    b"HEAD /1k.html?q=%41 HTTP/1.0\r\nConnection: keep-alive\r\nUser-Agent: fuzz\r\n\r\n",
    b"GET http://chaos.test/dir/../1k.html HTTP/1.1\r\nHost: chaos.test:80\r\nIf-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT\r\n\r\n",
    b"GET /1k.html HTTP/1.1\r\nHost: chaos.test\r\n\r\nGET /1k.html HTTP/1.1\r\nHost: chaos.test\r\nRange: bytes=-100\r\n\r\n",
    b"POST /1k.html HTTP/1.1\r\nHost: chaos.test\r\nContent-Length: 5\r\n\r\nhello",
]
SPECIAL = b"\r\n\x00 \t:,;%/.\"-=\x80\xff09"
STATUS = re.compile(rb"HTTP/1\.[01] (\d{3}) ")


def mutate(rng):
    """A template with 1 to 8 random edits: a byte replaced, inserted, deleted, a run repeated, or the head cut."""
    b = bytearray(rng.choice(TEMPLATES))
    for _ in range(rng.randint(1, 8)):
        at = rng.randrange(len(b))
        value = rng.choice(SPECIAL) if rng.random() < 0.5 else rng.randrange(256)
        kind = rng.randrange(5)
        if kind == 0:
            b[at] = value
        elif kind == 1:
            b.insert(at, value)
        elif kind == 2:
            del b[at:at + rng.randint(1, 8)]
        elif kind == 3:
            run = b[at:at + rng.randint(1, 16)]
            b[at:at] = run * rng.randint(1, 2000 if rng.random() < 0.1 else 4)
        else:
            del b[max(1, at):]
        if not b:
            b = bytearray([value])
    return bytes(b)


def fuzz(port, seconds, threads, seed):
    """Mutated request heads, one new connection each (output shut after the head), from THREADS threads."""
    lock = threading.Lock()
    counts = {"sent": 0, "no_answer": 0, "not_http": 0, "hung": 0, "refused": 0}
    statuses = {}
    until = time.monotonic() + seconds

    def run(rng):
        while time.monotonic() < until:
            request = mutate(rng)
            data = bytearray()
            outcome = None
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                    try:
                        s.sendall(request)
                        s.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass  # answered and closed before reading it all
                    try:
                        while True:
                            chunk = s.recv(65536)
                            if not chunk:
                                break
                            data += chunk
                    except socket.timeout:
                        outcome = "hung"
                    except OSError:
                        pass  # a reset after the answer
            except OSError:
                outcome = "refused"
            codes = STATUS.findall(bytes(data))
            with lock:
                counts["sent"] += 1
                if outcome:
                    counts[outcome] += 1
                elif not data:
                    counts["no_answer"] += 1
                elif not data.startswith(b"HTTP/1."):
                    counts["not_http"] += 1
                for code in codes:
                    statuses[int(code)] = statuses.get(int(code), 0) + 1

    workers = [threading.Thread(target=run, args=(random.Random(seed + i),)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    by_class = {c: sum(n for code, n in statuses.items() if code // 100 == c) for c in range(1, 6)}
    server_errors = {code: n for code, n in statuses.items() if code // 100 == 5 and code not in (501, 505)}
    print("sent=%d 2xx=%d 3xx=%d 4xx=%d 5xx=%d server_errors=%s no_answer=%d not_http=%d hung=%d refused=%d" % (
        counts["sent"], by_class[2], by_class[3], by_class[4], by_class[5],
        ",".join("%d:%d" % kv for kv in sorted(server_errors.items())) or "none",
        counts["no_answer"], counts["not_http"], counts["hung"], counts["refused"]))


def main(argv):
    command, args = argv[1], argv[2:]
    if command == "probe":
        probe(int(args[0]), args[1], float(args[2]), float(args[3]) if len(args) > 3 else 20.0)
    elif command == "pipeline":
        pipeline(int(args[0]), args[1], int(args[2]))
    elif command == "exhaust":
        exhaust(int(args[0]), args[1], int(args[2]), float(args[3]), float(args[4]))
    elif command == "fuzz":
        fuzz(int(args[0]), float(args[1]), int(args[2]), int(args[3]))
    else:
        sys.exit("chaos.py: unknown command %r" % command)


if __name__ == "__main__":
    main(sys.argv)
