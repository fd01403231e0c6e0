"""Replay a recorded AMI session as if it were live: a Connection without a server.

`ReplayConnection` implements `amish.transports.base.Transport`, not ``live``:
``submit()``/``send()``/``send_raw()`` raise `ReplayError` (nothing is ever
sent) and the shell offers no reconnect. So the
events pane, filters, search and the transcript work on a recording, an
``ngrep -W byline`` capture or an AMI text dump (see `amish.transports.wire`).

Playing: `start(speed)` runs a background thread that feeds the recorded
chunks through fresh sans-IO parsers, one per direction (``Parser`` expecting
a banner only when the server side starts with one, and
``Parser(expect_banner=False)`` for what the client sent), and puts every
Message in every subscription, in recorded order: events, responses (nothing
claims them: there are no actions in flight) and the actions the client sent
(``Message.kind == "action"``, secrets masked with ``Message.masked()``:
a dump from ngrep or telnet may hold a Login's Secret). ProtocolErrors found in the data are put too,
and at the end a ``Closed("end of recording")``.

- Pairing (``pair=True``, what `amish replay` uses): a recorded response is
  joined to the recorded action it answers (by ActionID, or in order when
  the response has none), list items to their list, as a Connection joins
  them live; the completed result is put as a finished `Pending` (its `rtt`
  the recorded one) in place of the loose response and items, after the
  action itself. A response whose action is not in the recording is put
  loose, as without pairing.
- Pacing: a chunk recorded at t seconds is put at t / `speed` seconds of
  play time; ``speed=None`` plays everything at once, ``1.0`` as recorded,
  ``10`` ten times faster. `pause()`, `resume()`, `set_speed()` and `stop()`
  work while playing; `position` says where play is (seconds of recording).
- The clock starts when the first subscriber is there (`start()` may come
  before `subscribe()`), so nothing is played to nobody.
- Batches: what is due at once goes in one `put_many` (at most `BATCH`
  items), so a flood costs the consumer one wake-up per batch, not per event.
  Unlike a server, a replay can wait for its consumer: before each batch it
  waits (up to `STALL_TIMEOUT` s of no progress) while a subscription has no
  room, so a slow screen loses nothing; one that stops draining is then no
  longer waited for (overflow is counted in its ``dropped``, as live).
"""

from __future__ import annotations

import collections
import math
import os
import threading
import time
from typing import Callable

from .shared import DEFAULT_TIMEOUT, Closed, Pending, RecordedTime, Subscription
from ..core.errors import ActionTimeout, AmishError, EXIT_INPUT
from ..core.protocol import Banner, HeadersLike, Message, Parser, is_ami_banner
from .wire import Chunk, Recording, http_to_ami, read_any

__all__ = ["ReplayConnection", "ReplayError", "RecordedTime", "BATCH"]

#: The most items handed to the subscriptions at once.
BATCH = 1000
#: How long a full subscription that makes no progress is waited for.
STALL_TIMEOUT = 2.0
#: At most this long between looks at the pause/stop flags while waiting.
_TICK = 0.1
#: Chunks due within this many seconds of play time are put together.
_COALESCE = 0.002


class ReplayError(AmishError):
    """An action was given to a replay: nothing is ever sent."""

    exit_code = EXIT_INPUT


def _starts_with_banner(chunks: list[Chunk]) -> Banner | None:
    """The banner, when the server side of the recording starts with one."""
    head = b""
    for _t, direction, data in chunks:
        if direction != "in":
            continue
        head += data
        if b"\n" in head or len(head) > 1024:
            break
    line = head.split(b"\n", 1)[0].rstrip(b"\r")
    if not line or len(line) > 1024:
        return None
    text = line.decode("utf-8", "replace")
    key = text.split(":", 1)[0].strip().lower()
    if key in ("response", "event", "action") or not is_ami_banner(text):
        return None
    return Banner(text)


class ReplayConnection:
    """A recording played as a live connection (see the module doc). Thread-safe.

    `recording`: a `amish.transports.wire.Recording` or a list of (t, "in"|"out", bytes)
    chunks; `meta` (optional) overrides what the recording says about the
    session (``peer``, ``tls``, ``user``); `name` is how errors name it.
    """

    kind = "replay"
    #: nothing is sent and there is no server to reconnect to (`amish.transports.base`)
    live = False
    on_wire = None

    def __init__(
        self, recording: Recording | list[Chunk], *, meta: dict | None = None, name: str = "", pair: bool = False
    ):
        if isinstance(recording, Recording):
            chunks = list(recording.chunks)
            info = dict(recording.meta)
            name = name or recording.path
        else:
            chunks = list(recording)
            info = {}
        if meta:
            info.update(meta)
        self.meta = info
        self.pair = pair
        self.name = name or "recording"
        self.chunks = chunks
        peer = str(info.get("peer") or "")
        self.host, _, port = peer.rpartition(":") if peer else ("", "", "")
        self.port = int(port) if port.isdigit() else None
        self.address = peer or os.path.basename(self.name) or "replay"
        self.tls = bool(info.get("tls", False))
        self.username: str | None = str(info.get("user") or "") or None
        self.banner: Banner | None = _starts_with_banner(chunks)
        self.closed_reason: str | None = None
        self.speed: float | None = None
        self.messages_received = 0
        self.backlog_dropped = 0
        self._lock = threading.Lock()
        self._subs: list[Subscription] = []
        self._has_sub = threading.Event()
        self._wake = threading.Event()
        self._stop = False
        self._paused = False
        self._thread: threading.Thread | None = None
        self._finished = threading.Event()
        # the play clock: recording time = _pos_ref + (monotonic() - _wall_ref) * speed
        self._pos_ref = 0.0
        self._wall_ref = 0.0
        self._clock_started = False
        self._played_to = 0.0
        self._stalled: set[Subscription] = set()  # subscriptions that stopped draining

    @classmethod
    def open(cls, path, **kw) -> "ReplayConnection":
        """A replay of any file `amish.transports.wire.read_any` reads (InputError when it cannot)."""
        return cls(read_any(path), **kw)

    # -- state ----------------------------------------------------------------
    @property
    def connected(self) -> bool:
        """True until the recording has been played to its end (or closed)."""
        return self.closed_reason is None

    @property
    def duration(self) -> float:
        """Seconds of recording, up to its last chunk."""
        return max((t for t, _d, _b in self.chunks), default=0.0)

    @property
    def position(self) -> float:
        """Seconds of recording played so far."""
        if self._finished.is_set():
            return self.duration
        return min(self._played_to, self.duration)

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    # -- what a Transport offers (amish.transports.base) -------------------------------
    @property
    def peer_ip(self) -> str | None:
        """The recorded peer's host (the address it was recorded from), if the recording says."""
        return self.host or None

    def subscribe(self, maxlen: int = 100_000, callback: Callable[[], None] | None = None) -> Subscription:
        """Receive what is played from now on (playing waits for the first subscriber)."""
        sub = Subscription(maxlen, callback)
        with self._lock:
            self._subs.append(sub)
            ended = self.closed_reason
        self._has_sub.set()
        self._wake.set()
        if ended is not None and self._finished.is_set():
            sub.put_many([Closed(ended)])
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    def _refuse(self) -> ReplayError:
        return ReplayError(f"this is a replay of {os.path.basename(self.name)}: nothing is sent")

    def submit(self, headers: HeadersLike, *, wait_event: str | None = None) -> Pending:
        raise self._refuse()

    def send(
        self, headers: HeadersLike, *, timeout: float | None = DEFAULT_TIMEOUT, wait_event: str | None = None
    ) -> Pending:
        raise self._refuse()

    def send_raw(self, data: bytes) -> None:
        raise self._refuse()

    def abandon(self, pending: Pending, reason: str = "no longer waited for") -> None:
        name = pending.action.get("Action") or "action"
        pending._finish(ActionTimeout(f"{name}: {reason}"))

    def close(self, logoff: bool = True, timeout: float = 2.0) -> None:
        """Stop playing (a `Closed("replay closed")` is put if the end was not reached)."""
        self._end("replay closed", timeout)

    def __enter__(self) -> "ReplayConnection":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- playing --------------------------------------------------------------
    def start(self, speed: float | None) -> None:
        """Play in a background thread: `speed` None = all at once, 1.0 = as recorded, 10 = ten times faster."""
        self._check_speed(speed)
        with self._lock:
            if self._thread is not None:
                raise RuntimeError("this replay was already started")
            if self.closed_reason is not None:
                raise RuntimeError(f"this replay is over: {self.closed_reason}")
            self.speed = speed
            self._thread = threading.Thread(target=self._run, name=f"amish-replay {self.address}", daemon=True)
        self._thread.start()

    @staticmethod
    def _check_speed(speed: float | None) -> None:
        if speed is not None and not (isinstance(speed, (int, float)) and speed > 0 and math.isfinite(speed)):
            raise ValueError(f"speed must be a positive number or None (all at once), not {speed!r}")

    def pause(self) -> None:
        with self._lock:
            if not self._paused:
                self._pos_ref = self._position_locked()
                self._wall_ref = time.monotonic()
                self._paused = True
        self._wake.set()

    def resume(self) -> None:
        with self._lock:
            if self._paused:
                self._wall_ref = time.monotonic()
                self._paused = False
        self._wake.set()

    def set_speed(self, speed: float | None) -> None:
        """Change the speed while playing; play goes on from where it is."""
        self._check_speed(speed)
        with self._lock:
            self._pos_ref = self._position_locked()
            self._wall_ref = time.monotonic()
            self.speed = speed
        self._wake.set()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop playing before the end; subscribers get `Closed("replay stopped")`."""
        self._end("replay stopped", timeout)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the end of the recording (or a stop); True when it ended."""
        return self._finished.wait(timeout)

    def _end(self, reason: str, timeout: float) -> None:
        self._stop = True
        self._wake.set()
        self._has_sub.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._finish(reason)

    def _finish(self, reason: str) -> None:
        with self._lock:
            if self.closed_reason is not None:
                return
            self.closed_reason = reason
            subs = list(self._subs)
        for sub in subs:
            sub.put_many([Closed(reason)])
        self._finished.set()

    def _position_locked(self) -> float:
        if self.speed is None:
            return math.inf
        if self._paused or not self._clock_started:
            return self._pos_ref
        return self._pos_ref + (time.monotonic() - self._wall_ref) * self.speed

    def _run(self) -> None:
        try:
            self._play()
        except Exception as e:  # never die silently
            self._finish(f"replay failed: {type(e).__name__}: {e}")
            return
        if not self._stop:
            with self._lock:
                subs = list(self._subs)
            for sub in subs:
                self._wait_for_room(sub, 1)  # the Closed must not push out the last events
            self._finish("end of recording")

    def _play(self) -> None:
        while not self._has_sub.wait(_TICK):
            if self._stop:
                return
        if self._stop:
            return
        with self._lock:
            self._wall_ref = time.monotonic()
            self._pos_ref = 0.0
            self._clock_started = True
        parsers = {
            "in": Parser(expect_banner=self.banner is not None),
            "out": Parser(expect_banner=False),
        }
        pairing = _Pairing() if self.pair else None
        batch: list = []
        base = self._started()
        stamped = None
        for t, direction, data in self.chunks:
            if self._stop:
                return
            if base is not None and direction == "in" and t != stamped:
                batch.append(RecordedTime(base + t))
                stamped = t
            if not self._due(t):
                # what is ready goes out before waiting for later chunks
                if batch:
                    self._put(batch)
                    batch = []
                if not self._wait_until(t):
                    return
            parser = parsers.get(direction)
            if parser is None:
                continue
            for item in parser.receive_data(http_to_ami(data)):
                if type(item) is Banner:
                    continue
                if direction == "out" and type(item) is Message:
                    item = item.masked()  # a dump from ngrep or telnet may hold a Login's Secret
                if pairing is not None and type(item) is Message:
                    batch.extend(pairing.take(item, t))
                else:
                    batch.append(item)
                if len(batch) >= BATCH:
                    self._put(batch)
                    batch = []
                    if self._stop:
                        return
            self._played_to = max(self._played_to, t)
        for parser in parsers.values():
            batch.extend(parser.eof())
        if pairing is not None:
            batch.extend(pairing.cut_short())
        if batch:
            self._put(batch)

    def _started(self) -> float | None:
        """When the recording started (seconds since the epoch), None when the file does not say."""
        import datetime as _dt

        started = self.meta.get("started")
        if isinstance(started, str):
            try:
                return _dt.datetime.fromisoformat(started).timestamp()
            except ValueError:
                pass
        return None

    def _due(self, t: float) -> bool:
        with self._lock:
            if self._paused:
                return False
            return self._position_locked() + _COALESCE >= t

    def _wait_until(self, t: float) -> bool:
        """Wait for the play clock to reach `t` (pauses included); False when stopped."""
        while not self._stop:
            with self._lock:
                paused = self._paused
                speed = self.speed
                position = self._position_locked()
                self._wake.clear()
            if not paused and position + _COALESCE >= t:
                return True
            wait = _TICK if paused or speed is None else min(_TICK, max(0.0, (t - position) / speed))
            self._wake.wait(wait)
        return False

    def _put(self, items: list) -> None:
        """Hand a batch to every subscription, waiting (bounded) for room; pauses hold it back."""
        while self._paused and not self._stop:
            self._wake.wait(_TICK)
            self._wake.clear()
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            self._wait_for_room(sub, len(items))
        self.messages_received += sum(1 for i in items if type(i) is Message)
        for sub in subs:
            sub.put_many(items)

    def _wait_for_room(self, sub: Subscription, n: int) -> None:
        maxlen = sub._queue.maxlen
        if maxlen is None or sub in self._stalled:
            return
        need = min(n, maxlen)
        last = len(sub)
        since = time.monotonic()
        while not self._stop and maxlen - len(sub) < need:
            time.sleep(0.01)
            now = time.monotonic()
            if len(sub) < last:
                last, since = len(sub), now
            elif now - since > STALL_TIMEOUT:
                self._stalled.add(sub)  # it stopped draining: no longer waited for
                return


class _Pairing:
    """Recorded responses and list items joined to the recorded action they answer (see the module doc)."""

    #: Actions still waiting for their recorded answer, at most (a recording of a flood of unanswered ones).
    LIMIT = 10_000

    def __init__(self):
        self._by_id: dict[str, Pending] = {}
        self._fifo: collections.deque[Pending] = collections.deque()

    def take(self, message: Message, t: float) -> list:
        """What to put for one recorded message: itself, a completed result, or nothing yet."""
        kind = message.kind
        if kind == "action":
            self._waiting(message, t)
            return [message]
        if kind == "response":
            return self._response(message, t)
        if kind == "event" and self._by_id:
            pending = self._by_id.get(message.get("ActionID") or "")
            if pending is not None and pending.listing:
                if (message.get("EventList") or "").lower() == "complete":
                    pending.complete = message
                    return [self._done(pending, t)]
                pending.events.append(message)
                return []
        return [message]

    def cut_short(self) -> list[Pending]:
        """At the end: the lists the recording stopped in the middle of, as far as they came."""
        return [self._done(p, p.sent_at) for p in list(self._fifo) if p.listing]

    def _waiting(self, action: Message, t: float) -> None:
        action_id = action.get("ActionID") or ""
        pending = Pending(action, action_id, None)
        pending.sent_at = t
        if action_id:
            self._by_id[action_id] = pending
        self._fifo.append(pending)
        if len(self._fifo) > self.LIMIT:
            self._forget(self._fifo[0])

    def _response(self, response: Message, t: float) -> list:
        action_id = response.get("ActionID")
        if action_id is None:
            pending = next((p for p in self._fifo if p.response is None), None)
        else:
            pending = self._by_id.get(action_id)
        if pending is None or pending.response is not None:
            return [response]
        pending.response = response
        if (response.get("EventList") or "").lower() == "start":
            pending.listing = True
            return []
        return [self._done(pending, t)]

    def _done(self, pending: Pending, t: float) -> Pending:
        self._forget(pending)
        pending._finish()
        pending.done_at = t  # the recorded round trip, not the replay's
        return pending

    def _forget(self, pending: Pending) -> None:
        if self._by_id.get(pending.action_id) is pending:
            del self._by_id[pending.action_id]
        try:
            self._fifo.remove(pending)
        except ValueError:
            pass
