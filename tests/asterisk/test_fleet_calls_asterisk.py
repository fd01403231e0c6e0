"""`amish calls` on a fleet of real Asterisks (sandbox instances 1-3): one merged stream of calls.

Calls are made on two of the servers (tests/support/callscenarios.py), one server
is stopped and started again mid-run; every call must name the server it was
made on, and the lost server must say so, and say when it is back.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time

import pytest

from amish.transports.connection import Connection
from amishcli import AMISH, env
from callscenarios import SCENARIOS, Watcher
from conftest import ADMIN

pytestmark = pytest.mark.asterisk


def lab_config(boxes, tmp_path) -> str:
    """A config naming the instances pbx1-3 and a group lab of them."""
    lines = []
    for box in boxes:
        lines += [f"[profiles.pbx{box.instance}]", f'host = "{box.host}"', f"port = {box.port}", 'user = "admin"', ""]
    lines += ["[groups]", 'lab = ["pbx*"]', ""]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines))
    path.chmod(0o600)
    return str(path)


def call_on(box, scenario: str) -> None:
    conn = Connection(box.host, box.port)
    conn.connect()
    conn.login(*ADMIN)
    try:
        SCENARIOS[scenario](Watcher(conn))
    finally:
        conn.close()


class Lines:
    """The lines of a running process's stdout, read by a thread."""

    def __init__(self, proc):
        self.items: list[str] = []
        threading.Thread(target=lambda: [self.items.append(x.decode()) for x in proc.stdout], daemon=True).start()

    def wait_for(self, pred, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.items):
                if pred(line):
                    return line
            time.sleep(0.1)
        raise AssertionError(f"not seen in {timeout} s; got:\n" + "".join(self.items[-20:]))


def test_calls_on_two_servers_one_stream_each_call_tagged_and_a_lost_server_said(asterisk_fleet, tmp_path):
    pbx1, pbx2, pbx3 = asterisk_fleet
    proc = subprocess.Popen(AMISH + ["calls", "--group", "lab", "--read-only", "--format", "jsonl"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env(AMISH_CONFIG=lab_config(asterisk_fleet, tmp_path)))
    try:
        lines = Lines(proc)
        time.sleep(2)  # logged in and seeded everywhere
        call_on(pbx1, "busy")
        call_on(pbx2, "congestion")
        busy = json.loads(lines.wait_for(lambda x: '"to": "202"' in x))
        congested = json.loads(lines.wait_for(lambda x: '"to": "203"' in x))
        assert busy["server"] == "pbx1" and busy["cause_text"] == "USER_BUSY"
        assert congested["server"] == "pbx2" and congested["from"] == "100"
        pbx3.stop()  # mid-run: said in the stream, the others go on
        lost = json.loads(lines.wait_for(lambda x: '"amish": "lost"' in x))
        assert lost["server"] == "pbx3"
        call_on(pbx1, "busy")  # pbx1 goes on while pbx3 is away
        lines.wait_for(lambda x: sum('"server": "pbx1"' in y and '"to": "202"' in y for y in lines.items) == 2)
        pbx3.start()
        back = json.loads(lines.wait_for(lambda x: '"amish": "back"' in x, timeout=60))
        assert back["server"] == "pbx3" and "reconnected after" in back["reason"]
        call_on(pbx3, "busy")
        again = json.loads(lines.wait_for(lambda x: '"server": "pbx3"' in x and '"to": "202"' in x))
        assert again["cause_text"] == "USER_BUSY"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        pbx3.start()
    every = [json.loads(x) for x in lines.items]
    assert all("server" in o for o in every)
    assert sorted(o["server"] for o in every if "linkedid" in o) == ["pbx1", "pbx1", "pbx2", "pbx3"]


def test_calls_pretty_has_a_server_column_and_live_shows_every_server(asterisk_fleet, tmp_path):
    pbx1, pbx2, _pbx3 = asterisk_fleet
    config = lab_config(asterisk_fleet, tmp_path)
    proc = subprocess.Popen(AMISH + ["calls", "--group", "lab", "--format", "pretty", "-n", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env(AMISH_CONFIG=config))
    try:
        time.sleep(2)
        call_on(pbx2, "busy")
        call_on(pbx1, "congestion")
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    rows = out.decode().splitlines()
    assert [r.split()[0] for r in rows] == ["pbx2", "pbx1"], rows
    assert "100 -> 202" in rows[0] and "USER_BUSY" in rows[0]
    p = subprocess.run(AMISH + ["calls", "--group", "lab", "--live"], capture_output=True, timeout=30,
                       env=env(AMISH_CONFIG=config))
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().splitlines()[0].split()[:3] == ["SERVER", "LINKEDID", "FROM"]
