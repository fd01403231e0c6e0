"""The writers of the pipe tool and `amish events`: a result or an event in the format asked for.

`ResultWriter` (raw, json, pretty) writes each action's result; `event_writer`
(raw, jsonl, pretty) one event. How a result becomes raw bytes or JSON is
`runtime.formats`' job, how it becomes a table `render`'s; what a failed write
means is `runtime.output`'s (they write through it).

rich (through `render`) is imported only when the pretty format is asked for,
so the raw and JSON paths start as fast as the core.
"""

from __future__ import annotations

import time

from ..core.errors import write_failed
from ..runtime.formats import event_json, result_json, result_raw
from ..runtime.output import is_terminal, terminal_width, write

TYPE_CHECKING = False  # typing costs 3 ms of the pipe tool's start-up
if TYPE_CHECKING:  # pragma: no cover
    from typing import BinaryIO, Callable

    from ..core.protocol import Message
    from ..transports.shared import Pending

__all__ = ["ResultWriter", "event_writer", "event_line"]

EVENT_LINE_WIDTH = 200  # an event line in the pretty format is cut there, whatever the terminal


class ResultWriter:
    """Writes each action's result to `out` in `fmt` (raw, json, pretty), flushed, as it is called.

    On a screen, secrets in responses (GetConfig of manager.conf) are masked;
    to a pipe or a file the bytes go exactly as received.
    """

    def __init__(self, fmt: str, out: BinaryIO, *, screen: BinaryIO | None = None, server: str | None = None):
        """`screen`: the stream that decides masking, colours and width when `out` is a buffer for it
        (a fleet's per-server output); `server`: the key every JSON object carries on a fleet."""
        self.fmt = fmt
        self.out = out
        self.screen = out if screen is None else screen
        self.mask = is_terminal(self.screen)
        self.server = server

    def __call__(self, result: Pending) -> None:
        if self.fmt == "json":
            write(self.out, result_json(result, mask=self.mask, server=self.server).encode("utf-8", "backslashreplace") + b"\n")
        elif self.fmt == "pretty":
            from .render import render_result, to_ansi, to_plain

            width = terminal_width(self.screen)
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
        encode = event_line(out)
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


def event_line(out: BinaryIO) -> Callable[[Message], bytes]:
    """The pretty format of one event: its line, coloured when `out` is a screen, as bytes ending in a newline."""
    from .render import render_event_line, to_ansi, to_plain

    color = is_terminal(out)

    def encode(msg: Message) -> bytes:
        line = render_event_line(msg, time.time())
        text = to_ansi(line, EVENT_LINE_WIDTH) if color else to_plain(line, EVENT_LINE_WIDTH)
        return text.encode("utf-8", "backslashreplace") + b"\n"

    return encode
