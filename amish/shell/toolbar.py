"""The bottom toolbar as a pure function of the shell's state (like pgcli's pgtoolbar).

A narrow terminal gets fewer fields, never a field cut in the middle (a cut
`events 20/250` would read "20 of 2"): each field has a rank, the fields are
placed from the highest rank down, each in its longest form that still fits,
and one that does not fit is left out whole. The connection state, READ-ONLY
and what says events are lost or hidden (dropped, follow/scrolled, PAUSED,
filter) rank highest.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ToolbarState", "toolbar_fragments"]


@dataclass(frozen=True, slots=True)
class ToolbarState:
    address: str = ""
    tls: bool = False
    user: str = ""
    ami_version: str = ""
    asterisk_version: str = ""
    state: str = "connected"  # connected | connecting | reconnecting | disconnected
    filter_text: str = ""
    follow: bool = True
    paused: bool = False
    events_visible: bool = True
    rate: float = 0.0  # events per second, recent
    received: int = 0
    shown: int = 0
    evicted: int = 0
    dropped: int = 0  # lost before reaching the shell (subscription overflow)
    in_flight: int = 0
    focus: str = "input"
    read_only: bool = False


@dataclass(frozen=True, slots=True)
class _Field:
    rank: int  # the lowest rank goes first when the toolbar is too wide
    style: str
    forms: tuple[str, ...]  # longest first; the shorter ones are tried before the field goes


# Ranks, from the first to go to the last (the connection state never goes).
_KEYS, _VERSIONS, _EVICTED, _WHO, _TLS, _COUNT, _WAITING, _FILTER, _FOLLOW, _DROPPED, _READ_ONLY = range(11)
_STATE = 99

_KEY_HINTS = ("F1 help  F2 events  F3 focus  F4 pause  F6 channels  F7 calls  Ctrl-D quit", "F1 help")
_SEPARATOR = "│ "


def _count(n: int) -> str:
    if n < 10_000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f}k"
    return f"{n / 1_000_000:.1f}M"


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _groups(s: ToolbarState) -> list[list[_Field]]:
    """The fields in the order shown, in groups that a `│` separates."""
    state_style = {
        "connected": "class:toolbar.ok",
        "connecting": "class:toolbar.warn",
        "reconnecting": "class:toolbar.warn",
        "disconnected": "class:toolbar.bad",
        "replay": "class:toolbar.filter",
        "replay ended": "class:toolbar.dim",
    }.get(s.state, "class:toolbar")
    server = [_Field(_STATE, state_style, (f" {s.state} ",))]
    who = (f"{s.user}@{s.address}", s.address) if s.user else (s.address,)
    server.append(_Field(_WHO, "class:toolbar", who))
    server.append(_Field(_TLS, "class:toolbar.ok" if s.tls else "class:toolbar.dim", ("TLS" if s.tls else "plain",)))
    if s.read_only:
        server.append(_Field(_READ_ONLY, "class:toolbar.warn", ("READ-ONLY",)))
    versions = []
    if s.asterisk_version:
        versions.append(f"Asterisk {s.asterisk_version}")
    if s.ami_version:
        versions.append(f"AMI {s.ami_version}")
    if versions:
        server.append(_Field(_VERSIONS, "class:toolbar.dim", (" ".join(versions),)))

    events = []
    if s.events_visible:
        count = f"events {_count(s.shown)}/{_count(s.received)}"
        events.append(_Field(_COUNT, "class:toolbar", (f"{count} {s.rate:.0f}/s", count)))
        if s.evicted:
            events.append(_Field(_EVICTED, "class:toolbar.dim", (f"evicted {_count(s.evicted)}",)))
        if s.dropped:
            events.append(_Field(_DROPPED, "class:toolbar.bad", (f"dropped {_count(s.dropped)}",)))
        if s.paused:
            events.append(_Field(_FOLLOW, "class:toolbar.warn", ("PAUSED",)))
        follow = ("class:toolbar.ok", "follow") if s.follow else ("class:toolbar.warn", "scrolled")
        events.append(_Field(_FOLLOW, follow[0], (follow[1],)))
        if s.filter_text:
            forms = (f"filter: {_clip(s.filter_text, 30)}", f"filter: {_clip(s.filter_text, 10)}", "filter")
            events.append(_Field(_FILTER, "class:toolbar.filter", tuple(dict.fromkeys(forms))))
    else:
        events.append(_Field(_FOLLOW, "class:toolbar.dim", ("events hidden",)))

    groups = [server, events]
    if s.in_flight:
        groups.append([_Field(_WAITING, "class:toolbar.warn", (f"waiting for {s.in_flight}",))])
    groups.append([_Field(_KEYS, "class:toolbar.dim", _KEY_HINTS)])
    return groups


def _fragments(groups: list[list[_Field]], forms: dict[int, int]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for group in groups:
        shown = [f for f in group if id(f) in forms]
        if not shown:
            continue
        if out:
            out.append(("class:toolbar", _SEPARATOR))
        for field in shown:
            text = field.forms[forms[id(field)]]
            out.append((field.style, text if field.rank == _STATE else text + " "))
    return out


def _width(fragments: list[tuple[str, str]]) -> int:
    return sum(len(text) for _, text in fragments)


def toolbar_fragments(s: ToolbarState, width: int | None = None) -> list[tuple[str, str]]:
    """The toolbar's (style, text) fragments, at most `width` characters wide when it is given.

    Fields are placed by rank, the highest first, each in its longest form that
    still fits; one that does not fit in any form is left out whole. Every state
    is also spelled out in words (NO_COLOR still says it all).
    """
    groups = _groups(s)
    fields = [f for group in groups for f in group]
    if width is None:
        return _fragments(groups, {id(f): 0 for f in fields})
    forms: dict[int, int] = {}  # the form shown of each field placed so far
    for field in sorted(fields, key=lambda f: -f.rank):
        for i in range(len(field.forms)):
            forms[id(field)] = i
            if field.rank == _STATE or _width(_fragments(groups, forms)) <= width:
                break
        else:
            del forms[id(field)]
    return _fragments(groups, forms)
