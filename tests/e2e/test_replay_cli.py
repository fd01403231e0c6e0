"""amish replay as a person uses it: record a real session, open it without a server."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ADMIN
from terminal import Terminal

pytestmark = pytest.mark.asterisk


def test_record_then_replay_in_the_shell(asterisk, tmp_path):
    rec = tmp_path / "session.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_")}
    env["AMISH_SECRET"] = ADMIN[1]
    actions = b"Ping\nUserEvent UserEvent=ReplayProbe Channel=PJSIP/7001-1\n"
    proc = subprocess.run(
        [sys.executable, "-m", "amish", "-u", "admin", "--events", "on", "--record", str(rec), asterisk.host, str(asterisk.port)],
        input=actions, capture_output=True, timeout=60, env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert ADMIN[1] not in rec.read_text()
    t = Terminal(["replay", "--speed", "0", str(rec)], {"XDG_STATE_HOME": str(tmp_path)})
    try:
        t.wait_text("end of recording")
        assert "replay ended" in t.text()
        assert "» Ping" in t.text() and "Pong" in t.text()
        assert any("ReplayProbe" in line for line in t.events_pane())
        t.send("/filter UserEvent\r")
        t.wait_for(lambda s: len(t.events_pane()) == 1, what="only the UserEvent")
        t.send("Ping\r")
        t.wait_text("this is a replay")  # nothing is sent
        t.send("\x04")
    finally:
        t.close()


def test_replay_of_garbage_is_one_line(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(os.urandom(2000))
    proc = subprocess.run([sys.executable, "-m", "amish", "replay", str(junk)], capture_output=True, timeout=30)
    assert proc.returncode == 4
    assert len(proc.stderr.decode().strip().splitlines()) == 1
    assert b"Traceback" not in proc.stderr


def test_replay_has_the_channels_and_calls_views_built_from_the_recording(tmp_path):
    """A committed capture of a real call (tests/data/calls/up-at-end.ami: answered, bridged, still up when
    the recording stopped): F6 shows its four channels live, F7 the call up, Enter its timeline; a
    capture of a call that ended (blind-transfer.ami) shows it ended, with its cause and its transfer."""
    from pathlib import Path

    from callscreen import F6, F7, top_area, transcript

    data = Path(__file__).resolve().parents[1] / "data" / "calls"
    t = Terminal(["replay", "--speed", "0", str(data / "up-at-end.ami")], {"XDG_STATE_HOME": str(tmp_path)})
    try:
        t.wait_text("replay ended")
        t.send(F6)
        t.wait_for(lambda s: " Channels 4 shown of 4 " in s, what="the recording's four live channels")
        rows = [l for l in top_area(t)[2:] if l.startswith("Local/")]
        assert len(rows) == 4 and all("  Up  " in r for r in rows)
        (caller,) = [r[r.index("  Dial("):] for r in rows if "  Dial(" in r]
        assert "Local/210@amish-phones-" in caller  # bridged with the callee
        t.send("h")  # nothing can be sent in a replay: one clear line, no traceback
        t.wait_for(lambda s: any(l.startswith("this is a replay: nothing can be sent") for l in transcript(t)),
                   what="the refusal")
        assert t.input_line().strip() == "ami>"  # nothing put in the input either
        assert "Traceback" not in t.text()
        t.send(F7)
        t.wait_for(lambda s: " Calls 1 shown of 1 " in s, what="the call")
        (call,) = [l for l in top_area(t)[2:] if l.strip()]
        assert call.startswith("100 ") and " 210 " in call and " up " in call
        t.send("\r")
        t.wait_for(lambda s: " Call timeline " in s and "├═══" in s, what="its timeline, the bridge drawn")
    finally:
        t.close()

    t = Terminal(["replay", "--speed", "0", str(data / "blind-transfer.ami")], {"XDG_STATE_HOME": str(tmp_path)},
                 size=(44, 220))  # wide enough for the labels right of the timeline's four columns
    try:
        t.wait_text("replay ended")
        t.send(F7)
        t.wait_for(lambda s: " Calls 1 shown of 1 " in s, what="the ended call")
        (call,) = [l for l in top_area(t)[2:] if l.strip()]
        assert " ended " in call and "16 NORMAL_CLEARING" in call
        assert " 0:01 " in call  # as recorded (about a second), not as played (at once)
        t.send("\r")
        t.wait_for(lambda s: "blind transfer to 230" in s, what="the transfer in its timeline")
        t.send(F6)
        t.wait_for(lambda s: " Channels 0 shown of 0 " in s and "no live channels" in s, what="nothing live at the end")
    finally:
        t.close()
