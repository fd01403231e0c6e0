"""basicami (asyncio): events drained from its queue with get_events(), its only way to read them."""

from _base import END_EVENT, SAMPLE_EVERY, SECRET, USER, Tally, args, now, report
import asyncio

from basicami import BasicAMI

a = args(__doc__)
t = Tally()
names = t.names
clock = {"t0": None, "t1": None}


async def main() -> None:
    ami = await BasicAMI.connect("127.0.0.1", a.port, USER, SECRET, timeout=a.timeout)
    deadline = now() + a.timeout
    try:
        while now() < deadline:
            for ev in await ami.get_events(timeout=0.1, max_events=1000):
                name = ev.get("Event")
                if clock["t0"] is None:
                    clock["t0"] = now()
                if name == END_EVENT:
                    clock["t1"] = now()
                    return
                ev.get("Privilege")
                names[name] = names.get(name, 0) + 1
                if t.n % SAMPLE_EVERY == 0:
                    t.sample(ev.items())  # a dict: a repeated header keeps only its last value
                t.n += 1
    finally:
        await ami.close()


asyncio.run(main())
report("basicami", t, clock["t0"] or 0.0, clock["t1"] or now())
