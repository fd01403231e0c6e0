"""Which action an answer belongs to: the correlator, sans-IO.

The server's answers are messages; the actions in flight wait for them. This
module pairs the two and nothing else: no sockets, no threads, no lock, no
clock. The Connection's I/O thread feeds it what the `protocol.Parser` framed
and acts on what comes back (wakes the waiters, hands the rest to the
subscribers); tests feed it messages by hand (tests/unit/test_correlator.py).

An action in flight is a record (`transports.shared.Pending`) with ``action_id``,
``wait_event`` (lower case, or None), and the fields the correlator fills in:
``response``, ``listing``, ``events``, ``complete`` and ``event``.

Every rule, in the order they are tried (`Correlator.receive`):

======================================  ==========================================  ===============
what arrives                            what it does to the action it belongs to    to subscribers
======================================  ==========================================  ===============
Response with an ActionID in flight     its ``response`` (``listing`` if it says    no
                                        ``EventList: start``)
Response without an ActionID            the same, to the oldest action still        no
                                        waiting for its response
Response with any other ActionID        (an abandoned or timed-out action's late    yes
                                        answer, a duplicate, someone else's)
Event named the action's ``wait_event`` its ``event`` (the first one only)          yes, as well
Event with ``EventList: Complete``      its ``complete``, while its list is open    no
Any other event with its ActionID       appended to its ``events`` while its list   no
                                        is open; not the action's otherwise         (yes)
Anything else (events of no action,     nothing                                     yes
ProtocolErrors, Banners)
======================================  ==========================================  ===============

An action is complete as soon as it awaits nothing more (`awaiting`): it has
its response, its list (if the response opened one) is closed, and the
``wait_event`` it asked for has come, unless the response was not a Success
(an Error never gets its OriginateResponse). A complete action leaves the
correlator and is handed back to the caller, which finishes it.

``FullyBooted`` (Asterisk has finished booting) is looked for apart, by
`fully_booted_in`: it belongs to no action and goes to subscribers too.
"""

from __future__ import annotations

import collections
import re

from .errors import AmishError
from .protocol import Message

TYPE_CHECKING = False  # typing costs start-up time
if TYPE_CHECKING:  # pragma: no cover
    from ..transports.shared import Pending

__all__ = ["Correlator", "awaiting", "fully_booted_in", "is_async_originate"]


def awaiting(pending: "Pending") -> str | None:
    """What the action still waits for: 'response', 'items', 'event', or None when complete."""
    response = pending.response
    if response is None:
        return "response"
    if pending.listing and pending.complete is None:
        return "items"
    if pending.wait_event and pending.event is None and (response.get("Response") or "").lower() == "success":
        return "event"
    return None


class Correlator:
    """The actions in flight, and which of them each message that arrives belongs to.

    Not thread-safe: its owner serialises the calls (the Connection holds its
    lock around them). `idle` alone may be read without it, see there.
    """

    __slots__ = ("in_flight", "_fifo")

    def __init__(self) -> None:
        #: ActionID -> the action in flight that carries it.
        self.in_flight: dict[str, Pending] = {}
        # the same actions in the order they were sent: a response that echoes
        # no ActionID belongs to the oldest one still waiting for its response
        self._fifo: collections.deque[Pending] = collections.deque()

    @property
    def idle(self) -> bool:
        """No action in flight: everything that arrives goes to the subscribers as it is.

        Safe to read without the owner's lock from the thread that feeds
        `receive`: an action is expected before its bytes are sent, so before
        its answer can arrive.
        """
        return not self.in_flight and not self._fifo

    def expect(self, pending: "Pending") -> None:
        """An action is being sent: its answers will be claimed for it."""
        if pending.action_id in self.in_flight:
            raise AmishError(f"ActionID {pending.action_id} is already in flight")
        self.in_flight[pending.action_id] = pending
        self._fifo.append(pending)

    def forget(self, pending: "Pending") -> None:
        """Stop claiming answers for `pending` (complete, abandoned, timed out): late ones are loose."""
        if self.in_flight.get(pending.action_id) is pending:
            del self.in_flight[pending.action_id]
        try:
            self._fifo.remove(pending)
        except ValueError:
            pass

    def forget_all(self) -> list["Pending"]:
        """Every action still in flight (the connection is gone), forgotten."""
        left = list(self.in_flight.values())
        self.in_flight.clear()
        self._fifo.clear()
        return left

    def receive(self, items: list) -> tuple[list, list["Pending"]]:
        """Pair what arrived with the actions in flight.

        Returns ``(loose, completed)``: the items no action claimed, for the
        subscribers, in the order they came; and the actions made complete by
        these items, in the order they completed (no longer in flight).
        """
        in_flight = self.in_flight
        if not in_flight and not self._fifo:
            return items, []
        loose: list = []
        claim_not = loose.append
        completed: list[Pending] = []
        for item in items:
            if type(item) is not Message:
                claim_not(item)
                continue
            kind = item.kind  # read from the bytes: events are not parsed here
            if kind == "event":
                if not in_flight or not _may_have_action_id(item.raw):
                    claim_not(item)
                    continue
                action_id = item.get("ActionID")
                pending = in_flight.get(action_id) if action_id is not None else None
                if pending is None or not self._on_event(pending, item, completed):
                    claim_not(item)
            elif kind == "response":
                pending = self._owner_of_response(item)
                if pending is None:
                    claim_not(item)
                else:
                    self._on_response(pending, item, completed)
            else:
                claim_not(item)
        return loose, completed

    # -- the transitions (the table in the module docstring) -----------------
    def _owner_of_response(self, msg: Message) -> "Pending | None":
        action_id = msg.get("ActionID")
        if action_id is None:
            return next((p for p in self._fifo if p.response is None), None)
        pending = self.in_flight.get(action_id)
        if pending is not None and pending.response is not None:
            return None  # answered already: a second response is nobody's
        return pending

    def _on_response(self, pending: "Pending", msg: Message, completed: list) -> None:
        pending.response = msg
        if (msg.get("EventList") or "").lower() == "start":
            pending.listing = True
            return  # its items follow
        self._complete_if_done(pending, completed)

    def _on_event(self, pending: "Pending", msg: Message, completed: list) -> bool:
        """An event carrying `pending`'s ActionID; True when it is claimed (a list item)."""
        if pending.wait_event and pending.event is None and (msg.get("Event") or "").lower() == pending.wait_event:
            pending.event = msg
            self._complete_if_done(pending, completed)
            return False  # the awaited event is shown to subscribers as well
        if pending.listing and pending.complete is None:
            if (msg.get("EventList") or "").lower() == "complete":
                pending.complete = msg
                self._complete_if_done(pending, completed)
            else:
                pending.events.append(msg)
            return True
        return False

    def _complete_if_done(self, pending: "Pending", completed: list) -> None:
        if awaiting(pending) is None:
            self.forget(pending)
            completed.append(pending)


def fully_booted_in(items: list) -> bool:
    """Whether the server said ``Event: FullyBooted`` among `items`."""
    for item in items:
        if type(item) is Message and item.raw.startswith(b"Event: FullyBooted"):
            return True
    return False


_ACTION_ID = re.compile(rb"(?i)actionid[ \t]*:")


def _may_have_action_id(raw: bytes) -> bool:
    """Cheap test on the bytes before parsing an event to read its ActionID."""
    if not raw:
        return True  # built here, not received: look properly
    return b"ActionID:" in raw or _ACTION_ID.search(raw) is not None


def is_async_originate(message) -> bool:
    """An Originate with ``Async: true``: its outcome comes later, in an OriginateResponse event."""
    return (message.get("Action") or "").lower() == "originate" and (message.get("Async") or "").lower() in (
        "true", "yes", "1", "on", "y", "t",
    )
