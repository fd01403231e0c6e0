"""A read-only, searchable, colourful pane over a store, with follow mode.

The pattern (see shared/reference/repl-patterns.md §4): the pane's Buffer holds
the plain text of its lines (so the cursor, selection, copy and incremental
search work), and a lexer hands prompt_toolkit the stored colour fragments of
each line, rendered lazily: only the lines on screen are ever coloured.
Only the UI thread calls `refresh`.
"""

from __future__ import annotations

from typing import Callable, Sequence

from prompt_toolkit.buffer import Buffer
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import ANSI, to_formatted_text
from prompt_toolkit.formatted_text.utils import split_lines
from prompt_toolkit.layout.controls import BufferControl
from prompt_toolkit.lexers import Lexer

__all__ = ["Pane", "TablePane", "TableLine", "ansi_lines", "compact"]

Fragments = list


def compact(fragments: Fragments) -> Fragments:
    """Merge neighbouring fragments of the same style (ANSI() makes one per character)."""
    out: Fragments = []
    for frag in fragments:
        style, text = frag[0], frag[1]
        if not text:
            continue
        if out and out[-1][0] == style:
            out[-1] = (style, out[-1][1] + text)
        else:
            out.append((style, text))
    return out


def ansi_lines(ansi: str) -> list[Fragments]:
    """ANSI text (from rich) as compacted fragment lines; a trailing newline adds no line."""
    if ansi.endswith("\n"):
        ansi = ansi[:-1]
    return [compact(line) for line in split_lines(to_formatted_text(ANSI(ansi)))]


class _PaneLexer(Lexer):
    def __init__(self, pane: "Pane"):
        self._pane = pane

    def lex_document(self, document: Document):
        snapshot = self._pane.snapshot
        fragments_of = self._pane.fragments_of

        def get_line(i: int) -> Fragments:
            try:
                item = snapshot[i]
            except IndexError:
                return []
            return fragments_of(item)

        return get_line

    def invalidation_hash(self):
        return self._pane.generation


class Pane:
    """`lines()` gives the store's items (each with `.plain`); `fragments_of(item)` their colours."""

    def __init__(
        self,
        name: str,
        lines: Callable[[], Sequence],
        fragments_of: Callable[[object], Fragments],
        search_control=None,
    ):
        self.name = name
        self._lines = lines
        self.fragments_of = fragments_of
        self.snapshot: Sequence = []
        self.generation = 0
        self.follow = True
        #: While set (a flood) and following, show only these newest lines: cheap to rebuild.
        self.tail_source: Callable[[], Sequence] | None = None
        self._showing_tail = False
        self._updating = False
        self.buffer = Buffer(read_only=True, name=name)
        self.buffer.on_cursor_position_changed += self._cursor_moved
        self.control = BufferControl(
            buffer=self.buffer,
            lexer=_PaneLexer(self),
            search_buffer_control=search_control,
            focusable=True,
        )

    def _cursor_moved(self, _buffer) -> None:
        if self._updating:
            return
        doc = self.buffer.document
        self.follow = doc.cursor_position_row >= doc.line_count - 1

    def refresh(self, evicted_top: int = 0) -> None:
        """Show the store's current lines; keep the user's place unless following."""
        use_tail = self.tail_source is not None and self.follow
        snapshot = list(self.tail_source() if use_tail else self._lines())
        text = "\n".join(item.plain for item in snapshot)
        old = self.buffer.document
        if self.follow or not snapshot:
            row = max(len(snapshot) - 1, 0)
        elif self._showing_tail:  # from the flood's short view to the full one: keep the distance from the bottom
            from_bottom = old.line_count - 1 - old.cursor_position_row
            row = max(len(snapshot) - 1 - from_bottom, 0)
        else:
            row = max(min(old.cursor_position_row - evicted_top, len(snapshot) - 1), 0)
        self._showing_tail = use_tail
        self.snapshot = snapshot
        self.generation += 1
        doc = Document(text, 0)
        cursor = doc.translate_row_col_to_index(row, 0)
        self._updating = True
        try:
            self.buffer.set_document(Document(text, cursor), bypass_readonly=True)
        finally:
            self._updating = False

    def scroll(self, lines: int) -> None:
        """Move the cursor by `lines` (negative: up). Leaving the bottom turns follow off."""
        self.scroll_to(self.buffer.document.cursor_position_row + lines)

    def scroll_to(self, row: int) -> None:
        """The cursor to `row` (within the lines); follow is on only at the bottom."""
        doc = self.buffer.document
        row = max(0, min(row, doc.line_count - 1))
        self.buffer.cursor_position = doc.translate_row_col_to_index(row, 0)
        self.follow = row >= doc.line_count - 1

    def to_end(self) -> None:
        doc = self.buffer.document
        self.buffer.cursor_position = doc.translate_row_col_to_index(max(doc.line_count - 1, 0), 0)
        self.follow = True


class TableLine:
    """One line of a table pane: its text, its colours, and the key of the row (None: not a row)."""

    __slots__ = ("plain", "fragments", "key")

    def __init__(self, plain: str, fragments: Fragments, key: str | None = None):
        self.plain = plain
        self.fragments = fragments
        self.key = key


class TablePane(Pane):
    """A pane of rows whose selection (the cursor line) stays on the same row, by key,
    however the rows move, come and go; a row that went leaves the selection where it was."""

    def __init__(self, name: str, search_control=None):
        self.items: list = []
        super().__init__(name, lambda: self.items, lambda item: item.fragments, search_control)
        self.follow = False

    def selected(self):
        """The item under the cursor (None when empty)."""
        row = self.buffer.document.cursor_position_row
        if 0 <= row < len(self.snapshot):
            return self.snapshot[row]
        return None

    def selected_key(self) -> str | None:
        item = self.selected()
        return item.key if item is not None else None

    def show(self, items: list, select: str | None = None) -> None:
        """Show `items`; the selection stays on the row it was on (or goes to `select`)."""
        key = select if select is not None else self.selected_key()
        old_row = self.buffer.document.cursor_position_row
        row = None
        if key is not None:
            row = next((i for i, item in enumerate(items) if item.key == key), None)
        if row is None:
            row = min(old_row, max(len(items) - 1, 0))
            if key is None and items and items[row].key is None:  # a header line: the first row under it
                row = next((i for i, item in enumerate(items) if item.key is not None), row)
        self.items = items
        self.snapshot = items
        self.generation += 1
        text = "\n".join(item.plain for item in items)
        doc = Document(text, 0)
        cursor = doc.translate_row_col_to_index(row, 0) if items else 0
        self._updating = True
        try:
            self.buffer.set_document(Document(text, cursor), bypass_readonly=True)
        finally:
            self._updating = False
        self.follow = False
