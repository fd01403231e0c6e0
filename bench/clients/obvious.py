"""Baseline: the obvious parser (split on blank lines, decode, partition each line, one dict per event)."""

from _base import END_EVENT, SAMPLE_EVERY, SECRET, USER, Tally, args, now, report
import socket

a = args(__doc__)
sock = socket.create_connection(("127.0.0.1", a.port))
sock.sendall(f"Action: Login\r\nUsername: {USER}\r\nSecret: {SECRET}\r\nEvents: on\r\n\r\n".encode())
t = Tally()
names = t.names
t0 = None
buf = b""
done = False
while not done:
    data = sock.recv(65536)
    if not data:
        break
    buf += data
    *messages, buf = buf.split(b"\r\n\r\n")
    for raw in messages:
        ev = {}
        for line in raw.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(": ")
            ev[key] = value
        if t0 is None:  # the banner and the login response
            if "Response" in ev:
                t0 = now()
            continue
        # the event callback: what every client does
        name = ev.get("Event")
        if name is None:
            continue
        if name == END_EVENT:
            done = True
            break
        ev.get("Privilege")
        names[name] = names.get(name, 0) + 1
        if t.n % SAMPLE_EVERY == 0:
            t.sample(ev.items())
        t.n += 1
t1 = now()
report("obvious", t, t0, t1)
