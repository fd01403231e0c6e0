"""``manager show command NAME`` as data: the CLI page Asterisk prints for one action.

Sans-IO: lines in (the ``Output`` headers of ``Action: Command``), a dict out.
`live.fetch_manager_show` asks the server; `Catalogue.merge_manager_show` merges
the result; this module only reads the page, which changes when Asterisk's
page does.
"""

from __future__ import annotations

import re

__all__ = ["parse_manager_show"]

_SECTION = re.compile(r"^\[([A-Z][A-Za-z ]*)\]$")
_INFO = re.compile(r"-= Info about Manager Command '([^']+)' =-")
_SYNTAX_LINE = re.compile(r"^(?P<opt>\[)?(?P<name>[^\s:\[\]]+):(?(opt)\])")
_EVENT_LINE = re.compile(r"^Event:\s*(\S+)")


def parse_manager_show(lines: list[str]) -> dict | None:
    """The parts of a ``manager show command`` page, or None if it is not one."""
    name = None
    start = None
    for i, line in enumerate(lines):
        m = _INFO.search(line)
        if m:
            name, start = m.group(1), i + 1
            break
    if start is None:
        return None
    sections: dict[str, list[str]] = {}
    nested: dict[str, list[str]] = {"List Responses": [], "Final Response": []}
    current: list[str] | None = None
    inside: str | None = None  # "List Responses" / "Final Response" while in their nested pages
    for raw in lines[start:]:
        line = raw.rstrip()
        m = _SECTION.match(line)
        if inside is not None:
            if m and m.group(1) == f"End {inside}":
                inside = None
                current = None
            else:
                nested[inside].append(line)
            continue
        if m:
            title = m.group(1)
            if title in nested:
                inside = title
                continue
            current = sections.setdefault(title, [])
            continue
        if current is not None:
            current.append(line)
    if not sections:
        return None

    def text(title: str, joiner: str = "\n") -> str:
        body = _trim(sections.get(title, []))
        value = joiner.join(body).strip() if joiner == " " else "\n".join(body)
        return "" if value.strip() in ("", "Not available") else value

    syntax_lines = _trim(sections.get("Syntax", []))
    params: list[tuple[str, bool]] = []
    for line in syntax_lines:
        if line.startswith("Action:"):
            continue
        m = _SYNTAX_LINE.match(line)
        if m:
            params.append((m.group("name"), m.group("opt") is None))
    arguments: dict[str, str] = {}
    current_arg = None
    for line in sections.get("Arguments", []):
        if line and not line[0].isspace():
            current_arg = line.strip()
            arguments[current_arg.lower()] = ""
        elif current_arg is not None and line.strip():
            prev = arguments[current_arg.lower()]
            arguments[current_arg.lower()] = (prev + "\n" if prev else "") + line.strip()
    privilege = None
    if "Privilege" in sections:
        priv = " ".join(_trim(sections["Privilege"])).strip()
        privilege = "" if priv in ("<none>", "Not available") else priv

    def first_event(block: list[str]) -> str | None:
        for line in block:
            if line.strip():
                m = _EVENT_LINE.match(line.strip())
                return m.group(1) if m else None
        return None

    list_block = nested["List Responses"]
    return {
        "name": name,
        "synopsis": text("Synopsis", " "),
        "description": text("Description"),
        "syntax": "\n".join(syntax_lines),
        "syntax_found": bool(syntax_lines),
        "params": params,
        "arguments": arguments,
        "privilege": privilege,
        "list_action": first_event(list_block) is not None,
        "final_event": first_event(nested["Final Response"]),
    }


def _trim(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]

