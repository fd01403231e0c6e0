"""Real calls in the sandbox Asterisk, one function per scenario.

The dialplan is sandbox/etc/extensions.conf ([amish-phones], [amish-calls]): a caller
phone (a Local channel into [amish-phones]) is originated into [amish-calls] with the
number it calls; some scenarios then act on the bridged call over AMI (BlindTransfer,
Atxfer, Redirect, MixMonitor). Each scenario returns when every channel it made has
hung up, so the events of the whole call have arrived.

The ``sip-*`` scenarios are calls between real SIP phones (PJSIP endpoints on the
sandbox, played by SIPp: tests/support/sipphones.py): two legs, what real phones
send, hold by re-INVITE. They need the chroot and the SIP port (AMISH_TEST_ROOT,
AMISH_TEST_SIP_PORT, AMISH_TEST_RTP_BASE, as `scripts/asterisk-sandbox up` prints).

Used by the live tests (tests/asterisk/test_calls_asterisk.py) and, run as a script,
to capture the recordings the table tests read (tests/data/calls/*.ami):

    eval "$(scripts/asterisk-sandbox env)"; export AMISH_TEST_PORT ...
    python tests/support/callscenarios.py tests/data/calls [NAME...]
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

if __name__ == "__main__":  # run as a script from the repository
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from amish.core.protocol import Message
from amish.transports.connection import Closed, Connection
from sipphones import Phone, SipSandbox

CALLER = "100"
CALLER_ID = "Alice <100>"


class Watcher:
    """Collects a subscription's events and waits for conditions on them."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.sub = conn.subscribe()
        self.events: list[Message] = []

    def pump(self, timeout: float) -> None:
        item = self.sub.get(timeout=timeout)
        while item is not None:
            if isinstance(item, Closed):
                raise AssertionError(f"connection closed: {item.reason}")
            if isinstance(item, Message) and item.kind == "event":
                self.events.append(item)
            item = self.sub.get(timeout=0)

    def wait(self, predicate, timeout: float = 15.0, what: str = "a condition"):
        deadline = time.monotonic() + timeout
        while True:
            got = predicate(self.events)
            if got:
                return got
            left = deadline - time.monotonic()
            if left <= 0:
                names = [m.get("Event") for m in self.events[-40:]]
                raise AssertionError(f"timed out waiting for {what}; last events: {names}")
            self.pump(min(left, 0.2))

    def named(self, name: str) -> list[Message]:
        return [m for m in self.events if (m.get("Event") or "").lower() == name.lower()]

    def live_channels(self, linkedids: set[str] | None = None) -> dict[str, str]:
        """Uniqueid -> name of the channels created and not hung up (of these calls)."""
        live: dict[str, str] = {}
        for m in self.events:
            ev = (m.get("Event") or "").lower()
            uid = m.get("Uniqueid") or ""
            if linkedids is not None and m.get("Linkedid") not in linkedids:
                continue
            if ev == "newchannel":
                live[uid] = m.get("Channel") or ""
            elif ev == "rename" and uid in live:
                live[uid] = m.get("Newname") or live[uid]
            elif ev == "hangup":
                live.pop(uid, None)
        return live

    def bridged(self, count: int = 2, after: int = 0):
        """The first bridge (after event number `after`) with `count` channels in it: [BridgeEnter...]."""
        members: dict[str, list[Message]] = {}
        for m in self.events[after:]:
            if m.get("Event") == "BridgeEnter":
                members.setdefault(m.get("BridgeUniqueid") or "", []).append(m)
                if len(members[m.get("BridgeUniqueid") or ""]) >= count:
                    return members[m.get("BridgeUniqueid") or ""]
        return None


def originate(conn: Connection, number: str, caller: str = CALLER, caller_id: str = CALLER_ID) -> None:
    result = conn.send(
        [
            ("Action", "Originate"),
            ("Channel", f"Local/{caller}@amish-phones/n"),
            ("Context", "amish-calls"),
            ("Exten", number),
            ("Priority", "1"),
            ("CallerID", caller_id),
            ("Async", "true"),
        ],
        timeout=10,
    )
    assert result.ok, result.messages


def _first_linkedid(w: Watcher, start: int) -> str:
    def found(events):
        for m in events[start:]:
            if m.get("Event") == "Newchannel" and (m.get("Channel") or "").startswith("Local/"):
                return m.get("Linkedid")
        return None

    return w.wait(found, what="the first Newchannel")


def _wait_all_hung_up(w: Watcher, start: int, timeout: float = 30.0) -> None:
    def done(events):
        made = {m.get("Uniqueid") for m in events[start:] if m.get("Event") == "Newchannel"}
        gone = {m.get("Uniqueid") for m in events[start:] if m.get("Event") == "Hangup"}
        return bool(made) and made <= gone

    w.wait(done, timeout=timeout, what="every channel to hang up")
    w.pump(0.3)  # the events that follow the last Hangup (BridgeDestroy, ...)


def _hangup_all(w: Watcher, start: int) -> None:
    made = {m.get("Uniqueid"): m.get("Channel") for m in w.events[start:] if m.get("Event") == "Newchannel"}
    for m in w.events[start:]:
        if m.get("Event") == "Rename" and m.get("Uniqueid") in made:
            made[m.get("Uniqueid")] = m.get("Newname")
    gone = {m.get("Uniqueid") for m in w.events[start:] if m.get("Event") == "Hangup"}
    for uid, name in made.items():
        if uid not in gone and name:
            w.conn.send([("Action", "Hangup"), ("Channel", name)], timeout=10)


def _simple(number: str, caller: str = CALLER):
    def run(w: Watcher) -> None:
        start = len(w.events)
        originate(w.conn, number, caller)
        _wait_all_hung_up(w, start)

    return run


def _bridged_legs(w: Watcher, start: int) -> tuple[str, str]:
    """(caller side, callee side) channel names of the first two-party bridge."""
    enters = w.wait(lambda ev: w.bridged(2, start), what="a bridged call")
    caller = next(m.get("Channel") for m in enters if (m.get("Channel") or "").startswith(f"Local/{CALLER}@"))
    callee = next(m.get("Channel") for m in enters if m.get("Channel") != caller)
    return caller, callee


def blind_transfer(w: Watcher) -> None:
    """A calls B; B blind-transfers A to 230 (answers, 1 s, hangs up)."""
    start = len(w.events)
    originate(w.conn, "210")
    _caller, callee = _bridged_legs(w, start)
    r = w.conn.send([("Action", "BlindTransfer"), ("Channel", callee), ("Exten", "230"), ("Context", "amish-calls")])
    assert r.ok, r.messages
    w.wait(lambda ev: w.named("BlindTransfer"), what="BlindTransfer")
    _wait_all_hung_up(w, start)  # A hears 230 for a second, then it hangs up


def attended_transfer(w: Watcher) -> None:
    """A calls B; B consults 231 (phone 212) with Atxfer and hangs up: A is transferred to 212."""
    start = len(w.events)
    originate(w.conn, "210")
    _caller, callee = _bridged_legs(w, start)
    mark = len(w.events)
    r = w.conn.send([("Action", "Atxfer"), ("Channel", callee), ("Exten", "231"), ("Context", "amish-calls")])
    assert r.ok, r.messages
    w.wait(lambda ev: w.bridged(2, mark), timeout=15, what="the consultation call bridged")
    time.sleep(0.3)
    r = w.conn.send([("Action", "Hangup"), ("Channel", callee)])
    assert r.ok, r.messages
    w.wait(lambda ev: w.named("AttendedTransfer"), what="AttendedTransfer")
    time.sleep(0.3)
    _hangup_all(w, start)
    _wait_all_hung_up(w, start)


def redirect(w: Watcher) -> None:
    """A calls B; AMI Redirect sends A to 230 (B is left alone and hung up)."""
    start = len(w.events)
    originate(w.conn, "210")
    caller, _callee = _bridged_legs(w, start)
    time.sleep(0.2)
    r = w.conn.send([("Action", "Redirect"), ("Channel", caller), ("Exten", "230"), ("Context", "amish-calls"),
                     ("Priority", "1")])  # fmt: skip
    assert r.ok, r.messages
    _wait_all_hung_up(w, start)  # A hears 230 for a second; B, left alone, hangs up


def mixmonitor(w: Watcher) -> None:
    """A calls B; MixMonitor records B's leg for half a second, StopMixMonitor, both hung up."""
    start = len(w.events)
    originate(w.conn, "210")
    _caller, callee = _bridged_legs(w, start)
    r = w.conn.send([("Action", "MixMonitor"), ("Channel", callee), ("File", "amish-calls-test.wav")])
    assert r.ok, r.messages
    w.wait(lambda ev: w.named("MixMonitorStart"), what="MixMonitorStart")
    time.sleep(0.5)
    r = w.conn.send([("Action", "StopMixMonitor"), ("Channel", callee)])
    assert r.ok, r.messages
    w.wait(lambda ev: w.named("MixMonitorStop"), what="MixMonitorStop")
    _hangup_all(w, start)
    _wait_all_hung_up(w, start)


def local_optimization(w: Watcher) -> None:
    """A calls 220, a Local channel that dials phone 211: it optimises itself away once bridged."""
    start = len(w.events)
    originate(w.conn, "220")
    w.wait(lambda ev: [m for m in w.named("LocalOptimizationEnd")], timeout=15, what="LocalOptimizationEnd")
    time.sleep(0.3)
    _hangup_all(w, start)
    _wait_all_hung_up(w, start)


# -- real SIP phones ---------------------------------------------------------------------------


def _sip_sandbox() -> SipSandbox:
    return SipSandbox.from_env(os.environ)


def _sip_call(w: Watcher, callee_scenario: str, caller_scenario: str, number: str = "bob", during=None) -> None:
    """alice calls `number`; bob plays `callee_scenario`; `during(w, start)` acts on the call (AMI)."""
    sb = _sip_sandbox()
    start = len(w.events)
    with Phone(sb, "bob", callee_scenario) as bob:
        time.sleep(0.3)  # bob's SIPp is listening
        with Phone(sb, "alice", caller_scenario, calls=number) as alice:
            if during is not None:
                during(w, start)
            alice.wait()
            bob.wait()
    _wait_all_hung_up(w, start)


def _sip_legs(w: Watcher, start: int) -> tuple[str, str]:
    """(alice's channel, bob's channel) once they are bridged."""
    enters = w.wait(lambda ev: w.bridged(2, start), what="a bridged SIP call")
    names = [m.get("Channel") or "" for m in enters]
    return next(n for n in names if n.startswith("PJSIP/alice-")), next(n for n in names if n.startswith("PJSIP/bob-"))


def sip_blind_transfer(w: Watcher) -> None:
    """alice calls bob (SIP); bob blind-transfers alice to 230 (answers, 1 s, hangs up: alice gets a BYE)."""

    def during(w: Watcher, start: int) -> None:
        _alice, bob = _sip_legs(w, start)
        time.sleep(0.3)
        r = w.conn.send([("Action", "BlindTransfer"), ("Channel", bob), ("Exten", "230"), ("Context", "amish-calls")])
        assert r.ok, r.messages
        w.wait(lambda ev: w.named("BlindTransfer"), what="BlindTransfer")

    _sip_call(w, "uas-answer", "uac-wait-bye", during=during)


def sip_attended_transfer(w: Watcher) -> None:
    """alice calls bob; bob consults carol (Atxfer to 103) and hangs up: alice talks to carol; hung up."""
    sb = _sip_sandbox()

    def during(w: Watcher, start: int) -> None:
        _alice, bob = _sip_legs(w, start)
        with Phone(sb, "carol", "uas-answer") as carol:
            mark = len(w.events)
            r = w.conn.send([("Action", "Atxfer"), ("Channel", bob), ("Exten", "103"), ("Context", "amish-sip")])
            assert r.ok, r.messages
            w.wait(lambda ev: [m for m in ev[mark:] if m.get("Event") == "DialEnd" and m.get("DialStatus") == "ANSWER"
                               and (m.get("DestChannel") or "").startswith("PJSIP/carol-")],
                   timeout=15, what="carol answering the consultation call")  # fmt: skip
            time.sleep(0.3)
            r = w.conn.send([("Action", "Hangup"), ("Channel", bob)])
            assert r.ok, r.messages
            w.wait(lambda ev: w.named("AttendedTransfer"), what="AttendedTransfer")
            time.sleep(0.5)
            _hangup_all(w, start)
            carol.wait()

    _sip_call(w, "uas-answer", "uac-wait-bye", during=during)


def sip_mixmonitor(w: Watcher) -> None:
    """alice calls bob; MixMonitor records bob's leg for half a second; both hung up over AMI."""

    def during(w: Watcher, start: int) -> None:
        _alice, bob = _sip_legs(w, start)
        r = w.conn.send([("Action", "MixMonitor"), ("Channel", bob), ("File", "amish-sip-test.wav")])
        assert r.ok, r.messages
        w.wait(lambda ev: w.named("MixMonitorStart"), what="MixMonitorStart")
        time.sleep(0.5)
        r = w.conn.send([("Action", "StopMixMonitor"), ("Channel", bob)])
        assert r.ok, r.messages
        w.wait(lambda ev: w.named("MixMonitorStop"), what="MixMonitorStop")
        _hangup_all(w, start)

    _sip_call(w, "uas-answer", "uac-wait-bye", during=during)


SIP_SCENARIOS = {
    "sip-answered": lambda w: _sip_call(w, "uas-answer", "uac-bye"),
    "sip-callee-hangs-up": lambda w: _sip_call(w, "uas-answer-bye", "uac-wait-bye"),
    "sip-noanswer": lambda w: _sip_call(w, "uas-ring", "uac-fail", number="timeout-bob"),
    "sip-busy": lambda w: _sip_call(w, "uas-busy", "uac-fail"),
    "sip-hold": lambda w: _sip_call(w, "uas-answer", "uac-hold"),
    "sip-blind-transfer": sip_blind_transfer,
    "sip-attended-transfer": sip_attended_transfer,
    "sip-mixmonitor": sip_mixmonitor,
}

def up_at_end(w: Watcher) -> None:
    """A calls B (answered, bridged) and the recording stops there, the call still up (amish replay
    shows it live in the Channels view). Whoever captures it hangs it up afterwards."""
    start = len(w.events)
    originate(w.conn, "210")
    _bridged_legs(w, start)
    w.pump(0.5)


SCENARIOS = {
    "answered": _simple("200"),
    "noanswer": _simple("201"),
    "busy": _simple("202"),
    "congestion": _simple("203"),
    "caller-cancel": _simple("204", caller="190"),
    "blind-transfer": blind_transfer,
    "attended-transfer": attended_transfer,
    "redirect": redirect,
    "mixmonitor": mixmonitor,
    "local-optimization": local_optimization,
    **SIP_SCENARIOS,
    "up-at-end": up_at_end,  # leaves its call up: hang it up after capturing
}


def capture(host: str, port: int, folder: Path, names: list[str]) -> None:
    """Record each scenario into folder/NAME.ami (an amish recording: amish calls --from reads it)."""
    from amish.transports.wire import Recorder

    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = folder / f"{name}.ami"
        with Recorder(str(path), meta={"peer": f"{host}:{port}", "user": "admin", "scenario": name}) as rec:
            conn = Connection(host, port, on_wire=rec)
            conn.connect()
            conn.login("admin", "amish-admin-secret")
            try:
                SCENARIOS[name](Watcher(conn))
            finally:
                conn.close()
        os.chmod(path, 0o644)
        print(f"{path}: {rec.records} chunks", file=sys.stderr)


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/calls")
    chosen = sys.argv[2:] or list(SCENARIOS)
    capture(os.environ.get("AMISH_TEST_HOST", "127.0.0.1"), int(os.environ["AMISH_TEST_PORT"]), out, chosen)
