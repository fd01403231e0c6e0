"""The shell's behaviour as a person meets it: a real terminal (pexpect + pyte), the real Asterisk.

Channels offered on Tab, an Originate's outcome, the confirmation, a login that
may not run an action, a mistyped secret, /filter in line mode, a replay.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pexpect
import pyte
import pytest

from conftest import ADMIN, READER
from terminal import COLS, ROWS, Terminal

pytestmark = pytest.mark.asterisk


class Term(Terminal):
    """Terminal, with the login's secret given (or not: then amish prompts for it)."""

    def __init__(self, args, tmp_path, secret: str | None = ADMIN[1]):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_")}
        env.update({"TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1", "XDG_STATE_HOME": str(tmp_path)})
        if secret is not None:
            env["AMISH_SECRET"] = secret
        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        self.child = pexpect.spawn(sys.executable, ["-m", "amish", *args], env=env, dimensions=(ROWS, COLS), timeout=10)

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def line_index(self, needle: str, start: int = 0) -> int:
        return next(i for i, line in enumerate(self.lines()) if i >= start and needle in line)


def sandbox_args(asterisk, *extra, user="admin"):
    return [*extra, "-u", user, asterisk.host, str(asterisk.port)]


@pytest.fixture
def held_call(admin):
    """A call up before the shell starts: Local/hold@amish-test (answers, waits 60 s), both legs' names."""
    call = admin.send(
        [("Action", "Originate"), ("Channel", "Local/hold@amish-test"), ("Application", "Wait"),
         ("Data", "60"), ("Async", "true")],
        wait_event="OriginateResponse", timeout=15,
    )
    assert call.ok, call.messages
    listing = admin.send([("Action", "CoreShowChannels")])
    names = sorted(m["Channel"] for m in listing.events if m["Channel"].startswith("Local/hold@amish-test-"))
    assert len(names) >= 2, names
    yield names
    for name in names:
        admin.send([("Action", "Hangup"), ("Channel", name)])


def menu_rows(term: Term) -> list[str]:
    """The completion menu's rows: a value and its note (live, action, ...), as drawn."""
    # a live channel's note is its caller ID, else its state (the call model), else "live"
    notes = (" live", " action", " not for this login", ">", " Up", " Down", " Ring", " Ringing", " Busy", " Dialing")
    return [line for line in term.lines()
            if line.rstrip().endswith(notes) and not line.lstrip().startswith(("ami>", "»"))
            and not line[:13].strip().replace(":", "").replace(".", "").isdigit()]  # not an events-pane line


# -- item 3: what Tab offers as live channels ------------------------------------------------


def test_tab_offers_channels_up_before_the_start_and_never_a_failed_dial_string(asterisk, held_call, tmp_path):
    t = Term(sandbox_args(asterisk), tmp_path)
    try:
        t.wait_text("Asterisk 22")
        t.send("Originate Channel=Local/999@nocontext Application=Wait Data=1 Async=true\r")
        t.wait_text("OriginateResponse Failure")  # the dial string is in this event's Channel header
        t.send("Hangup Channel=")
        t.send("\t")
        t.wait_for(lambda s: any(held_call[0] in row for row in menu_rows(t)), what="the held call offered")
        rows = menu_rows(t)
        assert all(any(name in row for row in rows) for name in held_call), rows
        assert not [row for row in rows if "nocontext" in row], rows  # neither the dial string nor the legs that hung up
        t.send("\x03\x03")
        t.send("\x04")
        t.child.expect(pexpect.EOF, timeout=10)
    finally:
        t.close()


# -- item 9: an async Originate's outcome, under it ------------------------------------------


def test_an_async_originate_shows_its_outcome_under_it(asterisk, tmp_path):
    t = Term(sandbox_args(asterisk), tmp_path)
    try:
        t.wait_text("connected")
        t.send("Originate Channel=Local/999@nocontext Application=Wait Data=1 Async=true\r")
        t.wait_text("Reason: 0 (failed)")
        queued = t.line_index("Originate successfully queued")
        outcome = t.line_index("outcome of Originate Channel=Local/999@nocontext")
        assert queued < outcome
        assert "OriginateResponse Failure" in t.lines()[outcome + 1]
    finally:
        t.close()


def test_line_mode_shows_an_async_originate_outcome_too(asterisk, tmp_path):
    t = Term(sandbox_args(asterisk, "--line", "--filter", "UserEvent"), tmp_path)
    try:
        t.wait_text("ami>")
        t.send("Originate Channel=Local/echo@amish-test Application=Wait Data=0.2 Async=true\r")
        t.wait_text("OriginateResponse Success")
        queued = t.line_index("Originate successfully queued")
        outcome = t.line_index("outcome of Originate Channel=Local/echo@amish-test")
        assert queued < outcome
        assert "Reason: 4 (answered)" in t.lines()[outcome + 1]
    finally:
        t.close()


# -- item 10: the confirmation keeps the input -----------------------------------------------


@pytest.mark.parametrize("mode", [(), ("--line",)], ids=["full-screen", "line-mode"])
def test_a_confirmation_keeps_the_input_and_enter_sends_it(asterisk, tmp_path, mode):
    t = Term(sandbox_args(asterisk, *mode), tmp_path)
    try:
        t.wait_text("ami>")
        t.send("Hangup Channel=Local/nobody@amish-test-0000ffff;1\r")
        t.wait_text("are you sure?")
        t.wait_text("press Enter again to send it anyway")
        t.wait_for(
            lambda s: t.input_line().startswith("ami> Hangup Channel=Local/nobody@amish-test-0000ffff;1"),
            what="the input kept",
        )
        assert "No such channel" not in t.text()  # nothing sent yet
        t.send("\r")
        t.wait_text("No such channel")  # sent: the server answers
    finally:
        t.close()


# -- item 11: a login that may not run an action ---------------------------------------------


def test_reader_sees_originate_marked_and_is_warned_before_sending(asterisk, tmp_path):
    t = Term(sandbox_args(asterisk, user=READER[0]), tmp_path, secret=READER[1])
    try:
        t.wait_text("Asterisk 22")  # ListCommands answered: the shell knows what this login may run
        t.send("Origin")
        t.wait_text("Originate  not for this login")  # in the menu
        t.send("\x03")  # close the menu, clear the input
        t.send("\x03")
        t.send("Originate Channel=Local/echo@amish-test Application=Wait Data=0.2\r")
        t.wait_text("this login (reader) may not run Originate")
        assert "Permission denied" not in t.text()  # nothing sent
        t.send("\r")  # Enter again: sent anyway, and the server refuses
        t.wait_text("Permission denied")
    finally:
        t.close()


# -- item 12: a mistyped secret may be typed again --------------------------------------------


def test_a_mistyped_secret_is_asked_for_again(asterisk, tmp_path):
    t = Term(sandbox_args(asterisk), tmp_path, secret=None)
    try:
        t.child.expect("AMI secret for admin@", timeout=20)
        t.child.sendline("not-the-secret")
        t.child.expect("Authentication failed", timeout=20)
        t.child.expect("AMI secret for admin@", timeout=20)
        t.child.sendline(ADMIN[1])
        t.wait_text("ami>", timeout=20)
        t.send("Ping\r")
        t.wait_text("Pong")
        assert "not-the-secret" not in t.text()
    finally:
        t.close()


def test_three_mistyped_secrets_end_with_exit_2(asterisk, tmp_path):
    t = Term(sandbox_args(asterisk), tmp_path, secret=None)
    try:
        for _ in range(3):
            t.child.expect("AMI secret for admin@", timeout=20)
            t.child.sendline("not-the-secret")
        t.child.expect("Authentication failed", timeout=20)
        t.child.expect(pexpect.EOF, timeout=20)
        t.child.close()
        assert t.child.exitstatus == 2
        assert t.child.before.count(b"AMI secret for") == 0  # no fourth prompt after the last refusal
    finally:
        t.close()


def test_a_wrong_secret_from_the_environment_is_not_asked_for(asterisk, tmp_path):
    t = Term(sandbox_args(asterisk), tmp_path, secret="not-the-secret")
    try:
        t.child.expect("Authentication failed", timeout=20)
        t.child.expect(pexpect.EOF, timeout=20)
        t.child.close()
        assert t.child.exitstatus == 2
        assert b"AMI secret for" not in t.child.before
    finally:
        t.close()


# -- item 17: /filter in line mode counts what was printed -----------------------------------


def test_line_mode_filter_counts_the_events_printed(asterisk, tmp_path):
    t = Term(sandbox_args(asterisk, "--line"), tmp_path)
    try:
        t.wait_text("ami>")
        t.send("Originate Channel=Local/echo@amish-test Application=Wait Data=0.2 Async=true\r")
        t.wait_for(lambda s: sum(" Hangup " in l and "Local/echo@amish-test-" in l for l in t.lines()) == 2,
                   what="two Hangup lines printed")
        t.send("/filter Hangup Channel=Local/echo@amish-test-*\r")
        t.wait_text("(2 of the kept events match)")
    finally:
        t.close()


# -- item 18: a replay pairs each recorded response with its recorded action -------------------


@pytest.mark.parametrize("mode", [(), ("--line",)], ids=["full-screen", "line-mode"])
def test_a_replay_shows_each_response_under_its_action(asterisk, tmp_path, mode):
    rec = tmp_path / "session.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_")}
    env["AMISH_SECRET"] = ADMIN[1]
    proc = subprocess.run(
        [sys.executable, "-m", "amish", "-u", "admin", "--record", str(rec), asterisk.host, str(asterisk.port)],
        input=b"Ping\nDBGet Family=amish-replay Key=nothing-here\n", capture_output=True, timeout=60, env=env,
    )
    assert proc.returncode == 1, proc.stderr  # the DBGet finds nothing: Error, recorded too
    t = Term(["replay", "--speed", "0", *mode, str(rec)], tmp_path)
    try:
        t.wait_text("end of recording")
        assert "no action waiting" not in t.text()
        login = t.line_index("» Login")
        assert "Success  Login" in t.lines()[login + 1]
        ping = t.line_index("» Ping")
        assert "Success  Ping" in t.lines()[ping + 1]
        dbget = t.line_index("» DBGet")
        assert "Error  DBGet" in t.lines()[dbget + 1]
    finally:
        t.close()


def test_the_filter_given_at_the_start_filters_the_events_pane(asterisk, tmp_path):
    t = Term(sandbox_args(asterisk, "--filter", "Hangup"), tmp_path)
    try:
        t.wait_text("filter: Hangup")
        t.send("Originate Channel=Local/echo@amish-test Application=Wait Data=0.2 Async=true\r")
        t.wait_for(lambda s: sum(" Hangup " in l for l in t.events_pane()) == 2, what="the two Hangups")
        assert all(" Hangup " in line for line in t.events_pane()), t.events_pane()  # no Newchannel, no VarSet...
    finally:
        t.close()
