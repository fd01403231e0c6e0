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

from .core.calls import Call, CallTracker
from .core.errors import EXIT_CONNECTION, EXIT_OK, InputError
from .core.protocol import Message, Parser, is_ami_banner
from .runtime.options import Options
from .runtime.output import flush, reader_gone, write
from .runtime.session import Session
from .transports.base import Transport
from .transports.shared import Closed, Notice

__all__ = ["run_calls_command", "calls_from_file", "messages_from_file", "seed", "format_call", "live_table"]

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
                 reconnect: Callable[[], Transport] | None = None, max_ended: int = 1000) -> int:  # fmt: skip
    """Print each call when it ends until --count is met (or the connection ends); returns the exit code."""
    out = out if out is not None else sys.stdout.buffer
    err = err if err is not None else sys.stderr
    match = _matcher(filter_text)
    tracker = CallTracker(max_ended=max_ended, keep_events=_FILTER_EVENTS if match else 0)
    printer = _Printer(fmt, out, match, count)
    sub = conn.subscribe()
    try:
        seed(conn, tracker, timeout=timeout)
        tracker.take_changes()  # what was up before: not news
        while not printer.done:
            items = sub.drain(1000)
            if not items:
                item = sub.get(timeout=0.5)
                if item is None:
                    if reader_gone(out):
                        return EXIT_OK
                    continue
                items = [item]
            now = time.time()
            for item in items:
                if type(item) is Message:
                    if tracker.feed(item, now):
                        for call in _ended_now(tracker):
                            printer(call)
                elif isinstance(item, Notice):  # the transport's own word (an HTTP session logged in again)
                    print(f"amish: {item.text}", file=err)
                elif isinstance(item, Closed):
                    flush(out)
                    fresh = _resume(reconnect, item.reason, err)
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
                    break
                if printer.done:
                    break
            flush(out)
        return EXIT_OK
    finally:
        conn.unsubscribe(sub)


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
            )
        except KeyboardInterrupt:
            return 130
