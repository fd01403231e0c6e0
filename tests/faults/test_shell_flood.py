"""The full-screen shell under an event flood (a fake server: Asterisk cannot be made to flood)."""

from __future__ import annotations

import re
import threading
import time

import pexpect

from fakeami import FakeAMI, default_handler, encode
from terminal import Terminal


def pane_counts(term) -> tuple[int, int, int]:
    """(shown, received, dropped) from the events pane's title."""
    title = next(l for l in term.screen.display if l.startswith(" Events "))
    m = re.search(r"(\d+) shown of (\d+) received(?:, (\d+) dropped)?", title)
    return int(m[1]), int(m[2]), int(m[3] or 0)


def test_typing_stays_responsive_and_nothing_is_lost_silently(tmp_path):
    stop = threading.Event()
    batch = b"".join(
        encode(("Event", "Newexten"), ("Channel", "PJSIP/alice-00000001"), ("Context", "phones"), ("Seq", str(i)))
        for i in range(500)
    )
    sent = [0]

    def flood(client):
        deadline = time.monotonic() + 60  # bounded in time, and stopped by the test
        while not stop.is_set() and time.monotonic() < deadline:
            if not client.send(batch):
                return
            sent[0] += 500

    def handler(action, client):
        default_handler(action, client)

    with FakeAMI(handler, secret="s3cret", fully_booted=True) as fake:
        term = Terminal(
            ["-u", "admin", "--scrollback", "2000", fake.host, str(fake.port)],
            {"XDG_STATE_HOME": str(tmp_path), "AMISH_SECRET": "s3cret"},
        )
        try:
            term.wait_text("connected")
            client = fake.wait_client()
            flooder = threading.Thread(target=flood, args=(client,), daemon=True)
            flooder.start()
            term.wait_for(lambda t: re.search(r"events \d+(\.\d)?k?/\d+(\.\d)?[kM]", t), what="thousands of events")
            # keystrokes echo while the flood goes on
            term.send("Ping")
            term.wait_for(lambda t: term.input_line().startswith("ami> Ping"), timeout=10, what="the echo")
            term.send("\r")
            term.wait_text("Pong", timeout=15)
            assert sent[0] > 20_000  # it really was a flood
            # the pane shows whole lines of the flood, and is bounded by its scrollback
            pane = term.events_pane()
            assert pane and all(" Newexten " in line and "PJSIP/alice-00000001" in line for line in pane), pane
            shown, received, _ = pane_counts(term)
            assert shown == 2000 < received
            stop.set()
            flooder.join(10)
            # nothing is lost silently: once the flood ends, every event sent is counted, received or dropped
            term.wait_for(lambda t: sum(pane_counts(term)[1:]) == sent[0] + 1, timeout=30,  # + the FullyBooted
                          what=f"{sent[0] + 1} received or dropped")
            assert pane_counts(term)[0] == 2000
            term.send("\x04")
            term.child.expect(pexpect.EOF, timeout=15)
        finally:
            stop.set()
            term.close()
