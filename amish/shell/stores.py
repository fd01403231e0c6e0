"""What the panes hold: bounded stores of lines, independent of any widget.

Both stores are touched only by the UI thread. The event log keeps every
received event (up to `capacity`) so that a new filter can re-filter the
scrollback, and a view of the ones that pass the filter (up to `scrollback`).
Counters say what was received, shown, and evicted: nothing goes silently.
"""

from __future__ import annotations

import collections
import itertools
import time
from dataclasses import dataclass
from typing import Callable, Iterable

from ..core.protocol import Message, encode_message

__all__ = ["EventEntry", "EventLog", "Transcript", "TranscriptLine"]

Fragments = list  # prompt_toolkit StyleAndTextTuples: [(style, text), ...]


class EventEntry:
    """One event of the log as the panes see it: made on demand from the stored record."""

    __slots__ = ("seq", "when", "raw", "plain")

    def __init__(self, seq: int, when: float, raw: bytes, plain: str):
        self.seq = seq
        self.when = when  # time.time() when it arrived
        self.raw = raw
        self.plain = plain  # the one-line summary: what the pane's text and search see

    @property
    def message(self) -> Message:
        return Message.from_raw(self.raw)

    def __repr__(self) -> str:
        return f"EventEntry({self.seq}, {self.plain!r})"


class EventLog:
    """Every received event (up to `capacity`) and the view of those passing the filter.

    Under a flood this holds 50,000 events, and the cycle collector scans
    whatever Python objects a program keeps: stored as Message objects they
    made every full collection take over 100 ms, a frozen screen. So an event
    is kept as a plain (seq, when, raw bytes) tuple, which the collector stops
    tracking, and summaries live in a dict of str; Messages and EventEntry
    objects are made only for what is looked at.
    """

    def __init__(
        self,
        summarize: Callable[[Message, float], str],
        capacity: int = 50_000,
        scrollback: int = 10_000,
    ):
        self._summarize = summarize
        self._all: collections.deque[tuple[int, float, bytes]] = collections.deque(maxlen=capacity)
        self._view: collections.deque[tuple[int, float, bytes]] = collections.deque(maxlen=scrollback)
        self._plain: dict[int, str] = {}  # seq -> summary, for entries of the view
        self.predicate: Callable[[Message], bool] | None = None
        self.received = 0
        self.evicted = 0  # fell out of `all` (the capacity)
        self.view_evicted = 0  # fell off the top of the view since the last take_view_evicted()
        self._seq = 0

    @property
    def shown(self) -> int:
        return len(self._view)

    @property
    def all(self) -> list[EventEntry]:
        """Everything kept (markers aside), oldest first."""
        return [self._entry(record) for record in self._all]

    @property
    def view(self) -> list[EventEntry]:
        """What passes the filter, oldest first (summaries as far as made)."""
        return [self._entry(record) for record in self._view]

    def _entry(self, record: tuple[int, float, bytes]) -> EventEntry:
        seq, when, raw = record
        return EventEntry(seq, when, raw, self._plain.get(seq, ""))

    def _to_view(self, record: tuple[int, float, bytes]) -> None:
        view = self._view
        if len(view) == view.maxlen:
            self.view_evicted += 1
            self._plain.pop(view[0][0], None)
        view.append(record)

    def add(self, messages: Iterable[Message], now: float | None = None) -> int:
        """Store events; returns how many joined the view."""
        now = time.time() if now is None else now
        predicate = self.predicate
        all_ = self._all
        to_view = self._to_view
        added = 0
        seq = self._seq
        for message in messages:
            seq += 1
            if len(all_) == all_.maxlen:
                self.evicted += 1
            record = (seq, now, message.raw or encode_message(message))
            all_.append(record)
            if predicate is None or predicate(message):
                # the summary is made when the pane shows it (view_lines): under a
                # flood most events leave the view before they are ever drawn
                to_view(record)
                added += 1
        self.received += seq - self._seq
        self._seq = seq
        return added

    def add_marker(self, text: str, now: float | None = None) -> None:
        """A line in the view that is not an event (a gap, a reconnect)."""
        now = time.time() if now is None else now
        self._seq += 1
        self._to_view((self._seq, now, encode_message(Message([("Event", "amish"), ("Note", text)]))))
        self._plain[self._seq] = text

    def set_filter(self, predicate: Callable[[Message], bool] | None) -> int:
        """Re-filter everything kept; returns how many now show."""
        self.predicate = predicate
        self._view.clear()
        self._plain.clear()
        self.view_evicted = 0
        from_raw = Message.from_raw
        for record in self._all:
            if predicate is None or predicate(from_raw(record[2])):
                self._view.append(record)
        return len(self._view)

    def _summarized(self, records) -> list[EventEntry]:
        summarize = self._summarize
        plain = self._plain
        from_raw = Message.from_raw
        out = []
        for seq, when, raw in records:
            text = plain.get(seq)
            if text is None:
                text = plain[seq] = summarize(from_raw(raw), when)
            out.append(EventEntry(seq, when, raw, text))
        return out

    def call_entries(self, linkedid: str) -> list[EventEntry]:
        """Every kept event of one call (a Linkedid or DestLinkedid header naming it), oldest first."""
        needle = b"inkedid: " + linkedid.encode() + b"\r"
        return [self._entry(r) for r in self._all if needle in r[2]]

    def view_lines(self) -> list[EventEntry]:
        """The view, every entry with its summary made."""
        return self._summarized(self._view)

    def view_tail(self, k: int) -> list[EventEntry]:
        """The newest `k` entries of the view, with their summaries (for a pane following a flood)."""
        tail = list(itertools.islice(reversed(self._view), k))
        tail.reverse()
        return self._summarized(tail)

    def take_view_evicted(self) -> int:
        n, self.view_evicted = self.view_evicted, 0
        return n

    def clear(self) -> None:
        self._view.clear()
        self._plain.clear()
        self.view_evicted = 0

    def text(self) -> str:
        return "\n".join(e.plain for e in self.view_lines())


@dataclass(slots=True)
class TranscriptLine:
    plain: str
    fragments: Fragments


def _line(fragments: Fragments) -> TranscriptLine:
    return TranscriptLine("".join(t for _, t, *_ in fragments), fragments)


class Transcript:
    """The transcript pane's lines: what was sent and what came back."""

    def __init__(self, maxlines: int = 20_000):
        self.lines: collections.deque[TranscriptLine] = collections.deque(maxlen=maxlines)
        self.evicted = 0
        self.added = 0  # lines ever added: a line's position is the count before it

    def add_lines(self, lines: Iterable[Fragments]) -> int:
        """Append lines; returns the position of the first (for `replace`)."""
        start = self.added
        for fragments in lines:
            if len(self.lines) == self.lines.maxlen:
                self.evicted += 1
            self.lines.append(_line(fragments))
            self.added += 1
        return start

    def replace(self, start: int, count: int, lines: list[Fragments]) -> bool:
        """Put `lines` in place of the `count` lines from position `start`; False if they are gone."""
        i = start - (self.added - len(self.lines))
        if i < 0 or i + count > len(self.lines):
            return False  # evicted or cleared meanwhile
        kept = list(self.lines)
        kept[i : i + count] = [_line(fragments) for fragments in lines]
        self.evicted += max(0, len(kept) - self.lines.maxlen)
        self.lines = collections.deque(kept, maxlen=self.lines.maxlen)
        self.added += len(lines) - count
        return True

    def take_evicted(self) -> int:
        n, self.evicted = self.evicted, 0
        return n

    def clear(self) -> None:
        self.lines.clear()
        self.evicted = 0

    def text(self) -> str:
        return "\n".join(line.plain for line in self.lines)
