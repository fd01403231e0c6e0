"""What every ingest client shares: arguments, the clock, the report."""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # bench/
from common import END_EVENT, SAMPLE_EVERY, SECRET, USER, Tally, canonical, emit  # noqa: E402,F401


def args(description: str) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("port", type=int)
    p.add_argument("--timeout", type=float, default=120.0, help="give up after this long")
    p.add_argument("--mode", default="")
    return p.parse_args()


def report(name: str, tally: Tally, t0: float, t1: float, **extra) -> None:
    result = tally.result()
    result.update(client=name, seconds=t1 - t0, rate=tally.n / (t1 - t0) if t1 > t0 else 0.0, **extra)
    emit(result)


now = time.perf_counter
