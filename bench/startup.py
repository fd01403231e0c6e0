"""Start-up: `amish` to a usable prompt, and `amish --version` / `--help`, against their baselines.

    python bench/startup.py [--reps 7]

Each measurement is a fresh process, taking turns, the median of --reps:
- prompt: `amish -u admin 127.0.0.1 PORT` in a pseudo-terminal (TERM=xterm,
  PROMPT_TOOLKIT_NO_CPR=1) against the flood server in --quiet mode (it answers
  the login and the shell's ListCommands/CoreSettings with the sandbox's
  answers, and sends no flood), until "ami> " is on the (pyte) screen;
  baseline `python -c "import prompt_toolkit, pygments, rich"`;
- `amish --version`, `amish --help` (stdout to a pipe), against
  `python -c pass` and `python -c "import argparse"`.
Prints one ``RESULT {json}`` line.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import pexpect
import pyte

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import SECRET, emit  # noqa: E402

PY = sys.executable
AMISH = os.path.join(os.path.dirname(PY), "amish")


def wall(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    return time.perf_counter() - t


def to_prompt(port: int) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_")}
    env.update(TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1", AMISH_SECRET=SECRET, XDG_STATE_HOME="/tmp/amish-bench-state")
    screen = pyte.Screen(100, 30)
    stream = pyte.ByteStream(screen)
    t = time.perf_counter()
    child = pexpect.spawn(AMISH, ["-u", "admin", "127.0.0.1", str(port)], env=env, dimensions=(30, 100))
    try:
        deadline = t + 30
        while time.perf_counter() < deadline:
            try:
                stream.feed(child.read_nonblocking(65536, timeout=0.5))
            except pexpect.TIMEOUT:
                continue
            if any(line.startswith("ami> ") for line in screen.display):
                return time.perf_counter() - t
        raise SystemExit("no prompt:\n" + "\n".join(screen.display))
    finally:
        child.sendcontrol("d")
        try:
            child.expect(pexpect.EOF, timeout=5)
        except pexpect.ExceptionPexpect:
            child.terminate(force=True)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--reps", type=int, default=7)
    a = p.parse_args()
    server = subprocess.Popen(
        [PY, os.path.join(HERE, "floodserver.py"), "--quiet", "--connections", str(a.reps + 1), "--max-seconds", "300"],
        stdout=subprocess.PIPE, text=True,
    )
    port = int(server.stdout.readline().split()[1])
    runs: dict[str, list[float]] = {k: [] for k in ("prompt", "imports", "version", "help", "pass", "argparse")}
    try:
        to_prompt(port)  # warm the page cache and the bytecode cache
        for _ in range(a.reps):
            runs["prompt"].append(to_prompt(port))
            runs["imports"].append(wall([PY, "-c", "import prompt_toolkit, pygments, rich"]))
            runs["version"].append(wall([AMISH, "--version"]))
            runs["help"].append(wall([AMISH, "--help"]))
            runs["pass"].append(wall([PY, "-c", "pass"]))
            runs["argparse"].append(wall([PY, "-c", "import argparse"]))
    finally:
        server.terminate()
        server.wait(10)
    med = {k: statistics.median(v) * 1000 for k, v in runs.items()}
    emit({"median_ms": med, "runs_ms": {k: [x * 1000 for x in v] for k, v in runs.items()},
          "prompt_ratio": med["prompt"] / med["imports"],
          "version_ratio": med["version"] / med["argparse"],
          "help_ratio": med["help"] / med["argparse"]})


if __name__ == "__main__":
    main()
