"""The compact event line: time, name in its family colour, the headers that matter, on one line.

`_FIELDS` is the table of what each event shows: one row per event name, a
tuple of fields, each a small function of the event's headers (`_v`, `_kv`,
`_cid`, `_ext`, `_pair`...). An event without a row shows its Channel and the
first headers that are not boilerplate. Adding or changing what an event
shows is a row here, tested in tests/unit/test_render.py; the speed of
`render_event_line` (< 200 us per event) is measured by bench/micro.py.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from rich.text import Span, Text

from ...core.protocol import Message
from .eventstyle import event_style
from .safe import UNSAFE, clean

__all__ = ["render_event_line", "NAME_WIDTH", "ORIGINATE_REASONS"]

Piece = tuple[str, str]  # (text, style)
Field = Callable[[Callable[[str], Any]], "list[Piece] | None"]

_UNKNOWN = ("", "<unknown>", "<none>")

# Q.850 causes, for events that carry a Cause without its text.
_CAUSES = {
    "0": "Unknown", "1": "Unallocated number", "3": "No route to destination",
    "16": "Normal Clearing", "17": "User busy", "18": "No user responding",
    "19": "No answer", "20": "Subscriber absent", "21": "Call rejected",
    "22": "Number changed", "27": "Destination out of order", "28": "Invalid number format",
    "31": "Normal, unspecified", "34": "No circuit available", "38": "Network out of order",
    "41": "Temporary failure", "42": "Switching equipment congestion",
    "58": "Bearer capability not available", "102": "Recovery on timer expiry",
    "127": "Interworking, unspecified",
}

#: OriginateResponse Reason: the last control frame seen (AST_CONTROL_*).
ORIGINATE_REASONS = {
    "0": "failed", "1": "hung up", "2": "ring", "3": "ringing, no answer",
    "4": "answered", "5": "busy", "8": "congestion",
}


def _v(*keys: str, style: str = "") -> Field:
    """The bare value of the first of `keys` that has one."""

    def field(get):
        for key in keys:
            value = get(key)
            if value:
                return [(value, style)]
        return None

    return field


def _kv(key: str, label: str | None = None, style: str = "") -> Field:
    """``Key=value`` (key dim)."""
    shown = (label if label is not None else key) + "="

    def field(get):
        value = get(key)
        if value:
            return [(shown, "dim"), (value, style)]
        return None

    return field


def _cid(prefix: str = "", kind: str = "CallerID") -> Field:
    """A caller id as Asterisk writes it: ``"Name" <num>``; nothing when unknown."""
    num_key, name_key = f"{prefix}{kind}Num", f"{prefix}{kind}Name"

    def field(get):
        num = get(num_key)
        name = get(name_key)
        has_num = num not in _UNKNOWN and num is not None
        has_name = name not in _UNKNOWN and name is not None
        if has_name and has_num:
            return [(f'"{name}" <{num}>', "")]
        if has_num:
            return [(f"<{num}>", "")]
        if has_name:
            return [(f'"{name}"', "")]
        return None

    return field


def _ext(prefix: str = "", priority: bool = False, exten_key: str = "Exten") -> Field:
    """``exten@context`` (``:priority``)."""
    ek, ck, pk = prefix + exten_key, prefix + "Context", prefix + "Priority"

    def field(get):
        exten = get(ek)
        context = get(ck)
        if not exten and not context:
            return None
        text = f"{exten or ''}@{context or ''}"
        if priority:
            prio = get(pk)
            if prio:
                text += f":{prio}"
        return [(text, "cyan")]

    return field


def _cause(get):
    cause = get("Cause")
    if cause is None:
        return None
    txt = get("Cause-txt") or _CAUSES.get(cause)
    pieces = [("cause ", "dim"), (cause, "red")]
    if txt:
        pieces.append((f" ({txt})", "red"))
    return pieces


def _var(get):
    var = get("Variable")
    if var is None:
        return None
    return [(var, "magenta"), ("=", "dim"), (get("Value") or "", "")]


def _app(app_key: str = "Application", data_key: str = "AppData") -> Field:
    def field(get):
        app = get(app_key)
        if not app:
            return None
        return [(f"{app}({get(data_key) or ''})", "")]

    return field


def _pair(a: str, b: str, arrow: str = " → ", style: str = "bold") -> Field:
    """``a → b``, or just the one that is there."""

    def field(get):
        va, vb = get(a), get(b)
        if va and vb:
            return [(va, style), (arrow, "dim"), (vb, style)]
        if vb:
            return [(arrow.lstrip(), "dim"), (vb, style)]
        if va:
            return [(va, style)]
        return None

    return field


def _reason(get):
    reason = get("Reason")
    if reason is None:
        return None
    txt = ORIGINATE_REASONS.get(reason)
    return [("Reason=", "dim"), (f"{reason} ({txt})" if txt else reason, "")]


def _response(get):
    resp = get("Response")
    if not resp:
        return None
    return [(resp, "green" if resp.lower() == "success" else "red")]


def _dbkey(get):
    family, key = get("Family"), get("Key")
    if family is None and key is None:
        return None
    return [(f"{family or ''}/{key or ''}", "bold"), (" = ", "dim"), (get("Val") or "", "")]


_CHAN = _v("Channel", style="bold")
_STATE = _v("ChannelStateDesc")
_SECURITY = (_kv("Service"), _kv("AccountID"), _kv("RemoteAddress"))

_FIELDS: dict[str, tuple[Field, ...]] = {
    "newchannel": (_CHAN, _STATE, _cid(), _ext()),
    "newstate": (_CHAN, _STATE, _cid(), _cid(kind="ConnectedLine")),
    "status": (_CHAN, _STATE, _cid(), _ext()),
    "coreshowchannel": (_CHAN, _STATE, _app("Application", "ApplicationData"), _kv("Duration")),
    "hangup": (_CHAN, _cid(), _cause),
    "hanguprequest": (_CHAN, _cause),
    "softhanguprequest": (_CHAN, _cause),
    "newexten": (_CHAN, _ext(priority=True), _app()),
    "varset": (_CHAN, _var),
    "newcallerid": (_CHAN, _cid()),
    "newconnectedline": (_CHAN, _cid(kind="ConnectedLine")),
    "newaccountcode": (_CHAN, _kv("AccountCode")),
    "rename": (_pair("Channel", "Newname"),),
    "hold": (_CHAN, _kv("MusicClass")),
    "unhold": (_CHAN,),
    "musiconholdstart": (_CHAN, _kv("Class")),
    "musiconholdstop": (_CHAN,),
    "dialbegin": (_pair("Channel", "DestChannel"), _kv("DialString")),
    "dialstate": (_pair("Channel", "DestChannel"), _v("DialStatus", style="yellow")),
    "dialend": (_pair("Channel", "DestChannel"), _v("DialStatus", style="yellow")),
    "originateresponse": (_response, _CHAN, _reason),
    "bridgecreate": (_v("BridgeUniqueid", style="bold"), _kv("BridgeType"), _kv("BridgeTechnology")),
    "bridgedestroy": (_v("BridgeUniqueid", style="bold"), _kv("BridgeType"), _kv("BridgeTechnology")),
    "bridgeenter": (_CHAN, _kv("BridgeUniqueid", "Bridge"), _kv("BridgeNumChannels", "Channels")),
    "bridgeleave": (_CHAN, _kv("BridgeUniqueid", "Bridge"), _kv("BridgeNumChannels", "Channels")),
    "bridgemerge": (_pair("FromBridgeUniqueid", "ToBridgeUniqueid"),),
    "bridgevideosourceupdate": (_v("BridgeUniqueid", style="bold"), _kv("BridgePreviousVideoSource")),
    "localbridge": (_pair("LocalOneChannel", "LocalTwoChannel", " ↔ "), _kv("LocalOptimization")),
    "attendedtransfer": (_v("Result"), _pair("OrigTransfererChannel", "SecondTransfererChannel"), _kv("DestType")),
    "blindtransfer": (_v("Result"), _pair("TransfererChannel", "TransfereeChannel"), _ext(exten_key="Extension")),
    "dtmfbegin": (_CHAN, _kv("Digit"), _v("Direction")),
    "dtmfend": (_CHAN, _kv("Digit"), _v("Direction"), _kv("DurationMs")),
    "peerstatus": (_v("Peer", style="bold"), _v("PeerStatus"), _kv("Address"), _kv("Cause")),
    "contactstatus": (_v("AOR", style="bold"), _v("ContactStatus"), _v("URI"), _kv("RoundtripUsec")),
    "registry": (_v("Username", style="bold"), _kv("Domain"), _v("Status"), _kv("Cause")),
    "devicestatechange": (_v("Device", style="bold"), _v("State")),
    "extensionstatus": (_ext(), _v("StatusText"), _kv("Hint")),
    "presencestatechange": (_v("Presentity", style="bold"), _v("Status"), _kv("Subtype")),
    "invalidaccountid": _SECURITY,
    "invalidpassword": _SECURITY,
    "challengeresponsefailed": _SECURITY,
    "failedacl": _SECURITY + (_kv("ACLName"),),
    "successfulauth": _SECURITY,
    "challengesent": _SECURITY,
    "requestnotallowed": _SECURITY + (_kv("RequestType"),),
    "requestbadformat": _SECURITY + (_kv("RequestType"),),
    "authmethodnotallowed": _SECURITY + (_kv("AuthMethod"),),
    "unexpectedaddress": _SECURITY,
    "queuemember": (_v("Queue", style="bold"), _v("MemberName", "Name", "Interface"), _kv("Status"), _kv("Paused")),
    "queuememberstatus": (_v("Queue", style="bold"), _v("MemberName", "Interface"), _kv("Status"), _kv("Paused")),
    "queuememberadded": (_v("Queue", style="bold"), _v("MemberName", "Interface"), _kv("Status")),
    "queuememberremoved": (_v("Queue", style="bold"), _v("MemberName", "Interface")),
    "queuememberpause": (_v("Queue", style="bold"), _v("MemberName", "Interface"), _kv("Paused"), _kv("PausedReason")),
    "queuecallerjoin": (_v("Queue", style="bold"), _CHAN, _cid(), _kv("Position"), _kv("Count")),
    "queuecallerleave": (_v("Queue", style="bold"), _CHAN, _kv("Position"), _kv("Count")),
    "queuecallerabandon": (_v("Queue", style="bold"), _CHAN, _kv("Position"), _kv("HoldTime")),
    "queueparams": (_v("Queue", style="bold"), _kv("Calls"), _kv("Completed"), _kv("Abandoned")),
    "agentcalled": (_v("Queue", style="bold"), _v("MemberName", "Interface"), _CHAN),
    "agentconnect": (_v("Queue", style="bold"), _v("MemberName", "Interface"), _CHAN, _kv("HoldTime")),
    "agentcomplete": (_v("Queue", style="bold"), _v("MemberName", "Interface"), _CHAN, _kv("TalkTime"), _kv("Reason")),
    "agentringnoanswer": (_v("Queue", style="bold"), _v("MemberName", "Interface"), _CHAN, _kv("RingTime")),
    "agentdump": (_v("Queue", style="bold"), _v("MemberName", "Interface"), _CHAN),
    "confbridgejoin": (_v("Conference", style="bold"), _CHAN, _cid()),
    "confbridgeleave": (_v("Conference", style="bold"), _CHAN, _cid()),
    "confbridgestart": (_v("Conference", style="bold"),),
    "confbridgeend": (_v("Conference", style="bold"),),
    "confbridgetalking": (_v("Conference", style="bold"), _CHAN, _kv("TalkingStatus")),
    "meetmejoin": (_v("Meetme", style="bold"), _CHAN, _kv("User")),
    "meetmeleave": (_v("Meetme", style="bold"), _CHAN, _kv("User")),
    "parkedcall": (_v("ParkeeChannel", style="bold"), _kv("ParkingSpace"), _kv("ParkingLot")),
    "parkedcalltimeout": (_v("ParkeeChannel", style="bold"), _kv("ParkingSpace"), _kv("ParkingLot")),
    "parkedcallgiveup": (_v("ParkeeChannel", style="bold"), _kv("ParkingSpace"), _kv("ParkingLot")),
    "unparkedcall": (_pair("ParkeeChannel", "RetrieverChannel"), _kv("ParkingSpace")),
    "pickup": (_pair("Channel", "TargetChannel"),),
    "chanspystart": (_pair("SpyerChannel", "SpyeeChannel"),),
    "chanspystop": (_pair("SpyerChannel", "SpyeeChannel"),),
    "mixmonitorstart": (_CHAN,),
    "mixmonitorstop": (_CHAN,),
    "masquerade": (_pair("Clone", "Original"),),
    "agiexecstart": (_CHAN, _kv("Command"), _kv("CommandId")),
    "agiexecend": (_CHAN, _kv("Command"), _kv("ResultCode"), _kv("Result")),
    "asyncagistart": (_CHAN,),
    "asyncagiexec": (_CHAN, _kv("CommandID")),
    "asyncagiend": (_CHAN,),
    "channeltalkingstart": (_CHAN,),
    "channeltalkingstop": (_CHAN, _kv("Duration")),
    "fullybooted": (_v("Status"), _kv("Uptime"), _kv("LastReload")),
    "reload": (_v("Module", style="bold"), _v("Status")),
    "load": (_v("Module", style="bold"), _v("Status")),
    "unload": (_v("Module", style="bold"), _v("Status")),
    "shutdown": (_v("Shutdown"), _kv("Restart")),
    "cdr": (_pair("Source", "Destination"), _v("Disposition"), _kv("Duration"), _kv("BillableSeconds", "Billsec")),
    "cel": (_v("EventName", style="bold"), _CHAN, _kv("Application"), _kv("Extra")),
    "dbgetresponse": (_dbkey,),
    "dbgettreeresponse": (_dbkey,),
    "alarm": (_v("Channel", "Span", style="bold"), _v("Alarm")),
    "alarmclear": (_v("Channel", "Span", style="bold"),),
}

# Never worth a place on the one line.
_BOILERPLATE = frozenset(
    k.lower()
    for k in (
        "Event", "Privilege", "SequenceNumber", "File", "Line", "Func", "Uniqueid", "Linkedid",
        "Language", "AccountCode", "SystemName", "ActionID", "EventTV", "EventVersion",
        "ChannelState", "ConnectedLineNum", "ConnectedLineName", "Priority",
    )
)
# Parts of a channel snapshot (also with a prefix: DestChannelState, LocalOneLanguage).
_SNAPSHOT_SUFFIXES = tuple(
    k.lower()
    for k in (
        "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName", "ConnectedLineNum",
        "ConnectedLineName", "Language", "AccountCode", "Context", "Exten", "Priority",
        "Uniqueid", "Linkedid",
    )
)
_noise_cache: dict[tuple[str, bool], bool] = {}


def _is_noise(key: str, has_channel: bool) -> bool:
    """Boilerplate, or (when the event has a Channel) a part of a channel snapshot."""
    ck = (key, has_channel)
    hit = _noise_cache.get(ck)
    if hit is not None:
        return hit
    low = key.lower()
    noise = low in _BOILERPLATE
    if not noise:
        for suffix in _SNAPSHOT_SUFFIXES:
            if low.endswith(suffix) and (has_channel or low != suffix):
                noise = True
                break
    if len(_noise_cache) > 4096:
        _noise_cache.clear()
    _noise_cache[ck] = noise
    return noise


def _generic(msg: Message) -> list[list[Piece]]:
    """The fallback: Channel (when there is one) and the first 3 other headers that matter."""
    out: list[list[Piece]] = []
    channel = msg.get("Channel")
    has_channel = channel is not None
    if channel:
        out.append([(channel, "bold")])
    for key, value in msg.headers:
        if key is None:
            out.append([(value, "")])
        elif (has_channel and key.lower() == "channel") or _is_noise(key, has_channel):
            continue
        else:
            out.append([(key + "=", "dim"), (value, "")])
        if len(out) >= (4 if channel else 3):
            break
    return out


class _Clock:
    """HH:MM:SS.mmm of epoch seconds in local time, with the seconds part cached."""

    __slots__ = ("second", "text")

    def __init__(self) -> None:
        self.second = -1
        self.text = ""

    def __call__(self, when: float) -> str:
        second = int(when)
        if second != self.second:
            self.text = time.strftime("%H:%M:%S", time.localtime(second))
            self.second = second
        ms = int((when - second) * 1000)
        return f"{self.text}.{ms:03d}"


_clock_local = threading.local()

NAME_WIDTH = 17


def render_event_line(msg: Message, when: float | None = None) -> Text:
    """One compact line for an event: time, name (coloured by family), key headers.

    `when`: epoch seconds of arrival, shown as local HH:MM:SS.mmm; None leaves
    the time out. The line never wraps: one too long for the width ends in "…".
    """
    m = msg.masked()
    get = m.get
    name = get("Event")
    if name is None:
        name = m.name or "?"
    pieces: list[Piece] = []
    if when is not None:
        clock = getattr(_clock_local, "clock", None)
        if clock is None:
            clock = _clock_local.clock = _Clock()
        pieces.append((clock(when), "dim"))
        pieces.append((" ", ""))
    pieces.append((name, event_style(name)))
    pad = NAME_WIDTH - len(name)
    pieces.append((" " * pad if pad > 0 else "", ""))
    bare = len(pieces)
    fields = _FIELDS.get(name.lower())
    if fields is not None:
        for field in fields:
            got = field(get)
            if got:
                pieces.append((" ", ""))
                pieces.extend(got)
    else:
        for got in _generic(m):
            pieces.append((" ", ""))
            pieces.extend(got)
    if len(pieces) == bare:
        pieces.pop()  # nothing after the name: no padding
    plain = "".join([p[0] for p in pieces])
    if UNSAFE.search(plain) is not None:
        pieces = [(clean(t), s) for t, s in pieces]
        plain = "".join([p[0] for p in pieces])
    spans = []
    pos = 0
    for text, style in pieces:
        end = pos + len(text)
        if style:
            spans.append(Span(pos, end, style))
        pos = end
    return Text(plain, spans=spans, no_wrap=True, overflow="ellipsis")

