"""Profile amish's ingest path with py-spy: where the time goes per event.

    bench/.venvs/amish/bin/python bench/profile_ingest.py [--events 300000] [--mode callback|thread]

Runs the flood server and the amish ingest client (bench/clients/amish_ingest.py)
under `py-spy record` (sampling, 1000 Hz, all threads), then prints the
functions by self and inclusive share of the samples. Run bench/run once first
(it creates bench/.venvs/amish with py-spy in it).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from collapse import summarise  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--events", type=int, default=300_000)
    p.add_argument("--mode", default="callback")
    p.add_argument("--top", type=int, default=20)
    a = p.parse_args()
    server = subprocess.Popen([sys.executable, os.path.join(HERE, "floodserver.py"), "--events", str(a.events),
                               "--connections", "1", "--max-seconds", "120"], stdout=subprocess.PIPE, text=True)
    port = server.stdout.readline().split()[1]
    out = tempfile.mktemp(suffix=".txt")
    env = dict(os.environ)
    spy = os.path.join(os.path.dirname(sys.executable), "py-spy")
    try:
        subprocess.run([spy, "record", "-r", "1000", "-f", "raw", "-o", out, "--", sys.executable,
                        os.path.join(HERE, "clients", "amish_ingest.py"), port, "--mode", a.mode],
                       env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    finally:
        server.terminate()
        server.wait(10)
    print(summarise(out, a.top))
    os.unlink(out)


if __name__ == "__main__":
    main()
