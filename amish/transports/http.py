"""AMI over HTTP: Asterisk's ``/rawman`` endpoint, as a `amish.transports.base.LiveTransport`.

Asterisk's mini HTTP server (http.conf ``enabled = yes``) serves the manager
when manager.conf says ``webenabled = yes``: each action is one request to
``[prefix]/rawman`` (its headers as form fields, in a POST body, so a Login's
Secret never ends up in a URL or the server's access log), answered with the
same ``Key: Value`` text as over TCP, list items and their ``...Complete``
included. The session is a cookie (``mansession_id``) that Asterisk forgets
after manager.conf's ``httptimeout`` of silence (60 s by default); events wait
on the server until a ``WaitEvent`` fetches them.

How this transport maps that onto the rules of `base` (it reuses the TCP
`Connection`'s pairing, subscriptions, login and `Pending`s; only how bytes
travel differs):

- Two kept-alive connections (standard library `http.client`): one for the
  actions, written by a sender thread in the order they were submitted (so
  ``submit`` returns at once), and one for a reader thread that long-polls
  ``WaitEvent``, so an action is never stuck behind a poll. Both feed what
  they read to the same `correlator.Correlator` under the connection's lock:
  a response pairs with its action by ActionID, an ``OriginateResponse`` that
  arrives through a ``WaitEvent`` finds its Originate as over TCP.
- The poll never stops while the session lasts, which is also what keeps the
  session alive (each request renews it); its ``Timeout`` is half the cookie's
  ``Max-Age``, at most `POLL_TIMEOUT`.
- The server forgot the session anyway (it answers ``Permission denied`` with
  a new cookie): amish logs in again (with what the first login used) and says
  so with a `ProtocolError` item in the subscriptions (events in between may
  be lost); an action that was refused that way fails with ConnectionLost and
  is never sent again.
- An action whose request fails on the wire fails with ConnectionLost (it may
  or may not have run: it is never sent again); the next action opens a fresh
  connection. A poll that fails is tried once on a fresh connection; when that
  fails too, the session is lost (`Closed`, as over TCP).
- ``on_wire`` gets each request and each response whole, as HTTP
  (`amish.transports.wire` masks the Secret, the Key and the session cookie);
  a recording of it replays like any other.
- ``send_raw`` (``amish raw``) refuses: raw bytes need a stream, and HTTP has
  none (the error says to use ami://).
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import threading
import time
from urllib.parse import quote

from ..core.correlator import fully_booted_in
from ..core.errors import AmishError, ConnectError, ConnectionLost, NotAMIError, TLSError
from ..core.protocol import HeadersLike, Message, Parser, ProtocolError, encode_action, header_pairs
from .connection import _NAME_MISMATCH, DEFAULT_TIMEOUT, Connection, Pending, _reason

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Callable

__all__ = ["HttpConnection", "DEFAULT_HTTP_PORT", "DEFAULT_HTTPS_PORT", "POLL_TIMEOUT"]

DEFAULT_HTTP_PORT = 8088
DEFAULT_HTTPS_PORT = 8089
#: The longest WaitEvent (seconds); shorter when the cookie's Max-Age says the session is short.
POLL_TIMEOUT = 20
#: A kept-alive action connection idle this long is replaced before use (Asterisk closes idle ones
#: after http.conf's session_inactivity, 30 s by default), so an action is never lost to that race.
IDLE_REOPEN = 10.0

_COOKIE = re.compile(r'mansession_id="?([^";,\s]*)"?', re.I)
_MAX_AGE = re.compile(r"max-age=(\d+)", re.I)
_STOP = object()


class HttpConnection(Connection):
    """One AMI session over HTTP(S) ``/rawman``. Thread-safe, as `Connection`.

    >>> conn = HttpConnection("127.0.0.1", 8088)
    >>> conn.connect(); conn.login("admin", "secret")
    >>> conn.send([("Action", "Ping")]).response["Ping"]
    'Pong'
    """

    kind = "http"
    live = True

    def __init__(self, host: str = "127.0.0.1", port: int | None = None, *, prefix: str = "", tls: bool = False,
                 **kw):
        kw.pop("banner_timeout", None)
        port = port if port is not None else (DEFAULT_HTTPS_PORT if tls else DEFAULT_HTTP_PORT)
        super().__init__(host, port, tls=tls, **kw)
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        self.path = f"{self.prefix}/rawman"
        self._cookie: str | None = None
        self._max_age: int | None = None
        self._queue: list = []
        self._cond = threading.Condition()
        self._conns: dict[str, http.client.HTTPConnection | None] = {"action": None, "poll": None}
        self._used: dict[str, float] = {}
        self._sender: threading.Thread | None = None
        self._poller: threading.Thread | None = None
        self._opened = False
        self._login: tuple | None = None  # what the login used, to log in again after an expiry
        self._relogin_lock = threading.Lock()
        self._boot_bytes_seen = False  # FullyBooted is looked for in each poll's body instead
        self._received = 0

    # -- state --------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._opened and self.closed_reason is None

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}{self.prefix}"

    @property
    def peer_ip(self) -> str | None:
        for conn in self._conns.values():
            sock = conn.sock if conn is not None else None
            try:
                if sock is not None:
                    return sock.getpeername()[0]
            except OSError:
                pass
        return None

    @property
    def messages_received(self) -> int:
        return self._received

    # -- connecting ---------------------------------------------------------
    def _new_http(self) -> http.client.HTTPConnection:
        if self.tls:
            try:
                ctx = self._ssl_context()
            except (OSError, ssl.SSLError) as e:
                raise TLSError(f"cannot use CA file {self.cafile}: {_reason(e)}") from None
            conn = http.client.HTTPSConnection(self.host, self.port, timeout=self.connect_timeout, context=ctx)
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.connect_timeout)
        try:
            conn.connect()
        except ssl.SSLCertVerificationError as e:
            conn.close()
            if e.verify_code in _NAME_MISMATCH:
                raise TLSError(self._name_mismatch()) from None
            raise TLSError(f"TLS to {self.address}: certificate not trusted ({e.verify_message}); "
                           "give its CA with --cafile, or --insecure to skip verification") from None
        except ssl.SSLError as e:
            conn.close()
            hint = "; is this an HTTPS port (http.conf tlsbindaddr)?" if "WRONG_VERSION" in str(e).upper() else ""
            raise TLSError(f"TLS handshake with {self.address} failed: {_reason(e)}{hint}") from None
        except socket.timeout:
            conn.close()
            raise ConnectError(f"cannot connect to {self.address}: timed out after {self.connect_timeout:g} s") from None
        except OSError as e:
            conn.close()
            hint = ""
            if isinstance(e, ConnectionRefusedError):
                hint = ("; is Asterisk's HTTP server on (http.conf: enabled = yes, bindport"
                        f"{', tlsenable = yes, tlsbindaddr' if self.tls else ''})?")
            raise ConnectError(f"cannot connect to {self.address}: {_reason(e)}{hint}") from None
        if conn.sock is not None:
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def connect(self) -> None:
        """Reach the HTTP server and check that it serves the manager at ``prefix/rawman``; no banner."""
        if self._opened:
            raise ConnectError("already connected")
        conn = self._new_http()
        self._conns["action"] = conn
        try:
            # a Challenge needs no login, so this look leaves no failed request in the PBX's security log
            status, _new, body = self._exchange("action", [("Action", "Challenge"), ("AuthType", "MD5")],
                                                timeout=self.connect_timeout)
        except AmishError:
            self._close_http()
            raise
        except (OSError, http.client.HTTPException) as e:
            self._close_http()
            raise NotAMIError(self._not_http(e)) from None
        if status == 404:
            root = self._root_serves_manager() if self.prefix else False
            self._close_http()
            if root:
                raise NotAMIError(f"{self.address}: no manager at {self.path}, but there is one at /rawman: "
                                  f"the server has no prefix {self.prefix!r} (http.conf prefix); "
                                  f"use {self.address[: -len(self.prefix)]}")
            raise NotAMIError(
                f"{self.address}: no manager at {self.path} (HTTP 404): turn it on with webenabled = yes in "
                "manager.conf's [general] (then 'manager reload'), or give the prefix of http.conf "
                "(http://host:port/PREFIX)"
            )
        if status != 200 or not body.lstrip().lower().startswith((b"response:", b"event:")):
            self._close_http()
            raise NotAMIError(f"{self.address}{self.path} answered HTTP {status}, not AMI: is this Asterisk's "
                              "HTTP server (http.conf bindport)?")
        self._opened = True
        self._sender = threading.Thread(target=self._send_loop, name=f"amish-http {self.address}", daemon=True)
        self._sender.start()
        return None

    def _root_serves_manager(self) -> bool:
        """Whether /rawman (no prefix) answers, when prefix/rawman did not: the prefix was wrong."""
        path, self.path = self.path, "/rawman"
        try:
            status, _new, _body = self._exchange("action", [("Action", "Challenge"), ("AuthType", "MD5")],
                                                 timeout=self.connect_timeout)
            return status == 200
        except (OSError, http.client.HTTPException, AmishError):
            return False
        finally:
            self.path = path

    def _not_http(self, e: BaseException) -> str:
        text = str(e)
        if isinstance(e, http.client.BadStatusLine) and "call manager" in text.lower():
            scheme = "amis" if self.tls else "ami"
            return f"{self.address} is AMI's TCP port, not its HTTP server: use {scheme}://{self.host}:{self.port}"
        if isinstance(e, socket.timeout):
            return f"{self.address} did not answer HTTP within {self.connect_timeout:g} s; is this Asterisk's HTTP port?"
        return f"{self.address} did not answer HTTP ({_reason(e)}); is this Asterisk's HTTP port (http.conf bindport)?"

    # -- one HTTP exchange --------------------------------------------------
    def _request_bytes(self, headers: list[tuple[str, str]], body: bytes) -> bytes:
        lines = [f"POST {self.path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Accept-Encoding: identity",
                 "Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        if self._cookie is not None:
            lines.append(f'Cookie: mansession_id="{self._cookie}"')
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    def _exchange(self, which: str, pairs: list, *, timeout: float | None) -> tuple[int, bool, bytes]:
        """POST one action on connection `which`: (status, whether the server started a new session, body).

        Raises OSError/HTTPException.
        """
        body = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs).encode("ascii")
        conn = self._conns.get(which)
        if conn is None or (which == "action" and time.monotonic() - self._used.get(which, 0) > IDLE_REOPEN):
            if conn is not None:
                conn.close()
            conn = self._conns[which] = self._new_http()
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept-Encoding": "identity"}
        sent_cookie = self._cookie
        if sent_cookie is not None:
            headers["Cookie"] = f'mansession_id="{self._cookie}"'
        if self.on_wire is not None:
            self._wire("out", self._request_bytes(pairs, body))
        try:
            conn.request("POST", self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except BaseException:
            conn.close()
            self._conns[which] = None
            raise
        self._used[which] = time.monotonic()
        got = resp.getheaders()
        if self.on_wire is not None:
            head = f"HTTP/1.1 {resp.status} {resp.reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in got) + "\r\n"
            self._wire("in", head.encode("latin-1", "replace") + data)
        if resp.will_close:
            conn.close()
            self._conns[which] = None
        new_session = False
        for k, v in got:
            if k.lower() == "set-cookie":
                m = _COOKIE.search(v)
                if m:
                    new_session = sent_cookie is not None and m.group(1) != sent_cookie
                    self._cookie = m.group(1)
                age = _MAX_AGE.search(v)
                if age:
                    self._max_age = int(age.group(1))
        return resp.status, new_session, data

    # -- sending ------------------------------------------------------------
    def submit(self, headers: HeadersLike, *, wait_event: str | None = None) -> Pending:
        message = headers if isinstance(headers, Message) else Message(list(header_pairs(headers)))
        action_id = message.get("ActionID")
        if action_id is None:
            action_id = f"{self._id_prefix}{next(self._ids)}"
            message = Message(message.headers + [("ActionID", action_id)])
        encode_action(message)  # HeaderError for what cannot be sent, as over TCP
        pending = Pending(message, action_id, wait_event)
        with self._lock:
            if self.closed_reason is not None or not self._opened:
                raise ConnectionLost(f"not connected to {self.address}" + (f": {self.closed_reason}" if self.closed_reason else ""))
            self._correlator.expect(pending)
            pending.sent_at = time.monotonic()
        with self._cond:
            self._queue.append(pending)
            self._cond.notify()
        return pending

    def send_raw(self, data: bytes) -> None:
        raise AmishError(f"{self.address}: raw bytes need AMI's TCP port (ami:// or amis://): over HTTP each "
                         "action is a request of its own, so there is no stream to type into")

    def _send_loop(self) -> None:
        try:
            while True:
                with self._cond:
                    while not self._queue:
                        self._cond.wait()
                    pending = self._queue.pop(0)
                if pending is _STOP:
                    return
                self._send_one(pending)
        except Exception as e:  # never die silently
            self._lost(f"internal error in the HTTP sender: {_reason(e)}")

    def _send_one(self, pending: Pending) -> None:
        if pending.done:  # abandoned while queued
            return
        pairs = [(k, v) for k, v in pending.action.headers if k is not None]
        name = (pending.action.get("Action") or "").lower()
        try:
            status, new_session, body = self._exchange("action", pairs, timeout=None)
        except (OSError, http.client.HTTPException) as e:
            self._fail(pending, ConnectionLost(
                f"{pending.action.get('Action') or 'action'}: the request to {self.address} failed "
                f"({_reason(e)}); it may or may not have run, and is not sent again"))
            return
        if status != 200:
            self._fail(pending, ConnectionLost(
                f"{pending.action.get('Action') or 'action'}: {self.address}{self.path} answered HTTP {status}"))
            return
        items = self._parse(body)
        if self._login is not None and new_session and name != "login" and _refused_session(items):
            self._fail(pending, ConnectionLost(
                f"{pending.action.get('Action') or 'action'}: the server had forgotten the HTTP session "
                "(manager.conf httptimeout); it was not run and is not sent again"))
            self._relogin("action")
            return
        self._dispatch(items)
        if name == "login" and pending.ok and self._poller is None:
            self._start_poller()
        if name == "logoff":
            self._cookie = None

    def _dispatch(self, items: list) -> None:
        # an action's response may carry events too (Asterisk appends what it queued meanwhile)
        if not self.fully_booted.is_set() and fully_booted_in(items):
            self.fully_booted.set()
        super()._dispatch(items)

    def _fail(self, pending: Pending, error: AmishError) -> None:
        self._forget(pending)
        pending._finish(error)

    def _parse(self, body: bytes) -> list:
        parser = Parser(expect_banner=False)
        items = parser.receive_data(body)
        items.extend(parser.eof())
        self._received += len(items)
        return items

    # -- logging in (again) -------------------------------------------------
    def login(self, username: str, secret: str, *, auth: str = "md5", events: str | bool = "on",
              timeout: float = DEFAULT_TIMEOUT, wait_booted: float | None = None,
              booting: Callable[[], None] | None = None) -> Message:
        response = super().login(username, secret, auth=auth, events=events, timeout=timeout,
                                 wait_booted=wait_booted, booting=booting)
        self._login = (username, secret, auth, events)
        return response

    def _relogin(self, which: str) -> None:
        """The server forgot the session: log in again (on `which`, the calling thread's connection); say so."""
        if not self._relogin_lock.acquire(blocking=False):
            with self._relogin_lock:  # another thread is at it: wait for it
                return
        try:
            if self._login is None or self.closed_reason is not None:
                return
            username, secret, auth, events = self._login
            if isinstance(events, bool):
                events = "on" if events else "off"
            self._cookie = None
            pairs = [("Action", "Login"), ("Username", username)]
            if auth == "md5":
                _s, _h, body = self._exchange(which, [("Action", "Challenge"), ("AuthType", "MD5")],
                                              timeout=self.connect_timeout)
                token = _header(body, "Challenge")
                import hashlib

                pairs += [("AuthType", "MD5"), ("Key", hashlib.md5((token + secret).encode("utf-8")).hexdigest())]
            else:
                pairs.append(("Secret", secret))
            pairs.append(("Events", events))
            _s, _h, body = self._exchange(which, pairs, timeout=self.connect_timeout)
            if _header(body, "Response").lower() != "success":
                self._lost(f"{self.address} forgot the HTTP session and refused the login again")
                return
            self._deliver([ProtocolError(
                f"{self.address} had forgotten the HTTP session (manager.conf httptimeout): amish logged in "
                "again; events in between may be lost")])
        except (OSError, http.client.HTTPException) as e:
            self._lost(f"{self.address} forgot the HTTP session and the login again failed: {_reason(e)}")
        finally:
            self._relogin_lock.release()

    # -- the reader thread: WaitEvent --------------------------------------
    def _start_poller(self) -> None:
        self._poller = threading.Thread(target=self._poll_loop, name=f"amish-http-events {self.address}",
                                        daemon=True)
        self._poller.start()

    def _poll_timeout(self) -> int:
        age = self._max_age or 60
        return max(1, min(POLL_TIMEOUT, age // 2))

    def _poll_loop(self) -> None:
        n = 0
        failures = 0
        try:
            while not self._stop and self.closed_reason is None:
                n += 1
                wait = self._poll_timeout()
                action_id = f"{self._id_prefix}poll-{n}"
                try:
                    status, new_session, body = self._exchange(
                        "poll", [("Action", "WaitEvent"), ("Timeout", str(wait)), ("ActionID", action_id)],
                        timeout=wait + max(10.0, self.connect_timeout))
                except (OSError, http.client.HTTPException, AmishError) as e:
                    if self._stop:
                        return
                    failures += 1
                    if failures >= 2:
                        self._lost(f"{self.address}: waiting for events failed: {_reason(e)}")
                        return
                    continue
                failures = 0
                if status != 200:
                    self._lost(f"{self.address}{self.path} answered HTTP {status} while waiting for events")
                    return
                items = self._parse(body)
                if new_session and _refused_session(items):
                    if self._stop:
                        return
                    self._relogin("poll")
                    continue
                items = [i for i in items if not _poll_envelope(i, action_id)]
                if items:
                    self._last_rx = time.monotonic()
                    self._dispatch(items)
        except Exception as e:  # never die silently
            self._lost(f"internal error in the HTTP event reader: {_reason(e)}")

    # -- closing ------------------------------------------------------------
    def close(self, logoff: bool = True, timeout: float = 2.0) -> None:
        if not self._opened:
            self._close_http()
            self._wake_r.close()
            self._wake_w.close()
            return
        if logoff and self.username is not None and self.closed_reason is None:
            try:
                self.send([("Action", "Logoff")], timeout=timeout)
            except AmishError:
                pass
        self._stop = True
        with self._cond:
            self._queue.append(_STOP)
            self._cond.notify()
        poll = self._conns.get("poll")
        if poll is not None and poll.sock is not None:
            try:
                poll.sock.shutdown(socket.SHUT_RDWR)  # ends a WaitEvent in progress at once
            except OSError:
                pass
        for thread in (self._sender, self._poller):
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout)
        self._lost("closed by amish")
        self._close_http()
        self._wake_r.close()
        self._wake_w.close()

    def _close_http(self) -> None:
        for which, conn in list(self._conns.items()):
            if conn is not None:
                try:
                    conn.close()
                except OSError:
                    pass
            self._conns[which] = None


def _header(body: bytes, name: str) -> str:
    m = re.search(rb"(?im)^" + name.encode() + rb"[ \t]*:[ \t]*([^\r\n]*)", body)
    return m.group(1).decode("utf-8", "replace").strip() if m else ""


def _refused_session(items: list) -> bool:
    """The server's answer to a request whose session it does not know (it was forgotten)."""
    for item in items:
        if type(item) is Message and item.get("Response") is not None:
            return (item.get("Response") or "").lower() == "error" and (item.get("Message") or "") == "Permission denied"
    return False


def _poll_envelope(item, action_id: str) -> bool:
    """The WaitEvent's own Response and its WaitEventComplete: not events anyone asked for."""
    if type(item) is not Message or item.get("ActionID") != action_id:
        return False
    return item.get("Response") is not None or (item.get("Event") or "") == "WaitEventComplete"
