"""`amish events`: stream the server's events to stdout, filtered.

The raw format writes each event's bytes as received without parsing it
(unless a filter needs its headers), so a tail keeps up with a busy PBX.
Ends cleanly on Ctrl-C and when the reader of the pipe goes away (| head);
any other failure to write stdout (a full disk, an I/O error) is an error
(OutputError, exit 74), never taken for a reader that went away: `amish.runtime.output`
writes every format and says which is which.

Text the server sends outside a message (a stray line, a second banner) is
cut off by the parser (`protocol.Parser`) and said on stderr as a protocol
error; the event after it is written as usual.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import BinaryIO, Callable, TextIO

from .transports.shared import Closed, Notice
from .core.errors import EXIT_CONNECTION, EXIT_OK, EXIT_TIMEOUT, AmishError, InputError, OutputError
from .core.eventfilter import FilterError, parse_filter
from .runtime.options import Options
from .runtime.output import flush, reader_gone, write
from .ui.writers import event_writer
from .core.protocol import ProtocolError
from .runtime.session import RECONNECT, Session
from .transports.base import Transport
from .transports.items import dispatch

__all__ = ["run_events_command", "tail_events"]


def tail_events(
    conn: Transport,
    *,
    filter_text: str = "",
    fmt: str = "raw",
    count: int | None = None,
    until: str | None = None,
    duration: float | None = None,
    out: BinaryIO | None = None,
    err: TextIO | None = None,
    maxlen: int = 100_000,
    reconnect: Callable[[], Transport] | None = None,
) -> int:
    """Write matching events until a goal is met; returns the exit code.

    With `reconnect`, a lost connection is re-established with backoff (the
    gap is said on stderr) and the tail goes on; without, it ends with exit 2.
    """
    out = out if out is not None else sys.stdout.buffer
    err = err if err is not None else sys.stderr
    flt = parse_filter(filter_text)
    match = None if flt.is_empty else flt
    until_low = until.lower() if until else None
    if fmt == "raw" and match is None:
        return _tail_raw(conn, out, err, count, until_low, duration, reconnect, maxlen)
    write_event = event_writer(fmt, out)
    sub = conn.subscribe(maxlen=maxlen)
    deadline = None if duration is None else time.monotonic() + duration
    state = {"seen": 0, "done": False, "closed": None}

    def on_messages(messages) -> bool:
        seen = state["seen"]
        try:
            for item in messages:
                if item.kind != "event":
                    continue  # a late response, or garbage: not an event
                if match is not None and not match(item):
                    continue
                write_event(item)
                seen += 1
                if (count is not None and seen >= count) or (
                    until_low is not None and (item.get("Event") or "").lower() == until_low
                ):
                    state["done"] = True
                    return True
            return False
        finally:
            state["seen"] = seen

    def on_error(item: ProtocolError) -> None:
        _say_protocol_error(item, err)

    def on_closed(item: Closed) -> bool:
        state["closed"] = item.reason
        return True

    reported_drops = 0
    try:
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return _out_of_time(count is not None or until is not None, state["seen"], duration, err)
            items = sub.drain(1000)
            if not items:
                item = sub.get(timeout=min(remaining, 0.5) if remaining is not None else 0.5)
                if item is None:
                    if reader_gone(out):
                        return EXIT_OK  # | head has what it wanted
                    continue
                items = [item]
            dispatch(items, on_messages, on_error, on_closed, notice=lambda item: _say_notice(item, err))
            if state["done"]:
                return EXIT_OK
            if state["closed"] is not None:
                flush(out)
                fresh = _resume(reconnect, state["closed"], deadline, err)
                if fresh is None:
                    return EXIT_CONNECTION
                state["closed"] = None
                conn.unsubscribe(sub)
                conn = fresh
                sub = conn.subscribe(maxlen=maxlen)
                reported_drops = 0
                continue
            flush(out)
            if sub.dropped > reported_drops:
                print(f"amish: {sub.dropped - reported_drops} events dropped: the output could not keep up", file=err)
                reported_drops = sub.dropped
    finally:
        conn.unsubscribe(sub)
        try:
            out.flush()
        except (OSError, ValueError):
            pass  # a reader gone, or a failure already said


def _say_protocol_error(item: ProtocolError, err: TextIO) -> None:
    print(f"amish: protocol error: {item.reason} ({item.skipped} bytes skipped)", file=err)


def _say_notice(item: Notice, err: TextIO) -> None:
    print(f"amish: {item.text}", file=err)  # the transport's own word (an HTTP session logged in again)


def _tail_raw(conn, out, err, count, until_low, duration, reconnect, maxlen) -> int:
    """Unfiltered raw output, written by the I/O thread itself, one write per read.

    Nothing is handed over, so nothing is dropped however fast the server
    sends: a slow pipe slows the reading instead, and TCP pushes back on the
    server. (This is the one place the I/O thread writes: to our own stdout,
    never to a screen.)
    """
    state = {"seen": 0, "done": False, "gone": False, "closed": None, "failed": None}
    wake = threading.Event()
    order = threading.Lock()  # drain and write as one step: the first call (backlog) races the I/O thread

    def write_batch(sub) -> None:  # in the I/O thread (and once in ours, for the backlog)
        with order:
            _write_batch(sub)

    def on_messages(messages) -> bool:
        seen = state["seen"]
        raws = []
        for item in messages:
            if item.kind != "event":
                continue  # a late response, or garbage: not an event
            raws.append(item.raw)
            seen += 1
            if (count is not None and seen >= count) or (
                until_low is not None and (item.get("Event") or "").lower() == until_low
            ):
                state["done"] = True
                break
        state["seen"] = seen
        if raws:
            try:
                write(out, b"".join(raws))  # one write per read, never one per event
            except (BrokenPipeError, ValueError):
                state["gone"] = True  # the reader went away (| head): not an error
            except OutputError as e:
                state["failed"] = e  # a full disk, an I/O error: an error, raised by the main thread
                state["gone"] = True
        return state["done"] or state["gone"]

    def on_error(item: ProtocolError) -> None:
        _say_protocol_error(item, err)

    def on_closed(item: Closed) -> None:
        state["closed"] = item.reason

    def _write_batch(sub) -> None:
        if state["done"] or state["gone"]:
            sub.drain()
            return
        dispatch(sub.drain(), on_messages, on_error, on_closed, notice=lambda item: _say_notice(item, err))
        if state["done"] or state["gone"] or state["closed"]:
            wake.set()

    def attach(connection):
        sub = connection.subscribe(maxlen=maxlen)
        sub.callback = lambda: write_batch(sub)
        write_batch(sub)  # what arrived before (FullyBooted at login)
        return sub

    deadline = None if duration is None else time.monotonic() + duration
    sub = attach(conn)
    try:
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return _out_of_time(count is not None or until_low is not None, state["seen"], duration, err)
            wake.wait(0.5 if remaining is None else min(remaining, 0.5))
            if state["failed"] is not None:
                raise state["failed"]
            if state["done"] or state["gone"] or reader_gone(out):
                return EXIT_OK
            if state["closed"]:
                fresh = _resume(reconnect, state["closed"], deadline, err)
                if fresh is None:
                    return EXIT_CONNECTION
                conn.unsubscribe(sub)
                conn = fresh
                state["closed"] = None
                wake.clear()
                sub = attach(conn)
    finally:
        conn.unsubscribe(sub)


def _out_of_time(had_goal: bool, seen: int, duration: float, err) -> int:
    """--duration ran out: success for a plain tail, a timeout when --count/--until was not met."""
    if had_goal:
        print(f"amish: {seen} matching events in {duration:g} s; gave up waiting", file=err)
        return EXIT_TIMEOUT
    return EXIT_OK


def _resume(reconnect, reason: str, deadline: float | None, err) -> Transport | None:
    """The connection was lost: say so, and reconnect when that was asked for; None ends the tail."""
    print(f"amish: connection lost: {reason}", file=err)
    return None if reconnect is None else _reconnect(reconnect, deadline, err)


def _reconnect(reconnect, deadline: float | None, err) -> Transport | None:
    """Try until it works, with backoff (session.RECONNECT); None when it cannot (a refused login, the deadline)."""
    started = time.monotonic()
    attempt = 0
    while deadline is None or time.monotonic() < deadline:
        attempt += 1
        try:
            fresh = reconnect()
        except AmishError as e:
            if not RECONNECT.retries(e):
                print(f"amish: {e}; not retrying", file=err)
                return None
            if RECONNECT.reports(attempt):
                print(f"amish: reconnect attempt {attempt} failed: {e}; retrying", file=err)
            delay = RECONNECT.delay(attempt)
            time.sleep(delay if deadline is None else min(delay, max(0.0, deadline - time.monotonic())))
            continue
        print(
            f"amish: reconnected after {time.monotonic() - started:.1f} s; events in between were not received",
            file=err,
        )
        return fresh
    return None


def run_events_command(args, opts: Options) -> int:
    try:
        parse_filter(opts.filter)  # a bad filter is bad input before connecting
    except FilterError as e:
        raise InputError(f"--filter: {e}") from None
    with Session(opts, events_default="on") as session:
        conn = session.connect()
        fmt = args.format or ("pretty" if sys.stdout.isatty() else "raw")
        try:
            return tail_events(
                conn,
                filter_text=opts.filter,
                fmt=fmt,
                count=args.count,
                until=args.until,
                duration=args.duration,
                reconnect=session.connect if opts.reconnect else None,
            )
        except KeyboardInterrupt:
            return 130


# -- a fleet: one merged stream ----------------------------------------------------------------


def run_fleet_events(args, members: list) -> int:
    """`amish events` on a fleet (runtime.fleet.Member each): every server's events in one stream."""
    from .runtime.fleet import close_all, open_sessions

    for m in members:
        try:
            parse_filter(m.opts.filter)
        except FilterError as e:
            raise InputError(f"{m.name}: --filter: {e}") from None
    feeds = open_sessions(members, "on")
    sessions = [s for _m, s in feeds if isinstance(s, Session)]
    fmt = args.format or ("pretty" if sys.stdout.isatty() else "raw")
    try:
        return tail_fleet(
            feeds,
            fmt=fmt,
            count=args.count,
            until=args.until,
            duration=args.duration,
            reconnect=all(m.opts.reconnect for m in members),
        )
    except KeyboardInterrupt:
        return 130
    finally:
        close_all(sessions)


def tail_fleet(
    feeds: list,
    *,
    fmt: str = "raw",
    count: int | None = None,
    until: str | None = None,
    duration: float | None = None,
    reconnect: bool = True,
    out: BinaryIO | None = None,
    err: TextIO | None = None,
    maxlen: int = 100_000,
    merged_max: int = 10_000,
) -> int:
    """Merge the events of every (member, session) in `feeds` into one stream on `out`; the exit code.

    A member whose session could not even be made (an AmishError in place of
    the session: its secret_command failed) is said gone at once, in the stream.

    One thread per server connects, logs in and, with `reconnect`, reconnects
    on its own (session.RECONNECT; a refused login is never retried); it hands
    the events to this thread through one bounded queue (a full queue slows
    that server's thread, never an I/O thread: its subscription counts what
    it drops). Every event is tagged with its server: a column in pretty, a
    "Server" key in jsonl, a "NAME: " prefix on every line in raw; a server
    lost, back or given up on is said in the stream in the same form. Each
    server's filter is its own (its profile's, or --filter). Ends at --count,
    --until or --duration as one server's tail does; exit 2 once no server is
    left to hear from.
    """
    import queue
    import threading

    from .core.eventfilter import parse_filter

    out = out if out is not None else sys.stdout.buffer
    err = err if err is not None else sys.stderr
    from .runtime.fleet import STOP, Merged, follow_member

    merged = Merged(merged_max)
    width = max(len(m.name) for m, _ in feeds)
    write_line = _fleet_writer(fmt, out, width)
    matchers = {}
    for m, _ in feeds:
        flt = parse_filter(m.opts.filter)
        matchers[m.name] = None if flt.is_empty else flt

    def feed(member, session) -> None:
        name = member.name

        def connected(conn, lost_at) -> bool:
            if lost_at is not None:
                return merged.put((name, "back", f"reconnected after {time.monotonic() - lost_at:.1f} s; "
                                                 "events in between were not received"))
            return True

        def take(items):
            outcome: list = []

            def take_messages(messages) -> bool:
                for message in messages:
                    if message.kind == "event" and not merged.put((name, "event", message)):
                        outcome.append(STOP)  # the run is over
                        return True
                return False

            def take_closed(closed: Closed) -> bool:
                outcome.append(closed)
                return True

            dispatch(items, take_messages,
                     lambda e: print(f"amish: {name}: protocol error: {e.reason} ({e.skipped} bytes skipped)", file=err),
                     take_closed, notice=lambda n: print(f"amish: {name}: {n.text}", file=err))
            return outcome[0] if outcome else None

        follow_member(member, session, merged, reconnect=reconnect, err=err, connected=connected, take=take,
                      maxlen=maxlen)

    threads = [threading.Thread(target=feed, args=pair, name=f"amish-feed-{pair[0].name}", daemon=True)
               for pair in feeds]
    for t in threads:
        t.start()
    deadline = None if duration is None else time.monotonic() + duration
    until_low = until.lower() if until else None
    alive = len(feeds)
    seen = 0
    try:
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return _out_of_time(count is not None or until is not None, seen, duration, err)
            try:
                name, kind, item = merged.queue.get(timeout=0.5 if remaining is None else min(remaining, 0.5))
            except queue.Empty:
                if reader_gone(out):
                    return EXIT_OK
                continue
            if kind == "event":
                match = matchers[name]
                if match is not None and not match(item):
                    continue
                write_line(name, item)
                seen += 1
                done = (count is not None and seen >= count) or (
                    until_low is not None and (item.get("Event") or "").lower() == until_low)
            else:
                write_line(name, (kind, item))
                done = False
                if kind == "gone":
                    alive -= 1
            if merged.queue.empty() or done:
                flush(out)
            if done:
                return EXIT_OK
            if alive == 0:
                flush(out)
                print("amish: no server left to hear from", file=err)
                return EXIT_CONNECTION
    finally:
        merged.stop.set()


def _fleet_writer(fmt: str, out, width: int):
    """write(name, event_or_state): one event, or ("lost"|"back"|"gone", why), tagged with its server."""
    if fmt == "jsonl":
        import json

        from .runtime.fleet import OWN_SERVER

        def encode(name, item) -> bytes:
            if isinstance(item, tuple):
                obj = {"Server": name, "Amish": item[0], "Reason": item[1]}
            else:
                obj = {"Server": name}  # the member's name: an event's own Server header is renamed
                for key, value in item.to_dict().items():
                    obj[OWN_SERVER if key.lower() == "server" else key] = value
            return json.dumps(obj, ensure_ascii=False).encode("utf-8", "backslashreplace") + b"\n"
    elif fmt == "pretty":
        from .ui.writers import event_line

        line = event_line(out)

        def encode(name, item) -> bytes:
            head = f"{name:<{width}}  ".encode("utf-8", "backslashreplace")
            if isinstance(item, tuple):
                return head + f"-- {_STATE_WORDS[item[0]]}: {item[1]}\n".encode("utf-8", "backslashreplace")
            return head + line(item)
    else:
        def encode(name, item) -> bytes:
            prefix = name.encode("utf-8", "backslashreplace") + b": "
            if isinstance(item, tuple):
                text = f"amish: {_STATE_WORDS[item[0]]}: {item[1]}".encode("utf-8", "backslashreplace")
                return prefix + text + b"\r\n" + prefix + b"\r\n"
            return b"".join(prefix + part for part in item.raw.splitlines(keepends=True))

    def write_line(name, item) -> None:
        try:
            out.write(encode(name, item))
        except BrokenPipeError:
            raise
        except OSError as e:
            from .core.errors import write_failed

            raise write_failed("stdout", e) from None

    return write_line


_STATE_WORDS = {"lost": "connection lost", "back": "back", "gone": "gone"}
