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

from ..protocol import Message

__all__ = ["EventEntry", "EventLog", "Transcript", "TranscriptLine"]

Fragments = list  # prompt_toolkit StyleAndTextTuples: [(style, text), ...]


@dataclass(slots=True)
class EventEntry:
    seq: int
    when: float  # time.time() when it arrived
    message: Message
    plain: str  # the one-line summary: what the pane's text and search see


class EventLog:
    def __init__(
        self,
        summarize: Callable[[Message, float], str],
        capacity: int = 50_000,
        scrollback: int = 10_000,
    ):
        self._summarize = summarize
        self.all: collections.deque[EventEntry] = collections.deque(maxlen=capacity)
        self.view: collections.deque[EventEntry] = collections.deque(maxlen=scrollback)
        self.predicate: Callable[[Message], bool] | None = None
        self.received = 0
        self.evicted = 0  # fell out of `all` (the capacity)
        self.view_evicted = 0  # fell off the top of the view since the last take_view_evicted()
        self._seq = 0

    @property
    def shown(self) -> int:
        return len(self.view)

    def add(self, messages: Iterable[Message], now: float | None = None) -> int:
        """Store events; returns how many joined the view."""
        now = time.time() if now is None else now
        predicate = self.predicate
        all_, view = self.all, self.view
        added = 0
        for message in messages:
            self._seq += 1
            self.received += 1
            if len(all_) == all_.maxlen:
                self.evicted += 1
            entry = EventEntry(self._seq, now, message, "")
            all_.append(entry)
            if predicate is None or predicate(message):
                # the summary is made when the pane shows it (view_lines): under a
                # flood most events leave the view before they are ever drawn
                if len(view) == view.maxlen:
                    self.view_evicted += 1
                view.append(entry)
                added += 1
        return added

    def add_marker(self, text: str, now: float | None = None) -> None:
        """A line in the view that is not an event (a gap, a reconnect)."""
        now = time.time() if now is None else now
        self._seq += 1
        entry = EventEntry(self._seq, now, Message([("Event", "amish"), ("Note", text)]), text)
        if len(self.view) == self.view.maxlen:
            self.view_evicted += 1
        self.view.append(entry)

    def set_filter(self, predicate: Callable[[Message], bool] | None) -> int:
        """Re-filter everything kept; returns how many now show."""
        self.predicate = predicate
        self.view.clear()
        self.view_evicted = 0
        for entry in self.all:
            if predicate is None or predicate(entry.message):
                self.view.append(entry)
        return len(self.view)

    def view_lines(self) -> collections.deque[EventEntry]:
        """The view, every entry with its summary made."""
        summarize = self._summarize
        for entry in self.view:
            if not entry.plain:
                entry.plain = summarize(entry.message, entry.when)
        return self.view

    def view_tail(self, k: int) -> list[EventEntry]:
        """The newest `k` entries of the view, with their summaries (for a pane following a flood)."""
        tail = list(itertools.islice(reversed(self.view), k))
        tail.reverse()
        summarize = self._summarize
        for entry in tail:
            if not entry.plain:
                entry.plain = summarize(entry.message, entry.when)
        return tail

    def take_view_evicted(self) -> int:
        n, self.view_evicted = self.view_evicted, 0
        return n

    def clear(self) -> None:
        self.view.clear()
        self.view_evicted = 0

    def text(self) -> str:
        return "\n".join(e.plain for e in self.view_lines())


@dataclass(slots=True)
class TranscriptLine:
    plain: str
    fragments: Fragments


class Transcript:
    """The transcript pane's lines: what was sent and what came back."""

    def __init__(self, maxlines: int = 20_000):
        self.lines: collections.deque[TranscriptLine] = collections.deque(maxlen=maxlines)
        self.evicted = 0

    def add_lines(self, lines: Iterable[Fragments]) -> None:
        for fragments in lines:
            if len(self.lines) == self.lines.maxlen:
                self.evicted += 1
            self.lines.append(TranscriptLine("".join(t for _, t, *_ in fragments), fragments))

    def take_evicted(self) -> int:
        n, self.evicted = self.evicted, 0
        return n

    def clear(self) -> None:
        self.lines.clear()
        self.evicted = 0

    def text(self) -> str:
        return "\n".join(line.plain for line in self.lines)
