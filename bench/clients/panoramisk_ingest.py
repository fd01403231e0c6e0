"""panoramisk (asyncio): events counted in a callback registered for '*'."""

from _base import END_EVENT, SAMPLE_EVERY, SECRET, USER, Tally, args, now, report
import asyncio

from panoramisk import Manager

a = args(__doc__)
t = Tally()
names = t.names
clock = {"t0": None, "t1": None}


def pairs_of(ev):
    for key, value in ev.items():
        if key == "content" and value == "":
            continue  # panoramisk adds a 'content' entry (a Command body) to every message
        if isinstance(value, list):  # a repeated header
            for v in value:
                yield key, v
        else:
            yield key, value


async def main() -> None:
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    def on_event(manager, ev):
        name = ev["Event"]
        if clock["t0"] is None:
            clock["t0"] = now()
        if name == END_EVENT:
            clock["t1"] = now()
            if not done.done():
                done.set_result(None)
            return
        ev.get("Privilege")
        names[name] = names.get(name, 0) + 1
        if t.n % SAMPLE_EVERY == 0:
            t.sample(pairs_of(ev))
        t.n += 1

    manager = Manager(loop=loop, host="127.0.0.1", port=a.port, username=USER, secret=SECRET,
                      ping_delay=3600, ping_interval=3600, reconnect_timeout=3600)
    manager.register_event("*", on_event)
    manager.connect()
    try:
        await asyncio.wait_for(done, a.timeout)
    except asyncio.TimeoutError:
        pass
    manager.close()


asyncio.run(main())
report("panoramisk", t, clock["t0"] or 0.0, clock["t1"] or now())
