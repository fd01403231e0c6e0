"""Running a list of actions over a connection and printing the results: the pipe tool.

UI-free. Each action waits for its complete response (list items included)
before the next is sent, so the output is in input order and complete.
"""

from __future__ import annotations

import sys
from typing import BinaryIO, TextIO

from .actionfile import ActionBlock
from .connection import Connection, Pending
from .errors import (
    EXIT_ACTION_ERROR,
    EXIT_CONNECTION,
    EXIT_OK,
    EXIT_TIMEOUT,
    ActionTimeout,
    ConnectionLost,
)
from .formats import result_json, result_raw

__all__ = ["run_actions"]


def _write(out: BinaryIO, data: bytes) -> None:
    out.write(data)
    out.flush()


def run_actions(
    conn: Connection,
    blocks: list[ActionBlock],
    *,
    fmt: str = "raw",
    timeout: float = 10.0,
    out: BinaryIO | None = None,
    err: TextIO | None = None,
    source: str = "<stdin>",
) -> int:
    """Send each action, print its result; returns the exit code (see errors.py).

    0 when every action succeeded, 1 when any answered Error, 3 when any timed
    out, 2 when the connection was lost (the remaining actions are not sent).
    """
    out = out if out is not None else sys.stdout.buffer
    err = err if err is not None else sys.stderr
    # on a screen, secrets in responses (GetConfig of manager.conf) are masked;
    # to a pipe or a file the bytes go exactly as received
    mask = _isatty(out)
    code = EXIT_OK
    for block in blocks:
        try:
            result = conn.send(block.message, timeout=timeout)
        except ActionTimeout as e:
            print(f"amish: {source}:{block.line}: {e}", file=err)
            code = EXIT_TIMEOUT
            continue
        except ConnectionLost as e:
            print(f"amish: {source}:{block.line}: {e}", file=err)
            return EXIT_CONNECTION
        _emit(result, fmt, out, mask)
        if not result.ok and code == EXIT_OK:
            code = EXIT_ACTION_ERROR
    return code


def _isatty(out) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _emit(result: Pending, fmt: str, out: BinaryIO, mask: bool = False) -> None:
    if fmt == "json":
        _write(out, result_json(result, mask=mask).encode("utf-8", "backslashreplace") + b"\n")
    else:
        _write(out, result_raw(result, mask=mask))
