"""Baseline for `amish events`: the obvious parser printing each event to stdout."""

import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import END_EVENT, SECRET, USER  # noqa: E402

port = int(sys.argv[1])
sock = socket.create_connection(("127.0.0.1", port))
sock.sendall(f"Action: Login\r\nUsername: {USER}\r\nSecret: {SECRET}\r\nEvents: on\r\n\r\n".encode())
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
        if "Event" not in ev:
            continue
        if ev["Event"] == END_EVENT:
            done = True
            break
        print("\r\n".join(f"{k}: {v}" for k, v in ev.items()), end="\r\n\r\n")
sys.stdout.flush()
