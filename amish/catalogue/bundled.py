"""The bundled catalogue: ``amish/data/catalogue.json``, its format both ways.

`scripts/gen-catalogue` writes it with `dump_bundled` from Asterisk's XML
documentation (`xmldoc.read_docs`); `Catalogue.bundled()` reads it back with
`read_bundled` and `parse_bundled` on first use, never at import. Structure
only: action and parameter names, required/repeatable flags, defaults,
enumerated values, list actions, event headers and classes; no prose from
Asterisk is bundled.
"""

from __future__ import annotations

import json
from typing import Iterable

from .specs import ActionSpec, EventSpec, Param, sort_key

__all__ = ["FORMAT", "dump_bundled", "read_bundled", "parse_bundled"]

#: The version of the JSON layout; a file of another one is refused.
FORMAT = 1


def _param_json(p: Param):
    extra = {}
    if p.required:
        extra["required"] = True
    if p.multiple:
        extra["multiple"] = True
    if p.default is not None:
        extra["default"] = p.default
    if p.values:
        extra["values"] = list(p.values)
    return {"name": p.name, **extra} if extra else p.name


def _param_from_json(obj) -> Param:
    if isinstance(obj, str):
        return Param(obj)
    return Param(
        obj["name"],
        required=bool(obj.get("required", False)),
        multiple=bool(obj.get("multiple", False)),
        default=obj.get("default"),
        values=tuple(obj.get("values", ())),
    )


def dump_bundled(actions: Iterable[ActionSpec], events: Iterable[EventSpec]) -> str:
    """The bundled JSON for these specs: structure only, one action or event per line."""
    out = ['{"format":%d,' % FORMAT, '"about":"AMI actions and events: structure only, from Asterisk\'s XML documentation by scripts/gen-catalogue",', '"actions":{']
    dumps = lambda o: json.dumps(o, ensure_ascii=False, separators=(",", ":"))  # noqa: E731
    rows = []
    for a in sorted(actions, key=lambda s: sort_key(s.name)):
        obj: dict = {"params": [_param_json(p) for p in a.params]}
        if a.list_action:
            obj["list"] = True
        if a.final_event:
            obj["final"] = a.final_event
        rows.append(f"{dumps(a.name)}:{dumps(obj)}")
    out.append(",\n".join(rows))
    out.append('},\n"events":{')
    rows = []
    for e in sorted(events, key=lambda s: sort_key(s.name)):
        obj = {"class": e.event_class, "headers": [_param_json(p) for p in e.headers]}
        rows.append(f"{dumps(e.name)}:{dumps(obj)}")
    out.append(",\n".join(rows))
    out.append("}}\n")
    return "\n".join(out)



def read_bundled() -> bytes:
    """The bytes of ``data/catalogue.json``, from the installed package or the checkout."""
    # importlib.resources is imported here, not at the top: it costs start-up time and only the shell
    # reads the catalogue (once, when it first needs it).
    from importlib import resources

    return resources.files("amish").joinpath("data", "catalogue.json").read_bytes()


def parse_bundled(data: bytes) -> tuple[dict[str, ActionSpec], dict[str, EventSpec]]:
    """Actions and events by lower-case name from the bundled JSON; ValueError for another format."""
    doc = json.loads(data)
    if doc.get("format") != FORMAT:
        raise ValueError(f"bundled catalogue has format {doc.get('format')!r}, expected {FORMAT}")
    bundled = frozenset({"bundled"})
    actions = {}
    for name, obj in doc["actions"].items():
        actions[name.lower()] = ActionSpec(
            name,
            params=tuple(_param_from_json(p) for p in obj.get("params", ())),
            list_action=bool(obj.get("list", False)),
            final_event=obj.get("final"),
            source=bundled,
        )
    events = {}
    for name, obj in doc["events"].items():
        events[name.lower()] = EventSpec(
            name,
            headers=tuple(_param_from_json(p) for p in obj.get("headers", ())),
            event_class=obj.get("class", ""),
            source=bundled,
        )
    return actions, events
