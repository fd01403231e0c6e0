"""Reading the shell's Channels/Calls views and events pane off a pyte screen, and making held calls.

Shared by the screen tests of the call views (tests/e2e/test_call_views*.py).
"""

from __future__ import annotations

import re

from terminal import Terminal

F6, F7, F3 = "\x1b[17~", "\x1b[18~", "\x1bOR"
UP, DOWN = "\x1b[A", "\x1b[B"
HOLD = re.compile(r"Local/hold@amish-test-[0-9a-f]+;[12]")
HOLD1 = re.compile(r"Local/hold@amish-test-[0-9a-f]+;1")
TAG = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} \S+\s+(#\d+)")


def top_area(term: Terminal) -> list[str]:
    """The lines above the transcript (the view shown at the top); [] in the middle of a redraw."""
    lines = term.screen.display
    end = next((i for i, line in enumerate(lines) if line.startswith(" Transcript ")), None)
    if end is None:
        return []
    return [line.rstrip() for line in lines[:end]]


def transcript(term: Terminal) -> list[str]:
    """The transcript's lines on screen."""
    lines = term.screen.display
    start = next((i for i, line in enumerate(lines) if line.startswith(" Transcript ")), None)
    if start is None:
        return []
    return [line.rstrip() for line in lines[start + 1:] if not line.startswith("ami> ")]


def held_calls(term: Terminal, pattern=HOLD1) -> set[str]:
    """The held calls' channels in the view at the top (their ;1 halves unless told)."""
    return {m.group(0) for line in top_area(term) for m in [pattern.search(line)] if m}


def event_tags(term: Terminal) -> set[str]:
    """The call tags (#42) of the event lines in the events pane ([] when it is not shown)."""
    area = top_area(term)
    if not area or not area[0].startswith(" Events "):
        return set()
    return {m.group(1) for line in area[1:] for m in [TAG.match(line)] if m}


def tag_of(linkedid: str) -> str:
    head, _, tail = linkedid.rpartition(".")
    return "#" + tail


def hang_up_everything(asterisk) -> None:
    asterisk.cli("channel request hangup all")


def hold_call(admin, variables: dict[str, str] | None = None) -> str:
    """A call that stays up (Local/hold@amish-test, its ;1 half in Wait(120)); returns its Linkedid."""
    from amish.core.protocol import Message

    headers = [("Action", "Originate"), ("Channel", "Local/hold@amish-test"), ("Application", "Wait"),
               ("Data", "120"), ("Async", "true")]
    headers += [("Variable", f"{k}={v}") for k, v in (variables or {}).items()]
    sub = admin.subscribe()
    try:
        result = admin.send(headers, timeout=10)
        assert result.ok, result.messages
        import time

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            item = sub.get(timeout=0.5)
            if isinstance(item, Message) and item.get("Event") == "Newchannel" \
                    and (item.get("Channel") or "").startswith("Local/hold@amish-test-") \
                    and (item.get("Channel") or "").endswith(";1"):
                return item.get("Linkedid") or ""
        raise AssertionError("the held call never showed up")
    finally:
        admin.unsubscribe(sub)
