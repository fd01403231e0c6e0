"""amish as a person uses it: a real terminal (pexpect + pyte), the real Asterisk."""

from __future__ import annotations


import pexpect
import pytest

from terminal import Terminal

pytestmark = pytest.mark.asterisk

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
