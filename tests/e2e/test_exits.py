"""How amish ends when the user's input or the outputs are bad, or a signal comes: one line, the documented code.

Every case runs amish in a subprocess as a user does (the shell and raw mode in
a pseudo-terminal), against the real sandbox Asterisk where one is needed:

- bad numbers and CR/LF in the login's values are bad input (exit 4), said
  while the options are read or before connecting, never an internal error;
- an output that cannot be written (stdout, --trace, --record on /dev/full, a
  closed stdout) is exit 74 with what and why; a reader that goes away (EPIPE)
  is still a clean exit 0;
- SIGTERM / SIGHUP end every mode cleanly: log off, the recording flushed,
  `amish: terminated` / `amish: hung up`, exit 143 / 129.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import pexpect
import pytest

from conftest import ADMIN, ROOT

T = 60  # an upper bound only


def env_for(tmp_path, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_")}
    env.update(
        AMISH_SECRET=ADMIN[1],
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        NO_COLOR="1",
        TERM="xterm-256color",
        PROMPT_TOOLKIT_NO_CPR="1",
    )
    env.update(extra)
    return env


def amish(*args: str) -> list[str]:
    return [sys.executable, "-m", "amish", *args]


def one_line(err: str, *needles: str) -> str:
    assert "Traceback" not in err and "internal error" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1, lines
    assert re.match(r"amish( events| raw| audit| replay)?: ", lines[0]), lines
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


@pytest.fixture
def unused_port() -> int:
    """A port nothing listens on: a case that tried to connect would end in exit 2, not 4."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# == bad input: exit 4, before anything is sent =====================================================

BAD_INPUT = [
    # (mode and options, environment, what the line says)
    (["--timeout", "-1"], {}, "--timeout: '-1' is not a number of seconds above 0, at most 86400"),
    (["--timeout", "0"], {}, "--timeout: '0' is not a number of seconds above 0"),
    (["--timeout", "nan"], {}, "--timeout: 'nan' is not a number"),
    (["--timeout", "inf"], {}, "--timeout: 'inf' is not a number"),
    (["--timeout", "soon"], {}, "--timeout: 'soon' is not a number"),
    (["--connect-timeout", "nan"], {}, "--connect-timeout: 'nan' is not a number of seconds"),
    (["--connect-timeout", "1e309"], {}, "--connect-timeout: '1e309' is not a number"),
    (["--keepalive", "-1"], {}, "--keepalive: '-1' is not a number of seconds from 1 to 86400"),
    (["--keepalive", "0"], {}, "--keepalive: '0' is not a number of seconds from 1"),
    (["--boot-timeout", "-5"], {}, "--boot-timeout: '-5' is not a number of seconds from 0 to 86400"),
    (["--originate-timeout", "nan"], {}, "--originate-timeout: 'nan' is not a number"),
    (["--scrollback", "0"], {}, "--scrollback: '0' is not an integer from 1 to 1000000"),
    (["--scrollback", "many"], {}, "--scrollback: 'many' is not an integer"),
    (["events", "--count", "0"], {}, "--count/-n: '0' is not an integer of at least 1"),
    (["events", "--duration", "-3"], {}, "--duration/--for: '-3' is not a number of seconds above 0"),
    (["events", "--timeout", "inf"], {}, "--timeout: 'inf' is not a number"),
    (["raw", "--connect-timeout", "-1"], {}, "--connect-timeout: '-1' is not a number"),
    (["audit", "--timeout", "nan"], {}, "--timeout: 'nan' is not a number"),
    (["replay", "--speed", "-1", "x.amish"], {}, "--speed: '-1' is not a number from 0 to 1000000"),
    (["replay", "--speed", "nan", "x.amish"], {}, "--speed: 'nan' is not a number"),
    (["-u", "ad\r\nmin"], {}, "the AMI user (-u, AMISH_USER or the profile's user) holds a line break"),
    (["events", "-u", "admin\nAction: Hangup"], {}, "the AMI user"),
    (["--events", "on\r\nAction: Hangup"], {}, "the event mask (--events or the profile's events) holds a line break"),
    ([], {"AMISH_USER": "ad\rmin"}, "the AMI user"),
    ([], {"AMISH_SECRET": "x\r\nAction: Hangup"}, "the AMI secret holds a line break (CR or LF)"),
    (["--auth", "plain"], {"AMISH_SECRET": "x\ny"}, "the AMI secret holds a line break"),
]


@pytest.mark.parametrize("args, extra_env, needle", BAD_INPUT, ids=[repr(c[0] or c[1])[:60] for c in BAD_INPUT])
def test_bad_input_is_one_line_exit_4_and_nothing_connects(tmp_path, unused_port, args, extra_env, needle):
    mode = [args[0]] if args and args[0] in ("events", "raw", "audit", "replay") else []
    rest = args[len(mode):]
    where = [] if mode == ["replay"] else ["-p", str(unused_port), "127.0.0.1"]
    user = [] if mode == ["replay"] or "-u" in rest or "AMISH_USER" in extra_env else ["-u", "admin"]
    proc = subprocess.run(amish(*mode, *user, *rest, *where), input=b"Ping\n", capture_output=True,
                          timeout=T, env=env_for(tmp_path, **extra_env), cwd=ROOT)
    err = proc.stderr.decode()
    assert proc.returncode == 4, err
    line = one_line(err, needle)
    assert "x\r\nAction" not in line and "x\\r\\nAction" not in line  # the secret is never shown
    assert proc.stdout == b""


# == outputs that cannot be written: exit 74; a reader gone away: 0 ===========================================


def run_to(stdout, tmp_path, *args: str, stdin: bytes = b"Ping\n", close_stdout: bool = False):
    proc = subprocess.run(
        amish(*args),
        input=stdin,
        stdout=stdout,
        stderr=subprocess.PIPE,
        timeout=T,
        env=env_for(tmp_path),
        cwd=ROOT,
        preexec_fn=(lambda: os.close(1)) if close_stdout else None,
    )
    return proc.returncode, proc.stderr.decode()


def sandbox_args(asterisk, *mode: str) -> list[str]:
    return [*mode, "-u", "admin", "-p", str(asterisk.port), asterisk.host]


UNWRITABLE = [
    # (mode and options, stdout to /dev/full?, the line)
    pytest.param((), "full", "cannot write stdout: No space left on device", id="pipe-stdout-full"),
    pytest.param((), "closed", "cannot write stdout: it is closed", id="pipe-stdout-closed"),
    pytest.param(("--format", "json"), "full", "cannot write stdout: No space left on device", id="pipe-json-full"),
    pytest.param(("--trace=/dev/full",), "null", "cannot write the trace /dev/full: No space left on device",
                 id="pipe-trace-full"),
    pytest.param(("--record", "/dev/full"), "null", "cannot write the recording /dev/full: No space left on device",
                 id="pipe-record-full"),
    pytest.param(("events", "--format", "raw", "--count", "1"), "full", "cannot write stdout: No space left on device",
                 id="events-raw-full"),
    pytest.param(("events", "--format", "raw", "--filter", "FullyBooted", "--count", "1"), "full",
                 "cannot write stdout: No space left on device", id="events-raw-filtered-full"),
    pytest.param(("events", "--format", "jsonl", "--count", "1"), "full",
                 "cannot write stdout: No space left on device", id="events-jsonl-full"),
    pytest.param(("events", "--format", "pretty", "--count", "1"), "full",
                 "cannot write stdout: No space left on device", id="events-pretty-full"),
    pytest.param(("events", "--count", "1"), "closed", "cannot write stdout: it is closed", id="events-closed"),
    pytest.param(("events", "--count", "1", "--trace=/dev/full"), "null",
                 "cannot write the trace /dev/full: No space left on device", id="events-trace-full"),
    pytest.param(("events", "--count", "1", "--record", "/dev/full"), "null",
                 "cannot write the recording /dev/full: No space left on device", id="events-record-full"),
    pytest.param(("--format", "pretty"), "full", "cannot write stdout: No space left on device", id="pipe-pretty-full"),
    pytest.param(("audit",), "full", "cannot write stdout: No space left on device", id="audit-stdout-full"),
    pytest.param(("audit", "--format", "json"), "full", "cannot write stdout: No space left on device",
                 id="audit-json-full"),
]


@pytest.mark.parametrize("args, target, needle", UNWRITABLE)
def test_an_unwritable_output_is_one_line_exit_74(asterisk, tmp_path, args, target, needle):
    mode = [a for a in args[:1] if a in ("events", "audit")]
    options = list(args[len(mode):])
    argv = [*mode, *options, "-u", "admin", "-p", str(asterisk.port), asterisk.host]
    if target == "full":
        with open("/dev/full", "wb") as full:
            rc, err = run_to(full, tmp_path, *argv)
    else:
        rc, err = run_to(subprocess.DEVNULL, tmp_path, *argv, close_stdout=target == "closed")
    assert rc == 74, err
    one_line(err, needle)


def test_a_closed_stdin_is_an_empty_input(asterisk, tmp_path):
    """`<&-` is read as `</dev/null`: nothing to send, not an internal error."""
    proc = subprocess.run(amish(*sandbox_args(asterisk)), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=T, env=env_for(tmp_path), cwd=ROOT, preexec_fn=lambda: os.close(0))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b"")


@pytest.mark.parametrize("fmt", ["raw", "jsonl"])
def test_a_reader_that_goes_away_is_still_exit_0(asterisk, tmp_path, fmt):
    """The other side of 74: EPIPE (| head) is the reader having what it wanted, not a failure."""
    proc = subprocess.Popen(amish(*sandbox_args(asterisk, "events"), "--format", fmt), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env_for(tmp_path), cwd=ROOT)
    try:
        assert proc.stdout.readline()  # FullyBooted
        proc.stdout.close()
        # more events come (each Ping's login is one) and find the pipe closed
        for _ in range(3):
            subprocess.run(amish(*sandbox_args(asterisk)), input=b"Ping\n", capture_output=True, timeout=T,
                           env=env_for(tmp_path), cwd=ROOT)
        rc = proc.wait(T)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert rc == 0
    assert proc.stderr.read() == b""


# == SIGTERM and SIGHUP: log off, flush, one line, 143 / 129 ================================================


def recorded(path) -> tuple[str, str]:
    """What amish sent and received, from its recording."""
    out, inp = [], []
    for line in path.read_text().splitlines()[1:]:
        rec = json.loads(line)
        (out if rec["dir"] == "out" else inp).append(rec.get("data", ""))
    return "".join(out), "".join(inp)


def wait_for_file(path, needle: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not (path.exists() and needle in path.read_text()):
        assert time.monotonic() < deadline, f"{needle!r} never reached {path}"
        time.sleep(0.05)


SIGNALS = [(signal.SIGTERM, 143, "amish: terminated"), (signal.SIGHUP, 129, "amish: hung up")]


@pytest.mark.parametrize("sig, code, said", SIGNALS, ids=["TERM", "HUP"])
@pytest.mark.parametrize("mode", ["pipe", "events"])
def test_a_signal_ends_the_pipe_tool_and_events_cleanly(asterisk, tmp_path, mode, sig, code, said):
    rec = tmp_path / "s.amish"
    if mode == "pipe":  # waiting for a response: WaitEvent holds it for 30 s
        argv = amish(*sandbox_args(asterisk), "--events", "on", "--record", str(rec))
        stdin, ready = b"WaitEvent Timeout=30\n", "Action: WaitEvent"
    else:
        argv = amish(*sandbox_args(asterisk, "events"), "--record", str(rec))
        stdin, ready = b"", "FullyBooted"
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env_for(tmp_path), cwd=ROOT)
    try:
        proc.stdin.write(stdin)
        proc.stdin.close()
        proc.stdin = None
        wait_for_file(rec, ready)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=T)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, err
    assert err.decode().splitlines() == [said]
    sent, received = recorded(rec)
    assert sent.rstrip().rsplit("\r\n\r\n", 1)[-1].startswith("Action: Logoff")  # the last thing sent
    assert "Response: Goodbye" in received  # logged off, and the recording has it all


@pytest.mark.parametrize("sig, code, said", SIGNALS, ids=["TERM", "HUP"])
@pytest.mark.parametrize("mode", ["shell", "line", "raw"])
def test_a_signal_ends_the_shell_and_raw_mode_cleanly(asterisk, tmp_path, mode, sig, code, said):
    rec = tmp_path / "s.amish"
    args = {"shell": [], "line": ["--line"], "raw": ["raw"]}[mode]
    argv = [*args, "-u", "admin", "--record", str(rec), "-p", str(asterisk.port), asterisk.host]
    child = pexpect.spawn(sys.executable, ["-m", "amish", *argv], env=env_for(tmp_path), dimensions=(40, 120),
                          timeout=T, cwd=str(ROOT))
    try:
        child.expect({"shell": "connected", "line": "ami> ", "raw": "amish raw"}[mode])
        wait_for_file(rec, "FullyBooted")
        child.kill(sig)
        child.expect(pexpect.EOF)
        tail = child.before.decode("utf-8", "replace")
        child.close()
    finally:
        if child.isalive():
            child.terminate(force=True)
    assert child.exitstatus == code, tail
    assert tail.rstrip().endswith(said), tail[-300:]  # the last thing on the terminal
    assert "Traceback" not in tail
    if mode == "shell":
        assert "\x1b[?1049l" in tail  # the full screen was left: the terminal is usable again
    sent, received = recorded(rec)
    assert "Action: Logoff" in sent and "Response: Goodbye" in received
