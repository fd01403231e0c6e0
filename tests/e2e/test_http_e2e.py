"""amish over http:// as a person runs it: the shell in a terminal, `amish calls`, `amish events`.

The session expiry is the real server's: manager.conf's httptimeout is made 3 s and amish is
paused (SIGSTOP) for longer, so nothing renews its session and Asterisk forgets it (made to purge
it then, not up to 5 s later: see managerconf.purge_expired_sessions); on SIGCONT
amish finds out, logs in again and says so in a plain line.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
import uuid

import pexpect
import pytest

from amishcli import AMISH, env
from callscenarios import SCENARIOS, Watcher
from managerconf import manager_conf_lock, purge_expired_sessions, short_http_sessions
from terminal import Terminal

pytestmark = pytest.mark.asterisk

#: Longer than the 3 s httptimeout of short_http_sessions.
PAUSE = 4.0


def url(asterisk):
    return f"http://admin@{asterisk.host}:{asterisk.http_port}"


def pause(asterisk, pid: int) -> None:
    """Stop amish long enough for the server to forget its HTTP session, then let it go on."""
    import os

    os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(PAUSE)
        purge_expired_sessions(asterisk)
    finally:
        os.kill(pid, signal.SIGCONT)


def test_the_shell_over_http_sends_shows_events_and_quits(asterisk, admin, tmp_path):
    with manager_conf_lock(asterisk, exclusive=False):
        t = Terminal([url(asterisk)], {"XDG_STATE_HOME": str(tmp_path)})
        try:
            t.wait_text("connected")
            t.send("Ping\r")
            t.wait_text("Pong")
            tag = f"amish-http-{uuid.uuid4().hex[:6]}"
            assert admin.send([("Action", "UserEvent"), ("UserEvent", tag)]).ok  # from another (TCP) session
            t.wait_for(lambda _: any(tag in line for line in t.events_pane()), 10, "the UserEvent in the events pane")
            t.send("/quit\r")
            t.child.expect(pexpect.EOF, timeout=10)
            t.child.close()
            assert t.child.exitstatus == 0
            assert "Traceback" not in t.text()
        finally:
            t.close()


@pytest.mark.parametrize("mode", [(), ("--line",)], ids=["full-screen", "line-mode"])
def test_the_shell_says_in_a_plain_line_that_the_http_session_was_logged_in_again(asterisk, tmp_path, mode):
    with short_http_sessions(asterisk, 3):
        t = Terminal([*mode, url(asterisk)], {"XDG_STATE_HOME": str(tmp_path)})
        try:
            t.wait_text("ami>" if mode else "connected")
            t.send("Ping\r")
            t.wait_text("Pong")
            pause(asterisk, t.child.pid)
            t.wait_text("logged in again", timeout=15)
            screen = " ".join(t.text().split())  # a long line may wrap
            assert "amish: http://127.0.0.1" in screen and "the HTTP session expired" in screen
            assert "protocol error" not in screen
            if not mode:
                assert any("logged in again" in line for line in t.events_pane())  # a mark where events may be missing
            t.send("CoreStatus\r")
            t.wait_text("CoreCurrentCalls")  # the session goes on
            t.send("/quit\r")
            t.child.expect(pexpect.EOF, timeout=10)
            t.child.close()
            assert t.child.exitstatus == 0
        finally:
            t.close()


def test_amish_events_over_http_says_the_login_again_on_stderr_and_goes_on(asterisk, admin):
    tag = f"ev-{uuid.uuid4().hex[:6]}"
    with short_http_sessions(asterisk, 3):
        proc = subprocess.Popen(AMISH + ["events", url(asterisk), "--format", "jsonl", "--count", "1",
                                         "--filter", f"UserEvent UserEvent={tag}"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env())
        try:
            time.sleep(2)  # logged in, polling
            pause(asterisk, proc.pid)
            time.sleep(3)  # found out and logged in again
            assert admin.send([("Action", "UserEvent"), ("UserEvent", tag), ("N", "1")]).ok
            out, err = proc.communicate(timeout=30)
        finally:
            proc.kill()
    assert proc.returncode == 0, err
    assert [json.loads(line)["N"] for line in out.decode().splitlines()] == ["1"]
    lines = err.decode().splitlines()
    assert [line for line in lines if "logged in again" in line] == [
        f"amish: http://{asterisk.host}:{asterisk.http_port}: the HTTP session expired (the server forgot it: "
        "manager.conf httptimeout); logged in again. Events in between may be lost"]
    assert "Traceback" not in err.decode() and "protocol error" not in err.decode()


def test_amish_calls_over_http_prints_a_call_when_it_ends_after_a_login_again(asterisk, admin):
    with short_http_sessions(asterisk, 3):
        proc = subprocess.Popen(AMISH + ["calls", url(asterisk), "--read-only", "--format", "jsonl", "-n", "1"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env())
        try:
            time.sleep(2)  # logged in and seeded
            pause(asterisk, proc.pid)
            time.sleep(3)  # found out and logged in again
            SCENARIOS["noanswer"](Watcher(admin))
            out, err = proc.communicate(timeout=30)
        finally:
            proc.kill()
    assert proc.returncode == 0, err
    call = json.loads(out.decode().splitlines()[0])
    assert (call["to"], call["cause"], call["cause_text"]) == ("201", 19, "NO_ANSWER")
    assert b"logged in again" in err and b"Traceback" not in err
