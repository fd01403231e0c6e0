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
