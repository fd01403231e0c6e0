"""Writing results, events and reports to stdout, in each format: the modes' one output layer.

The pipe tool (`pipe`), `amish events` (`events`) and `amish audit` write through it.
It owns three things the modes must not each decide for themselves:

- what a failed write means: the reader went away (EPIPE, `| head`) is not an
  error: BrokenPipeError goes up, and `cli.main` ends with exit 0; any other
  OSError (a full disk, an I/O error) is `errors.write_failed` -> OutputError,
  exit 74. `write` and `flush` say so, and the writers below use them.
- the terminal questions: `is_terminal` (secrets masked and colours on a
  screen, bytes exactly as received to a pipe or a file), `terminal_width`,
  `reader_gone` (a pipe whose reader left, seen before the next write).
- the formats: `ResultWriter` (raw, json, pretty) for an action's result,
  `event_writer` (raw, jsonl, pretty) for events. How a result becomes raw
  bytes or JSON is `formats`' job; how it becomes a table is `render`'s.

UI-free: rich (through `render`) is imported only when the pretty format is
asked for. `amish events`' raw fast path, where the I/O thread writes the bytes
as read, calls `write` once per read, never once per event.
"""

from __future__ import annotations

from .errors import write_failed
from .formats import event_json, result_json, result_raw

TYPE_CHECKING = False  # typing costs 3 ms of the pipe tool's start-up
if TYPE_CHECKING:  # pragma: no cover
    from typing import IO, BinaryIO, Callable

    from .connection import Pending
    from .protocol import Message

__all__ = ["write", "flush", "is_terminal", "terminal_width", "reader_gone", "ResultWriter", "event_writer"]

EVENT_LINE_WIDTH = 200  # an event line in the pretty format is cut there, whatever the terminal


def write(out: IO, data: bytes | str, *, what: str = "stdout") -> None:
    """Write `data` and flush: BrokenPipeError when the reader went away, OutputError (exit 74) on any other failure."""
    try:
        out.write(data)
        out.flush()
    except BrokenPipeError:
        raise  # the reader went away (| head): not an error
    except OSError as e:
        raise write_failed(what, e) from None


def flush(out: IO, *, what: str = "stdout") -> None:
    """Flush what is buffered, failing as `write` does."""
    try:
        out.flush()
    except BrokenPipeError:
        raise
    except OSError as e:
        raise write_failed(what, e) from None


def is_terminal(out: IO) -> bool:
    """Whether `out` is a screen (secrets masked, colours); False for a pipe, a file or no file at all."""
    try:
        return out.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def terminal_width(out: IO) -> int:
    """The width to lay a table out in: the terminal's (at least 40), else COLUMNS, else 100."""
    import os

    try:
        return max(40, os.get_terminal_size(out.fileno()).columns)
    except (AttributeError, ValueError, OSError):
        import shutil

        return shutil.get_terminal_size((100, 24)).columns


def reader_gone(out: IO) -> bool:
    """True when `out` is a pipe whose reading end was closed (so the next write would fail)."""
    import select

    try:
        poller = select.poll()
        poller.register(out.fileno(), select.POLLERR)
        return any(ev & (select.POLLERR | select.POLLHUP) for _, ev in poller.poll(0))
    except (AttributeError, ValueError, OSError):
        return False


class ResultWriter:
    """Writes each action's result to `out` in `fmt` (raw, json, pretty), flushed, as it is called.

    On a screen, secrets in responses (GetConfig of manager.conf) are masked;
    to a pipe or a file the bytes go exactly as received.
    """

    def __init__(self, fmt: str, out: BinaryIO):
        self.fmt = fmt
        self.out = out
        self.mask = is_terminal(out)

    def __call__(self, result: Pending) -> None:
        if self.fmt == "json":
            write(self.out, result_json(result, mask=self.mask).encode("utf-8", "backslashreplace") + b"\n")
        elif self.fmt == "pretty":
            from .render import render_result, to_ansi, to_plain

            width = terminal_width(self.out)
            renderable = render_result(result)
            text = to_ansi(renderable, width) if self.mask else to_plain(renderable, width)
            write(self.out, text.encode("utf-8", "backslashreplace") + b"\n")
        else:
            write(self.out, result_raw(result, mask=self.mask))


def event_writer(fmt: str, out: BinaryIO) -> Callable[[Message], None]:
    """A function that writes one event to `out` in `fmt` (raw, jsonl, pretty), unflushed (`flush` after a batch).

    It fails as `write` does. Raw is the event's bytes as received; pretty is
    one line, coloured on a screen.
    """
    if fmt == "jsonl":
        def encode(msg: Message) -> bytes:
            return event_json(msg).encode("utf-8", "backslashreplace") + b"\n"
    elif fmt == "pretty":
        import time

        from .render import render_event_line, to_ansi, to_plain

        color = is_terminal(out)

        def encode(msg: Message) -> bytes:
            line = render_event_line(msg, time.time())
            text = to_ansi(line, EVENT_LINE_WIDTH) if color else to_plain(line, EVENT_LINE_WIDTH)
            return text.encode("utf-8", "backslashreplace") + b"\n"
    else:  # raw: the bytes as received, with no call for them
        encode = None

    def write_event(msg: Message) -> None:
        try:
            out.write(msg.raw if encode is None else encode(msg))
        except BrokenPipeError:
            raise
        except OSError as e:
            raise write_failed("stdout", e) from None

    return write_event
