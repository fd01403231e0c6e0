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
The writers that pick a format (`ResultWriter`, `event_writer`) are in
`amish.ui.writers`, since pretty output is rendering; they write through here.

UI-free. `amish events`' raw fast path, where the I/O thread writes the bytes
as read, calls `write` once per read, never once per event.
"""

from __future__ import annotations

import os
import select

from ..core.errors import write_failed

TYPE_CHECKING = False  # typing costs 3 ms of the pipe tool's start-up
if TYPE_CHECKING:  # pragma: no cover
    from typing import IO

__all__ = ["write", "flush", "is_terminal", "terminal_width", "reader_gone"]



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
    try:
        return max(40, os.get_terminal_size(out.fileno()).columns)
    except (AttributeError, ValueError, OSError):
        import shutil  # ~2 ms: only when the terminal cannot be asked

        return shutil.get_terminal_size((100, 24)).columns


def reader_gone(out: IO) -> bool:
    """True when `out` is a pipe whose reading end was closed (so the next write would fail)."""
    try:
        poller = select.poll()
        poller.register(out.fileno(), select.POLLERR)
        return any(ev & (select.POLLERR | select.POLLHUP) for _, ev in poller.poll(0))
    except (AttributeError, ValueError, OSError):
        return False
