"""The call-state model: channels, bridges and calls, built from AMI events (sans-IO).

`CallTracker` is fed `Message`s (events, and the list items of
``CoreShowChannels``/``BridgeList``/``BridgeInfo``) and keeps the live picture
of the PBX:

* **channels** by Uniqueid (`Channel`): name (following ``Rename``), state,
  caller ID, connected line, account code, where it is in the dialplan
  (``Newexten``), Linkedid, bridge, created/answered/ended times, hang-up cause
  and its Q.850 name, MixMonitor and hold state;
* **bridges** by id (`Bridge`): type, technology, members;
* **calls** by Linkedid (`Call`): their channels in order of appearance, dial
  attempts (`Dial`), bridges, transfers (`Transfer`: blind, attended, Local
  optimisation, redirect), holds, hang-ups, start/answer/end, duration and
  billsec, who called whom, and (bounded) the events behind them.

It owns no socket, thread or clock. Time comes from the event's
``Timestamp`` header when the server sends one (``timestampevents = yes``),
else from the `now` the caller passes to `feed` (seconds since the epoch),
else from the last time seen; with none of these (a plain dump without
Timestamps) times are 0, and `iso` (the JSON) gives null for them.

Rules it keeps:

* Unknown, malformed or out-of-order events never raise and never invent a
  channel: a channel is only created from an event that names a real one (a
  non-empty Uniqueid *and* channel name, e.g. not a failed Originate's dial
  string), never again once it has hung up (a late event is ignored).
* Live state is what the PBX has; ended calls are kept up to `max_ended`
  (default 1,000), the oldest dropped first.
* Resync after a reconnect: `begin_resync()`, feed the ``CoreShowChannels``
  (and bridge) list items, `end_resync()`: every live channel the lists did not
  name is ended with ``vanished = True`` (it hung up while we were away), and
  its call ends when nothing of it is left.

Learning what changed (for views): `version` goes up by one on every change;
`take_changes()` returns and clears the ids changed since the last call
(`Changes`); listeners added with `add_listener(fn)` are called with each
`Changes` right after the `feed` that made it (on the feeding thread: a view
should only note it and redraw on its own thread).

The API (stable; the shell's views build on it):

=======================  =========================================================
``feed(msg, now=None)``  one message in; True when it changed something
``feed_all(msgs, now)``  many
``channels``             dict Uniqueid -> `Channel`, live channels only
``bridges``              dict id -> `Bridge`, live bridges only
``calls``                dict Linkedid -> `Call`, calls in progress
``ended``                `Call`s ended, oldest first (a read-only view)
``call(linkedid)``       a call, live or ended, or None
``channel(uid)``         a channel, live or of a kept call, or None
``channel_named(name)``  the live channel of that name, or None
``begin/end_resync``     see above
``version``              int, bumps on every change
``take_changes()``       `Changes` since the last take
``add_listener(fn)``     fn(`Changes`) after every changing feed
``call_class_seen``      bool, an event of the ``call`` read class came
                         (`CallClassCheck`: does the login read that class?)
=======================  =========================================================

Speed: one table (`_TABLE`, at the end) says what each event name is to the
tracker; an event it does not read costs one lookup of its name. A channel
snapshot in an event it reads is the block of 14 lines Asterisk writes
(``Channel:`` .. ``Linkedid:``): found with three searches in the bytes as
received, and read further only when it is not exactly the block last read for
that channel (most events of a channel repeat its snapshot: a VarSet, a
HangupRequest, a dial's other leg). Every field of a block read is applied, so
nothing an event's snapshot says is missed. A snapshot not in that form is read
header by header.
``CallTracker(thorough=True)`` reads every snapshot header by header, never as a
block: the reference the block reading is tested against
(tests/unit/test_calls_fastpath.py).
"""

from __future__ import annotations

import datetime as _dt
from collections import OrderedDict, deque
from typing import Callable, Iterable

__all__ = [
    "CallTracker",
    "CallClassCheck",
    "Call",
    "Channel",
    "Bridge",
    "Dial",
    "Transfer",
    "Changes",
    "Q850",
    "cause_name",
    "CHANNEL_STATES",
]

#: ChannelState numbers (ast_channel_state) to their names.
CHANNEL_STATES = {
    0: "Down",
    1: "Rsrvd",
    2: "OffHook",
    3: "Dialing",
    4: "Ring",
    5: "Ringing",
    6: "Up",
    7: "Busy",
    8: "Dialing Offhook",
    9: "Pre-ring",
    10: "Unknown",
}

#: Q.850 cause codes, as Asterisk names them (AST_CAUSE_*).
Q850 = {
    0: "NOT_DEFINED",
    1: "UNALLOCATED",
    2: "NO_ROUTE_TRANSIT_NET",
    3: "NO_ROUTE_DESTINATION",
    5: "MISDIALLED_TRUNK_PREFIX",
    6: "CHANNEL_UNACCEPTABLE",
    7: "CALL_AWARDED_DELIVERED",
    8: "PRE_EMPTED",
    14: "NUMBER_PORTED_NOT_HERE",
    16: "NORMAL_CLEARING",
    17: "USER_BUSY",
    18: "NO_USER_RESPONSE",
    19: "NO_ANSWER",
    20: "SUBSCRIBER_ABSENT",
    21: "CALL_REJECTED",
    22: "NUMBER_CHANGED",
    23: "REDIRECTED_TO_NEW_DESTINATION",
    26: "ANSWERED_ELSEWHERE",
    27: "DESTINATION_OUT_OF_ORDER",
    28: "INVALID_NUMBER_FORMAT",
    29: "FACILITY_REJECTED",
    30: "RESPONSE_TO_STATUS_ENQUIRY",
    31: "NORMAL_UNSPECIFIED",
    34: "NORMAL_CIRCUIT_CONGESTION",
    38: "NETWORK_OUT_OF_ORDER",
    41: "NORMAL_TEMPORARY_FAILURE",
    42: "SWITCH_CONGESTION",
    43: "ACCESS_INFO_DISCARDED",
    44: "REQUESTED_CHAN_UNAVAIL",
    50: "FACILITY_NOT_SUBSCRIBED",
    52: "OUTGOING_CALL_BARRED",
    54: "INCOMING_CALL_BARRED",
    57: "BEARERCAPABILITY_NOTAUTH",
    58: "BEARERCAPABILITY_NOTAVAIL",
    65: "BEARERCAPABILITY_NOTIMPL",
    66: "CHAN_NOT_IMPLEMENTED",
    69: "FACILITY_NOT_IMPLEMENTED",
    81: "INVALID_CALL_REFERENCE",
    88: "INCOMPATIBLE_DESTINATION",
    95: "INVALID_MSG_UNSPECIFIED",
    96: "MANDATORY_IE_MISSING",
    97: "MESSAGE_TYPE_NONEXIST",
    98: "WRONG_MESSAGE",
    99: "IE_NONEXIST",
    100: "INVALID_IE_CONTENTS",
    101: "WRONG_CALL_STATE",
    102: "RECOVERY_ON_TIMER_EXPIRE",
    103: "MANDATORY_IE_LENGTH_ERROR",
    111: "PROTOCOL_ERROR",
    127: "INTERWORKING",
}


#: the cause a failed DialStatus stands for, when the dialled channel says 0
_STATUS_CAUSE = {"BUSY": 17, "NOANSWER": 19, "CONGESTION": 34, "CHANUNAVAIL": 20}


def cause_name(cause: int | None) -> str:
    """The Q.850 name of a cause code ("" for None, ``CAUSE_<n>`` for one not in the table)."""
    if cause is None:
        return ""
    return Q850.get(cause, f"CAUSE_{cause}")


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def _real(value: str | None) -> str:
    """A header value, with Asterisk's placeholders for nothing turned into ''."""
    if not value or value == "<unknown>" or value == "<null>":
        return ""
    return value


def iso(t: float | None) -> str | None:
    """Seconds since the epoch as ISO 8601 with the local offset (None, and 0: no clock, stay None)."""
    if not t:
        return None
    return _dt.datetime.fromtimestamp(t).astimezone().isoformat(timespec="milliseconds")


class CallClassCheck:
    """Does this login read the ``call`` class? AMI cannot say (no action reports a login's read
    classes), so this watches for the proof either way, sans-IO:

    * any call-class event fed to the tracker (`CallTracker.call_class_seen`): yes, and the check is over;
    * the channel list (``CoreShowChannels``, a reporting action) changing, channels coming or going,
      with not one call-class event seen, still none `every` seconds later (the events of a channel
      can trail its listing a little): no.

    Use: ``due(now)`` says when to list the channels; ``listed(uniqueids, now)`` takes the list's
    Uniqueids; ``verdict(now)`` is None until it knows, then True (reads ``call``) or False.
    An idle PBX proves nothing: the verdict stays None, and nothing was missed.
    """

    def __init__(self, tracker: "CallTracker", every: float = 5.0):
        self.tracker = tracker
        self.every = every
        self._last_list: float | None = None
        self._seen: frozenset[str] | None = None
        self._changed_at: float | None = None

    def due(self, now: float) -> bool:
        if self.verdict(now) is not None:
            return False
        return self._last_list is None or now - self._last_list >= self.every

    def listed(self, uniqueids: Iterable[str], now: float) -> None:
        ids = frozenset(u for u in uniqueids if u)
        if self._seen is not None and ids != self._seen and self._changed_at is None:
            self._changed_at = now
        self._seen = ids
        self._last_list = now

    def verdict(self, now: float) -> bool | None:
        if self.tracker.call_class_seen:
            return True
        if self._changed_at is not None and now - self._changed_at >= self.every:
            return False
        return None


# -- the records (mutable: the tracker updates them; views only read) -----------------


class Channel:
    """One channel, by Uniqueid. Times are seconds since the epoch (None: not yet / not known)."""

    __slots__ = (
        "uniqueid", "name", "names", "state", "state_desc", "caller_num", "caller_name",
        "connected_num", "connected_name", "accountcode", "context", "exten", "priority",
        "application", "app_data", "linkedid", "bridge", "created", "answered", "ended",
        "cause", "cause_text", "recording", "on_hold", "vanished", "seeded", "block",
    )  # fmt: skip

    def __init__(self, uniqueid: str, name: str, linkedid: str, created: float | None):
        self.uniqueid = uniqueid
        self.name = name
        #: every name it had, the first first (Rename adds one)
        self.names: tuple[str, ...] = (name,)
        self.state = 0
        self.state_desc = ""
        self.caller_num = ""
        self.caller_name = ""
        self.connected_num = ""
        self.connected_name = ""
        self.accountcode = ""
        self.context = ""
        self.exten = ""
        self.priority = ""
        self.application = ""
        self.app_data = ""
        self.linkedid = linkedid or uniqueid
        #: the id of the bridge it is in, or ""
        self.bridge = ""
        self.created = created
        self.answered: float | None = None
        self.ended: float | None = None
        self.cause: int | None = None
        self.cause_text = ""
        #: a MixMonitor is running on it
        self.recording = False
        self.on_hold = False
        #: ended because it was gone after a reconnect (its real end was not seen)
        self.vanished = False
        #: learnt from CoreShowChannels (up before the tracker started), not from Newchannel
        self.seeded = False
        #: the last snapshot block (as received) every field was read from: an event repeating it
        #: changes nothing of the snapshot (None: read the next one whole)
        self.block: str | None = None

    @property
    def live(self) -> bool:
        return self.ended is None

    @property
    def cause_q850(self) -> str:
        """The Q.850 name of the hang-up cause ("" while live)."""
        return cause_name(self.cause)

    @property
    def where(self) -> str:
        """Where it is: ``App(data)`` when running an application, else ``context,exten,prio``."""
        if self.application:
            return f"{self.application}({self.app_data})"
        if self.context or self.exten:
            return f"{self.context},{self.exten},{self.priority}"
        return ""

    def __repr__(self) -> str:
        return f"<Channel {self.name} {self.uniqueid} {self.state_desc or self.state}{' ended' if self.ended else ''}>"


class Bridge:
    """One bridge: id, type, technology and its members (Uniqueids, in order of entry)."""

    __slots__ = ("id", "type", "technology", "members", "created", "ended", "linkedids")

    def __init__(self, bridge_id: str, created: float | None):
        self.id = bridge_id
        self.type = ""
        self.technology = ""
        self.members: list[str] = []
        self.created = created
        self.ended: float | None = None
        #: the calls that had a member in it
        self.linkedids: list[str] = []

    def __repr__(self) -> str:
        return f"<Bridge {self.id} {self.technology} {self.members}>"


class Dial:
    """One dial attempt (DialBegin .. DialEnd). `status` is DialStatus ("" while it rings)."""

    __slots__ = ("caller", "callee", "caller_name", "callee_name", "dialstring", "exten", "status", "begin", "end")

    def __init__(self, caller: str, callee: str, caller_name: str, callee_name: str, dialstring: str, begin,
                 exten: str = ""):  # fmt: skip
        self.caller = caller  # Uniqueid ("" when the dial had no calling channel: an Originate)
        self.callee = callee
        self.caller_name = caller_name
        self.callee_name = callee_name
        self.dialstring = dialstring
        #: the extension the caller was at when it dialled (the number dialled), "" without a caller
        self.exten = exten
        self.status = ""
        self.begin: float | None = begin
        self.end: float | None = None

    def as_json(self) -> dict:
        return {"from": self.caller_name, "to": self.callee_name, "status": self.status}

    def __repr__(self) -> str:
        return f"<Dial {self.caller_name} -> {self.callee_name} {self.status}>"


class Transfer:
    """A transfer: `kind` is ``blind``, ``attended``, ``redirect`` or ``local-optimization``.

    `by` is the channel name that did it (the transferer), `to` where it went (an
    ``exten@context`` for blind transfers and redirects, a channel or bridge for
    the others), `result` Asterisk's Result ("" when it has none).
    """

    __slots__ = ("kind", "time", "by", "to", "result", "channels")

    def __init__(self, kind: str, time: float | None, by: str, to: str, result: str = "", channels=()):
        self.kind = kind
        self.time = time
        self.by = by
        self.to = to
        self.result = result
        self.channels: tuple[str, ...] = tuple(channels)

    def as_json(self) -> dict:
        out = {"kind": self.kind, "by": self.by, "to": self.to, "time": iso(self.time)}
        if self.result:
            out["result"] = self.result
        return out

    def __repr__(self) -> str:
        return f"<Transfer {self.kind} by {self.by} to {self.to} {self.result}>"


class Call:
    """A call: every channel sharing a Linkedid.

    `legs` maps Uniqueid to `Channel` in order of appearance (ended ones stay);
    `dials`, `transfers` in order; `holds` is a list of (time, channel name,
    True on hold / False off); `bridges` the bridge ids it used; `events` the
    last `CallTracker.keep_events` messages about it (for a timeline, a filter).
    """

    __slots__ = ("linkedid", "legs", "dials", "transfers", "holds", "bridges", "events",
                 "start", "dial_answer", "end", "recorded", "dropped_events", "hangup_by")  # fmt: skip

    def __init__(self, linkedid: str, start: float | None, keep_events: int):
        self.linkedid = linkedid
        self.legs: dict[str, Channel] = {}
        self.dials: list[Dial] = []
        self.transfers: list[Transfer] = []
        self.holds: list[tuple[float | None, str, bool]] = []
        self.bridges: list[str] = []
        #: (none kept: one shared empty tuple, not a deque per call: a big PBX has thousands of calls)
        self.events: deque | tuple = deque(maxlen=keep_events) if keep_events else ()
        self.start = start
        #: when the first dial from a channel of the call was answered
        self.dial_answer: float | None = None
        self.end: float | None = None
        #: a MixMonitor ran on one of its channels
        self.recorded = False
        #: events not kept because of the limit
        self.dropped_events = 0
        #: the channel that hung up first: the first whose own side asked to (``HangupRequest``: a
        #: phone's BYE, the dialplan's Hangup()), else the first to end ("" while nothing has)
        self.hangup_by = ""

    # -- what a view shows ----------------------------------------------------------
    @property
    def live(self) -> bool:
        return self.end is None

    @property
    def channels(self) -> list[Channel]:
        return list(self.legs.values())

    @property
    def first(self) -> Channel | None:
        """The channel that started it: the one the Linkedid names (Asterisk's Linkedid is the Uniqueid
        of the call's first channel), else the first seen. Not simply the first seen: a call learnt
        from the ``CoreShowChannels`` list comes in Asterisk's container order, any leg first."""
        ch = self.legs.get(self.linkedid)
        if ch is not None:
            return ch
        for ch in self.legs.values():
            return ch
        return None

    @property
    def caller(self) -> str:
        """Who called: the first channel's caller ID number (or name, or channel name)."""
        ch = self.first
        if ch is None:
            return ""
        return ch.caller_num or ch.caller_name or ch.name

    @property
    def callee(self) -> str:
        """Whom: the number the first dial from a channel was made at (its extension), else its dial
        string; without such a dial, the extension the first channel went to."""
        for d in self.dials:
            if d.caller:
                return d.exten or d.dialstring or d.callee_name
        ch = self.first
        if ch is None:
            return ""
        return ch.exten or ch.connected_num or ""

    @property
    def answer(self) -> float | None:
        """When it was answered: the first dial from one of its channels that was answered; a call
        with no such dial (an IVR, an Originate into an application) when its first channel answered."""
        if self.dial_answer is not None:
            return self.dial_answer
        if any(d.caller for d in self.dials):
            return None
        ch = self.first
        return ch.answered if ch is not None else None

    @property
    def duration(self) -> float | None:
        """Seconds from start to end (to `now` for a live call: use `duration_at`)."""
        if self.start is None or self.end is None:
            return None
        return max(0.0, self.end - self.start)

    @property
    def billsec(self) -> float | None:
        """Seconds from answer to end (0 for a call never answered)."""
        if self.end is None:
            return None
        if self.answer is None:
            return 0.0
        return max(0.0, self.end - self.answer)

    def duration_at(self, now: float) -> float:
        if self.start is None:
            return 0.0
        return max(0.0, (self.end if self.end is not None else now) - self.start)

    @property
    def cause(self) -> int | None:
        """The call's end cause. When its last dial from a channel failed, the dialled channel's cause
        (or, when that is 0, the one DialStatus stands for: BUSY 17, NOANSWER 19, CONGESTION 34,
        CHANUNAVAIL 20); else the first channel's cause, or the first non-zero one."""
        dials = [d for d in self.dials if d.caller]
        if dials and dials[-1].status and dials[-1].status != "ANSWER" and self.dial_answer is None:
            last = dials[-1]
            callee = self.legs.get(last.callee)
            if callee is not None and callee.cause:
                return callee.cause
            if last.status in _STATUS_CAUSE:
                return _STATUS_CAUSE[last.status]
        first = self.first
        if first is not None and first.cause:
            return first.cause
        ended = sorted((ch for ch in self.legs.values() if ch.cause), key=lambda c: c.ended or 0)
        if ended:
            return ended[0].cause
        return first.cause if first is not None else None

    @property
    def cause_text(self) -> str:
        return cause_name(self.cause) if self.cause is not None else ""

    @property
    def state(self) -> str:
        """``dialing``, ``ringing``, ``up``, ``on hold``, ``transferred`` or ``ended``."""
        if self.end is not None:
            return "ended"
        live = [ch for ch in self.legs.values() if ch.ended is None]
        if any(ch.on_hold for ch in live):
            return "on hold"
        if self.transfers and self.transfers[-1].kind != "local-optimization":
            return "transferred"
        if self.answer is not None and any(ch.state == 6 for ch in live):
            return "up"
        if any(ch.state == 5 for ch in live) or any(not d.status for d in self.dials):
            return "ringing"
        if any(ch.state == 6 for ch in live):
            return "up"
        return "dialing"

    @property
    def vanished(self) -> bool:
        """Some channel of it was ended by a resync (its real end was not seen)."""
        return any(ch.vanished for ch in self.legs.values())

    def as_json(self) -> dict:
        """The JSON object `amish calls --format jsonl` prints (README documents it)."""
        cause = self.cause
        return {
            "linkedid": self.linkedid,
            "start": iso(self.start),
            "answer": iso(self.answer),
            "end": iso(self.end),
            "duration": None if self.duration is None else round(self.duration, 3),
            "billsec": None if self.billsec is None else round(self.billsec, 3),
            "from": self.caller,
            "to": self.callee,
            "channels": [ch.name for ch in self.legs.values()],
            "dials": [d.as_json() for d in self.dials],
            "transfers": [t.as_json() for t in self.transfers],
            "cause": cause,
            "cause_text": cause_name(cause) if cause is not None else "",
            "recorded": self.recorded,
            "vanished": self.vanished,
            "hangup_by": self.hangup_by or None,
        }

    def __repr__(self) -> str:
        return f"<Call {self.linkedid} {self.caller} -> {self.callee} {self.state}>"


class Changes:
    """What changed since the last take: sets of Uniqueids, Linkedids, bridge ids; and calls that ended."""

    __slots__ = ("version", "channels", "calls", "bridges", "ended_calls")

    def __init__(self, version: int = 0):
        self.version = version
        self.channels: set[str] = set()
        self.calls: set[str] = set()
        self.bridges: set[str] = set()
        #: Linkedids of calls that ended, in order
        self.ended_calls: list[str] = []

    def __bool__(self) -> bool:
        return bool(self.channels or self.calls or self.bridges or self.ended_calls)

    def __repr__(self) -> str:
        return f"<Changes v{self.version} ch={sorted(self.channels)} calls={sorted(self.calls)} ended={self.ended_calls}>"


# -- the tracker -----------------------------------------------------------------------

# -- what each event is to the tracker: one table (`_KINDS`, at the end), made once -----------

#: a channel snapshot's fields besides its Uniqueid, name, state and Linkedid: (attribute, header)
_FIELD_KEYS = (
    ("caller_num", "CallerIDNum"), ("caller_name", "CallerIDName"), ("connected_num", "ConnectedLineNum"),
    ("connected_name", "ConnectedLineName"), ("accountcode", "AccountCode"), ("context", "Context"),
    ("exten", "Exten"), ("priority", "Priority"),
)  # fmt: skip

#: what Asterisk puts in a header for nothing (`_real` makes them "")
_PLACEHOLDERS = frozenset(("", "<unknown>", "<null>"))

#: how many hung-up Uniqueids are remembered (at least), so a late event never brings one back; up to a quarter
#: more are kept between two trims (a plain dict, trimmed whole: a third of an OrderedDict's memory)
_DEAD_MEMORY = 20_000


#: a channel snapshot as Asterisk writes it (ast_manager_build_channel_state_string_prefix): these
#: lines in this order, each key after the event's prefix (``Dest``...)
_BLOCK_KEYS = ("Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName", "ConnectedLineNum",
               "ConnectedLineName", "Language", "AccountCode", "Context", "Exten", "Priority", "Uniqueid",
               "Linkedid")  # fmt: skip
#: (attribute, index in the block) for the fields `_FIELD_KEYS` names
_BLOCK_FIELDS = tuple((attr, _BLOCK_KEYS.index(key)) for attr, key in _FIELD_KEYS)


class _Layout:
    """Where one prefix's snapshot block is in a message's text, and how its lines are cut."""

    __slots__ = ("first", "last", "keys", "cuts")

    def __init__(self, prefix: str):
        self.first = f"\n{prefix}Channel: ".encode()
        self.last = f"\n{prefix}Linkedid: ".encode()
        self.keys = tuple(f"{prefix}{k}: " for k in _BLOCK_KEYS)
        self.cuts = tuple(slice(len(k), None) for k in self.keys)


#: values many channels have (a context, "Up", an extension, a caller's name...): one string each, not one per
#: channel (a big PBX's 10,000 channels hold ten values each); bounded, emptied when full
_SHARED: dict[str, str] = {}
_SHARED_MAX = 8192


def _shared(value: str) -> str:
    found = _SHARED.get(value)
    if found is not None:
        return found
    if len(_SHARED) >= _SHARED_MAX:
        _SHARED.clear()
    _SHARED[value] = value
    return value


def _with(linked: list[str] | None, lid: str) -> list[str]:
    """The Linkedids an event named so far, with `lid` (once)."""
    if linked is None:
        return [lid]
    if lid not in linked:
        linked.append(lid)
    return linked


def _join_linked(linked: list[str] | None, more: list[str] | None) -> list[str] | None:
    for lid in more or ():
        linked = _with(linked, lid)
    return linked


class _Snap:
    """One channel snapshot of an event kind: its header names (prefix ``Dest``: ``DestUniqueid``,
    ``DestChannel``...) and where its block is (`_Layout`). Made once per event kind, so reading
    an event builds no key."""

    __slots__ = ("uid", "channel", "linkedid", "keys", "layout")

    def __init__(self, prefix: str):
        self.layout = _Layout(prefix)
        self.uid = prefix + "Uniqueid"
        self.channel = prefix + "Channel"
        self.linkedid = prefix + "Linkedid"
        #: the block's keys in Asterisk's order (`_BLOCK_KEYS`)
        self.keys = tuple(prefix + key for key in _BLOCK_KEYS)


class _Kind:
    """What one event name is to the tracker: the handler, the snapshots it carries (in Asterisk's
    order), whether a channel may be first seen in it, whether it is of the ``call`` read class."""

    __slots__ = ("low", "handler", "before", "snaps", "adopt", "call_class")

    def __init__(self, low, handler, before, snaps, adopt, call_class):
        self.low = low
        self.handler = handler
        self.before = before
        self.snaps: tuple[_Snap, ...] = snaps
        self.adopt = adopt
        self.call_class = call_class


class CallTracker:
    """Channels, bridges and calls from AMI events. See the module docstring for the API."""

    def __init__(self, *, max_ended: int = 1000, keep_events: int = 200, thorough: bool = False):
        if max_ended < 0 or keep_events < 0:
            raise ValueError("max_ended and keep_events must be >= 0")
        self.max_ended = max_ended
        self.keep_events = keep_events
        #: read every channel snapshot header by header (slower); by default a snapshot in a message
        #: as received is read as Asterisk's block (`_blocks`). Tests prove both the same.
        self.thorough = thorough
        self.channels: dict[str, Channel] = {}
        self.bridges: dict[str, Bridge] = {}
        self.calls: dict[str, Call] = {}
        self._ended: OrderedDict[str, Call] = OrderedDict()
        self._dead: dict[str, None] = {}  # hung-up Uniqueids, oldest first (`_DEAD_MEMORY`)
        self._by_name: dict[str, str] = {}
        #: a live channel's last snapshot block (bytes as received) -> the channel
        self._by_block: dict[bytes, Channel] = {}
        self._resync: set[str] | None = None
        self._resync_bridges: set[str] | None = None
        self._listeners: list[Callable[[Changes], None]] = []
        self._changes = Changes()
        self._pending = Changes()
        self.version = 0
        #: the last time seen (from a Timestamp header or the caller's `now`)
        self.now: float | None = None
        #: events that named something unknown or made no sense (ignored, counted)
        self.ignored = 0
        #: ended calls dropped because of `max_ended`
        self.dropped_calls = 0
        #: an event of the ``call`` read class came, not in answer to an action (`CallClassCheck`)
        self.call_class_seen = False
        #: Local optimisations begun and not yet ended: Id -> (the channel swapped in, its bridge then)
        self._optimizing: dict[str, tuple[str, str | None]] = {}

    # -- reading -------------------------------------------------------------------
    @property
    def ended(self) -> list[Call]:
        """The ended calls kept, oldest first."""
        return list(self._ended.values())

    def call(self, linkedid: str) -> Call | None:
        return self.calls.get(linkedid) or self._ended.get(linkedid)

    def channel(self, uniqueid: str) -> Channel | None:
        ch = self.channels.get(uniqueid)
        if ch is not None:
            return ch
        for call in self._ended.values():
            if uniqueid in call.legs:
                return call.legs[uniqueid]
        for call in self.calls.values():
            if uniqueid in call.legs:
                return call.legs[uniqueid]
        return None

    def channel_named(self, name: str) -> Channel | None:
        uid = self._by_name.get(name)
        return self.channels.get(uid) if uid else None

    def call_of(self, msg) -> Call | None:
        """The call an event belongs to (by its Linkedid or a channel's Uniqueid), or None."""
        lid = msg.get("Linkedid")
        if lid:
            c = self.call(lid)
            if c is not None:
                return c
        uid = msg.get("Uniqueid")
        if uid:
            ch = self.channel(uid)
            if ch is not None:
                return self.call(ch.linkedid)
        return None

    # -- listeners --------------------------------------------------------------------
    def add_listener(self, fn: Callable[[Changes], None]) -> None:
        self._listeners.append(fn)

    def remove_listener(self, fn: Callable[[Changes], None]) -> None:
        try:
            self._listeners.remove(fn)
        except ValueError:
            pass

    def take_changes(self) -> Changes:
        """What changed since the last take (and clears it)."""
        out = self._changes
        out.version = self.version
        self._changes = Changes(self.version)
        return out

    # -- feeding --------------------------------------------------------------------
    def feed_all(self, messages: Iterable, now: float | None = None) -> bool:
        changed = False
        for m in messages:
            changed = self.feed(m, now) or changed
        return changed

    def feed(self, msg, now: float | None = None) -> bool:
        """One message in (events and list items; anything else is ignored). True when it changed something."""
        get = getattr(msg, "get", None)
        if get is None:
            return False
        name = get("Event")
        if not name:
            return False
        kind = _KINDS.get(name, _UNSEEN)
        if kind is _UNSEEN:
            kind = _kind_of(name)
        if kind is None:  # an event the tracker does not read: its name was all it cost
            return False
        raw = None
        if self.thorough:
            _read_whole(msg)  # parsed once, then every header is a dict lookup
        elif kind.snaps:
            raw = getattr(msg, "raw", None)  # as received: its snapshots are read as blocks (`_blocks`)
        ts = get("Timestamp")
        if ts:
            try:
                now = float(ts)
            except ValueError:
                pass
        if now is not None:
            self.now = now
        if kind.call_class and not self.call_class_seen and not get("ActionID"):
            self.call_class_seen = True
        t = self.now if self.now is not None else 0.0  # no clock at all (a dump without Timestamps): 0
        try:
            if kind.before is not None:
                kind.before(self, msg, t)
            if not kind.snaps:
                linked = None
            elif raw and type(raw) is bytes:
                linked = self._blocks(raw, msg, get, kind, t)
            else:
                linked = self._generic(msg, get, kind, t)
            if kind.handler is not None:
                kind.handler(self, msg, t)
            if linked is not None:
                self._record_event(msg, linked)
        except (ValueError, KeyError, TypeError, AttributeError, IndexError):  # pragma: no cover - a safety net
            self.ignored += 1
        return self._publish()

    # -- the bookkeeping every event gets ---------------------------------------------
    def _generic(self, msg, get, kind: _Kind, t, snaps=None) -> list[str] | None:
        """Refresh every channel the event describes, every field read header by header; returns
        their Linkedids (None when no call keeps events, or it named none)."""
        linked = None
        record = self.keep_events
        channels = self.channels
        for snap in snaps if snaps is not None else kind.snaps:
            uid = get(snap.uid)
            if not uid or uid in _PLACEHOLDERS:
                continue
            ch = channels.get(uid)
            if ch is None:
                ch = self._adopt(msg, uid, get(snap.channel), get(snap.linkedid), kind, t)
                if ch is None:
                    continue
            self._refresh(ch, get, snap, t)
            if record:
                linked = _with(linked, ch.linkedid)
        return linked

    def _blocks(self, raw: bytes, msg, get, kind: _Kind, t) -> list[str] | None:
        """`_generic` for a message as received: each snapshot is the block of 14 lines Asterisk
        writes (``Channel:`` .. ``Linkedid:``, a prefix before each key), found and cut in a few
        calls instead of a lookup per header. A block exactly as last read for a live channel
        (`_by_block`) changes nothing and is not read further. A snapshot not found in that form
        (another Asterisk, another spelling, a line missing, not UTF-8) is read header by header."""
        linked = None
        record = self.keep_events
        for snap in kind.snaps:
            lay = snap.layout
            a = raw.find(lay.first)
            if a < 0:
                if get(snap.uid) is not None:  # there, but not as a block: header by header
                    linked = _join_linked(linked, self._generic(msg, get, kind, t, (snap,)))
                continue
            b = raw.find(lay.last, a)
            c = raw.find(b"\r\n", b) if b >= 0 else -1
            if c < 0:
                linked = _join_linked(linked, self._generic(msg, get, kind, t, (snap,)))
                continue
            block = raw[a + 1 : c]
            ch = self._by_block.get(block)
            if ch is None:
                ch = self._read_block(block, lay, msg, kind, t)
                if ch is None:
                    continue
                if ch is _UNREAD:
                    linked = _join_linked(linked, self._generic(msg, get, kind, t, (snap,)))
                    continue
            if record:
                linked = _with(linked, ch.linkedid)
        return linked

    def _read_block(self, block: bytes, lay: "_Layout", msg, kind: _Kind, t):
        """A snapshot block not seen as it is: its channel refreshed (or adopted) from it; None when
        it names no channel the tracker may keep; `_UNREAD` when it is not in Asterisk's form."""
        try:
            lines = block.decode("utf-8").split("\r\n")
        except UnicodeDecodeError:
            return _UNREAD
        if len(lines) != 14 or not all(map(str.startswith, lines, lay.keys)):
            return _UNREAD
        values = list(map(str.__getitem__, lines, lay.cuts))
        uid = values[12]
        if not uid or uid in _PLACEHOLDERS:
            return None
        ch = self.channels.get(uid)
        if ch is None:
            ch = self._adopt(msg, uid, values[0], values[13], kind, t)
            if ch is None:
                return None
        self._refresh_values(ch, values, t)
        self._forget_block(ch)
        ch.block = block
        self._by_block[block] = ch
        return ch

    def _forget_block(self, ch: Channel) -> None:
        if ch.block is not None:
            if self._by_block.get(ch.block) is ch:
                del self._by_block[ch.block]
            ch.block = None

    def _adopt(self, msg, uid: str, name: str | None, lid: str | None, kind: _Kind, t) -> Channel | None:
        """A channel first seen in this event: created only when the event names a real, live one."""
        if not kind.adopt or uid in self._dead:
            return None
        if not name or name in _PLACEHOLDERS:
            return None
        if not lid or lid in _PLACEHOLDERS:
            lid = uid
        known = self.calls.get(lid)
        ch = Channel(uid, name, known.linkedid if known is not None else lid, t)  # the call's string, not a copy
        if kind.low == "coreshowchannel":
            ch.seeded = True
            dur = _hms(msg.get("Duration"))
            if dur is not None and t is not None:
                ch.created = t - dur
        self.channels[uid] = ch
        self._by_name[name] = uid
        call = self._call_for(lid, ch.created)
        call.legs[uid] = ch
        if call.start is None or (ch.created is not None and ch.created < call.start):
            call.start = ch.created
        self._touch_channel(uid)
        self._touch_call(lid)
        return ch

    def _call_for(self, lid: str, t) -> Call:
        call = self.calls.get(lid)
        if call is None:
            call = self._ended.pop(lid, None)
            if call is not None:
                call.end = None  # something of it is back (a channel we had not seen)
            else:
                call = Call(lid, t, self.keep_events)
            self.calls[lid] = call
        return call

    def _refresh(self, ch: Channel, get, snap: _Snap, t) -> None:
        """The snapshot read header by header (a header missing changes nothing)."""
        self._forget_block(ch)  # what a block said last may no longer hold
        self._refresh_values(ch, [get(key) for key in snap.keys], t)

    def _refresh_values(self, ch: Channel, values: list[str | None], t) -> None:
        """A channel from a snapshot's values, in Asterisk's order (`_BLOCK_KEYS`; None: not there)."""
        changed = False
        name = values[0]
        if name and name != ch.name and name not in _PLACEHOLDERS:
            changed = self._rename(ch, name)
        state = _int(values[1])
        if state is not None and state != ch.state:
            ch.state = state
            ch.state_desc = _shared(values[2]) or CHANNEL_STATES.get(state, str(state))
            changed = True
            if state == 6 and ch.answered is None:
                ch.answered = ch.created if ch.seeded else t
        for attr, i in _BLOCK_FIELDS:
            value = values[i]
            if value is None:
                continue
            if value in _PLACEHOLDERS:
                value = ""
            if value != getattr(ch, attr):
                setattr(ch, attr, _shared(value))
                changed = True
        lid = values[13]
        if lid and lid != ch.linkedid and lid not in _PLACEHOLDERS:
            self._move(ch, lid, t)
            changed = True
        if changed:
            self._touch_channel(ch.uniqueid)
            self._touch_call(ch.linkedid)

    def _rename(self, ch: Channel, name: str) -> bool:
        if name == ch.name:
            return False
        self._forget_block(ch)  # (a Rename: the next snapshot is read whole, whatever it repeats)
        if self._by_name.get(ch.name) == ch.uniqueid:
            del self._by_name[ch.name]
        ch.name = name
        ch.names += (name,)
        if ch.ended is None:
            self._by_name[name] = ch.uniqueid
        return True

    def _move(self, ch: Channel, lid: str, t) -> None:
        """The channel's Linkedid changed: it now belongs to that call (the old one keeps it as history)."""
        old = self.calls.get(ch.linkedid)
        ch.linkedid = lid
        new = self._call_for(lid, t)
        new.legs.setdefault(ch.uniqueid, ch)
        self._touch_call(lid)
        if old is not None:
            self._touch_call(old.linkedid)
            self._maybe_end(old, t)

    def _record_event(self, msg, linked: list[str]) -> None:
        if not self.keep_events:
            return
        for lid in linked:
            call = self.calls.get(lid) or self._ended.get(lid)
            if call is not None:
                ev = call.events
                if len(ev) == ev.maxlen:
                    call.dropped_events += 1
                ev.append(msg)

    # -- what changed --------------------------------------------------------------------
    def _touch_channel(self, uid: str) -> None:
        self._pending.channels.add(uid)

    def _touch_call(self, lid: str) -> None:
        self._pending.calls.add(lid)

    def _touch_bridge(self, bid: str) -> None:
        self._pending.bridges.add(bid)

    def _publish(self) -> bool:
        p = self._pending
        if not p:
            return False
        self.version += 1
        p.version = self.version
        c = self._changes
        c.channels |= p.channels
        c.calls |= p.calls
        c.bridges |= p.bridges
        c.ended_calls.extend(p.ended_calls)
        if not self._listeners:  # nobody keeps `p`: reuse it
            p.channels.clear()
            p.calls.clear()
            p.bridges.clear()
            p.ended_calls.clear()
            return True
        self._pending = Changes()
        for fn in list(self._listeners):
            fn(p)
        return True

    # -- the ends ---------------------------------------------------------------------
    def _end_channel(self, ch: Channel, t, cause: int | None, text: str, vanished: bool = False) -> None:
        if ch.ended is not None:
            return
        ch.ended = t if t is not None else ch.created
        ch.cause = cause
        ch.cause_text = text
        ch.vanished = vanished
        ch.on_hold = False
        ch.recording = False
        self.channels.pop(ch.uniqueid, None)
        self._forget_block(ch)
        if self._by_name.get(ch.name) == ch.uniqueid:
            del self._by_name[ch.name]
        self._dead[ch.uniqueid] = None
        if len(self._dead) > _DEAD_MEMORY + _DEAD_MEMORY // 4:  # the newest kept, every 5,000 ends
            self._dead = dict.fromkeys(list(self._dead)[-_DEAD_MEMORY:])
        if ch.bridge:
            br = self.bridges.get(ch.bridge)
            if br is not None and ch.uniqueid in br.members:
                br.members.remove(ch.uniqueid)
                self._touch_bridge(br.id)
            ch.bridge = ""
        self._touch_channel(ch.uniqueid)
        self._touch_call(ch.linkedid)
        call = self.calls.get(ch.linkedid)
        if call is not None:
            if not call.hangup_by:
                call.hangup_by = ch.name
            self._maybe_end(call, t)

    def _maybe_end(self, call: Call, t) -> None:
        for ch in call.legs.values():
            if ch.ended is None and ch.linkedid == call.linkedid:
                return
        ends = [ch.ended for ch in call.legs.values() if ch.ended is not None]
        call.end = max(ends) if ends else t
        self.calls.pop(call.linkedid, None)
        self._ended[call.linkedid] = call
        self._pending.ended_calls.append(call.linkedid)
        self._touch_call(call.linkedid)
        while len(self._ended) > self.max_ended:
            self._ended.popitem(last=False)
            self.dropped_calls += 1

    # -- resync -----------------------------------------------------------------------
    def begin_resync(self) -> None:
        """Before the lists of a reconnect: every live channel and bridge is unconfirmed."""
        self._resync = set()
        self._resync_bridges = set()

    def end_resync(self, now: float | None = None) -> list[Channel]:
        """After the lists: unconfirmed channels are ended (vanished); returns them."""
        if self._resync is None:
            return []
        if now is not None:
            self.now = now
        seen, seen_bridges = self._resync, self._resync_bridges or set()
        self._resync = self._resync_bridges = None
        gone = [ch for uid, ch in list(self.channels.items()) if uid not in seen]
        for ch in gone:
            self._end_channel(ch, self.now, None, "", vanished=True)
        for bid in [b for b in self.bridges if b not in seen_bridges and not self.bridges[b].members]:
            self.bridges.pop(bid).ended = self.now
            self._touch_bridge(bid)
        self._publish()
        return gone

    # -- the handlers -----------------------------------------------------------------
    def _on_hangup(self, msg, t) -> None:
        uid = _real(msg.get("Uniqueid"))
        ch = self.channels.get(uid) if uid else None
        if ch is None:
            self.ignored += 1
            return
        cause = _int(msg.get("Cause"))
        self._end_channel(ch, t, cause, msg.get("Cause-txt") or "")

    def _on_hanguprequest(self, msg, t) -> None:
        ch = self.channels.get(_real(msg.get("Uniqueid")))
        call = self.calls.get(ch.linkedid) if ch is not None else None
        if call is not None and not call.hangup_by:
            call.hangup_by = ch.name
            self._touch_call(call.linkedid)

    def _on_rename(self, msg, t) -> None:
        ch = self.channels.get(_real(msg.get("Uniqueid")))
        new = _real(msg.get("Newname"))
        if ch is None or not new:
            self.ignored += 1
            return
        if self._rename(ch, new):
            self._touch_channel(ch.uniqueid)
            self._touch_call(ch.linkedid)

    def _on_newchannel(self, msg, t) -> None:
        ch = self.channels.get(_real(msg.get("Uniqueid")))
        if ch is not None and ch.created is None:
            ch.created = t

    def _before_newexten(self, msg, t) -> None:
        """A channel in a bridge that starts dialplan elsewhere was sent away (AMI Redirect, or the
        transferee of a blind transfer, whose BlindTransfer event follows and renames this one)."""
        ch = self.channels.get(_real(msg.get("Uniqueid")))
        if ch is None or not ch.bridge:
            return
        ctx, exten = msg.get("Context") or "", msg.get("Extension") or msg.get("Exten") or ""
        if exten and (ctx, exten) != (ch.context, ch.exten):
            call = self.calls.get(ch.linkedid)
            last = call.transfers[-1] if call is not None and call.transfers else None
            if last is not None and last.kind == "blind" and last.to == f"{exten}@{ctx}" and ch.name in last.channels:
                return  # the transferee of the BlindTransfer just seen (real SIP channels: event first)
            self._transfer([ch], Transfer("redirect", t, ch.name, f"{exten}@{ctx}", "", [ch.name]))

    def _on_newexten(self, msg, t) -> None:
        ch = self.channels.get(_real(msg.get("Uniqueid")))
        if ch is None:
            return
        app, data = msg.get("Application") or "", msg.get("AppData") or ""
        if (app, data) != (ch.application, ch.app_data):
            ch.application, ch.app_data = _shared(app), _shared(data)
            self._touch_channel(ch.uniqueid)

    def _on_coreshowchannel(self, msg, t) -> None:
        uid = _real(msg.get("Uniqueid"))
        ch = self.channels.get(uid)
        if ch is None:
            return
        if self._resync is not None:
            self._resync.add(uid)
        app, data = msg.get("Application"), msg.get("ApplicationData")
        if app is not None:
            ch.application, ch.app_data = _real(app), data or ""
        bid = _real(msg.get("BridgeId"))
        if bid:
            self._join(ch, bid, t)

    def _on_dialbegin(self, msg, t) -> None:
        caller = self.channels.get(_real(msg.get("Uniqueid")))
        callee = self.channels.get(_real(msg.get("DestUniqueid")))
        if callee is None:
            self.ignored += 1
            return
        d = Dial(
            caller.uniqueid if caller else "",
            callee.uniqueid,
            caller.name if caller else "",
            callee.name,
            msg.get("DialString") or "",
            t,
            caller.exten if caller else "",
        )
        call = self.calls.get(caller.linkedid if caller else callee.linkedid)
        if call is not None:
            call.dials.append(d)
            self._touch_call(call.linkedid)

    def _on_dialend(self, msg, t) -> None:
        callee_uid = _real(msg.get("DestUniqueid"))
        caller_uid = _real(msg.get("Uniqueid"))
        ch = self.channel(callee_uid) if callee_uid else None
        if ch is None:
            self.ignored += 1
            return
        call = self.call(ch.linkedid)
        caller = self.channel(caller_uid) if caller_uid else None
        calls = [c for c in (call, self.call(caller.linkedid) if caller else None) if c is not None]
        for c in dict.fromkeys(calls):
            for d in reversed(c.dials):
                if d.callee == callee_uid and not d.status:
                    d.status = msg.get("DialStatus") or ""
                    d.end = t
                    if d.status == "ANSWER" and d.caller and c.dial_answer is None:
                        c.dial_answer = t
                    self._touch_call(c.linkedid)
                    break

    def _join(self, ch: Channel, bid: str, t, msg=None) -> None:
        br = self.bridges.get(bid)
        if br is None:
            br = self.bridges[bid] = Bridge(bid, t)
        bid = br.id  # one string for the bridge's id wherever it is kept, not one per event that named it
        if msg is not None:
            br.type = _shared(msg.get("BridgeType") or br.type)
            br.technology = _shared(msg.get("BridgeTechnology") or br.technology)
        if self._resync_bridges is not None:
            self._resync_bridges.add(bid)
        if ch.bridge and ch.bridge != bid:
            old = self.bridges.get(ch.bridge)
            if old is not None and ch.uniqueid in old.members:
                old.members.remove(ch.uniqueid)
                self._touch_bridge(old.id)
        ch.bridge = bid
        if ch.uniqueid not in br.members:
            br.members.append(ch.uniqueid)
        if ch.linkedid not in br.linkedids:
            br.linkedids.append(ch.linkedid)
        call = self.calls.get(ch.linkedid)
        if call is not None and bid not in call.bridges:
            call.bridges.append(bid)
        self._touch_bridge(bid)
        self._touch_channel(ch.uniqueid)
        self._touch_call(ch.linkedid)

    def _on_bridgecreate(self, msg, t) -> None:
        bid = _real(msg.get("BridgeUniqueid"))
        if not bid:
            return
        br = self.bridges.get(bid)
        if br is None:
            br = self.bridges[bid] = Bridge(bid, t)
        br.type = _shared(msg.get("BridgeType") or br.type)
        br.technology = _shared(msg.get("BridgeTechnology") or br.technology)
        self._touch_bridge(bid)

    def _on_bridgeenter(self, msg, t) -> None:
        ch = self.channels.get(_real(msg.get("Uniqueid")))
        bid = _real(msg.get("BridgeUniqueid"))
        if ch is None or not bid:
            self.ignored += 1
            return
        self._join(ch, bid, t, msg)

    def _on_bridgeleave(self, msg, t) -> None:
        ch = self.channels.get(_real(msg.get("Uniqueid")))
        bid = _real(msg.get("BridgeUniqueid"))
        br = self.bridges.get(bid)
        if ch is not None and ch.bridge == bid:
            ch.bridge = ""
            self._touch_channel(ch.uniqueid)
            self._touch_call(ch.linkedid)
        if br is not None and ch is not None and ch.uniqueid in br.members:
            br.members.remove(ch.uniqueid)
            self._touch_bridge(bid)

    def _on_bridgedestroy(self, msg, t) -> None:
        bid = _real(msg.get("BridgeUniqueid"))
        br = self.bridges.pop(bid, None)
        if br is None:
            return
        br.ended = t
        for uid in br.members:
            ch = self.channels.get(uid)
            if ch is not None and ch.bridge == bid:
                ch.bridge = ""
                self._touch_channel(uid)
        self._touch_bridge(bid)

    def _on_bridgemerge(self, msg, t) -> None:
        to_id = _real(msg.get("ToBridgeUniqueid"))
        from_id = _real(msg.get("FromBridgeUniqueid"))
        src = self.bridges.get(from_id)
        if not to_id or src is None:
            return
        for uid in list(src.members):
            ch = self.channels.get(uid)
            if ch is not None:
                self._join(ch, to_id, t)

    def _on_bridgelistitem(self, msg, t) -> None:
        self._on_bridgecreate(msg, t)
        if self._resync_bridges is not None:
            bid = _real(msg.get("BridgeUniqueid"))
            if bid:
                self._resync_bridges.add(bid)

    def _on_bridgeinfochannel(self, msg, t) -> None:
        ch = self.channels.get(_real(msg.get("Uniqueid")))
        bid = _real(msg.get("BridgeUniqueid"))
        if ch is not None and bid:
            self._join(ch, bid, t, msg)

    def _transfer(self, chans: list[Channel], tr: Transfer) -> None:
        done: list[str] = []
        for ch in chans:
            call = self.calls.get(ch.linkedid) or self._ended.get(ch.linkedid)
            if call is not None and call.linkedid not in done:
                call.transfers.append(tr)
                done.append(call.linkedid)
                self._touch_call(call.linkedid)

    def _chans(self, msg, *prefixes: str) -> list[Channel]:
        out = []
        for p in prefixes:
            uid = _real(msg.get(p + "Uniqueid"))
            ch = self.channel(uid) if uid else None
            if ch is not None and ch not in out:
                out.append(ch)
        return out

    def _on_blindtransfer(self, msg, t) -> None:
        chans = self._chans(msg, "Transferer", "Transferee")
        by = _real(msg.get("TransfererChannel"))
        to = f"{msg.get('Extension') or ''}@{msg.get('Context') or ''}"
        transferee = _real(msg.get("TransfereeChannel"))
        for ch in chans:
            call = self.calls.get(ch.linkedid)
            if call is not None and call.transfers:
                last = call.transfers[-1]
                if last.kind == "redirect" and last.to == to and transferee in last.channels:
                    call.transfers.pop()  # the Newexten before this event: it was this transfer
        self._transfer(chans, Transfer("blind", t, by, to, msg.get("Result") or "", [c.name for c in chans]))

    def _on_attendedtransfer(self, msg, t) -> None:
        chans = self._chans(msg, "OrigTransferer", "SecondTransferer", "Transferee", "TransferTarget")
        by = _real(msg.get("OrigTransfererChannel"))
        dest = msg.get("DestType") or ""
        if dest.lower() == "bridge":
            to = _real(msg.get("TransferTargetChannel")) or _real(msg.get("DestBridgeUniqueid"))
        elif dest.lower() == "app":
            to = msg.get("DestApp") or ""
        elif dest.lower() == "link":
            to = f"{_real(msg.get('LocalOneChannel'))}/{_real(msg.get('LocalTwoChannel'))}"
        elif dest.lower() == "threeway":
            to = _real(msg.get("DestThreewayChannel")) or "threeway"
        else:
            to = _real(msg.get("TransferTargetChannel")) or _real(msg.get("SecondTransfererChannel"))
        self._transfer(chans, Transfer("attended", t, by, to, msg.get("Result") or "", [c.name for c in chans]))

    def _on_localoptimizationbegin(self, msg, t) -> None:
        if len(self._optimizing) > 64:  # Begins whose End never came (amish joined late): forget them
            self._optimizing.clear()
        src = self.channels.get(_real(msg.get("SourceUniqueid")))
        self._optimizing[msg.get("Id") or ""] = (src.uniqueid, src.bridge) if src is not None else ("", None)

    def _on_localoptimizationend(self, msg, t) -> None:
        """Did the Local channel optimise itself away? Asterisk's ``Success`` header cannot say for a
        swap (main/bridge.c, try_swap_optimize_out, reports ``Success: No`` exactly when the swap
        *worked*); what can: the channel the Begin named as its Source entered another bridge. For a
        merge (no Source) and when the Begin was not seen, ``Success`` is all there is."""
        began = self._optimizing.pop(msg.get("Id") or "", None)
        if began is not None and began[0]:
            src = self.channel(began[0])
            ok = src is not None and src.bridge is not None and src.bridge != began[1]
        else:
            ok = (msg.get("Success") or "").lower() in ("yes", "true", "1")
        if not ok:
            return
        chans = self._chans(msg, "LocalOne", "LocalTwo")
        one = _real(msg.get("LocalOneChannel"))
        two = _real(msg.get("LocalTwoChannel"))
        self._transfer(chans, Transfer("local-optimization", t, one, two, "Success", [c.name for c in chans]))

    def _set_flag(self, msg, attr: str, value: bool, hold_log: bool = False) -> None:
        ch = self.channels.get(_real(msg.get("Uniqueid")))
        if ch is None:
            self.ignored += 1
            return
        if getattr(ch, attr) != value:
            setattr(ch, attr, value)
            self._touch_channel(ch.uniqueid)
            self._touch_call(ch.linkedid)
        call = self.calls.get(ch.linkedid)
        if call is None:
            return
        if hold_log:
            call.holds.append((self.now, ch.name, value))
        if attr == "recording" and value:
            call.recorded = True

    def _on_hold(self, msg, t) -> None:
        self._set_flag(msg, "on_hold", True, hold_log=True)

    def _on_unhold(self, msg, t) -> None:
        self._set_flag(msg, "on_hold", False, hold_log=True)

    def _on_mixmonitorstart(self, msg, t) -> None:
        self._set_flag(msg, "recording", True)

    def _on_mixmonitorstop(self, msg, t) -> None:
        self._set_flag(msg, "recording", False)

    def _on_status(self, msg, t) -> None:
        # the Status action's list item: like CoreShowChannel for one channel
        ch = self.channels.get(_real(msg.get("Uniqueid")))
        if ch is None:
            return
        app = msg.get("Application")
        if app is not None:
            ch.application, ch.app_data = _real(app), msg.get("Data") or ""
        bid = _real(msg.get("BridgeID"))
        if bid:
            self._join(ch, bid, t)


def _hms(value: str | None) -> float | None:
    """``HH:MM:SS`` (CoreShowChannel's Duration) to seconds."""
    if not value:
        return None
    parts = value.strip().split(":")
    try:
        total = 0.0
        for p in parts:
            total = total * 60 + float(p)
        return total
    except ValueError:
        return None


# -- the table: every event the tracker reads, and what it reads of it --------------------

def _snaps(prefixes: tuple[str, ...]) -> tuple[_Snap, ...]:
    return tuple(_Snap(prefix) for prefix in prefixes)


T = CallTracker
_ONE = ("",)
_DIAL = ("", "Dest")
#: name: (handler, snapshot prefixes in Asterisk's order, a channel may be first seen in it)
_TABLE: dict[str, tuple] = {
    # the channel's own events: each changes what its name says (Asterisk raises them by comparing snapshots)
    "Newchannel": (T._on_newchannel, _ONE, True),
    "Newstate": (None, _ONE, True),
    "Newexten": (T._on_newexten, _ONE, True),
    "NewCallerid": (None, _ONE, True),
    "NewConnectedLine": (None, _ONE, True),
    "NewAccountCode": (None, _ONE, True),
    "Rename": (T._on_rename, _ONE, True),
    "Hangup": (T._on_hangup, _ONE, True),
    "HangupRequest": (T._on_hanguprequest, _ONE, True),
    "SoftHangupRequest": (None, _ONE, True),
    # dials, bridges, transfers
    "DialBegin": (T._on_dialbegin, _DIAL, True),
    "DialState": (None, _DIAL, True),
    "DialEnd": (T._on_dialend, _DIAL, True),
    "BridgeCreate": (T._on_bridgecreate, (), True),
    "BridgeDestroy": (T._on_bridgedestroy, (), True),
    "BridgeEnter": (T._on_bridgeenter, _ONE, True),
    "BridgeLeave": (T._on_bridgeleave, _ONE, False),
    "BridgeMerge": (T._on_bridgemerge, (), True),
    "BlindTransfer": (T._on_blindtransfer, ("Transferer", "Transferee"), True),
    "AttendedTransfer": (T._on_attendedtransfer,
                         ("OrigTransferer", "SecondTransferer", "LocalOne", "LocalTwo", "Transferee", "TransferTarget"),
                         True),  # fmt: skip
    "LocalBridge": (None, ("LocalOne", "LocalTwo"), True),
    "LocalOptimizationBegin": (T._on_localoptimizationbegin, ("LocalOne", "LocalTwo", "Source"), True),
    "LocalOptimizationEnd": (T._on_localoptimizationend, ("LocalOne", "LocalTwo"), False),
    # hold, recording
    "Hold": (T._on_hold, _ONE, True),
    "Unhold": (T._on_unhold, _ONE, True),
    "MusicOnHoldStart": (None, _ONE, True),
    "MusicOnHoldStop": (None, _ONE, True),
    "MixMonitorStart": (T._on_mixmonitorstart, _ONE, True),
    "MixMonitorStop": (T._on_mixmonitorstop, _ONE, True),
    "MixMonitorMute": (None, _ONE, True),
    # the list items (a channel described whole)
    "CoreShowChannel": (T._on_coreshowchannel, _ONE, True),
    "Status": (T._on_status, _ONE, True),
    "BridgeListItem": (T._on_bridgelistitem, (), True),
    "BridgeInfoChannel": (T._on_bridgeinfochannel, _ONE, True),
    "BridgeInfoComplete": (None, (), True),
    # kept in a call's history; read for nothing else but their channel's Linkedid
    "VarSet": (None, _ONE, True),
    "AsyncAGIStart": (None, _ONE, True),
    "OriginateResponse": (None, _ONE, False),  # rare; what it says of the channel is its caller ID
    "DTMFBegin": (None, _ONE, True),
    "DTMFEnd": (None, _ONE, True),
    "ChanSpyStart": (None, ("Spyer", "Spyee"), True),
    "ChanSpyStop": (None, ("Spyer", "Spyee"), True),
    "AgentCalled": (None, _DIAL, True),
    "AgentConnect": (None, _DIAL, True),
    "QueueCallerJoin": (None, _ONE, True),
    "QueueCallerLeave": (None, _ONE, True),
    "Cdr": (None, _ONE, False),
    "CEL": (None, _ONE, False),
}

#: events of the ``call`` read class the tracker reads: seeing one proves the login reads that class
_CALL_CLASS = frozenset(
    ("Newchannel", "Newstate", "Hangup", "HangupRequest", "SoftHangupRequest", "DialBegin", "DialState", "DialEnd",
     "BridgeCreate", "BridgeDestroy", "BridgeEnter", "BridgeLeave", "BridgeMerge", "Rename", "NewCallerid",
     "NewConnectedLine", "Hold", "Unhold", "LocalBridge", "BlindTransfer", "AttendedTransfer", "MixMonitorStart")
)  # fmt: skip

_BEFORE = {"Newexten": T._before_newexten}

#: lower-case event name -> `_Kind`
_KINDS_LOW: dict[str, _Kind] = {
    name.lower(): _Kind(name.lower(), handler, _BEFORE.get(name), _snaps(prefixes), adopt, name in _CALL_CLASS)
    for name, (handler, prefixes, adopt) in _TABLE.items()
}
del T

#: event name as received -> `_Kind`, or None for an event the tracker does not read: one lookup per
#: event. Filled as names are seen (any case, as AMI allows), bounded.
_KINDS: dict[str, _Kind | None] = {name: _KINDS_LOW[name.lower()] for name in _TABLE}
_UNSEEN = object()
_UNREAD = object()  # a snapshot block not in Asterisk's form


def _read_whole(msg) -> None:
    """Parse a message for lookup now, when it can (a `Message`; anything else with a `get` is read as is)."""
    index = getattr(msg, "index", None)
    if index is not None:
        index()


def _kind_of(name: str) -> _Kind | None:
    kind = _KINDS_LOW.get(name.lower())
    if len(_KINDS) < 4096:  # a stream of made-up names must not grow it without end
        _KINDS[name] = kind
    return kind
