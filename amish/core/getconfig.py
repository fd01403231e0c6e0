"""GetConfig and GetConfigJSON answers as data: the one reader of their headers.

GetConfig answers a config file as numbered headers: ``Category-000000: name``,
``Line-000000-000001: var=value``, ``IsTemplate-000000: 1`` and
``Templates-000000: a,b``; GetConfigJSON as one ``JSON:`` header holding
``{"category": {"var": "value"}}``. Two readings of them:

- `ini_lines` / `json_ini_lines`: the file as ini lines, the way the shell and
  the pipe tool show it (secrets masked by `secrets.mask_config_value` in the
  JSON form; the ini form is masked as the message it came in);
- `parse_getconfig`: ``{section: [(key, value), ...]}`` with the order kept,
  templates left out, what `amish audit` checks.

Pure functions: no sockets, no UI.
"""

from __future__ import annotations

import json
import re
from typing import Iterable

from .protocol import Message
from .secrets import mask_config_value

__all__ = ["Section", "Config", "ini_lines", "json_ini_lines", "parse_getconfig"]

#: One config section's lines, in the file's order: (variable lower-cased, value).
Section = list[tuple[str, str]]
#: Sections by name.
Config = dict[str, Section]

_KEY = re.compile(r"(?i)^(category|line|istemplate|templates)-(\d+)(?:-(\d+))?$")


def ini_lines(headers: list[tuple[str | None, str]]) -> tuple[list[str], list[tuple[str | None, str]]]:
    """GetConfig's Category-/Line- headers as ini lines; and the headers that are not."""
    lines: list[str] = []
    rest: list[tuple[str | None, str]] = []
    current: str | None = None
    marks: dict[str, list[str]] = {}
    head_at: dict[str, int] = {}
    for key, value in headers:
        m = _KEY.match(key) if key else None
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



def json_ini_lines(value: str) -> list[str] | None:
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


def parse_getconfig(message: Message | Iterable[tuple[str | None, str]]) -> Config:
    """A GetConfig response -> a config. Templates are left out (GetConfig shows users with
    what they inherit already filled in); sections of the same name are merged in order."""
    headers = message.headers if isinstance(message, Message) else list(message)
    names: dict[str, str] = {}
    templates: set[str] = set()
    lines: list[tuple[str, int, str, str]] = []
    for key, value in headers:
        m = _KEY.match(key) if key is not None else None
        if m is None:
            continue
        kind, index, number = m.group(1).lower(), m.group(2), m.group(3)
        if kind == "category" and number is None:
            names[index] = value.strip()
        elif kind == "istemplate" and number is None:
            if value.strip() not in ("", "0"):
                templates.add(index)
        elif kind == "line" and number is not None:
            var, sep, val = value.partition("=")
            if sep:
                lines.append((index, int(number), var.strip().lower(), val.strip()))
    out: Config = {}
    for index, name in names.items():
        if index not in templates:
            out.setdefault(name, [])
    for index, _n, key, val in lines:
        if index in templates or index not in names:
            continue
        out[names[index]].append((key, val))
    return out
