"""The live tables (Channels, Calls) and the call timeline, as pure functions.

Nothing here draws or imports prompt_toolkit: a table is a list of `Row`s
(a key, the cells shown, the values to sort by, the headers the filter
language sees), laid out into fixed-width lines for a width; the timeline is
a function from a call's events to lines, each line knowing the events
behind it. `panes.TablePane` shows them; `app.Shell` feeds them.

A row is narrowed with the event filter language (amish.core.eventfilter):
the filter sees the row as an event whose headers are named as AMI names
them (Channel, ChannelStateDesc, CallerIDNum, Context, Linkedid...), so
``Channel=PJSIP/*`` narrows the Channels view as it narrows the events pane.
"""

from __future__ import annotations

import zlib
from typing import Callable, Iterable, Sequence

from ..core.immutable import Record
from ..core.protocol import Message

__all__ = [
    "Column", "Row", "layout", "sort_rows", "narrow", "duration_text", "call_colour", "call_style", "call_tag",
    "Step", "call_steps", "timeline_lines", "TimelineLine", "CALL_COLOURS",
]


class Column(Record):
    """One column: its title, its narrowest and widest width, and whether it is a number (right-aligned)."""

    __slots__ = ("title", "min_width", "max_width", "numeric")

    def __init__(self, title: str, min_width: int = 4, max_width: int = 40, numeric: bool = False) -> None:
        self._fill(locals())


class Row:
    """One row of a table: `key` stays the same while the thing lives (the selection follows it)."""

    __slots__ = ("key", "cells", "sort", "_fields", "style", "linkedid")

    def __init__(self, key: str, cells: Sequence[str], sort: Sequence = (),
                 fields: Sequence[tuple[str, str]] | Callable[[], Sequence[tuple[str, str]]] = (),
                 style: str = "", linkedid: str = ""):
        self.key = key
        self.cells = tuple(cells)
        self.sort = tuple(sort) if sort else self.cells
        self._fields = fields  # made when first wanted (a filter): 10,000 rows a second need not
        self.style = style
        self.linkedid = linkedid

    @property
    def fields(self) -> list[tuple[str, str]]:
        if callable(self._fields):
            self._fields = self._fields()
        return list(self._fields)

    def message(self) -> Message:
        """The row as an event, for the filter language."""
        return Message(self.fields)

    def __repr__(self) -> str:
        return f"Row({self.key!r}, {self.cells!r})"


def _clip(text: str, width: int) -> str:
    text = text.replace("\n", " ").replace("\r", " ").replace("\t", " ")
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def widths(columns: Sequence[Column], rows: Sequence[Row], width: int) -> list[int]:
    """Each column as wide as its widest cell (within its bounds); too wide a table shrinks
    its widest columns first, never below their narrowest."""
    out = []
    for i, col in enumerate(columns):
        longest = max([len(col.title)] + [len(r.cells[i]) for r in rows if i < len(r.cells)])
        out.append(max(col.min_width, min(col.max_width, longest)))
    room = width - (len(columns) - 1) * 2
    while sum(out) > room:
        i = max(range(len(out)), key=lambda j: out[j] - columns[j].min_width)
        if out[i] <= columns[i].min_width:
            break
        out[i] -= 1
    return out


def _line(cells: Sequence[str], columns: Sequence[Column], ws: Sequence[int]) -> str:
    parts = []
    for cell, col, w in zip(cells, columns, ws):
        cell = _clip(cell, w)
        parts.append(cell.rjust(w) if col.numeric else cell.ljust(w))
    return "  ".join(parts).rstrip()


def layout(columns: Sequence[Column], rows: Sequence[Row], width: int) -> tuple[str, list[str]]:
    """(the header line, one line per row), every line at most `width` wide when the columns allow."""
    ws = widths(columns, rows, width)
    header = _line([c.title for c in columns], columns, ws)
    return header, [_line(r.cells, columns, ws) for r in rows]


def sort_rows(rows: Iterable[Row], column: int, reverse: bool = False) -> list[Row]:
    """Rows by one column's sort value (numbers as numbers; empty values last either way), then by key."""

    def key(row: Row):
        value = row.sort[column] if column < len(row.sort) else ""
        empty = value in ("", None)
        if isinstance(value, (int, float)):
            return (empty, 0, value, "")
        return (empty, 1, 0, str(value).lower())

    present = [r for r in rows]
    present.sort(key=lambda r: r.key)
    present.sort(key=key, reverse=reverse)
    if reverse:  # empty values still go last
        present.sort(key=lambda r: key(r)[0])
    return present


def narrow(rows: Iterable[Row], predicate: Callable[[Message], bool] | None) -> list[Row]:
    """The rows the filter (an eventfilter.EventFilter) lets through."""
    if predicate is None:
        return list(rows)
    return [r for r in rows if predicate(r.message())]


def duration_text(seconds: float | None) -> str:
    """``0:07``, ``12:03``, ``1:02:03``; empty when unknown."""
    if seconds is None or seconds < 0:
        return ""
    s = int(seconds)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


#: The colours calls are told apart by (rich's names of the ANSI colours: they read on dark and light).
CALL_COLOURS = ("cyan", "magenta", "green", "yellow", "blue", "red",
                "bright_cyan", "bright_magenta", "bright_green", "bright_blue")


def call_colour(linkedid: str) -> str:
    """The colour of a call (rich's name): the same Linkedid always gets the same one."""
    if not linkedid:
        return ""
    return CALL_COLOURS[zlib.crc32(linkedid.encode()) % len(CALL_COLOURS)]


def call_style(linkedid: str) -> str:
    """The same colour as a prompt_toolkit style (``fg:ansibrightcyan``); "" for no call."""
    colour = call_colour(linkedid)
    return f"fg:ansi{colour.replace('_', '')}" if colour else ""


def call_tag(linkedid: str) -> str:
    """A short name of a call for an event line: the Linkedid's last digits (``c1712345678.42`` -> ``#42``...)."""
    if not linkedid:
        return ""
    head, _, tail = linkedid.rpartition(".")
    return "#" + (tail if head and tail.isdigit() else linkedid[-6:])


# -- the timeline ------------------------------------------------------------------------


class Step:
    """One thing that happened in a call: at `t` seconds from its start, from channel `src`
    (an index in the call's channels) to channel `dst` (None: on `src` alone)."""

    __slots__ = ("t", "kind", "src", "dst", "label", "events")

    def __init__(self, t: float, kind: str, src: int, dst: int | None = None, label: str = "",
                 events: list | None = None):
        self.t = t
        self.kind = kind
        self.src = src
        self.dst = dst
        self.label = label
        self.events = events if events is not None else []

    def __repr__(self) -> str:
        return f"Step({self.t:.3f}, {self.kind!r}, {self.src}, {self.dst}, {self.label!r})"


#: Q.850 causes a hang-up says most often (the tracker has the full table; this is for the timeline's label).
_CAUSES = {"0": "unknown", "1": "unallocated", "16": "normal clearing", "17": "user busy", "18": "no user responding",
           "19": "no answer", "21": "call rejected", "27": "destination out of order", "34": "congestion",
           "38": "network out of order", "127": "interworking"}


def call_steps(events: Iterable[tuple[float, Message]]) -> tuple[list[str], list[Step], float]:
    """A call's channels (in the order they appeared), its steps, and its start (epoch seconds),
    from its events (arrival time, message), oldest first.

    Dial (DialBegin), its answer or failure (DialEnd), state changes to Ringing and Up (Newstate),
    joining a bridge with another channel (BridgeEnter), transfers (BlindTransfer,
    AttendedTransfer), hold (Hold, Unhold), MixMonitor, hang-up (Hangup, with its cause). Every step
    keeps the events behind it; an event that names no channel of the call adds no step.
    """
    channels: list[str] = []
    index: dict[str, int] = {}  # Uniqueid or name -> column
    bridges: dict[str, list[int]] = {}  # bridge id -> columns in it
    steps: list[Step] = []
    start: float | None = None

    def column(name: str | None, uniqueid: str | None = None, create: bool = True) -> int | None:
        if uniqueid and uniqueid in index:
            return index[uniqueid]
        if name and name in index:
            if uniqueid:
                index[uniqueid] = index[name]
            return index[name]
        if not create or not name:
            return None
        channels.append(name)
        i = len(channels) - 1
        index[name] = i
        if uniqueid:
            index[uniqueid] = i
        return i

    for when, m in events:
        event = m.get("Event") or ""
        if start is None:
            start = when
        t = when - start
        name, uid = m.get("Channel"), m.get("Uniqueid")
        if event == "Rename":
            i = column(name, uid, create=False)
            new = m.get("Newname")
            if i is not None and new:
                channels[i] = new
                index[new] = i
            continue
        if event == "Newchannel":
            i = column(name, uid)
            steps.append(Step(t, "new", i, None, m.get("Exten") or "", [m]))
            continue
        if event == "DialBegin":
            src = column(name, uid) if name else None
            dst = column(m.get("DestChannel"), m.get("DestUniqueid"))
            if src is None:  # an Originate's dial: no calling channel
                steps.append(Step(t, "dial", dst, None, "originate " + (m.get("DialString") or ""), [m]))
            else:
                steps.append(Step(t, "dial", src, dst, "dial " + (m.get("DialString") or ""), [m]))
            continue
        if event == "DialEnd":
            status = m.get("DialStatus") or ""
            src = column(name, uid) if name else None
            dst = column(m.get("DestChannel"), m.get("DestUniqueid"))
            if status == "ANSWER":
                if src is None:
                    steps.append(Step(t, "answer", dst, None, "answer", [m]))
                else:
                    steps.append(Step(t, "answer", dst, src, "answer", [m]))
            else:
                steps.append(Step(t, "dialend", dst if src is None else src, None if src is None else dst,
                                  status.lower() or "dial ended", [m]))
            continue
        if event == "Newstate":
            i = column(name, uid, create=False)
            state = m.get("ChannelStateDesc") or ""
            if i is not None and state in ("Ringing", "Up", "Busy"):
                if state == "Up" and steps and steps[-1].kind == "answer" and i in (steps[-1].src, steps[-1].dst):
                    steps[-1].events.append(m)
                    continue
                steps.append(Step(t, {"Up": "up", "Ringing": "ringing", "Busy": "busy"}[state], i, None,
                                  state.lower(), [m]))
            continue
        if event == "BridgeEnter":
            i = column(name, uid, create=False)
            bridge = m.get("BridgeUniqueid") or ""
            if i is None:
                continue
            members = bridges.setdefault(bridge, [])
            if i not in members:
                members.append(i)
            others = [j for j in members if j != i]
            if others:
                steps.append(Step(t, "bridge", others[0], i, "bridged", [m]))
            else:
                steps.append(Step(t, "enter", i, None, "enters bridge " + bridge[:8], [m]))
            continue
        if event == "BridgeLeave":
            i = column(name, uid, create=False)
            members = bridges.get(m.get("BridgeUniqueid") or "", [])
            if i is not None and i in members:
                members.remove(i)
            if steps and i is not None:
                steps[-1].events.append(m)
            continue
        if event in ("BlindTransfer", "AttendedTransfer"):
            who = m.get("TransfererChannel") or name
            i = column(who, m.get("TransfererUniqueid") or uid, create=False)
            target = m.get("TransferTargetChannel") or m.get("SecondTransfererChannel")
            j = column(target, m.get("TransferTargetUniqueid"), create=False) if target else None
            label = ("blind transfer to " + (m.get("Extension") or "")) if event == "BlindTransfer" \
                else "attended transfer"
            result = m.get("Result")
            if result and result != "Success":
                label += f" ({result})"
            steps.append(Step(t, "transfer", i if i is not None else 0, j, label, [m]))
            continue
        if event in ("Hold", "Unhold"):
            i = column(name, uid, create=False)
            if i is not None:
                steps.append(Step(t, event.lower(), i, None, "on hold" if event == "Hold" else "off hold", [m]))
            continue
        if event in ("MixMonitorStart", "MixMonitorStop"):
            i = column(name, uid, create=False)
            if i is not None:
                steps.append(Step(t, "record", i, None,
                                  "recording" if event.endswith("Start") else "recording stopped", [m]))
            continue
        if event == "Hangup":
            i = column(name, uid, create=False)
            if i is None:
                continue
            cause = m.get("Cause") or ""
            text = m.get("Cause-txt") or _CAUSES.get(cause, "")
            steps.append(Step(t, "hangup", i, None, f"hang-up {cause} {text}".rstrip(), [m]))
            continue
        # anything else about a channel of the call joins the step before it
        i = column(name, uid, create=False)
        if i is not None and steps:
            steps[-1].events.append(m)
    return channels, steps, start or 0.0


class TimelineLine:
    """One line of the timeline: its text, its styles (start, end, style) and the step behind it (None: a header)."""

    __slots__ = ("plain", "spans", "step")

    def __init__(self, plain: str, spans: list[tuple[int, int, str]], step: Step | None):
        self.plain = plain
        self.spans = spans
        self.step = step

    def fragments(self) -> list[tuple[str, str]]:
        out, pos = [], 0
        for a, b, style in self.spans:
            if a > pos:
                out.append(("", self.plain[pos:a]))
            out.append((style, self.plain[a:b]))
            pos = b
        if pos < len(self.plain):
            out.append(("", self.plain[pos:]))
        return out


_ARROW_STYLE = {"dial": "fg:ansicyan", "answer": "fg:ansigreen bold", "bridge": "fg:ansigreen",
                "transfer": "fg:ansimagenta bold", "hangup": "fg:ansired", "dialend": "fg:ansired",
                "hold": "fg:ansiyellow", "unhold": "fg:ansiyellow", "record": "fg:ansiblue",
                "ringing": "fg:ansiyellow", "busy": "fg:ansired"}
_MARK = {"new": "●", "hangup": "✕", "hold": "‖", "unhold": "▶", "record": "◉", "ringing": "♪", "up": "○",
         "enter": "◆", "busy": "✕", "answer": "○", "dialend": "✕", "transfer": "⇄", "dial": "○"}
TIME_WIDTH = 9


def timeline_lines(channels: Sequence[str], steps: Sequence[Step], column_width: int = 24) -> list[TimelineLine]:
    """The call as a ladder: one column per channel, time going down, an arrow per step between
    two channels (dial ─►, answer ◄─, bridge ═, transfer ⇢), a mark on one channel for the rest,
    each with its time from the start of the call and what happened."""
    w = max(column_width, 8)
    centre = [TIME_WIDTH + i * w + w // 2 for i in range(len(channels))]
    right = TIME_WIDTH + len(channels) * w
    out: list[TimelineLine] = []
    head = [" "] * right
    for i, name in enumerate(channels):
        label = name if len(name) <= w - 2 else name[: w - 3] + "…"
        x = max(TIME_WIDTH + i * w + (w - len(label)) // 2, TIME_WIDTH + i * w)
        head[x : x + len(label)] = list(label)
    out.append(TimelineLine("".join(head).rstrip(), [(TIME_WIDTH, len("".join(head).rstrip()), "bold")], None))
    alive = [False] * len(channels)
    for step in steps:
        if step.kind == "new" or step.kind in ("dial", "answer", "bridge") and step.dst is not None:
            alive[step.src] = True
        if step.dst is not None:
            alive[step.dst] = True
        if step.kind in ("dial",) and step.dst is None:
            alive[step.src] = True
        row = [" "] * right
        for i, x in enumerate(centre):
            if alive[i]:
                row[x] = "│"
        time_text = f"{step.t:8.3f} "
        row[:TIME_WIDTH] = list(time_text.rjust(TIME_WIDTH))
        style = _ARROW_STYLE.get(step.kind, "")
        spans: list[tuple[int, int, str]] = [(0, TIME_WIDTH, "fg:ansibrightblack")]
        if step.dst is not None and step.dst != step.src:
            a, b = centre[step.src], centre[step.dst]
            lo, hi = min(a, b), max(a, b)
            fill = "═" if step.kind == "bridge" else ("┄" if step.kind == "transfer" else "─")
            for x in range(lo + 1, hi):
                row[x] = fill
            row[a] = "├" if a < b else "┤"
            if step.kind == "bridge":
                row[b] = "┤" if a < b else "├"
            else:
                row[b - 1 if a < b else b + 1] = "►" if a < b else "◄"
                row[b] = "│"
            spans.append((lo, hi + 1, style))
        else:
            x = centre[step.src] if centre else TIME_WIDTH
            row[x] = _MARK.get(step.kind, "•")
            spans.append((x, x + 1, style or "bold"))
        text = "".join(row).rstrip()
        label = f"  {step.label}" if step.label else ""
        if len(step.events) > 1:
            label += f" ({len(step.events)} events)"
        out.append(TimelineLine(text + label, spans + [(len(text), len(text) + len(label), style)], step))
        if step.kind == "hangup":
            alive[step.src] = False
    return out
