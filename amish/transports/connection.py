"""A live AMI connection: sockets, TLS, login, and one I/O thread.

UI-free: imports nothing from prompt_toolkit or rich, so scripts, the pipe
tool and the shell all share it.

The TCP/TLS implementation of `amish.transports.base.LiveTransport` (that module
says what every transport guarantees; `Pending`, `Subscription`, `Closed` and
`Notice`, shared by all of them, live in `amish.transports.shared` and are
re-exported here).

One background thread owns the socket. It reads, frames (with the sans-IO
`protocol.Parser`), pairs answers with their actions (with the sans-IO
`correlator.Correlator`, under the connection's lock, once per read), and
hands everything over without ever waiting on a consumer: waiters are woken
with a `threading.Event`, subscribers get bounded deques whose overflow is
counted.
Sends from any thread are queued and written by the same I/O thread, so a
caller never blocks on the network and TLS is never read and written from
two threads at once.
"""

from __future__ import annotations

import collections
import itertools
import os
import selectors
import socket
import ssl
import threading
import time

TYPE_CHECKING = False  # typing costs ~2 ms of every start-up
if TYPE_CHECKING:  # pragma: no cover
    from typing import Callable

from ..core.correlator import Correlator, fully_booted_in
from ..core.errors import (
    ActionTimeout,
    AmishError,
    AuthenticationError,
    ConnectError,
    ConnectionLost,
    NotAMIError,
    TLSError,
)
from ..core.protocol import (
    Banner,
    HeadersLike,
    Message,
    Parser,
    ProtocolError,
    encode_action,
    header_pairs,
    is_ami_banner,
)
from .shared import DEFAULT_TIMEOUT, Closed, Notice, Pending, Subscription

__all__ = [
    "Connection",
    "Pending",
    "Subscription",
    "Closed",
    "Notice",
    "DEFAULT_PORT",
    "DEFAULT_TLS_PORT",
]

DEFAULT_PORT = 5038
DEFAULT_TLS_PORT = 5039

WireHook = "Callable[[str, bytes], None]"  # for annotations: (direction, data)


# X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH: the chain is trusted, the name is not in it
_NAME_MISMATCH = frozenset({62, 64})


class Connection:
    """One AMI session. Thread-safe; all methods may be called from any thread.

    >>> conn = Connection("127.0.0.1", 5038)
    >>> conn.connect(); conn.login("admin", "secret")
    >>> conn.send([("Action", "Ping")]).response["Ping"]
    'Pong'
    """

    kind = "tcp"  # TLS or not: see `tls`
    live = True

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int | None = None,
        *,
        tls: bool = False,
        cafile: str | None = None,
        certfile: str | None = None,
        keyfile: str | None = None,
        insecure: bool = False,
        server_hostname: str | None = None,
        connect_timeout: float = 5.0,
        banner_timeout: float = 5.0,
        fallback_encoding: str = "latin-1",
        on_wire: WireHook | None = None,
        keepalive: float | None = None,
    ):
        self.host = host
        self.port = port if port is not None else (DEFAULT_TLS_PORT if tls else DEFAULT_PORT)
        self.tls = tls
        self.cafile = cafile
        self.certfile = certfile
        self.keyfile = keyfile
        self.insecure = insecure
        self.server_hostname = server_hostname
        self.connect_timeout = connect_timeout
        self.banner_timeout = banner_timeout
        self.on_wire = on_wire
        self.banner: Banner | None = None
        self.username: str | None = None
        self._login_sent = False  # a Login went out: close() logs off even before its answer is read
        self.closed_reason: str | None = None
        self._parser = Parser(fallback_encoding=fallback_encoding)
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # guards _correlator, _out, _subs
        self._correlator = Correlator()  # the actions in flight
        self._out = bytearray()
        self._subs: list[Subscription] = []
        self._ids = itertools.count(1)
        self._id_prefix = f"amish-{os.getpid()}-"
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._wake_pending = False
        self._stop = False
        self._early: list = []
        self._boot_bytes_seen = True  # until the I/O thread starts: the login's items are looked at
        self._rx_tail = b""  # the last bytes of the previous read (a name cut between two reads)
        #: What arrived before anyone subscribed, for the first subscriber (bounded).
        self._backlog: collections.deque = collections.deque(maxlen=10_000)
        self.backlog_dropped = 0
        #: Set when the server says Event: FullyBooted (it does after a login whose
        #: Events include "system", when Asterisk has finished booting).
        self.fully_booted = threading.Event()
        #: Seconds of silence before a keepalive Ping; no answer within as long means a dead peer.
        self.keepalive = keepalive
        self._last_rx = time.monotonic()
        self._keepalive_pending: Pending | None = None

    # -- state --------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._sock is not None and self.closed_reason is None

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def peer_ip(self) -> str | None:
        """The IP address actually reached (after name resolution); None when not connected."""
        sock = self._sock
        try:
            return sock.getpeername()[0] if sock is not None else None
        except OSError:
            return None

    # -- connecting ---------------------------------------------------------
    def _ssl_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.cafile)
        if self.insecure:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if self.certfile:
            try:
                ctx.load_cert_chain(self.certfile, self.keyfile)
            except (OSError, ssl.SSLError) as e:
                raise TLSError(f"cannot load client certificate {self.certfile}: {_reason(e)}") from None
        return ctx

    def _name_mismatch(self) -> str:
        """What to say when the certificate is trusted but does not name the host asked for."""
        name = self.server_hostname or self.host
        names = self._certificate_names()
        held = f" (it names {', '.join(names)})" if names else ""
        return (f"TLS to {self.address}: the certificate does not name {name}{held}; "
                "connect by a name it holds")

    def _certificate_names(self) -> list[str]:
        """The names of the server's certificate, read in a second handshake that checks it but not the name.

        Empty when that fails: the message then only says the name does not match.
        """
        try:
            ctx = self._ssl_context()
            ctx.check_hostname = False  # the chain is still verified: only a trusted certificate is quoted
            with socket.create_connection((self.host, self.port), timeout=self.connect_timeout) as raw:
                with ctx.wrap_socket(raw, server_hostname=self.server_hostname or self.host) as tls:
                    cert = tls.getpeercert() or {}
        except (OSError, ssl.SSLError, TLSError, ValueError):
            return []
        names = [str(value) for kind, value in cert.get("subjectAltName", ()) if kind in ("DNS", "IP Address")]
        if not names:  # no subjectAltName: the common name
            names = [str(v) for rdn in cert.get("subject", ()) for k, v in rdn if k == "commonName"]
        return list(dict.fromkeys(names))

    def connect(self) -> Banner:
        """Open the socket (and TLS), read the banner, start the I/O thread."""
        if self._sock is not None:
            raise ConnectError("already connected")
        try:
            ctx = self._ssl_context() if self.tls else None
        except (OSError, ssl.SSLError) as e:
            raise TLSError(f"cannot use CA file {self.cafile}: {_reason(e)}") from None
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        except socket.timeout:
            raise ConnectError(f"cannot connect to {self.address}: timed out after {self.connect_timeout:g} s") from None
        except OSError as e:
            raise ConnectError(f"cannot connect to {self.address}: {_reason(e)}") from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if ctx is not None:
            try:
                sock = ctx.wrap_socket(sock, server_hostname=self.server_hostname or self.host)
            except ssl.SSLCertVerificationError as e:
                sock.close()
                if e.verify_code in _NAME_MISMATCH:  # trusted, but issued for other names: --cafile cannot help
                    raise TLSError(self._name_mismatch()) from None
                raise TLSError(
                    f"TLS to {self.address}: certificate not trusted ({e.verify_message}); "
                    "give its CA with --cafile, or --insecure to skip verification"
                ) from None
            except ssl.SSLError as e:
                sock.close()
                hint = "; is this a TLS port?" if "WRONG_VERSION" in str(e).upper() else ""
                raise TLSError(f"TLS handshake with {self.address} failed: {_reason(e)}{hint}") from None
            except (socket.timeout, OSError) as e:
                sock.close()
                why = f"timed out after {self.connect_timeout:g} s" if isinstance(e, socket.timeout) else _reason(e)
                raise TLSError(f"TLS handshake with {self.address} failed: {why}; is this a TLS port?") from None
        try:
            banner = self._read_banner(sock, ctx)
        except BaseException:
            sock.close()
            raise
        self.banner = banner
        self._sock = sock
        sock.setblocking(False)
        self._thread = threading.Thread(target=self._run, name=f"amish-io {self.address}", daemon=True)
        self._thread.start()
        return banner

    def _read_banner(self, sock: socket.socket, ctx: ssl.SSLContext | None = None) -> Banner:
        start = time.monotonic()
        deadline = start + self.banner_timeout
        # Asterisk sends its banner as soon as it accepts; a server that waits for the client
        # to speak first is asked, on a connection of its own, whether it is an HTTP server.
        probe_at = start + min(HTTP_PROBE_AFTER, self.banner_timeout / 2)
        items: list = []
        while True:
            now = time.monotonic()
            remaining = deadline - now
            if remaining <= 0:
                raise NotAMIError(
                    f"{self.address} sent no AMI banner within {self.banner_timeout:g} s; "
                    "is this the AMI port" + ("" if self.tls else " (or a TLS-only port)") + "?"
                )
            if probe_at is not None and now >= probe_at and not items:
                probe_at = None
                server = self._http_server(ctx, remaining)
                if server is not None:
                    raise NotAMIError(_http_port_message(self.address, server, self.tls))
                continue
            sock.settimeout(min(remaining, probe_at - now) if probe_at is not None else remaining)
            try:
                data = sock.recv(65536)
            except socket.timeout:
                continue
            except OSError as e:
                raise ConnectError(f"{self.address} failed before the banner: {_reason(e)}") from None
            if not data:
                raise NotAMIError(f"{self.address} closed the connection before sending a banner")
            self._wire("in", data)
            items.extend(self._parser.receive_data(data))
            if items and isinstance(items[0], Banner):
                banner = items[0]
                if not is_ami_banner(banner.text):
                    shown = banner.text[:80]
                    raise NotAMIError(f"{self.address} is not AMI: it answered {shown!r}")
                self._early = items[1:]
                return banner

    def _http_server(self, ctx: ssl.SSLContext | None, timeout: float) -> str | None:
        """The Server header (or "") when the peer answers HTTP on a connection of its own; else None.

        Only for a peer that sent no banner: the probe never touches the AMI
        connection, so a slow Asterisk that sends its banner late is unharmed.
        """
        timeout = max(0.1, min(timeout, 2.0))
        try:
            with socket.create_connection((self.host, self.port), timeout=timeout) as raw:
                probe = ctx.wrap_socket(raw, server_hostname=self.server_hostname or self.host) if ctx else raw
                with probe:
                    probe.settimeout(timeout)
                    probe.sendall(b"HEAD / HTTP/1.0\r\nUser-Agent: amish\r\nConnection: close\r\n\r\n")
                    data = b""
                    while b"\r\n\r\n" not in data and len(data) < 4096:
                        chunk = probe.recv(4096)
                        if not chunk:
                            break
                        data += chunk
        except (OSError, ssl.SSLError, ValueError):
            return None
        if not data.startswith(b"HTTP/"):
            return None
        for line in data.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"server":
                return value.strip().decode("ascii", "replace")[:60]
        return ""

    def login(
        self,
        username: str,
        secret: str,
        *,
        auth: str = "md5",
        events: str | bool = "on",
        timeout: float = DEFAULT_TIMEOUT,
        wait_booted: float | None = None,
        booting: Callable[[], None] | None = None,
    ) -> Message:
        """Log in by MD5 challenge (default) or plain secret; returns the response.

        `events`: the Events header of the Login (on, off, or a mask such as
        ``system,call``). Raises AuthenticationError when refused.
        """
        if isinstance(events, bool):
            events = "on" if events else "off"
        headers: list[tuple[str, str]] = [("Action", "Login"), ("Username", username)]
        if auth == "md5":
            try:
                challenge = self.send([("Action", "Challenge"), ("AuthType", "MD5")], timeout=timeout)
            except ActionTimeout:
                raise ConnectError(f"{self.address} did not answer the login within {timeout:g} s") from None
            except ConnectionLost:
                raise AuthenticationError(
                    f"{self.address} closed the connection before login (at the MD5 challenge)", refused=False
                ) from None
            token = challenge.response.get("Challenge") if challenge.ok else None
            if not token:
                why = challenge.response.get("Message") if challenge.response else None
                raise AuthenticationError(
                    f"{self.address} refused the MD5 challenge ({why or 'no challenge given'}); try --auth plain"
                )
            import hashlib  # only for an MD5 login

            key = hashlib.md5((token + secret).encode("utf-8")).hexdigest()
            headers += [("AuthType", "MD5"), ("Key", key)]
        elif auth == "plain":
            headers.append(("Secret", secret))
        else:
            raise ValueError(f"unknown auth method {auth!r} (md5 or plain)")
        headers.append(("Events", events))
        self._login_sent = True  # a signal may land between the answer and `self.username` below
        try:
            result = self.send(headers, timeout=timeout)
        except ActionTimeout:
            self._login_sent = False
            raise ConnectError(f"{self.address} did not answer the login within {timeout:g} s") from None
        except ConnectionLost:
            self._login_sent = False
            raise AuthenticationError(
                f"{self.address} closed the connection during login (wrong user or secret, or not permitted from here)",
                refused=False,
            ) from None
        if not result.ok:
            self._login_sent = False
            why = result.response.get("Message") or "login refused"
            raise AuthenticationError(f"login to {self.address} as {username} failed: {why}")
        self.username = username
        if wait_booted and _sees_system_events(events):
            # a restarting Asterisk accepts logins before its modules are loaded:
            # wait for FullyBooted before the user's actions go out
            # (it follows the Login response at once when Asterisk is up and the account
            # may read system events; an account that may not never hears it, so ask the
            # CLI instead, which needs the command privilege, or stop waiting)
            if not self.fully_booted.wait(min(0.5, wait_booted)):
                notice = threading.Timer(0.5, booting) if booting is not None else None
                if notice is not None:
                    notice.daemon = True
                    notice.start()  # say so only if the probe really waits
                try:
                    probe = self.send(
                        [("Action", "Command"), ("Command", "core waitfullybooted")], timeout=wait_booted
                    )
                except ActionTimeout:
                    raise ActionTimeout(
                        f"{self.address} did not finish booting within {wait_booted:g} s (is Asterisk still starting?)"
                    ) from None
                finally:
                    if notice is not None:
                        notice.cancel()
                if probe.ok:
                    self.fully_booted.set()
                # else: no command privilege and no system events: cannot tell, so do not hold the user up
        return result.response

    # -- sending ------------------------------------------------------------
    def submit(self, headers: HeadersLike, *, wait_event: str | None = None) -> Pending:
        """Queue an action for sending and return at once; `Pending.wait()` for the result.

        An ActionID is added when the action has none; the user's own is kept.
        `wait_event`: also wait for this event with the same ActionID
        (``OriginateResponse`` for an async Originate).
        Raises HeaderError for headers that cannot be sent, ConnectionLost when closed.
        """
        message = headers if isinstance(headers, Message) else Message(list(header_pairs(headers)))
        action_id = message.get("ActionID")
        if action_id is None:
            action_id = f"{self._id_prefix}{next(self._ids)}"
            message = Message(message.headers + [("ActionID", action_id)])
        data = encode_action(message)
        pending = Pending(message, action_id, wait_event)
        with self._lock:
            if self.closed_reason is not None or self._sock is None:
                raise ConnectionLost(f"not connected to {self.address}" + (f": {self.closed_reason}" if self.closed_reason else ""))
            self._correlator.expect(pending)
            pending.sent_at = time.monotonic()
            self._wire("out", data)  # under the lock: a trace never shows the answer before the action
            self._out += data
        self._wake()
        return pending

    def send(
        self, headers: HeadersLike, *, timeout: float | None = DEFAULT_TIMEOUT, wait_event: str | None = None
    ) -> Pending:
        """Send an action and wait for its complete result (list items included)."""
        pending = self.submit(headers, wait_event=wait_event)
        try:
            return pending.wait(timeout)
        except ActionTimeout:
            self._forget(pending)
            raise

    def send_raw(self, data: bytes) -> None:
        """Send bytes as they are (the telnet-like raw mode); nothing is correlated."""
        with self._lock:
            if self.closed_reason is not None or self._sock is None:
                raise ConnectionLost(f"not connected to {self.address}")
            self._wire("out", data)
            self._out += data
        self._wake()

    def abandon(self, pending: Pending, reason: str = "no longer waited for") -> None:
        """Stop waiting for `pending`: it fails with ActionTimeout; a late response goes to subscribers."""
        self._forget(pending)
        name = pending.action.get("Action") or "action"
        pending._finish(ActionTimeout(f"{name}: {reason}"))

    def _forget(self, pending: Pending) -> None:
        with self._lock:
            self._correlator.forget(pending)

    def subscribe(self, maxlen: int = 100_000, callback: Callable[[], None] | None = None) -> Subscription:
        """Receive everything no action claims: events, late responses, errors."""
        sub = Subscription(maxlen, callback)
        with self._lock:
            first = not self._subs
            self._subs.append(sub)
            backlog = list(self._backlog) if first else []
            self._backlog.clear()
            if first and self.backlog_dropped:
                sub.dropped += self.backlog_dropped
                self.backlog_dropped = 0
            if self.closed_reason is not None and not any(isinstance(i, Closed) for i in backlog):
                backlog.append(Closed(self.closed_reason))
        if backlog:
            sub.put_many(backlog)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    # -- closing ------------------------------------------------------------
    def _logoff_quietly(self, timeout: float) -> None:
        """Log off when logged in (or a Login went out: its answer may be in while `username` is not yet
        set) and still connected; a failure changes nothing (the session ends anyway). Asterisk answers a
        Logoff with Goodbye whether or not the login succeeded."""
        if (self.username is not None or self._login_sent) and self.closed_reason is None:
            try:
                self.send([("Action", "Logoff")], timeout=timeout)
            except AmishError:
                pass

    def close(self, logoff: bool = True, timeout: float = 2.0) -> None:
        """Log off (when logged in), stop the I/O thread and close the socket."""
        if self._sock is None:
            self._wake_r.close()
            self._wake_w.close()
            return
        if logoff:
            self._logoff_quietly(timeout)
        self._stop = True
        self._wake()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._lost("closed by amish")
        try:
            self._sock.close()
        except OSError:
            pass
        self._wake_r.close()
        self._wake_w.close()

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the I/O thread -----------------------------------------------------
    def _woken(self) -> None:
        """The wake-up bytes drained (in the I/O thread)."""
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass
        # after draining, before looking at _out: a sender that saw the flag
        # still set has its data in _out already; one that sees it clear wakes us
        self._wake_pending = False

    def _wake(self) -> None:
        if self._wake_pending:
            return  # one byte is already waiting for the I/O thread: it will see the new data
        self._wake_pending = True
        try:
            self._wake_w.send(b"\0")
        except (BlockingIOError, OSError):
            pass  # already awake (buffer full) or closing

    def _wire(self, direction: str, data: bytes) -> None:
        hook = self.on_wire
        if hook is not None:
            try:
                hook(direction, data)
            except Exception:  # a trace hook must never take the connection down
                pass

    def _run(self) -> None:
        sock = self._sock
        assert sock is not None
        is_tls = isinstance(sock, ssl.SSLSocket)
        sel = selectors.DefaultSelector()
        sel.register(self._wake_r, selectors.EVENT_READ)
        sel.register(sock, selectors.EVENT_READ)
        writing = False
        try:
            if self._early:
                early, self._early = self._early, []
                self._dispatch(early)  # looked at one by one (_boot_bytes_seen starts True)
            # from here on each read is searched first (_read); what connect() read and
            # the parser still holds may hold the name, so look until it is all framed
            self._boot_bytes_seen = self._parser.buffered > 0
            while not self._stop and self.closed_reason is None:
                for key, mask in sel.select(self._tick()):
                    if key.fileobj is self._wake_r:
                        self._woken()
                    elif mask & selectors.EVENT_READ:
                        if not self._read(sock, is_tls):
                            return
                if self._stop:
                    return
                if self.keepalive and not self._check_keepalive():
                    return
                with self._lock:
                    has_out = bool(self._out)
                if has_out:
                    if not self._write(sock):
                        return
                    with self._lock:
                        has_out = bool(self._out)
                if has_out != writing:
                    writing = has_out
                    events = selectors.EVENT_READ | (selectors.EVENT_WRITE if writing else 0)
                    sel.modify(sock, events)
        except Exception as e:  # never die silently: fail everything waiting
            self._lost(f"internal error in the I/O thread: {_reason(e)}")
        finally:
            sel.close()

    def _tick(self) -> float | None:
        """How long the I/O thread may sleep in select: until the next keepalive check."""
        if not self.keepalive:
            return None
        return max(0.05, min(self.keepalive / 4, 1.0))

    def _check_keepalive(self) -> bool:
        """Ping after `keepalive` seconds of silence; a Ping unanswered as long means a dead peer."""
        now = time.monotonic()
        pending = self._keepalive_pending
        if pending is not None:
            if pending.done:
                self._keepalive_pending = None
            elif now - pending.sent_at > self.keepalive:
                self._forget(pending)
                self._lost(f"{self.address} did not answer a keepalive Ping in {self.keepalive:g} s (dead peer?)")
                return False
            return True
        if now - self._last_rx >= self.keepalive and self.username is not None:
            try:
                self._keepalive_pending = self.submit([("Action", "Ping")])
            except AmishError:
                pass
        return True

    def wait_fully_booted(self, timeout: float) -> bool:
        """Wait until the server said FullyBooted (needs "system" in the login's Events)."""
        return self.fully_booted.wait(timeout)

    def _read(self, sock: socket.socket, is_tls: bool) -> bool:
        while True:
            try:
                data = sock.recv(262144)
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError, InterruptedError):
                return True
            except (OSError, ssl.SSLError) as e:
                self._dispatch(self._parser.eof())
                self._lost(f"connection to {self.address} failed: {_reason(e)}")
                return False
            if not data:
                self._dispatch(self._parser.eof())
                self._lost(f"{self.address} closed the connection")
                return False
            self._wire("in", data)
            self._last_rx = time.monotonic()
            if not self._boot_bytes_seen:
                # one C-level search per read, so that items are looked at one by one only
                # when FullyBooted may be among them (a session without "system" events never
                # sees it, and would otherwise pay for the look on every event of a flood)
                if _BOOTED in data or _BOOTED in self._rx_tail + data[: len(_BOOTED)]:
                    self._boot_bytes_seen = True
                else:
                    self._rx_tail = data[-len(_BOOTED):]
            self._dispatch(self._parser.receive_data(data))
            if not is_tls and len(data) < 262144:
                return True
            if (self._out or self._stop) and not (is_tls and sock.pending()):
                return True  # under a flood, let queued actions (and close) through between reads

    def _write(self, sock: socket.socket) -> bool:
        with self._lock:
            data = bytes(self._out)
        try:
            sent = sock.send(data)
        except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError, InterruptedError):
            return True
        except (OSError, ssl.SSLError) as e:
            self._lost(f"sending to {self.address} failed: {_reason(e)}")
            return False
        with self._lock:
            del self._out[:sent]
        return True

    def _dispatch(self, items: list) -> None:
        """Pair what arrived with the actions in flight; finish those it completes, hand the rest to subscribers."""
        if not items:
            return
        if self._boot_bytes_seen and not self.fully_booted.is_set():
            if fully_booted_in(items):
                self.fully_booted.set()
            if not self._parser.buffered:
                self._boot_bytes_seen = False  # every byte read so far was framed and looked at
        correlator = self._correlator
        if correlator.idle:
            # nothing in flight (a flood being watched): everything goes to the subscribers
            # as it is, with no per-item work here (reading it without the lock: see `idle`)
            self._deliver(items)
            return
        with self._lock:  # once per read, not per item: submit() takes it too, 10,000 times in a pipeline
            loose, completed = correlator.receive(items)
            for pending in completed:
                pending._finish()
        if loose:
            self._deliver(loose)

    def _deliver(self, loose: list) -> None:
        """Hand what no action claimed to every subscriber (to the backlog while there is none)."""
        with self._lock:
            subs = list(self._subs)
            if not subs:
                # nobody subscribed yet (FullyBooted arrives during login): keep for the first
                backlog = self._backlog
                if len(backlog) + len(loose) > backlog.maxlen:
                    self.backlog_dropped += len(backlog) + len(loose) - backlog.maxlen
                backlog.extend(loose)
                return
        for sub in subs:
            sub.put_many(loose)

    @property
    def messages_received(self) -> int:
        """Messages read from the server so far on this connection."""
        return self._parser.messages

    def _lost(self, reason: str) -> None:
        with self._lock:
            if self.closed_reason is not None:
                return
            self.closed_reason = reason
            waiting = self._correlator.forget_all()
            subs = list(self._subs)
        for pending in waiting:
            name = pending.action.get("Action") or "action"
            pending._finish(ConnectionLost(f"{name}: {reason} before the response was complete"))
        for sub in subs:
            sub.put_many([Closed(reason)])


def _sees_system_events(events: str) -> bool:
    """Whether a login's Events mask lets FullyBooted through."""
    classes = {c.strip().lower() for c in str(events).split(",")}
    return bool(classes & {"on", "all", "system", "yes", "true", "1"})


_BOOTED = b"FullyBooted"


#: Seconds of silence after which a peer that sent no banner is asked whether it speaks HTTP.
HTTP_PROBE_AFTER = 0.5


def _http_port_message(address: str, server: str, tls: bool = False) -> str:
    """What to say when the port is an HTTP server's (Asterisk's own mini HTTP server, or another)."""
    if server.lower().startswith("asterisk"):
        return (f"{address} is Asterisk's HTTP server ({server}), not its AMI port: "
                f"use {'https' if tls else 'http'}://{address} for AMI over HTTP (manager.conf webenabled = yes), "
                "or AMI's own port (manager.conf, 5038 by default; 5039 for TLS)")
    shown = f" ({server})" if server else ""
    return f"{address} is an HTTP server{shown}, not AMI: is this the AMI port (manager.conf, 5038 by default)?"


def _reason(e: BaseException) -> str:
    if isinstance(e, ssl.SSLError) and getattr(e, "reason", None):
        return str(e.reason).lower().replace("_", " ")
    if isinstance(e, OSError) and e.strerror:
        return e.strerror[0].lower() + e.strerror[1:]
    text = str(e) or type(e).__name__
    return text
