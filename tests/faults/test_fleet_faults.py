"""A fleet of fake AMI servers on the loopback: 200 at once, and servers that never answer.

Real Asterisks (tests/asterisk/test_fleet_asterisk.py) cannot be made two hundred, nor
made to accept a connection and then say nothing.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from faultkit import SECRET, Fake, amish_env, connections_made, watchdog

pytestmark = pytest.mark.usefixtures("deadline")
deadline = pytest.fixture(watchdog(240))

AMISH = [sys.executable, "-m", "amish"]


def answering(name: str):
    """A handler that says who it is in every answer, so output can be checked against its server label."""

    def handler(action, client):
        if (action.get("Action") or "").lower() == "ping":
            client.respond(action, Ping="Pong", Who=name)
        else:
            client.respond(action, response="Error", Message="Invalid/unknown command")

    return handler


def silent(action, client):
    """Logged in, then never answers anything."""


def write_config(tmp_path, servers: dict[str, int]) -> dict:
    lines = []
    for name, port in servers.items():
        lines += [f"[profiles.{name}]", 'host = "127.0.0.1"', f"port = {port}", 'user = "admin"', ""]
    lines += ["[groups]", 'all = ["*"]', ""]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines))
    return amish_env(tmp_path, AMISH_CONFIG=str(path), AMISH_SECRET=SECRET)


def stop_all(fakes) -> None:
    threads = [threading.Thread(target=f.stop) for f in fakes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_two_hundred_servers_every_answer_complete_and_attributed(tmp_path):
    fakes = [Fake(answering(f"f{i:03d}")).start() for i in range(200)]
    try:
        env = write_config(tmp_path, {f"f{i:03d}": f.port for i, f in enumerate(fakes)})
        proc = subprocess.Popen(AMISH + ["--group", "all", "--parallel", "20", "--format", "json"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        out, err = proc.communicate(b"Action: Ping\n\nAction: Ping\n", timeout=180)
    finally:
        stop_all(fakes)
    assert proc.returncode == 0, err.decode()[-2000:]
    objects = [json.loads(line) for line in out.decode().splitlines()]
    assert len(objects) == 400
    assert all(o["ok"] and o["response"]["Who"] == o["server"] for o in objects)  # attributed to who answered
    assert sorted({o["server"] for o in objects}) == [f"f{i:03d}" for i in range(200)]
    assert err.decode().splitlines()[-1] == "amish: 200 servers: 200 ok"
    assert all(len(f.logins) == 1 for f in fakes)  # each its own connection and login, exactly once


def test_two_hundred_servers_memory_stays_bounded(tmp_path):
    """Peak memory of a 200-server run against a 20-server one: each server's output is written and let go."""
    from faultkit import rss_mb

    fakes = [Fake(answering(f"f{i:03d}")).start() for i in range(200)]
    peaks = {}
    try:
        for n in (20, 200):
            env = write_config(tmp_path, {f"f{i:03d}": f.port for i, f in enumerate(fakes[:n])})
            proc = subprocess.Popen(AMISH + ["--group", "all", "--parallel", "20"], stdin=subprocess.PIPE,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            proc.stdin.write(b"Action: Ping\n" + b"\nAction: Ping\n" * 50)
            proc.stdin.close()
            peak = 0.0
            while proc.poll() is None:
                peak = max(peak, rss_mb(proc.pid) or 0.0)
                time.sleep(0.02)
            assert proc.returncode == 0
            peaks[n] = peak
    finally:
        stop_all(fakes)
    assert peaks[200] < peaks[20] + 15, peaks  # ten times the servers, not ten times the memory


def test_a_dead_and_a_silent_server_hold_up_no_one_and_ctrl_c_says_who_finished(tmp_path):
    """The answering servers' output is on stdout while the others still hang; Ctrl-C ends cleanly."""
    blackhole = socket.socket()  # accepts (the kernel does) and never sends a banner
    blackhole.bind(("127.0.0.1", 0))
    blackhole.listen(8)
    good = [Fake(answering(f"ok{i}")).start() for i in range(4)]
    quiet = Fake(silent).start()
    try:
        servers = {f"ok{i}": f.port for i, f in enumerate(good)}
        servers |= {"hole": blackhole.getsockname()[1], "quiet": quiet.port}
        env = write_config(tmp_path, servers)
        proc = subprocess.Popen(AMISH + ["--group", "all", "--parallel", "3", "--connect-timeout", "60",
                                         "--timeout", "60"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        proc.stdin.write(b"Action: Ping\n")
        proc.stdin.close()
        proc.stdin = None
        seen = b""
        until = time.monotonic() + 30
        while seen.count(b"Ping: Pong") < 4 and time.monotonic() < until:
            seen += os.read(proc.stdout.fileno(), 65536)
        assert seen.count(b"Ping: Pong") == 4, seen  # with 3 at once, two of them hanging: the rest went around
        assert proc.poll() is None
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=20)
    finally:
        stop_all(good + [quiet])
        blackhole.close()
    assert proc.returncode == 130
    err = err.decode()
    assert "Traceback" not in err
    assert "amish: interrupted: 4 of 6 servers finished: " in err
    assert err.rstrip().endswith("not finished: hole, quiet")
    for i in range(4):
        assert f"ok{i}: Ping: Pong".encode() in seen + rest


def test_the_summary_says_unreachable_and_timeout_and_exits_with_the_worst(tmp_path):
    blackhole = socket.socket()
    blackhole.bind(("127.0.0.1", 0))
    blackhole.listen(8)
    good = Fake(answering("ok")).start()
    quiet = Fake(silent).start()
    erring = Fake(answering("err")).start()
    try:
        env = write_config(tmp_path, {"ok": good.port, "hole": blackhole.getsockname()[1], "quiet": quiet.port})
        cmd = AMISH + ["--group", "all", "--connect-timeout", "1", "--timeout", "1"]
        proc = subprocess.run(cmd, input=b"Action: Ping\n", capture_output=True, timeout=60, env=env)
        assert proc.returncode == 2  # unreachable is worse than a timeout
        err = proc.stderr.decode()
        assert "amish: hole   unreachable: " in err and "amish: quiet  timeout: " in err
        assert "amish: ok     ok" in err
        assert err.splitlines()[-1] == "amish: 3 servers: 1 ok, 1 timeout, 1 unreachable"
        env = write_config(tmp_path, {"ok": good.port, "quiet": quiet.port, "err": erring.port})
        proc = subprocess.run(cmd, input=b"Action: Ping\n\nAction: Nope\n", capture_output=True, timeout=60, env=env)
        assert proc.returncode == 3  # a timeout is worse than an Error
        assert proc.stderr.decode().splitlines()[-1] == "amish: 3 servers: 2 error, 1 timeout"
    finally:
        stop_all([good, quiet, erring])
        blackhole.close()


def test_a_server_lost_mid_run_is_lost_and_the_others_finish(tmp_path):
    """One server closes the connection after its first answer: it is "lost" (exit 2); the others are whole."""

    def closing(action, client):
        client.respond(action, Ping="Pong", Who="gone")
        client.close()

    good = [Fake(answering(f"ok{i}")).start() for i in range(2)]
    bad = Fake(closing).start()
    try:
        env = write_config(tmp_path, {"ok0": good[0].port, "ok1": good[1].port, "gone": bad.port})
        proc = subprocess.run(AMISH + ["--group", "all", "--format", "json"], input=b"Action: Ping\n\nAction: Ping\n",
                              capture_output=True, timeout=60, env=env)
    finally:
        stop_all(good + [bad])
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert "amish: gone  lost: " in err and err.splitlines()[-1] == "amish: 3 servers: 2 ok, 1 lost"
    assert "amish: gone: <stdin>:3: " in err  # its own lines name it
    objs = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert sorted(o["server"] for o in objs) == ["gone", "ok0", "ok0", "ok1", "ok1"]


def test_sigterm_logs_off_the_servers_in_flight(tmp_path):
    quiet = [Fake(silent).start() for _ in range(2)]
    try:
        env = write_config(tmp_path, {f"q{i}": f.port for i, f in enumerate(quiet)})
        proc = subprocess.Popen(AMISH + ["--group", "all", "--timeout", "60"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        proc.stdin.write(b"Action: Ping\n")
        proc.stdin.close()
        proc.stdin = None
        for f in quiet:
            f.wait_for(lambda f=f: any((a.get("Action") or "").lower() == "ping" for a in f.actions), timeout=20)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
        for f in quiet:  # each got its Logoff before amish ended
            f.wait_for(lambda f=f: any((a.get("Action") or "").lower() == "logoff" for a in f.actions), timeout=5)
    finally:
        stop_all(quiet)
    assert proc.returncode == 143
    assert "Traceback" not in err.decode()


# -- hostile orderings: refused before any server hears a thing ----------------------------


def _nothing_reached(fakes) -> bool:
    return all(not f.logins and not f.actions for f in fakes)


@pytest.mark.parametrize("output_dir", ["/proc", "/proc/amish-out", "FILE"])
def test_an_unwritable_output_dir_is_one_line_before_anything_is_sent(tmp_path, output_dir):
    """--output-dir found unwritable only at the end would come after every action ran everywhere."""
    fakes = [Fake(answering(f"f{i}")).start() for i in range(3)]
    try:
        env = write_config(tmp_path, {f"f{i}": f.port for i, f in enumerate(fakes)})
        if output_dir == "FILE":  # a file where the directory should be
            output_dir = str(tmp_path / "config.toml")
        proc = subprocess.run(AMISH + ["--group", "all", "--output-dir", output_dir], input=b"Action: Ping\n",
                              capture_output=True, env=env, timeout=60)
        for f in fakes:
            connections_made(f)  # every connection amish made is in by now
        assert _nothing_reached(fakes) and all(not connections_made(f) for f in fakes)
    finally:
        stop_all(fakes)
    err = proc.stderr.decode()
    assert proc.returncode == 4 and proc.stdout == b""
    assert err.count("\n") == 1 and err.startswith(f"amish: --output-dir {output_dir}: cannot write there (")
    assert err.rstrip().endswith("nothing was sent")


def test_read_only_on_the_command_line_refuses_a_fleet_run_with_one_write_action(tmp_path):
    fakes = [Fake(answering(f"f{i}")).start() for i in range(3)]
    try:
        env = write_config(tmp_path, {f"f{i}": f.port for i, f in enumerate(fakes)})
        proc = subprocess.run(AMISH + ["--group", "all", "--read-only"],
                              input=b"Action: Ping\n\nAction: Ping\n\nAction: Originate\nChannel: Local/1@x\n"
                                    b"Application: Wait\nData: 1\n", capture_output=True, env=env, timeout=60)
        assert all(not connections_made(f) for f in fakes)  # not even a connection, anywhere
    finally:
        stop_all(fakes)
    err = proc.stderr.decode()
    assert proc.returncode == 4 and proc.stdout == b"" and err.count("\n") == 1
    assert "<stdin>:5: " in err and "nothing was sent" in err and "Traceback" not in err


@pytest.mark.parametrize("value", ["0", "-1", "1001", "99999999999999999999", "1e3", ""])
def test_parallel_out_of_range_is_one_line_exit_4(tmp_path, value):
    fake = Fake(answering("f0")).start()
    try:
        env = write_config(tmp_path, {"f0": fake.port, "f1": fake.port})
        proc = subprocess.run(AMISH + ["--group", "all", f"--parallel={value}"], input=b"Action: Ping\n",
                              capture_output=True, env=env, timeout=60)
        assert not connections_made(fake)
    finally:
        fake.stop()
    err = proc.stderr.decode()
    assert proc.returncode == 4 and err.count("\n") == 1 and "--parallel" in err and "from 1 to 1000" in err


def test_ctrl_c_while_connecting_to_two_hundred_servers(tmp_path):
    """200 servers that accept and never greet, 50 at once: Ctrl-C ends at once, says none finished, no traceback."""
    hole = socket.socket()  # the kernel accepts; nothing is ever said
    hole.bind(("127.0.0.1", 0))
    hole.listen(512)
    try:
        env = write_config(tmp_path, {f"h{i:03d}": hole.getsockname()[1] for i in range(200)})
        proc = subprocess.Popen(AMISH + ["--group", "all", "--parallel", "50", "--connect-timeout", "60"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        proc.stdin.write(b"Action: Ping\n")
        proc.stdin.close()
        proc.stdin = None
        time.sleep(3)  # connecting (and waiting for 50 banners that never come)
        assert proc.poll() is None
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        hole.close()
    err = err.decode()
    assert proc.returncode == 130, err[-2000:]
    assert "Traceback" not in err and out == b""
    assert "amish: interrupted: 0 of 200 servers finished" in err
    assert took < 10, took  # not one connect timeout after another
