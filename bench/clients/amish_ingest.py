"""amish: events through the connection API (Connection -> I/O thread -> Subscription -> consumer).

--mode thread (default): the consumer is another thread (here the main one),
taking batches with Subscription.drain()/get(), as a UI or a worker would.
--mode callback: the consumer runs in the subscription's callback, in the I/O
thread itself (no hand-over between threads).

amish parses lazily, so for fairness the consumer reads the Event header and
one more header of every event (as a peer's callback gets a parsed event).
"""

from _base import END_EVENT, SAMPLE_EVERY, SECRET, USER, Tally, args, now, report
import threading

from amish.transports.connection import Closed, Connection
from amish.core.protocol import Message

a = args(__doc__)
mode = a.mode or "thread"
t = Tally()
names = t.names
finished = threading.Event()
state = {"t1": None}


def consume(items) -> None:
    for item in items:
        if type(item) is not Message:
            if type(item) is Closed:
                finished.set()
            continue
        name = item.get("Event")
        if name is None:
            continue  # a late response
        if name == END_EVENT:
            state["t1"] = now()
            finished.set()
            return
        item.get("Privilege")
        names[name] = names.get(name, 0) + 1
        if t.n % SAMPLE_EVERY == 0:
            t.sample(item.headers)
        t.n += 1


conn = Connection("127.0.0.1", a.port)
conn.connect()
if mode == "callback":
    sub = conn.subscribe(maxlen=1_000_000, callback=lambda: consume(sub.drain()))
else:
    sub = conn.subscribe(maxlen=1_000_000)
conn.login(USER, SECRET, auth="md5", events="on")
t0 = now()
if mode == "callback":
    finished.wait(a.timeout)
else:
    drain, get = sub.drain, sub.get
    while not finished.is_set():
        items = drain(4096)
        if not items:
            item = get(timeout=a.timeout)
            if item is None:
                break
            items = [item]
        consume(items)
t1 = state["t1"] or now()
report(f"amish-{mode}", t, t0, t1, dropped=sub.dropped)
conn.close(logoff=False)
