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

- Two kept-alive connections, spoken to by a small HTTP/1.1 client of its own
  (`_Responses` frames the answers; no ``http.client``, whose per-request
  overhead halved the rate of a batch). The **action connection** belongs to
  one I/O thread that works as the TCP one does: ``submit`` only queues and
  wakes it; it writes the queued requests back to back (HTTP pipelining:
  Asterisk's server answers the requests of one connection one after the
  other, in order, which the sandbox tests check) and reads the answers as
  they come, so a batch of 10,000 actions costs no round trip per action.
  The **poll connection** belongs to a reader thread that long-polls
  ``WaitEvent``, so an action is never stuck behind a poll. Both feed what
  they read to the same `correlator.Correlator` under the connection's lock:
  a response pairs with its action by ActionID, an ``OriginateResponse`` that
  arrives through a ``WaitEvent`` finds its Originate as over TCP.
- The poll never stops while the session lasts, which is also what keeps the
  session alive (each request renews it); its ``Timeout`` is half the cookie's
  ``Max-Age``, at most `POLL_TIMEOUT`.
- The session cookie changes in one place only. Once amish has logged in, a
  response's ``Set-Cookie`` never replaces it (a new cookie in an answer means
  the server did not know the one sent: it forgot the session); only a login
  does. The reader thread is the **one owner of logging in again**: whoever
  finds the session forgotten (a refused action or a refused poll) asks it, the
  action thread holds back the queued actions meanwhile, and the reader logs in
  with what the first login used, then says so with a `shared.Notice` in
  the subscriptions (events in between may be lost). Every action the server
  refused that way fails with ConnectionLost and is never sent again.
- An action whose request fails on the wire fails with ConnectionLost (it may
  or may not have run: it is never sent again), and so do the ones written
  after it on the same connection; the next action opens a fresh connection.
  A poll that fails is tried once on a fresh connection; when that fails too,
  the session is lost (`Closed`, as over TCP).
- ``on_wire`` gets each request and each response whole, as HTTP
  (`amish.transports.wire` masks the Secret, the Key and the session cookie);
  a recording of it replays like any other.
- ``send_raw`` (``amish raw``) refuses: raw bytes need a stream, and HTTP has
  none (the error says to use ami://).
"""

from __future__ import annotations

import hashlib
import re
import selectors
import socket
import ssl
import threading
import time
from collections import deque
from urllib.parse import quote

from ..core.correlator import fully_booted_in
from ..core.errors import AmishError, ConnectError, ConnectionLost, NotAMIError, TLSError
from ..core.protocol import HeadersLike, Message, Parser, encode_action, header_pairs
from .connection import _NAME_MISMATCH, Connection, _reason
from .shared import DEFAULT_TIMEOUT, Notice, Pending

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Callable

__all__ = ["HttpConnection", "DEFAULT_HTTP_PORT", "DEFAULT_HTTPS_PORT", "POLL_TIMEOUT", "RELOGIN_NOTICE"]

DEFAULT_HTTP_PORT = 8088
DEFAULT_HTTPS_PORT = 8089
#: The longest WaitEvent (seconds); shorter when the cookie's Max-Age says the session is short.
POLL_TIMEOUT = 20
#: A kept-alive action connection idle this long is replaced before use (Asterisk closes idle ones
#: after http.conf's session_keep_alive, 15 s by default), so an action is never lost to that race.
IDLE_REOPEN = 10.0
#: The pause between polls when the server will not hold a WaitEvent (manager.conf httptimeout under 12 s):
#: how late an event may be then.
POLL_PACE = 0.5
#: What the `Notice` says when the server forgot the session and amish logged in again.
RELOGIN_NOTICE = ("the HTTP session expired (the server forgot it: manager.conf httptimeout); logged in again. "
                  "Events in between may be lost")

_COOKIE = re.compile(r'mansession_id="?([^";,\s]*)"?', re.I)
_MAX_AGE = re.compile(r"max-age=(\d+)", re.I)
_READ = selectors.EVENT_READ
_WRITE = selectors.EVENT_WRITE


class _NotHttp(Exception):
    """The peer answered something that is not HTTP (its first line is the message)."""


class _Response:
    __slots__ = ("status", "headers", "body", "raw", "close")

    def __init__(self, status: int, headers: list, body: bytes, raw: bytes, close: bool):
        self.status = status
        self.headers = headers
        self.body = body
        self.raw = raw
        self.close = close

    def cookie(self) -> tuple[str | None, int | None]:
        """The session cookie this response sets, and its Max-Age (None when it sets none)."""
        for k, v in self.headers:
            if k.lower() == "set-cookie":
                m = _COOKIE.search(v)
                if m:
                    age = _MAX_AGE.search(v)
                    return m.group(1), int(age.group(1)) if age else None
        return None, None


class _Responses:
    """Frames HTTP/1.1 responses out of a byte stream (sans-IO): Content-Length, chunked, or up to the end."""

    def __init__(self):
        self._buf = bytearray()

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[_Response]:
        buf = self._buf
        buf += data
        out = []
        pos = 0
        while True:
            got = self._one(buf, pos, eof=False)
            if got is None:
                break
            response, pos = got
            out.append(response)
        if pos:
            del buf[:pos]  # once per feed, not once per response: a read holds hundreds of them
        return out

    def eof(self) -> _Response | None:
        """The response that ends with the connection (no Content-Length), if one is buffered."""
        got = self._one(self._buf, 0, eof=True) if self._buf else None
        self._buf.clear()
        return got[0] if got else None

    @staticmethod
    def _one(buf: bytearray, pos: int, eof: bool) -> tuple[_Response, int] | None:
        end = buf.find(b"\r\n\r\n", pos)
        if end < 0:
            line_end = buf.find(b"\r\n", pos)
            first = bytes(buf[pos:line_end if line_end >= 0 else pos + 80])
            if (line_end >= 0 or len(buf) - pos >= 5) and not first.startswith(b"HTTP/"):
                raise _NotHttp(first.decode("latin-1", "replace").strip())
            if len(buf) - pos > 65536:
                raise _NotHttp("an HTTP response head longer than 64 KiB")
            return None
        lines = bytes(buf[pos:end]).split(b"\r\n")
        status_line = lines[0].split(None, 2)
        if not lines[0].startswith(b"HTTP/") or len(status_line) < 2 or not status_line[1].isdigit():
            raise _NotHttp(lines[0].decode("latin-1", "replace").strip())
        status = int(status_line[1])
        headers = []
        length = None
        chunked = False
        close = status_line[0] == b"HTTP/1.0"
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            key, value = k.strip().decode("latin-1"), v.strip().decode("latin-1")
            headers.append((key, value))
            low = key.lower()
            if low == "content-length" and value.isdigit():
                length = int(value)
            elif low == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif low == "connection":
                close = "close" in value.lower() or (close and "keep-alive" not in value.lower())
        start = end + 4
        if chunked:
            body = bytearray()
            at = start
            while True:
                line_end = buf.find(b"\r\n", at)
                if line_end < 0:
                    return None
                size = int(bytes(buf[at:line_end]).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    tail = buf.find(b"\r\n\r\n", line_end)
                    if tail < 0:
                        return None
                    used = tail + 4
                    break
                if len(buf) < line_end + 2 + size + 2:
                    return None
                body += buf[line_end + 2:line_end + 2 + size]
                at = line_end + 2 + size + 2
            body = bytes(body)
        elif length is not None:
            used = start + length
            if len(buf) < used:
                return None
            body = bytes(buf[start:used])
        elif status in (204, 304) or 100 <= status < 200:
            used, body = start, b""
        elif eof:
            used, body, close = len(buf), bytes(buf[start:]), True
        else:
            return None
        return _Response(status, headers, body, bytes(buf[pos:used]), close), used


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
        self._queue: list[Pending] = []  # submitted, not yet written (guarded by _lock)
        self._opened = False
        self._login: tuple | None = None  # what the login used, to log in again after an expiry
        self._relogging = False  # the session was forgotten: the reader logs in again; actions wait
        self._boot_bytes_seen = False  # FullyBooted is looked for in each answer's items instead
        self._received = 0
        # the action connection: only the I/O thread touches these once it runs
        self._asock: socket.socket | None = None
        self._aout = bytearray()
        self._inflight: deque = deque()  # (pending, cookie sent, action name) in the order written
        self._aframes = _Responses()
        self._aparser = Parser(expect_banner=False)
        self._aused = 0.0
        self._thread: threading.Thread | None = None
        # the poll connection: the reader thread's
        self._psock: socket.socket | None = None
        self._poller: threading.Thread | None = None
        self._poll_wake = threading.Event()  # ends a pause between polls (closing, logging in again)
        self._host_header = f"{self.address.split('://', 1)[1].split('/', 1)[0]}"

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
        for sock in (self._asock, self._psock):
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
    def _open(self, timeout: float | None = None) -> socket.socket:
        """A new connection to the HTTP server (TLS verified as for TCP), blocking, with a timeout."""
        timeout = self.connect_timeout if timeout is None else timeout
        try:
            ctx = self._ssl_context() if self.tls else None
        except (OSError, ssl.SSLError) as e:
            raise TLSError(f"cannot use CA file {self.cafile}: {_reason(e)}") from None
        try:
            sock = socket.create_connection((self.host, self.port), timeout=timeout)
        except socket.timeout:
            raise ConnectError(f"cannot connect to {self.address}: timed out after {timeout:g} s") from None
        except OSError as e:
            hint = ""
            if isinstance(e, ConnectionRefusedError):
                hint = ("; is Asterisk's HTTP server on (http.conf: enabled = yes, bindport"
                        f"{', tlsenable = yes, tlsbindaddr' if self.tls else ''})?")
            raise ConnectError(f"cannot connect to {self.address}: {_reason(e)}{hint}") from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if ctx is None:
            return sock
        try:
            return ctx.wrap_socket(sock, server_hostname=self.server_hostname or self.host)
        except ssl.SSLCertVerificationError as e:
            sock.close()
            if e.verify_code in _NAME_MISMATCH:
                raise TLSError(self._name_mismatch()) from None
            raise TLSError(f"TLS to {self.address}: certificate not trusted ({e.verify_message}); "
                           "give its CA with --cafile, or --insecure to skip verification") from None
        except ssl.SSLError as e:
            sock.close()
            hint = "; is this an HTTPS port (http.conf tlsbindaddr)?" if "WRONG_VERSION" in str(e).upper() else ""
            raise TLSError(f"TLS handshake with {self.address} failed: {_reason(e)}{hint}") from None
        except (socket.timeout, OSError) as e:
            sock.close()
            why = f"timed out after {timeout:g} s" if isinstance(e, socket.timeout) else _reason(e)
            raise TLSError(f"TLS handshake with {self.address} failed: {why}; is this an HTTPS port?") from None

    def connect(self) -> None:
        """Reach the HTTP server and check that it serves the manager at ``prefix/rawman``; no banner."""
        if self._opened:
            raise ConnectError("already connected")
        sock = self._open()
        try:
            # a Challenge needs no login, so this look leaves no failed request in the PBX's security log
            response = self._roundtrip(sock, [("Action", "Challenge"), ("AuthType", "MD5")], None,
                                       self.connect_timeout)
        except (OSError, _NotHttp) as e:
            sock.close()
            raise NotAMIError(self._not_http(e)) from None
        status, body = response.status, response.body
        if status == 404:
            sock.close()
            root = self._root_serves_manager() if self.prefix else False
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
            sock.close()
            raise NotAMIError(f"{self.address}{self.path} answered HTTP {status}, not AMI: is this Asterisk's "
                              "HTTP server (http.conf bindport)?")
        self._take_cookie(response, None, adopt=True)
        if response.close:
            sock.close()
        else:
            self._use_action_socket(sock)
        self._opened = True
        self._thread = threading.Thread(target=self._run, name=f"amish-http {self.address}", daemon=True)
        self._thread.start()
        return None

    def _root_serves_manager(self) -> bool:
        """Whether /rawman (no prefix) answers, when prefix/rawman did not: the prefix was wrong."""
        try:
            with self._open() as sock:
                response = self._roundtrip(sock, [("Action", "Challenge"), ("AuthType", "MD5")], None,
                                           self.connect_timeout, path="/rawman")
            return response.status == 200
        except (OSError, _NotHttp, AmishError):
            return False

    def _not_http(self, e: BaseException) -> str:
        text = str(e)
        if isinstance(e, _NotHttp) and "call manager" in text.lower():
            scheme = "amis" if self.tls else "ami"
            return f"{self.address} is AMI's TCP port, not its HTTP server: use {scheme}://{self.host}:{self.port}"
        if isinstance(e, socket.timeout):
            return f"{self.address} did not answer HTTP within {self.connect_timeout:g} s; is this Asterisk's HTTP port?"
        why = f"it answered {text[:60]!r}" if isinstance(e, _NotHttp) else _reason(e)
        return f"{self.address} did not answer HTTP ({why}); is this Asterisk's HTTP port (http.conf bindport)?"

    # -- one request --------------------------------------------------------
    def _request(self, pairs, cookie: str | None, path: str | None = None) -> bytes:
        """One POST of an action's headers as form fields (UTF-8, percent-encoded), whole."""
        body = "&".join([f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs])
        head = (f"POST {path or self.path} HTTP/1.1\r\nHost: {self._host_header}\r\n"
                f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n")
        if cookie is not None:
            head += f'Cookie: mansession_id="{cookie}"\r\n'
        return (head + "\r\n" + body).encode("latin-1")  # quote() left only ASCII

    def _roundtrip(self, sock: socket.socket, pairs, cookie: str | None, timeout: float | None,
                   path: str | None = None) -> _Response:
        """Send one request on a blocking socket and read its response (OSError, _NotHttp)."""
        data = self._request(pairs, cookie, path)
        self._wire("out", data)
        sock.settimeout(timeout)
        sock.sendall(data)
        frames = _Responses()
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                last = frames.eof()
                if last is None:
                    raise ConnectionResetError(0, "the server closed the connection")
                got = [last]
            else:
                got = frames.feed(chunk)
            if got:
                self._wire("in", got[0].raw)
                return got[0]

    def _take_cookie(self, response: _Response, sent: str | None, *, adopt: bool) -> bool:
        """Note the cookie's Max-Age; take the cookie when `adopt`. Whether it names a session other than `sent`."""
        cookie, age = response.cookie()
        if cookie is None:
            return False
        if age is not None:
            self._max_age = age
        if adopt:
            self._cookie = cookie
        return sent is not None and cookie != sent

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
            self._queue.append(pending)
        self._wake()
        return pending

    def send_raw(self, data: bytes) -> None:
        raise AmishError(f"{self.address}: raw bytes need AMI's TCP port (ami:// or amis://): over HTTP each "
                         "action is a request of its own, so there is no stream to type into")

    # -- the I/O thread: the action connection ------------------------------
    def _use_action_socket(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        self._asock = sock
        self._aframes = _Responses()
        self._aused = time.monotonic()

    def _run(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self._wake_r, _READ)
        registered: tuple | None = None  # (socket, mask) as the selector has it
        try:
            while not self._stop and self.closed_reason is None:
                self._take()
                sock = self._asock
                want = (sock, _READ | (_WRITE if self._aout else 0)) if sock is not None else None
                if want != registered:
                    if registered is not None and (want is None or registered[0] is not want[0]):
                        sel.unregister(registered[0])
                        registered = None
                    if want is not None:
                        if registered is None:
                            sel.register(*want)
                        else:
                            sel.modify(*want)
                    registered = want
                for key, mask in sel.select():
                    if key.fileobj is self._wake_r:
                        self._woken()
                    elif key.fileobj is self._asock:
                        if mask & _WRITE:
                            self._write_actions()
                        if mask & _READ and self._asock is not None:
                            self._read_answers()
                if registered is not None and registered[0] is not self._asock:
                    sel.unregister(registered[0])
                    registered = None
        except Exception as e:  # never die silently
            self._lost(f"internal error in the HTTP sender: {_reason(e)}")
        finally:
            sel.close()

    def _take(self) -> None:
        """Turn the queued actions into requests at the end of the action connection's output."""
        if self._relogging or not self._queue:
            return  # while the reader logs in again, actions wait: sent now they would only be refused
        with self._lock:
            batch, self._queue = self._queue, []
        failed: AmishError | None = None
        for pending in batch:
            if pending.done:  # abandoned while queued
                continue
            name = pending.action.get("Action") or "action"
            if failed is None and (self._asock is None or (
                    not self._inflight and time.monotonic() - self._aused > IDLE_REOPEN)):
                self._drop_action_socket(None)
                try:
                    self._use_action_socket(self._open())
                except AmishError as e:
                    failed = e
            if failed is not None:
                self._fail(pending, ConnectionLost(f"{name}: {failed}; not sent"))
                continue
            cookie = self._cookie
            data = self._request([(k, v) for k, v in pending.action.headers if k is not None], cookie)
            self._wire("out", data)
            self._aout += data
            self._inflight.append((pending, cookie, name.lower()))

    def _write_actions(self) -> None:
        sock = self._asock
        try:
            sent = sock.send(self._aout)
        except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError, InterruptedError):
            return
        except (OSError, ssl.SSLError) as e:
            self._drop_action_socket(f"the request to {self.address} failed ({_reason(e)})")
            return
        del self._aout[:sent]

    def _read_answers(self) -> None:
        sock = self._asock
        is_tls = isinstance(sock, ssl.SSLSocket)
        chunks = []
        eof = None
        while True:
            try:
                data = sock.recv(262144)
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError, InterruptedError):
                break
            except (OSError, ssl.SSLError) as e:
                eof = f"the connection to {self.address} failed ({_reason(e)})"
                break
            if not data:
                eof = f"{self.address} closed the connection"
                break
            chunks.append(data)
            if not (is_tls and sock.pending()) and len(data) < 262144:
                break
        try:
            responses = self._aframes.feed(b"".join(chunks)) if chunks else []
            if eof is not None:
                last = self._aframes.eof()
                if last is not None:
                    responses.append(last)
        except _NotHttp as e:
            responses = []
            eof = f"{self.address} answered something that is not HTTP ({e})"
        if responses:
            self._aused = time.monotonic()
            self._answers(responses)
        if eof is not None and self._asock is sock:
            self._drop_action_socket(eof)

    def _answers(self, responses: list[_Response]) -> None:
        """Pair each response with the request it answers (the oldest in flight); dispatch their items at once."""
        bodies = []
        logins = []
        close = False
        inflight = self._inflight
        for response in responses:
            self._wire("in", response.raw)
            if not inflight:
                close = True  # an answer to nothing: the connection is out of step, start afresh
                break
            pending, sent, name = inflight.popleft()
            logged_in = self._login is not None
            other = self._take_cookie(response, sent, adopt=not logged_in)
            if response.close:
                close = True
            if pending.done and response.status == 200:
                bodies.append(response.body)  # abandoned: its late answer goes to the subscribers
            elif response.status != 200:
                self._fail(pending, ConnectionLost(
                    f"{pending.action.get('Action') or 'action'}: {self.address}{self.path} answered HTTP "
                    f"{response.status}"))
            elif logged_in and (other or sent != self._cookie) and name != "login" and _refused(response.body):
                self._expired(sent)  # first: an action submitted once this one is reported waits for the login
                self._fail(pending, ConnectionLost(
                    f"{pending.action.get('Action') or 'action'}: the server had forgotten the HTTP session "
                    "(manager.conf httptimeout); it was not run and is not sent again"))
            else:
                bodies.append(response.body)
                if name == "login":
                    logins.append(pending)
                elif name == "logoff":
                    self._cookie = None
            if close:
                break
        if bodies:
            items = self._aparser.receive_data(b"".join(bodies))
            self._received += len(items)
            self._dispatch(items)
        for pending in logins:
            if pending.ok and self._poller is None:
                self._start_poller()
        if close:
            self._drop_action_socket(f"{self.address} closed the connection")

    def _drop_action_socket(self, why: str | None) -> None:
        """Close the action connection; what is in flight on it fails (it may or may not have run)."""
        sock, self._asock = self._asock, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass
        self._aout.clear()
        self._aframes = _Responses()
        self._aparser = Parser(expect_banner=False)
        inflight, self._inflight = self._inflight, deque()
        for pending, _sent, _name in inflight:
            self._fail(pending, ConnectionLost(
                f"{pending.action.get('Action') or 'action'}: {why or 'the connection was closed'}; "
                "it may or may not have run, and is not sent again"))

    def _dispatch(self, items: list) -> None:
        if not self.fully_booted.is_set() and fully_booted_in(items):
            self.fully_booted.set()
        super()._dispatch(items)

    def _lost(self, reason: str) -> None:
        super()._lost(reason)
        self._wake()  # the I/O thread may be asleep in select: it ends now

    def _fail(self, pending: Pending, error: AmishError) -> None:
        self._forget(pending)
        if not pending.done:
            pending._finish(error)

    # -- logging in (again) -------------------------------------------------
    def login(self, username: str, secret: str, *, auth: str = "md5", events: str | bool = "on",
              timeout: float = DEFAULT_TIMEOUT, wait_booted: float | None = None,
              booting: Callable[[], None] | None = None) -> Message:
        response = super().login(username, secret, auth=auth, events=events, timeout=timeout,
                                 wait_booted=wait_booted, booting=booting)
        self._login = (username, secret, auth, events)
        return response

    def _expired(self, cookie: str | None) -> None:
        """The server forgot the session `cookie` named: have the reader log in again (once)."""
        with self._lock:
            if self._relogging or cookie != self._cookie or self._login is None:
                return  # being done, or done already (this answer was to the old session)
            self._relogging = True
            psock = self._psock  # the poll in progress, if any (the reader logs in on a fresh connection)
        self._poll_wake.set()
        if psock is not None and threading.current_thread() is not self._poller:
            try:
                psock.shutdown(socket.SHUT_RDWR)  # end the poll in progress: the reader has work
            except OSError:
                pass

    def _relogin(self) -> None:
        """In the reader thread: log in again with what the first login used; say so, or end the session.

        On a fresh connection each try (the one the poll used may have been shut to wake the reader);
        a second try when the first fails on the wire, then the session is lost.
        """
        for attempt in (1, 2):
            self._drop_poll_socket()
            try:
                answer, cookie = self._login_once()
                break
            except (OSError, _NotHttp, AmishError) as e:
                self._drop_poll_socket()
                if attempt == 2 or self._stop:
                    self._lost(f"{self.address} forgot the HTTP session and the login again failed: {_reason(e)}")
                    return
        if _header(answer.body, "Response").lower() != "success":
            self._lost(f"{self.address} forgot the HTTP session and refused the login again")
            return
        new, age = answer.cookie()
        with self._lock:
            self._cookie = new or cookie
            if age is not None:
                self._max_age = age
            self._relogging = False
        self._deliver([Notice(f"{self.address}: {RELOGIN_NOTICE}")])
        self._wake()  # the actions held back go now

    def _login_once(self) -> tuple[_Response, str | None]:
        """One Login (after an MD5 Challenge when the first login used one) on the reader's connection."""
        username, secret, auth, events = self._login
        if isinstance(events, bool):
            events = "on" if events else "off"
        sock = self._poll_socket()
        cookie = None
        pairs = [("Action", "Login"), ("Username", username)]
        if auth == "md5":
            answer = self._roundtrip(sock, [("Action", "Challenge"), ("AuthType", "MD5")], None, self.connect_timeout)
            cookie, _age = answer.cookie()
            token = _header(answer.body, "Challenge")
            pairs += [("AuthType", "MD5"), ("Key", hashlib.md5((token + secret).encode("utf-8")).hexdigest())]
        else:
            pairs.append(("Secret", secret))
        pairs.append(("Events", events))
        return self._roundtrip(sock, pairs, cookie, self.connect_timeout), cookie

    # -- the reader thread: WaitEvent --------------------------------------
    def _start_poller(self) -> None:
        self._poller = threading.Thread(target=self._poll_loop, name=f"amish-http-events {self.address}",
                                        daemon=True)
        self._poller.start()

    def _poll_timeout(self) -> int:
        """The WaitEvent's Timeout: what Asterisk will honour (it cuts a wait to the session's time left
        minus 10 s, so a session shorter than that gets no wait at all: 0, and polls are paced instead)."""
        age = self._max_age or 60
        return max(0, min(POLL_TIMEOUT, age // 2, age - 11))

    def _pace(self, started: float, wait: int) -> None:
        """After a poll that came back at once with nothing (a short httptimeout gives no wait): rest a little,
        short of the session's Max-Age, so the reader never spins; the session is renewed all the same."""
        if wait > 0 or time.monotonic() - started > POLL_PACE:
            return
        age = self._max_age or 60
        self._poll_wake.wait(min(POLL_PACE, age / 4))

    def _poll_socket(self) -> socket.socket:
        if self._psock is None:
            sock = self._open()
            with self._lock:  # `_expired` reads it under the lock
                self._psock = sock
        return self._psock

    def _drop_poll_socket(self) -> None:
        sock, self._psock = self._psock, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    def _poll_loop(self) -> None:
        n = 0
        failures = 0
        try:
            while not self._stop and self.closed_reason is None:
                if self._relogging:
                    self._poll_wake.clear()
                    self._relogin()
                    continue
                n += 1
                wait = self._poll_timeout()
                action_id = f"{self._id_prefix}poll-{n}"
                cookie = self._cookie
                started = time.monotonic()
                try:
                    response = self._roundtrip(
                        self._poll_socket(),
                        [("Action", "WaitEvent"), ("Timeout", str(wait)), ("ActionID", action_id)],
                        cookie, wait + max(10.0, self.connect_timeout))
                except (OSError, _NotHttp, AmishError) as e:
                    self._drop_poll_socket()
                    if self._stop or self._relogging:
                        continue  # closing, or interrupted to log in again
                    failures += 1
                    if failures >= 2:
                        self._lost(f"{self.address}: waiting for events failed: {_reason(e)}")
                        return
                    continue
                failures = 0
                if response.close:
                    self._drop_poll_socket()
                if response.status != 200:
                    self._lost(f"{self.address}{self.path} answered HTTP {response.status} while waiting for events")
                    return
                other = self._take_cookie(response, cookie, adopt=False)
                if (other or cookie != self._cookie) and _refused(response.body):
                    self._expired(cookie)
                    continue
                items = Parser(expect_banner=False).receive_data(response.body)
                items = [i for i in items if not _poll_envelope(i, action_id)]
                if items:
                    self._received += len(items)
                    self._last_rx = time.monotonic()
                    self._dispatch(items)
                else:
                    self._pace(started, wait)
        except Exception as e:  # never die silently
            self._lost(f"internal error in the HTTP event reader: {_reason(e)}")

    # -- closing ------------------------------------------------------------
    def close(self, logoff: bool = True, timeout: float = 2.0) -> None:
        if not self._opened:
            self._drop_action_socket(None)
            self._wake_r.close()
            self._wake_w.close()
            return
        if logoff:
            self._logoff_quietly(timeout)
        self._stop = True
        self._wake()
        self._poll_wake.set()
        psock = self._psock
        if psock is not None:
            try:
                psock.shutdown(socket.SHUT_RDWR)  # ends a WaitEvent in progress at once
            except OSError:
                pass
        for thread in (self._thread, self._poller):
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout)
        self._lost("closed by amish")
        self._drop_action_socket(None)
        self._drop_poll_socket()
        self._wake_r.close()
        self._wake_w.close()


def _header(body: bytes, name: str) -> str:
    m = re.search(rb"(?im)^" + name.encode() + rb"[ \t]*:[ \t]*([^\r\n]*)", body)
    return m.group(1).decode("utf-8", "replace").strip() if m else ""


def _refused(body: bytes) -> bool:
    """The server's answer to a request whose session it does not know (it was forgotten)."""
    head = body.lstrip()[:200]
    return head.lower().startswith(b"response: error") and b"\nMessage: Permission denied" in head


def _poll_envelope(item, action_id: str) -> bool:
    """The WaitEvent's own Response and its WaitEventComplete: not events anyone asked for."""
    if type(item) is not Message or item.get("ActionID") != action_id:
        return False
    return item.get("Response") is not None or (item.get("Event") or "") == "WaitEventComplete"
