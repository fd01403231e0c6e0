"""amish as a person uses it: a real terminal (pexpect + pyte), the real Asterisk."""

from __future__ import annotations

import os
import sys
import time

import pexpect
import pyte
import pytest

from conftest import ADMIN

pytestmark = pytest.mark.asterisk

COLS, ROWS = 140, 44


class Terminal:
    """amish in a pseudo-terminal, its screen kept by pyte."""

    def __init__(self, args, env_extra=None, size=(ROWS, COLS)):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_")}
        env.update({"TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1", "AMISH_SECRET": ADMIN[1]})
        env["XDG_STATE_HOME"] = env_extra.pop("XDG_STATE_HOME") if env_extra and "XDG_STATE_HOME" in env_extra else "/tmp/amish-e2e-state"
        env.update(env_extra or {})
        rows, cols = size
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.child = pexpect.spawn(
            sys.executable, ["-m", "amish", *args], env=env, dimensions=(rows, cols), timeout=10
        )

    def pump(self, seconds=0.05):
        end = time.monotonic() + seconds
        while True:
            try:
                data = self.child.read_nonblocking(65536, timeout=max(0.0, end - time.monotonic()))
                self.stream.feed(data)
            except pexpect.TIMEOUT:
                pass
            except pexpect.EOF:
                return
            if time.monotonic() >= end:
                return

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait_for(self, predicate, timeout=10.0, what=""):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump(0.05)
            if predicate(self.text()):
                return
        raise AssertionError(f"timed out waiting for {what or predicate}; screen:\n{self.text()}")

    def wait_text(self, needle, timeout=10.0):
        self.wait_for(lambda t: needle in t, timeout, repr(needle))

    def send(self, keys: str):
        self.child.send(keys)
        self.pump(0.05)

    def input_line(self) -> str:
        return next((l for l in reversed(self.screen.display) if l.startswith("ami> ")), "")

    def events_pane(self) -> list[str]:
        lines = self.screen.display
        start = next(i for i, l in enumerate(lines) if l.startswith(" Events "))
        end = next(i for i, l in enumerate(lines) if l.startswith(" Transcript "))
        return [l.rstrip() for l in lines[start + 1 : end] if l.strip()]

    def close(self):
        if self.child.isalive():
            self.child.terminate(force=True)


@pytest.fixture
def term(asterisk, tmp_path):
    t = Terminal(["-u", "admin", asterisk.host, str(asterisk.port)], {"XDG_STATE_HOME": str(tmp_path)})
    yield t
    t.close()


def test_a_session_as_a_person(term, tmp_path):
    term.wait_text("connected")
    term.wait_text("Asterisk 22")  # the toolbar learned the server's version in the background

    # complete the action name, then its headers one by one
    term.send("Orig")
    term.wait_for(lambda t: "Originate" in t, what="the completion menu")
    term.send("\t")
    term.wait_for(lambda t: term.input_line().startswith("ami> Originate "), what="Originate completed")
    term.send("Chan")
    term.send("\t")
    term.wait_for(lambda t: term.input_line().startswith("ami> Originate Channel="), what="Channel= completed")
    term.send("Local/echo@amish-test Appli")
    term.send("\t")
    term.wait_for(lambda t: "Application=" in term.input_line(), what="Application= completed")
    term.send("Wait Data=0.3 Async=tr")
    term.send("\t")
    term.wait_for(lambda t: "Async=true" in term.input_line(), what="Async=true completed")
    term.send("\r")

    term.wait_text("Originate successfully queued")
    term.wait_for(
        lambda t: sum(" Hangup " in l and "Local/echo@amish-test" in l for l in term.events_pane()) == 2,
        what="both Hangups in the events pane",
    )
    shown_before = term.events_pane()
    assert len(shown_before) > 4  # the call's other events: Newstate, DialBegin, VarSet...

    # filter the pane: the scrollback already received is re-filtered
    term.send("/filter Newchannel|Hangup\r")
    term.wait_text("filter: Newchannel|Hangup")
    term.wait_for(lambda t: len(term.events_pane()) == 4, what="two Newchannel and two Hangup lines")
    events = term.events_pane()
    assert [l.split()[1] for l in events] == ["Newchannel", "Newchannel", "Hangup", "Hangup"]
    assert all("Local/echo@amish-test" in l for l in events)
    term.send('/filter Hangup Channel="*;1"\r')
    term.wait_for(lambda t: len(term.events_pane()) == 1, what="the one Hangup of leg ;1")
    assert " Hangup " in term.events_pane()[0] and ";1" in term.events_pane()[0]

    # search the pane: focus it, Ctrl-R, then Enter shows the found event in full
    term.send("/filter Newchannel|Hangup\r")
    term.wait_for(lambda t: len(term.events_pane()) == 4, what="four lines back")
    term.send("\x1bOR")  # F3: focus the events pane
    term.send("\x12")  # Ctrl-R
    term.send("Newchannel")
    term.wait_text("I-search backward: Newchannel")
    term.send("\r")  # end the search
    term.send("\r")  # expand the event under the cursor
    term.wait_for(lambda t: "ChannelStateDesc" in t and "Linkedid" in t, what="the expanded event")
    term.send("\x1b")  # back to the input
    term.wait_for(lambda t: "[focused]" not in t, what="the focus back in the input (no pane titled [focused])")

    # an unknown action is caught with a suggestion, and nothing is sent
    term.send("QueueStats\r")
    term.wait_text("did you mean QueueStatus")
    term.wait_for(lambda t: term.input_line().startswith("ami> QueueStats"), what="kept for a second Enter")
    term.send("\x03")  # Ctrl-C: not sent, the input cleared

    # a CLI command
    term.send("!core show version\r")
    term.wait_text("Command output follows")

    # quit cleanly: Logoff, exit code 0
    term.send("/quit\r")
    term.child.expect(pexpect.EOF, timeout=10)
    term.child.close()
    assert term.child.exitstatus == 0

    history = (tmp_path / "amish" / "history").read_text()
    assert "Originate" in history and "QueueStats" in history
    assert oct((tmp_path / "amish" / "history").stat().st_mode & 0o777) == "0o600"


def test_ctrl_d_quits_and_secrets_stay_out_of_history(asterisk, tmp_path):
    t = Terminal(["-u", "admin", asterisk.host, str(asterisk.port)], {"XDG_STATE_HOME": str(tmp_path)})
    try:
        t.wait_text("connected")
        t.send("Login Username=admin Secret=hunter2\r")
        t.wait_text("Already authenticated")
        assert "Secret=********" in t.text()
        t.send("Ping Data=x")
        t.send("\x03")  # Ctrl-C clears the input
        t.wait_for(lambda s: t.input_line().strip() == "ami>", what="an empty input line")
        t.send("Ping\r")
        t.wait_text("Pong")
        t.send("\x04")  # Ctrl-D on an empty line
        t.child.expect(pexpect.EOF, timeout=10)
        history = (tmp_path / "amish" / "history").read_text()
        assert "Ping" in history
        assert "hunter2" not in history
        assert "hunter2" not in t.text()
    finally:
        t.close()


def test_line_mode(asterisk, tmp_path):
    t = Terminal(
        ["--line", "--filter", "Hangup", "-u", "admin", asterisk.host, str(asterisk.port)],
        {"XDG_STATE_HOME": str(tmp_path)},
    )
    try:
        t.wait_text("ami>")
        t.send("Originate Channel=Local/echo@amish-test Application=Wait Data=0.2 Async=true\r")
        t.wait_text("Originate successfully queued")
        t.wait_for(lambda s: s.count(" Hangup ") >= 2, what="two Hangup lines")
        assert " Newchannel " not in t.text()  # filtered out
        t.send("\x04")
        t.child.expect(pexpect.EOF, timeout=10)
    finally:
        t.close()
