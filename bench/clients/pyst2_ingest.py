"""pyst2 (module asterisk.manager: a reader thread, a parser thread, a dispatch thread): events counted in a '*' callback."""

from _base import END_EVENT, SAMPLE_EVERY, SECRET, USER, Tally, args, now, report
import os
import threading

import asterisk.manager

a = args(__doc__)
t = Tally()
names = t.names
clock = {"t0": None, "t1": None}
finished = threading.Event()


def pairs_of(ev):
    for key, value in ev.headers.items():
        if isinstance(value, dict):  # ChanVariable, parsed into a dict
            for k, v in value.items():
                yield key, f"{k}={v}"
        else:
            yield key, value


def on_event(event, manager):
    name = event.name
    if clock["t0"] is None:
        clock["t0"] = now()
    if name == END_EVENT:
        clock["t1"] = now()
        finished.set()
        return
    event.get_header("Privilege")
    names[name] = names.get(name, 0) + 1
    if t.n % SAMPLE_EVERY == 0:
        t.sample(pairs_of(event))
    t.n += 1


manager = asterisk.manager.Manager()
manager.register_event("*", on_event)
manager.connect("127.0.0.1", a.port)
manager.login(USER, SECRET)
finished.wait(a.timeout)
report("pyst2", t, clock["t0"] or 0.0, clock["t1"] or now())
os._exit(0)  # pyst2's close() logs off and joins threads that may still be reading
