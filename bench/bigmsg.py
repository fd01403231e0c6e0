"""Big messages: amish's parse time against message size (should be linear).

    python bench/bigmsg.py [--reps 5]

Builds messages of 1 MiB and 4 MiB of two shapes -- a Command response whose
output comes as 80-byte ``Output:`` lines (Asterisk >= 14), and a legacy
``Response: Follows`` body (Asterisk <= 13) -- and feeds each to a fresh
amish Parser in 64 KiB reads, as a socket would, then reads its headers.
Reports the best of --reps runs of each and the 4 MiB / 1 MiB ratio
(linear: 4.0): framing and reading every header ("parse"), framing alone
("frame": what the I/O thread pays), and, for scale, plain Python doing
decode + split + a tuple per line on the same bytes ("baseline": how far from
4.0 this machine's allocator and caches already are for that much work). Prints one ``RESULT {json}`` line.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import emit  # noqa: E402

from amish.core.protocol import Message, Parser  # noqa: E402

MIB = 1024 * 1024
LINE = "Local/echo@amish-test-0000002a;2 amish-test echo 1 Up Wait(0.2) 7001 3 (None) 1795744837.84"[:70]


def output_message(size: int) -> bytes:
    head = b"Response: Success\r\nActionID: big-1\r\nMessage: Command output follows\r\n"
    line = f"Output: {LINE}\r\n".encode()
    n = (size - len(head) - 2) // len(line)
    return head + line * n + b"\r\n"


def follows_message(size: int) -> bytes:
    head = b"Response: Follows\r\nPrivilege: Command\r\nActionID: big-2\r\n"
    line = f"{LINE}\n".encode()
    tail = b"--END COMMAND--\r\n\r\n"
    n = (size - len(head) - len(tail)) // len(line)
    return head + line * n + tail


def parse_once(data: bytes, chunk: int = 65536, headers: bool = True) -> float:
    """Seconds to frame `data` fed in `chunk`-byte reads (and read all its headers)."""
    t = time.perf_counter()
    p = Parser(expect_banner=False)
    items = []
    for i in range(0, len(data), chunk):
        items += p.receive_data(data[i : i + chunk])
    (msg,) = items
    assert type(msg) is Message, msg
    if headers:
        n = len(msg.getall("Output"))
        msg.get("ActionID")
        assert n > 1000, n
    return time.perf_counter() - t


def baseline_once(data: bytes) -> float:
    """The same bytes through plain Python: decode, split into lines, a (key, value) tuple per line."""
    t = time.perf_counter()
    lines = data.decode("utf-8").replace("\r\n", "\n").split("\n")
    pairs = [tuple(line.partition(": ")[::2]) for line in lines]
    assert len(pairs) > 1000
    return time.perf_counter() - t


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--reps", type=int, default=5)
    a = p.parse_args()
    result = {}
    for shape, build in (("output", output_message), ("follows", follows_message)):
        row = {}
        for what, run in (("parse", parse_once), ("frame", lambda d: parse_once(d, headers=False)), ("baseline", baseline_once)):
            times = {}
            for size in (1, 4):
                data = build(size * MIB)
                run(data)  # warm
                times[size] = min(run(data) for _ in range(a.reps))
            row[what] = {"1MiB_ms": times[1] * 1000, "4MiB_ms": times[4] * 1000, "ratio": times[4] / times[1]}
        result[shape] = row
    emit(result)


if __name__ == "__main__":
    main()
