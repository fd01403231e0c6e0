"""Asterisk restarts under amish: the shell and `amish events` recover and carry on."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from conftest import ADMIN
from terminal import Terminal

pytestmark = pytest.mark.asterisk

AMISH = [sys.executable, "-m", "amish"]


def env():
    e = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_")}
    e["AMISH_SECRET"] = ADMIN[1]
    return e


def user_event(asterisk, name):
    """Send a UserEvent, retrying while Asterisk comes back."""
    deadline = time.monotonic() + 30
    while True:
        proc = subprocess.run(
            AMISH + ["-u", "admin", asterisk.host, str(asterisk.port)],
            input=f"UserEvent UserEvent={name}\n".encode(), capture_output=True, timeout=30, env=env(),
        )
        if proc.returncode == 0:
            return
        assert time.monotonic() < deadline, proc.stderr
        time.sleep(0.3)


def wait_lines(path, needle, count, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.read_text().count(needle) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"{needle!r} x{count} not in:\n{path.read_text()}")


def test_restart_while_the_shell_and_a_tail_are_connected(asterisk, tmp_path):
    out, err = tmp_path / "tail.out", tmp_path / "tail.err"
    tail = subprocess.Popen(
        AMISH + ["events", "-u", "admin", "--filter", "UserEvent", "--format", "jsonl", "--duration", "120",
                 asterisk.host, str(asterisk.port)],
        stdout=out.open("wb"), stderr=err.open("wb"), env=env(),
    )
    shell = Terminal(["-u", "admin", "--filter", "UserEvent", asterisk.host, str(asterisk.port)], {"XDG_STATE_HOME": str(tmp_path)})
    try:
        shell.wait_text("connected")
        time.sleep(0.5)
        for i in range(3):
            user_event(asterisk, f"Before{i}")
        wait_lines(out, '"UserEvent": "Before', 3)
        shell.wait_for(lambda t: sum("Before" in l for l in shell.events_pane()) == 3, what="3 events before")

        asterisk.cli("core restart now")

        shell.wait_text("connection lost", timeout=30)
        shell.wait_text("reconnected after", timeout=60)
        # the tail reconnects on its own backoff: events sent before it is back are not its to see
        wait_lines(err, "amish: reconnected after", 1, timeout=60)
        for i in range(2):
            user_event(asterisk, f"After{i}")
        wait_lines(out, '"UserEvent": "After', 2)
        shell.wait_for(lambda t: sum("After" in l for l in shell.events_pane()) == 2, what="2 events after")

        # count what the shell kept on both sides of the restart (the pane may scroll; the store is the truth)
        saved = tmp_path / "shell-events.ami"
        shell.send(f"/save {saved}\r")
        shell.wait_text("saved", timeout=10)
        kept = saved.read_text()
        assert [kept.count(f"UserEvent: Before{i}") for i in range(3)] == [1, 1, 1]
        assert [kept.count(f"UserEvent: After{i}") for i in range(2)] == [1, 1]
        assert kept.index("Before2") < kept.index("After0")
        pane = shell.events_pane()
        assert any("reconnected after" in l for l in pane)
        assert "connected" in shell.text()
        shell.send("Ping\r")
        shell.wait_text("Pong")

        events = out.read_text().splitlines()
        names = [line.split('"UserEvent": "')[1].split('"')[0] for line in events]
        assert names == ["Before0", "Before1", "Before2", "After0", "After1"]
        log = err.read_text()
        assert "connection lost" in log and "reconnected after" in log
        assert tail.poll() is None  # still tailing
    finally:
        tail.terminate()
        tail.wait(10)
        shell.close()
        # leave a healthy Asterisk for the tests after this one
        asterisk.cli("core waitfullybooted")
