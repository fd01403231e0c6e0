"""The call tracker's fast path (each channel snapshot read as the block Asterisk writes, and not
read again when it repeats the one last read for its channel) against its reference
(`CallTracker(thorough=True)`: every snapshot read header by header).

On the real captured calls (tests/data/calls) the two must agree after every single event, every
field; on random orders, subsets and damaged copies of those events neither may raise nor invent a
channel, and both must know the same channels and calls. An event the tracker does not read costs
one look at its name, nothing more; a snapshot in Asterisk's form is never looked up header by header.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pytest

from amish.calls import messages_from_file
from amish.core.calls import CallTracker
from amish.core.protocol import Message, encode_message

DATA = Path(__file__).resolve().parent.parent / "data" / "calls"
CAPTURES = sorted(p.stem for p in DATA.glob("*.ami"))


def load(name: str) -> list[tuple[float, Message]]:
    return list(messages_from_file(DATA / f"{name}.ami"))


#: what describes a channel rather than where it is in a call (compared apart, so a failure says which)
DESCRIPTIVE = {"caller_num", "caller_name", "connected_num", "connected_name", "accountcode", "context", "exten",
               "priority"}  # fmt: skip


def fields(ch, which=None) -> dict:
    return {k: getattr(ch, k) for k in ch.__slots__
            if k != "block" and (which is None or (k in DESCRIPTIVE) == (which == "descriptive"))}  # block: a cache


def structure(tr: CallTracker) -> tuple:
    """Everything but the descriptive fields of live channels: which channels, calls and bridges
    exist, their states, dials, bridges, transfers, and every ended call whole (`amish calls`)."""
    chans = {uid: fields(ch, "structural") for uid, ch in tr.channels.items()}
    calls = {lid: (c.state, list(c.legs), [(d.caller, d.callee, d.status, d.exten) for d in c.dials], c.bridges,
                   [t.as_json() for t in c.transfers], c.hangup_by, c.start, c.answer, c.recorded)
             for lid, c in tr.calls.items()}  # fmt: skip
    ended = [c.as_json() | {"legs": {u: fields(ch) for u, ch in c.legs.items()}} for c in tr.ended]
    bridges = {bid: (b.type, b.technology, list(b.members)) for bid, b in tr.bridges.items()}
    return chans, calls, ended, bridges, tr.ignored, tr.call_class_seen


def descriptive(tr: CallTracker) -> dict:
    return {(uid, k): v for uid, ch in tr.channels.items() for k, v in fields(ch, "descriptive").items()}


def test_every_capture_is_there():
    assert len(CAPTURES) >= 19


def agree(events: list[tuple[float, Message]]) -> CallTracker:
    """Feed both paths; after every event: the same channels, calls, bridges, states, dials,
    transfers, ended calls, and every field of every live channel."""
    fast, ref = CallTracker(), CallTracker(thorough=True)
    for i, (t, msg) in enumerate(events):
        assert msg.raw, "a capture's messages are as received (the block reading needs the bytes)"
        fast.feed(msg, t)
        ref.feed(msg, t)
        assert structure(fast) == structure(ref), (i, msg.get("Event"))
        assert descriptive(fast) == descriptive(ref), (i, msg.get("Event"))
    assert fields_of_all(fast) == fields_of_all(ref)
    assert fast.ended or fast.calls, "the capture made no call: the comparison proved nothing"
    return fast


@pytest.mark.parametrize("name", CAPTURES)
def test_the_fast_path_agrees_with_reading_everything(name):
    agree(load(name))


def call_class_only(events: list[tuple[float, Message]]) -> list[tuple[float, Message]]:
    """What a login with ``Events: call`` gets (`amish calls` logs in so): no ``dialplan`` class
    event (Newexten, VarSet), so a channel's place in the dialplan is never announced."""
    return [(t, m) for t, m in events if m.get("Privilege") is None or "call" in m.get("Privilege").split(",")]


@pytest.mark.parametrize("name", CAPTURES)
def test_the_fast_path_agrees_under_a_login_that_reads_only_the_call_class(name):
    events = call_class_only(load(name))
    assert not any(m.get("Event") == "Newexten" for _t, m in events)
    agree(events)


def test_a_dial_from_an_originated_channel_is_its_callers_when_no_newexten_comes():
    """The live failure (amish calls, Events: call): Originate's channel goes to amish-calls,201
    and dials; no Newexten says so, and its OriginateResponse came after the DialBegin. The dial's
    number is where the caller's snapshot in the DialBegin says it is: 201, not 100."""
    events = call_class_only(load("noanswer"))
    names = [m.get("Event") for _t, m in events]
    originated = events.pop(names.index("OriginateResponse"))
    names.remove("OriginateResponse")
    events.insert(names.index("DialState") + 1, originated)  # the order seen live
    assert [m.get("Event") for _t, m in events].index("DialBegin") < [m for _t, m in events].index(originated[1])
    for tr in (agree(events), CallTracker(thorough=True)):
        if tr.thorough:
            for t, m in events:
                tr.feed(m, t)
        [call] = tr.ended
        assert [(d.exten, d.status) for d in call.dials if d.caller] == [("201", "NOANSWER")]
        assert (call.callee, call.cause_text) == ("201", "NO_ANSWER")


def fields_of_all(tr: CallTracker) -> tuple:
    return {u: fields(ch) for u, ch in tr.channels.items()}, [c.as_json() for c in tr.ended]


def test_the_fast_path_agrees_on_all_captures_interleaved_as_one_busy_pbx():
    streams = [load(n) for n in CAPTURES]
    mixed: list[Message] = []
    while any(streams):
        for s in streams:
            if s:
                mixed.append(s.pop(0)[1])
    fast, ref = CallTracker(max_ended=5), CallTracker(max_ended=5, thorough=True)
    for i, msg in enumerate(mixed):
        fast.feed(msg, 1000.0 + i)
        ref.feed(msg, 1000.0 + i)
        assert structure(fast) == structure(ref), (i, msg.get("Event"))
    assert fields_of_all(fast) == fields_of_all(ref)
    assert fast.dropped_calls == ref.dropped_calls > 0


# -- random orders, subsets, damage ------------------------------------------------------

POOL = [msg for name in CAPTURES for _t, msg in load(name)]


def damage(msg: Message, how: int) -> Message:
    headers = list(msg.headers)
    if how == 1 and len(headers) > 1:  # a header lost
        del headers[len(headers) // 2]
    elif how == 2:  # every channel field emptied to Asterisk's placeholders
        headers = [(k, "<unknown>" if k and k != "Event" else v) for k, v in headers]
    elif how == 3:  # a value that is not a number where one is expected
        headers = [(k, "x" if k and k.endswith(("State", "Cause", "Timestamp")) else v) for k, v in headers]
    elif how == 4:  # a block whose value is not UTF-8 (a cp1251 caller name)
        headers = [(k, "\u0418\u0432\u0430\u043d" if k == "CallerIDName" else v) for k, v in headers]
        return Message.from_raw(encode_message(Message(headers)).replace("\u0418\u0432\u0430\u043d".encode(), "\u0418\u0432\u0430\u043d".encode("cp1251")), "cp1251")
    # as received (bytes, parsed on demand), so the fast path reads its snapshots as blocks
    return Message.from_raw(encode_message(Message(headers)))


def named_channels(msgs: list[Message]) -> set[str]:
    """Uniqueids that some event names together with a real channel name (the only ones that may exist)."""
    out = set()
    for m in msgs:
        for key, value in m.headers:
            if key and key.lower().endswith("uniqueid") and value not in ("", "<unknown>", "<null>"):
                chan = m.get(key[: -len("uniqueid")] + "Channel")
                if chan and chan not in ("<unknown>", "<null>"):
                    out.add(value)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(POOL) - 1), st.integers(0, 5)), max_size=150))
def test_random_orders_never_raise_never_invent_and_both_paths_know_the_same_things(picks):
    msgs = [damage(POOL[i], how) for i, how in picks]
    fast, ref = CallTracker(max_ended=20), CallTracker(max_ended=20, thorough=True)
    for i, msg in enumerate(msgs):
        fast.feed(msg, float(i))
        ref.feed(msg, float(i))
    allowed = named_channels(msgs)
    assert set(fast.channels) <= allowed
    assert set(fast.channels) == set(ref.channels)
    assert set(fast.calls) == set(ref.calls)
    assert [c.linkedid for c in fast.ended] == [c.linkedid for c in ref.ended]
    for tr in (fast, ref):
        for call in list(tr.calls.values()) + tr.ended:
            call.as_json()  # a view reads them: never raises either


# -- what an unread event costs ----------------------------------------------------------


class Counting(Message):
    __slots__ = ("asked",)

    def get(self, key, default=None):
        self.asked.append(key)
        return super().get(key, default)


def counting(raw: bytes) -> Counting:
    m = Counting.from_raw(raw)
    m.asked = []
    return m


def test_an_event_the_tracker_does_not_read_costs_one_look_at_its_name():
    tr = CallTracker()
    for raw in (
        b"Event: DeviceStateChange\r\nPrivilege: call,all\r\nDevice: PJSIP/alice\r\nState: INUSE\r\n",
        b"Event: PeerStatus\r\nPrivilege: system,all\r\nChannelType: PJSIP\r\nPeer: PJSIP/bob\r\n",
        b"Event: devicestatechange\r\nDevice: PJSIP/alice\r\nState: NOT_INUSE\r\n",  # any case
    ):
        m = counting(raw)
        assert tr.feed(m, 1.0) is False
        assert m.asked == ["Event"]
        assert m._headers is None, "the event was parsed whole"


BLOCK = (b"Channel: PJSIP/alice-1\r\nChannelState: 6\r\nChannelStateDesc: Up\r\nCallerIDNum: 100\r\n"
         b"CallerIDName: Alice\r\nConnectedLineNum: 200\r\nConnectedLineName: Bob\r\nLanguage: en\r\n"
         b"AccountCode: x\r\nContext: c\r\nExten: e\r\nPriority: 1\r\nUniqueid: u1\r\nLinkedid: u1\r\n")  # fmt: skip
NEWSTATE = b"Event: Newstate\r\nPrivilege: call,all\r\n" + BLOCK + b"\r\n"
#: a snapshot's keys no handler reads for itself (a Hangup's handler reads its Uniqueid, a Newexten's its Context...)
SNAPSHOT_KEYS = {"channelstate", "channelstatedesc", "calleridnum", "calleridname", "connectedlinenum",
                 "connectedlinename", "language", "accountcode", "priority", "linkedid"}  # fmt: skip


def alice(tr: CallTracker) -> None:
    tr.feed(Message([("Event", "Newchannel"), ("Channel", "PJSIP/alice-1"), ("ChannelState", "4"),
                     ("Uniqueid", "u1"), ("Linkedid", "u1"), ("CallerIDNum", "100")]), 1.0)  # fmt: skip


def test_a_snapshot_as_asterisk_writes_it_is_read_as_a_block_never_header_by_header():
    tr = CallTracker()
    alice(tr)
    m = counting(NEWSTATE)
    assert tr.feed(m, 2.0) is True
    ch = tr.channels["u1"]
    assert (ch.state, ch.state_desc, ch.answered) == (6, "Up", 2.0)
    assert (ch.caller_name, ch.connected_num, ch.connected_name, ch.accountcode) == ("Alice", "200", "Bob", "x")
    assert (ch.context, ch.exten, ch.priority) == ("c", "e", "1")
    assert SNAPSHOT_KEYS.isdisjoint(k.lower() for k in m.asked)
    assert m._headers is None and m._index is None, "the event was parsed whole"
    again = counting(b"Event: VarSet\r\nPrivilege: dialplan,all\r\n" + BLOCK + b"Variable: X\r\nValue: 1\r\n\r\n")
    assert tr.feed(again, 3.0) is False  # the same snapshot again: nothing changed
    assert SNAPSHOT_KEYS.isdisjoint(k.lower() for k in again.asked)


@pytest.mark.parametrize("name", CAPTURES)
def test_on_real_captures_no_snapshot_is_read_header_by_header(name):
    tr = CallTracker()
    for t, msg in load(name):
        m = counting(msg.raw)
        tr.feed(m, t)
        assert SNAPSHOT_KEYS.isdisjoint(k.lower() for k in m.asked) or m.get("Event") == "OriginateResponse", (
            m.get("Event"), m.asked)  # OriginateResponse has no block: its Uniqueid, CallerIDNum... are loose


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"Event: Newstate\r\n" + BLOCK.replace(b"Language: en\r\n", b""), id="a-line-missing"),
        pytest.param(b"Event: Newstate\r\n" + BLOCK.replace(b"\r\n", b"\n"), id="LF-only"),
        pytest.param(b"Event: Newstate\r\n" + BLOCK.replace(b"ChannelStateDesc: ", b"ChannelStateDesc:"),
                     id="no-space-after-a-colon"),
        pytest.param(b"Event: Newstate\r\n" + BLOCK.replace(b"CallerIDNum", b"CALLERIDNUM"), id="another-spelling"),
        pytest.param(b"Event: Newstate\r\n" + BLOCK.replace(b"Alice", "\u0410\u043b\u0438\u0441\u0430".encode("cp1251")),
                     id="not-utf8"),
        pytest.param(b"Event: Newstate\r\n" + BLOCK.replace(b"Linkedid: u1\r\n", b"Linkedid: u1"), id="no-last-crlf"),
    ],
)
def test_a_snapshot_not_in_asterisks_form_is_read_header_by_header_the_same(raw):
    fast, ref = CallTracker(), CallTracker(thorough=True)
    for tr in (fast, ref):
        alice(tr)
        tr.feed(Message.from_raw(raw, "cp1251"), 2.0)
    assert fields(fast.channels["u1"]) == fields(ref.channels["u1"])
    assert fast.channels["u1"].state == 6


def test_a_repeated_block_is_read_again_once_something_else_changed_its_channel():
    """A Rename, or a snapshot read header by header, changes what the last block said: the same
    block coming again (late, out of order) must be applied again, as the reference does."""
    rename = b"Event: Rename\r\nChannel: PJSIP/alice-1\r\nNewname: PJSIP/alice-1<MASQ>\r\nUniqueid: u1\r\n\r\n"
    loose = b"Event: NewCallerid\r\nChannel: PJSIP/alice-1\r\nCallerIDNum: 999\r\nUniqueid: u1\r\nLinkedid: u1\r\n\r\n"
    for between in (rename, loose):
        fast, ref = CallTracker(), CallTracker(thorough=True)
        for tr in (fast, ref):
            alice(tr)
            for raw in (NEWSTATE, between, NEWSTATE):
                tr.feed(Message.from_raw(raw), 2.0)
        assert fields(fast.channels["u1"]) == fields(ref.channels["u1"])
        assert (fast.channels["u1"].name, fast.channels["u1"].caller_num) == ("PJSIP/alice-1", "100")


def test_a_hung_up_channel_is_not_brought_back_by_its_last_block():
    tr = CallTracker()
    alice(tr)
    tr.feed(Message.from_raw(NEWSTATE), 2.0)
    tr.feed(Message.from_raw(b"Event: Hangup\r\n" + BLOCK + b"Cause: 16\r\nCause-txt: Normal Clearing\r\n\r\n"), 3.0)
    assert "u1" not in tr.channels
    tr.feed(Message.from_raw(NEWSTATE), 4.0)  # late
    assert "u1" not in tr.channels and not tr._by_block
