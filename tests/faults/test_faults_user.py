"""Faults from the user: bad input, injection attempts, Ctrl-C at any moment, a tiny terminal.

The pipe tool runs in a subprocess against a FakeAMI in this process (bad
input: exit 4, file:line, and the fake proves nothing was sent, not even a
connection); the shell is driven through prompt_toolkit's pipe input, and in
a real pseudo-terminal (pexpect + pyte) for Ctrl-C and resizing. None of it
may produce a traceback.
"""

from __future__ import annotations

import asyncio
import io
import random
import signal
import subprocess
import time

import pexpect
import pytest

from faultkit import ROOT, Fake, amish_argv, amish_env, assert_one_line, run_amish, settle, wait_until, watchdog
from fakeami import FakeAMI, default_handler

from amish.transports.connection import Connection

T = 5.0
WATCHDOG = 120.0


_watchdog = pytest.fixture(autouse=True, name="_watchdog")(watchdog(WATCHDOG))


def originate_ok(action, client):
    """Originate and Hangup answered Success (so a wrongly sent one would be seen to 'work')."""
    if (action.get("Action") or "") in ("Originate", "Hangup"):
        client.respond(action, Message="Originate successfully queued")
    else:
        default_handler(action, client)


def assert_nothing_reached(fake: FakeAMI) -> None:
    """Not one action, not even a connection: the input was refused before connecting."""
    assert settle(fake) == [] and fake.actions == []


# == the pipe tool: bad input ==================================================================


BAD_INPUT = [
    pytest.param(b'Ping\nOriginate Channel="PJSIP/7001 Context=phones\n', 2, "unbalanced quote", id="unbalanced-double-quote"),
    pytest.param(b"Originate Channel='PJSIP/7001\n", 1, "unbalanced quote", id="unbalanced-single-quote"),
    pytest.param(b'Originate Channel=x Data="a\r\nAction: Hangup"\n', 1, "unbalanced quote", id="crlf-inside-quotes"),
    pytest.param(b"Action: Ping\nno colon here\n", 2, "expected 'Header: value'", id="telnet-line-without-colon"),
    pytest.param(b"Action: Ping\nBad Key: v\n", 2, "contains a space", id="telnet-key-with-space"),
    pytest.param(b"Ping\n\nChannel: x\nContext: y\n", 3, "no 'Action:' header", id="block-without-action"),
    pytest.param(b"Action:\n\n", 1, "'Action:' is empty", id="empty-action"),
    pytest.param(b"Ping Channel\n", 1, "expected Header=value", id="word-without-equals"),
    pytest.param(b"Ping =x\n", 1, "no header name", id="equals-without-name"),
    pytest.param(b"=x\n", 1, "start with the action's name", id="no-action-name"),
    pytest.param(b"Ping Bad:Key=v\n", 1, "cannot contain spaces or ':'", id="colon-in-header-name"),
    pytest.param(b"Ping Data=${UNDEFINED_IN_TEST}\n", 1, "${UNDEFINED_IN_TEST} is not set", id="undefined-variable"),
    pytest.param(b"Ping Data=${bad name}\n", 1, "bad variable name", id="bad-variable-name"),
    # (a telnet block is checked whole: its errors name the block's first line)
    pytest.param(b"Action: Ping\nData: a\x01b\n", 2, "control character", id="control-character"),
    pytest.param(b"Ping\nPing\nPing\nOriginate Channel=\"x\n", 4, "unbalanced quote", id="error-after-good-lines"),
    # an ActionID given twice: found when the input is checked, naming both lines
    pytest.param(b"Action: Ping\nActionID: a1\n\nPing ActionID=b\nPing ActionID=a1\n", 5,
                 "ActionID 'a1' is already used at line 1", id="duplicate-action-id"),
]


@pytest.mark.parametrize("stdin, line, needle", BAD_INPUT)
def test_pipe_bad_input_is_exit_4_at_file_line_and_nothing_is_sent(tmp_path, stdin, line, needle):
    with Fake(originate_ok) as fake:
        r = run_amish(fake.port, stdin=stdin, tmp=tmp_path)
        assert_nothing_reached(fake)
    assert r.rc == 4, r
    assert_one_line(r, f"<stdin>:{line}: ", needle)
    assert r.out == b""


def test_pipe_bad_input_in_a_file_names_the_file(tmp_path):
    actions = tmp_path / "actions.ami"
    actions.write_bytes(b"# a comment\nPing\n\nAction: Ping\nnot a header\n")
    with Fake() as fake:
        r = run_amish(fake.port, "-f", str(actions), tmp=tmp_path)
        assert_nothing_reached(fake)
    assert r.rc == 4, r
    assert_one_line(r, f"{actions}:5: ")


def test_pipe_unknown_action_goes_to_the_server_which_says_error(tmp_path):
    with Fake() as fake:
        r = run_amish(fake.port, stdin=b"QueueStats\nPing\n", tmp=tmp_path)
        assert len(fake.received("QueueStats")) == 1
    assert r.rc == 1, r  # some action answered Error; the others still ran
    assert r.err == ""
    assert b"Response: Error" in r.out and b"Invalid/unknown command: QueueStats" in r.out
    assert b"Ping: Pong" in r.out


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_pipe_file_of_random_bytes(tmp_path, seed):
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(random.Random(seed).randbytes(64 * 1024))
    with Fake() as fake:
        r = run_amish(fake.port, "-f", str(garbage), tmp=tmp_path)
        assert_nothing_reached(fake)
    assert r.rc == 4, r
    line = assert_one_line(r, f"{garbage}:")
    assert len(line) < 1000


def test_pipe_error_line_stays_short_for_a_huge_word(tmp_path):
    blob = tmp_path / "blob.txt"
    blob.write_bytes(b"Ping " + b"y" * 100_000 + b"\n")
    with Fake() as fake:
        r = run_amish(fake.port, "-f", str(blob), tmp=tmp_path)
        assert_nothing_reached(fake)
    assert r.rc == 4
    assert len(assert_one_line(r, f"{blob}:1:")) < 300


def test_pipe_binary_on_stdin(tmp_path):
    with Fake() as fake:
        r = run_amish(fake.port, stdin=(ROOT / "amish" / "__init__.py").read_bytes() + b"\x00\x7fELF\x02\x01", tmp=tmp_path)
        assert_nothing_reached(fake)
    assert r.rc == 4, r
    assert_one_line(r, "<stdin>:")


# == the pipe tool: CR/LF injection ==================================================================


def test_pipe_escapes_typed_as_text_stay_text(tmp_path):
    r"""`Data="a\r\nAction: Hangup"` in a file is backslash, r, backslash, n: sent as such, never a Hangup."""
    with Fake(originate_ok) as fake:
        r = run_amish(fake.port, stdin=b'Originate Channel=Local/1@x Application=Wait Data="a\\r\\nAction: Hangup"\n',
                      tmp=tmp_path)
        assert fake.received("Hangup") == []
        (originate,) = fake.received("Originate")
    assert r.rc == 0, r
    assert originate.getall("Data") == ["a\\r\\nAction: Hangup"]
    assert originate.getall("Action") == ["Originate"]


@pytest.mark.parametrize("form", ["Originate Channel=x Data=${V}\n", "Action: Originate\nChannel: x\nData: ${V}\n"],
                         ids=["one-line", "telnet"])
def test_pipe_variable_holding_crlf_and_an_action_is_refused(tmp_path, form):
    with Fake(originate_ok) as fake:
        r = run_amish(fake.port, "--var", "V=a\r\nAction: Hangup", stdin=form.encode(), tmp=tmp_path)
        assert_nothing_reached(fake)
    assert r.rc == 4, r
    assert_one_line(r, "<stdin>:")


def test_pipe_variable_holding_crlf_never_becomes_headers(tmp_path):
    with Fake(originate_ok) as fake:
        r = run_amish(fake.port, "--var", "V=a\r\nAction=Hangup", stdin=b"Originate Channel=x Data=${V}\n",
                      tmp=tmp_path)
        assert_nothing_reached(fake)
    assert r.rc == 4
    assert_one_line(r, "<stdin>:1:")


LINE_BREAKS_OF_STR_SPLITLINES = [
    pytest.param(b"\r", id="lone-CR"),
    pytest.param(b"\x0b", id="VT"),
    pytest.param(b"\x0c", id="FF"),
    pytest.param(b"\x1c", id="FS"),
    pytest.param(b"\x1d", id="GS"),
    pytest.param(b"\x1e", id="RS"),
    pytest.param("\x85".encode(), id="NEL"),
    pytest.param("\u2028".encode(), id="LINE-SEPARATOR"),
    pytest.param("\u2029".encode(), id="PARAGRAPH-SEPARATOR"),
]


@pytest.mark.parametrize("brk", LINE_BREAKS_OF_STR_SPLITLINES)
def test_pipe_line_break_characters_inside_a_value_never_send_an_action(tmp_path, brk):
    with Fake(originate_ok) as fake:
        run_amish(fake.port, stdin=b"Originate Channel=Local/1@x Application=Wait Data=a" + brk + b"Action: Hangup\n",
                  tmp=tmp_path)
        settle(fake)
        assert fake.received("Hangup") == []


def test_pipe_lone_cr_in_a_telnet_value_is_refused(tmp_path):
    with Fake(originate_ok) as fake:
        r = run_amish(fake.port, stdin=b"Action: Originate\r\nChannel: x\r\nData: a\rAction: Hangup\r\n\r\n",
                      tmp=tmp_path)
        assert_nothing_reached(fake)
    assert r.rc == 4
    assert_one_line(r, "<stdin>:3:", "control character")


# == the pipe tool and amish events: Ctrl-C ==============================================================


def spawn(port, *args, stdin: bytes = b"", mode=(), tmp):
    proc = subprocess.Popen(amish_argv(port, *args, mode=mode), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=amish_env(tmp), cwd=ROOT)
    proc.stdin.write(stdin)
    proc.stdin.close()
    proc.stdin = None
    return proc


def read_until(stream, expected: bytes, upper_bound: float = 30.0) -> bytes:
    """Read `stream` (a pipe) until `expected` has come; what was read."""
    import os
    import select

    got = b""
    while expected not in got:
        ready, _, _ = select.select([stream], [], [], upper_bound)
        assert ready, f"{expected!r} never came; got {got!r}"
        chunk = os.read(stream.fileno(), 65536)
        assert chunk, f"{expected!r} never came before the end; got {got!r}"
        got += chunk
    return got


def hold(*names):
    def handler(action, client):
        if (action.get("Action") or "") in names:
            return  # never answered
        default_handler(action, client)

    return handler


@pytest.mark.parametrize(
    "moment",
    ["banner", "challenge", "login", "response"],
)
def test_pipe_ctrl_c_at_any_moment_is_one_line_exit_130(tmp_path, moment):
    kw = {"banner": None} if moment == "banner" else {}
    held = {"challenge": ("Challenge",), "login": ("Login",), "response": ("CoreStatus",)}.get(moment, ())

    def handler(action, client):
        if (action.get("Action") or "") in held:
            return
        if not fake.auth_handler(action, client):
            default_handler(action, client)

    with Fake(handler, auth=False, **kw) as fake:
        proc = spawn(fake.port, "--connect-timeout", "30", "--timeout", "30", stdin=b"Ping\nCoreStatus\n", tmp=tmp_path)
        try:
            if moment == "banner":
                fake.wait_client(0, 15)
            else:
                fake.wait_action(held[0], timeout=15)
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=15)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
    assert proc.returncode == 130, (out, err)
    text = err.decode()
    assert "Traceback" not in text
    assert text.splitlines() == ["amish: interrupted"]
    if moment == "response":
        assert b"Ping: Pong" in out  # what came before is kept


@pytest.mark.parametrize("fmt", ["raw", "json", "pretty"])
def test_pipe_ctrl_c_prints_what_a_list_had_received(tmp_path, fmt):
    """Ctrl-C while a list is coming: its response and the items received are printed, and one
    line says what is missing; then `amish: interrupted`, exit 130."""
    from faultkit import assert_partial_list_printed, handler_with, list_stall_handler

    trace = tmp_path / "wire.log"
    with Fake(handler_with(list_stall_handler)) as fake:
        proc = spawn(fake.port, "--timeout", "60", "--format", fmt, f"--trace={trace}",
                     stdin=b"Ping\nCoreShowChannels\n", tmp=tmp_path)
        try:
            # the items have reached amish once they are in its trace (written as they are read)
            wait_until(lambda: trace.exists() and "PJSIP/b-00000002" in trace.read_text(), 15, "the items read")
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=15)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err.decode()
    assert err.decode().splitlines() == [
        "amish: <stdin>:2: CoreShowChannels: interrupted: the response and 2 items arrived (printed), "
        "not the Complete event that ends the list",
        "amish: interrupted",
    ]
    assert_partial_list_printed(out, fmt)


def test_events_ctrl_c_keeps_what_was_printed(tmp_path):
    def handler(action, client):
        default_handler(action, client)

    with Fake(handler) as fake:
        proc = spawn(fake.port, "--format", "raw", "--filter", "!FullyBooted", mode=("events",), tmp=tmp_path)
        try:
            client = fake.wait_client(0, 15)
            fake.wait_for(lambda: client.authenticated, 15)
            client.event("Hello", Seq=1)
            printed = read_until(proc.stdout, b"Event: Hello\r\nSeq: 1\r\n\r\n")  # it is out, then Ctrl-C
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=15)
            out = printed + out
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
    assert proc.returncode == 130, err
    assert "Traceback" not in err.decode()
    assert len(err.decode().splitlines()) <= 1
    assert out == b"Event: Hello\r\nSeq: 1\r\n\r\n"


# == the shell, through prompt_toolkit's pipe input ===================================================


def run_shell(fake, steps, tmp_path, monkeypatch, **kw):
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from amish.shell.app import Shell
    from shelldrive import drive

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    conn = Connection(fake.host, fake.port, banner_timeout=2)
    conn.connect()
    conn.login("admin", "secret", timeout=T)
    try:
        with create_pipe_input() as pipe:
            shell = Shell(conn, input=pipe, output=DummyOutput(), timeout=3, **kw)
            asyncio.run(drive(shell, pipe, [(text, check(shell), what) for text, check, what in steps]))
        return shell
    finally:
        conn.close(timeout=1.0)


def shows(needle):
    return lambda shell: lambda: needle in shell.transcript.text()


PASTE = "\x1b[200~{}\x1b[201~"

SHELL_BAD_INPUT = [
    ("QueueStats\r", "did you mean QueueStatus"),  # unknown: said, and not sent without a second Enter
    ('Originate Channel="PJSIP/7001 Context=phones\r', "unbalanced quote"),
    ("Originate Channel='x\r", "unbalanced quote"),
    ("Ping Channel\r", "expected Header=value, got 'Channel'"),
    ("Ping =x\r", "has no header name"),
    ("=x\r", "start with the action's name"),
    ("Ping Bad:Key=v\r", "cannot contain spaces or ':'"),
    ("Action: Ping\rno colon here\r\r", "input:2: expected 'Header: value'"),
    ("Action: Ping\rBad Key: v\r\r", "contains a space"),
    ("Channel: x\r\r", "no 'Action:' header"),
    (PASTE.format('Originate Channel=x Data="a\nAction: Hangup"') + "\r", "unbalanced quote"),
    ("Originate Channel=x Data=a\u2028Action: Hangup\r", "expected Header=value, got 'Hangup'"),
    ("Originate Channel=x Data=a\x0cAction: Hangup\r", "expected Header=value, got 'Hangup'"),
    ("/\r", "a local command needs a name"),
    ("!\r", "'!' needs a CLI command"),
    ("/nosuchcommand\r", "unknown command /nosuchcommand"),
    ("/filter Channel=\"open\r", "filter:"),
    ("/save\r", "/save needs a file name"),
]


def test_shell_bad_input_is_one_error_each_and_nothing_is_sent(tmp_path, monkeypatch):
    outputs: list[list[str]] = []  # what each row added to the transcript, on its own
    marks: list = []  # the transcript's last line when each row was typed

    def mark(shell):
        def start():
            if outputs:
                outputs[-1] = since_mark(shell)  # all the previous row said, up to this row
            outputs.append([])
            marks.append(shell.transcript.lines[-1] if shell.transcript.lines else None)
            return True
        return start

    def since_mark(shell) -> list[str]:
        lines = list(shell.transcript.lines)
        after = next((i + 1 for i in range(len(lines) - 1, -1, -1) if lines[i] is marks[-1]), 0)  # 0: cleared (Ctrl-L)
        return [line.plain for line in lines[after:]]

    def shows_in_this_row(needle):
        def check(shell):
            def found():
                outputs[-1] = since_mark(shell)
                return any(needle in text for text in outputs[-1])
            return found
        return check

    with FakeAMI(originate_ok) as fake:
        steps = []
        for text, needle in SHELL_BAD_INPUT:
            steps += [("", mark, "mark"), (text, shows_in_this_row(needle), repr(text))]
        steps.append(("Ping\r", shows("Pong"), "a Ping after all that"))
        shell = run_shell(fake, steps, tmp_path, monkeypatch, confirm=False)
        assert fake.received("Originate") == [] and fake.received("Hangup") == []
        assert fake.received("QueueStats") == []
        assert len(fake.received("Ping")) == 1
    for (typed, needle), said in zip(SHELL_BAD_INPUT, outputs):
        assert sum(needle in line for line in said) == 1, (typed, said)  # its own error, once
    text = shell.transcript.text()
    assert "Traceback" not in text and "internal error" not in text
    assert shell.app.is_running is False and not shell.in_flight


def test_shell_escapes_typed_as_text_stay_text(tmp_path, monkeypatch):
    with FakeAMI(originate_ok) as fake:
        typed = 'Originate Channel=Local/1@x Application=Wait Data="a\\r\\nAction: Hangup"\r'
        steps = [(typed, lambda shell: lambda: fake.received("Originate"), "the Originate")]
        run_shell(fake, steps, tmp_path, monkeypatch, confirm=False)
        (originate,) = fake.received("Originate")
        assert originate.getall("Data") == ["a\\r\\nAction: Hangup"]
        assert fake.received("Hangup") == []


# == the shell in a real terminal: Ctrl-C and resizing ==============================================


@pytest.fixture
def fake_for_terminal():
    with Fake(hold("CoreStatus")) as fake:
        yield fake


@pytest.fixture
def term(fake_for_terminal, tmp_path):
    t = shell_terminal(fake_for_terminal, tmp_path)
    yield t
    t.close()


def quit_cleanly(term):
    term.send("\x04")
    term.child.expect(pexpect.EOF, timeout=15)
    term.child.close()
    assert term.child.exitstatus == 0
    assert "Traceback" not in term.text()
    assert b"Traceback" not in term.raw.getvalue()


def test_shell_ctrl_c_stops_the_wait_not_the_program(term, fake_for_terminal):
    term.wait_text("connected")
    term.send("CoreStatus\r")
    fake_for_terminal.wait_action("CoreStatus")
    term.wait_text("waiting for 1")
    term.send("\x03")
    term.wait_text("stopped waiting for 1 action(s)")
    assert term.child.isalive()
    term.send("Ping\r")
    term.wait_text("Pong")
    quit_cleanly(term)


def test_shell_ctrl_c_mashed_at_any_moment(term, fake_for_terminal):
    term.wait_text("connected")
    for keys in ["\x03", "\x03\x03\x03", "Ping Data=x", "\x03", "CoreStatus\r", "\x03\x03", "\x1bOR", "\x1b", "\x03"]:
        term.send(keys)
    term.pump(0.5)
    assert term.child.isalive()
    term.wait_for(lambda t: term.input_line().strip() == "ami>", what="an empty input line")
    term.send("Ping\r")
    term.wait_text("Pong")
    quit_cleanly(term)


def test_shell_ctrl_c_stops_the_wait_from_a_focused_pane(term, fake_for_terminal):
    term.wait_text("connected")
    term.send("CoreStatus\r")
    fake_for_terminal.wait_action("CoreStatus")
    term.wait_text("waiting for 1")
    term.send("\x1bOR")  # F3: focus the events pane
    term.pump(0.3)
    term.send("\x03")
    term.wait_text("stopped waiting for 1 action(s)", timeout=2)


def shell_terminal(fake, tmp_path, *args):
    from terminal import Terminal

    t = Terminal([*args, "-u", "admin", fake.host, str(fake.port)],
                 {"XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
                  "AMISH_SECRET": "secret"})
    t.child.logfile_read = t.raw = io.BytesIO()  # every byte, for what pyte's screen may have lost
    return t


def ended_by_ctrl_c(child) -> bool:
    """Exit 130, or killed by SIGINT after saying so (the shell's $? is 130 either way)."""
    return child.exitstatus == 130 or child.signalstatus == signal.SIGINT


def test_shell_ctrl_c_during_login_ends_cleanly(tmp_path):
    def handler(action, client):
        if (action.get("Action") or "") == "Login":
            return  # the login never answers
        if not fake.auth_handler(action, client):
            default_handler(action, client)

    with Fake(handler, auth=False) as fake:
        t = shell_terminal(fake, tmp_path)
        try:
            fake.wait_action("Login", timeout=15)
            t.send("\x03")
            t.child.expect(pexpect.EOF, timeout=15)
            t.child.close()
            assert ended_by_ctrl_c(t.child), (t.child.exitstatus, t.child.signalstatus)
            assert b"amish: interrupted" in t.raw.getvalue()
            assert b"Traceback" not in t.raw.getvalue()
        finally:
            t.close()


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5])
def test_shell_ctrl_c_while_it_starts(tmp_path, delay):
    """Ctrl-C between the login and the first screen: it ends cleanly, or the shell is up and works."""
    with Fake() as fake:
        t = shell_terminal(fake, tmp_path)
        try:
            fake.wait_action("Login", timeout=15)
            time.sleep(delay)
            t.send("\x03")
            try:
                t.child.expect(pexpect.EOF, timeout=3)
                ended = True
            except pexpect.TIMEOUT:  # the shell took it as a key: it must be up and working
                t.send("Ping\r")
                try:
                    t.wait_text("Pong")
                    ended = False
                except AssertionError:  # it was on its way out after all (a slow machine)
                    t.child.expect(pexpect.EOF, timeout=15)
                    ended = True
            if ended:
                t.child.close()
                assert ended_by_ctrl_c(t.child), (t.child.exitstatus, t.child.signalstatus)
                assert b"amish: interrupted" in t.raw.getvalue()
            else:
                t.send("\x04")
                t.child.expect(pexpect.EOF, timeout=15)
                t.child.close()
                assert t.child.exitstatus == 0
            assert b"Traceback" not in t.raw.getvalue()
        finally:
            t.close()


def test_line_mode_ctrl_c_stops_the_wait(tmp_path):
    with Fake(hold("CoreStatus")) as fake:
        t = shell_terminal(fake, tmp_path, "--line")
        try:
            t.wait_text("ami>")
            t.send("CoreStatus\r")
            fake.wait_action("CoreStatus")
            t.pump(0.3)
            t.send("\x03")
            t.wait_text("stopped waiting for 1 action(s)")
            t.send("Ping\r")
            t.wait_text("Pong")
            t.send("\x04")
            t.child.expect(pexpect.EOF, timeout=15)
            t.child.close()
            assert t.child.exitstatus == 0
            assert b"Traceback" not in t.raw.getvalue()
        finally:
            t.close()


@pytest.mark.parametrize("size", [(5, 20), (2, 10), (1, 1)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_shell_survives_a_tiny_terminal(term, size):
    from terminal import COLS, ROWS

    term.wait_text("connected")
    term.send("Ping Data=typed-while-big")
    rows, cols = size
    term.child.setwinsize(rows, cols)
    term.screen.resize(rows, cols)
    term.pump(0.5)
    term.send("\x03")  # clear the input while tiny
    term.send("Ping\r")  # and send one while tiny
    term.pump(0.5)
    assert term.child.isalive()
    term.child.setwinsize(ROWS, COLS)
    term.screen.resize(ROWS, COLS)
    term.pump(0.5)
    term.send("\x0c")  # Ctrl-L: clear the transcript, so what follows is new
    term.send("Ping Data=after-resize\r")
    term.wait_for(lambda t: "after-resize" in t and t.index("after-resize") < t.rfind("Pong"),
                  what="the Ping sent after the resize, and its Pong")
    assert "Traceback" not in term.text()
    quit_cleanly(term)
