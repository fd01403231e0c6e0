"""The transport seam: what every mode uses of a connection, defined once.

The shell, the pipe tool (`amish.pipe`), `amish events` (`amish.events`),
`amish raw` (`amish.raw`), `amish audit` and the catalogue's live fetch are
handed an open session and use it only through `Transport`. How the bytes
travel is the implementation's business:

- `amish.transports.connection.Connection`: TCP or TLS; ``kind`` "tcp", ``live``; also a
  `LiveTransport`.
- `amish.transports.replay.ReplayConnection`: a recording played back; ``kind`` "replay",
  not ``live`` (nothing is ever sent).
- `amish.transports.http.HttpConnection`: AMI over HTTP (actions as requests to ``/rawman``, events by
  long-polling ``WaitEvent``): ``kind`` "http", ``live``; a `LiveTransport`.

`LiveTransport` adds what opens a session on a server (``connect``, ``login``):
only the code that opens sessions (`amish.runtime.session.Session`) calls those.

A front end asks the interface, never the class: ``conn.live`` says whether
actions can be sent and a lost session reconnected (a replay cannot; its
responses are recorded ones, not late answers). ``kind`` names the transport
for people; branch on a capability, never on ``kind``, and never probe a
connection with ``getattr``/``hasattr``/``isinstance`` (tests/unit/test_transport.py
checks the source).

What an implementation must guarantee (the modes rely on each point):

- Threads: every method may be called from any thread. ``submit``,
  ``send_raw``, ``abandon``, ``subscribe`` and ``unsubscribe`` return at once;
  only ``send`` (up to its timeout), ``connect``, ``login`` and ``close``
  (bounded by their timeouts) wait, never the I/O thread. The thread that reads
  (a socket reader, an HTTP ``WaitEvent`` long-poll, a replay's player) never
  waits on a consumer: it wakes waiters with events, finishes `Pending`s and
  runs their callbacks and the subscriptions' callbacks, which must not block
  (a UI hands over with ``loop.call_soon_threadsafe``). The one exception is a
  replay, which may wait for room in a subscription, bounded (`replay.STALL_TIMEOUT`).
- Actions: ``submit`` adds an ActionID when the action has none (unique on this
  transport) and keeps the user's own; it raises `protocol.HeaderError` for
  headers that cannot be sent and `errors.ConnectionLost` once closed (a
  replay: an `errors.AmishError` that says nothing is sent). Results are paired
  with their actions by `correlator.Correlator` (ActionID, else the oldest
  action waiting; list items up to ``...Complete``; ``wait_event``), so every
  transport pairs the same way. Each `Pending` is finished exactly once: with
  its complete result, with ActionTimeout (``abandon``; a late answer then goes
  to the subscribers), or with ConnectionLost when the session ends. An action
  in flight when the session is lost is reported, never sent again.
- Subscriptions (`shared.Subscription`): everything no action claimed
  (events, responses nobody waits for, ProtocolErrors, the transport's own
  `shared.Notice`s, e.g. an HTTP session logged in again) in the order it was
  received; bounded, the oldest dropped first and counted in ``dropped``,
  never lost silently. What arrives before the first subscriber is kept for it
  (bounded, overflow counted). When the session ends, ``closed_reason`` is set
  and then a `shared.Closed` with that reason is the last item of every
  subscription; one who subscribes after the end gets that Closed at once.
  A producer hands items to a subscription only through
  ``Subscription.put_many(items)`` (never waits; counts what it drops; calls
  the callback once per batch): a transport's I/O thread, and a transport built
  on others (`amish.runtime.fleet.FleetTransport`, which feeds its own
  subscribers its members' items, tagged). Nobody outside the transports
  touches a subscription's private parts (tests/unit/test_transport.py).
- Secrets: never in ``address``, ``closed_reason`` or errors; the actions a
  replay shows have their Secret masked. A transport that reaches a server
  takes an ``on_wire(direction, data)`` hook for ``--trace`` and ``--record``,
  called with every byte both ways; a hook that raises never takes it down.
- ``close`` may be called more than once and from any thread; afterwards
  ``connected`` is False.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Protocol, runtime_checkable

if TYPE_CHECKING:  # pragma: no cover
    from .shared import Pending, Subscription
    from ..core.protocol import Banner, HeadersLike, Message

__all__ = ["Transport", "LiveTransport"]


@runtime_checkable
class Transport(Protocol):
    """An open AMI session, as every mode uses it (see the module doc for the rules)."""

    #: What carries the session, for people and logs: "tcp", "replay", "http".
    kind: str
    #: Actions reach a server (and a lost session can be reconnected); False for a recording.
    live: bool
    #: Where it goes, as the user gave it (``host:port``, or a recording's peer or name).
    address: str
    #: Whether the session is (or was recorded) over TLS.
    tls: bool
    #: Who is logged in (None before login); the pipe tool sets it after a Login of its own.
    username: str | None
    #: The server's greeting, when the transport has one (HTTP has none).
    banner: Banner | None
    #: Why the session ended; None while it lasts.
    closed_reason: str | None

    @property
    def connected(self) -> bool:
        """True while actions can be sent (a replay: until its end)."""
        ...

    @property
    def peer_ip(self) -> str | None:
        """The IP address actually reached (after name resolution); None when unknown."""
        ...

    def submit(self, headers: HeadersLike, *, wait_event: str | None = None) -> Pending:
        """Queue an action and return at once; `Pending.wait()` for its result."""
        ...

    def send(
        self, headers: HeadersLike, *, timeout: float | None = 10.0, wait_event: str | None = None
    ) -> Pending:
        """Send an action and wait for its complete result (ActionTimeout after `timeout` s)."""
        ...

    def send_raw(self, data: bytes) -> None:
        """Send bytes as they are (`amish raw`); nothing is paired with them."""
        ...

    def abandon(self, pending: Pending, reason: str = "no longer waited for") -> None:
        """Stop waiting: `pending` fails with ActionTimeout; a late answer goes to subscribers."""
        ...

    def subscribe(self, maxlen: int = 100_000, callback: Callable[[], None] | None = None) -> Subscription:
        """Receive everything no action claims, from now on (the backlog for the first one)."""
        ...

    def unsubscribe(self, sub: Subscription) -> None: ...

    def close(self, logoff: bool = True, timeout: float = 2.0) -> None:
        """Log off when logged in and `logoff`, stop the I/O, put the Closed; idempotent."""
        ...


@runtime_checkable
class LiveTransport(Transport, Protocol):
    """A transport that reaches a server: what opens a session on it (`amish.runtime.session.Session`)."""

    def connect(self) -> Banner | None:
        """Reach the server (TLS verified unless told otherwise); its banner when it sends one."""
        ...

    def login(
        self,
        username: str,
        secret: str,
        *,
        auth: str = "md5",
        events: str | bool = "on",
        timeout: float = 10.0,
        wait_booted: float | None = None,
        booting: Callable[[], None] | None = None,
    ) -> Message:
        """Log in (MD5 challenge or plain); AuthenticationError when refused."""
        ...
