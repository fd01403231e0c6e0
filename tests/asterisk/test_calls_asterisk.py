"""Calls against the real sandbox Asterisk: the tracker live, and `amish calls` as a user runs it."""

from __future__ import annotations

import json
import subprocess
import time

from amish.calls import seed
from amish.core.calls import CallTracker
from amishcli import AMISH, env
from callscenarios import SCENARIOS, Watcher, originate


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
