"""Record what the sandbox Asterisk sends during a busy little session: bench/data/.

    python bench/capture.py [HOST PORT]      (default 127.0.0.1 15038, user admin)

A raw socket (no amish code involved): MD5 login with Events: on, then a few
dozen Local/ calls (Local/echo@amish-test, Application=Wait, Data=0.2,
Async=true, some with non-ASCII caller names), list actions (CoreShowChannels,
Status, QueueStatus, QueueSummary, DBGetTree, ShowDialPlan), DB actions
(DBPut, DBGet, DBDel, DBDelTree) and config actions (GetConfig,
GetConfigJSON, ListCategories), until the calls have hung up.

Writes bench/data/sandbox-capture.ami: every byte the server sent, exactly,
and bench/data/sandbox-capture.json: which ActionID was which action, so the
flood server can answer ListCommands or CoreSettings with a real answer.
Start the sandbox first: scripts/asterisk-sandbox up (as root).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import socket
import sys
import threading
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
from common import CAPTURE, DATA, SECRET, USER, split_messages, reference_headers  # noqa: E402

NAMES = [
    "Alice Martin", "Bob Smith", "Zoë Ünal", "José Muñoz", "Łukasz Wójcik", "Chloé Lefèvre",
    "Søren Kierkegaard", "Ana Lúcia", "Müller GmbH", "Reception", "Björn Ødegård", "Иван Петров",
    "Front Desk", "Ýr Þórsdóttir", "François Piñón", "Support",
]


class Recorder:
    """A raw socket whose every received byte is kept; a thread reads all the time
    (Asterisk drops a manager session that does not read within its writetimeout)."""

    def __init__(self, host: str, port: int):
        self.sock = socket.create_connection((host, port), timeout=5)
        self.data = bytearray()
        self.lock = threading.Lock()
        self.actions: dict[str, str] = {}
        self.seq = 0
        self.closed = False
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        self.sock.settimeout(None)
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                self.closed = True
                return
            with self.lock:
                self.data += chunk

    def snapshot(self) -> bytes:
        with self.lock:
            return bytes(self.data)

    def pump(self, seconds: float) -> None:
        time.sleep(seconds)

    def send(self, action: str, **headers) -> str:
        self.seq += 1
        action_id = f"bench-{self.seq}"
        self.actions[action_id] = action
        lines = [f"Action: {action}"] + [f"{k}: {v}" for k, v in headers.items()] + [f"ActionID: {action_id}"]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))
        return action_id

    def response(self, action_id: str, timeout: float = 5.0) -> list[tuple[str, str]]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            data = self.snapshot()
            for m in split_messages(data[data.find(b"\n") + 1 :]):
                pairs = reference_headers(m)
                if pairs and pairs[0][0] == "Response" and ("ActionID", action_id) in pairs:
                    return pairs
            self.pump(0.02)
        raise SystemExit(f"no response to {action_id}")


def main() -> None:
    host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 15038
    r = Recorder(host, port)
    r.pump(0.3)
    challenge = dict(r.response(r.send("Challenge", AuthType="MD5")))["Challenge"]
    key = hashlib.md5((challenge + SECRET).encode()).hexdigest()
    login = dict(r.response(r.send("Login", Username=USER, AuthType="MD5", Key=key, Events="on")))
    if login.get("Response") != "Success":
        raise SystemExit(f"login refused: {login}")
    for action in ("CoreSettings", "CoreStatus", "ListCommands", "Ping"):
        r.send(action)
    r.pump(0.3)
    for i in range(8):
        r.send("DBPut", Family="amishbench", Key=f"cf/{7000 + i}", Val=f"{7100 + i}")
    for i in range(8):
        r.send("DBGet", Family="amishbench", Key=f"cf/{7000 + i}")
    r.send("DBGetTree", Family="amishbench")
    r.send("GetConfig", Filename="extensions.conf")
    r.send("GetConfigJSON", Filename="extensions.conf")
    r.send("ListCategories", Filename="extensions.conf")
    r.send("GetConfig", Filename="logger.conf")
    r.pump(0.3)
    calls = 36
    for i in range(calls):
        name = NAMES[i % len(NAMES)]
        r.send(
            "Originate",
            Channel="Local/echo@amish-test",
            Application="Wait",
            Data="0.2",
            Async="true",
            CallerID=f'"{name}" <{7000 + i}>',
            Variable=f"BENCH_CALL={i}",
        )
        r.pump(0.04)
        if i % 6 == 5:
            r.send("CoreShowChannels")
            r.send("Status")
            r.send("QueueStatus")
            r.send("QueueSummary")
            r.send("Command", Command="core show channels concise")
    r.send("ShowDialPlan", Context="amish-test")
    r.pump(3.0)  # every call answered, waited and hung up
    r.send("CoreShowChannels")
    for i in range(8):
        r.send("DBDel", Family="amishbench", Key=f"cf/{7000 + i}")
    r.send("DBDelTree", Family="amishbench")
    r.send("Logoff")
    r.reader.join(5.0)  # Asterisk closes after Goodbye
    data = r.snapshot()
    DATA.mkdir(exist_ok=True)
    CAPTURE.write_bytes(data)
    messages = split_messages(data[data.index(b"\n") + 1 :])
    events = [m for m in messages if m.startswith(b"Event:")]
    names: dict[str, int] = {}
    for m in events:
        n = reference_headers(m)[0][1]
        names[n] = names.get(n, 0) + 1
    meta = {
        "captured": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "server": f"{host}:{port}",
        "asterisk": dict(r.response("bench-3")).get("AsteriskVersion", ""),
        "calls": calls,
        "bytes": len(data),
        "messages": len(messages),
        "events": len(events),
        "event_names": dict(sorted(names.items(), key=lambda kv: -kv[1])),
        "actions": r.actions,
    }
    (DATA / "sandbox-capture.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(data)} bytes, {len(messages)} messages, {len(events)} events, {len(names)} event names -> {CAPTURE}")


if __name__ == "__main__":
    main()
