"""Micro-benchmarks of the hot paths, with the speeds the unit tests used to assert.

    python bench/micro.py [--reps 5]

Speed is measured here, not in tests/ (a loaded 2-core machine must never fail
a correct build). Each figure is the median of --reps runs, in this process:
- filter: a 3-term event filter on a 15-header Newchannel event, per event
  (goal < 50 µs);
- event line: render.render_event_line of a Hangup event, per event
  (goal < 200 µs);
- pathological glob: ``Value=*a*a...*b`` (40 stars) against 20,000 characters
  that almost match (goal < 0.5 s: no catastrophic backtracking);
- catalogue import: ``import amish.catalogue`` in a fresh interpreter
  (goal < 0.5 s: the JSON is not loaded at import).
Prints a table, then one ``RESULT {json}`` line; exit 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from amish.core.eventfilter import parse_filter
from amish.core.protocol import Message
from amish.ui.render import render_event_line

NEWCHANNEL = [
    ("Event", "Newchannel"), ("Privilege", "call,all"), ("Channel", "PJSIP/7001-00000001"),
    ("ChannelState", "4"), ("ChannelStateDesc", "Ring"), ("CallerIDNum", "7001"), ("CallerIDName", "Alice"),
    ("ConnectedLineNum", "<unknown>"), ("ConnectedLineName", "<unknown>"), ("Language", "en"),
    ("AccountCode", ""), ("Context", "phones"), ("Exten", "7002"), ("Priority", "1"),
    ("Uniqueid", "1700000000.1"),
]
HANGUP = [
    ("Event", "Hangup"), ("Privilege", "call,all"), ("Channel", "PJSIP/7001-00000001"), ("ChannelState", "6"),
    ("ChannelStateDesc", "Up"), ("CallerIDNum", "7001"), ("CallerIDName", "Alice"), ("Context", "phones"),
    ("Exten", "7002"), ("Priority", "1"), ("Uniqueid", "1700000000.1"), ("Linkedid", "1700000000.1"),
    ("Cause", "16"), ("Cause-txt", "Normal Clearing"),
]


def per_event_filter() -> float:
    f = parse_filter("Newchannel|Hangup Channel=PJSIP/7001* !Context=default")
    messages = [Message(list(NEWCHANNEL)) for _ in range(20000)]
    start = time.perf_counter()
    for m in messages:
        f(m)
    return (time.perf_counter() - start) / len(messages)


def per_event_line() -> float:
    messages = [Message(list(HANGUP)) for _ in range(2000)]
    when = time.time()
    start = time.perf_counter()
    for m in messages:
        render_event_line(m, when)
    return (time.perf_counter() - start) / len(messages)


def pathological_glob() -> float:
    f = parse_filter("Value=" + "*a" * 40 + "*b")
    m = Message([("Event", "X"), ("Value", "a" * 20000)])
    start = time.perf_counter()
    assert not f(m)
    return time.perf_counter() - start


def catalogue_import() -> float:
    code = "import time; t = time.perf_counter(); import amish.catalogue; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    return float(out.stdout)


FIGURES = [  # name, function, goal (s), unit, scale
    ("filter per event", per_event_filter, 50e-6, "µs", 1e6),
    ("event line per event", per_event_line, 200e-6, "µs", 1e6),
    ("pathological glob", pathological_glob, 0.5, "s", 1),
    ("catalogue import", catalogue_import, 0.5, "s", 1),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    result, ok = {}, True
    for name, fn, goal, unit, scale in FIGURES:
        value = statistics.median(fn() for _ in range(args.reps))
        met = value < goal
        ok &= met
        result[name] = {"seconds": value, "goal": goal, "met": met}
        print(f"{name:<22} {value * scale:10.3f} {unit:<2}  goal < {goal * scale:g} {unit}  {'ok' if met else 'MISSED'}")
    print("RESULT " + json.dumps(result))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
