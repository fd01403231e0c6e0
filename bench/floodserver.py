"""A loopback AMI server that behaves like Asterisk for login and floods events.

    python bench/floodserver.py --events N [--connections K] [--max-seconds T] [--quiet]

Listens on 127.0.0.1 only (an ephemeral port, printed as ``PORT n`` on the
first line of stdout). For each client, like Asterisk: the banner, then
Challenge (MD5) and Login (MD5 ``Key`` or plain ``Secret``, user admin,
secret amish-admin-secret; a wrong one is answered Error and closed), Ping,
Logoff (Goodbye, then close), and any action seen in the capture answered
with the sandbox Asterisk's own answer (list items and all, the ActionID
swapped); other actions get ``Invalid/unknown command``.

Once a client has logged in with events on (and --quiet is not given), it
gets N events as fast as the socket takes them: FullyBooted, then the
captured mix (bench/data/sandbox-capture.ami) over and over, then one
``Event: BenchEnd`` (not counted in N). Responses to actions sent during the
flood are slipped in between chunks, at message boundaries.

``--fresh-ids``: every cycle of the mix gets Uniqueids, Linkedids and bridge ids
of its own (``-<cycle>`` appended; made before the first client connects), so a
call-state tracker sees new calls each cycle, not the same ones again.

Bounded: at most --connections clients (then it exits), at most --max-seconds
in all, N events per client. ``--progress`` prints ``sent N`` lines.

``--calls N --call-rate R``: a big PBX instead of the captured mix: N
concurrent calls at once, then R new calls a second, each ending (BridgeLeave,
Hangup...) after N/R seconds (bench/callflood.py), paced in real time.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import SECRET, USER, end_event, fully_booted, load_capture, split_messages  # noqa: E402

CHUNK = 128 * 1024


def parse_action(raw: bytes) -> list[tuple[str, str]]:
    pairs = []
    for line in raw.decode("utf-8", "replace").split("\r\n"):
        key, sep, value = line.partition(":")
        if sep:
            pairs.append((key.strip(), value.strip()))
    return pairs


def first(pairs, key: str, default: str = "") -> str:
    key = key.lower()
    for k, v in pairs:
        if k.lower() == key:
            return v
    return default


def with_action_id(raw: bytes, action_id: str | None) -> bytes:
    """A captured answer with its ActionID swapped for the client's (or removed)."""
    lines = raw[:-4].split(b"\r\n")
    out = []
    for line in lines:
        if line.lower().startswith(b"actionid:"):
            if action_id is not None:
                out.append(b"ActionID: " + action_id.encode("utf-8", "surrogateescape"))
        else:
            out.append(line)
    return b"\r\n".join(out) + b"\r\n\r\n"


def chunks_of(messages: list[bytes], size: int = CHUNK) -> list[tuple[bytes, int]]:
    """Messages joined into chunks of about `size` bytes: (bytes, how many messages)."""
    out, cur, count, length = [], [], 0, 0
    for m in messages:
        cur.append(m)
        count += 1
        length += len(m)
        if length >= size:
            out.append((b"".join(cur), count))
            cur, count, length = [], 0, 0
    if cur:
        out.append((b"".join(cur), count))
    return out


class Server:
    def __init__(self, args):
        self.args = args
        self.banner, self.mix, self.answers = load_capture()
        self.cycle = chunks_of(self.mix)
        self.cycles = [self.cycle]
        if args.fresh_ids:
            n = -(-args.events // max(1, len(self.mix))) + 1
            ids = re.compile(rb"((?:Uniqueid|Linkedid): )([^\r]+)")
            self.cycles = [chunks_of([ids.sub(lambda m, k=k: m.group(1) + m.group(2) + b"-%d" % k, raw)
                                      for raw in self.mix]) for k in range(n)]  # fmt: skip
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", args.port))
        self.sock.listen(16)
        self.deadline = time.monotonic() + args.max_seconds
        self.sent = 0
        self.out_lock = threading.Lock()

    def serve(self) -> None:
        print(f"PORT {self.sock.getsockname()[1]}", flush=True)
        threads = []
        self.sock.settimeout(0.5)
        served = 0
        while served < self.args.connections and time.monotonic() < self.deadline:
            try:
                client, _ = self.sock.accept()
            except socket.timeout:
                continue
            served += 1
            t = threading.Thread(target=Session(self, client).run, daemon=True)
            t.start()
            threads.append(t)
        for t in threads:
            t.join(max(0.0, self.deadline - time.monotonic()))
        self.sock.close()


class Session:
    def __init__(self, server: Server, sock: socket.socket):
        self.server = server
        self.sock = sock
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.lock = threading.Lock()  # one writer at a time, at message boundaries
        self.challenge: str | None = None
        self.logged_in = False
        self.closed = threading.Event()
        self.flooding = False

    def write(self, data: bytes) -> bool:
        with self.lock:
            if self.closed.is_set():
                return False
            try:
                self.sock.sendall(data)
                return True
            except OSError:
                self.closed.set()
                return False

    def close(self) -> None:
        self.closed.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def run(self) -> None:
        self.write(self.server.banner)
        buf = b""
        self.sock.settimeout(0.5)
        try:
            while not self.closed.is_set() and time.monotonic() < self.server.deadline:
                try:
                    data = self.sock.recv(65536)
                except socket.timeout:
                    continue
                except OSError:
                    break
                if not data:
                    break
                buf += data
                buf = buf.replace(b"\r\n", b"\n")
                while b"\n\n" in buf:
                    raw, buf = buf.split(b"\n\n", 1)
                    if raw.strip():
                        self.handle(parse_action(raw.replace(b"\n", b"\r\n")))
        finally:
            self.closed.set()
            try:
                self.sock.close()
            except OSError:
                pass

    def respond(self, action_id: str | None, *lines: str, status: str = "Success") -> None:
        head = [f"Response: {status}"]
        if action_id is not None:
            head.append(f"ActionID: {action_id}")
        self.write(("\r\n".join(head + list(lines)) + "\r\n\r\n").encode("utf-8"))

    def handle(self, action: list[tuple[str, str]]) -> None:
        name = first(action, "Action").lower()
        aid = first(action, "ActionID", None)
        if name == "challenge":
            self.challenge = str(random.randint(100000000, 999999999))
            self.respond(aid, f"Challenge: {self.challenge}")
        elif name == "login":
            user = first(action, "Username")
            if first(action, "AuthType").lower() == "md5":
                good = self.challenge is not None and first(action, "Key") == hashlib.md5((self.challenge + SECRET).encode()).hexdigest()
            else:
                good = first(action, "Secret") == SECRET
            if user != USER or not good:
                time.sleep(0.1)
                self.respond(aid, "Message: Authentication failed", status="Error")
                self.close()
                return
            self.logged_in = True
            self.respond(aid, "Message: Authentication accepted")
            events = first(action, "Events", "on").lower()
            if events != "off" and not self.server.args.quiet and not self.flooding:
                self.flooding = True
                threading.Thread(target=self.flood, daemon=True).start()
            elif events != "off":
                self.write(fully_booted())
        elif not self.logged_in:
            self.respond(aid, "Message: Permission denied", status="Error")
        elif name == "ping":
            self.respond(aid, "Ping: Pong", f"Timestamp: {time.time():.6f}")
        elif name == "logoff":
            self.respond(aid, "Message: Thanks for all the fish.", status="Goodbye")
            self.close()
        elif name in self.server.answers:
            self.write(b"".join(with_action_id(m, aid) for m in self.server.answers[name]))
        else:
            self.respond(aid, "Message: Invalid/unknown command", status="Error")

    def flood_calls(self) -> None:
        """--calls N: call lifecycles at --call-rate new calls a second (bench/callflood.py), paced, until
        --events were sent or the deadline."""
        from callflood import CallFlood

        server = self.server
        args = server.args
        if not self.write(fully_booted()):
            return
        sent = 1
        if args.warmup_events:
            sent += self.warm_up(args.warmup_events)
            if self.closed.is_set():
                return
        flood = CallFlood(args.calls, args.call_rate, time.monotonic())
        while sent < args.events and not self.closed.is_set() and time.monotonic() < server.deadline:
            events = flood.tick(time.monotonic())
            for data, count in chunks_of(events):
                if not self.write(data):
                    return
                sent += count
            if args.progress:
                print(f"sent {sent} calls {flood.made} ended {flood.calls_ended}", flush=True)
            time.sleep(0.05)
        self.write(end_event(sent))
        if args.progress:
            print("done", flush=True)

    def warm_up(self, n: int) -> int:
        """--warmup-events N (with --calls): N UserEvents the size of a call's events, paced (5,000 a
        second), which no call tracker reads but every event store keeps; then a line "warm" on stdout, and
        the calls start when a line "go" comes on stdin (the client's memory taken in between)."""
        pad = "x" * 275  # the size of bench/callflood.py's events on average (362 bytes)
        sent = 0
        while sent < n and not self.closed.is_set():
            batch = [f"Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: BenchWarm\r\nSeq: {sent + i}\r\n"
                     f"Pad: {pad}\r\n\r\n".encode() for i in range(min(500, n - sent))]
            if not self.write(b"".join(batch)):
                return sent
            sent += len(batch)
            time.sleep(0.1)
        print("warm", flush=True)
        sys.stdin.readline()
        return sent

    def flood(self) -> None:
        server = self.server
        if server.args.calls:
            return self.flood_calls()
        n = server.args.events
        cycles = server.cycles
        k = 0
        per_cycle = len(server.mix)
        progress = server.args.progress
        sent = 0
        last_report = 0.0
        if not self.write(fully_booted()):
            return
        sent = 1
        while sent < n and not self.closed.is_set() and time.monotonic() < server.deadline:
            left = n - sent
            if left >= per_cycle:
                cycle = cycles[k % len(cycles)]
                k += 1
                for data, count in cycle:
                    if not self.write(data):
                        return
                    sent += count
                    if progress:
                        now = time.monotonic()
                        if now - last_report >= 0.1:
                            last_report = now
                            print(f"sent {sent}", flush=True)
            else:
                tail = [raw for chunk, _ in cycles[k % len(cycles)] for raw in split_messages(chunk)][:left]
                for data, count in chunks_of(tail):
                    if not self.write(data):
                        return
                    sent += count
        self.write(end_event(sent))
        if progress:
            print(f"sent {sent}", flush=True)
            print("done", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--events", type=int, default=100_000, help="events per client (default 100000)")
    p.add_argument("--connections", type=int, default=1, help="clients to serve, then exit (default 1)")
    p.add_argument("--max-seconds", type=float, default=300.0, help="stop after this long, whatever happens (default 300)")
    p.add_argument("--quiet", action="store_true", help="no flood: answer actions only")
    p.add_argument("--progress", action="store_true", help="print 'sent N' lines while flooding")
    p.add_argument("--fresh-ids", action="store_true", help="new Uniqueids/Linkedids in every cycle of the mix")
    p.add_argument("--calls", type=int, default=0, metavar="N",
                   help="instead of the captured mix: N concurrent calls' lifecycles (bench/callflood.py)")
    p.add_argument("--call-rate", type=float, default=200.0, metavar="R", help="with --calls: new calls a second (default 200)")
    p.add_argument("--warmup-events", type=int, default=0, metavar="N",
                   help="with --calls: N UserEvents first, then 'warm' on stdout; the calls start at 'go' on stdin")
    args = p.parse_args()
    Server(args).serve()


if __name__ == "__main__":
    main()
