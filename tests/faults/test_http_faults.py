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
from amish.transports.shared import Closed, Notice

HOST = "127.0.0.1"


class _Rawman:
    """A loopback /rawman: Challenge, Login, WaitEvent (held briefly) and Ping; the action connection
    is closed after `drop_after` Pings have been answered on it (once)."""

    def __init__(self, drop_after: int = 10**9, logins_allowed: int = 10**9):
        self.drop_after = drop_after
        self.dropped = False
        self.logins_allowed = logins_allowed
        self.logins = 0
        self.sessions = {"f00d"}  # the cookies of the sessions it knows; forget() empties it
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
                sent = head.split(b'mansession_id="')[1].split(b'"')[0].decode() if b"mansession_id" in head else None
                cookie = sent if sent in self.sessions else f"new{len(self.requests)}"
                known = sent in self.sessions
                self.sessions.add(cookie)
                if action == "login":
                    self.logins += 1
                if action not in ("challenge", "login") and not known:
                    text = "Response: Error\r\nMessage: Permission denied\r\n\r\n"
                elif action == "login" and self.logins > self.logins_allowed:
                    text = f"Response: Error\r\nMessage: Authentication failed\r\nActionID: {aid}\r\n\r\n"
                elif action == "waitevent":
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
                sock.sendall(b"HTTP/1.1 200 OK\r\nServer: Asterisk/22\r\nSet-Cookie: mansession_id=\"%s\"; "
                             b"Version=1; Max-Age=60\r\nContent-Length: %d\r\n\r\n" % (cookie.encode(), len(data)) + data)

    def forget(self):
        """Forget every session, as Asterisk does after httptimeout."""
        self.sessions.clear()

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


@pytest.mark.parametrize("logins_allowed", [10**9, 1], ids=["logged-in-again", "login-again-refused"])
def test_a_forgotten_session_is_logged_into_again_once_or_the_session_ends(logins_allowed):
    server = _Rawman(logins_allowed=logins_allowed)
    conn = HttpConnection(HOST, server.port)
    conn.connect()
    conn.login("admin", "secret")
    sub = conn.subscribe()
    try:
        server.forget()
        deadline = time.monotonic() + 10
        end = None
        while end is None and time.monotonic() < deadline:
            item = sub.get(0.2)
            if isinstance(item, (Notice, Closed)):
                end = item
        if logins_allowed == 1:
            assert isinstance(end, Closed) and end.reason.endswith("forgot the HTTP session and refused the login again")
            assert not conn.connected and server.logins == 2  # tried once, not again and again
        else:
            assert isinstance(end, Notice) and "logged in again" in end.text
            assert conn.send([("Action", "Ping")]).ok and server.logins == 2
    finally:
        conn.close()
        server.close()
