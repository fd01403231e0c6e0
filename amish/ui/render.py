"""How amish shows AMI results and events on a terminal, with rich.

Rich only: nothing here imports prompt_toolkit, so the pipe tool and tests can
use it, and the interactive shell turns the output into pane lines with `to_ansi`.

Every message goes through `Message.masked()` before anything of it is drawn,
so a Secret, a Login's Key or a password in GetConfig output never reaches the
screen. Every value is also made safe to print: control characters (ESC, C1
codes such as CSI, CR, BEL...) and undecodable bytes are shown escaped
(``\\x1b``) rather than sent to the terminal, so a hostile CallerIDName cannot
drive the terminal. User text is always wrapped in `Text`, never parsed as
markup, and no link markup is ever used (no OSC-8 sequences).
What counts as a secret (and every masker) is `amish.core.secrets`'s; GetConfigJSON
shown as ini lines is masked variable by variable with its `mask_config_value`.

A list result is a table when it fits the width (columns empty in every item
are left out and named in the caption); wider than that, rich would squeeze
each column to a few letters, so it becomes one aligned record per item.

Public API::

    render_result(result: Pending) -> Group
    render_event_line(msg: Message, when: float | None = None) -> Text
    render_event_full(msg: Message) -> Group
    render_message(msg: Message | Banner | object) -> renderable
    render_protocol_error(err: ProtocolError) -> Text
    to_ansi(renderable, width: int, color: bool = True) -> str
    to_plain(renderable, width: int) -> str

Colours are the 16 ANSI names only (they follow the user's terminal theme).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from io import StringIO
from typing import Any, Callable, Iterable, Protocol

from rich import box
from rich.cells import cell_len, chop_cells
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.padding import Padding
from rich.rule import Rule
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Span, Text

from ..core.protocol import Banner, Message, ProtocolError
from ..core.secrets import mask_bytes, mask_config_value, mask_json

__all__ = [
    "render_result",
    "render_event_line",
    "render_event_full",
    "render_awaited_event",
    "render_message",
    "render_protocol_error",
    "event_style",
    "to_ansi",
    "to_plain",
    "OK_MARK",
    "ERROR_MARK",
]

OK_MARK = "✔"
ERROR_MARK = "✖"


class ResultLike(Protocol):
    """What render_result needs of a result (amish.transports.connection.Pending has it all)."""

    action: Message
    response: Message | None
    events: list[Message]
    complete: Message | None
    event: Message | None

    @property
    def rtt(self) -> float | None: ...


# -- making text safe to print ---------------------------------------------

# C0 controls except TAB, DEL, C1 controls (0x9b is a one-byte CSI on some
# terminals), and lone surrogates (undecodable bytes kept by surrogateescape).
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff]")


def _escape_char(m: re.Match[str]) -> str:
    c = ord(m.group())
    if 0xDC80 <= c <= 0xDCFF:  # surrogateescape of byte c - 0xDC00
        return f"\\x{c - 0xDC00:02x}"
    if c >= 0xD800:
        return "\ufffd"
    return f"\\x{c:02x}"


def _clean(text: str) -> str:
    """`text` with every character that could drive a terminal shown escaped."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escape_char, text)


def _text(value: str | None, style: str | Style = "") -> Text:
    return Text(_clean(value or ""), style=style)


# -- colours of events ------------------------------------------------------

# family -> style; only the 16 ANSI colour names.
_FAMILY_STYLE = {
    "channel": "green",
    "hangup": "red",
    "dial": "yellow",
    "bridge": "blue",
    "dialplan": "cyan",
    "var": "magenta",
    "security": "bright_red",
    "auth_ok": "bright_green",
    "queue": "bright_blue",
    "endpoint": "bright_cyan",
    "system": "bright_yellow",
    "cdr": "white",
    "dtmf": "bright_magenta",
    "other": "",
}

_FAMILY_BY_NAME = {
    # channel lifecycle
    "newchannel": "channel", "newstate": "channel", "rename": "channel",
    "newcallerid": "channel", "newconnectedline": "channel", "newaccountcode": "channel",
    "hold": "channel", "unhold": "channel", "status": "channel", "coreshowchannel": "channel",
    "channeltalkingstart": "channel", "channeltalkingstop": "channel", "masquerade": "channel",
    "musiconholdstart": "channel", "musiconholdstop": "channel", "flash": "channel",
    "wink": "channel", "mixmonitorstart": "channel", "mixmonitorstop": "channel",
    "mixmonitormute": "channel", "chanspystart": "channel", "chanspystop": "channel",
    "pickup": "channel", "alarm": "channel", "alarmclear": "channel",
    "hangup": "hangup", "hanguprequest": "hangup", "softhanguprequest": "hangup",
    # dial
    "dialbegin": "dial", "dialend": "dial", "dialstate": "dial", "originateresponse": "dial",
    # bridge and transfer
    "localbridge": "bridge", "localoptimizationbegin": "bridge", "localoptimizationend": "bridge",
    "attendedtransfer": "bridge", "blindtransfer": "bridge",
    # dialplan and variables
    "newexten": "dialplan", "varset": "var", "userevent": "var",
    # security (res_security_log / AMI security events)
    "invalidaccountid": "security", "invalidpassword": "security",
    "challengeresponsefailed": "security", "failedacl": "security",
    "requestbadformat": "security", "requestnotallowed": "security",
    "authrequestformat": "security", "authmethodnotallowed": "security",
    "unexpectedaddress": "security", "invalidtransport": "security",
    "loadaveragelimit": "security", "memorylimit": "security", "sessionlimit": "security",
    "sessiontimeout": "security", "requestnotsupported": "security",
    "successfulauth": "auth_ok", "challengesent": "auth_ok",
    # endpoints, peers, devices
    "peerstatus": "endpoint", "contactstatus": "endpoint", "registry": "endpoint",
    "devicestatechange": "endpoint", "extensionstatus": "endpoint",
    "presencestatechange": "endpoint", "presencestatus": "endpoint",
    # system
    "fullybooted": "system", "reload": "system", "shutdown": "system", "load": "system",
    "unload": "system", "moduleloadreport": "system", "successfulauthx": "system",
    # cdr / cel
    "cdr": "cdr", "cel": "cdr",
    # dtmf
    "dtmfbegin": "dtmf", "dtmfend": "dtmf",
}

_FAMILY_BY_PREFIX = (
    ("bridge", "bridge"),
    ("dial", "dial"),
    ("queue", "queue"),
    ("agent", "queue"),
    ("confbridge", "queue"),
    ("meetme", "queue"),
    ("park", "queue"),
    ("unpark", "queue"),
    ("agi", "dialplan"),
    ("asyncagi", "dialplan"),
    ("hangup", "hangup"),
    ("contact", "endpoint"),
    ("endpoint", "endpoint"),
    ("peer", "endpoint"),
    ("aor", "endpoint"),
    ("auth", "endpoint"),
    ("identify", "endpoint"),
    ("transport", "endpoint"),
    ("outboundregistration", "endpoint"),
    ("inboundregistration", "endpoint"),
    ("device", "endpoint"),
    ("presence", "endpoint"),
    ("dtmf", "dtmf"),
    ("mixmonitor", "channel"),
    ("musiconhold", "channel"),
)

_style_cache: dict[str, str] = {}


def event_style(name: str) -> str:
    """The style (an ANSI colour name, maybe with bold) of an event by its family."""
    style = _style_cache.get(name)
    if style is not None:
        return style
    low = name.lower()
    family = _FAMILY_BY_NAME.get(low)
    if family is None:
        family = "other"
        for prefix, fam in _FAMILY_BY_PREFIX:
            if low.startswith(prefix):
                family = fam
                break
    colour = _FAMILY_STYLE[family]
    style = f"bold {colour}" if colour else "bold"
    if len(_style_cache) > 4096:  # a flood of made-up names must not grow it forever
        _style_cache.clear()
    _style_cache[name] = style
    return style


# -- the compact event line --------------------------------------------------

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

# OriginateResponse Reason: the last control frame seen (AST_CONTROL_*).
_ORIGINATE_REASONS = {
    "0": "failed", "1": "hung up", "2": "ring", "3": "ringing, no answer",
    "4": "answered", "5": "busy", "8": "congestion",
}

#: What an Error response's Message means, when Asterisk's own words do not say
#: (lower-cased Message -> one line). Older Asterisk spells it "priveledges".
_ERROR_HINTS = {
    "file requires escalated privileges": (
        "the file does not exist yet or lies outside its config directory, which Asterisk refuses "
        "to any login; make a new one with CreateConfig first"
    ),
}
_ERROR_HINTS["file requires escalated priveledges"] = _ERROR_HINTS["file requires escalated privileges"]


def error_hint(message: str | None) -> str | None:
    """One line explaining an Error response's Message, or None."""
    return _ERROR_HINTS.get((message or "").strip().lower())


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
    txt = _ORIGINATE_REASONS.get(reason)
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
    if _UNSAFE.search(plain) is not None:
        pieces = [(_clean(t), s) for t, s in pieces]
        plain = "".join([p[0] for p in pieces])
    spans = []
    pos = 0
    for text, style in pieces:
        end = pos + len(text)
        if style:
            spans.append(Span(pos, end, style))
        pos = end
    return Text(plain, spans=spans, no_wrap=True, overflow="ellipsis")


# -- headers as two columns ---------------------------------------------------


def _grid(headers: Iterable[tuple[str | None, str]], value_styles: dict[str, str] | None = None) -> "_Pairs":
    """Headers aligned in two columns: key dim, value normal (see _Pairs)."""
    return _Pairs(headers, value_styles)


class _Pairs:
    """Key/value pairs in two aligned columns; keys never wrap, long values fold.

    Too narrow for two columns (the keys would leave the values a sliver), each
    key goes on its own line with its value indented below it.
    """

    MIN_VALUE = 16

    def __init__(self, headers: Iterable[tuple[str | None, str]], value_styles: dict[str, str] | None = None):
        rows = []
        for key, value in headers:
            style = ""
            if value_styles and key is not None:
                style = value_styles.get(key.lower(), "")
            rows.append((_clean(key or ""), _clean(value), style))
        self.rows = rows

    def _table(self) -> Table:
        grid = Table.grid(padding=(0, 2, 0, 0))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="fold")
        for key, value, style in self.rows:
            grid.add_row(Text(key, style="dim"), Text(value, style=style))
        return grid

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.rows:
            return
        width = options.max_width
        key_width = max(cell_len(key) for key, _, _ in self.rows)
        longest = max(cell_len(value) for _, value, _ in self.rows)
        if key_width + 2 + min(longest, self.MIN_VALUE) <= width:
            yield self._table()
            return
        for key, value, style in self.rows:
            if key:
                yield Text(key, style="dim", overflow="fold")
            if value or not key:
                yield Padding(Text(value, style=style, overflow="fold"), (0, 0, 0, 2 if width > 8 else 0))

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self._table())


class _Preformatted:
    """Lines exactly as given (leading spaces kept), cut at the width, never re-wrapped."""

    def __init__(self, lines: list[str], style: str = ""):
        self.lines = [_clean(line).expandtabs(8).rstrip() for line in lines]
        self.style = Style.parse(style) if style else None

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(1, options.max_width)
        style = self.style
        newline = Segment.line()
        for line in self.lines:
            if cell_len(line) <= width:
                if line:
                    yield Segment(line, style)
                yield newline
            else:
                for chunk in chop_cells(line, width):
                    yield Segment(chunk, style)
                    yield newline

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        longest = max((cell_len(line) for line in self.lines), default=0)
        return Measurement(min(1, longest), longest).clamp(max_width=options.max_width)


# -- results -----------------------------------------------------------------

_GENERATED_ID = re.compile(r"^amish-\d+-\d+$")
_CONFIG_KEY = re.compile(r"(?i)^(category|line|istemplate|templates)-(\d+)(?:-(\d+))?$")


def _status_line(mark_ok: bool, status: str, name: str, message: str | None,
                 rtt: float | None) -> Text:
    text = Text()
    if mark_ok:
        text.append(f"{OK_MARK} {status}", style="bold green")
    else:
        text.append(f"{ERROR_MARK} {status}", style="bold red")
    if name:
        text.append("  ")
        text.append(_clean(name), style="bold")
    if message:
        text.append("  ")
        text.append(_clean(message))
    if rtt is not None:
        text.append("  ")
        text.append(_format_rtt(rtt), style="dim")
    return text


def _format_rtt(seconds: float) -> str:
    ms = seconds * 1000
    if ms < 10:
        return f"{ms:.1f} ms"
    if ms < 10000:
        return f"{ms:.0f} ms"
    return f"{seconds:.1f} s"


def _is_ok_status(status: str) -> bool:
    return status.lower() in ("success", "follows", "goodbye")


def _getconfig_block(headers: list[tuple[str | None, str]]) -> tuple[list[str], list[tuple[str | None, str]]]:
    """GetConfig's Category-/Line- headers as ini lines; and the headers that are not."""
    lines: list[str] = []
    rest: list[tuple[str | None, str]] = []
    current: str | None = None
    marks: dict[str, list[str]] = {}
    head_at: dict[str, int] = {}
    for key, value in headers:
        m = _CONFIG_KEY.match(key) if key else None
        if m is None:
            rest.append((key, value))
            continue
        kind, cat = m.group(1).lower(), m.group(2)
        if kind == "category":
            if lines:
                lines.append("")
            head_at[cat] = len(lines)
            lines.append(f"[{value}]")
            current = cat
        elif kind == "istemplate":
            if value.strip() not in ("", "0"):
                marks.setdefault(cat, []).insert(0, "!")
        elif kind == "templates":
            if value:
                marks.setdefault(cat, []).append(value)
        else:  # line
            if cat != current:  # a line of a category we have no header for
                if lines:
                    lines.append("")
                head_at[cat] = len(lines)
                lines.append(f"[category {int(cat)}]")
                current = cat
            lines.append(value)
    for cat, extra in marks.items():
        i = head_at.get(cat)
        if i is not None:
            lines[i] += "(" + ",".join(extra) + ")"
    return lines, rest


def _header_block(msg: Message, skip: set[str], user_id: bool) -> list[RenderableType]:
    """The headers of a response not shown elsewhere: grid, Command output, GetConfig."""
    out: list[RenderableType] = []
    output: list[str] = []
    output_config: list[str] = []
    shown: list[tuple[str | None, str]] = []
    has_config = False
    for key, value in msg.headers:
        low = key.lower() if key is not None else None
        if low in skip:
            continue
        if low == "actionid":
            if user_id:
                shown.append((key, value))
            continue
        if low == "output":
            output.append(value)
            continue
        if low is not None and (low.startswith("category-") or low.startswith("line-")):
            has_config = True
        if low == "json":
            ini = _json_config(value)
            if ini is not None:
                output_config.extend(ini)
                continue
            value = mask_json(value)
        shown.append((key, value))
    config_lines: list[str] = []
    if has_config:
        config_lines, shown = _getconfig_block(shown)
    if shown:
        styles = {"actionid": "dim"}
        out.append(_grid(shown, styles))
    config_lines += output_config
    if config_lines:
        out.append(_Preformatted(config_lines))
    if output:
        out.append(_Preformatted(output))
    return out


def _json_config(value: str) -> list[str] | None:
    """GetConfigJSON's {"category": {"var": "value"}} as ini lines (secrets masked); None if not that."""
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        return None
    lines: list[str] = []
    for category, variables in data.items():
        if lines:
            lines.append("")
        lines.append(f"[{category}]")
        for name, val in variables.items():
            if isinstance(val, list):  # repeated variables
                vals = val
            else:
                vals = [val]
            for one in vals:
                shown = mask_config_value(str(name), str(one))
                lines.append(f"{name}={shown}")
    return lines


_CHANNELISH = re.compile(r"(?i)(channel|uniqueid|linkedid|bridgeid|endpoint|objectname|interface|aor|uri|contact)$")


def _item_rows(items: list[Message], drop_event: bool) -> tuple[list[str], list[dict[str, list[str]]]]:
    """Columns (union of headers, first seen first) and each item's values by column."""
    columns: dict[str, str] = {}  # lower -> shown name
    rows: list[dict[str, list[str]]] = []
    for item in items:
        row: dict[str, list[str]] = {}
        for key, value in item.headers:
            name = key if key is not None else ""
            low = name.lower()
            if low == "actionid" or (drop_event and low == "event"):
                continue
            if low not in columns:
                columns[low] = name
            row.setdefault(low, []).append(value)
        rows.append(row)
    return list(columns.values()), rows


class _ListView:
    """A list result: a table when it fits the width, else one record per item.

    Tried in order: the table of every column (those empty in every item left
    out and named in the caption); the table without the columns whose value
    is the same in every item (their values go in the caption, so nothing is
    hidden); one aligned record per item.
    """

    def __init__(self, items: list[Message], title: str | None, caption: Text, single_record: bool):
        self.items = items
        self.title = title
        self.caption = caption
        self.single_record = single_record
        names = {(m.get("Event") or "").lower() for m in items}
        self.drop_event = len(names) == 1
        cols, rows = _item_rows(items, self.drop_event)
        self.rows = rows
        # columns empty in every item take room and say nothing
        self.empty = [c for c in cols if all(not "".join(r.get(c.lower(), [])) for r in rows)]
        if len(self.empty) == len(cols):
            self.empty = []
        self.columns = [c for c in cols if c not in self.empty]
        self.constant: list[tuple[str, str]] = []
        if len(rows) > 1:
            for col in self.columns:
                first = rows[0].get(col.lower())
                if first is not None and len(first) == 1 and all(r.get(col.lower()) == first for r in rows):
                    self.constant.append((col, first[0]))

    def _caption(self, empty: bool = True, constant: bool = False) -> Text:
        caption = self.caption.copy()
        if self.empty and empty:
            caption.append("  empty: ", style="dim")
            caption.append(", ".join(_clean(c) for c in self.empty), style="dim")
        if self.constant and constant:
            caption.append("  same in every item: ", style="dim")
            for i, (col, value) in enumerate(self.constant):
                if i:
                    caption.append(", ", style="dim")
                caption.append(_clean(col) + "=", style="dim")
                caption.append(_clean(value))
        return caption

    def _table(self, columns: list[str]) -> Table:
        table = Table(
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            header_style="bold",
            title=_text(self.title, "bold") if self.title else None,
            title_justify="left",
        )
        for col in columns:
            if _CHANNELISH.search(col):
                table.add_column(_text(col), no_wrap=True, overflow="fold")
            else:
                table.add_column(_text(col), overflow="fold")
        for row in self.rows:
            table.add_row(*(_text("\n".join(row.get(c.lower(), []))) for c in columns))
        return table

    def _records(self) -> list[RenderableType]:
        out: list[RenderableType] = []
        n = len(self.items)
        for i, item in enumerate(self.items, 1):
            label = self.title or (item.get("Event") or "item")
            if n > 1:
                label = f"{label} {i}/{n}"
            out.append(Rule(_text(label, "bold"), align="left", style="dim", characters="─"))
            headers = [
                (k, v) for k, v in item.headers
                if (k or "").lower() != "actionid" and not (self.drop_event and (k or "").lower() == "event")
            ]
            out.append(_grid(headers))
        out.append(self._caption(empty=False))
        return out

    def _fits(self, console: Console, options: ConsoleOptions, columns: list[str], table: Table) -> bool:
        """The table fits at its natural width, or with each column at least as wide as its
        title (up to 10 cells; channel names whole), letting rich wrap longer values."""
        width = options.max_width
        measured = Measurement.get(console, options.update(width=10**6), table)
        if measured.maximum <= width:
            return True
        natural = []
        for col in columns:
            low = col.lower()
            longest = cell_len(col)
            for row in self.rows:
                for value in row.get(low, ()):
                    longest = max(longest, cell_len(value))
            natural.append((col, longest))
        needed = measured.maximum - sum(n for _, n in natural)  # borders and padding
        for col, n in natural:
            if _CHANNELISH.search(col):
                needed += n
            else:
                needed += min(n, max(cell_len(col), 10))
        return needed <= width

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.items:
            yield self._caption()
            return
        if not self.single_record or len(self.items) > 1:
            if self.columns:
                table = self._table(self.columns)
                if self._fits(console, options, self.columns, table):
                    yield table
                    yield self._caption()  # under the table, but as wide as the screen
                    return
            if self.constant:
                same = {c for c, _ in self.constant}
                columns = [c for c in self.columns if c not in same]
                if columns:
                    table = self._table(columns)
                    if self._fits(console, options, columns, table):
                        yield table
                        yield self._caption(constant=True)
                        return
        yield from self._records()


def _items_caption(result: ResultLike) -> Text:
    n = len(result.events)
    caption = Text(f"{n} item" + ("" if n == 1 else "s"), style="dim")
    complete = result.complete
    if complete is not None:
        complete = complete.masked()
        said = complete.get("ListItems")
        if said is not None:
            try:
                count = int(said)
            except ValueError:
                count = None
            if count != n:
                caption.append(f"  but {complete.get('Event') or 'the complete event'} says ListItems: {_clean(said)}",
                               style="bold yellow")
    elif getattr(result, "done_at", None) is not None or getattr(result, "done", False):
        caption.append("  (no ...Complete event: the list may be cut short)", style="yellow")
    return caption


def _awaited_event(event: Message) -> list[RenderableType]:
    ev = event.masked()
    status = ev.get("Response") or ""
    ok = status.lower() in ("success", "")
    line = Text()
    line.append(f"{OK_MARK if ok else ERROR_MARK} ", style="bold green" if ok else "bold red")
    line.append(_clean(ev.get("Event") or "event"), style="bold")
    if status:
        line.append(" ")
        line.append(_clean(status), style="bold green" if ok else "bold red")
    reason = ev.get("Reason")
    if reason is not None:
        txt = _ORIGINATE_REASONS.get(reason) if (ev.get("Event") or "").lower() == "originateresponse" else None
        line.append("  Reason: ", style="dim")
        line.append(_clean(f"{reason} ({txt})" if txt else reason))
    rest = [
        (k, v) for k, v in ev.headers
        if (k or "").lower() not in ("event", "response", "reason", "privilege", "actionid")
    ]
    out: list[RenderableType] = [line]
    if rest:
        out.append(_grid(rest))
    return out


def render_awaited_event(event: Message) -> Group:
    """The event an action's outcome waits for (OriginateResponse): its status, reason and headers."""
    return Group(*_awaited_event(event))


def render_result(result: ResultLike) -> Group:
    """A complete action result: status line, headers, Command output, list table, awaited event."""
    action = result.action.masked()
    name = action.get("Action") or ""
    resp = result.response.masked() if result.response is not None else None
    rtt = getattr(result, "rtt", None)
    parts: list[RenderableType] = []
    if resp is None:
        error = getattr(result, "error", None)
        if error is not None:
            parts.append(_status_line(False, type(error).__name__, name, str(error), rtt))
        else:
            parts.append(_status_line(False, "No response", name, "still waiting", rtt))
        return Group(*parts)
    status = resp.get("Response") or resp.name or "?"
    message = resp.get("Message")
    parts.append(_status_line(_is_ok_status(status), status, name, message, rtt))
    hint = None if _is_ok_status(status) else error_hint(message)
    if hint:
        parts.append(Text(f"  {hint}", style="yellow"))
    action_id = resp.get("ActionID")
    user_id = action_id is not None and not _GENERATED_ID.match(action_id)
    is_list = bool(result.events) or result.complete is not None
    skip = {"response", "message"}
    if is_list:
        skip.add("eventlist")
    parts.extend(_header_block(resp, skip, user_id))
    if is_list:
        items = [m.masked() for m in result.events]
        names = {(m.get("Event") or "") for m in items}
        title = next(iter(names)) if len(names) == 1 else None
        single = len(items) == 1  # one item (DBGet): its headers, as a record
        parts.append(_ListView(items, title, _items_caption(result), single))
    if result.event is not None:
        parts.extend(_awaited_event(result.event))
    return Group(*parts)


# -- single messages -----------------------------------------------------------


def render_event_full(msg: Message) -> Group:
    """An event with all its headers aligned; the event name in its family colour."""
    m = msg.masked()
    name = m.get("Event") or m.name
    styles = {"event": event_style(name)} if name else None
    return Group(_grid(m.headers, styles))


def render_message(msg: Message | Banner | ProtocolError | object) -> RenderableType:
    """Anything that is not a result or a plain event: a late response, a banner, a notice."""
    if isinstance(msg, ProtocolError):
        return render_protocol_error(msg)
    if isinstance(msg, Banner):
        return Text.assemble(("connected: ", "dim"), (_clean(msg.text), "bold"))
    if isinstance(msg, Message):
        m = msg.masked()
        if m.kind == "event":
            return render_event_full(m)
        if m.kind == "response":
            status = m.get("Response") or "?"
            line = _status_line(_is_ok_status(status), status, "", m.get("Message"), None)
            action_id = m.get("ActionID")
            if action_id is not None:
                line.append("  (no action waiting for it; ActionID ", style="dim")
                line.append(_clean(action_id), style="dim")
                line.append(")", style="dim")
            return Group(line, *_header_block(m, {"response", "message", "actionid"}, False))
        return _grid(m.headers)
    reason = getattr(msg, "reason", None)
    if isinstance(reason, str):  # connection.Closed and the like
        return Text.assemble((f"{ERROR_MARK} ", "bold red"), (_clean(reason), "red"))
    if isinstance(msg, Text):
        return msg
    return _text(str(msg))


def render_protocol_error(err: ProtocolError) -> Text:
    """One red line: what was wrong, how many bytes were skipped, and their start."""
    text = Text(style="red", no_wrap=True, overflow="ellipsis")
    text.append(f"{ERROR_MARK} protocol error: ", style="bold red")
    text.append(_clean(err.reason))
    if err.skipped:
        text.append(f" ({err.skipped} byte{'s' if err.skipped != 1 else ''} skipped)")
    if err.sample:
        sample = mask_bytes(err.sample)[:80]
        shown = repr(sample)[2:-1]  # b'...' -> ...
        text.append(": ", style="dim")
        text.append(_clean(shown), style="dim")
    return text


# -- to text -------------------------------------------------------------------

# Every escape sequence except SGR (ESC [ ... m): OSC (hyperlinks, titles), other
# CSI (cursor moves), and two-byte escapes.
_NON_SGR = re.compile(
    r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b\[[0-9;:?<=>]*[ -/]*[@-ln-~]"
    r"|\x1b[@-Z\\^_P]"
)
_consoles = threading.local()


def _no_color_env() -> bool:
    return os.environ.get("NO_COLOR", "") != ""


def _console(width: int, color: bool) -> tuple[Console, StringIO]:
    cache = getattr(_consoles, "cache", None)
    if cache is None:
        cache = _consoles.cache = {}
    key = (width, color)
    hit = cache.get(key)
    if hit is None:
        if len(cache) > 16:
            cache.clear()
        buf = StringIO()
        console = Console(
            file=buf,
            force_terminal=True,
            width=width,
            color_system="standard" if color else None,
            no_color=not color,
            legacy_windows=False,
            soft_wrap=False,
            highlight=False,
            markup=False,
            emoji=False,
            tab_size=8,
            _environ={},  # the width and colours are ours, not COLUMNS / TERM / FORCE_COLOR
        )
        hit = cache[key] = (console, buf)
    return hit


def _render(renderable: RenderableType, width: int, color: bool) -> str:
    console, buf = _console(max(1, int(width)), color)
    buf.seek(0)
    buf.truncate()
    if isinstance(renderable, Text):
        # print() joins Text objects into a new one, which would lose these
        console.print(renderable, no_wrap=renderable.no_wrap, overflow=renderable.overflow)
    else:
        console.print(renderable)
    out = buf.getvalue()
    buf.seek(0)
    buf.truncate()
    if out.endswith("\n"):
        out = out[:-1]
    if " \n" in out or " \x1b[" in out or out.endswith(" "):
        out = _TRAILING.sub(_drop_trailing, out)
    return out


# Spaces at the end of a line, with the SGR codes among them (table and title padding).
_TRAILING = re.compile(r"(?:\x1b\[[0-9;]*m)*(?: (?:\x1b\[[0-9;]*m)*)+$", re.M)


def _drop_trailing(m: re.Match[str]) -> str:
    return "\x1b[0m" if "\x1b" in m.group() else ""


def to_ansi(renderable: RenderableType, width: int, color: bool = True) -> str:
    """`renderable` as text `width` cells wide, with ANSI SGR codes (16 colours).

    No colour (and no escape codes at all) when `color` is False or NO_COLOR is
    set. Only SGR sequences remain: OSC (hyperlinks) and cursor codes are removed.
    The final newline is left off.
    """
    color = color and not _no_color_env()
    if type(renderable) is Text:
        fast = _text_line(renderable, max(1, int(width)), color)
        if fast is not None:
            return fast
    out = _render(renderable, width, color)
    if "\x1b" in out and not color:
        out = _strip_all(out)
    elif "\x1b" in out:
        out = _NON_SGR.sub("", out)
    return out


_sgr_cache: dict[Any, tuple[str, str]] = {}


def _sgr(console: Console, style: str | Style) -> tuple[str, str]:
    """The codes that start and end `style` (16 colours), as Style.render writes them."""
    rendered = console.get_style(style, default=Style.null()).render("\0", color_system=console._color_system)
    head, _, tail = rendered.partition("\0")
    if len(_sgr_cache) > 1024:
        _sgr_cache.clear()
    _sgr_cache[style] = (head, tail)
    return head, tail


def _text_line(text: Text, width: int, color: bool) -> str | None:
    """A one-line Text straight to SGR codes, skipping Console.print (10x faster).

    The same output as printing it; None when the text needs the full machinery
    (line breaks, tabs, or wrapping).
    """
    plain = text.plain
    if "\n" in plain or "\t" in plain or "\x1b" in plain:
        return None
    if plain.endswith(" "):
        text = text.copy()
        text.rstrip()
        plain = text.plain
    if cell_len(plain) > width:
        if not text.no_wrap:
            return None
        text = text.copy()
        text.truncate(width, overflow=text.overflow or "fold")
        plain = text.plain
    if not color:
        return plain
    console = _console(width, True)[0]
    color_system = console._color_system
    out = []
    append = out.append
    spans = text.spans
    if not text.style and all(a.end <= b.start for a, b in zip(spans, spans[1:])):
        # spans in order and not overlapping (event lines): no style stacking to do
        pos = 0
        end_of_text = len(plain)
        for start, end, style in spans:
            if end > end_of_text:
                end = end_of_text
            if start >= end:
                continue
            if start > pos:
                append(plain[pos:start])
            sgr = _sgr_cache.get(style)
            if sgr is None:
                sgr = _sgr(console, style)
            append(sgr[0])
            append(plain[start:end])
            append(sgr[1])
            pos = end
        if pos < end_of_text:
            append(plain[pos:])
        return "".join(out)
    for seg_text, style, _control in text.render(console):
        if style:
            append(style.render(seg_text, color_system=color_system))
        else:
            append(seg_text)
    return "".join(out)


_ANY_ESCAPE = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b\[[0-9;:?<=>]*[ -/]*[@-~]|\x1b[@-Z\\^_P]")


def _strip_all(text: str) -> str:
    return _ANY_ESCAPE.sub("", text)


def to_plain(renderable: RenderableType, width: int) -> str:
    """`renderable` as plain text `width` cells wide, trailing spaces removed."""
    out = _render(renderable, width, False)
    if "\x1b" in out:
        out = _strip_all(out)
    return "\n".join(line.rstrip() for line in out.split("\n"))
