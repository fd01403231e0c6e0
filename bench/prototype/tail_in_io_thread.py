"""A PROPOSED design for `amish events --format raw` (no filter), measured by the bench, not in amish.

    python bench/prototype/tail_in_io_thread.py PORT --count N     (user admin, secret from the bench)

Today tail_events() takes events from a bounded Subscription in the main
thread and writes each one; under a flood the I/O thread (which only frames)
outruns it and the subscription drops events ("the output could not keep
up"). Here the writing is done in the subscription's callback, in the I/O
thread itself, one write of the batch's raw bytes per read: nothing is handed
over, so nothing is dropped, and a slow pipe slows the reading (TCP pushes
back to the server) instead of losing events.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import SECRET, USER  # noqa: E402

from amish.connection import Connection  # noqa: E402
from amish.protocol import Message  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("--count", type=int, required=True)
    a = p.parse_args()
    out = sys.stdout.buffer
    left = [a.count]
    done = threading.Event()

    def write_batch() -> None:
        raws = []
        for item in sub.drain():
            if type(item) is Message and left[0] > 0 and item.kind == "event":
                raws.append(item.raw)
                left[0] -= 1
        if raws:
            out.write(b"".join(raws))
            out.flush()
        if left[0] <= 0:
            done.set()

    conn = Connection("127.0.0.1", a.port)
    conn.connect()
    sub = conn.subscribe(maxlen=100_000, callback=write_batch)
    conn.login(USER, SECRET, events="on")
    done.wait(120)
    conn.close(logoff=False)


if __name__ == "__main__":
    main()
