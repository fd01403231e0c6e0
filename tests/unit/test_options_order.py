"""No ordering of options and positionals changes the server silently (issue 10, item 1).

An option whose value may be left out (``--trace``) never takes the next word:
``amish --trace pbx`` talks to pbx; the file is given as ``--trace=FILE``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from amish import cli
from conftest import ADMIN

PARSERS = {"amish": cli.build_parser, **{f"amish {m}": f for m, f in cli.SUBCOMMANDS.items()}}


def _optional_value_options():
    for prog, build in PARSERS.items():
        for action in build()._actions:
            if action.option_strings and action.nargs == "?":
                yield prog, build, action


OPTIONAL = list(_optional_value_options())


def test_there_are_optional_value_options_to_check():
    assert {(prog, a.dest) for prog, _, a in OPTIONAL} >= {("amish", "trace"), ("amish events", "trace")}


@pytest.mark.parametrize("prog, build, action", OPTIONAL, ids=lambda x: x if isinstance(x, str) else "")
def test_every_optional_value_option_has_a_long_form(prog, build, action):
    assert any(s.startswith("--") for s in action.option_strings), action.option_strings


ORDERS = [
    # argv (OPT is the option), host, port
    (["OPT", "pbx.example"], "pbx.example", None),
    (["-u", "admin", "OPT", "192.0.2.1"], "192.0.2.1", None),
    (["OPT", "pbx.example", "5038"], "pbx.example", "5038"),
    (["pbx.example", "OPT", "5038"], "pbx.example", "5038"),
    (["pbx.example", "5038", "OPT"], "pbx.example", "5038"),
    (["OPT", "--", "pbx.example"], "pbx.example", None),
    (["OPT", "-u", "admin", "pbx.example"], "pbx.example", None),
]


@pytest.mark.parametrize("argv, host, port", ORDERS)
@pytest.mark.parametrize("prog, build, action", OPTIONAL, ids=lambda x: x if isinstance(x, str) else "")
def test_the_word_after_a_bare_optional_value_option_stays_a_positional(prog, build, action, argv, host, port):
    for opt in action.option_strings + [action.option_strings[-1][:-1]]:  # and an abbreviation argparse takes
        args = build().parse_args([opt if w == "OPT" else w for w in argv])
        assert (args.host, args.port) == (host, port), (opt, argv)
        assert getattr(args, action.dest) == action.const, (opt, argv)


@pytest.mark.parametrize("prog, build, action", OPTIONAL, ids=lambda x: x if isinstance(x, str) else "")
def test_the_value_goes_after_an_equals_sign(prog, build, action):
    long = next(s for s in action.option_strings if s.startswith("--"))
    args = build().parse_args([f"{long}=wire.log", "pbx.example"])
    assert getattr(args, action.dest) == "wire.log"
    assert args.host == "pbx.example"


def test_help_shows_the_value_attached():
    text = cli.build_parser().format_help()
    assert "--trace[=FILE]" in text
    assert "--trace [FILE]" not in text


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(argv, cwd, stdin=b"Action: Ping\n\n", timeout=60):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_")}
    env["AMISH_SECRET"] = ADMIN[1]
    return subprocess.run(
        [sys.executable, "-m", "amish", *argv], input=stdin, capture_output=True, timeout=timeout, env=env, cwd=cwd
    )


@pytest.mark.parametrize("mode", [[], ["events"], ["raw"], ["audit"]], ids=["pipe", "events", "raw", "audit"])
def test_every_mode_connects_to_the_host_after_trace(tmp_path, mode):
    """`--trace 127.0.0.1 PORT`: the host and port are the target (refused here), no file named after the host."""
    port = _closed_port()
    proc = _run([*mode, "-u", "admin", "--trace", "127.0.0.1", str(port)], tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert f"127.0.0.1:{port}".encode() in proc.stderr, proc.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.asterisk
def test_trace_to_stderr_and_the_named_host_answers(asterisk, tmp_path):
    proc = _run(["-u", "admin", "--trace", asterisk.host, str(asterisk.port)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert b"Ping: Pong" in proc.stdout
    assert f"amish -> {asterisk.host}:{asterisk.port}".encode() in proc.stderr  # the trace's block header
    assert list(tmp_path.iterdir()) == []


@pytest.mark.asterisk
def test_trace_to_a_file_with_equals(asterisk, tmp_path):
    proc = _run(["-u", "admin", "--trace=wire.log", asterisk.host, str(asterisk.port)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["wire.log"]
    assert "Action: Ping" in (tmp_path / "wire.log").read_text()


def test_a_ctrl_c_python_could_not_raise_is_delivered_again_not_printed(monkeypatch, capsys):
    """Ctrl-C inside an import-lock callback at start-up printed "Exception ignored ... Traceback"
    (tests/faults/test_faults_user.py::test_shell_ctrl_c_while_it_starts, now and then)."""
    import _thread
    import types

    from amish import cli

    asked = []
    monkeypatch.setattr(_thread, "interrupt_main", lambda *a: asked.append(a))
    cli._interrupt_again(types.SimpleNamespace(exc_value=KeyboardInterrupt(), exc_type=KeyboardInterrupt,
                                               exc_traceback=None, err_msg=None, object=None))
    assert asked == [()]
    assert capsys.readouterr().err == ""
    seen = []
    monkeypatch.setattr(cli.sys, "__unraisablehook__", seen.append)
    other = types.SimpleNamespace(exc_value=ValueError("x"))
    cli._interrupt_again(other)
    assert seen == [other]  # anything else is said as Python says it
