"""Baseline: a raw socket that only counts message boundaries (the ceiling for reading in Python)."""

from _base import END_EVENT, SECRET, USER, Tally, args, now, report
import socket

a = args(__doc__)
sock = socket.create_connection(("127.0.0.1", a.port))
sock.sendall(f"Action: Login\r\nUsername: {USER}\r\nSecret: {SECRET}\r\nEvents: on\r\n\r\n".encode())
buf = b""
while b"\r\n\r\n" not in buf:  # banner + the login response
    buf += sock.recv(65536)
t0 = now()
rest = buf[buf.index(b"\r\n\r\n") + 4 :]
marker = f"Event: {END_EVENT}\r\n".encode()
count = rest.count(b"\r\n\r\n")
window = rest[-128:]
recv = sock.recv
while not (window.endswith(b"\r\n\r\n") and marker in window):
    data = recv(262144)
    if not data:
        break
    # a boundary may straddle two reads
    count += data.count(b"\r\n\r\n") + (window[-3:] + data[:3]).count(b"\r\n\r\n")
    window = data[-128:] if len(data) >= 128 else (window + data)[-128:]
t1 = now()
t = Tally()
t.n = count - 1  # the end marker
report("raw", t, t0, t1, fidelity="count only")
