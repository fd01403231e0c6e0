"""Opening and reopening a logged-in connection, below every mode; the one reconnect policy.

Not to be confused with `amish.shell.session.ShellSession`, which is what the
interactive shell does with a connection once it has one (sending actions,
the events pane, local commands). This `Session` is how a mode gets that
connection: the endpoint and the login from the `Options`, the secret (asked
again on the terminal after a refused login, SECRET_TRIES in all, at the first
login only), and the wire hooks (--trace, --record) with their errors. As a
context manager it closes, on every path (an error, Ctrl-C, SIGTERM/SIGHUP's
`Terminated`), each connection it opened (logging off) and then the hooks
(flushing them):

    with Session(opts, events_default="on") as session:
        conn = session.connect()
        ...

`ReconnectPolicy` is the backoff that `amish events`, the shell and line mode
share: sans-IO, it only says how long to wait, whether to try again and
whether to say so; the caller sleeps and prints.

Core: imports nothing from the UI libraries (tests/unit/test_layers.py).
"""

from __future__ import annotations

import os
import sys

from ..core.errors import AmishError, AuthenticationError, InputError, OutputError
from ..transports.connection import Connection
from .config import find_secret
from .options import Options
from ..core.immutable import Record
from ..core.safety import plaintext_login_warning

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Callable

    from ..transports.base import Transport

__all__ = ["Session", "ReconnectPolicy", "RECONNECT", "SECRET_TRIES", "read_secret", "secret_prompt"]

#: A secret typed at the prompt may be typed again after a refused login, this many tries in all.
SECRET_TRIES = 3


class ReconnectPolicy(Record):
    """When to try again after a lost connection: a pure function of the attempt number and the error.

    Attempt n (from 1) failed: wait `delay(n)` (first_delay doubling, at most
    max_delay) if `retries(error)`; say so if `reports(n)` (the first attempt
    and every report_every-th, so a long outage does not fill the screen).
    """

    __slots__ = ("first_delay", "max_delay", "report_every")

    def __init__(self, first_delay: float = 0.5, max_delay: float = 30.0, report_every: int = 5) -> None:
        self._fill(locals())

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt `attempt` (1, 2, ...) before the next one."""
        delay = self.first_delay
        for _ in range(attempt - 1):
            delay = min(delay * 2, self.max_delay)
            if delay == self.max_delay:
                break
        return delay

    @staticmethod
    def retries(error: BaseException) -> bool:
        """False for a login the server refused: trying again only locks the account out.

        Anything else (a restarting Asterisk closing during the login included) is worth another try.
        """
        return not (isinstance(error, AuthenticationError) and error.refused)

    def reports(self, attempt: int) -> bool:
        """Whether failed attempt `attempt` is said (the first, then every report_every-th)."""
        return attempt == 1 or attempt % self.report_every == 0


#: The policy amish uses: 0.5 s doubling to 30 s, a refused login never retried, attempts 1, 5, 10... said.
RECONNECT = ReconnectPolicy()


def secret_prompt(opts: Options):
    """The prompt for the secret, on the terminal (never echoed)."""

    def prompt() -> str:
        import getpass  # only when the secret is asked for

        try:
            os.close(os.open("/dev/tty", os.O_RDWR))  # getpass would fall back to echoing on stdin
            return getpass.getpass(f"AMI secret for {opts.user}@{opts.host}: ")
        except (EOFError, OSError):
            raise AmishError(
                "no secret: set AMISH_SECRET or a profile's secret_command, or run amish where it can prompt for one"
            ) from None

    return prompt


def read_secret(opts: Options, prompt: Callable[[], str] | None = None, *, warn: bool = True) -> str:
    """--secret (warned about, unless `warn` is False), AMISH_SECRET, the profile's secret_command, its secret, a prompt."""
    if opts.secret is not None:
        if warn:
            print("amish: warning: a secret on the command line is visible in ps; use AMISH_SECRET or the prompt",
                  file=sys.stderr)
        secret = opts.secret
    else:
        secret = find_secret(opts.settings, environ=os.environ, prompt=prompt or secret_prompt(opts))
    if "\r" in secret or "\n" in secret:
        raise InputError("the AMI secret holds a line break (CR or LF), which no manager.conf secret can: "
                         "check AMISH_SECRET or the profile's secret or secret_command")
    return secret


def _check_line(what: str, value: str | None) -> None:
    """A value that goes into a header of the login: a CR or LF in it is bad input, said before connecting."""
    if value and ("\r" in value or "\n" in value):
        raise InputError(f"{what} holds a line break (CR or LF): {value!r}")


def _open_private(path: str, mode: str):
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC), 0o600)
        return os.fdopen(fd, mode, buffering=1, encoding="utf-8", errors="backslashreplace")
    except OSError as e:
        raise InputError(f"cannot write {path}: {e.strerror}") from None


class Session:
    """How to open (and reopen) a logged-in connection from the options; the wire hooks.

    (The shell's per-connection logic is `amish.shell.session.ShellSession`, a different thing.)
    Use it as a context manager: leaving closes every connection `connect()`
    returned, then flushes and closes the trace and the recording, whatever
    ended the block; a write to them that failed is then raised (OutputError, exit 74).
    """

    def __init__(self, opts: Options, *, events_default: str, login: bool = True, ask_again: bool = True,
                 warn_secret: bool = True):
        """`ask_again` False: a refused login is never asked again at the prompt (a fleet: many logins at once);
        `warn_secret` False: --secret is not warned about here (a fleet warns once, not once per server)."""
        self.opts = opts
        self.host, self.port = opts.host, opts.port
        self.login = login
        if login and not opts.user:
            raise InputError("no AMI user: give -u USER (or set AMISH_USER, or user in a --profile)")
        self.events = opts.events or events_default
        _check_line("the AMI user (-u, AMISH_USER or the profile's user)", opts.user)
        _check_line("the event mask (--events or the profile's events)", self.events)
        warning = plaintext_login_warning(self.host, tls=opts.tls, auth=opts.auth) if login else None
        if warning:
            print(f"amish: warning: {warning}", file=sys.stderr)
        self.secret = None
        #: Set when the secret was typed at the prompt: a refused first login asks again (SECRET_TRIES in all).
        self._ask_again = None
        if login:
            prompt = secret_prompt(opts)
            asked = []
            self.secret = read_secret(opts, lambda: asked.append(True) or prompt(), warn=warn_secret)
            self._ask_again = prompt if asked and ask_again else None
        self.hooks = []
        self._closers = []
        self._outputs = []  # (what, hook): said and ended on when a write to it failed
        self._reported = False
        self._opened: list[Transport] = []
        try:
            self._open_hooks()
        except BaseException:
            self.close()
            raise

    def _open_hooks(self) -> None:
        opts = self.opts
        if opts.trace:
            from ..transports.wire import Tracer  # a large module: only with --trace

            stream = sys.stderr if opts.trace == "-" else _open_private(opts.trace, "a")
            if stream is not sys.stderr:
                self._closers.append(stream.close)
            tracer = Tracer(stream, peer=f"{self.host}:{self.port}")
            self.hooks.append(tracer)
            self._outputs.append(("the trace to stderr" if opts.trace == "-" else f"the trace {opts.trace}", tracer))
            self._closers.insert(0, tracer.flush)
        if opts.record:
            from ..transports.wire import Recorder  # only with --record

            recorder = Recorder(
                opts.record,
                meta={"peer": f"{self.host}:{self.port}", "tls": opts.tls, "user": opts.user or "",
                      **({"transport": "http", "prefix": opts.prefix} if opts.transport == "http" else {})},
            )
            self.hooks.append(recorder)
            self._outputs.append((f"the recording {opts.record}", recorder))
            self._closers.append(recorder.close)

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _on_wire(self, direction: str, data: bytes) -> None:
        for hook in self.hooks:
            hook(direction, data)

    def connect(self) -> Transport:
        """A logged-in connection, closed when the session is. A secret typed at the prompt and refused
        is asked for again, as a login prompt does, at the first login only (a reconnect never prompts)."""
        ask_again, self._ask_again = self._ask_again, None
        tries = SECRET_TRIES if ask_again is not None else 1
        for attempt in range(1, tries + 1):
            try:
                conn = self._connect()
            except AuthenticationError as e:
                if attempt == tries or not e.refused:
                    raise
                left = tries - attempt
                print(f"amish: {e} ({left} more {'try' if left == 1 else 'tries'})", file=sys.stderr)
                self.secret = ask_again()
                continue
            self._opened.append(conn)
            return conn
        raise AssertionError("unreachable")  # pragma: no cover

    def _connect(self) -> Transport:
        o = self.opts
        if o.transport == "http":  # AMI over HTTP (/rawman): the same interface, another way for the bytes
            from ..transports.http import HttpConnection

            make, extra = HttpConnection, {"prefix": o.prefix}
        else:
            make, extra = Connection, {"banner_timeout": o.connect_timeout}
        conn = make(
            self.host,
            self.port,
            **extra,
            tls=o.tls,
            cafile=o.cafile,
            certfile=o.cert,
            keyfile=o.keyfile,
            insecure=o.insecure,
            connect_timeout=o.connect_timeout,
            on_wire=self._on_wire if self.hooks else None,
            keepalive=o.keepalive,
        )
        conn.connect()
        if self.login:
            try:
                conn.login(
                    o.user,
                    self.secret,
                    auth=o.auth,
                    events=self.events,
                    timeout=o.timeout,
                    wait_booted=o.boot_timeout or None,
                    booting=lambda: print(
                        f"amish: {conn.address} is still starting: waiting for FullyBooted...", file=sys.stderr
                    ),
                )
            except BaseException:
                conn.close(logoff=False)
                raise
        try:
            self.check_outputs()  # a trace or recording that cannot be written fails now, not at the end
        except BaseException:
            conn.close()
            raise
        return conn

    def check_outputs(self) -> None:
        """Raise OutputError (exit 74) once if a write to the trace or the recording failed."""
        if self._reported:
            return
        for what, hook in self._outputs:
            if hook.error is not None:
                self._reported = True
                raise OutputError(f"cannot write {what}: {hook.error}")

    def close(self) -> None:
        """Close (logging off) every connection opened, newest first, then flush and close the trace
        and the recording; raises OutputError if one could not be written. Safe to call twice."""
        try:
            while self._opened:
                self._opened.pop().close()
        finally:
            closers, self._closers = self._closers, []
            for closer in closers:
                try:
                    closer()
                except Exception:
                    pass
        self.check_outputs()
