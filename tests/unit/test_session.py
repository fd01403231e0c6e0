"""amish.runtime.session: the reconnect policy as a table, the Session as a context manager, the typed Options.

No sockets: the Session is given a fake connection class (the Connection amish.runtime.session uses
replaced), and the trace and recording are real files, so that what "closed" and
"flushed" mean is what a user would find on disk.
"""

from __future__ import annotations

import json
import re

import pytest

from amish import cli
from amish.core.errors import (
    AuthenticationError,
    ConnectError,
    ConnectionLost,
    NotAMIError,
    OutputError,
    Terminated,
    TLSError,
)
from amish.runtime.config import Settings
from amish.runtime.options import Options
from amish.runtime.session import RECONNECT, ReconnectPolicy, Session

from conftest import ROOT


# -- the reconnect policy -------------------------------------------------------------


@pytest.mark.parametrize(
    "attempt, delay, reported",
    [
        (1, 0.5, True),
        (2, 1.0, False),
        (3, 2.0, False),
        (4, 4.0, False),
        (5, 8.0, True),
        (6, 16.0, False),
        (7, 30.0, False),
        (8, 30.0, False),
        (10, 30.0, True),
        (11, 30.0, False),
        (15, 30.0, True),
        (1000, 30.0, True),
    ],
)
def test_reconnect_policy_delays_and_reports(attempt, delay, reported):
    assert RECONNECT.delay(attempt) == delay
    assert RECONNECT.reports(attempt) is reported


@pytest.mark.parametrize(
    "error, retried",
    [
        (AuthenticationError("Authentication failed"), False),  # a wrong secret: again would lock the account out
        (AuthenticationError("closed during the login", refused=False), True),  # a restarting Asterisk
        (ConnectError("connection refused"), True),
        (TLSError("handshake failed"), True),
        (NotAMIError("not an AMI"), True),
        (ConnectionLost("closed"), True),
        (OSError("network unreachable"), True),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
def test_reconnect_policy_retries_all_but_a_refused_login(error, retried):
    assert RECONNECT.retries(error) is retried


def test_reconnect_policy_is_the_documented_one_and_immutable():
    assert RECONNECT == ReconnectPolicy(first_delay=0.5, max_delay=30.0, report_every=5)
    assert ReconnectPolicy(first_delay=1, max_delay=3).delay(3) == 3
    with pytest.raises(AttributeError):
        RECONNECT.max_delay = 1  # type: ignore[misc]


# -- the Session as a context manager ---------------------------------------------------


class FakeConnection:
    """What Session needs of amish.transports.connection.Connection, and a log of what was done to it."""

    made: list["FakeConnection"] = []
    refuse_logins = 0  # how many logins to refuse before one succeeds

    def __init__(self, host, port, *, on_wire=None, **options):
        self.host, self.port, self.on_wire, self.options = host, port, on_wire, options
        self.address = f"{host}:{port}"
        self.closes: list[bool] = []  # the logoff= of each close()
        self.username = None
        FakeConnection.made.append(self)

    def connect(self):
        if self.on_wire:
            self.on_wire("in", b"Asterisk Call Manager/9.0.0\r\n")

    def login(self, user, secret, **options):
        if self.on_wire:
            self.on_wire("out", f"Action: Login\r\nUsername: {user}\r\nSecret: {secret}\r\n\r\n".encode())
        if FakeConnection.refuse_logins:
            FakeConnection.refuse_logins -= 1
            raise AuthenticationError("Authentication failed")
        self.username = user

    def close(self, logoff=True):
        self.closes.append(logoff)


@pytest.fixture
def fake(monkeypatch):
    import amish.runtime.session

    FakeConnection.made = []
    FakeConnection.refuse_logins = 0
    monkeypatch.setattr(amish.runtime.session, "Connection", FakeConnection)
    monkeypatch.setenv("AMISH_SECRET", "s3cr3t-value")
    return FakeConnection


def hooked(tmp_path, **more) -> Options:
    return Options(user="admin", trace=str(tmp_path / "wire.log"), record=str(tmp_path / "rec.jsonl"), **more)


def assert_hooks_closed(session: Session, tmp_path) -> None:
    tracer, recorder = session.hooks
    assert tracer.out.closed, "the trace file was left open"
    assert recorder._file is None or recorder._file.closed, "the recording was left open"
    trace = (tmp_path / "wire.log").read_text()
    assert "Action: Login" in trace and "s3cr3t-value" not in trace  # flushed, masked
    header = json.loads((tmp_path / "rec.jsonl").read_text().splitlines()[0])
    assert header.get("user") == "admin"


@pytest.mark.parametrize(
    "ending",
    [RuntimeError("a bug in the mode"), KeyboardInterrupt(), Terminated(15, "terminated"), Terminated(1, "hung up")],
    ids=["error", "ctrl-c", "sigterm", "sighup"],
)
def test_leaving_the_session_logs_off_and_closes_the_hooks_whatever_ended_it(fake, tmp_path, ending):
    with pytest.raises(type(ending)):
        with Session(hooked(tmp_path), events_default="on") as session:
            conn = session.connect()
            again = session.connect()  # a reconnect: closed too
            raise ending
    assert conn.closes == [True] and again.closes == [True]  # each logged off, once
    assert_hooks_closed(session, tmp_path)


def test_a_refused_login_leaves_no_connection_and_the_hooks_closed(fake, tmp_path):
    fake.refuse_logins = 1
    with pytest.raises(AuthenticationError):
        with Session(hooked(tmp_path), events_default="on") as session:
            session.connect()
    (conn,) = fake.made
    assert conn.closes == [False]  # closed at once, without a Logoff for a login that never was
    assert_hooks_closed(session, tmp_path)


def test_a_normal_end_closes_the_connection_then_the_hooks(fake, tmp_path):
    with Session(hooked(tmp_path), events_default="on") as session:
        conn = session.connect()
    assert conn.closes == [True]
    assert_hooks_closed(session, tmp_path)
    session.close()  # twice is harmless
    assert conn.closes == [True]


def test_a_recording_that_cannot_be_opened_closes_the_trace_already_opened(fake, tmp_path, monkeypatch):
    import amish.runtime.session
    import amish.transports.wire

    opened = []
    real_open = amish.runtime.session._open_private
    monkeypatch.setattr(amish.runtime.session, "_open_private", lambda *a: opened.append(real_open(*a)) or opened[-1])

    def refuse(*args, **kwargs):
        raise OutputError("cannot write the recording: No space left on device")

    monkeypatch.setattr(amish.transports.wire, "Recorder", refuse)
    with pytest.raises(OutputError):
        Session(hooked(tmp_path), events_default="on")
    assert len(opened) == 1 and opened[0].closed


def test_a_trace_write_that_failed_is_said_on_leaving(fake, tmp_path):
    with pytest.raises(OutputError, match=r"cannot write the trace .*wire\.log"):
        with Session(Options(user="admin", trace=str(tmp_path / "wire.log")), events_default="on") as session:
            session.connect()
            session.hooks[0].out.close()  # the next write fails, as on a full disk
            session.hooks[0]("in", b"Event: Ping\r\n\r\n")
    assert fake.made[0].closes == [True]


def test_a_prompted_secret_is_asked_again_after_a_refusal_at_the_first_login_only(fake, tmp_path, monkeypatch):
    import amish.runtime.session

    monkeypatch.delenv("AMISH_SECRET")
    typed = iter(["wrong", "right", "never"])
    monkeypatch.setattr(amish.runtime.session, "secret_prompt", lambda opts: lambda: next(typed))
    fake.refuse_logins = 1
    with Session(Options(user="admin"), events_default="on") as session:
        session.connect()
        assert session.secret == "right"
        fake.refuse_logins = 1
        with pytest.raises(AuthenticationError):
            session.connect()  # a reconnect never prompts
    assert next(typed) == "never"


# -- the typed options ----------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, expected",
    [
        ([], dict(reconnect=True, read_only=False, confirm=None, filter="", line=False, scrollback=10_000,
                  keepalive=None, boot_timeout=30.0, timeout=10.0, trace=None)),
        (["--no-reconnect", "--read-only", "--no-confirm"], dict(reconnect=False, read_only=True, confirm=False)),
        (["--trace", "pbx"], dict(trace="-", host="pbx")),  # --trace never takes the next word
        (["--trace=w.log", "--record", "r.jsonl", "--keepalive", "15"], dict(trace="w.log", record="r.jsonl",
                                                                          keepalive=15.0)),
        (["--line", "--filter", "Hangup", "--scrollback", "50"], dict(line=True, filter="Hangup", scrollback=50)),
        (["amis://ops@pbx:6000", "--secret", "x"], dict(host="pbx", port=6000, tls=True, user="ops", secret="x")),
    ],
)
def test_options_from_the_command_line(argv, expected, monkeypatch, tmp_path):
    (tmp_path / "empty.toml").write_text("")
    monkeypatch.setenv("AMISH_CONFIG", str(tmp_path / "empty.toml"))
    monkeypatch.delenv("AMISH_USER", raising=False)
    opts = cli.options(cli.build_parser().parse_args(argv))
    assert {name: getattr(opts, name) for name in expected} == expected


def test_options_of_a_mode_without_the_connection_options_keep_their_defaults():
    opts = cli.options(cli.build_replay_parser().parse_args(["rec.jsonl", "--line"]), connects=False)
    assert (opts.line, opts.reconnect, opts.read_only, opts.confirm, opts.timeout) == (True, True, False, None, 10.0)
    assert "secret=" not in repr(Options(secret="hidden")) and "hidden" not in repr(Options(secret="hidden"))
    assert "hidden" not in repr(Options(Settings(secret="hidden")))  # the profile's, in the settings


def test_each_setting_has_one_owner_and_options_read_through_to_it():
    """Options is built around config.Settings: what a profile can say lives there only."""
    settings = Settings(host="pbx", user="ops", read_only=True, confirm=False, filter="Hangup")
    opts = Options(settings, secret="typed", timeout=3.0)
    assert not set(Options.__slots__) & set(Settings.__slots__) - {"secret"}
    assert (opts.host, opts.user, opts.read_only, opts.confirm, opts.filter) == ("pbx", "ops", True, False, "Hangup")
    assert (opts.secret, opts.settings.secret, opts.timeout) == ("typed", None, 3.0)
    assert Options(host="pbx", user="ops", read_only=True, confirm=False, filter="Hangup") == Options(settings)
    with pytest.raises(TypeError, match="either"):
        Options(settings, user="other")
    with pytest.raises(TypeError, match="colour"):
        Options(colour="red")
    with pytest.raises(AttributeError):
        opts.host = "elsewhere"  # immutable, through the settings too


# -- the layers -----------------------------------------------------------------------

#: amish.completion_scripts generates the shell scripts from the command line's own parsers: it is part of the CLI.
MAY_IMPORT_CLI = {"amish/__main__.py", "amish/completion_scripts.py"}


def test_no_module_imports_the_command_line():
    """The modes get what they need from amish.runtime.session and amish.runtime.options, never back from amish.cli."""
    pattern = re.compile(r"^\s*(from\s+(amish|\.)\s+import\s+[^#\n]*\bcli\b|from\s+(amish)?\.cli\s+import|import\s+amish\.cli\b)",
                         re.M)
    offenders = []
    for path in sorted((ROOT / "amish").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"from \.\.cli", "from .cli", text)  # amish/shell/*: one more dot
        if name not in MAY_IMPORT_CLI and pattern.search(text):
            offenders.append(name)
    assert offenders == []
