"""A fleet: several named servers, each with its own options (and so its own connection, login and secret).

Nothing here is mode-specific: a fleet is a list of `Member`s (a name and the
`Options` of one server), and `run_each` runs one piece of work per member in
at most `parallel` threads, handing each outcome back to the calling thread as
it finishes, in the order they finish. The pipe tool (`pipe.run_fleet`) is
built on it. `follow_member` follows one member in a thread of its own
(connect, reconnect, drain) for `amish events` and `amish calls` on a fleet,
into one bounded `Merged` queue; `open_sessions` opens every member's session
before anything connects. `FleetTransport` is
a fleet as one `Transport` for the shell: every member's events merged (each
tagged with a ``Server`` header), actions to the current member, and each
member reconnecting on its own (its lost / back / gone put in the stream as a
`MemberState`).

The classes of outcome a fleet run reports per server, and their order (the
exit code of a run is the worst class present, README's exit-code section):
unreachable and lost (2) are worse than timeout (3), worse than error (1),
worse than ok (0).

Core: imports nothing from the UI libraries (tests/unit/test_layers.py).
"""

from __future__ import annotations

import queue
import threading

from ..core.errors import EXIT_ACTION_ERROR, EXIT_CONNECTION, EXIT_OK, EXIT_TIMEOUT
from ..core.immutable import Record

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Callable, Iterable

    from .options import Options

__all__ = ["Member", "DEFAULT_PARALLEL", "CLASSES", "worst", "run_each", "exit_class", "close_all",
           "MemberState", "FleetTransport", "tag_event", "OWN_SERVER", "Merged", "follow_member", "STOP", "open_sessions"]

#: How many servers the pipe tool talks to at once unless --parallel says otherwise.
DEFAULT_PARALLEL = 10

#: Outcome class -> exit code, worst first: a run exits with the code of its worst class.
CLASSES = {"unreachable": EXIT_CONNECTION, "lost": EXIT_CONNECTION, "timeout": EXIT_TIMEOUT,
           "error": EXIT_ACTION_ERROR, "ok": EXIT_OK}


class Member(Record):
    """One server of a fleet: the name output says it by, and its options."""

    __slots__ = ("name", "opts")

    def __init__(self, name: str, opts: Options) -> None:
        self._fill(locals())


def exit_class(code: int) -> str:
    """The class of a finished run's exit code (2 mid-run: the connection was lost)."""
    return {EXIT_OK: "ok", EXIT_ACTION_ERROR: "error", EXIT_TIMEOUT: "timeout"}.get(code, "lost")


def worst(classes: Iterable[str]) -> int:
    """The exit code of the worst class present (0 for none)."""
    order = list(CLASSES)
    present = [order.index(c) for c in classes]
    return CLASSES[order[min(present)]] if present else EXIT_OK


def run_each(items: list, work: Callable, *, parallel: int, on_done: Callable, poll: float = 0.2) -> None:
    """work(item) for every item, at most `parallel` at once; on_done(item, result, error) in this thread.

    Each outcome is handed over as soon as its work ends (so memory holds at
    most `parallel` results). The workers are daemon threads: Ctrl-C here
    (KeyboardInterrupt, raised in this thread) stops handing out new items and
    goes up at once; the caller ends what is in flight (closing its connections).
    """
    done: queue.SimpleQueue = queue.SimpleQueue()
    lock = threading.Lock()
    todo = iter(items)
    stop = threading.Event()

    def worker() -> None:
        while not stop.is_set():
            with lock:
                item = next(todo, None)
            if item is None:
                return
            try:
                done.put((item, work(item), None))
            except BaseException as e:  # every failure is the item's outcome, said by the caller
                done.put((item, None, e))

    threads = [threading.Thread(target=worker, name="amish-fleet", daemon=True)
               for _ in range(max(1, min(parallel, len(items))))]
    for t in threads:
        t.start()
    left = len(items)
    try:
        while left:
            try:
                item, result, error = done.get(timeout=poll)  # a short wait: Ctrl-C is seen at once
            except queue.Empty:
                continue
            left -= 1
            on_done(item, result, error)
    finally:
        stop.set()


def open_sessions(members: list, events_default: str) -> list:
    """[(member, Session)] for a fleet run: every secret found (a prompt asked) before anything connects,
    `--secret` warned about once, not once per server. A member whose secret_command failed gets the
    AmishError in place of its session (that server is gone, not the fleet); bad input ends it all."""
    from ..core.errors import AmishError, InputError
    from .session import Session

    feeds: list = []
    try:
        for i, m in enumerate(members):
            try:
                feeds.append((m, Session(m.opts, events_default=events_default, ask_again=False, warn_secret=i == 0)))
            except InputError:
                raise
            except AmishError as e:
                feeds.append((m, e))
    except BaseException:
        close_all([s for _m, s in feeds if not isinstance(s, BaseException)])
        raise
    return feeds


def close_all(sessions) -> None:
    """Close (log off) every session at once: each close waits a little for its Goodbye, so not one after another."""
    threads = [threading.Thread(target=_close_quietly, args=(s,), daemon=True) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(3)


def _close_quietly(session) -> None:
    try:
        session.close()
    except Exception:  # a trace that could not be written was said when it failed
        pass


# -- one stream of several servers (amish events, amish calls) ------------------------------------


class Merged:
    """One bounded queue that every member's thread puts into and one thread reads. `put` waits while it
    is full (a slow reader slows the members' threads, never an I/O thread: each subscription counts
    what it drops), until `stop` is set: then it gives up and says so (False)."""

    def __init__(self, maxsize: int = 10_000) -> None:
        self.queue: queue.Queue = queue.Queue(maxsize=maxsize)
        self.stop = threading.Event()

    def put(self, item) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False


#: what `follow_member`'s `take` returns to end the member's thread (the run is over)
STOP = "stop"


def follow_member(member, session, merged: Merged, *, reconnect: bool, err, connected, take,
                  maxlen: int = 100_000) -> None:  # fmt: skip
    """Follow one member of a fleet, in its own thread, until `merged.stop` (or a `take` says STOP).

    Connects (`session.connect()`; while `reconnect`, again with the one backoff, session.RECONNECT,
    a refused login never retried), then calls ``connected(conn, lost_at)`` (`lost_at`: the
    time.monotonic() the last connection was lost, None the first time; True to go on, False to end:
    it may raise AmishError, which is a loss like any other), then hands the subscription's items,
    in batches, to ``take(items)``: None to go on, STOP, or a `Closed` (the connection ended).
    Said to `merged` as (name, state, reason): "lost" and "gone" here, "back" is `connected`'s to
    say (it knows what coming back means: a resync, or nothing). A member whose session is an
    exception (its secret could not be had) is gone at once. Events dropped because this thread
    could not keep up are said on `err`.
    """
    import time

    from ..core.errors import AmishError
    from .session import RECONNECT

    name, stop, put = member.name, merged.stop, merged.put
    if isinstance(session, BaseException):
        put((name, "gone", f"{session}; not retrying"))
        return
    attempt, lost_at = 0, None
    while not stop.is_set():
        try:
            conn = session.connect()
        except AmishError as e:
            attempt += 1
            if not reconnect or not RECONNECT.retries(e):
                put((name, "gone", f"{e}" + ("" if RECONNECT.retries(e) else "; not retrying")))
                return
            if RECONNECT.reports(attempt):
                print(f"amish: {name}: connect attempt {attempt} failed: {e}; retrying", file=err)
            if stop.wait(RECONNECT.delay(attempt)):
                return
            continue
        sub = conn.subscribe(maxlen=maxlen)
        try:
            try:
                if not connected(conn, lost_at):
                    return
            except AmishError as e:  # lost (or no answer) while talking to it: as lost as any other way
                lost_at = time.monotonic() if lost_at is None else lost_at
                put((name, "lost", str(e)))
                attempt = 1
                if not reconnect:
                    put((name, "gone", "not reconnecting (--no-reconnect)"))
                    return
                if stop.wait(RECONNECT.delay(attempt)):
                    return
                continue
            attempt, reported = 0, 0
            while not stop.is_set():
                items = sub.drain(1000) or [sub.get(timeout=0.5)]
                if sub.dropped > reported:
                    print(f"amish: {name}: {sub.dropped - reported} events dropped: the output could not keep up",
                          file=err)
                    reported = sub.dropped
                outcome = take([i for i in items if i is not None])
                if outcome == STOP:
                    return
                if outcome is not None:
                    lost_at = time.monotonic()
                    put((name, "lost", outcome.reason))
                    break
        finally:
            conn.unsubscribe(sub)
        if not reconnect:
            put((name, "gone", "not reconnecting (--no-reconnect)"))
            return


# -- a fleet as one transport (the shell) ------------------------------------------------------


class MemberState(Record):
    """A member of a FleetTransport changed: `state` is "lost", "back", "gone" (not retried) or "down"
    (could not connect at the start; it keeps trying); `reason` says why. Put in the subscriptions."""

    __slots__ = ("name", "state", "reason")

    def __init__(self, name: str, state: str, reason: str) -> None:
        self._fill(locals())


#: Where an event's own ``Server`` header goes on a fleet (the fleet's tag takes the name ``Server``).
OWN_SERVER = "EventServer"


def tag_event(message, name: str):
    """`message` with a ``Server: NAME`` header right after its first line (the events pane's server column,
    `/filter Server=NAME`).

    On a fleet ``Server`` is the member's name and nothing else: an event with a ``Server`` header of
    its own (a UserEvent may carry any header) has it renamed `OWN_SERVER` (value kept), so no event of
    one member can pass for another's, wherever the header is read (``get``, a filter, the column).
    """
    from ..core.protocol import Message, encode_message

    raw = message.raw or encode_message(message)
    end = raw.find(b"\n") + 1
    head, rest = raw[:end], raw[end:]
    if message.get("Server") is not None:
        lines = rest.split(b"\n")
        for i, line in enumerate(lines):
            key, colon, value = line.partition(b":")
            if colon and key.strip().lower() == b"server":
                lines[i] = OWN_SERVER.encode() + b":" + value
        rest = b"\n".join(lines)
    return Message.from_raw(head + b"Server: " + name.encode("utf-8", "replace") + b"\r\n" + rest)


class FleetTransport:
    """Several servers as one `Transport` (amish.transports.base) for the shell.

    Everything no action claimed, from every member, comes out of one
    subscription, each event tagged with a ``Server`` header (`tag_event`);
    actions (`submit`, `send`) go to the `current` member (`use` changes it);
    `members_connected()` hands the live connections out for sending to all.
    A member whose connection ends is said in the stream (`MemberState` "lost")
    and, with `reconnect`, reconnects in a thread of its own with the one
    backoff (session.RECONNECT; a refused login is never retried: "gone"),
    then "back". The fleet itself ends only at `close`. The member I/O threads
    only forward (a bounded subscription each): they never wait on the shell.
    """

    kind = "fleet"
    live = True
    tls = False
    banner = None
    peer_ip = None

    def __init__(self, members: list, sessions: dict, *, reconnect: bool = True) -> None:
        """`sessions`: name -> runtime.session.Session, or the AmishError that kept one from being made."""
        from collections import deque

        self.members = {m.name: m for m in members}
        self.names = [m.name for m in members]
        self.current = self.names[0]
        self._sessions = sessions
        self._reconnect = reconnect
        self._conns: dict = {}
        self._member_subs: dict = {}
        self.states = {name: "connecting" for name in self.names}
        self._subs: list = []
        self._backlog: deque = deque(maxlen=10_000)  # what came before the shell subscribed
        self._owners: dict = {}  # id(Pending) -> the connection it went to (abandon)
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self.closed_reason: str | None = None

    # -- opening ---------------------------------------------------------------------------
    def open(self, parallel: int = DEFAULT_PARALLEL) -> None:
        """Connect every member, at most `parallel` at once; one that fails keeps trying in the background
        (said as "down"), unless its login was refused or its secret could not be had ("gone")."""
        from ..core.errors import AmishError
        from .session import RECONNECT

        def work(name):
            session = self._sessions[name]
            if isinstance(session, BaseException):
                raise session
            return session.connect()

        def on_done(name, conn, error):
            if error is None:
                self._attach(name, conn)
                return
            if not isinstance(error, AmishError):
                raise error
            fatal = isinstance(self._sessions[name], BaseException) or not RECONNECT.retries(error)
            if fatal or not self._reconnect:
                self._say(name, "gone", f"{error}" + ("; not retrying" if fatal else ""))
            else:
                self._say(name, "down", f"{error}; retrying in the background")
                self._start_reconnecting(name)

        run_each(self.names, work, parallel=parallel, on_done=on_done)
        up = [n for n in self.names if n in self._conns]
        if up and self.current not in self._conns:
            self.current = up[0]

    def _attach(self, name: str, conn) -> None:
        with self._lock:
            self._conns[name] = conn
            self.states[name] = "connected"
        sub = conn.subscribe(maxlen=10_000)
        sub.callback = lambda: self._forward(name, sub)
        self._member_subs[name] = sub
        self._forward(name, sub)  # what came at login (FullyBooted)

    def _forward(self, name: str, sub) -> None:
        """In the member's I/O thread: its items, events tagged, to every subscriber; its end said, never passed on."""
        from ..transports.connection import Closed
        from ..transports.items import dispatch

        out = []
        ended: list[str] = []

        def take_messages(messages) -> None:
            out.extend(tag_event(item, name) if item.kind == "event" else item for item in messages)

        def take_closed(item: Closed) -> None:
            ended.append(item.reason)

        dispatch(sub.drain(), take_messages, out.append, take_closed, out.append, recorded_time=out.append,
                 notice=out.append, other=out.append)
        lost = ended[0] if ended else None
        if lost is not None:
            with self._lock:
                self._conns.pop(name, None)
                self.states[name] = "lost"
            if not self._stop.is_set():
                out.append(MemberState(name, "lost", lost))
        if out:
            self._put(out)
        if lost is not None and not self._stop.is_set():
            if self._reconnect:
                self._start_reconnecting(name)
            else:
                self._say(name, "gone", "not reconnecting (--no-reconnect)")

    def _put(self, items: list) -> None:
        with self._lock:
            subs = list(self._subs)
            if not subs:
                self._backlog.extend(items)
                return
        for sub in subs:
            sub.put_many(items)  # the transports' public hand-over: bounded, never waits, counts what it drops

    def _say(self, name: str, state: str, reason: str) -> None:
        with self._lock:
            self.states[name] = state
        self._put([MemberState(name, state, reason)])

    def _start_reconnecting(self, name: str) -> None:
        threading.Thread(target=self._reconnect_loop, args=(name,), name=f"amish-fleet-{name}", daemon=True).start()

    def _reconnect_loop(self, name: str) -> None:
        import time

        from .session import RECONNECT

        started = time.monotonic()
        attempt = 0
        with self._lock:
            self.states[name] = "reconnecting"
        while not self._stop.is_set():
            attempt += 1
            try:
                conn = self._sessions[name].connect()
            except Exception as e:
                if not RECONNECT.retries(e):
                    self._say(name, "gone", f"{e}; not retrying")
                    return
                if self._stop.wait(RECONNECT.delay(attempt)):
                    return
                continue
            if self._stop.is_set():
                conn.close()
                return
            self._put([MemberState(name, "back", f"reconnected after {time.monotonic() - started:.1f} s; "
                                                 "events in between were not received")])
            self._attach(name, conn)
            return

    # -- which member ----------------------------------------------------------------------
    def use(self, name: str) -> None:
        """Send to `name` from now on (a member's name; KeyError otherwise)."""
        if name not in self.members:
            raise KeyError(name)
        self.current = name

    def connection(self, name: str):
        """The member's connection while it is up, else None."""
        with self._lock:
            return self._conns.get(name)

    def members_connected(self) -> list:
        """[(name, connection)] of the members up now, in the fleet's order."""
        with self._lock:
            return [(n, self._conns[n]) for n in self.names if n in self._conns]

    def _current(self):
        from ..core.errors import ConnectionLost

        conn = self.connection(self.current)
        if conn is None:
            raise ConnectionLost(f"{self.current} is not connected ({self.states[self.current]}): "
                                 "/use another server, or wait for it to come back")
        return conn

    # -- the Transport interface -----------------------------------------------------------
    @property
    def address(self) -> str:
        m = self.members[self.current].opts
        up = sum(1 for n in self.names if n in self._conns)
        return f"{self.current} {m.host}:{m.port} ({up}/{len(self.names)} servers up)"

    @property
    def username(self):
        return self.members[self.current].opts.user

    @username.setter
    def username(self, value) -> None:  # the interface lets a caller set it; a fleet's users are its members'
        pass

    @property
    def connected(self) -> bool:
        return self.closed_reason is None and self.connection(self.current) is not None

    def submit(self, headers, *, wait_event=None):
        conn = self._current()
        pending = conn.submit(headers, wait_event=wait_event)
        self.owned(pending, conn)
        return pending

    def owned(self, pending, conn):
        """Remember which member `pending` went to (for `abandon`), until it is done."""
        key = id(pending)
        self._owners[key] = conn
        pending.add_done_callback(lambda _p: self._owners.pop(key, None))
        return pending

    def send(self, headers, *, timeout=10.0, wait_event=None):
        return self._current().send(headers, timeout=timeout, wait_event=wait_event)

    def send_raw(self, data: bytes) -> None:
        self._current().send_raw(data)

    def abandon(self, pending, reason: str = "no longer waited for") -> None:
        conn = self._owners.pop(id(pending), None)
        if conn is not None:
            conn.abandon(pending, reason)

    def subscribe(self, maxlen: int = 100_000, callback=None):
        from ..transports.connection import Closed, Subscription

        sub = Subscription(maxlen=maxlen, callback=callback)
        with self._lock:
            first = not self._subs
            self._subs.append(sub)
            backlog = list(self._backlog) if first else []
            self._backlog.clear()
        if self.closed_reason is not None:
            backlog.append(Closed(self.closed_reason))
        if backlog:
            sub.put_many(backlog)
        return sub

    def unsubscribe(self, sub) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    def close(self, logoff: bool = True, timeout: float = 2.0) -> None:
        """Stop reconnecting, log off every member at once, then put the Closed; idempotent."""
        from ..transports.connection import Closed

        if self.closed_reason is not None:
            return
        self._stop.set()
        self.closed_reason = "closed"
        with self._lock:
            conns = list(self._conns.values())
            self._conns.clear()
        close_all(conns)
        self._put([Closed("closed")])
