"""A fleet of 200 loopback AMI servers: does --parallel P make it ceil(200/P) times one server's time?

    python bench/fleet.py [--servers 200] [--parallel 20] [--actions 10] [--delay-ms 50] [--reps 3]

Serves --servers fake AMIs from one asyncio loop in this process (127.0.0.1,
ephemeral ports; Challenge, Login, FullyBooted, Logoff as Asterisk does them),
each answering every Ping after --delay-ms, so that one server's work is
known: --actions Pings, one after another. Runs `amish --group all
--parallel P --format json` over them (a config file of one profile per
server) and over one of them, with the action file and with an empty one, in
turns, medians of --reps. Start-up and one login are in every run, so they
are taken off both sides:

    ratio = (T(fleet) - T(one, no actions)) / (ceil(servers/P) * (T(one) - T(one, no actions)))

1.0 is perfect scaling; above it, what the fleet costs over doing the batches
one after another. Also checks every server's answers came back attributed
to it (a ``Who`` header each server adds), and reports the peak RSS of the
fleet run against a run of P servers (memory bounded: each server's output
is written and dropped as it finishes). Prints one ``RESULT {json}`` line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import SECRET, USER, emit  # noqa: E402

AMISH = os.path.join(os.path.dirname(sys.executable), "amish")


def _headers(block: bytes) -> dict:
    out = {}
    for line in block.decode("utf-8", "replace").split("\r\n"):
        k, sep, v = line.partition(":")
        if sep:
            out[k.strip().lower()] = v.strip()
    return out


def _msg(**h) -> bytes:
    return b"".join(f"{k}: {v}\r\n".encode() for k, v in h.items()) + b"\r\n"


def serve(n: int, delay: float) -> tuple[list[int], asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    ports: list[int] = []
    ready = threading.Event()

    async def client(name: str, reader, writer) -> None:
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        buf = b""
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    return
                buf += data.replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")
                while b"\r\n\r\n" in buf:
                    block, buf = buf.split(b"\r\n\r\n", 1)
                    h = _headers(block)
                    action, aid = h.get("action", "").lower(), h.get("actionid", "")
                    if action == "challenge":
                        writer.write(_msg(Response="Success", ActionID=aid, Challenge="840198455"))
                    elif action == "login":
                        writer.write(_msg(Response="Success", ActionID=aid, Message="Authentication accepted"))
                        writer.write(_msg(Event="FullyBooted", Privilege="system,all", Status="Fully Booted"))
                    elif action == "ping":
                        await asyncio.sleep(delay)
                        writer.write(_msg(Response="Success", ActionID=aid, Ping="Pong", Who=name))
                    elif action == "logoff":
                        writer.write(_msg(Response="Goodbye", ActionID=aid, Message="Thanks for all the fish."))
                        await writer.drain()
                        return
                    else:
                        writer.write(_msg(Response="Error", ActionID=aid, Message="Invalid/unknown command"))
                await writer.drain()
        finally:
            writer.close()

    async def start() -> None:
        for i in range(n):
            name = f"f{i:03d}"
            server = await asyncio.start_server(lambda r, w, name=name: client(name, r, w), "127.0.0.1", 0, backlog=64)
            ports.append(server.sockets[0].getsockname()[1])
        ready.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    ready.wait(60)
    return ports, loop


def config(tmp: str, ports: list[int], name: str) -> str:
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        for i, port in enumerate(ports):
            f.write(f'[profiles.f{i:03d}]\nhost = "127.0.0.1"\nport = {port}\nuser = "{USER}"\n\n')
        f.write('[groups]\nall = ["f*"]\n')
    return path


def timed(cfg: str, actions: str, parallel: int) -> tuple[float, float, bytes, int]:
    """Seconds, peak RSS (MiB), stdout and exit code of one fleet run."""
    env = dict(os.environ, AMISH_SECRET=SECRET, AMISH_CONFIG=cfg)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # compiling amish on every start would be most of one server's time
    t = time.perf_counter()
    with open(actions, "rb") as stdin:
        proc = subprocess.Popen([AMISH, "--group", "all", "--parallel", str(parallel), "--format", "json"],
                                stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_maxrss / 1024, out, proc.returncode


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--servers", type=int, default=200)
    p.add_argument("--parallel", type=int, default=20)
    p.add_argument("--actions", type=int, default=10)
    p.add_argument("--delay-ms", type=float, default=50.0)
    p.add_argument("--reps", type=int, default=3)
    a = p.parse_args()
    ports, _loop = serve(a.servers, a.delay_ms / 1000)
    tmp = tempfile.mkdtemp(prefix="amish-bench-fleet-")
    cfg_all, cfg_one, cfg_p = config(tmp, ports, "all.toml"), config(tmp, ports[:1], "one.toml"), \
        config(tmp, ports[: a.parallel], "p.toml")
    pings, empty = os.path.join(tmp, "pings.ami"), os.path.join(tmp, "empty.ami")
    with open(pings, "w") as f:
        f.write("Ping\n" * a.actions)
    open(empty, "w").close()
    times: dict[str, list[float]] = {"fleet": [], "one": [], "base": []}
    rss: dict[str, list[float]] = {"fleet": [], "parallel": []}
    problems: list[str] = []
    for _ in range(a.reps):
        for what, cfg, actions in (("base", cfg_one, empty), ("one", cfg_one, pings), ("fleet", cfg_all, pings)):
            seconds, peak, out, code = timed(cfg, actions, a.parallel)
            times[what].append(seconds)
            if what == "fleet":
                rss["fleet"].append(peak)
                objs = [json.loads(line) for line in out.splitlines()]
                wrong = [o for o in objs if o["response"].get("Who") != o["server"]]
                if code != 0 or len(objs) != a.servers * a.actions or wrong:
                    problems.append(f"fleet: exit {code}, {len(objs)} answers of {a.servers * a.actions}, "
                                    f"{len(wrong)} misattributed")
        rss["parallel"].append(timed(cfg_p, pings, a.parallel)[1])
    med = {k: statistics.median(v) for k, v in times.items()}
    one_work = med["one"] - med["base"]
    batches = math.ceil(a.servers / a.parallel)
    ratio = (med["fleet"] - med["base"]) / (batches * one_work)
    emit({
        "servers": a.servers, "parallel": a.parallel, "actions": a.actions, "delay_ms": a.delay_ms,
        "median_s": med, "one_server_work_s": one_work, "batches": batches, "ratio": ratio,
        "rss_mib": {k: max(v) for k, v in rss.items()}, "problems": problems,
    })


if __name__ == "__main__":
    main()
