"""Local commands and the input forms as a person meets them: a real terminal, the real Asterisk."""

from __future__ import annotations

import pexpect
import pytest

from amish.shell import localcommands
from terminal import Terminal

pytestmark = pytest.mark.asterisk


def _start(asterisk, tmp_path, *extra):
    # tall enough for the whole /help in the transcript
    return Terminal([*extra, "-u", "admin", asterisk.host, str(asterisk.port)], {"XDG_STATE_HOME": str(tmp_path)},
                    size=(110, 140))


def test_local_commands_complete_with_their_help_and_help_takes_its_argument(asterisk, tmp_path):
    t = _start(asterisk, tmp_path)
    try:
        t.wait_text("connected")
        # the menu offers the registry's commands, each with the words /help says of it
        t.send("/se")  # /serverfilter, and /pause (the substring)
        t.wait_text("/serverfilter")
        t.wait_text("/pause")
        t.wait_text(localcommands.COMMANDS["serverfilter"].help[:40])
        t.send("\x03")  # closes the menu
        t.wait_for(lambda s: "/pause" not in s, what="the menu closed")
        t.send("\x03")  # clears the input
        t.wait_for(lambda s: t.input_line().strip() == "ami>", what="an empty input line")
        # help without the slash completes an action's name too
        t.send("help Originat")
        t.send("\t")
        t.wait_for(lambda s: t.input_line().startswith("ami> help Originate"), what="help Originate completed")
        t.send("\r")  # takes the completion selected (OriginateResponse, an event, is in the menu too)
        t.send("\r")  # sends (an empty line after it sends nothing)
        t.wait_text("Channel")
        # the list shows each command with its arguments (no markup eats "[events]")
        t.send("/help\r")
        t.wait_text("/clear [events]")
        # a comment before the telnet form: Enter waits for the blank line, then it is sent
        t.send("# check the link")
        t.send("\x1b\r")  # Alt-Enter: a new line
        t.send("Action: Ping")
        t.send("\r")
        t.wait_text("ActionID")  # a new line: the menu offers Ping's headers
        t.send("\r")
        t.wait_text("Pong")
        t.send("/exit\r")
        t.child.expect(pexpect.EOF, timeout=10)
        t.child.close()
        assert t.child.exitstatus == 0
    finally:
        t.close()


def test_line_mode_runs_the_same_commands(asterisk, tmp_path):
    t = _start(asterisk, tmp_path, "--line")
    try:
        t.wait_text("ami>")
        t.send("?\r")
        t.wait_text("/clear [events]")
        t.wait_text("/quit")
        t.send("/pase\r")
        t.wait_text("unknown command /pase; did you mean /pause?")
        t.send("exit\r")
        t.child.expect(pexpect.EOF, timeout=10)
    finally:
        t.close()
