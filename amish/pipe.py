"""Running a list of actions over a connection and printing the results: the pipe tool.

UI-free but for the pretty format, which imports rich when asked for;
`amish.runtime.output` writes the results (each format, what a failed write means).
Sequential by default: each action waits for its complete response (list
items included) before the next is sent. With `pipeline`, every action is
sent at once (each with its own ActionID) and the results are still printed
in input order; the timeouts then run together (the batch gives up after one
timeout in which nothing of it arrived). What arrived of a result that is
cut short (timeout, disconnect, Ctrl-C) is printed and said to be incomplete.
"""

from __future__ import annotations

import sys
import time

from .core.correlator import is_async_originate
from .transports.shared import Pending
from .core.errors import (
    EXIT_ACTION_ERROR,
    EXIT_CONNECTION,
    EXIT_OK,
    EXIT_TIMEOUT,
    ActionTimeout,
    AmishError,
    ConnectionLost,
    InputError,
)
from .ui.writers import ResultWriter
from .core.protocol import ProtocolError

TYPE_CHECKING = False  # typing costs 3 ms of the pipe tool's start-up
if TYPE_CHECKING:  # pragma: no cover
    from typing import BinaryIO, TextIO

    from .core.actionfile import ActionBlock
    from .transports.base import Transport

__all__ = ["run_actions", "is_async_originate"]


def run_actions(
    conn: Transport,
    blocks: list[ActionBlock],
    *,
    fmt: str = "raw",
    timeout: float = 10.0,
    out: BinaryIO | None = None,
    err: TextIO | None = None,
    source: str = "<stdin>",
    pipeline: bool = False,
    stop_on_error: bool = False,
    wait_originate: float | None = None,
    confirm: bool = False,
    ask=None,
    screen: BinaryIO | None = None,
    server: str | None = None,
) -> int:
    """Send each action, print its result; returns the exit code (see errors.py).

    0 when every action succeeded, 1 when any answered Error, 3 when any timed
    out, 2 when the connection was lost (the remaining actions are not sent).
    `wait_originate`: an async Originate also waits (up to that many seconds)
    for its OriginateResponse, which decides whether it succeeded.
    What arrived of an incomplete result (a list cut by a timeout, a disconnect
    or Ctrl-C) is printed, and said to be incomplete on stderr.
    --read-only is not judged here: the caller checks the whole input
    (`check_read_only`) before it connects, its own Login included.
    """
    out = out if out is not None else sys.stdout.buffer
    err = err if err is not None else sys.stderr
    if confirm:
        blocks = confirmed(blocks, source, ask or ask_on_terminal, err)

    def plan(block: ActionBlock) -> tuple[str | None, float]:
        if wait_originate is not None and is_async_originate(block.message):
            return "OriginateResponse", wait_originate
        return None, timeout

    # What no action claimed: so a timeout can say when the server did answer with
    # something amish had to skip (a line over the bound), not just "no response".
    unclaimed = conn.subscribe(maxlen=1000)
    batch = _Batch(conn, ResultWriter(fmt, out, screen=screen, server=server), err, source, plan, unclaimed)
    try:
        if pipeline:
            return batch.pipelined(blocks, stop_on_error)
        return batch.sequential(blocks, stop_on_error)
    finally:
        conn.unsubscribe(unclaimed)


class _Batch:
    """run_actions' sending, waiting and printing; keeps the exit code.

    Both ways of sending share `_settle` (print a finished action's result, or
    say why there is none) and `_interrupted` (Ctrl-C keeps what arrived).
    """

    def __init__(self, conn: Transport, emit: ResultWriter, err: TextIO, source: str, plan, unclaimed) -> None:
        self.conn = conn
        self.emit = emit
        self.err = err
        self.source = source
        self.plan = plan
        self.unclaimed = unclaimed
        self.code = EXIT_OK

    def sequential(self, blocks: list[ActionBlock], stop_on_error: bool) -> int:
        """One action at a time: each gets the whole timeout from when it is sent."""
        for block in blocks:
            wait_event, limit = self.plan(block)
            pending = self._submit(block, wait_event)
            if pending is None:
                return self.code
            try:
                if not _finished(pending, limit):
                    self._give_up(pending, limit)
            except KeyboardInterrupt:
                self._interrupted(block, pending)
                raise
            if self._settle(block, pending) and (stop_on_error or self.code == EXIT_CONNECTION):
                return self.code
        return self.code

    def pipelined(self, blocks: list[ActionBlock], stop_on_error: bool) -> int:
        """Everything goes out now; results are printed in input order.

        The timeouts run together: the batch gives up once nothing of it has
        arrived for the timeout (of the action waited for), and every action
        still outstanding then times out at once.
        """
        sent: list[tuple[ActionBlock, Pending, float]] = []
        for block in blocks:
            wait_event, limit = self.plan(block)
            pending = self._submit(block, wait_event)
            if pending is None:
                return self.code
            sent.append((block, pending, limit))
        progress = _Progress([pending for _, pending, _ in sent])
        stopped = False
        for i, (block, pending, limit) in enumerate(sent):
            try:
                if not progress.wait(i, limit):
                    for _, later, later_limit in sent[i:]:
                        if not later.done:
                            self._give_up(later, later_limit)
            except KeyboardInterrupt:
                self._interrupted(block, pending)
                raise
            failed = self._settle(block, pending)
            if self.code == EXIT_CONNECTION:
                return self.code
            if failed and stop_on_error and not stopped:
                stopped = True
                self._ran_anyway(block, [b for b, _, _ in sent[i + 1 :]])
        return self.code

    def _submit(self, block: ActionBlock, wait_event: str | None) -> Pending | None:
        try:
            return self.conn.submit(block.message, wait_event=wait_event)
        except ConnectionLost as e:
            self._report(block, str(e))
            self.code = EXIT_CONNECTION
            return None

    def _give_up(self, pending: Pending, limit: float) -> None:
        got = "no response" if pending.response is None else "an incomplete response"
        self.conn.abandon(pending, f"{got} within {limit:g} s")

    def _settle(self, block: ActionBlock, pending: Pending) -> bool:
        """Print a finished action's result, or say why there is none; True when it failed."""
        error = pending.error
        if error is None:
            self.emit(pending)
            if pending.ok:
                return False
            if self.code == EXIT_OK:
                self.code = EXIT_ACTION_ERROR
            return True
        line = self._what_arrived(block, pending, error)
        if isinstance(error, ActionTimeout):
            if self.code != EXIT_CONNECTION:
                self.code = EXIT_TIMEOUT
            line += self._skipped()
        else:
            self.code = error.exit_code
        self._report(block, line)
        return True

    def _what_arrived(self, block: ActionBlock, pending: Pending, error: AmishError) -> str:
        """Print what arrived of an unfinished result; the line that says what is missing."""
        if pending.response is None:
            return str(error)
        self.emit(pending)
        return f"{error}: {_missing(pending, self.plan(block)[0])}"

    def _skipped(self) -> str:
        skipped = [i for i in self.unclaimed.drain() if isinstance(i, ProtocolError)]
        if not skipped:
            return ""
        last = skipped[-1]
        return f"; the server did send something amish skipped: {last.reason} ({last.skipped} bytes)"

    def _ran_anyway(self, block: ActionBlock, rest: list[ActionBlock]) -> None:
        """--stop-on-error with --pipeline: the actions after the error were sent with it."""
        if not rest:
            return
        shown = ", ".join(f"{b.name} (line {b.line})" for b in rest[:5])
        if len(rest) > 5:
            shown += f" ... {rest[-1].name} (line {rest[-1].line})"
        self._report(
            block,
            f"--stop-on-error, but --pipeline had already sent the {len(rest)} action(s) after this one: "
            f"{shown}; what they answered follows",
        )

    def _interrupted(self, block: ActionBlock, pending: Pending) -> None:
        """Ctrl-C while waiting for `pending`: print what arrived of it (then amish ends, 130)."""
        if not pending.done:
            self.conn.abandon(pending, "interrupted")
        if pending.error is None:  # it was complete after all
            self.emit(pending)
        elif pending.response is not None:
            self._report(block, self._what_arrived(block, pending, pending.error))

    def _report(self, block: ActionBlock, text: str) -> None:
        print(f"amish: {self.source}:{block.line}: {text}", file=self.err)


def _finished(pending: Pending, limit: float) -> bool:
    """Wait up to `limit` s; whether the action is finished (with a result or an error)."""
    try:
        pending.wait(limit)
    except AmishError:
        pass
    return pending.done


class _Progress:
    """A pipelined batch's clock: since when nothing of it has arrived."""

    def __init__(self, pendings: list[Pending]) -> None:
        self.pendings = pendings
        self.since = time.monotonic()  # everything has been sent

    def wait(self, i: int, limit: float) -> bool:
        """Wait for action `i` while the server keeps answering the batch; False after `limit` s of silence.

        Silence: action `i` got nothing more (looked at every quarter of `limit`)
        and no later action finished. Action `i` is watched for at least one
        such step before it is given up: what came for it while earlier results
        were being printed is not known.
        """
        pending = self.pendings[i]
        if pending.done:  # the common case in a batch that flows: nothing to watch
            self.since = max(self.since, pending.done_at or self.since)
            return True
        step = max(limit / 4, 0.05)
        entered = time.monotonic()
        seen = _arrived(pending)
        while True:
            deadline = max(self.since + limit, entered + step)
            if _finished(pending, min(max(deadline - time.monotonic(), 0.0), step)):
                self.since = max(self.since, pending.done_at or self.since)
                return True
            now = time.monotonic()
            if _arrived(pending) != seen:
                seen = _arrived(pending)
                self.since = now
            elif now >= deadline:
                latest = max((p.done_at or 0.0 for p in self.pendings[i + 1 :] if p.done), default=0.0)
                if latest <= self.since:
                    return False
                self.since = latest  # a later action was answered meanwhile: the server is not silent


def _arrived(pending: Pending) -> int:
    """How much of an action's result has arrived (it grows with every message)."""
    return (pending.response is not None) + len(pending.events) + (pending.event is not None)


def _missing(pending: Pending, wait_event: str | None) -> str:
    """What arrived of an unfinished result and what did not, e.g. '2 items arrived ..., not the list's Complete event'."""
    if pending.listing and pending.complete is None:
        n = len(pending.events)
        return f"the response and {n} item{'' if n == 1 else 's'} arrived (printed), not the Complete event that ends the list"
    if wait_event and pending.event is None:
        return f"the response arrived (printed), not the {wait_event} waited for"
    return "what arrived is printed"


def check_read_only(blocks: list[ActionBlock], source: str) -> None:
    """--read-only: refuse the whole input (exit 4); called before connecting, so nothing was sent."""
    from .core.safety import read_only_refusal  # only under --read-only

    for block in blocks:
        refusal = read_only_refusal(block.message)
        if refusal:
            raise InputError(f"{source}:{block.line}: {refusal}; nothing was sent")


def ask_on_terminal(question: str) -> bool:
    """y/N on the terminal (not stdin, which may be the action file); Enter or end of input is no."""
    try:
        # unbuffered bytes: a text file opened "r+" wants to seek, which a terminal cannot
        with open("/dev/tty", "r+b", buffering=0) as tty:
            tty.write(f"amish: {question} [y/N] ".encode("utf-8", "backslashreplace"))
            answer = tty.readline()
    except OSError:
        raise InputError("--confirm needs a terminal to ask on") from None
    return answer.decode("utf-8", "replace").strip().lower() in ("y", "yes")


def confirmed(blocks: list[ActionBlock], source: str, ask, err: TextIO | None = None) -> list[ActionBlock]:
    """--confirm: ask before each risky action; a no skips it (said on stderr)."""
    from .core.safety import confirmation_reason  # only under --confirm

    kept = []
    for block in blocks:
        reason = confirmation_reason(block.message)
        if reason and not ask(f"{source}:{block.line}: {block.name} {reason}. Send it?"):
            print(f"amish: {source}:{block.line}: {block.name} skipped", file=err or sys.stderr)
            continue
        kept.append(block)
    return kept


# -- a fleet: the same actions on several servers ------------------------------------------------


def run_fleet(
    members: list,
    blocks: list[ActionBlock],
    *,
    events_default: str,
    fmt: str = "raw",
    source: str = "<stdin>",
    parallel: int = 10,
    output_dir: str | None = None,
    out: BinaryIO | None = None,
    err: TextIO | None = None,
    ask=None,
    **run,
) -> int:
    """The same actions on every member (runtime.fleet.Member), at most `parallel` servers at once.

    Checked before anything is sent: the input against each server's
    --read-only (one refusal refuses the run, exit 4), every login's settings,
    and --confirm, asked once per risky action for the whole fleet ("... to N
    servers"). Each server has its own connection, login and secret source; a
    server that cannot be reached takes no one else's time beyond its own
    connect timeout. Each server's output is written whole when it finishes:
    pretty under a header naming it, json objects with a "server" key, raw
    with every line prefixed "NAME: ", or one file per server in `output_dir`.
    Then a summary on stderr: each server ok / error / timeout / lost /
    unreachable, and the exit code of the worst (runtime.fleet.CLASSES).
    Ctrl-C stops: the servers in flight are logged off and the summary says
    which finished (exit 130).
    """
    import io

    from .core.errors import InputError
    from .runtime.fleet import CLASSES, close_all, exit_class, open_sessions, run_each, worst
    from .runtime.output import write

    out = out if out is not None else sys.stdout.buffer
    err = err if err is not None else sys.stderr
    for m in members:
        if m.opts.read_only:
            try:
                check_read_only(blocks, source)
            except InputError as e:
                raise InputError(f"{m.name}: {e}") from None
    if any(m.opts.confirm is True for m in members):
        n = len(members)
        blocks = confirmed(blocks, source, _to_servers(ask or ask_on_terminal, n), err)
    if output_dir is not None:
        _make_dir(output_dir)
    sessions = {}
    failed: dict[str, tuple[str, str]] = {}  # name -> (class, why): before any connection
    for m, session in open_sessions(members, events_default):
        if isinstance(session, BaseException):  # a secret_command that failed: this server's outcome, not the fleet's
            failed[m.name] = ("unreachable", str(session))
        else:
            sessions[m.name] = session

    def work(m):
        session = sessions[m.name]
        buf, errbuf = io.BytesIO(), io.StringIO()
        with session:
            try:
                conn = session.connect()
            except AmishError as e:
                return "unreachable", str(e), buf, errbuf
            code = run_actions(conn, blocks, fmt=fmt, out=buf, err=errbuf, source=source, screen=out,
                               server=m.name, **run)
        return exit_class(code), _first_line(errbuf.getvalue()), buf, errbuf

    outcome: dict[str, tuple[str, str]] = dict(failed)
    width = max(len(m.name) for m in members)

    def on_done(m, result, error):
        if error is not None:
            if isinstance(error, AmishError):
                result = (exit_class(error.exit_code) if error.exit_code != EXIT_CONNECTION else "lost",
                          str(error), io.BytesIO(), io.StringIO())
            else:
                raise error
        klass, why, buf, errbuf = result
        outcome[m.name] = (klass, why)
        for line in errbuf.getvalue().splitlines():
            print(line.replace("amish: ", f"amish: {m.name}: ", 1), file=err)
        data = buf.getvalue()
        if output_dir is not None:
            _write_file(output_dir, m.name, fmt, data)
        elif data or fmt == "pretty":
            if fmt == "pretty":
                state = "" if klass == "ok" else f" ({klass})"
                data = f"── {m.name} ({m.opts.host}:{m.opts.port}){state} ──\n".encode() + data
            elif fmt == "raw":
                data = _prefixed(m.name, data)
            write(out, data)

    todo = [m for m in members if m.name not in failed]
    try:
        run_each(todo, work, parallel=parallel, on_done=on_done)
    except BaseException as e:  # Ctrl-C, SIGTERM/SIGHUP, an output that failed: log off every server in flight
        close_all(sessions.values())
        if not isinstance(e, KeyboardInterrupt):
            raise
        finished = [m.name for m in members if m.name in outcome]
        rest = [m.name for m in members if m.name not in outcome]
        print(f"amish: interrupted: {len(finished)} of {len(members)} servers finished"
              f"{': ' + ', '.join(finished) if finished else ''}; not finished: {', '.join(rest)}", file=err)
        return 130
    counts = {}
    for m in members:
        klass, why = outcome[m.name]
        counts[klass] = counts.get(klass, 0) + 1
        print(f"amish: {m.name:<{width}}  {klass}{': ' + why if why and klass != 'ok' else ''}", file=err)
    said = ", ".join(f"{counts[c]} {c}" for c in reversed(CLASSES) if c in counts)
    print(f"amish: {len(members)} servers: {said}", file=err)
    return worst(counts)


def _to_servers(ask, n: int):
    """--confirm on a fleet: the question names how many servers the action goes to."""
    def asked(question: str) -> bool:
        return ask(question.replace(". Send it?", f". Send it to {n} server{'' if n == 1 else 's'}?"))

    return asked


def _first_line(text: str) -> str:
    """What a server's run said went wrong, for the summary (the full lines went to stderr already)."""
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[0].split(": ", 1)[-1] if lines else ""


def _prefixed(name: str, data: bytes) -> bytes:
    """Raw output on a fleet: every line starts with the server's name, as pdsh/dsh do."""
    prefix = name.encode("utf-8", "backslashreplace") + b": "
    return b"".join(prefix + line for line in data.splitlines(keepends=True))


def _make_dir(path: str) -> None:
    """Make `path` (and its parents) and prove a file can be written there, before anything is sent:
    an --output-dir found unwritable only at the end would come after every action ran everywhere."""
    import os
    import tempfile

    from .core.errors import InputError

    try:
        if os.path.exists(path) and not os.path.isdir(path):
            raise NotADirectoryError(0, "not a directory")
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path, prefix=".amish-probe-"):
            pass
    except OSError as e:
        raise InputError(f"--output-dir {path}: cannot write there ({(e.strerror or str(e)).lower()}); "
                         "nothing was sent") from None


def _file_name(name: str) -> str:
    """A server's name as a file name: no slash, no leading dot."""
    safe = "".join(c if c.isalnum() or c in "-_.:[]@" else "_" for c in name).lstrip(".")
    return safe or "_"


def _write_file(directory: str, name: str, fmt: str, data: bytes) -> None:
    import os

    from .core.errors import OutputError

    path = os.path.join(directory, _file_name(name) + {"json": ".jsonl", "pretty": ".txt"}.get(fmt, ".ami"))
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror}") from None
