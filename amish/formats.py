"""Turning results into output for scripts: raw AMI bytes and JSON. UI-free."""

from __future__ import annotations

import json

from .connection import Pending
from .protocol import Message

__all__ = ["FORMATS", "result_raw", "result_json", "message_json"]

FORMATS = ("raw", "json")


def result_raw(result: Pending) -> bytes:
    """The result exactly as the server sent it: every message's bytes, in order."""
    return b"".join(m.raw for m in result.messages)


def message_json(message: Message) -> dict[str, object]:
    return message.to_dict()


def result_json(result: Pending) -> str:
    """One JSON object per result, on one line (jq-friendly).

    {"action": "CoreShowChannels", "actionid": "...", "ok": true, "rtt_ms": 1.2,
     "response": {...}, "events": [{...}], "complete": {...}, "event": {...}}

    Headers become keys; a repeated header (Output, Variable) becomes a list.
    ``events`` holds a list action's items; ``complete`` its closing event;
    ``event`` the awaited event (OriginateResponse). Absent parts are null.
    """
    obj = {
        "action": result.action.get("Action"),
        "actionid": result.action_id,
        "ok": result.ok,
        "rtt_ms": None if result.rtt is None else round(result.rtt * 1000, 3),
        "response": None if result.response is None else result.response.to_dict(),
        "events": [m.to_dict() for m in result.events],
        "complete": None if result.complete is None else result.complete.to_dict(),
        "event": None if result.event is None else result.event.to_dict(),
    }
    return json.dumps(obj, ensure_ascii=False)
