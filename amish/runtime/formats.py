"""Turning results and events into output for scripts: raw AMI bytes and JSON. UI-free.

What the bytes are; `amish.runtime.output` writes them.
"""

from __future__ import annotations

from ..transports.shared import Pending
from ..core.protocol import Message

__all__ = ["FORMATS", "result_raw", "result_json", "event_json"]

FORMATS = ("raw", "json")


def result_raw(result: Pending, mask: bool = False) -> bytes:
    """The result exactly as the server sent it: every message's bytes, in order.

    `mask`: secrets masked (for a screen)."""
    if mask:
        return b"".join(m.masked().raw for m in result.messages)
    return b"".join(m.raw for m in result.messages)


def event_json(message: Message) -> str:
    """One event as one line of JSON (`amish events --format jsonl`): headers as keys, a repeated one a list."""
    import json  # ~5 ms: only for the JSON formats

    return json.dumps(message.to_dict(), ensure_ascii=False)


def result_json(result: Pending, mask: bool = False, server: str | None = None) -> str:
    """One JSON object per result, on one line (jq-friendly).

    {"action": "CoreShowChannels", "actionid": "...", "ok": true, "rtt_ms": 1.2,
     "response": {...}, "events": [{...}], "complete": {...}, "event": {...}}

    Headers become keys; a repeated header (Output, Variable) becomes a list.
    ``events`` holds a list action's items; ``complete`` its closing event;
    ``event`` the awaited event (OriginateResponse). Absent parts are null.
    A result cut short (timeout, disconnect, Ctrl-C) holds what arrived and is
    not ``ok``: ``"incomplete": true`` says so (the key is there only then).
    On a fleet, ``"server"`` (first) names the server that answered.
    """
    def d(m):
        return None if m is None else (m.masked() if mask else m).to_dict()

    incomplete = getattr(result, "error", None) is not None
    obj = {} if server is None else {"server": server}
    obj |= {
        "action": result.action.get("Action"),
        "actionid": result.action_id,
        "ok": result.ok and not incomplete,
        "rtt_ms": None if result.rtt is None else round(result.rtt * 1000, 3),
        "response": d(result.response),
        "events": [d(m) for m in result.events],
        "complete": d(result.complete),
        "event": d(result.event),
    }
    if incomplete:
        obj["incomplete"] = True
    import json  # ~5 ms: only for --format json

    return json.dumps(obj, ensure_ascii=False)
