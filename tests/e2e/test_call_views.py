"""The Channels and Calls views as a person uses them: a pseudo-terminal, keys typed, the real Asterisk."""

from __future__ import annotations

import re

import pytest

from callscreen import F6, F7, HOLD1, hang_up_everything, held_calls, top_area
from terminal import Terminal

pytestmark = pytest.mark.asterisk

HOLD = HOLD1


@pytest.fixture
def term(asterisk, tmp_path):
    hang_up_everything(asterisk)
    t = Terminal(["-u", "admin", asterisk.host, str(asterisk.port)], {"XDG_STATE_HOME": str(tmp_path)})
    yield t
    t.close()
    hang_up_everything(asterisk)


def test_a_call_from_before_the_start_then_a_new_one_hung_up_from_the_view(asterisk, tmp_path):
    hang_up_everything(asterisk)
    asterisk.cli("channel originate Local/hold@amish-test application Wait 120")  # up before amish starts
    term = Terminal(["-u", "admin", asterisk.host, str(asterisk.port)], {"XDG_STATE_HOME": str(tmp_path)})
    try:
        term.wait_text("connected")
        term.send(F6)
        term.wait_for(lambda t: " Channels " in t and len(held_calls(term)) == 1, what="the call from before")
        (before,) = held_calls(term)
        row = next(line for line in top_area(term) if before in line)
        assert "Up" in row and "Wait(120)" in row  # state and where, from CoreShowChannels

        asterisk.cli("channel originate Local/hold@amish-test application Wait 120")  # a new call, live
        term.wait_for(lambda t: len(held_calls(term)) == 2, what="the new call in the Channels view")
        (new,) = held_calls(term) - {before}

        # narrow the view to the new call's channel (/ in the view types /channels in the input): its row is selected
        term.send("/")
        term.wait_for(lambda t: term.input_line().startswith("ami> /channels "), what="/channels in the input")
        term.send(f"Channel={new}\r")
        term.wait_for(lambda t: held_calls(term) == {new} and f"narrowed: Channel={new}" in t,
                      what="the view narrowed to the new channel")
        term.send("h")  # hang it up: the action waits in the input for a second Enter
        term.wait_for(lambda t: term.input_line().startswith(f"ami> Hangup Channel={new} Cause=16"), what="Hangup in the input")
        term.wait_text("are you sure?")
        term.send("\r")
        term.wait_text("Channel Hungup")
        term.send(f"/channels\r")  # the whole view again: the new call gone, the old one still up
        term.wait_for(lambda t: held_calls(term) == {before} and "narrowed" not in top_area(term)[0], what="only the call from before")

        # the Calls view: the new call ended, with its cause; the old one still up
        term.send(F7)
        term.wait_for(lambda t: " Calls " in t and any("ended" in l for l in top_area(term)),
                      what="an ended call in the Calls view")
        ended = [l for l in top_area(term) if " ended " in l]
        assert len(ended) == 1 and new.replace(";1", "") in ended[0]
        assert re.search(r"\b16 NORMAL_CLEARING\b", ended[0]), ended[0]
        up = [l for l in top_area(term) if before.replace(";1", "") in l]
        assert len(up) == 1 and " up " in up[0]

        # Enter on the ended call: its timeline, one column per channel, the hang-ups in it
        term.send("/")
        term.send("State=ended\r")
        term.wait_for(lambda t: "narrowed: State=ended" in t, what="the Calls view narrowed")
        term.send("\r")
        term.wait_for(lambda t: " Call timeline " in t and "hang-up 16" in t, what="the timeline")
        timeline = top_area(term)
        assert any(new in l for l in timeline[:3])  # a column headed by the channel
        assert sum("hang-up" in l for l in timeline) == 2  # both halves of the Local channel
        term.send("\x1b")  # back to the Calls view
        term.wait_for(lambda t: " Calls " in t and " Call timeline " not in t, what="back to Calls")
    finally:
        term.close()
        hang_up_everything(asterisk)


def test_read_only_refuses_a_hang_up_from_the_view(asterisk, tmp_path):
    hang_up_everything(asterisk)
    asterisk.cli("channel originate Local/hold@amish-test application Wait 120")
    term = Terminal(["--read-only", "-u", "admin", asterisk.host, str(asterisk.port)],
                    {"XDG_STATE_HOME": str(tmp_path)})
    try:
        term.wait_text("connected")
        term.send(F6)
        term.wait_for(lambda t: len(held_calls(term)) == 1, what="the call in the Channels view")
        term.send("h")
        term.wait_text("refused, nothing sent")
        term.pump(0.5)
        assert len(held_calls(term)) == 1  # still up
        assert "Channel Hungup" not in term.text()
    finally:
        term.close()
        hang_up_everything(asterisk)


def test_channel_completion_comes_from_the_model_with_the_caller_id(asterisk, tmp_path):
    hang_up_everything(asterisk)
    asterisk.cli("channel originate Local/hold@amish-test application Wait 120")
    term = Terminal(["-u", "admin", asterisk.host, str(asterisk.port)], {"XDG_STATE_HOME": str(tmp_path)})
    try:
        term.wait_text("connected")
        term.send(F6)
        term.wait_for(lambda t: len(held_calls(term)) == 1, what="the call")
        (name,) = held_calls(term)
        term.send("\x1b")  # back to the input
        term.send("Hangup Channel=Local/h")
        term.send("\t")
        # offered in the menu (drawn over the transcript, above the prompt when the screen is full)
        # or put on the line; the newest channel (the ;2 half) comes first
        term.wait_for(lambda t: name in term.input_line() or name in t.split(" Transcript ")[-1], what="offered")
    finally:
        term.close()
        hang_up_everything(asterisk)


def test_a_login_without_the_call_read_class_is_told_what_to_add(asterisk, tmp_path):
    """The views of a login Asterisk sends no call events to say so, and what to add to manager.conf."""
    from managerconf import canonical_manager_conf, live_manager_conf

    nocall = ("\n[nocall]\nsecret = amish-nocall-secret\ndeny = 0.0.0.0/0.0.0.0\npermit = 127.0.0.1/255.255.255.255\n"
              "read = system,reporting\nwrite = system,reporting,command\n")
    with live_manager_conf(asterisk) as apply:
        apply(canonical_manager_conf(asterisk) + nocall)
        term = Terminal(["-u", "nocall", asterisk.host, str(asterisk.port)],
                        {"XDG_STATE_HOME": str(tmp_path), "AMISH_SECRET": "amish-nocall-secret"})
        try:
            term.wait_text("connected")
            term.send(F6)
            said = "this login (nocall) does not get call events: add call to its read = line in manager.conf"
            term.wait_for(lambda t: said in t, what="the note in the Channels view")
            assert "no live channels" not in term.text()
            term.send(F7)
            term.wait_for(lambda t: " Calls " in t and said in t, what="the note in the Calls view")
        finally:
            term.close()


def test_keep_calls_bounds_the_ended_calls_in_the_calls_view(asterisk, tmp_path):
    hang_up_everything(asterisk)
    term = Terminal(["--keep-calls", "1", "-u", "admin", asterisk.host, str(asterisk.port)],
                    {"XDG_STATE_HOME": str(tmp_path)})
    try:
        term.wait_text("connected")
        term.send(F7)
        term.wait_for(lambda t: " Calls 0 shown of 0 " in t, what="the Calls view")
        for _ in range(3):  # answered, half a second, hung up
            asterisk.cli("channel originate Local/echo@amish-test application Wait 1")
        term.wait_for(lambda t: " Calls 1 shown of 1 " in t and " ended " in t and " up " not in t, timeout=15,
                      what="only the newest ended call kept")
        assert "does not get call events" not in term.text()
    finally:
        term.close()
        hang_up_everything(asterisk)


def test_keep_calls_refuses_a_bad_value(amish_cmd):
    import subprocess

    proc = subprocess.run([*amish_cmd, "--keep-calls", "-1", "127.0.0.1"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 4 and "--keep-calls" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 2, proc.stderr
