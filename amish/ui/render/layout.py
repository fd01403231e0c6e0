"""Headers as two aligned columns, and preformatted lines: the building blocks of results and events.

Both are rich renderables that decide at draw time, from the width they get:
`Pairs` stacks key over value when two columns would leave the values a
sliver; `Preformatted` cuts long lines at the width and never re-wraps them
(Command output, config files).
"""

from __future__ import annotations

from typing import Iterable

from rich.cells import cell_len, chop_cells
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

from .safe import clean

__all__ = ["grid", "Pairs", "Preformatted"]


def grid(headers: Iterable[tuple[str | None, str]], value_styles: dict[str, str] | None = None) -> "Pairs":
    """Headers aligned in two columns: key dim, value normal (see Pairs)."""
    return Pairs(headers, value_styles)


class Pairs:
    """Key/value pairs in two aligned columns; keys never wrap, long values fold.

    Too narrow for two columns (the keys would leave the values a sliver), each
    key goes on its own line with its value indented below it.
    """

    MIN_VALUE = 16

    def __init__(self, headers: Iterable[tuple[str | None, str]], value_styles: dict[str, str] | None = None):
        rows = []
        for key, value in headers:
            style = ""
            if value_styles and key is not None:
                style = value_styles.get(key.lower(), "")
            rows.append((clean(key or ""), clean(value), style))
        self.rows = rows

    def _table(self) -> Table:
        grid = Table.grid(padding=(0, 2, 0, 0))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="fold")
        for key, value, style in self.rows:
            grid.add_row(Text(key, style="dim"), Text(value, style=style))
        return grid

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.rows:
            return
        width = options.max_width
        key_width = max(cell_len(key) for key, _, _ in self.rows)
        longest = max(cell_len(value) for _, value, _ in self.rows)
        if key_width + 2 + min(longest, self.MIN_VALUE) <= width:
            yield self._table()
            return
        for key, value, style in self.rows:
            if key:
                yield Text(key, style="dim", overflow="fold")
            if value or not key:
                yield Padding(Text(value, style=style, overflow="fold"), (0, 0, 0, 2 if width > 8 else 0))

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self._table())


class Preformatted:
    """Lines exactly as given (leading spaces kept), cut at the width, never re-wrapped."""

    def __init__(self, lines: list[str], style: str = ""):
        self.lines = [clean(line).expandtabs(8).rstrip() for line in lines]
        self.style = Style.parse(style) if style else None

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(1, options.max_width)
        style = self.style
        newline = Segment.line()
        for line in self.lines:
            if cell_len(line) <= width:
                if line:
                    yield Segment(line, style)
                yield newline
            else:
                for chunk in chop_cells(line, width):
                    yield Segment(chunk, style)
                    yield newline

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        longest = max((cell_len(line) for line in self.lines), default=0)
        return Measurement(min(1, longest), longest).clamp(max_width=options.max_width)

