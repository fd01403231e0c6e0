"""The bottom toolbar as a pure function of the shell's state (like pgcli's pgtoolbar)."""

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


def _count(n: int) -> str:
    if n < 10_000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f}k"
    return f"{n / 1_000_000:.1f}M"


def toolbar_fragments(s: ToolbarState) -> list[tuple[str, str]]:
    """The toolbar's (style, text) fragments; every state is also spelled out in words."""
    out: list[tuple[str, str]] = []
    state_style = {
        "connected": "class:toolbar.ok",
        "connecting": "class:toolbar.warn",
        "reconnecting": "class:toolbar.warn",
        "disconnected": "class:toolbar.bad",
        "replay": "class:toolbar.filter",
        "replay ended": "class:toolbar.dim",
    }.get(s.state, "class:toolbar")
    out.append((state_style, f" {s.state} "))
    who = f"{s.user}@{s.address}" if s.user else s.address
    out.append(("class:toolbar", f" {who} "))
    out.append(("class:toolbar.ok" if s.tls else "class:toolbar.dim", "TLS " if s.tls else "plain "))
    if s.read_only:
        out.append(("class:toolbar.warn", "READ-ONLY "))
    versions = []
    if s.asterisk_version:
        versions.append(f"Asterisk {s.asterisk_version}")
    if s.ami_version:
        versions.append(f"AMI {s.ami_version}")
    if versions:
        out.append(("class:toolbar.dim", " ".join(versions) + " "))
    out.append(("class:toolbar", "│ "))
    if s.events_visible:
        out.append(("class:toolbar", f"events {_count(s.shown)}/{_count(s.received)} "))
        if s.evicted:
            out.append(("class:toolbar.dim", f"evicted {_count(s.evicted)} "))
        if s.dropped:
            out.append(("class:toolbar.bad", f"dropped {_count(s.dropped)} "))
        out.append(("class:toolbar", f"{s.rate:.0f}/s "))
        if s.paused:
            out.append(("class:toolbar.warn", "PAUSED "))
        out.append(("class:toolbar.ok" if s.follow else "class:toolbar.warn", "follow " if s.follow else "scrolled "))
        if s.filter_text:
            shown = s.filter_text if len(s.filter_text) <= 30 else s.filter_text[:29] + "…"
            out.append(("class:toolbar.filter", f"filter: {shown} "))
    else:
        out.append(("class:toolbar.dim", "events hidden "))
    if s.in_flight:
        out.append(("class:toolbar.warn", f"│ waiting for {s.in_flight} "))
    out.append(("class:toolbar.dim", "│ F1 help  F2 events  F3 focus  F4 pause  Ctrl-D quit"))
    return out
