"""AMI over HTTP when the server misbehaves in ways the real Asterisk cannot be made to (a fake /rawman server).

A connection dropped in the middle of pipelined requests: the answered ones are paired, every
one written after the last answer fails (it may or may not have run) and is never sent again,
and the next action opens a fresh connection.
"""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import parse_qsl

import pytest

from amish.core.errors import ConnectionLost
from amish.transports.http import HttpConnection

HOST = "127.0.0.1"


class _Rawman:
    """A loopback /rawman: Challenge, Login, WaitEvent (held briefly) and Ping; the action connection
    is closed after `drop_after` Pings have been answered on it (once)."""

    def __init__(self, drop_after: int):
        self.drop_after = drop_after
        self.dropped = False
        self.requests: list[dict] = []
        self.connections = 0
        self.listener = socket.create_server((HOST, 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock):
        buf = b""
        pings = 0
        with sock:
            while True:
                while b"\r\n\r\n" not in buf:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                head, _, rest = buf.partition(b"\r\n\r\n")
                length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
                while len(rest) < length:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    rest += chunk
                body, buf = rest[:length], rest[length:]
                fields = dict(parse_qsl(body.decode()))
                self.requests.append(fields)
                action = fields.get("Action", "").lower()
                aid = fields.get("ActionID", "")
                if action == "waitevent":
                    time.sleep(0.2)
                    text = f"Response: Success\r\nMessage: Waiting for Event completed.\r\nActionID: {aid}\r\n\r\n"
                elif action == "challenge":
                    text = f"Response: Success\r\nChallenge: 12345\r\nActionID: {aid}\r\n\r\n"
                elif action == "login":
                    text = f"Response: Success\r\nMessage: Authentication accepted\r\nActionID: {aid}\r\n\r\n"
                else:
                    if action == "ping" and not self.dropped and pings == self.drop_after:
                        self.dropped = True
                        time.sleep(0.3)  # the client has written the rest of its batch by now
                        return  # dropped with requests in flight
                    pings += action == "ping"
                    text = f"Response: Success\r\nPing: Pong\r\nActionID: {aid}\r\n\r\n"
                data = text.encode()
                sock.sendall(b"HTTP/1.1 200 OK\r\nServer: Asterisk/22\r\nSet-Cookie: mansession_id=\"f00d\"; "
                             b"Version=1; Max-Age=60\r\nContent-Length: %d\r\n\r\n" % len(data) + data)

    def close(self):
        self.listener.close()


@pytest.fixture
def rawman():
    server = _Rawman(drop_after=3)
    yield server
    server.close()


def test_a_connection_dropped_mid_pipeline_fails_what_was_in_flight_and_never_resends_it(rawman):
    written = []
    conn = HttpConnection(HOST, rawman.port, on_wire=lambda d, data: written.append(data) if d == "out" else None)
    conn.connect()
    conn.login("admin", "secret", auth="plain")
    try:
        pendings = [conn.submit([("Action", "Ping"), ("ActionID", f"p{i}")]) for i in range(10)]
        outcomes = []
        for p in pendings:
            try:
                p.wait(5)
                outcomes.append("ok")
            except ConnectionLost as e:
                assert "may or may not have run, and is not sent again" in str(e)
                outcomes.append("lost")
        assert outcomes == ["ok"] * 3 + ["lost"] * 7
        assert conn.send([("Action", "Ping")]).ok and conn.connected  # a fresh connection
        for i in range(10):  # each written once (back to back, before the drop), none again
            assert sum(1 for data in written if data.endswith(b"ActionID=p%d" % i)) == 1
        assert [r.get("ActionID") for r in rawman.requests if r.get("ActionID", "").startswith("p")] == ["p0", "p1", "p2", "p3"]
    finally:
        conn.close()


def test_an_http_port_that_speaks_ami_says_to_use_ami():
    listener = socket.create_server((HOST, 0))
    port = listener.getsockname()[1]

    def banner():
        sock, _ = listener.accept()
        with sock:
            sock.sendall(b"Asterisk Call Manager/9.0.0\r\n")
            time.sleep(1)

    threading.Thread(target=banner, daemon=True).start()
    from amish.core.errors import NotAMIError

    conn = HttpConnection(HOST, port)
    try:
        with pytest.raises(NotAMIError, match=rf"AMI's TCP port, not its HTTP server: use ami://{HOST}:{port}"):
            conn.connect()
    finally:
        listener.close()
