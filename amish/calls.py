"""`amish calls`: calls as they end (or the calls in progress), from a server or a file.

The call-state model is `amish.core.calls.CallTracker`; this mode feeds it:

* live: seeds it with ``CoreShowChannels`` and ``BridgeList``/``BridgeInfo``
  (read-only actions, so it works under ``--read-only``), then the events; each
  call is printed when it ends. After a reconnect it seeds again: calls that
  ended while amish was away are printed, marked ``vanished``.
* ``--live``: seeds, prints the table of calls in progress once, and exits.
* ``--from FILE``: a recording (``--record``), a plain AMI dump or an ngrep dump,
  offline; every call that ends in it is printed, in order.

``--filter EXPR`` keeps the calls with at least one event matching EXPR (the
filter language of the events pane, over the call's events).
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
import time
from typing import BinaryIO, Callable, Iterator, TextIO

from .core.calls import Call, CallClassCheck, CallTracker
from .core.errors import EXIT_CONNECTION, EXIT_OK, ActionTimeout, ConnectionLost, InputError
from .core.protocol import Message, Parser, ProtocolError, is_ami_banner
from .runtime.options import Options
from .runtime.output import flush, reader_gone, write
from .runtime.session import Session
from .transports.base import Transport
from .transports.items import dispatch
from .transports.shared import Closed, Notice

__all__ = ["run_calls_command", "run_fleet_calls", "follow_fleet", "live_fleet", "calls_from_file", "messages_from_file", "seed", "format_call", "live_table"]

#: events kept per call when a filter needs them
_FILTER_EVENTS = 2000


def messages_from_file(path) -> Iterator[tuple[float | None, Message]]:
    """Every message the server sent in a recording or dump, with its time (seconds since the epoch, or
    None when the file does not say: a plain dump)."""
    from .transports.wire import read_any

    rec = read_any(path)
    base = None
    started = rec.meta.get("started")
    if isinstance(started, str):
        try:
            base = _dt.datetime.fromisoformat(started).timestamp()
        except ValueError:
            base = None
    first = next((data for _t, d, data in rec.chunks if d == "in"), b"")
    banner = is_ami_banner(first.split(b"\n", 1)[0].decode("utf-8", "replace").strip())
    parser = Parser(expect_banner=banner, max_message=1 << 62, max_line=1 << 62)
    for t, direction, data in rec.chunks:
        if direction != "in":
            continue
        for item in parser.receive_data(data):
            if type(item) is Message:
                yield (base + t if base is not None else None), item
    for item in parser.eof():
        if type(item) is Message:
            yield None, item


def _say_protocol_error(item: ProtocolError, err: TextIO, server: str = "") -> None:
    where = f"{server}: " if server else ""
    print(f"amish: {where}protocol error: {item.reason} ({item.skipped} bytes skipped)", file=err)


def _say_notice(item: Notice, err: TextIO, server: str = "") -> None:
    where = f"{server}: " if server else ""
    print(f"amish: {where}{item.text}", file=err)  # the transport's own word (an HTTP session logged in again)


def seed(conn: Transport, tracker: CallTracker, *, timeout: float = 10.0, now: float | None = None) -> None:
    """Ask the server what is up now (CoreShowChannels, BridgeList, BridgeInfo) and feed the answers."""
    now = time.time() if now is None else now
    result = conn.send([("Action", "CoreShowChannels")], timeout=timeout)
    for ev in result.events:
        tracker.feed(ev, now)
    result = conn.send([("Action", "BridgeList")], timeout=timeout)
    bridges = []
    for ev in result.events:
        tracker.feed(ev, now)
        bid = ev.get("BridgeUniqueid")
        if bid:
            bridges.append(bid)
    for bid in bridges:
        info = conn.send([("Action", "BridgeInfo"), ("BridgeUniqueid", bid)], timeout=timeout)
        for ev in info.events:
            tracker.feed(ev, now)


# -- output -------------------------------------------------------------------------------


def _secs(v: float | None) -> str:
    if v is None:
        return "-"
    if v < 60:
        return f"{v:.1f}s"
    m, s = divmod(int(v), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _clock(t: float | None) -> str:
    if t is None:
        return "--:--:--"
    return _dt.datetime.fromtimestamp(t).strftime("%H:%M:%S")


def format_call(call: Call) -> str:
    """One line for a call that ended (the pretty format)."""
    dials = ",".join(d.status or "?" for d in call.dials if d.caller) or "-"
    cause = f"{call.cause_text} ({call.cause})" if call.cause is not None else "-"
    line = (
        f"{_clock(call.start)}  {call.caller or '?'} -> {call.callee or '?'}  "
        f"{_secs(call.duration)} (billsec {_secs(call.billsec)})  dial {dials}  {cause}"
    )
    extras = [f"{t.kind} {t.to}" for t in call.transfers]
    if call.recorded:
        extras.append("recorded")
    if call.vanished:
        extras.append("vanished while disconnected")
    if extras:
        line += "  [" + "; ".join(extras) + "]"
    return line + f"  {call.linkedid}"


def live_table(tracker: CallTracker, now: float) -> str:
    """The calls in progress as a plain table (``--live``)."""
    rows = [("LINKEDID", "FROM", "TO", "STATE", "DURATION", "CHANNELS")]
    for call in sorted(tracker.calls.values(), key=lambda c: c.start or 0):
        live = [ch.name for ch in call.legs.values() if ch.live]
        rows.append((call.linkedid, call.caller, call.callee, call.state, _secs(call.duration_at(now)), " ".join(live)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r[:-1], widths)) + "  " + r[-1] for r in rows]
    if len(rows) == 1:
        lines.append("(no calls in progress)")
    return "\n".join(lines) + "\n"


class _Printer:
    def __init__(self, fmt: str, out: BinaryIO, match, count: int | None):
        self.fmt = fmt
        self.out = out
        self.match = match
        self.count = count
        self.printed = 0

    @property
    def done(self) -> bool:
        return self.count is not None and self.printed >= self.count

    def __call__(self, call: Call) -> None:
        if self.done:
            return
        if self.match is not None and not any(self.match(m) for m in call.events):
            return
        if self.fmt == "jsonl":
            text = json.dumps(call.as_json(), ensure_ascii=False)
        else:
            text = format_call(call)
        write(self.out, (text + "\n").encode("utf-8", "backslashreplace"))
        self.printed += 1


def _ended_now(tracker: CallTracker) -> list[Call]:
    out = []
    for lid in tracker.take_changes().ended_calls:
        call = tracker.call(lid)
        if call is not None and call.end is not None:
            out.append(call)
    return out


def calls_from_file(path, *, fmt: str = "jsonl", filter_text: str = "", count: int | None = None,
                    out: BinaryIO | None = None, err: TextIO | None = None, max_ended: int = 1000) -> int:  # fmt: skip
    """`amish calls --from FILE`: every call that ends in the file; returns the exit code."""
    out = out if out is not None else sys.stdout.buffer
    err = err if err is not None else sys.stderr
    match = _matcher(filter_text)
    tracker = CallTracker(max_ended=max_ended, keep_events=_FILTER_EVENTS if match else 0)
    printer = _Printer(fmt, out, match, count)
    for t, msg in messages_from_file(path):
        if tracker.feed(msg, t):
            for call in _ended_now(tracker):
                printer(call)
            if printer.done:
                break
    flush(out)
    if tracker.calls and not printer.done:
        n = len(tracker.calls)
        print(f"amish: {n} call{'s' if n != 1 else ''} still in progress at the end of the file", file=err)
    return EXIT_OK


def _matcher(filter_text: str):
    from .core.eventfilter import FilterError, parse_filter

    try:
        flt = parse_filter(filter_text)
    except FilterError as e:
        raise InputError(f"--filter: {e}") from None
    return None if flt.is_empty else flt


def follow_calls(conn: Transport, *, fmt: str, filter_text: str = "", count: int | None = None,
                 out: BinaryIO | None = None, err: TextIO | None = None, timeout: float = 10.0,
                 reconnect: Callable[[], Transport] | None = None, max_ended: int = 1000, user: str = "",
                 check_every: float = 5.0) -> int:  # fmt: skip
    """Print each call when it ends until --count is met (or the connection ends); returns the exit code."""
    out = out if out is not None else sys.stdout.buffer
    err = err if err is not None else sys.stderr
    match = _matcher(filter_text)
    tracker = CallTracker(max_ended=max_ended, keep_events=_FILTER_EVENTS if match else 0)
    check = CallClassCheck(tracker, every=check_every)
    printer = _Printer(fmt, out, match, count)
    sub = conn.subscribe()
    try:
        seed(conn, tracker, timeout=timeout)
        tracker.take_changes()  # what was up before: not news
        while not printer.done:
            if check.due(time.monotonic()):
                try:
                    listed = conn.send([("Action", "CoreShowChannels")], timeout=timeout)
                except (ConnectionLost, ActionTimeout):
                    listed = None  # not listed this time (an HTTP login again, a slow server); a real end comes as Closed
                if listed is not None and listed.ok:
                    check.listed((ev.get("Uniqueid") or "" for ev in listed.events), time.monotonic())
            if check.verdict(time.monotonic()) is False:
                print(no_call_class_note(user), file=err)
                return EXIT_CONNECTION
            items = sub.drain(1000)
            if not items:
                item = sub.get(timeout=0.5)
                if item is None:
                    if reader_gone(out):
                        return EXIT_OK
                    continue
                items = [item]
            now = time.time()
            lost: list[Closed] = []

            def take_messages(messages) -> bool:
                for item in messages:
                    if tracker.feed(item, now):
                        for call in _ended_now(tracker):
                            printer(call)
                    if printer.done:
                        return True
                return False

            def take_closed(item: Closed) -> bool:
                lost.append(item)
                return True

            dispatch(items, take_messages, lambda item: _say_protocol_error(item, err), take_closed,
                     notice=lambda item: _say_notice(item, err))
            if lost and not printer.done:
                flush(out)
                fresh = _resume(reconnect, lost[0].reason, err)
                if fresh is None:
                    return EXIT_CONNECTION
                conn.unsubscribe(sub)
                conn = fresh
                sub = conn.subscribe()
                tracker.begin_resync()
                seed(conn, tracker, timeout=timeout)
                gone = tracker.end_resync(time.time())
                if gone:
                    print(f"amish: {len(gone)} channels hung up while disconnected", file=err)
                for call in _ended_now(tracker):
                    printer(call)
            flush(out)
        return EXIT_OK
    finally:
        conn.unsubscribe(sub)


def no_call_class_note(user: str) -> str:
    """The one line for a login that does not read the ``call`` class (`CallClassCheck` said so)."""
    who = f"the login '{user}'" if user else "this login"
    section = f"[{user}]" if user else "its section"
    return (f"amish: {who} does not read the call class: calls come and go in CoreShowChannels but no call "
            f"event arrives; add call to the read = line of {section} in manager.conf "
            f"(e.g. read = call,reporting), then 'manager reload'")


def _resume(reconnect, reason: str, err) -> Transport | None:
    """The connection was lost: say so; reconnect with the one backoff when asked to (None: give up)."""
    from .core.errors import AmishError
    from .runtime.session import RECONNECT

    print(f"amish: connection lost: {reason}", file=err)
    if reconnect is None:
        return None
    attempt = 0
    while True:
        attempt += 1
        try:
            fresh = reconnect()
        except AmishError as e:
            if not RECONNECT.retries(e):
                print(f"amish: {e}; not retrying", file=err)
                return None
            if RECONNECT.reports(attempt):
                print(f"amish: reconnect attempt {attempt} failed: {e}; retrying", file=err)
            time.sleep(RECONNECT.delay(attempt))
            continue
        print("amish: reconnected; resyncing the calls in progress", file=err)
        return fresh


def run_calls_command(args, opts: Options | None) -> int:
    fmt = args.format or ("pretty" if sys.stdout.isatty() else "jsonl")
    filter_text = getattr(args, "filter", "") or ""
    if args.from_file:
        return calls_from_file(args.from_file, fmt=fmt, filter_text=filter_text, count=args.count,
                               max_ended=args.keep)  # fmt: skip
    _matcher(filter_text)  # a bad filter is bad input before connecting
    assert opts is not None
    with Session(opts, events_default="off" if args.live else "call") as session:
        conn = session.connect()
        if args.live:
            tracker = CallTracker(keep_events=0)
            seed(conn, tracker, timeout=opts.timeout)
            write(sys.stdout.buffer, live_table(tracker, time.time()).encode("utf-8", "backslashreplace"))
            flush(sys.stdout.buffer)
            return EXIT_OK
        try:
            return follow_calls(
                conn,
                fmt=fmt,
                filter_text=filter_text,
                count=args.count,
                timeout=opts.timeout,
                reconnect=session.connect if opts.reconnect else None,
                max_ended=args.keep,
                user=opts.user or "",
            )
        except KeyboardInterrupt:
            return 130


# -- a fleet: one merged stream of calls -------------------------------------------------------


def run_fleet_calls(args, members: list) -> int:
    """`amish calls` on a fleet (runtime.fleet.Member each): every server's calls in one stream."""
    from .runtime.fleet import close_all, open_sessions

    fmt = args.format or ("pretty" if sys.stdout.isatty() else "jsonl")
    filter_text = getattr(args, "filter", "") or ""
    _matcher(filter_text)  # a bad filter is bad input before connecting
    feeds = open_sessions(members, "off" if args.live else "call")
    sessions = [s for _m, s in feeds if isinstance(s, Session)]
    try:
        if args.live:
            return live_fleet(feeds)
        return follow_fleet(feeds, fmt=fmt, filter_text=filter_text, count=args.count,
                            reconnect=all(m.opts.reconnect for m in members), max_ended=args.keep)
    except KeyboardInterrupt:
        return 130
    finally:
        close_all(sessions)


def live_fleet(feeds: list, *, out: BinaryIO | None = None, err: TextIO | None = None, parallel: int = 10) -> int:
    """``--live`` on a fleet: every server's calls in progress in one table, a SERVER column first.

    A server that cannot be reached is said on stderr and makes the exit code 2; the others are shown."""
    from .core.errors import AmishError
    from .runtime.fleet import run_each

    out = out if out is not None else sys.stdout.buffer
    err = err if err is not None else sys.stderr
    now = time.time()
    trackers: dict[str, CallTracker] = {}
    failed: list[str] = []

    def work(pair):
        member, session = pair
        if isinstance(session, BaseException):
            raise session
        conn = session.connect()
        tracker = CallTracker(keep_events=0)
        seed(conn, tracker, timeout=member.opts.timeout)
        return tracker

    def on_done(pair, tracker, error):
        name = pair[0].name
        if error is not None:
            if not isinstance(error, AmishError):
                raise error
            print(f"amish: {name}: {error}", file=err)
            failed.append(name)
        else:
            trackers[name] = tracker

    run_each(feeds, work, parallel=parallel, on_done=on_done)
    rows = [("SERVER", "LINKEDID", "FROM", "TO", "STATE", "DURATION", "CHANNELS")]
    for m, _s in feeds:
        tracker = trackers.get(m.name)
        if tracker is None:
            continue
        for call in sorted(tracker.calls.values(), key=lambda c: c.start or 0):
            live = [ch.name for ch in call.legs.values() if ch.live]
            rows.append((m.name, call.linkedid, call.caller, call.callee, call.state,
                         _secs(call.duration_at(now)), " ".join(live)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r[:-1], widths)) + "  " + r[-1] for r in rows]
    if len(rows) == 1:
        lines.append("(no calls in progress)")
    write(out, ("\n".join(lines) + "\n").encode("utf-8", "backslashreplace"))
    flush(out)
    return EXIT_CONNECTION if failed else EXIT_OK


def follow_fleet(feeds: list, *, fmt: str, filter_text: str = "", count: int | None = None, reconnect: bool = True,
                 out: BinaryIO | None = None, err: TextIO | None = None, max_ended: int = 1000,
                 merged_max: int = 10_000) -> int:  # fmt: skip
    """Every server's calls, each printed when it ends, tagged with its server; the exit code.

    One thread per (member, session) of `feeds` connects, seeds its own
    CallTracker (CoreShowChannels, BridgeList: read-only), follows the events
    and, with `reconnect`, reconnects on its own with the one backoff (a
    refused login is never retried) and seeds again: calls that ended while it
    was away come out marked vanished. Each hands its ended calls to this
    thread through one bounded queue. Pretty: the server's name in a column
    before the call; jsonl: a "server" key. A server lost, back or given up on
    is said in the stream in the same form ({"server", "amish", "reason"} in
    jsonl). Ends at --count (0), Ctrl-C (130), or with exit 2 once no server
    is left to hear from. A member whose session is an AmishError (its
    secret_command failed) is said gone at once.
    """
    import queue
    import threading

    from .runtime.fleet import STOP, Merged, follow_member

    out = out if out is not None else sys.stdout.buffer
    err = err if err is not None else sys.stderr
    merged = Merged(merged_max)
    width = max(len(m.name) for m, _ in feeds)

    def feed(member, session) -> None:
        name = member.name
        match = _matcher(filter_text)  # one per thread: nothing shared but the queue
        tracker = CallTracker(max_ended=max_ended, keep_events=_FILTER_EVENTS if match else 0)
        timeout = member.opts.timeout

        def hand_over() -> bool:
            for call in _ended_now(tracker):
                if match is None or any(match(m) for m in call.events):
                    if not merged.put((name, "call", (call.as_json(), format_call(call)))):  # made here: the tracker is this thread's
                        return False
            return True

        def connected(conn, lost_at) -> bool:
            if lost_at is None:
                seed(conn, tracker, timeout=timeout)
                tracker.take_changes()  # what was up before: not news
                return True
            tracker.begin_resync()
            seed(conn, tracker, timeout=timeout)
            gone = tracker.end_resync(time.time())
            merged.put((name, "back", f"reconnected after {time.monotonic() - lost_at:.1f} s; calls resynced"
                                      + (f", {len(gone)} channels hung up while disconnected" if gone else "")))
            return hand_over()

        def take(items):
            now = time.time()
            ended: list[Closed] = []

            def take_messages(messages) -> None:
                for item in messages:
                    tracker.feed(item, now)

            def take_closed(item: Closed) -> bool:
                ended.append(item)
                return True

            dispatch(items, take_messages, lambda item: _say_protocol_error(item, err, name), take_closed,
                     notice=lambda item: _say_notice(item, err, name))
            if not hand_over():
                return STOP
            return ended[0] if ended else None

        follow_member(member, session, merged, reconnect=reconnect, err=err, connected=connected, take=take)

    threads = [threading.Thread(target=feed, args=pair, name=f"amish-calls-{pair[0].name}", daemon=True)
               for pair in feeds]
    for t in threads:
        t.start()
    alive = len(feeds)
    printed = 0
    try:
        while True:
            try:
                name, kind, item = merged.queue.get(timeout=0.5)
            except queue.Empty:
                if reader_gone(out):
                    return EXIT_OK
                continue
            if kind == "call":
                if fmt == "jsonl":
                    text = json.dumps({"server": name, **item[0]}, ensure_ascii=False)
                else:
                    text = f"{name:<{width}}  {item[1]}"
                printed += 1
            else:
                if fmt == "jsonl":
                    text = json.dumps({"server": name, "amish": kind, "reason": item}, ensure_ascii=False)
                else:
                    text = f"{name:<{width}}  -- {_STATE_WORDS[kind]}: {item}"
                if kind == "gone":
                    alive -= 1
            write(out, (text + "\n").encode("utf-8", "backslashreplace"))
            if merged.queue.empty():
                flush(out)
            if count is not None and printed >= count:
                flush(out)
                return EXIT_OK
            if alive == 0:
                flush(out)
                print("amish: no server left to hear from", file=err)
                return EXIT_CONNECTION
    finally:
        merged.stop.set()


_STATE_WORDS = {"lost": "connection lost", "back": "back", "gone": "gone"}
