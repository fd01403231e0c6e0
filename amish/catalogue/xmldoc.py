"""Asterisk's XML documentation (``core-en_US.xml``) read into specs.

`read_docs` is what `scripts/gen-catalogue` bundles (structure only) and what
`Catalogue.merge_xml` merges when amish runs on the PBX itself (with prose:
synopses, descriptions, parameter help). xi:include is resolved through
`xpointer.select`; the channel and bridge snapshot templates Asterisk's
xmldoc.c expands itself are expanded here from their header lists.
ElementTree is imported when a file is read, not at import.
"""

from __future__ import annotations

import os
import re
import textwrap
from dataclasses import replace
from typing import Iterable

from .specs import ActionSpec, EventSpec, Param
from .xpointer import select

__all__ = ["DEFAULT_XML", "read_docs"]

#: Where Asterisk installs its documentation (``$ASTDATADIR/documentation``).
DEFAULT_XML = "/usr/share/asterisk/documentation/core-en_US.xml"

_XI = "{http://www.w3.org/2001/XInclude}include"
_TRUE = ("yes", "true")
#: Top-level elements that no manager or managerEvent ever includes from.
_DROP = frozenset({"module", "function", "agi"})

# The snapshot templates: Asterisk's xmldoc.c expands <channel_snapshot/> and
# <bridge_snapshot/> itself; these are the headers it produces (checked against
# "manager show event Newchannel" / "BridgeCreate" of Asterisk 22). Event headers
# are not marked required: for an event that means nothing a client can act on.
_CHANNEL_STATES = (
    "Down", "Rsrvd", "OffHook", "Dialing", "Ring", "Ringing", "Up", "Busy",
    "Dialing Offhook", "Pre-ring", "Unknown",
)
_CHANNEL_SNAPSHOT = (
    ("Channel", ()), ("ChannelState", ()), ("ChannelStateDesc", _CHANNEL_STATES),
    ("CallerIDNum", ()), ("CallerIDName", ()), ("ConnectedLineNum", ()), ("ConnectedLineName", ()),
    ("Language", ()), ("AccountCode", ()), ("Context", ()), ("Exten", ()), ("Priority", ()),
    ("Uniqueid", ()), ("Linkedid", ()),
)
_BRIDGE_SNAPSHOT = (
    ("BridgeUniqueid", ()), ("BridgeType", ()), ("BridgeTechnology", ()), ("BridgeCreator", ()),
    ("BridgeName", ()), ("BridgeNumChannels", ()), ("BridgeVideoSourceMode", ("none", "talker", "single")),
    ("BridgeVideoSource", ()),  # only when the bridge has a video source
)
# Repeatable parameters the XML does not mark with multiple="yes".
_MULTIPLE_TEXT = re.compile(r"multiple\s+\S+:?\s+headers\s+are\s+allowed", re.I)
_KNOWN_MULTIPLE = frozenset({("pjsipnotify", "variable")})


class _Docs:
    """The parsed XML plus an XPointer resolver for its xi:include elements."""

    def __init__(self, path: str | os.PathLike):
        # ElementTree (and expat) only when a file is read: importing the catalogue stays quick.
        import xml.etree.ElementTree as ET

        self.top: list = []
        self.index: dict[tuple[str, str], list] = {}
        depth = 0
        root = None
        for event, elem in ET.iterparse(os.fspath(path), events=("start", "end")):
            if event == "start":
                depth += 1
                if root is None:
                    root = elem
                continue
            depth -= 1
            if depth == 1:
                if elem.tag in _DROP:
                    elem.clear()
                    continue
                self.top.append(elem)
                self.index.setdefault((elem.tag, elem.get("name", "")), []).append(elem)
        if root is None or root.tag != "docs":
            raise ValueError(f"{path}: not Asterisk XML documentation (no <docs>)")
        self.root = root
        self._cache: dict[str, list] = {}

    def resolve(self, xpointer: str | None) -> list:
        """What an xi:include's xpointer points to (`xpointer.select`), found once."""
        if not xpointer:
            return []
        cached = self._cache.get(xpointer)
        if cached is None:
            cached = self._cache[xpointer] = select(self.root, self.top, self.index, xpointer)
        return cached

    def kids(self, elem, depth: int = 0):
        """The child elements of `elem`, with xi:include replaced by what it points to."""
        for child in elem:
            if child.tag == _XI:
                if depth > 8:
                    continue
                for node in self.resolve(child.get("xpointer")):
                    if isinstance(node, str):
                        continue
                    if node.tag == _XI:
                        yield from self.kids(_Wrapper(node), depth + 1)
                    else:
                        yield node
            else:
                yield child

    def itertext(self, elem, depth: int = 0):
        if elem.text:
            yield elem.text
        for child in elem:
            if child.tag == _XI:
                if depth <= 8:
                    for node in self.resolve(child.get("xpointer")):
                        if isinstance(node, str):
                            yield node
                        else:
                            yield from self.itertext(node, depth + 1)
            else:
                yield from self.itertext(child, depth)
            if child.tail:
                yield child.tail


class _Wrapper:
    """Makes a lone xi:include iterable like a parent holding it."""

    def __init__(self, node):
        self._node = node

    def __iter__(self):
        return iter((self._node,))



_INLINE_MARKS = {"replaceable": ("<", ">"), "literal": ("'", "'"), "filename": ('"', '"')}


def _flag(value: str | None) -> bool:
    return (value or "").lower() in _TRUE


def _norm(text: str) -> str:
    return " ".join(text.split())


class _Reader:
    def __init__(self, docs: _Docs, prose: bool):
        self.docs = docs
        self.prose = prose

    def text(self, elem) -> str:
        return _norm("".join(self.docs.itertext(elem))) if elem is not None else ""

    def inline(self, elem) -> str:
        """Running text the way Asterisk's CLI shows it: <replaceable>, 'literal', "filename"."""
        return _norm("".join(self._inline(elem, 0)))

    def inline_of(self, elem) -> str:
        return "" if elem is None else self.inline(elem)

    def _inline(self, elem, depth: int):
        if elem.text:
            yield elem.text
        for child in elem:
            if child.tag == _XI:
                if depth <= 8:
                    for node in self.docs.resolve(child.get("xpointer")):
                        if isinstance(node, str):
                            yield node
                        else:
                            yield from self._inline(node, depth + 1)
            else:
                left, right = _INLINE_MARKS.get(child.tag, ("", ""))
                yield left
                yield from self._inline(child, depth)
                yield right
            if child.tail:
                yield child.tail

    def prose_of(self, elem) -> str:
        """Paragraphs of a description-like element as plain text."""
        if elem is None:
            return ""
        return "\n\n".join(b for b in self._blocks(elem, "") if b.strip())

    def _blocks(self, elem, indent: str) -> list[str]:
        blocks: list[str] = []
        for child in self.docs.kids(elem):
            tag = child.tag
            if tag == "para":
                text = self.inline(child)
                if text:
                    blocks.append(indent + text)
            elif tag in ("note", "warning"):
                inner = " ".join(b.strip() for b in self._blocks(child, ""))
                if inner:
                    blocks.append(f"{indent}{tag.capitalize()}: {inner}")
            elif tag == "example":
                body = textwrap.dedent("".join(self.docs.itertext(child)).expandtabs(4)).strip("\n")
                blocks.append("\n".join((indent + "    " + line).rstrip() for line in body.splitlines()))
            elif tag in ("enumlist", "variablelist", "optionlist"):
                lines = []
                for item in self.docs.kids(child):
                    if item.tag not in ("enum", "variable", "option", "value"):
                        continue
                    inner = self._blocks(item, indent + "    ")
                    if not inner and item.tag in ("variable", "value"):
                        own = self.inline(item)
                        inner = [indent + "    " + own] if own else []
                    head = f"{indent}  {item.get('name', '')}"
                    if inner and "\n" not in inner[0]:
                        head += " - " + inner[0].strip()
                        inner = inner[1:]
                    lines.append("\n".join([head, *inner]))
                if lines:
                    blocks.append("\n".join(lines))
            elif tag in ("parameter", "info"):
                blocks.extend(self._blocks(child, indent))
        return blocks

    def params(self, syntax, action: str | None) -> tuple[Param, ...]:
        if syntax is None:
            return ()
        out: list[Param] = []
        seen: set[str] = set()

        def add(p: Param) -> None:
            low = p.name.lower()
            if p.name and low not in seen:
                seen.add(low)
                out.append(p)

        for child in self.docs.kids(syntax):
            tag = child.tag
            if tag == "parameter":
                add(self.param(child, action))
            elif tag == "channel_snapshot":
                prefix = child.get("prefix", "").strip()
                for name, values in _CHANNEL_SNAPSHOT:
                    add(Param(prefix + name, values=values))
            elif tag == "bridge_snapshot":
                prefix = child.get("prefix", "").strip()
                for name, values in _BRIDGE_SNAPSHOT:
                    add(Param(prefix + name, values=values))
        return tuple(out)

    def param(self, elem, action: str | None) -> Param:
        name = elem.get("name", "").strip()
        values: list[str] = []
        for child in self.docs.kids(elem):
            if child.tag == "enumlist":
                for value in self.enum_values(child):
                    if value not in values:
                        values.append(value)
        multiple = _flag(elem.get("multiple"))
        if not multiple and action is not None:
            multiple = (action.lower(), name.lower()) in _KNOWN_MULTIPLE or bool(
                _MULTIPLE_TEXT.search(self.text(elem))
            )
        default = elem.get("default") or None
        return Param(
            name,
            required=_flag(elem.get("required")),
            multiple=multiple,
            default=default,
            values=tuple(values),
            description=self.prose_of(elem) if self.prose else "",
        )

    def enum_values(self, enumlist, depth: int = 0) -> list[str]:
        """The literal values an <enumlist> documents.

        An enumlist in which some <enum> holds its own enumlist is a list of
        headings, not values: UpdateConfig's ``Options-000000`` lists the options
        under the *actions* they apply to (NewCat: allowdups, template...), and
        the headings are the values of another header (Action-000000), so every
        name in such a list is a heading, never a value. A placeholder holding a
        list (Filter's ``MatchCriteria``: ``<match_method>``) stands for the values
        nested in it. Names that are templates (``name(<event_name>)``,
        ``inherit="template[,...]"``, ``system,call,log,...``) are no values;
        ``action(include|exclude)`` stands for its alternatives.
        """
        if depth > 4:
            return []
        enums = [e for e in self.docs.kids(enumlist) if e.tag == "enum"]
        nested = [[c for c in self.docs.kids(e) if c.tag == "enumlist"] for e in enums]
        names = [(e.get("name") or "").strip() for e in enums]
        headings = any(subs and not _is_template(n) for n, subs in zip(names, nested))
        out: list[str] = []
        for name, subs in zip(names, nested):
            if headings or (subs and _is_template(name)):
                for sub in subs:
                    out.extend(self.enum_values(sub, depth + 1))
            else:
                out.extend(_literal_values(name))
        return out

    def action(self, elem) -> ActionSpec:
        name = elem.get("name", "").strip()
        params = self.params(elem.find("syntax"), name)
        list_action = False
        final = None
        responses = elem.find("responses")
        if responses is not None:
            for child in self.docs.kids(responses):
                if child.tag == "list-elements":
                    list_action = list_action or any(True for _ in self.docs.kids(child))
                elif child.tag == "managerEvent" and final is None:
                    final = child.get("name")
        synopsis = description = syntax = ""
        if self.prose:
            synopsis = self.inline_of(elem.find("synopsis"))
            description = self.prose_of(elem.find("description"))
            lines = [f"Action: {name}"]
            for p in params:
                lines.append(f"{p.name}: <value>" if p.required else f"[{p.name}:] <value>")
            syntax = "\n".join(lines)
        return ActionSpec(
            name, params, list_action=list_action, final_event=final,
            synopsis=synopsis, description=description, syntax=syntax,
        )

    def event(self, elem) -> EventSpec:
        name = elem.get("name", "").strip()
        headers: list[Param] = []
        classes: list[str] = []
        synopsis = description = ""
        for inst in self.docs.kids(elem):
            if inst.tag != "managerEventInstance":
                continue
            cls = (inst.get("class") or "").strip()
            if cls:
                cls = cls.removeprefix("EVENT_FLAG_").lower()
                if cls not in classes:
                    classes.append(cls)
            headers.extend(self.params(inst.find("syntax"), None))
            if self.prose:
                synopsis = synopsis or self.inline_of(inst.find("synopsis"))
                description = description or self.prose_of(inst.find("description"))
        return EventSpec(
            name, _dedupe(headers), event_class=",".join(classes),
            synopsis=synopsis, description=description,
        )


_ALTERNATIVES = re.compile(r"^([\w-]+)\(([\w-]+(?:\|[\w-]+)+)\)$")
_TEMPLATE_MARKS = ("<", ">", "[", "]", '"', "|", "...")


def _is_template(name: str) -> bool:
    return any(mark in name for mark in _TEMPLATE_MARKS)


def _literal_values(name: str) -> list[str]:
    """The values an enum's name stands for: itself, the alternatives of
    ``action(include|exclude)``, or none for a template (``name(<event_name>)``)."""
    m = _ALTERNATIVES.match(name)
    if m:
        return [f"{m.group(1)}({alt})" for alt in m.group(2).split("|")]
    if not name or _is_template(name):
        return []
    return [name]


def _dedupe(params: Iterable[Param]) -> tuple[Param, ...]:
    seen: dict[str, Param] = {}
    for p in params:
        seen.setdefault(p.name.lower(), p)
    return tuple(seen.values())


def _union(old, new, field: str):
    """`old` with the params of `new` it lacks appended (the same action documented
    by several modules: app_voicemail, _imap, _odbc)."""
    merged = _dedupe(getattr(old, field) + getattr(new, field))
    return replace(old, **{field: merged})


def read_docs(path: str | os.PathLike, *, prose: bool = False) -> tuple[dict[str, ActionSpec], dict[str, EventSpec]]:
    """Actions and events (by lower-case name) from an Asterisk ``core-en_US.xml``.

    xi:include is resolved, channel and bridge snapshot templates are expanded.
    Without `prose` only structure is kept (what the bundled catalogue holds);
    with it, synopses, descriptions and parameter help too.
    """
    docs = _Docs(path)
    reader = _Reader(docs, prose)
    actions: dict[str, ActionSpec] = {}
    events: dict[str, EventSpec] = {}

    def add_event(elem) -> None:
        spec = reader.event(elem)
        if not spec.name:
            return
        low = spec.name.lower()
        old = events.get(low)
        if old is None:
            events[low] = spec
        else:
            merged = _union(old, spec, "headers")
            classes = [c for c in (old.event_class + "," + spec.event_class).split(",") if c]
            events[low] = replace(merged, event_class=",".join(dict.fromkeys(classes)))

    for elem in docs.top:
        if elem.tag == "manager":
            spec = reader.action(elem)
            if not spec.name:
                continue
            low = spec.name.lower()
            old = actions.get(low)
            actions[low] = spec if old is None else _union(old, spec, "params")
            responses = elem.find("responses")
            if responses is not None:  # events documented inline in an action's responses
                for inline in responses.iter("managerEvent"):
                    add_event(inline)
        elif elem.tag == "managerEvent":
            add_event(elem)
    return actions, events
