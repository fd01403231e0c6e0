"""A list result (the events of an ``EventList``): a table when it fits the width, else one record per item.

Rich would squeeze a too-wide table's columns to a few letters each, so the
choice is made at draw time: the table of every column (those empty in every
item left out and named in the caption); the table without the columns whose
value is the same in every item (their values go in the caption, so nothing
is hidden); one aligned record per item.
"""

from __future__ import annotations

import re

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from ...core.protocol import Message
from .layout import grid
from .safe import clean, safe_text

__all__ = ["ListView"]

_CHANNELISH = re.compile(r"(?i)(channel|uniqueid|linkedid|bridgeid|endpoint|objectname|interface|aor|uri|contact)$")


def _item_rows(items: list[Message], drop_event: bool) -> tuple[list[str], list[dict[str, list[str]]]]:
    """Columns (union of headers, first seen first) and each item's values by column."""
    columns: dict[str, str] = {}  # lower -> shown name
    rows: list[dict[str, list[str]]] = []
    for item in items:
        row: dict[str, list[str]] = {}
        for key, value in item.headers:
            name = key if key is not None else ""
            low = name.lower()
            if low == "actionid" or (drop_event and low == "event"):
                continue
            if low not in columns:
                columns[low] = name
            row.setdefault(low, []).append(value)
        rows.append(row)
    return list(columns.values()), rows


class ListView:
    """A list result: a table when it fits the width, else one record per item.

    Tried in order: the table of every column (those empty in every item left
    out and named in the caption); the table without the columns whose value
    is the same in every item (their values go in the caption, so nothing is
    hidden); one aligned record per item.
    """

    def __init__(self, items: list[Message], title: str | None, caption: Text, single_record: bool):
        self.items = items
        self.title = title
        self.caption = caption
        self.single_record = single_record
        names = {(m.get("Event") or "").lower() for m in items}
        self.drop_event = len(names) == 1
        cols, rows = _item_rows(items, self.drop_event)
        self.rows = rows
        # columns empty in every item take room and say nothing
        self.empty = [c for c in cols if all(not "".join(r.get(c.lower(), [])) for r in rows)]
        if len(self.empty) == len(cols):
            self.empty = []
        self.columns = [c for c in cols if c not in self.empty]
        self.constant: list[tuple[str, str]] = []
        if len(rows) > 1:
            for col in self.columns:
                first = rows[0].get(col.lower())
                if first is not None and len(first) == 1 and all(r.get(col.lower()) == first for r in rows):
                    self.constant.append((col, first[0]))

    def _caption(self, empty: bool = True, constant: bool = False) -> Text:
        caption = self.caption.copy()
        if self.empty and empty:
            caption.append("  empty: ", style="dim")
            caption.append(", ".join(clean(c) for c in self.empty), style="dim")
        if self.constant and constant:
            caption.append("  same in every item: ", style="dim")
            for i, (col, value) in enumerate(self.constant):
                if i:
                    caption.append(", ", style="dim")
                caption.append(clean(col) + "=", style="dim")
                caption.append(clean(value))
        return caption

    def _table(self, columns: list[str]) -> Table:
        table = Table(
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            header_style="bold",
            title=safe_text(self.title, "bold") if self.title else None,
            title_justify="left",
        )
        for col in columns:
            if _CHANNELISH.search(col):
                table.add_column(safe_text(col), no_wrap=True, overflow="fold")
            else:
                table.add_column(safe_text(col), overflow="fold")
        for row in self.rows:
            table.add_row(*(safe_text("\n".join(row.get(c.lower(), []))) for c in columns))
        return table

    def _records(self) -> list[RenderableType]:
        out: list[RenderableType] = []
        n = len(self.items)
        for i, item in enumerate(self.items, 1):
            label = self.title or (item.get("Event") or "item")
            if n > 1:
                label = f"{label} {i}/{n}"
            out.append(Rule(safe_text(label, "bold"), align="left", style="dim", characters="─"))
            headers = [
                (k, v) for k, v in item.headers
                if (k or "").lower() != "actionid" and not (self.drop_event and (k or "").lower() == "event")
            ]
            out.append(grid(headers))
        out.append(self._caption(empty=False))
        return out

    def _fits(self, console: Console, options: ConsoleOptions, columns: list[str], table: Table) -> bool:
        """The table fits at its natural width, or with each column at least as wide as its
        title (up to 10 cells; channel names whole), letting rich wrap longer values."""
        width = options.max_width
        measured = Measurement.get(console, options.update(width=10**6), table)
        if measured.maximum <= width:
            return True
        natural = []
        for col in columns:
            low = col.lower()
            longest = cell_len(col)
            for row in self.rows:
                for value in row.get(low, ()):
                    longest = max(longest, cell_len(value))
            natural.append((col, longest))
        needed = measured.maximum - sum(n for _, n in natural)  # borders and padding
        for col, n in natural:
            if _CHANNELISH.search(col):
                needed += n
            else:
                needed += min(n, max(cell_len(col), 10))
        return needed <= width

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.items:
            yield self._caption()
            return
        if not self.single_record or len(self.items) > 1:
            if self.columns:
                table = self._table(self.columns)
                if self._fits(console, options, self.columns, table):
                    yield table
                    yield self._caption()  # under the table, but as wide as the screen
                    return
            if self.constant:
                same = {c for c, _ in self.constant}
                columns = [c for c in self.columns if c not in same]
                if columns:
                    table = self._table(columns)
                    if self._fits(console, options, columns, table):
                        yield table
                        yield self._caption(constant=True)
                        return
        yield from self._records()

