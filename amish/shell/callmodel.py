"""The shell's call model on its own thread: the tracker fed off the UI loop, the Channels view's order kept.

A big PBX sends thousands of call events a second, and the call tracker
(amish.core.calls) takes tens of microseconds for each: fed on the UI loop, a
slice of 1,000 events held the keyboard for 50-100 ms. Here the UI's drain
only appends each event to a bounded queue (`put`, never blocking: what does
not fit is counted in `dropped`), and the model thread feeds the tracker in
short batches under `lock`, sleeping a little between them so a reader waiting
for the lock gets it within a few milliseconds. Whoever reads the tracker's
records from another thread takes `lock` (`with model.lock:`).

The model thread also keeps the Channels view's order for a big table
(`order`): each channel's sort value is recomputed only when the tracker says
it changed (`take_changes`: the channel, or a bridge it is in), and the keys are
re-sorted at most every ORDER_INTERVAL seconds, off the UI loop. The UI reads
`order` (an `Order`, replaced whole, never changed in place) without the lock
and lays out only the rows around the selection.
"""

from __future__ import annotations

import bisect
import collections
import threading
import time
from typing import Callable

__all__ = ["CallModel", "Order", "MODEL_QUEUE", "channel_sort_value", "caller_text", "channel_choices", "pick_choices", "ChoiceList",
           "Placed", "place_key", "sort_keys"]

#: Events that may wait for the model thread (a minute of a big PBX's 3,000 a second); past it they are dropped, counted.
MODEL_QUEUE = 200_000
#: The model thread holds the lock at most about this long at a time (seconds)...
BATCH_SECONDS = 0.001
#: ...then leaves it free this long, so a reader waiting for it gets it (and the UI the interpreter)...
PAUSE_SECONDS = 0.0005
#: ...unless this many events wait: a flood the model must catch up with, or the queue (Messages, ~150 bytes
#: each beyond what the events store keeps anyway) grows by the tens of megabytes and the tracker falls behind
BACKLOG = 2000
#: The Channels view's order is re-sorted at most this often while channels change (seconds).
ORDER_INTERVAL = 0.5
#: Over this many live channels completion reads the list of them the model thread keeps (newest first)...
BIG_CHOICES = 2000
#: ...made again at most this often while the tracker changes and completion asks (seconds)...
CHOICES_INTERVAL = 0.5
#: ...and kept up to date this long after completion last asked (seconds).
CHOICES_WANTED = 30.0
#: A duration sorts as this minus the channel's creation time: the same order as now - created, for any now.
_LATE = 1e11


def caller_text(num: str | None, name: str | None) -> str:
    """A caller ID as the views show it: ``Name <num>``, or whichever is known (Asterisk's placeholders: none)."""
    num = "" if num in ("<unknown>", None) else num
    name = "" if name in ("<unknown>", None) else name
    if name and num and name != num:
        return f"{name} <{num}>"
    return name or num


def _peers(tracker, ch) -> str:
    if not ch.bridge:
        return ""
    br = tracker.bridges.get(ch.bridge)
    if br is None:
        return ""
    names = []
    for uid in br.members:
        other = tracker.channels.get(uid)
        if other is not None and other.uniqueid != ch.uniqueid:
            names.append(other.name)
    return ", ".join(names)


def channel_sort_value(tracker, ch, column: int):
    """What a channel's row sorts by in `column` (as callviews.channel_rows' sort values; a duration
    as _LATE - created, which orders the same way at any time)."""
    if column == 0:
        return ch.name
    if column == 1:
        return (ch.state_desc or str(ch.state)) + (", hold" if ch.on_hold else "") + (", rec" if ch.recording else "")
    if column == 2:
        return caller_text(ch.caller_num, ch.caller_name)
    if column == 3:
        return caller_text(ch.connected_num, ch.connected_name)
    if column == 4:
        return ch.where
    if column == 5:
        return _peers(tracker, ch)
    return _LATE - ch.created if ch.created else 0.0


def _made(ch) -> tuple[int, float, str]:
    """When a channel was made, as an order: its Uniqueid's sequence number (``[system-]epoch.N``,
    Asterisk counts every channel it makes), then its creation time (then the Uniqueid: one order)."""
    uid = ch.uniqueid
    seq = uid.rpartition(".")[2]
    return (int(seq) if seq.isdigit() else -1, ch.created or 0.0, uid)


def _entry(ch) -> tuple[str, str, str, str]:
    """A channel as completion offers it: (Uniqueid, name, name in lower case, caller ID or state)."""
    caller = " ".join(x for x in (ch.caller_name, f"<{ch.caller_num}>" if ch.caller_num else "")
                      if x and x != "<unknown>" and x != "<<unknown>>")
    name = ch.name
    return (ch.uniqueid, name, name.lower(), caller or ch.state_desc or "live")


def _choice_entries(channels) -> list[tuple[str, str, str, str]]:
    """`_entry` of each channel, newest first (`_made`)."""
    numbered, other = [], []  # apart: each comes nearly in order, and sorts in about one pass
    for ch in channels:
        (numbered if ch.uniqueid.rpartition(".")[2].isdigit() else other).append(ch)
    numbered.sort(key=_made, reverse=True)
    other.sort(key=_made, reverse=True)
    return [_entry(ch) for ch in numbered + other]


class ChoiceList:
    """Completion's channels kept in `_made` order as they come, change and go (on the model thread):
    a new channel is a bisect and an append, an ended one a bisect and a delete, not a sort of them all."""

    __slots__ = ("_places", "_entries", "_place")

    def __init__(self, channels=()):
        entries = _choice_entries(channels)
        entries.reverse()  # oldest first: new ones go at the end
        self._entries = entries
        self._places = [_made(ch) for ch in sorted(channels, key=_made)]
        self._place = {p[2]: p for p in self._places}

    def __len__(self) -> int:
        return len(self._entries)

    def put(self, ch) -> None:
        new = _made(ch)
        old = self._place.get(ch.uniqueid)
        if old == new:
            self._entries[bisect.bisect_left(self._places, new)] = _entry(ch)  # its name or caller ID changed
            return
        if old is not None:
            self.remove(ch.uniqueid)
        i = bisect.bisect_left(self._places, new)
        self._places.insert(i, new)
        self._entries.insert(i, _entry(ch))
        self._place[ch.uniqueid] = new

    def remove(self, uid: str) -> None:
        old = self._place.pop(uid, None)
        if old is not None:
            i = bisect.bisect_left(self._places, old)
            del self._places[i]
            del self._entries[i]

    def newest_first(self) -> tuple:
        return tuple(reversed(self._entries))


def channel_choices(channels) -> list[tuple[str, str]]:
    """(name, caller ID or state) of live channels, newest first, for completion.

    The order is the channels' own (`_made`), not the order they reached the tracker: the
    ``CoreShowChannels`` list that seeds it comes in Asterisk's container order, which changes
    from one run to the next (the two halves of a Local channel came either way round)."""
    return [(name, meta) for _uid, name, _low, meta in _choice_entries(channels)]


def pick_choices(entries, word: str = "", limit: int | None = None, live: dict | None = None) -> list[tuple[str, str]]:
    """The (name, meta) of `entries` (as `_choice_entries`) whose name holds `word` (any case): the first
    `limit` that start with it, then the first `limit` that hold it elsewhere (what completion's prefix-then-
    substring match can show of them, in their order). With `live` (Uniqueid -> channel), only those still
    in it, under their name now."""
    low = word.lower()
    prefix: list[tuple[str, str]] = []
    inner: list[tuple[str, str]] = []
    cap = len(entries) if limit is None else limit
    for uid, name, lname, meta in entries:
        if lname.startswith(low):
            into = prefix
        elif low in lname:
            into = inner
        else:
            continue
        if len(into) >= cap:
            if len(prefix) >= cap and len(inner) >= cap:
                break
            continue
        if live is not None:
            ch = live.get(uid)
            if ch is None:
                continue  # ended since the list was made
            name = ch.name
        into.append((name, meta))
    return prefix + inner


class Order:
    """The Channels view's rows in order: Uniqueids, where each is, and what sort it was made for."""

    __slots__ = ("keys", "index", "sort", "reverse", "version")

    def __init__(self, keys: list[str], sort: int, reverse: bool, version: int):
        self.keys = keys
        self.index = {k: i for i, k in enumerate(keys)}
        self.sort = sort
        self.reverse = reverse
        self.version = version


class CallModel:
    """The tracker, fed on the model thread; `on_change()` is called (on that thread) after a batch that
    changed it, at most once until `changes_seen()`; it should only hand over to the UI loop.
    `learn(message)`, if given, sees every event too, on the model thread (completion's values): what
    reads events goes here, so the UI loop only queues them."""

    def __init__(self, tracker, on_change: Callable[[], None] | None = None, maxlen: int = MODEL_QUEUE,
                 learn: Callable[[object], None] | None = None):
        self.tracker = tracker
        self.learn = learn
        self.lock = threading.RLock()
        self.on_change = on_change
        self.maxlen = maxlen
        #: events the queue had no room for (the model misses them; the views say so)
        self.dropped = 0
        self._queue: collections.deque = collections.deque()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._told = False
        self._idle = threading.Event()
        self._idle.set()
        # the Channels view's order
        self.order: Order | None = None
        self._want: tuple[int, bool] | None = None  # the sort the view shows (None: no big table shown)
        self._values: dict[str, object] = {}
        self._values_for: int | None = None
        self._order_dirty = True
        self._order_at = 0.0
        self._changed: set[str] = set()
        self._changed_bridges: set[str] = set()
        self._placed = Placed()  # the order kept as values change
        self._sorted_for: tuple[int, bool] | None = None  # the sort it is kept for
        # completion's list of live channels on a big PBX: (tracker version, entries), kept while wanted
        self._choices: tuple[int, list] | None = None
        self._choices_until = 0.0
        self._choices_at = 0.0
        self._choice_list: ChoiceList | None = None
        self._choice_changed: set[str] = set()

    # -- from the UI loop -----------------------------------------------------------------
    def put(self, message, now: float | None) -> None:
        """One event for the tracker: queued, never waited on."""
        if len(self._queue) >= self.maxlen:
            self.dropped += 1
            return
        self._queue.append((message, now))
        self._idle.clear()
        if self._thread is None:
            self._start()
        self._wake.set()

    def want_order(self, sort: int | None, reverse: bool = False) -> None:
        """The Channels view shows a big table sorted so (None: it does not): keep `order` for it."""
        want = None if sort is None else (sort, reverse)
        if want != self._want:
            self._want = want
            self._order_dirty = True
            self._order_at = 0.0
            if want is not None:
                if self._thread is None:
                    self._start()
                self._wake.set()

    def fed_elsewhere(self) -> None:
        """The tracker was fed under the lock by another thread (the channel list on connect): sort again."""
        self._order_dirty = True
        self._order_at = 0.0
        if self._thread is not None:
            self._wake.set()

    def channel_choices(self, word: str = "", limit: int | None = None) -> list[tuple[str, str]]:
        """(UI) Live channels, newest first, whose name holds `word` (`pick_choices`), for completion.

        A few thousand channels are listed and sorted now, under the lock; a big PBX's are read from the
        list the model thread keeps (`ChoiceList`, published at most every CHOICES_INTERVAL while
        completion asks: a channel made since is offered from the next one, one ended since never is),
        so a keystroke costs a scan of names, not a sort of every channel."""
        tracker = self.tracker
        if len(tracker.channels) <= BIG_CHOICES:
            with self.lock:
                channels = list(tracker.channels.values())
            return pick_choices(_choice_entries(channels), word, limit)
        self._choices_until = time.monotonic() + CHOICES_WANTED
        made = self._choices
        if made is None:  # the first time: made here, once (the model thread keeps its own from now)
            with self.lock:
                version, channels = tracker.version, list(tracker.channels.values())
            made = self._choices = (version, tuple(_choice_entries(channels)))
        if made[0] != tracker.version and self._thread is not None:
            self._wake.set()
        return pick_choices(made[1], word, limit, tracker.channels)

    def _keep_choices(self) -> None:
        """(Model thread) Completion's list up to date with what changed, published (`_choices`)."""
        tracker = self.tracker
        with self.lock:
            self._take_changes()
            version = tracker.version
            if self._choice_list is None:  # the first time it is wanted: every channel, once
                self._choice_list = ChoiceList(list(tracker.channels.values()))
                todo = []
            else:
                todo = list(self._choice_changed)
            self._choice_changed = set()
        kept = self._choice_list
        for i in range(0, len(todo), 256):  # a few hundred at a time: the feed goes on between them
            with self.lock:
                channels = tracker.channels
                for uid in todo[i:i + 256]:
                    ch = channels.get(uid)
                    if ch is None:
                        kept.remove(uid)
                    else:
                        kept.put(ch)
        if len(kept) != len(tracker.channels) and len(tracker.channels) > BIG_CHOICES:
            self._choice_list = None  # something went by unseen (a resync): all again next time
        self._choices = (version, kept.newest_first())
        self._choices_at = time.monotonic() + CHOICES_INTERVAL

    def changes_seen(self) -> None:
        """The UI took the last change: the next one is told again."""
        self._told = False

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Until the queue is empty and fed (tests, and before a one-off read)."""
        return self._idle.wait(timeout)

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    # -- the model thread ---------------------------------------------------------------------
    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="amish-calls", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        queue = self._queue
        tracker = self.tracker
        learn = self.learn or (lambda message: None)
        while not self._stopping:
            self._wake.wait(ORDER_INTERVAL)
            self._wake.clear()
            while queue and not self._stopping:
                changed = False
                with self.lock:
                    end = time.perf_counter() + BATCH_SECONDS
                    n = 0
                    while queue:
                        message, now = queue.popleft()
                        if tracker.feed(message, now):
                            changed = True
                        learn(message)
                        n += 1
                        if not n & 31 and time.perf_counter() >= end:
                            break
                    self._take_changes()
                if changed:
                    self._order_dirty = True
                    self._tell()
                if queue and len(queue) < BACKLOG:
                    time.sleep(PAUSE_SECONDS)
            if not queue:
                self._idle.set()
            if self._want is not None and self._order_dirty and time.monotonic() >= self._order_at:
                self._sort()
            made = self._choices
            if (made is not None and made[0] != tracker.version and time.monotonic() >= self._choices_at
                    and time.monotonic() < self._choices_until):
                self._keep_choices()

    def _take_changes(self) -> None:
        """(Under the lock.) What changed, kept only while an order is wanted: never piles up."""
        changes = self.tracker.take_changes()
        if self._choice_list is not None:
            if time.monotonic() < self._choices_until:
                self._choice_changed.update(changes.channels)
            else:  # completion stopped asking: the list is dropped, made again when wanted
                self._choice_list = None
                self._choice_changed = set()
                self._choices = None
        if self._want is None:
            self._values_for = None  # stale: every value again when wanted
            return
        self._changed.update(changes.channels)
        self._changed_bridges.update(changes.bridges)

    def _tell(self) -> None:
        if not self._told and self.on_change is not None:
            self._told = True
            self.on_change()

    def _sort(self) -> None:
        """The Channels view's order again: the changed channels' values, each moved to its place (a
        bisect), not every channel sorted again; a whole sort only for another column or direction."""
        want = self._want
        if want is None:
            return
        sort, reverse = want
        tracker = self.tracker
        with self.lock:
            self._take_changes()
            changed, self._changed = self._changed, set()
            bridges, self._changed_bridges = self._changed_bridges, set()
            version = tracker.version
            values = self._values
            if self._values_for != sort:  # another column: every value again
                values.clear()
                self._values_for = sort
                self._sorted_for = None
                todo = list(tracker.channels)
            else:
                todo = changed
                for bid in bridges:
                    br = tracker.bridges.get(bid)
                    if br is not None:
                        todo.update(br.members)
                for uid in list(todo):
                    ch = tracker.channels.get(uid)
                    if ch is not None and ch.bridge:
                        br = tracker.bridges.get(ch.bridge)
                        if br is not None:
                            todo.update(br.members)
        rebuild = self._sorted_for != want
        placed = self._placed
        # the values outside the lock, a few hundred at a time (the feed goes on between them)
        todo = list(todo)
        for i in range(0, len(todo), 256):
            with self.lock:
                channels = tracker.channels
                for uid in todo[i:i + 256]:
                    ch = channels.get(uid)
                    if ch is None:
                        values.pop(uid, None)
                        if not rebuild:
                            placed.remove(uid)
                    else:
                        value = values[uid] = channel_sort_value(tracker, ch, sort)
                        if not rebuild:
                            placed.put(uid, value)
        with self.lock:
            for uid in [u for u in values if u not in tracker.channels]:  # ended since
                del values[uid]
                if not rebuild:
                    placed.remove(uid)
        if rebuild:  # one whole sort (another column, another direction)
            placed.rebuild(values, reverse)
            self._sorted_for = want
        self._order_dirty = False
        self._order_at = time.monotonic() + ORDER_INTERVAL
        self.order = Order(list(placed.keys), sort, reverse, version)
        self._tell()


class _Desc:
    """A string that sorts backwards (in `Placed`'s keys for a reversed order)."""

    __slots__ = ("s",)

    def __init__(self, s: str):
        self.s = s

    def __eq__(self, other) -> bool:
        return self.s == other.s

    def __lt__(self, other) -> bool:
        return self.s > other.s

    def __gt__(self, other) -> bool:
        return self.s < other.s

    __hash__ = None


_DESC_NONE = _Desc("")  # a number's text: one for all (a big PBX's 10,000 durations made one each)


def _value_key(value) -> tuple:
    """A sort value's place (as tables.sort_rows orders them: numbers as numbers, empty values apart)."""
    empty = value in ("", None)
    if isinstance(value, (int, float)):
        return (empty, 0, value, "")
    return (empty, 1, 0, str(value).lower())


def place_key(key: str, value, reverse: bool) -> tuple:
    """One total order for (key, sort value) pairs, ascending, that is the order `sort_keys` gives them:
    by value (backwards when `reverse`, empty values last either way), ties by key."""
    empty, kind, num, text = _value_key(value)
    if reverse:
        return (empty, -kind, -num, _Desc(text) if text else _DESC_NONE, key)
    return (empty, kind, num, text, key)


class Placed:
    """Keys kept in `sort_keys` order as their values change: each change is a bisect and a move in two
    lists (microseconds for 10,000 rows), not a sort of them all."""

    __slots__ = ("keys", "_places", "_place", "reverse")

    def __init__(self):
        self.keys: list = []
        self._places: list[tuple] = []  # place_key of each of keys, ascending
        self._place: dict = {}  # key -> its place_key
        self.reverse = False

    def rebuild(self, values: dict, reverse: bool) -> None:
        self.reverse = reverse
        self.keys = sort_keys(values, reverse)
        self._places = [place_key(k, values[k], reverse) for k in self.keys]
        self._place = dict(zip(self.keys, self._places))

    def remove(self, key) -> None:
        old = self._place.pop(key, None)
        if old is not None:
            i = bisect.bisect_left(self._places, old)
            del self._places[i]
            del self.keys[i]

    def put(self, key, value) -> None:
        new = place_key(key, value, self.reverse)
        old = self._place.get(key)
        if old is not None:
            if old == new:
                return
            self.remove(key)
        i = bisect.bisect_left(self._places, new)
        self._places.insert(i, new)
        self.keys.insert(i, key)
        self._place[key] = new


def sort_keys(values: dict, reverse: bool) -> list:
    """The keys of `values` (key -> sort value) in the order tables.sort_rows puts rows with those values
    (numbers as numbers, empty values last either way, ties by key)."""

    items = sorted(values.items())
    items.sort(key=lambda item: _value_key(item[1]), reverse=reverse)
    if reverse:
        items.sort(key=lambda it: it[1] in ("", None))
    return [k for k, _ in items]

