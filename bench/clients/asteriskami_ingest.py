"""asterisk-ami (module asterisk.ami, a reader thread): events counted in an event listener."""

from _base import END_EVENT, SAMPLE_EVERY, SECRET, USER, Tally, args, now, report
import threading

from asterisk.ami import AMIClient

a = args(__doc__)
t = Tally()
names = t.names
clock = {"t0": None, "t1": None}
finished = threading.Event()


def pairs_of(ev):
    yield "Event", ev.name
    for key, value in ev.keys.items():
        if isinstance(value, dict):  # *ChanVariable headers, parsed into a dict
            for k, v in value.items():
                yield key, f"{k}={v}"
        else:
            yield key, value


def on_event(event, source, **_):
    name = event.name
    if clock["t0"] is None:
        clock["t0"] = now()
    if name == END_EVENT:
        clock["t1"] = now()
        finished.set()
        return
    event.keys.get("Privilege")
    names[name] = names.get(name, 0) + 1
    if t.n % SAMPLE_EVERY == 0:
        t.sample(pairs_of(event))
    t.n += 1


client = AMIClient(address="127.0.0.1", port=a.port)
client.add_event_listener(on_event)
client.login(username=USER, secret=SECRET)
finished.wait(a.timeout)
report("asterisk-ami", t, clock["t0"] or 0.0, clock["t1"] or now())
client.disconnect()
