"""--read-only in every mode, against the real Asterisk: what is refused never reaches it.

The decision itself is tested as tables in test_safety.py; here each mode
(raw, the pipe tool, the shell on a real terminal) is shown to ask it, and the
server is asked afterwards (AstDB, a listener that records what reached it)
whether anything got through.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import uuid

import pexpect
import pytest

from conftest import ADMIN
from amishcli import AMISH, env, run
from terminal import Terminal

pytestmark = pytest.mark.asterisk


def _marker() -> str:
    return f"ro{uuid.uuid4().hex[:8]}"


def _type_block(t: Terminal, *lines: str) -> None:
    for line in lines:
        t.send(line + "\r")
    t.send("\r")


# -- amish raw -------------------------------------------------------------------------


def _raw_refuses_dbput(asterisk, t: Terminal) -> None:
    marker = _marker()
    t.wait_text("--read-only: an action goes out at its blank line, whole, if it only reads")
    _type_block(t, "Action: DBPut", "Family: amish-ro", f"Key: {marker}", "Val: 1")
    t.wait_text("[amish: not sent: read-only: DBPut is not on the list of read-only actions")
    # a read still goes out, and Asterisk has nothing under the key
    _type_block(t, "Action: DBGet", "Family: amish-ro", f"Key: {marker}")
    t.wait_text("Database entry not found")
    assert "Updated database successfully" not in t.text()
    assert marker not in asterisk.cli("database show amish-ro")


def test_raw_mode_with_read_only_refuses_a_write_and_sends_reads(asterisk, tmp_path):
    t = Terminal(["raw", "--read-only", "-u", "admin", asterisk.host, str(asterisk.port)],
                 {"XDG_STATE_HOME": str(tmp_path)})
    try:
        _raw_refuses_dbput(asterisk, t)
        # the telnet form with two Action lines: every one is judged, not only the first
        _type_block(t, "Action: Ping", "Action: PJSIPUnregister", "Registration: *all")
        t.wait_text("PJSIPUnregister is not on the list of read-only actions")
        _type_block(t, "Action: Ping")
        t.wait_text("Ping: Pong")
        assert "Unregistrations queued" not in t.text()
    finally:
        t.close()


def test_a_profiles_read_only_applies_to_raw_mode(asterisk, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[profiles.careful]\nuser = "admin"\nread_only = true\n')
    config.chmod(0o600)
    t = Terminal(["raw", "--profile", "careful", asterisk.host, str(asterisk.port)],
                 {"XDG_STATE_HOME": str(tmp_path), "AMISH_CONFIG": str(config)})
    try:
        _raw_refuses_dbput(asterisk, t)
    finally:
        t.close()


# -- the pipe tool ---------------------------------------------------------------------


def test_pipe_tool_refuses_pjsip_unregister(asterisk):
    proc = run(asterisk, ["--read-only"], b"Ping\nPJSIPUnregister Registration=*all\n")
    assert proc.returncode == 4
    assert proc.stderr.decode().splitlines()[-1] == (
        "amish: <stdin>:2: read-only: PJSIPUnregister is not on the list of read-only actions; nothing was sent"
    )
    assert proc.stdout == b""


class Listener:
    """A TCP port that records every byte anybody sends to it (an AMI banner first, to look like Asterisk)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.received = b""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            with conn:
                conn.settimeout(0.2)
                try:
                    conn.sendall(b"Asterisk Call Manager/9.0.0\r\n")
                except OSError:
                    continue
                while not self._stop.is_set():
                    try:
                        data = conn.recv(65536)
                    except socket.timeout:
                        continue
                    except OSError:
                        break
                    if not data:
                        break
                    self.received += data

    def actions(self) -> list[str]:
        """The Action lines received, read here without amish's parser."""
        return [line.split(b":", 1)[1].strip().decode() for line in self.received.split(b"\r\n")
                if line.lower().startswith(b"action:")]

    def close(self):
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


def test_the_inputs_own_login_is_not_sent_before_the_check(tmp_path):
    """A pipe that logs in by itself: the whole input is judged before the Login goes out."""
    server = Listener()
    try:
        proc = subprocess.run(
            [*AMISH, "--read-only", "--timeout", "2", "--connect-timeout", "2",
             "127.0.0.1", str(server.port)],
            input=b"Action: Login\nUsername: admin\nSecret: s3cret\n\nAction: DBPut\nFamily: a\nKey: b\nVal: c\n\n",
            capture_output=True, timeout=60, env=env(),
        )
    finally:
        server.close()
    assert proc.returncode == 4
    assert proc.stderr.decode().strip() == (
        "amish: <stdin>:5: read-only: DBPut is not on the list of read-only actions; nothing was sent"
    )
    assert server.actions() == [] and server.received == b"" and server.connections == 0


def test_the_inputs_own_login_with_a_write_against_asterisk(asterisk):
    marker = _marker()
    text = (f"Action: Login\nUsername: admin\nSecret: {ADMIN[1]}\n\n"
            f"Action: DBPut\nFamily: amish-ro\nKey: {marker}\nVal: 1\n\n")
    proc = subprocess.run(
        [*AMISH, "--read-only", asterisk.host, str(asterisk.port)],
        input=text.encode(), capture_output=True, timeout=60, env=env(),
    )
    assert proc.returncode == 4
    assert b"<stdin>:5: read-only: DBPut is not on the list of read-only actions; nothing was sent" in proc.stderr
    assert proc.stdout == b""
    assert marker not in asterisk.cli("database show amish-ro")


def test_getvar_with_a_function_that_reaches_out_is_refused(asterisk):
    http = Listener()
    try:
        proc = run(asterisk, ["--read-only"],
                   f"Getvar Variable=CURL(http://127.0.0.1:{http.port}/hook,posted)\n".encode())
    finally:
        http.close()
    assert proc.returncode == 4
    assert b"read-only: Getvar's Variable calls CURL(), which is not on the list of side-effect-free functions" in proc.stderr
    assert http.connections == 0 and http.received == b""


def test_getvar_of_a_plain_variable_or_a_pure_function_runs(asterisk):
    proc = run(asterisk, ["--read-only", "--format", "json"],
               b"Getvar Variable=AMISH_RO_UNSET\nGetvar Variable=LEN(amish)\nGetvar Variable=CHANNEL(name)\n")
    assert proc.returncode in (0, 1), proc.stderr  # CHANNEL(name) without a channel may answer Error: it ran
    results = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["action"] for r in results] == ["Getvar", "Getvar", "Getvar"]
    assert results[1]["response"]["Value"] == "5"


# -- the shell on a real terminal ------------------------------------------------------


@pytest.mark.parametrize("mode", [[], ["--line"]], ids=["full-screen", "line-mode"])
def test_the_shell_with_read_only(asterisk, tmp_path, mode):
    t = Terminal([*mode, "--read-only", "-u", "admin", asterisk.host, str(asterisk.port)],
                 {"XDG_STATE_HOME": str(tmp_path)})
    try:
        t.wait_text("ami>")
        if not mode:
            t.wait_text("READ-ONLY")  # the toolbar
        t.send("Originate Channel=Local/echo@amish-test Application=Wait Data=1 Async=true\r")
        t.wait_text("refused, nothing sent: read-only: Originate is not on the list of read-only actions")
        t.send("PJSIPUnregister Registration=*all\r")
        t.wait_text("refused, nothing sent: read-only: PJSIPUnregister is not on the list of read-only actions")
        t.send("Ping\r")  # answered after anything sent before it
        t.wait_text("Pong")
        screen = t.text()
        assert "successfully queued" not in screen and "Unregistrations queued" not in screen
        if not mode:
            assert "READ-ONLY" in screen
        t.send("\x04")
        t.child.expect(pexpect.EOF, timeout=10)
    finally:
        t.close()
