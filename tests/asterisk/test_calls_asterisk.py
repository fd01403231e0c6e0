"""Calls against the real sandbox Asterisk: the tracker live, and `amish calls` as a user runs it."""

from __future__ import annotations

import json
import subprocess
import time

from amish.calls import seed
from amish.core.calls import CallTracker
from amishcli import AMISH, env
import pytest
from callscenarios import SCENARIOS, Watcher, originate


@pytest.fixture
def phones(asterisk, monkeypatch):
    """The sandbox's SIP phones (SIPp in the chroot) for the sip-* scenarios."""
    assert asterisk.sip_port, "the sandbox gives no SIP port (AMISH_TEST_SIP_PORT)"
    monkeypatch.setenv("AMISH_TEST_ROOT", asterisk.root)
    monkeypatch.setenv("AMISH_TEST_SIP_PORT", str(asterisk.sip_port))
    monkeypatch.setenv("AMISH_TEST_RTP_BASE", str(asterisk.rtp_base))


def test_the_tracker_follows_a_busy_call_live(admin):
    w = Watcher(admin)
    SCENARIOS["busy"](w)
    tracker = CallTracker()
    for m in w.events:
        tracker.feed(m, time.time())
    [call] = [c for c in tracker.ended if c.callee == "202"]
    assert (call.cause, call.cause_text) == (17, "USER_BUSY")
    assert [d.status for d in call.dials if d.caller] == ["BUSY"]


def test_a_call_up_before_amish_starts_is_seeded_then_ends_when_hung_up(admin):
    w = Watcher(admin)
    originate(admin, "210")  # stays up until hung up
    enters = w.wait(lambda ev: w.bridged(2), what="a bridged call")
    tracker = CallTracker()
    seed(admin, tracker)
    [call] = [c for c in tracker.calls.values() if any(ch.name == enters[0].get("Channel") for ch in c.legs.values())]
    assert call.state == "up" and len([ch for ch in call.legs.values() if ch.bridge]) == 2
    assert all(ch.seeded for ch in call.legs.values())
    # amish is "disconnected"; the call is hung up meanwhile; the resync ends it, marked
    for ch in list(call.legs.values()):
        admin.send([("Action", "Hangup"), ("Channel", ch.name)])
    time.sleep(0.5)
    tracker.begin_resync()
    seed(admin, tracker)
    gone = tracker.end_resync(time.time())
    assert gone and not call.live and call.vanished


def test_amish_calls_prints_the_call_when_it_ends_under_read_only(asterisk, admin):
    proc = subprocess.Popen(
        AMISH + ["calls", "-u", "admin", "--read-only", "--format", "jsonl", "-n", "1", asterisk.host, str(asterisk.port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env(),
    )
    try:
        time.sleep(1.5)  # logged in and seeded
        SCENARIOS["noanswer"](Watcher(admin))
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    call = json.loads(out.decode().splitlines()[0])
    assert (call["to"], call["cause"], call["cause_text"]) == ("201", 19, "NO_ANSWER")
    assert call["billsec"] == 0 and call["duration"] >= 1.0


def test_amish_calls_live_shows_the_calls_in_progress(asterisk, admin):
    w = Watcher(admin)
    start = len(w.events)
    originate(admin, "211")
    w.wait(lambda ev: w.bridged(2, start), what="a bridged call")
    try:
        p = subprocess.run(AMISH + ["calls", "-u", "admin", "--read-only", "--live", asterisk.host, str(asterisk.port)],
                           capture_output=True, timeout=30, env=env())  # fmt: skip
        assert p.returncode == 0, p.stderr
        text = p.stdout.decode()
        assert text.splitlines()[0].split()[:5] == ["LINKEDID", "FROM", "TO", "STATE", "DURATION"]
        assert any(" 100 " in line and " 211 " in line and " up " in line for line in text.splitlines()[1:]), text
    finally:
        for uid, name in w.live_channels().items():
            admin.send([("Action", "Hangup"), ("Channel", name)])
        # the call must be over before the next test's `amish calls -n 1` starts, or it prints this one
        w.wait(lambda ev: not w.live_channels(), what="the call hung up")


def _tracked(w: Watcher, scenario: str):
    """Run a scenario; the tracker fed live, with the call's states as they went."""
    tracker, states = CallTracker(), []
    start = len(w.events)
    SCENARIOS[scenario](w)
    for m in w.events[start:]:
        tracker.feed(m, time.time())
        for call in tracker.calls.values():
            if not states or states[-1] != call.state:
                states.append(call.state)
    [call] = [c for c in tracker.ended if c.caller == "101"]
    return tracker, call, states


def test_real_sip_phones_on_hold_by_re_invite_are_seen_on_hold(admin, phones):
    tracker, call, states = _tracked(Watcher(admin), "sip-hold")
    assert [(name.split("-")[0], held) for _t, name, held in call.holds] == [("PJSIP/alice", True),
        ("PJSIP/alice", False), ("PJSIP/alice", True), ("PJSIP/alice", False)]  # fmt: skip
    assert "on hold" in states and states[-1] != "on hold"
    assert (call.cause, call.hangup_by.split("-")[0]) == (16, "PJSIP/alice")
    assert tracker.calls == {} and tracker.channels == {}


def test_a_sip_callee_hanging_up_is_who_hung_up(admin, phones):
    _tracker, call, _states = _tracked(Watcher(admin), "sip-callee-hangs-up")
    assert call.hangup_by.startswith("PJSIP/bob-") and (call.cause, call.answer is not None) == (16, True)


def test_a_blind_transfer_between_sip_phones_is_one_transfer(admin, phones):
    _tracker, call, _states = _tracked(Watcher(admin), "sip-blind-transfer")
    assert [(t.kind, t.to) for t in call.transfers] == [("blind", "230@amish-calls")]


def test_amish_calls_prints_a_busy_sip_call(asterisk, admin, phones):
    proc = subprocess.Popen(
        AMISH + ["calls", "-u", "admin", "--read-only", "--format", "jsonl", "-n", "1", asterisk.host, str(asterisk.port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env(),
    )  # fmt: skip
    try:
        time.sleep(1.5)  # logged in and seeded
        SCENARIOS["sip-busy"](Watcher(admin))
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    call = json.loads(out.decode().splitlines()[0])
    assert (call["from"], call["to"], call["cause"], call["cause_text"]) == ("101", "bob", 17, "USER_BUSY")
    assert call["channels"][0].startswith("PJSIP/alice-") and call["hangup_by"].startswith("PJSIP/bob-")


def test_amish_calls_says_a_login_without_the_call_class_cannot_see_calls(asterisk, admin):
    # [nocall] in sandbox/etc/manager.conf: read = system,reporting (CoreShowChannels works, no call events)
    proc = subprocess.Popen(AMISH + ["calls", "-u", "nocall", "--read-only", asterisk.host, str(asterisk.port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env(AMISH_SECRET="amish-nocall-secret"))  # fmt: skip
    w = Watcher(admin)
    try:
        time.sleep(1.0)  # logged in, seeded, listed once
        originate(admin, "210")  # a call up: the next list shows it, with no event about it
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        for _uid, name in w.live_channels().items():
            admin.send([("Action", "Hangup"), ("Channel", name)])
    lines = err.decode().splitlines()
    assert proc.returncode == 2 and out == b""
    assert len(lines) == 1 and "'nocall' does not read the call class" in lines[0] and "[nocall]" in lines[0], lines
    assert "manager.conf" in lines[0] and "Traceback" not in err.decode()
