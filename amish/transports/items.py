"""What a subscriber does with each item it drains, switched in one place.

A subscription (`connection.Subscription`) holds these kinds of item: a
`Message` (an event, a response nobody waits for, an action a replay shows),
a `ProtocolError` (something in the stream that was not a message; parsing
went on), a `Pending` (a replay's recorded result, paired with its action), a
`RecordedTime` (a replay: when what follows was recorded), a `Notice` (the
transport's own word to the user: an HTTP session logged in again) and, last,
a `Closed`. Every mode hands what it drained to `dispatch` with one
handler per kind instead of writing the switch again.

Messages go to their handler in runs (every message between two other items,
as one list: under a flood, the whole batch), so the loop over messages stays
in the mode and costs what it did: `amish events` writes the raw bytes once per
read, never once per event.
"""

from __future__ import annotations

from typing import Callable, Sequence

from ..core.protocol import Message, ProtocolError
from .shared import Closed, Notice, Pending, RecordedTime

__all__ = ["dispatch", "RecordedTime"]

def _unexpected(item: object) -> bool:
    raise TypeError(f"a subscription never holds {type(item).__name__}")


def dispatch(
    items: Sequence[object],
    messages: Callable[[Sequence[Message]], object],
    protocol_error: Callable[[ProtocolError], object],
    closed: Callable[[Closed], object],
    pending: Callable[[Pending], object] = _unexpected,
    recorded_time: Callable[[RecordedTime], object] = lambda item: None,
    notice: Callable[[Notice], object] = _unexpected,
    other: Callable[[object], object] = _unexpected,
) -> bool:
    """Hand each of `items`, in order, to the handler of its kind; True when a handler said stop.

    `messages` gets runs of consecutive messages (a list; the whole of `items`
    when there is nothing else in it); the others get one item each. A handler
    that returns something true stops the dispatch: the rest of `items` is not
    handed out (a goal was met, the session is being replaced). A replay puts a
    `RecordedTime` before each recorded chunk; `recorded_time` gets it (ignored
    unless asked: only a front end that dates what it shows needs it). `other` takes
    the kinds a layer above the transports puts in a subscription of its own
    (a fleet's `runtime.fleet.MemberState`: a server lost, back or gone); without
    it such an item is a TypeError.
    """
    if not items:
        return False
    if len(kinds := set(map(type, items))) == 1 and Message in kinds:  # the common case, in one C-level pass
        return bool(messages(items))
    start = 0
    for i, item in enumerate(items):
        kind = type(item)
        if kind is Message:
            continue
        if start < i and messages(items[start:i]):
            return True
        start = i + 1
        if kind is ProtocolError:
            stop = protocol_error(item)
        elif kind is Closed:
            stop = closed(item)
        elif kind is Pending:
            stop = pending(item)
        elif kind is RecordedTime:
            stop = recorded_time(item)
        elif kind is Notice:
            stop = notice(item)
        else:
            stop = other(item)
        if stop:
            return True
    return bool(start < len(items) and messages(items[start:]))
