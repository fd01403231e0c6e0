"""What every transport hands to the modes: `Pending`, `Subscription`, `Closed`, `Notice`.

UI-free and socket-free. `amish.transports.base` says what a transport
guarantees about each; the TCP `connection.Connection`, the HTTP
`http.HttpConnection` and the `replay.ReplayConnection` all make and fill
these, so a mode reads a result, a subscription and the end of a session the
same way whatever carries it. (`amish.transports.connection` re-exports them,
as it always did.)
"""

from __future__ import annotations

import collections
import threading
import time

TYPE_CHECKING = False  # typing costs ~2 ms of every start-up
if TYPE_CHECKING:  # pragma: no cover
    from typing import Callable

    from ..core.protocol import Message

from ..core.errors import ActionTimeout, AmishError

__all__ = ["Pending", "Subscription", "Closed", "Notice", "RecordedTime", "DEFAULT_TIMEOUT"]

#: How long `Pending.wait` and a transport's `send` wait by default (seconds).
DEFAULT_TIMEOUT = 10.0


class Closed:
    """Put in every subscription when the connection ends."""

    __slots__ = ("reason",)

    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self) -> str:
        return f"Closed({self.reason!r})"


class Notice:
    """Something the transport itself tells the user, in the stream's order (not from the server).

    E.g. that an HTTP session expired and amish logged in again. Every mode that
    shows the stream shows `text` as one plain line (``amish: <text>``).
    """

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return f"Notice({self.text!r})"


class RecordedTime:
    """Put in a subscription before the items of each chunk: the time (seconds since the epoch) the
    chunk was recorded at, so that a front end dates what follows as recorded (the call model's
    durations, the events pane's times), not as played. A dump that does not say when it started has
    none (what it holds is dated as played)."""

    __slots__ = ("when",)

    def __init__(self, when: float):
        self.when = when

    def __repr__(self) -> str:
        return f"RecordedTime({self.when!r})"


class Subscription:
    """A bounded buffer of what the server sent that no action claimed.

    Holds events, responses nobody waits for any more, ProtocolErrors, the
    transport's own `Notice`s and, at the end, a `Closed`. When full, the oldest item is dropped and counted in
    `dropped`; nothing is lost silently. `callback` (optional) is called in the
    I/O thread after each batch of items and must not block: a UI passes
    something like ``lambda: loop.call_soon_threadsafe(drain)``.
    """

    def __init__(self, maxlen: int = 100_000, callback: Callable[[], None] | None = None):
        self._queue: collections.deque = collections.deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self.callback = callback
        self.received = 0
        self.dropped = 0

    def put_many(self, items: list) -> None:
        """Hand over a batch (the producer's thread: a transport's I/O thread, or a transport built on
        others, like a fleet): never waits; when full, the oldest go first, counted in `dropped`;
        then `callback` is called once."""
        queue = self._queue
        with self._lock:
            room = queue.maxlen - len(queue)
            if len(items) > room:
                self.dropped += len(items) - room
            queue.extend(items)
        self.received += len(items)
        self._ready.set()
        if self.callback is not None:
            try:
                self.callback()
            except Exception:  # a consumer's bug must not take the I/O thread down
                pass

    def get(self, timeout: float | None = None):
        """The next item, waiting up to `timeout` seconds; None if nothing came."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                return self._queue.popleft()
            except IndexError:
                pass
            self._ready.clear()
            if self._queue:
                continue
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return None
            self._ready.wait(remaining)

    def drain(self, limit: int | None = None) -> list:
        """What is buffered now (at most `limit` items, oldest first), without waiting."""
        queue = self._queue
        with self._lock:  # so no item the I/O thread adds meanwhile is cleared with the rest
            if limit is None or limit >= len(queue):
                out = list(queue)
                queue.clear()
                return out
            popleft = queue.popleft
            return [popleft() for _ in range(limit)]

    def __len__(self) -> int:
        return len(self._queue)


#: Guards every Pending's done flag, its Event (made lazily) and its callbacks; held for a few steps only.
_PENDING_LOCK = threading.Lock()


class Pending:
    """An action in flight and, once done, its complete result.

    `response` is the Response message; for list actions (``EventList: start``)
    `events` holds the items and `complete` the closing ``...Complete`` event;
    with `wait_event` (e.g. ``OriginateResponse`` for an async Originate),
    `event` holds that event.
    """

    def __init__(self, action: Message, action_id: str, wait_event: str | None):
        self.action = action
        self.action_id = action_id
        self.wait_event = wait_event.lower() if wait_event else None
        self.response: Message | None = None
        self.events: list[Message] = []
        self.complete: Message | None = None
        self.event: Message | None = None
        self.error: AmishError | None = None
        self.listing = False
        self.sent_at = time.monotonic()
        self.done_at: float | None = None
        self._is_done = False
        # made only when someone has to wait: a pipeline of 10,000 actions mostly finds them done
        self._event: threading.Event | None = None
        self._callbacks: list[Callable[["Pending"], None]] | None = None

    @property
    def done(self) -> bool:
        return self._is_done

    @property
    def ok(self) -> bool:
        """The server answered Success (or Follows, or Goodbye to a Logoff)."""
        if self.response is None:
            return False
        status = (self.response.get("Response") or "").lower()
        if status not in ("success", "follows", "goodbye"):
            return False
        if self.event is not None:
            return (self.event.get("Response") or "success").lower() == "success"
        return True

    @property
    def rtt(self) -> float | None:
        """Seconds from sending to the complete result."""
        return None if self.done_at is None else self.done_at - self.sent_at

    @property
    def messages(self) -> list[Message]:
        """Everything that makes up the result, in the order it arrived."""
        out = [self.response] if self.response is not None else []
        out.extend(self.events)
        if self.complete is not None:
            out.append(self.complete)
        if self.event is not None:
            out.append(self.event)
        return out

    def wait(self, timeout: float | None = DEFAULT_TIMEOUT) -> "Pending":
        """Wait for the complete result; raises ActionTimeout or ConnectionLost."""
        if not self._is_done:
            with _PENDING_LOCK:
                if not self._is_done and self._event is None:
                    self._event = threading.Event()
                event = self._event
        else:
            event = None
        if event is not None and not event.wait(timeout):
            name = self.action.get("Action") or "action"
            got = "no response" if self.response is None else "an incomplete response"
            raise ActionTimeout(f"{name}: {got} within {timeout:g} s")
        if self.error is not None:
            raise self.error
        return self

    def add_done_callback(self, callback: Callable[["Pending"], None]) -> None:
        """Call `callback(self)` once the result is complete (at once if it already is).

        It runs in the I/O thread and must not block: a UI hands over with
        ``loop.call_soon_threadsafe``.
        """
        with _PENDING_LOCK:
            if not self._is_done:
                if self._callbacks is None:
                    self._callbacks = []
                self._callbacks.append(callback)
                return
        callback(self)

    def _finish(self, error: AmishError | None = None) -> None:
        if error is not None and self.error is None and not self._is_done:
            self.error = error
        self.done_at = time.monotonic()
        with _PENDING_LOCK:
            self._is_done = True
            event = self._event
            callbacks, self._callbacks = self._callbacks, None
        if event is not None:
            event.set()
        for callback in callbacks or ():
            try:
                callback(self)
            except Exception:  # a consumer's bug must not stop the I/O thread
                pass
