"""Realistic call lifecycles for the flood server: a big PBX's events (floodserver.py --calls N).

Each call is two PJSIP legs sharing a Linkedid, as a phone calling a phone sends them:
Newchannel (caller), Newexten, DialBegin, Newchannel (callee), Newstate Ringing, Newstate Up,
DialEnd ANSWER, BridgeCreate, BridgeEnter x2 (while it lasts), then BridgeLeave x2,
BridgeDestroy, Hangup x2 (cause 16). `CallFlood.tick(now)` gives the events due by `now`:
the first `concurrent` calls at once, then `rate` new calls a second, each ended after it has
been up for concurrent/rate seconds, so about `concurrent` stay up. The first ones are the PBX
as found, calls of every age: their ends are spread over that time, `rate` a second, as a real
PBX's would be (ended all together, `concurrent` new calls would be up beside them, twice the load).
"""

from __future__ import annotations

import collections

_N = 0


def _event(name: str, pairs: list[tuple[str, str]]) -> bytes:
    lines = [f"Event: {name}", "Privilege: call,all"] + [f"{k}: {v}" for k, v in pairs]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _chan(name: str, uid: str, linkedid: str, state: str, num: str, exten: str, connected: str = "") -> list:
    code = {"Down": "0", "Ring": "4", "Ringing": "5", "Up": "6"}[state]
    return [("Channel", name), ("ChannelState", code), ("ChannelStateDesc", state), ("CallerIDNum", num),
            ("CallerIDName", f"Phone {num}"), ("ConnectedLineNum", connected or "<unknown>"),
            ("ConnectedLineName", "<unknown>"), ("Language", "en"), ("AccountCode", ""), ("Context", "from-internal"),
            ("Exten", exten), ("Priority", "1"), ("Uniqueid", uid), ("Linkedid", linkedid)]


class CallFlood:
    def __init__(self, concurrent: int, rate: float, start: float):
        self.concurrent = concurrent
        self.rate = rate
        self.start = start
        self.hold = concurrent / rate if rate > 0 else float("inf")
        self.made = 0
        self.up: collections.deque = collections.deque()  # (end time, call) oldest first
        self.calls_ended = 0

    def _new_call(self, now: float, end: float | None = None) -> list[bytes]:
        self.made += 1
        n = self.made
        a_num, b_num = str(1000 + n % 8000), str(2000 + (n * 7) % 8000)
        base = f"{1700000000 + n // 1000}.{n}"
        a_uid, b_uid = base, f"{base}b"
        a = f"PJSIP/{a_num}-{n:08x}"
        b = f"PJSIP/{b_num}-{n:08x}b"
        bridge = f"bench-bridge-{n:08x}"
        out = [
            _event("Newchannel", _chan(a, a_uid, a_uid, "Ring", a_num, b_num)),
            _event("Newexten", _chan(a, a_uid, a_uid, "Ring", a_num, b_num)
                   + [("Extension", b_num), ("Application", "Dial"), ("AppData", f"PJSIP/{b_num},30")]),
            _event("Newchannel", _chan(b, b_uid, a_uid, "Down", b_num, "s", a_num)),
            _event("DialBegin", _chan(a, a_uid, a_uid, "Ring", a_num, b_num)
                   + [("DestChannel", b), ("DestUniqueid", b_uid), ("DestLinkedid", a_uid),
                      ("DialString", f"{b_num}")]),
            _event("Newstate", _chan(b, b_uid, a_uid, "Ringing", b_num, "s", a_num)),
            _event("Newstate", _chan(b, b_uid, a_uid, "Up", b_num, "s", a_num)),
            _event("DialEnd", _chan(a, a_uid, a_uid, "Ring", a_num, b_num)
                   + [("DestChannel", b), ("DestUniqueid", b_uid), ("DestLinkedid", a_uid), ("DialStatus", "ANSWER")]),
            _event("Newstate", _chan(a, a_uid, a_uid, "Up", a_num, b_num, b_num)),
            _event("BridgeCreate", [("BridgeUniqueid", bridge), ("BridgeType", "basic"), ("BridgeTechnology", "simple_bridge"),
                                    ("BridgeNumChannels", "0")]),
            _event("BridgeEnter", _chan(a, a_uid, a_uid, "Up", a_num, b_num, b_num)
                   + [("BridgeUniqueid", bridge), ("BridgeType", "basic"), ("BridgeNumChannels", "1")]),
            _event("BridgeEnter", _chan(b, b_uid, a_uid, "Up", b_num, "s", a_num)
                   + [("BridgeUniqueid", bridge), ("BridgeType", "basic"), ("BridgeNumChannels", "2")]),
        ]
        self.up.append((now + self.hold if end is None else end, (a, a_uid, b, b_uid, bridge, a_num, b_num)))
        return out

    @staticmethod
    def _end_call(call) -> list[bytes]:
        a, a_uid, b, b_uid, bridge, a_num, b_num = call
        hang = [("Cause", "16"), ("Cause-txt", "Normal Clearing")]
        return [
            _event("BridgeLeave", _chan(b, b_uid, a_uid, "Up", b_num, "s", a_num) + [("BridgeUniqueid", bridge)]),
            _event("BridgeLeave", _chan(a, a_uid, a_uid, "Up", a_num, b_num, b_num) + [("BridgeUniqueid", bridge)]),
            _event("BridgeDestroy", [("BridgeUniqueid", bridge), ("BridgeType", "basic"), ("BridgeNumChannels", "0")]),
            _event("Hangup", _chan(b, b_uid, a_uid, "Up", b_num, "s", a_num) + hang),
            _event("Hangup", _chan(a, a_uid, a_uid, "Up", a_num, b_num, b_num) + hang),
        ]

    def tick(self, now: float) -> list[bytes]:
        """The events due by `now` (monotonic seconds)."""
        out: list[bytes] = []
        while self.made < self.concurrent:  # the PBX as found: everyone on the phone, since all sorts of times
            out += self._new_call(now, self.start + self.hold * (self.made + 1) / self.concurrent)
        due = self.concurrent + int((now - self.start) * self.rate)
        while self.made < due:
            out += self._new_call(now)
        while self.up and self.up[0][0] <= now:
            out += self._end_call(self.up.popleft()[1])
            self.calls_ended += 1
        return out
