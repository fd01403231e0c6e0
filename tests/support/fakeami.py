"""A small in-process fake AMI server, for the faults a real Asterisk cannot be made to produce.

Listens on 127.0.0.1 (ephemeral port), serves each client in a daemon thread
and is scripted per test::

    def handler(action, client):
        if action["Action"] == "Ping":
            client.respond(action, Ping="Pong")
        else:
            client.send(b"garbage\\r\\n\\r\\n")

    with FakeAMI(handler) as fake:
        conn = Connection("127.0.0.1", fake.port)
        ...

What it does like Asterisk: sends a banner (or the one given, or none),
answers Challenge (a random numeric token) and Login (MD5 ``Key`` =
md5(challenge + secret) hex, or a plain ``Secret``); on a wrong login it waits
`auth_fail_delay`, answers ``Response: Error / Message: Authentication failed``
and closes, as manager.c does; answers Logoff with Goodbye and closes; refuses
other actions before login with ``Permission denied``. Every other action goes
to the test's `handler(action, client)`, with the action read as Asterisk
reads it by `amireader` (an `AmiAction`: never by amish's own parser, which is
under test) and a `Client` that is also callable as ``send(bytes)``. A message
Asterisk would refuse (a line over 1024 bytes, more than 128 lines, no
``Action:``) is answered with Asterisk's error, kept in `refused`, and never
reaches the handler. Without a handler, `default_handler` answers Ping and refuses
anything else as Asterisk does.

`tls=True` serves TLS with a throw-away self-signed certificate for
127.0.0.1/localhost made by the openssl CLI (`fake.cafile` is its path);
`client_ca=path` also requires a client certificate signed by that CA (a
self-signed client certificate is its own CA) and keeps the one each client
presented in `client.peer_cert` (the decoded dict, as ssl gives it). With
TLS, send only from the handler (the client's own thread): one SSL object must
not be written from two threads.

An exception in a handler closes that client, is kept in `errors`, and is
raised again when the `with` block ends, so a broken script fails its test.
"""

from __future__ import annotations

import atexit
import hashlib
import random
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from typing import Callable, Iterable

from amireader import AmiAction, AmiReader

__all__ = [
    "FakeAMI",
    "Client",
    "DEFAULT_BANNER",
    "default_handler",
    "encode",
    "make_certificate",
]

DEFAULT_BANNER = b"Asterisk Call Manager/11.0.0\r\n"

Handler = Callable[[AmiAction, "Client"], object]


def encode(*pairs, **headers) -> bytes:
    """One message's bytes: ``Key: value`` lines with CRLF, then an empty line.

    Pairs (key, value) come first, in order, then keyword headers. A value may
    be bytes (sent as is, e.g. invalid UTF-8); a key of None writes the value
    as a bare line.
    """
    out = bytearray()
    for key, value in list(pairs) + list(headers.items()):
        if not isinstance(value, bytes):
            value = str(value).encode("utf-8")
        if key is None:
            out += value + b"\r\n"
        else:
            out += key.encode("utf-8") + b": " + value + b"\r\n"
    out += b"\r\n"
    return bytes(out)


class Client:
    """One accepted connection. ``client(data)`` is ``client.send(data)``."""

    def __init__(self, server: "FakeAMI", sock: socket.socket, peer):
        self.server = server
        self.sock = sock
        self.peer = peer
        self.actions: list[AmiAction] = []
        self.refused: list[AmiAction] = []
        self.challenge: str | None = None
        self.authenticated = False
        self.peer_cert: dict | None = None
        self.closed = threading.Event()
        self.thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- sending -----------------------------------------------------------
    def send(self, data: bytes | str, *, chunk: int | None = None, delay: float = 0.0) -> bool:
        """Send bytes (all of them, atomically with respect to other senders).

        `chunk`/`delay`: send in pieces of `chunk` bytes with `delay` seconds
        between them (a slow drip). False when the peer is gone.
        """
        if isinstance(data, str):
            data = data.encode("utf-8")
        with self._lock:
            if self.closed.is_set():
                return False
            try:
                if chunk is None:
                    self.sock.sendall(data)
                else:
                    for i in range(0, len(data), chunk):
                        if i and delay:
                            time.sleep(delay)
                        self.sock.sendall(data[i : i + chunk])
            except (OSError, ValueError):
                self.closed.set()
                return False
        return True

    __call__ = send

    def respond(self, action: AmiAction | None, *pairs, response: str = "Success", **headers) -> bool:
        """A ``Response:`` to `action`, echoing its ActionID (when it has one)."""
        head: list = [("Response", response)]
        action_id = action.get("ActionID") if action is not None else None
        if action_id is not None:
            head.append(("ActionID", action_id))
        return self.send(encode(*head, *pairs, **headers))

    def event(self, name: str, *pairs, **headers) -> bool:
        return self.send(encode(("Event", name), *pairs, **headers))

    # -- closing -----------------------------------------------------------
    def close(self) -> None:
        """Close the connection now (everything sent so far is delivered first)."""
        if self.closed.is_set() and self.sock.fileno() < 0:
            return
        self.closed.set()
        try:
            socket.socket.shutdown(self.sock, socket.SHUT_WR)
        except (OSError, ValueError):
            pass
        if threading.current_thread() is not self.thread:
            # wake the client's thread out of recv(); it closes the socket
            try:
                socket.socket.shutdown(self.sock, socket.SHUT_RD)
            except (OSError, ValueError):
                pass

    def _final_close(self) -> None:
        self.closed.set()
        try:
            socket.socket.shutdown(self.sock, socket.SHUT_WR)
        except (OSError, ValueError):
            pass
        # Read what is left so that closing does not turn into a reset that
        # could discard what we sent last.
        try:
            self.sock.setblocking(False)
            while self.sock.recv(65536):
                pass
        except (OSError, ValueError):
            pass
        try:
            self.sock.close()
        except OSError:
            pass


def default_handler(action: AmiAction, client: Client) -> None:
    """Ping answers Pong; anything else is refused as Asterisk refuses unknown actions."""
    name = action.get("Action") or ""
    if name.lower() == "ping":
        client.respond(action, Ping="Pong", Timestamp=f"{time.time():.6f}")
    else:
        client.respond(
            action,
            response="Error",
            Message=f"Invalid/unknown command: {name}. Use Action: ListCommands to show available commands.",
        )


_cert_lock = threading.Lock()
_cert: tuple[str, str] | None = None


def make_certificate() -> tuple[str, str]:
    """(certfile, keyfile): a self-signed certificate for 127.0.0.1 and localhost, made once."""
    global _cert
    with _cert_lock:
        if _cert is None:
            tmp = tempfile.mkdtemp(prefix="fakeami-tls-")
            atexit.register(shutil.rmtree, tmp, True)
            cert, key = f"{tmp}/cert.pem", f"{tmp}/key.pem"
            subprocess.run(
                [
                    "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                ],
                check=True,
                capture_output=True,
                timeout=30,
            )
            _cert = (cert, key)
        return _cert


class FakeAMI:
    """A scripted AMI server on 127.0.0.1; see the module docstring."""

    def __init__(
        self,
        handler: Handler | None = None,
        *,
        banner: bytes | str | None = DEFAULT_BANNER,
        username: str = "admin",
        secret: str = "secret",
        auth: bool = True,
        auth_fail_delay: float = 0.05,
        on_connect: Callable[[Client], object] | None = None,
        fully_booted: bool = False,
        tls: bool = False,
        client_ca: str | None = None,
    ):
        self.handler = handler if handler is not None else default_handler
        self.banner = banner.encode("utf-8") if isinstance(banner, str) else banner
        self.username = username
        self.secret = secret
        self.auth = auth
        self.auth_fail_delay = auth_fail_delay
        self.on_connect = on_connect
        self.fully_booted = fully_booted
        self.tls = tls
        self.client_ca = client_ca
        self.host = "127.0.0.1"
        self.port: int | None = None
        self.cafile: str | None = None
        self.clients: list[Client] = []
        self.actions: list[AmiAction] = []
        self.refused: list[AmiAction] = []
        self.logins: list[AmiAction] = []
        self.errors: list[BaseException] = []
        self.tls_failures: list[BaseException] = []
        self._ctx: ssl.SSLContext | None = None
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._cond = threading.Condition()

    # -- life cycle --------------------------------------------------------
    def start(self) -> "FakeAMI":
        if self.tls:
            cert, key = make_certificate()
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            if self.client_ca is not None:
                ctx.verify_mode = ssl.CERT_REQUIRED
                ctx.load_verify_locations(self.client_ca)
            self._ctx = ctx
            self.cafile = cert
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, 0))
        listener.listen(16)
        listener.settimeout(0.05)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, name=f"fakeami:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._listener is not None:
            self._listener.close()
        with self._cond:
            clients = list(self.clients)
        for client in clients:
            client.close()
        for client in clients:
            if client.thread is not None and client.thread is not threading.current_thread():
                client.thread.join(timeout)

    def __enter__(self) -> "FakeAMI":
        return self.start()

    def __exit__(self, exc_type, exc, tb) -> None:
        self.stop()
        if exc_type is None and self.errors:
            raise AssertionError(f"fake AMI handler failed: {self.errors[0]!r}") from self.errors[0]

    # -- for tests ---------------------------------------------------------
    def wait_for(self, predicate: Callable[[], object], timeout: float = 5.0):
        """Wait until `predicate()` (evaluated under the server's lock) is true; returns it."""
        with self._cond:
            result = self._cond.wait_for(predicate, timeout)
        if not result:
            raise AssertionError(f"fake AMI: condition not met within {timeout:g} s")
        return result

    def wait_client(self, index: int = 0, timeout: float = 5.0) -> Client:
        self.wait_for(lambda: len(self.clients) > index, timeout)
        return self.clients[index]

    def wait_action(self, name: str, count: int = 1, timeout: float = 5.0) -> list[AmiAction]:
        """Wait until `count` actions called `name` arrived; returns them all."""
        low = name.lower()

        def found():
            got = [a for a in self.actions if (a.get("Action") or "").lower() == low]
            return got if len(got) >= count else None

        return self.wait_for(found, timeout)

    def received(self, name: str) -> list[AmiAction]:
        low = name.lower()
        with self._cond:
            return [a for a in self.actions if (a.get("Action") or "").lower() == low]

    # -- serving -----------------------------------------------------------
    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                sock, peer = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            client = Client(self, sock, peer)
            client.thread = threading.Thread(
                target=self._serve, args=(client,), name=f"fakeami:{self.port}:{peer[1]}", daemon=True
            )
            with self._cond:
                self.clients.append(client)
                self._cond.notify_all()
            client.thread.start()

    def _serve(self, client: Client) -> None:
        try:
            if self._ctx is not None:
                try:
                    client.sock = self._ctx.wrap_socket(
                        client.sock, server_side=True, do_handshake_on_connect=False
                    )
                    client.sock.settimeout(10.0)
                    client.sock.do_handshake()
                    client.peer_cert = client.sock.getpeercert() or None
                    client.sock.settimeout(None)
                except (OSError, ssl.SSLError) as e:
                    self.tls_failures.append(e)
                    return
            if self.banner is not None:
                client.send(self.banner)
            if self.on_connect is not None:
                self.on_connect(client)
            reader = AmiReader()
            while not client.closed.is_set():
                try:
                    data = client.sock.recv(65536)
                except (OSError, ValueError):
                    break
                if not data:
                    break
                for item in reader.feed(data):
                    if item.refused is not None:
                        with self._cond:
                            client.refused.append(item)
                            self.refused.append(item)
                            self._cond.notify_all()
                        client.respond(item, response="Error", Message=item.refused)
                        continue
                    with self._cond:
                        client.actions.append(item)
                        self.actions.append(item)
                        self._cond.notify_all()
                    self._handle(item, client)
                    if client.closed.is_set():
                        break
        except BaseException as e:  # a broken test script: keep it for __exit__
            self.errors.append(e)
        finally:
            client._final_close()
            with self._cond:
                self._cond.notify_all()

    def _handle(self, action: AmiAction, client: Client) -> None:
        if self.auth and self.auth_handler(action, client):
            return
        self.handler(action, client)

    def auth_handler(self, action: AmiAction, client: Client) -> bool:
        """Challenge, Login, Logoff and 'Permission denied' as Asterisk does; True when handled."""
        name = (action.get("Action") or "").lower()
        if name == "challenge":
            if (action.get("AuthType") or "").lower() != "md5":
                client.respond(action, response="Error", Message="Must specify AuthType")
                return True
            client.challenge = str(random.randrange(100_000_000, 999_999_999))
            client.respond(action, Challenge=client.challenge)
            return True
        if name == "login":
            with self._cond:
                self.logins.append(action)
            if self._login_ok(action, client):
                client.authenticated = True
                client.respond(action, Message="Authentication accepted")
                if self.fully_booted:
                    client.event("FullyBooted", Privilege="system,all", Uptime="1", LastReload="1", Status="Fully Booted")
            else:
                if self.auth_fail_delay:
                    time.sleep(self.auth_fail_delay)
                client.respond(action, response="Error", Message="Authentication failed")
                client.close()
            return True
        if name == "logoff":
            client.respond(action, response="Goodbye", Message="Thanks for all the fish.")
            client.close()
            return True
        if not client.authenticated:
            client.respond(action, response="Error", Message="Permission denied")
            return True
        return False

    def _login_ok(self, action: AmiAction, client: Client) -> bool:
        if (action.get("Username") or "") != self.username:
            return False
        if (action.get("AuthType") or "").lower() == "md5":
            if not client.challenge:
                return False
            expected = hashlib.md5((client.challenge + self.secret).encode("utf-8")).hexdigest()
            return (action.get("Key") or "").lower() == expected
        return action.get("Secret") == self.secret


def events(name: str, count: int, start: int = 0, **headers) -> Iterable[bytes]:
    """`count` numbered events, for floods."""
    for i in range(start, start + count):
        yield encode(("Event", name), ("Seq", str(i)), **headers)
