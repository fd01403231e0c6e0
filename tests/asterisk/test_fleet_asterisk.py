"""A fleet of real Asterisks (sandbox instances 1-3): the pipe tool and amish events on several servers.

One member logs in with a wrong secret, one is stopped (before the run, or in
the middle of the stream); the rest must not care, and everything said must
name its server.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import ADMIN

pytestmark = pytest.mark.asterisk

AMISH = [sys.executable, "-m", "amish"]


@pytest.fixture
def fleet_config(asterisk_fleet, tmp_path):
    """A config file naming the three instances (pbx1-3), a member with a wrong secret, and groups."""
    lines = []
    for box in asterisk_fleet:
        lines += [f"[profiles.pbx{box.instance}]", f'host = "{box.host}"', f"port = {box.port}",
                  'user = "admin"', f'secret = "{ADMIN[1]}"', ""]
    wrong = asterisk_fleet[0]
    lines += ["[profiles.wrong]", f'host = "{wrong.host}"', f"port = {wrong.port}", 'user = "admin"',
              'secret = "not-the-secret"', ""]
    lines += ["[groups]", 'lab = ["pbx*"]', 'all = ["pbx*", "wrong"]', ""]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines))
    path.chmod(0o600)
    return path


def env_for(config) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_")}
    env["AMISH_CONFIG"] = str(config)
    return env


def run(config, args, stdin: bytes, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(AMISH + args, input=stdin, capture_output=True, timeout=timeout, env=env_for(config))


PINGS = b"Action: Ping\n\nAction: Command\nCommand: core show settings\n\n"


def test_a_group_runs_everywhere_each_answer_names_its_server(fleet_config, asterisk_fleet):
    asterisk_fleet[2].stop()  # pbx3: down before the run
    proc = run(fleet_config, ["--group", "all", "--format", "json"], PINGS)
    err = proc.stderr.decode()
    objects = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    by_server = {}
    for o in objects:
        by_server.setdefault(o["server"], []).append(o)
    assert sorted(by_server) == ["pbx1", "pbx2"], err
    for name, results in by_server.items():
        assert [r["action"] for r in results] == ["Ping", "Command"]
        assert all(r["ok"] for r in results)
        # the answer came from that server: each instance has a system name of its own
        output = "\n".join(results[1]["response"].get("Output") or [])
        assert f"amish-sandbox-{name[-1]}" in output, output
    assert "amish: pbx1   ok" in err and "amish: pbx2   ok" in err
    assert "amish: pbx3   unreachable: cannot connect to 127.0.0.1:" in err
    assert "amish: wrong  unreachable: " in err and "uthentication" in err
    assert "amish: 4 servers: 2 ok, 2 unreachable" in err
    assert proc.returncode == 2
    assert "not-the-secret" not in err + proc.stdout.decode()


def test_raw_output_is_prefixed_and_pretty_is_grouped(fleet_config):
    proc = run(fleet_config, ["--group", "lab"], b"Action: Ping\n")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode().splitlines()
    assert lines and all(line.split(": ", 1)[0] in ("pbx1", "pbx2", "pbx3") for line in lines)
    for name in ("pbx1", "pbx2", "pbx3"):
        assert f"{name}: Response: Success" in lines and f"{name}: Ping: Pong" in lines
    proc = run(fleet_config, ["--group", "lab", "--format", "pretty"], b"Action: Ping\n")
    text = proc.stdout.decode()
    for name in ("pbx1", "pbx2", "pbx3"):
        assert f"── {name} (127.0.0.1:" in text
    assert text.count("Pong") == 3


def test_one_file_per_server_with_output_dir(fleet_config, tmp_path):
    out = tmp_path / "out"
    proc = run(fleet_config, ["--profile", "pbx1", "--profile", "pbx2", "--output-dir", str(out)], b"Action: Ping\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b""
    assert sorted(p.name for p in out.iterdir()) == ["pbx1.ami", "pbx2.ami"]
    assert b"Ping: Pong" in (out / "pbx1.ami").read_bytes()


def test_several_hosts_as_urls(asterisk_fleet, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_")}
    env.update(AMISH_SECRET=ADMIN[1], AMISH_CONFIG=str(tmp_path / "none.toml"))
    argv = AMISH + ["--format", "json"]
    for box in asterisk_fleet:
        argv += ["-H", f"ami://admin@{box.host}:{box.port}"]
    proc = subprocess.run(argv, input=b"Action: Ping\n", capture_output=True, timeout=60, env=env)
    # AMISH_CONFIG names no file: an explicit config that is missing is an error before anything connects
    assert proc.returncode == 4 and b"no such config file" in proc.stderr
    del env["AMISH_CONFIG"]
    env["XDG_CONFIG_HOME"] = str(tmp_path)
    proc = subprocess.run(argv, input=b"Action: Ping\n", capture_output=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    servers = sorted(json.loads(line)["server"] for line in proc.stdout.decode().splitlines())
    assert servers == sorted(f"127.0.0.1:{box.port}" for box in asterisk_fleet)


def test_an_error_anywhere_is_exit_1(fleet_config):
    proc = run(fleet_config, ["--group", "lab"], b"Action: Ping\n\nAction: NoSuchAction\n")
    assert proc.returncode == 1, proc.stderr
    assert b"amish: 3 servers: 3 error" in proc.stderr


def test_read_only_on_one_member_refuses_the_run_before_anything_is_sent(fleet_config, asterisk_fleet):
    text = fleet_config.read_text().replace('[profiles.pbx2]\n', '[profiles.pbx2]\nread_only = true\n')
    fleet_config.write_text(text)
    before = asterisk_fleet[0].cli("manager show connected")
    proc = run(fleet_config, ["--group", "lab"], b"Action: Ping\n\nAction: Command\nCommand: core reload\n")
    assert proc.returncode == 4
    assert proc.stderr.decode().startswith("amish: pbx2: <stdin>:3: ") and "nothing was sent" in proc.stderr.decode()
    assert proc.stdout == b""
    assert asterisk_fleet[0].cli("manager show connected").count("admin") == before.count("admin")


def test_a_confirmation_names_how_many_servers(fleet_config, monkeypatch):
    from amish.core.actionfile import parse_actions
    from amish.pipe import run_fleet
    from amish.runtime.config import load_config, resolve_fleet
    from amish.runtime.fleet import Member
    from amish.runtime.options import Options
    import argparse
    import io

    monkeypatch.delenv("AMISH_SECRET", raising=False)
    args = argparse.Namespace(group=["lab"], confirm=True)
    members = [Member(n, Options.from_args(args, s)) for n, s in resolve_fleet(args, load_config(fleet_config))]
    blocks = parse_actions("Action: Ping\n\nAction: Command\nCommand: module reload app_echo.so\n", "<stdin>")
    asked = []
    out, err = io.BytesIO(), io.StringIO()
    code = run_fleet(members, blocks, events_default="system", fmt="json", out=out, err=err,
                     ask=lambda q: asked.append(q) or False)
    assert asked == ["<stdin>:3: Command " + asked[0].split("Command ", 1)[1]]
    assert asked[0].endswith("Send it to 3 servers?")
    assert "Command skipped" in err.getvalue()
    assert code == 0
    assert [json.loads(x)["action"] for x in out.getvalue().splitlines()] == ["Ping"] * 3


class Reader:
    """Lines of a running process's stdout, collected by a thread."""

    def __init__(self, proc):
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self.thread.start()

    def _read(self, proc):
        for line in proc.stdout:
            self.lines.append(line.decode())

    def wait_for(self, pred, timeout: float = 30) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in list(self.lines) if pred(line)]
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"not seen in {timeout} s; got:\n" + "".join(self.lines[-20:]))


def test_events_merge_the_fleet_and_say_lost_and_back(fleet_config, asterisk_fleet):
    proc = subprocess.Popen(AMISH + ["events", "--group", "all", "--format", "jsonl", "--duration", "90"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env_for(fleet_config))
    try:
        reader = Reader(proc)
        for name in ("pbx1", "pbx2", "pbx3"):
            reader.wait_for(lambda line, n=name: f'"Server": "{n}", "Event": "FullyBooted"' in line)
        gone = json.loads(reader.wait_for(lambda line: '"Server": "wrong"' in line)[0])
        assert gone["Amish"] == "gone" and "not retrying" in gone["Reason"]
        asterisk_fleet[1].stop()  # pbx2, mid-stream
        lost = json.loads(reader.wait_for(lambda line: '"Amish": "lost"' in line)[0])
        assert lost["Server"] == "pbx2"
        asterisk_fleet[0].cli("manager show connected")  # pbx1 goes on meanwhile
        asterisk_fleet[1].start()
        back = json.loads(reader.wait_for(lambda line: '"Amish": "back"' in line, timeout=60)[0])
        assert back["Server"] == "pbx2" and "reconnected after" in back["Reason"]
        reader.wait_for(lambda line: '"Server": "pbx2"' in line and '"Uptime"' in line and '"FullyBooted"' in line
                        and line in reader.lines[reader.lines.index(next(x for x in reader.lines if '"back"' in x)):])
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    every = [json.loads(line) for line in reader.lines]
    assert all("Server" in o for o in every)
    assert {o["Server"] for o in every if "Event" in o} == {"pbx1", "pbx2", "pbx3"}
    # a server that was lost said so in its own words, and the others' events went on meanwhile
    i = next(k for k, o in enumerate(every) if o.get("Amish") == "lost")
    j = next(k for k, o in enumerate(every) if o.get("Amish") == "back")
    assert i < j


def test_an_events_own_server_header_cannot_pass_for_another_member(fleet_config):
    """A UserEvent carries any header: one saying `Server: pbx3` sent on pbx1 is still pbx1's in the stream."""
    proc = subprocess.Popen(AMISH + ["events", "--group", "lab", "--format", "jsonl", "--duration", "40",
                                     "--filter", "FullyBooted|UserEvent"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env_for(fleet_config))
    try:
        reader = Reader(proc)
        for name in ("pbx1", "pbx2", "pbx3"):
            reader.wait_for(lambda line, n=name: f'"Server": "{n}", "Event": "FullyBooted"' in line)
        sent = run(fleet_config, ["--profile", "pbx1"],
                   b"Action: UserEvent\nUserEvent: spoof\nServer: pbx3\n\n")
        assert sent.returncode == 0, sent.stderr
        spoof = json.loads(reader.wait_for(lambda line: '"spoof"' in line)[0])
        assert spoof["Server"] == "pbx1" and spoof["EventServer"] == "pbx3"
    finally:
        proc.kill()
        proc.wait()


def test_events_pretty_has_a_server_column(fleet_config):
    proc = run(fleet_config, ["events", "--group", "lab", "--format", "pretty", "--count", "6",
                              "--filter", "FullyBooted|SuccessfulAuth", "--duration", "20"], b"")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode().splitlines()
    assert len(lines) == 6
    assert {line.split()[0] for line in lines} == {"pbx1", "pbx2", "pbx3"}
    assert all(("FullyBooted" in line) or ("SuccessfulAuth" in line) for line in lines)


def test_events_raw_prefixes_every_line_and_no_reconnect_gives_up(fleet_config, asterisk_fleet):
    proc = run(fleet_config, ["events", "--group", "lab", "--format", "raw", "--count", "3",
                              "--filter", "FullyBooted", "--duration", "20"], b"")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode().split("\r\n")
    assert {line.split(": ", 1)[0] for line in lines if line} == {"pbx1", "pbx2", "pbx3"}
    assert sorted(line for line in lines if "Event: " in line) == [f"pbx{i}: Event: FullyBooted" for i in (1, 2, 3)]
    asterisk_fleet[2].stop()
    proc = run(fleet_config, ["events", "--group", "lab", "--format", "jsonl", "--no-reconnect", "--duration", "3"], b"")
    gone = [json.loads(x) for x in proc.stdout.decode().splitlines() if '"Amish"' in x]
    assert [(o["Server"], o["Amish"]) for o in gone] == [("pbx3", "gone")]
    assert proc.returncode == 0  # two servers still streaming when --duration ended


def test_raw_mode_refuses_a_fleet(fleet_config):
    proc = run(fleet_config, ["raw", "--group", "lab"], b"")
    assert proc.returncode == 4 and b"amish raw takes one server, not a fleet" in proc.stderr


def test_events_a_failing_secret_command_is_that_servers_outcome_not_the_runs(fleet_config, asterisk_fleet):
    box = asterisk_fleet[0]
    with open(fleet_config, "a") as f:
        f.write(f'\n[profiles.broken]\nhost = "{box.host}"\nport = {box.port}\nuser = "admin"\n'
                'secret_command = "false"\n')
    proc = run(fleet_config, ["events", "--profile", "pbx1", "--profile", "broken", "--format", "jsonl",
                              "--filter", "FullyBooted", "--count", "1", "--duration", "20"], b"")
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in proc.stdout.decode().splitlines()]
    gone = [o for o in lines if o.get("Amish") == "gone"]
    assert [o["Server"] for o in gone] == ["broken"] and "secret_command" in gone[0]["Reason"]
    assert [o["Server"] for o in lines if o.get("Event") == "FullyBooted"] == ["pbx1"]


def test_a_secret_on_the_command_line_is_warned_about_once_on_a_fleet(asterisk_fleet, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path)
    argv = AMISH + ["-u", "admin", "--secret", ADMIN[1]]
    for box in asterisk_fleet:
        argv += ["-H", f"{box.host}:{box.port}"]  # host:port without ami://: a host with a port
    proc = subprocess.run(argv + ["--format", "json"], input=b"Action: Ping\n", capture_output=True, timeout=60,
                          env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.decode().count("a secret on the command line is visible in ps") == 1
    servers = sorted(json.loads(line)["server"] for line in proc.stdout.decode().splitlines())
    assert servers == sorted(f"{box.host}:{box.port}" for box in asterisk_fleet)
    events = AMISH + ["events"] + argv[len(AMISH):] + ["--filter", "FullyBooted", "--count", "3", "--duration", "20"]
    proc = subprocess.run(events, capture_output=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.decode().count("a secret on the command line is visible in ps") == 1


def test_a_bad_host_port_is_one_line_and_exit_4_before_anything_connects(asterisk_fleet, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_")}
    env.update(XDG_CONFIG_HOME=str(tmp_path), AMISH_SECRET=ADMIN[1])
    box = asterisk_fleet[0]
    for mode in ([], ["events"]):
        proc = subprocess.run(AMISH + mode + ["-u", "admin", "-H", f"{box.host}:{box.port}", "-H", "pbx:50x8"],
                              input=b"Action: Ping\n", capture_output=True, timeout=30, env=env)
        assert proc.returncode == 4
        assert proc.stderr.decode() == ("amish: -H: 'pbx:50x8': the port must be a number from 1 to 65535 "
                                        "(HOST:PORT)\n")
        assert proc.stdout == b""
