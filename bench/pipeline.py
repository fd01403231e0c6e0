"""Pipelined batch: `Ping` actions from a file with `amish --pipeline`, against `nc` with the same bytes.

    python bench/pipeline.py [--actions 50000] [--base 1000] [--reps 5] [--host 127.0.0.1 --port 15038]

Against the sandbox Asterisk (scripts/asterisk-sandbox up). amish reads an
action file of N `Ping` lines and sends them all at once (--pipeline), output
raw to a pipe; nc (netcat-openbsd) is given the bytes amish sends (the Login,
the N Pings with amish's ActionIDs, a Logoff) and waits for nothing: it ends
when Asterisk closes after the Goodbye. Every output must hold N Pongs.

What is compared is throughput, not start-to-exit time: each client runs a
batch of --base actions and one of --actions, in turns, and its rate is
(actions - base) / (median time of the big batch - median time of the small
one). Start-up, login and logoff are in both batches and cancel out, so the
ratio no longer swings with how long Python takes to start on a busy machine
(10,000 Pings last about 200 ms, most of it start-up). Prints one
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


def write_files(tmp: str, n: int) -> tuple[str, str]:
    actions = os.path.join(tmp, f"pings-{n}.ami")
    with open(actions, "w") as f:
        f.write("# bench: N pings\n" + "Ping\n" * n)
    raw = os.path.join(tmp, f"pings-{n}.raw")
    with open(raw, "wb") as f:
        f.write(f"Action: Login\r\nUsername: {USER}\r\nSecret: {SECRET}\r\nEvents: off\r\nActionID: amish-1-1\r\n\r\n".encode())
        for i in range(n):
            f.write(f"Action: Ping\r\nActionID: amish-1-{i + 2}\r\n\r\n".encode())
        f.write(f"Action: Logoff\r\nActionID: amish-1-{n + 2}\r\n\r\n".encode())
    return actions, raw


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--actions", type=int, default=50_000)
    p.add_argument("--base", type=int, default=1_000, help="the small batch whose time (start-up, login) is taken off")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=15038)
    a = p.parse_args()
    sizes = (a.base, a.actions)
    tmp = tempfile.mkdtemp(prefix="amish-bench-")
    files = {n: write_files(tmp, n) for n in sizes}
    env = dict(os.environ, AMISH_SECRET=SECRET)
    runs: dict[str, dict[int, list[float]]] = {"amish": {n: [] for n in sizes}, "nc": {n: [] for n in sizes}}
    problems = []

    def run(name, n, cmd, stdin=None) -> None:
        t = time.perf_counter()
        proc = subprocess.run(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=600)
        runs[name][n].append(time.perf_counter() - t)
        pongs = proc.stdout.count(b"Ping: Pong")
        if pongs != n or (name == "amish" and proc.returncode != 0):
            problems.append(f"{name}: {pongs} Pongs of {n}, exit {proc.returncode}: {proc.stderr.decode(errors='replace')[-200:]}")

    for _ in range(a.reps):
        for n in sizes:
            actions, raw = files[n]
            run("amish", n, [AMISH, "-u", USER, "--auth", "plain", "-f", actions, "--pipeline", "--format", "raw",
                             a.host, str(a.port)])
            with open(raw, "rb") as f:
                run("nc", n, ["nc", a.host, str(a.port)], stdin=f)
    med = {k: {n: statistics.median(v) for n, v in by_n.items()} for k, by_n in runs.items()}
    marginal = {k: max(m[a.actions] - m[a.base], 1e-9) for k, m in med.items()}
    rate = {k: (a.actions - a.base) / v for k, v in marginal.items()}
    emit({
        "actions": a.actions,
        "base": a.base,
        "median_s": {k: m[a.actions] for k, m in med.items()},
        "base_median_s": {k: m[a.base] for k, m in med.items()},
        "marginal_s": marginal,
        "runs_s": {k: {str(n): v for n, v in by_n.items()} for k, by_n in runs.items()},
        "rate": rate,
        "ratio": rate["amish"] / rate["nc"],
        "problems": problems,
    })


if __name__ == "__main__":
    main()
