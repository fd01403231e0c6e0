"""Running a list of actions over a connection and printing the results: the pipe tool.

UI-free but for the pretty format, which imports rich when asked for.
Sequential by default: each action waits for its complete response (list
items included) before the next is sent. With `pipeline`, every action is
sent at once (each with its own ActionID) and the results are still printed
in input order.
"""

from __future__ import annotations

import sys

from .connection import Connection, Pending
from .errors import (
    EXIT_ACTION_ERROR,
    EXIT_CONNECTION,
    EXIT_OK,
    EXIT_TIMEOUT,
    ActionTimeout,
    AmishError,
    ConnectionLost,
)
from .formats import result_json, result_raw
from .protocol import Message, ProtocolError

TYPE_CHECKING = False  # typing costs 3 ms of the pipe tool's start-up
if TYPE_CHECKING:  # pragma: no cover
    from typing import BinaryIO, TextIO

    from .actionfile import ActionBlock

__all__ = ["run_actions", "is_async_originate"]


def is_async_originate(message: Message) -> bool:
    return (message.get("Action") or "").lower() == "originate" and (message.get("Async") or "").lower() in (
        "true", "yes", "1", "on", "y", "t",
    )


class _Printer:
    def __init__(self, fmt: str, out: BinaryIO):
        self.fmt = fmt
        self.out = out
        # on a screen, secrets in responses (GetConfig of manager.conf) are masked;
        # to a pipe or a file the bytes go exactly as received
        self.mask = _isatty(out)
        self._console = None

    def __call__(self, result: Pending) -> None:
        if self.fmt == "json":
            self._write(result_json(result, mask=self.mask).encode("utf-8", "backslashreplace") + b"\n")
        elif self.fmt == "pretty":
            from .render import render_result, to_ansi, to_plain

            width = _width(self.out)
            text = to_ansi(render_result(result), width) if self.mask else to_plain(render_result(result), width)
            self._write(text.encode("utf-8", "backslashreplace") + b"\n")
        else:
            self._write(result_raw(result, mask=self.mask))

    def _write(self, data: bytes) -> None:
        try:
            self.out.write(data)
            self.out.flush()
        except BrokenPipeError:
            raise  # the reader went away (| head): not an error
        except OSError as e:
            from .errors import write_failed

            raise write_failed("stdout", e) from None


def _isatty(out) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _width(out) -> int:
    import os
    import shutil

    try:
        return max(40, os.get_terminal_size(out.fileno()).columns)
    except (AttributeError, ValueError, OSError):
        return shutil.get_terminal_size((100, 24)).columns


def run_actions(
    conn: Connection,
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
    read_only: bool = False,
    catalogue=None,
    confirm: bool = False,
    ask=None,
) -> int:
    """Send each action, print its result; returns the exit code (see errors.py).

    0 when every action succeeded, 1 when any answered Error, 3 when any timed
    out, 2 when the connection was lost (the remaining actions are not sent).
    `wait_originate`: an async Originate also waits (up to that many seconds)
    for its OriginateResponse, which decides whether it succeeded.
    """
    out = out if out is not None else sys.stdout.buffer
    err = err if err is not None else sys.stderr
    if read_only:
        check_read_only(blocks, catalogue, source)
    if confirm:
        blocks = confirmed(blocks, source, ask or ask_on_terminal, err)
    emit = _Printer(fmt, out)

    def plan(block: ActionBlock) -> tuple[str | None, float]:
        if wait_originate is not None and is_async_originate(block.message):
            return "OriginateResponse", wait_originate
        return None, timeout

    def report(block: ActionBlock, e: AmishError) -> None:
        print(f"amish: {source}:{block.line}: {e}", file=err)

    # What no action claimed: so a timeout can say when the server did answer with
    # something amish had to skip (a line over the bound), not just "no response".
    unclaimed = conn.subscribe(maxlen=1000)

    def timed_out(block: ActionBlock, pending: Pending | None, e: ActionTimeout) -> None:
        if pending is not None:
            conn.abandon(pending, "timed out")
        skipped = [i for i in unclaimed.drain() if isinstance(i, ProtocolError)]
        if skipped:
            last = skipped[-1]
            e = ActionTimeout(f"{e}; the server did send something amish skipped: {last.reason} "
                              f"({last.skipped} bytes)")
        report(block, e)

    try:
        return _send(conn, blocks, pipeline, plan, emit, report, timed_out, stop_on_error)
    finally:
        conn.unsubscribe(unclaimed)


def _send(conn, blocks, pipeline, plan, emit, report, timed_out, stop_on_error) -> int:
    """run_actions' sending and printing, one action at a time or all at once (`pipeline`)."""
    code = EXIT_OK
    if not pipeline:
        for block in blocks:
            wait_event, limit = plan(block)
            pending = None
            try:
                pending = conn.submit(block.message, wait_event=wait_event)
                result = pending.wait(limit)
            except ActionTimeout as e:
                timed_out(block, pending, e)
                code = EXIT_TIMEOUT
                if stop_on_error:
                    return code
                continue
            except ConnectionLost as e:
                if pending is not None and pending.response is not None:
                    emit(pending)  # what had arrived of a list cut by the disconnect is not lost
                report(block, e)
                return EXIT_CONNECTION
            emit(result)
            if not result.ok:
                if code == EXIT_OK:
                    code = EXIT_ACTION_ERROR
                if stop_on_error:
                    return code
        return code

    # pipelined: everything goes out now; results are printed in input order
    pendings: list[tuple[ActionBlock, Pending, float]] = []
    for block in blocks:
        wait_event, limit = plan(block)
        try:
            pendings.append((block, conn.submit(block.message, wait_event=wait_event), limit))
        except ConnectionLost as e:
            report(block, e)
            return EXIT_CONNECTION
    for i, (block, pending, limit) in enumerate(pendings):
        try:
            result = pending.wait(limit)  # each action's time starts when its turn comes
        except ActionTimeout as e:
            timed_out(block, pending, e)
            code = EXIT_TIMEOUT
            if stop_on_error:
                _abandon_rest(conn, pendings[i + 1 :])
                return code
            continue
        except ConnectionLost as e:
            if pending.response is not None:
                emit(pending)  # what had arrived of a list cut by the disconnect is not lost
            report(block, e)
            return EXIT_CONNECTION
        emit(result)
        if not result.ok:
            if code == EXIT_OK:
                code = EXIT_ACTION_ERROR
            if stop_on_error:
                _abandon_rest(conn, pendings[i + 1 :])
                return code
    return code


def check_read_only(blocks: list[ActionBlock], catalogue, source: str) -> None:
    """--read-only: refuse the whole input (exit 4) before anything is sent."""
    from .errors import InputError
    from .safety import read_only_refusal

    for block in blocks:
        refusal = read_only_refusal(block.message, catalogue)
        if refusal:
            raise InputError(f"{source}:{block.line}: {refusal}; nothing was sent")


def ask_on_terminal(question: str) -> bool:
    """y/N on the terminal (not stdin, which may be the action file)."""
    from .errors import InputError

    try:
        with open("/dev/tty", "r+", encoding="utf-8") as tty:
            tty.write(f"amish: {question} [y/N] ")
            tty.flush()
            return tty.readline().strip().lower() in ("y", "yes")
    except OSError:
        raise InputError("--confirm needs a terminal to ask on") from None


def confirmed(blocks: list[ActionBlock], source: str, ask, err: TextIO | None = None) -> list[ActionBlock]:
    """--confirm: ask before each risky action; a no skips it (said on stderr)."""
    from .safety import confirmation_reason

    kept = []
    for block in blocks:
        reason = confirmation_reason(block.message)
        if reason and not ask(f"{source}:{block.line}: {block.name} {reason}. Send it?"):
            print(f"amish: {source}:{block.line}: {block.name} skipped", file=err or sys.stderr)
            continue
        kept.append(block)
    return kept


def _abandon_rest(conn: Connection, rest) -> None:
    for _, pending, _ in rest:
        conn.abandon(pending, "not waited for after an error (--stop-on-error)")
