"""PROPOSED changes to the shell's flood path, measured by the bench but not part of amish.

Importing this module patches, in place:

1. Message.masked (amish/protocol.py): its "could this hold a secret?" test
   was a case-insensitive regex alternation over the raw bytes (about 9 us for
   a 350-byte event, on every event line drawn); the same test on an
   ASCII-lowered copy with four substring searches.
2. The events pane under a flood (amish/shell/app.py, stores.py, panes.py):
   every pane refresh made the plain summary (rich) of every new event in
   the 10,000-line view and joined them all into the Buffer -- 10,000 x ~30 us
   when the flood turns the whole view over, on the UI loop, several times a
   second. While a flood lasts (a full drain slice in the last second) and the
   pane follows the newest event, the pane is rebuilt from the last 400 events
   only; the full view comes back by itself a second after the flood calms.
3. LiveValues.observe (amish/shell/completion.py): it parsed every event of
   every drain slice (about 11 us each) to learn values for completion; it
   now learns from at most 300 events per 50 ms.
4. min_redraw_interval (amish/shell/app.py): 50 ms -> 16 ms (see below).
"""

from __future__ import annotations

import itertools
import time

from amish.protocol import Message
from amish.shell import app as shell_app
from amish.shell.completion import LiveValues
from amish.shell.panes import Pane
from amish.shell.stores import EventLog

TAIL = 400
OBSERVE_BUDGET = 300
OBSERVE_WINDOW = 0.05

_orig_masked = Message.masked


def masked(self):
    raw = self.raw
    if raw:
        low = raw.lower()
        if b"secret" not in low and b"key" not in low and b"line-" not in low and b"passw" not in low:
            return self
    return _orig_masked(self)


Message.masked = masked


def view_tail(self, k: int) -> list:
    tail = list(itertools.islice(reversed(self.view), k))
    tail.reverse()
    summarize = self._summarize
    for entry in tail:
        if not entry.plain:
            entry.plain = summarize(entry.message, entry.when)
    return tail


EventLog.view_tail = view_tail

_orig_refresh = Pane.refresh


def refresh(self, evicted_top: int = 0) -> None:
    tail = getattr(self, "tail_source", None)
    if tail is not None and self.follow:
        lines = self._lines
        self._lines = tail
        try:
            _orig_refresh(self, evicted_top)
        finally:
            self._lines = lines
    else:
        _orig_refresh(self, evicted_top)


Pane.refresh = refresh

_orig_drain = shell_app.Shell._drain
_orig_refresh_events = shell_app.Shell._refresh_events


def _drain(self) -> None:
    if len(self.sub) >= shell_app.MAX_ITEMS_PER_DRAIN:
        self._busy_until = time.monotonic() + 1.0
    _orig_drain(self)


def _refresh_events(self, busy: bool = False) -> None:
    flood = busy or time.monotonic() < getattr(self, "_busy_until", 0.0)
    pane = self.events_pane
    pane.tail_source = (lambda: self.events.view_tail(TAIL)) if flood else None
    if flood and not getattr(self, "_calm_refresh", False):
        self._calm_refresh = True

        def calm() -> None:
            self._calm_refresh = False
            if time.monotonic() >= getattr(self, "_busy_until", 0.0):
                pane.tail_source = None
                _orig_refresh_events(self)
                self.app.invalidate()
            else:
                _refresh_events(self)

        self._loop.call_later(1.1, calm)
    _orig_refresh_events(self, busy)


shell_app.Shell._drain = _drain
shell_app.Shell._refresh_events = _refresh_events

_orig_observe = LiveValues.observe


def observe(self, message) -> None:
    now = time.monotonic()
    if now - getattr(self, "_window", 0.0) >= OBSERVE_WINDOW:
        self._window = now
        self._seen = 0
    self._seen = getattr(self, "_seen", 0) + 1
    if self._seen <= OBSERVE_BUDGET:
        _orig_observe(self, message)


LiveValues.observe = observe


# 4. Redraws (amish/shell/app.py): min_redraw_interval was DRAIN_INTERVAL (50 ms), so under a flood -- a drain
#    invalidating the screen every 50 ms -- a keystroke's echo waited up to 50 ms for its redraw. The drains
#    already come at most every 50 ms by themselves; a keystroke may redraw 16 ms after the last redraw.
MIN_REDRAW = 0.016
_orig_init = shell_app.Shell.__init__


def __init__(self, *args, **kw):
    _orig_init(self, *args, **kw)
    self.app.min_redraw_interval = MIN_REDRAW


shell_app.Shell.__init__ = __init__
