"""Pipelined batch: N `Ping` actions from a file with `amish --pipeline`, against `nc` with the same bytes.

    python bench/pipeline.py [--actions 10000] [--reps 5] [--host 127.0.0.1 --port 15038]

Against the sandbox Asterisk (scripts/asterisk-sandbox up). amish reads an
action file of N `Ping` lines and sends them all at once (--pipeline), output
raw to a pipe; nc (netcat-openbsd) is given the bytes amish sends (the Login,
the N Pings with amish's ActionIDs, a Logoff) and waits for nothing: it ends
when Asterisk closes after the Goodbye. Both are timed from start to exit, in
turns, the median of --reps; both outputs must hold N Pongs. Prints one
``RESULT {json}`` line.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import SECRET, USER, emit  # noqa: E402

AMISH = os.path.join(os.path.dirname(sys.executable), "amish")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--actions", type=int, default=10_000)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=15038)
    a = p.parse_args()
    n = a.actions
    tmp = tempfile.mkdtemp(prefix="amish-bench-")
    actions = os.path.join(tmp, "pings.ami")
    with open(actions, "w") as f:
        f.write("# bench: N pings\n" + "Ping\n" * n)
    raw = os.path.join(tmp, "pings.raw")
    with open(raw, "wb") as f:
        f.write(f"Action: Login\r\nUsername: {USER}\r\nSecret: {SECRET}\r\nEvents: off\r\nActionID: amish-1-1\r\n\r\n".encode())
        for i in range(n):
            f.write(f"Action: Ping\r\nActionID: amish-1-{i + 2}\r\n\r\n".encode())
        f.write(f"Action: Logoff\r\nActionID: amish-1-{n + 2}\r\n\r\n".encode())
    env = dict(os.environ, AMISH_SECRET=SECRET)
    amish_cmd = [AMISH, "-u", USER, "--auth", "plain", "-f", actions, "--pipeline", "--format", "raw", a.host, str(a.port)]
    nc_cmd = ["nc", a.host, str(a.port)]
    runs: dict[str, list[float]] = {"amish": [], "nc": []}
    problems = []

    def run(name, cmd, stdin=None) -> None:
        t = time.perf_counter()
        proc = subprocess.run(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=120)
        runs[name].append(time.perf_counter() - t)
        pongs = proc.stdout.count(b"Ping: Pong")
        if pongs != n or (name == "amish" and proc.returncode != 0):
            problems.append(f"{name}: {pongs} Pongs of {n}, exit {proc.returncode}: {proc.stderr.decode(errors='replace')[-200:]}")

    for _ in range(a.reps):
        run("amish", amish_cmd)
        with open(raw, "rb") as f:
            run("nc", nc_cmd, stdin=f)
    med = {k: statistics.median(v) for k, v in runs.items()}
    emit({
        "actions": n,
        "median_s": med,
        "runs_s": runs,
        "rate": {k: n / v for k, v in med.items()},
        "ratio": med["nc"] / med["amish"],
        "problems": problems,
    })


if __name__ == "__main__":
    main()
