"""Tail output: `amish events --format raw` to a pipe, against the obvious parser printing each event.

    python bench/tailbench.py PORT --events N --who amish|obvious

Run with the bench's amish venv. Reads the program's stdout (a pipe) as fast as
it comes, counts events by their blank-line terminators, and times from the
first byte to the N-th event. For amish the output must be the flood's bytes
exactly (checked by SHA-256). Prints one ``RESULT {json}`` line.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import SECRET, emit, load_capture, stream_events  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("--events", type=int, required=True)
    p.add_argument("--who", choices=("amish", "obvious"), required=True)
    a = p.parse_args()
    env = dict(os.environ, AMISH_SECRET=SECRET)
    if a.who == "amish":
        amish = os.path.join(os.path.dirname(sys.executable), "amish")
        cmd = [amish, "events", "-u", "admin", "--format", "raw", "--count", str(a.events), "127.0.0.1", str(a.port)]
    else:
        cmd = [sys.executable, os.path.join(HERE, "clients", "obvious_print.py"), str(a.port)]
    _, mix, _ = load_capture()
    want = hashlib.sha256(b"".join(stream_events(mix, a.events))).hexdigest() if a.who != "obvious" else None
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    fd = proc.stdout.fileno()
    digest = hashlib.sha256()
    count = 0
    tail = b""
    first = last = None
    total = 0
    import select

    stalled = False
    while count < a.events:
        ready, _, _ = select.select([fd], [], [], 2.0)
        if not ready:  # nothing for 2 s: events were lost (amish waits for more that never come)
            stalled = True
            proc.terminate()
            break
        data = os.read(fd, 1 << 20)
        if not data:
            break
        now = time.perf_counter()
        if first is None:
            first = now
        total += len(data)
        digest.update(data)
        both = tail + data
        count += both.count(b"\r\n\r\n") - tail.count(b"\r\n\r\n")
        tail = data[-3:]
        last = now
    if not stalled:
        while os.read(fd, 1 << 20):
            pass
    err = proc.stderr.read().decode(errors="replace")
    code = proc.wait(30)
    ended = time.perf_counter()
    emit({
        "who": a.who,
        "events": count,
        "bytes": total,
        "seconds": (last - first) if first and last else None,
        "rate": count / (last - first) if first and last and last > first else 0.0,
        "wall": ended - started,
        "exit": code,
        "stalled": stalled,
        "stderr": err.strip()[-300:],
        "intact": (digest.hexdigest() == want) if want else None,
    })


if __name__ == "__main__":
    main()
