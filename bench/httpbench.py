"""AMI over HTTP: amish's `http://` against curl, and events over HTTP against TCP, on the sandbox Asterisk.

    python bench/httpbench.py [--actions 10000] [--base 1000] [--events 20000] [--reps 5]
                         [--host 127.0.0.1 --http-port 18088 --ami-port 15038]

1. Pings: amish reads an action file of N `Ping` lines and sends them over
   http:// with --pipeline (output raw to a pipe); curl sends the same N POSTs
   to /rawman (the same form bodies, amish's ActionIDs, the session's cookie) on
   ONE kept-alive connection, from a config file of `url`/`data`/`header`
   blocks joined by `next` (curl reuses the connection for each; the run checks
   that it connected once: `%{num_connects}` is 1 for the first transfer, 0
   after). curl's session is logged in just before it runs (its cookie in the
   config file). As in bench/pipeline.py the figure is throughput: each client
   runs a batch of --base and one of --actions, in turns, and its rate is
   (actions - base) / (median big - median small), so start-up and login cancel
   out. Every output must hold N Pongs.
2. Events: `amish events` over http:// and over TCP run at the same time, both
   waiting for --events UserEvents, which the pipe tool then sends on a third
   (TCP) session with --pipeline. Each one's clock runs from the flood's start
   to its last event; every event must arrive, in order (their Seq headers),
   in both. The rate ratio (HTTP / TCP) is reported, with both counts.

Prints one ``RESULT {json}`` line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import SECRET, USER, emit  # noqa: E402

AMISH = os.path.join(os.path.dirname(sys.executable), "amish")


def login_cookie(host: str, port: int) -> str:
    """A fresh logged-in /rawman session's cookie (for curl, which is then given it)."""
    body = f"Action=Login&Username={USER}&Secret={SECRET}&Events=off".encode()
    with urllib.request.urlopen(f"http://{host}:{port}/rawman", data=body, timeout=10) as r:
        cookie = r.headers.get("Set-Cookie") or ""
        text = r.read()
    m = re.search(r'mansession_id="?([^";]+)', cookie)
    if not m or b"Success" not in text:
        raise SystemExit(f"bench/httpbench.py: could not log in over HTTP: {text[:100]!r}")
    return m.group(1)


def curl_config(path: str, host: str, port: int, n: int, cookie: str) -> None:
    """N Ping POSTs to /rawman in one curl config: one transfer each, `next` between them."""
    with open(path, "w") as f:
        for i in range(n):
            if i:
                f.write("next\n")
            f.write(f'url = "http://{host}:{port}/rawman"\n'
                    f'data = "Action=Ping&ActionID=amish-1-{i + 2}"\n'
                    f'header = "Cookie: mansession_id=\\"{cookie}\\""\n'
                    'write-out = "\\nconnects=%{num_connects}\\n"\n')


def pings(a, env, tmp) -> dict:
    sizes = (a.base, a.actions)
    files = {}
    for n in sizes:
        files[n] = os.path.join(tmp, f"pings-{n}.ami")
        with open(files[n], "w") as f:
            f.write("# bench: N pings\n" + "Ping\n" * n)
    runs: dict[str, dict[int, list[float]]] = {"amish": {n: [] for n in sizes}, "curl": {n: [] for n in sizes}}
    problems = []
    url = f"http://{USER}@{a.host}:{a.http_port}"
    for _ in range(a.reps):
        for n in sizes:
            t = time.perf_counter()
            proc = subprocess.run([AMISH, "--auth", "plain", "-f", files[n], "--pipeline", "--format", "raw", url],
                                  capture_output=True, env=env, timeout=600)
            runs["amish"][n].append(time.perf_counter() - t)
            pongs = proc.stdout.count(b"Ping: Pong")
            if pongs != n or proc.returncode != 0:
                problems.append(f"amish: {pongs} Pongs of {n}, exit {proc.returncode}: "
                                f"{proc.stderr.decode(errors='replace')[-200:]}")

            config = os.path.join(tmp, f"curl-{n}.cfg")
            curl_config(config, a.host, a.http_port, n, login_cookie(a.host, a.http_port))
            t = time.perf_counter()
            proc = subprocess.run(["curl", "-s", "-K", config], capture_output=True, timeout=600)
            runs["curl"][n].append(time.perf_counter() - t)
            pongs = proc.stdout.count(b"Ping: Pong")
            connects = [int(x) for x in re.findall(rb"connects=(\d+)", proc.stdout)]
            if pongs != n or proc.returncode != 0:
                problems.append(f"curl: {pongs} Pongs of {n}, exit {proc.returncode}")
            if sum(connects) != 1:
                problems.append(f"curl: {sum(connects)} connections for {n} requests (not one kept-alive)")
    med = {k: {n: statistics.median(v) for n, v in by_n.items()} for k, by_n in runs.items()}
    marginal = {k: max(m[a.actions] - m[a.base], 1e-9) for k, m in med.items()}
    rate = {k: (a.actions - a.base) / v for k, v in marginal.items()}
    return {
        "actions": a.actions,
        "base": a.base,
        "median_s": {k: m[a.actions] for k, m in med.items()},
        "base_median_s": {k: m[a.base] for k, m in med.items()},
        "runs_s": {k: {str(n): v for n, v in by_n.items()} for k, by_n in runs.items()},
        "rate": rate,
        "ratio": rate["amish"] / rate["curl"],
        "problems": problems,
    }


def events(a, env, tmp) -> dict:
    n = a.events
    tag = f"bench-{os.getpid()}"
    flood = os.path.join(tmp, "flood.ami")
    with open(flood, "w") as f:
        f.write("".join(f"UserEvent UserEvent={tag} Seq={i}\n" for i in range(n)))
    targets = {"http": [f"http://{USER}@{a.host}:{a.http_port}"], "tcp": ["-u", USER, a.host, str(a.ami_port)]}
    runs: dict[str, list[dict]] = {"http": [], "tcp": []}
    problems = []
    for _ in range(a.reps):
        procs = {}
        outs = {}
        for name, target in targets.items():
            outs[name] = open(os.path.join(tmp, f"events-{name}.jsonl"), "w+b")
            procs[name] = subprocess.Popen(
                [AMISH, "events", "--auth", "plain", "--format", "jsonl", "--count", str(n),
                 "--filter", f"UserEvent UserEvent={tag}", *target],
                stdout=outs[name], stderr=subprocess.PIPE, env=env)
        time.sleep(2.0)  # both logged in and waiting
        start = time.perf_counter()
        sender = subprocess.run([AMISH, "-u", USER, "--auth", "plain", "--events=off", "-f", flood, "--pipeline",
                                 "--format", "raw", a.host, str(a.ami_port)],
                                capture_output=True, env=env, timeout=600)
        if sender.returncode != 0:
            problems.append(f"the flood's sender: exit {sender.returncode}: {sender.stderr.decode()[-200:]}")
        ends: dict[str, float] = {}
        errs: dict[str, bytes] = {}

        def reap(name, proc):
            try:
                _out, errs[name] = proc.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                _out, errs[name] = proc.communicate()
                problems.append(f"{name}: not every event within 120 s")
            ends[name] = time.perf_counter()  # each one's own exit, waited for in a thread of its own

        waiters = [threading.Thread(target=reap, args=item) for item in procs.items()]
        for w in waiters:
            w.start()
        for w in waiters:
            w.join()
        for name in procs:
            outs[name].seek(0)
            seqs = [int(json.loads(line)["Seq"]) for line in outs[name].read().splitlines() if line.strip()]
            outs[name].close()
            if seqs != list(range(n)):
                problems.append(f"{name}: {len(seqs)} of {n} events, in order: {seqs == sorted(seqs)}; "
                                f"{errs[name].decode(errors='replace')[-200:]}")
            runs[name].append({"events": len(seqs), "seconds": ends[name] - start})
    rate = {k: statistics.median(r["events"] / r["seconds"] for r in v) for k, v in runs.items()}
    return {
        "events": n,
        "runs": runs,
        "rate": rate,
        "ratio": rate["http"] / rate["tcp"],
        "counts_equal": all(r["events"] == n for v in runs.values() for r in v),
        "problems": problems,
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--actions", type=int, default=10_000)
    p.add_argument("--base", type=int, default=1_000, help="the small batch whose time (start-up, login) is taken off")
    p.add_argument("--events", type=int, default=20_000)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--http-port", type=int, default=18088)
    p.add_argument("--ami-port", type=int, default=15038)
    a = p.parse_args()
    env = dict(os.environ, AMISH_SECRET=SECRET)
    tmp = tempfile.mkdtemp(prefix="amish-bench-http-")
    emit({"pings": pings(a, env, tmp), "events": events(a, env, tmp)})


if __name__ == "__main__":
    main()
