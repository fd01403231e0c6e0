"""amish with the call-state tracker: events through the connection API and into a CallTracker.

What `amish calls` (and a Channels/Calls view) does with every event: the
consumer thread drains the subscription in batches and feeds each event to
`amish.core.calls.CallTracker` (one clock reading per batch, as the mode does).
Run against the flood server with --fresh-ids, so every cycle of the sandbox mix
is new calls, not the same ones again (a hung-up channel never comes back).
"""

from _base import END_EVENT, SAMPLE_EVERY, SECRET, USER, Tally, args, now, report
import time

from amish.core.calls import CallTracker
from amish.core.protocol import Message
from amish.transports.connection import Closed, Connection

a = args(__doc__)
t = Tally()
names = t.names
tracker = CallTracker(max_ended=1000, keep_events=0)
feed = tracker.feed
state = {"t1": None, "done": False}


def consume(items) -> None:
    wall = time.time()
    for item in items:
        if type(item) is not Message:
            if type(item) is Closed:
                state["done"] = True
            continue
        name = item.get("Event")
        if name is None:
            continue  # a late response
        if name == END_EVENT:
            state["t1"] = now()
            state["done"] = True
            return
        feed(item, wall)
        item.get("Privilege")  # what every client's callback does too (bench/clients/obvious.py)
        names[name] = names.get(name, 0) + 1
        if t.n % SAMPLE_EVERY == 0:
            t.sample(item.headers)
        t.n += 1


conn = Connection("127.0.0.1", a.port)
conn.connect()
sub = conn.subscribe(maxlen=1_000_000)
conn.login(USER, SECRET, auth="md5", events="on")
t0 = now()
drain, get = sub.drain, sub.get
while not state["done"]:
    items = drain(4096)
    if not items:
        item = get(timeout=a.timeout)
        if item is None:
            break
        items = [item]
    consume(items)
t1 = state["t1"] or now()
report("amish-calls", t, t0, t1, dropped=sub.dropped, calls_ended=len(tracker.ended) + tracker.dropped_calls,
       live_channels=len(tracker.channels), ignored=tracker.ignored)  # fmt: skip
conn.close(logoff=False)
