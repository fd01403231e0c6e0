"""Differential test of the proposed changes: the patched Parser and Message.get
against the originals, on random streams cut at random places.

    .venv/bin/python bench/prototype/difftest.py [ROUNDS]
"""

from __future__ import annotations

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import load_capture  # noqa: E402

from amish import protocol  # noqa: E402

orig_frame = protocol.Parser._frame
orig_get = protocol.Message.get
import prototype.fastframe as ff  # noqa: E402
import prototype.fastget as fg  # noqa: E402

PIECES = [
    b"\r\n", b"\n", b"\r\n\r\n", b"\n\n", b"\r",
    b"Response: Follows\r\nPrivilege: Command\r\nActionID: 7\r\nline one\n\nline two\n--END COMMAND--\r\n\r\n",
    b"response: follows\r\nno end yet",
    b"Event: Bare\nA: 1\nB: 2\n\n",
    b"Event: Mixed\r\nA: 1\nB: 2\r\n\n",
    b"Event: Odd\nA: x\r\n\r\n",
    b"Event: Latin\r\nCallerIDName: Jos\xe9\r\n\r\n",
    b"Event: Crcr\r\nA: x\r\r\nB: y\r\n\r\n",
    b"Event: Kelvin\r\n\xe2\x84\xaaey: k\r\nkey: 2\r\n\r\n",
    b"Event: NoColon\r\njust a line\r\nX:y\r\n\r\n",
    b"Event: Long\r\nA: " + b"x" * 3000 + b"\r\n\r\n",
    b"\rEvent: LoneCR\r\n\r\n",
]
KEYS = ["Event", "event", "Privilege", "ActionID", "A", "B", "key", "X", "CallerIDName", "Uniqueid", "Nope", "Response", ""]


def items(frame, data: bytes, cuts: list[int]) -> list:
    protocol.Parser._frame = frame
    p = protocol.Parser(expect_banner=False, max_message=20000, max_line=2000)
    out = []
    prev = 0
    for c in cuts + [len(data)]:
        out += p.receive_data(data[prev:c])
        prev = c
    out += p.eof()
    return out


def describe(item, get) -> tuple:
    if type(item) is protocol.Message:
        protocol.Message.get = get
        fresh = protocol.Message.from_raw(item.raw, item._fallback) if item._headers is None else item
        got = tuple(fresh.get(k) for k in KEYS) + ((fg._slow_kind if get is orig_get else fg.kind)(protocol.Message.from_raw(item.raw, item._fallback) if item._headers is None else item),)
        protocol.Message.get = orig_get
        return ("M", item.raw, tuple(protocol.Message.from_raw(item.raw, item._fallback).headers) if item._headers is None else tuple(item.headers), got)
    return (type(item).__name__, repr(item))


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    _, mix, _ = load_capture()
    rng = random.Random(42)
    for r in range(rounds):
        parts = [rng.choice(mix) if rng.random() < 0.6 else rng.choice(PIECES) for _ in range(rng.randint(1, 30))]
        data = b"".join(parts)
        cuts = sorted(rng.sample(range(1, max(2, len(data))), min(len(data) - 1, rng.randint(0, 12)))) if len(data) > 1 else []
        a = [describe(i, orig_get) for i in items(orig_frame, data, cuts)]
        b = [describe(i, fg.get) for i in items(ff._frame, data, cuts)]
        if a != b:
            for x, y in zip(a, b):
                if x != y:
                    print("DIFFERENT\n", x, "\n", y)
                    break
            print(f"round {r}: {len(a)} vs {len(b)} items; data {data[:300]!r}")
            sys.exit(1)
    print(f"{rounds} random streams: the proposed Parser._frame and Message.get give the same items, headers, values and kinds")


if __name__ == "__main__":
    main()
