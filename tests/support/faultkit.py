"""Helpers shared by the fault tests: run amish as a user does, against a FakeAMI, and watch it.

Everything is bounded: each subprocess has a timeout, each wait a deadline,
and traffic stays on the loopback.
"""

from __future__ import annotations

import faulthandler
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from conftest import ROOT
from fakeami import FakeAMI, default_handler
HOST = "127.0.0.1"
SECRET = "secret"  # FakeAMI's default


def Fake(*args, **kw) -> FakeAMI:
    """A FakeAMI that says FullyBooted after a login, as a booted Asterisk does (amish waits for it)."""
    kw.setdefault("fully_booted", True)
    return FakeAMI(*args, **kw)


def watchdog(seconds: float):
    """A fixture body: a test still running after `seconds` dumps every thread's stack and ends the run."""

    def fixture():
        faulthandler.dump_traceback_later(seconds, exit=True, file=sys.__stderr__)
        try:
            yield
        finally:
            faulthandler.cancel_dump_traceback_later()

    return fixture


def amish_env(tmp: Path | str, **extra: str) -> dict[str, str]:
    """A clean environment: no AMISH_* of the caller, no user config, the fake's secret."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_")}
    env.update(
        AMISH_SECRET=SECRET,
        XDG_CONFIG_HOME=str(Path(tmp) / "config"),
        XDG_STATE_HOME=str(Path(tmp) / "state"),
        NO_COLOR="1",
    )
    env.update(extra)
    return env


def amish_argv(port: int, *args: str, mode: tuple[str, ...] = (), user: bool = True) -> list[str]:
    argv = [sys.executable, "-m", "amish", *mode]
    if user:
        argv += ["-u", "admin"]
    return argv + ["-p", str(port), *args, HOST]


@dataclass
class Result:
    rc: int
    out: bytes
    err: str
    seconds: float

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


def run_amish(port: int, *args: str, stdin: bytes = b"", mode: tuple[str, ...] = (), tmp: Path | str,
              timeout: float = 60, user: bool = True, env: dict | None = None) -> Result:
    t0 = time.monotonic()
    proc = subprocess.run(
        amish_argv(port, *args, mode=mode, user=user),
        input=stdin,
        capture_output=True,
        timeout=timeout,
        env=env or amish_env(tmp),
        cwd=ROOT,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace"), time.monotonic() - t0)


def assert_one_line(result: Result, *needles: str) -> str:
    """stderr is exactly one clear line ("amish: ..."), holding every needle, and no traceback."""
    assert "Traceback" not in result.err, result.err
    lines = result.err_lines
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    line = lines[0]
    assert line.startswith("amish: "), line
    for needle in needles:
        assert needle in line, f"{needle!r} not in {line!r}"
    return line


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MiB (VmRSS), None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class Spawned:
    """amish in a subprocess, its peak VmRSS sampled while it runs."""

    def __init__(self, port: int, *args: str, stdin: bytes = b"", mode: tuple[str, ...] = (), tmp: Path | str):
        self.proc = subprocess.Popen(
            amish_argv(port, *args, mode=mode),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=amish_env(tmp),
            cwd=ROOT,
        )
        self.proc.stdin.write(stdin)
        self.proc.stdin.close()
        self.proc.stdin = None
        self.first_rss: float | None = None
        self.peak_rss = 0.0
        self._out: list[bytes] = []
        self._err: list[bytes] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self._out), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self._err), daemon=True),
        ]
        for r in self._readers:
            r.start()

    @staticmethod
    def _read(stream, into: list[bytes]) -> None:
        for chunk in iter(lambda: stream.read1(65536), b""):
            into.append(chunk)

    def sample(self) -> None:
        rss = rss_mb(self.proc.pid)
        if rss is not None:
            if self.first_rss is None:
                self.first_rss = rss
            self.peak_rss = max(self.peak_rss, rss)

    def wait(self, timeout: float) -> Result:
        t0 = time.monotonic()
        deadline = t0 + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                self.proc.kill()
                self.proc.wait(5)
                raise AssertionError(f"amish did not end within {timeout:g} s; stderr: {b''.join(self._err)!r}")
            self.sample()
            time.sleep(0.02)
        for r in self._readers:
            r.join(10)
        return Result(self.proc.returncode, b"".join(self._out), b"".join(self._err).decode("utf-8", "replace"),
                      time.monotonic() - t0)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


def after_login(fake, script, index: int = 0, timeout: float = 10.0) -> threading.Thread:
    """Run script(client) in a thread once the fake's `index`-th client has logged in."""

    def watch():
        client = fake.wait_client(index, timeout)
        fake.wait_for(lambda: client.authenticated, timeout)
        time.sleep(0.2)  # let amish subscribe (amish events) before the first byte
        script(client)

    thread = threading.Thread(target=watch, name="fault-script", daemon=True)
    thread.start()
    return thread


def connections_made(fake) -> list:
    """Every connection made to the fake so far, probes of ours left out.

    The fake accepts in order: when a probe connection of ours is in, any
    connection made before it is too.
    """
    import socket

    probes = fake.__dict__.setdefault("probes", set())
    with socket.create_connection((fake.host, fake.port), timeout=10) as probe:
        probes.add(probe.getsockname())
        fake.wait_for(lambda: any(c.peer == probe.getsockname() for c in fake.clients), 10)
    return [c for c in fake.clients if c.peer not in probes]


def settle(fake) -> list:
    """Once amish has exited: its connections (see connections_made), each read to its end by the fake."""
    clients = connections_made(fake)
    fake.wait_for(lambda: all(c.closed.is_set() for c in clients), 30)
    return clients


def wait_until(predicate, timeout: float = 5.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout:g} s")
        time.sleep(0.01)


# -- handlers shared by the fault tests ------------------------------------------------


def handler_with(extra):
    """default_handler, except for the actions `extra(action, client)` takes (it returns True)."""

    def handler(action, client):
        if not extra(action, client):
            default_handler(action, client)

    return handler


def list_stall_handler(action, client):
    """A list's response and two items, then nothing: its ...Complete event never comes."""
    if action.get("Action") == "CoreShowChannels":
        aid = action["ActionID"]
        client.respond(action, EventList="start", Message="Channels will follow")
        client.event("CoreShowChannel", ActionID=aid, Channel="PJSIP/a-00000001")
        client.event("CoreShowChannel", ActionID=aid, Channel="PJSIP/b-00000002")
        return True
    return False


def assert_partial_list_printed(out: bytes, fmt: str) -> None:
    """The two items of list_stall_handler's list were printed, and in JSON the result says it is incomplete."""
    if fmt == "json":
        ping, channels = (json.loads(line) for line in out.splitlines())
        assert ping["ok"] is True and "incomplete" not in ping
        assert channels["response"]["Message"] == "Channels will follow"
        assert [e["Channel"] for e in channels["events"]] == ["PJSIP/a-00000001", "PJSIP/b-00000002"]
        assert channels["complete"] is None and channels["incomplete"] is True and channels["ok"] is False
    else:
        assert b"Channels will follow" in out
        assert b"PJSIP/a-00000001" in out and b"PJSIP/b-00000002" in out
        if fmt == "raw":
            assert out.endswith(b"Channel: PJSIP/b-00000002\r\n\r\n")  # the bytes as received, nothing made up
