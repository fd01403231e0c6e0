"""Renderables to text: ANSI SGR codes for the shell's panes and terminals, plain text for pipes.

`to_ansi` keeps only SGR sequences (16 colours): OSC (hyperlinks, titles) and
cursor codes are removed, and no colour at all with NO_COLOR. A one-line
`Text` (every event line) skips `Console.print` and goes straight to SGR
codes (`_text_line`, about 10x faster, the same output: a test compares
them). Consoles are cached per thread, width and colour.
"""

from __future__ import annotations

import os
import re
import threading
from io import StringIO
from typing import Any

from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.style import Style
from rich.text import Text

__all__ = ["to_ansi", "to_plain"]

# Every escape sequence except SGR (ESC [ ... m): OSC (hyperlinks, titles), other
# CSI (cursor moves), and two-byte escapes.
_NON_SGR = re.compile(
    r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b\[[0-9;:?<=>]*[ -/]*[@-ln-~]"
    r"|\x1b[@-Z\\^_P]"
)
_consoles = threading.local()


def _no_color_env() -> bool:
    return os.environ.get("NO_COLOR", "") != ""


def _console(width: int, color: bool) -> tuple[Console, StringIO]:
    cache = getattr(_consoles, "cache", None)
    if cache is None:
        cache = _consoles.cache = {}
    key = (width, color)
    hit = cache.get(key)
    if hit is None:
        if len(cache) > 16:
            cache.clear()
        buf = StringIO()
        console = Console(
            file=buf,
            force_terminal=True,
            width=width,
            color_system="standard" if color else None,
            no_color=not color,
            legacy_windows=False,
            soft_wrap=False,
            highlight=False,
            markup=False,
            emoji=False,
            tab_size=8,
            _environ={},  # the width and colours are ours, not COLUMNS / TERM / FORCE_COLOR
        )
        hit = cache[key] = (console, buf)
    return hit


def _render(renderable: RenderableType, width: int, color: bool) -> str:
    console, buf = _console(max(1, int(width)), color)
    buf.seek(0)
    buf.truncate()
    if isinstance(renderable, Text):
        # print() joins Text objects into a new one, which would lose these
        console.print(renderable, no_wrap=renderable.no_wrap, overflow=renderable.overflow)
    else:
        console.print(renderable)
    out = buf.getvalue()
    buf.seek(0)
    buf.truncate()
    if out.endswith("\n"):
        out = out[:-1]
    if " \n" in out or " \x1b[" in out or out.endswith(" "):
        out = _TRAILING.sub(_drop_trailing, out)
    return out


# Spaces at the end of a line, with the SGR codes among them (table and title padding).
_TRAILING = re.compile(r"(?:\x1b\[[0-9;]*m)*(?: (?:\x1b\[[0-9;]*m)*)+$", re.M)


def _drop_trailing(m: re.Match[str]) -> str:
    return "\x1b[0m" if "\x1b" in m.group() else ""


def to_ansi(renderable: RenderableType, width: int, color: bool = True) -> str:
    """`renderable` as text `width` cells wide, with ANSI SGR codes (16 colours).

    No colour (and no escape codes at all) when `color` is False or NO_COLOR is
    set. Only SGR sequences remain: OSC (hyperlinks) and cursor codes are removed.
    The final newline is left off.
    """
    color = color and not _no_color_env()
    if type(renderable) is Text:
        fast = _text_line(renderable, max(1, int(width)), color)
        if fast is not None:
            return fast
    out = _render(renderable, width, color)
    if "\x1b" in out and not color:
        out = _strip_all(out)
    elif "\x1b" in out:
        out = _NON_SGR.sub("", out)
    return out


_sgr_cache: dict[Any, tuple[str, str]] = {}


def _sgr(console: Console, style: str | Style) -> tuple[str, str]:
    """The codes that start and end `style` (16 colours), as Style.render writes them."""
    rendered = console.get_style(style, default=Style.null()).render("\0", color_system=console._color_system)
    head, _, tail = rendered.partition("\0")
    if len(_sgr_cache) > 1024:
        _sgr_cache.clear()
    _sgr_cache[style] = (head, tail)
    return head, tail


def _text_line(text: Text, width: int, color: bool) -> str | None:
    """A one-line Text straight to SGR codes, skipping Console.print (10x faster).

    The same output as printing it; None when the text needs the full machinery
    (line breaks, tabs, or wrapping).
    """
    plain = text.plain
    if "\n" in plain or "\t" in plain or "\x1b" in plain:
        return None
    if plain.endswith(" "):
        text = text.copy()
        text.rstrip()
        plain = text.plain
    if cell_len(plain) > width:
        if not text.no_wrap:
            return None
        text = text.copy()
        text.truncate(width, overflow=text.overflow or "fold")
        plain = text.plain
    if not color:
        return plain
    console = _console(width, True)[0]
    color_system = console._color_system
    out = []
    append = out.append
    spans = text.spans
    if not text.style and all(a.end <= b.start for a, b in zip(spans, spans[1:])):
        # spans in order and not overlapping (event lines): no style stacking to do
        pos = 0
        end_of_text = len(plain)
        for start, end, style in spans:
            if end > end_of_text:
                end = end_of_text
            if start >= end:
                continue
            if start > pos:
                append(plain[pos:start])
            sgr = _sgr_cache.get(style)
            if sgr is None:
                sgr = _sgr(console, style)
            append(sgr[0])
            append(plain[start:end])
            append(sgr[1])
            pos = end
        if pos < end_of_text:
            append(plain[pos:])
        return "".join(out)
    for seg_text, style, _control in text.render(console):
        if style:
            append(style.render(seg_text, color_system=color_system))
        else:
            append(seg_text)
    return "".join(out)


_ANY_ESCAPE = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b\[[0-9;:?<=>]*[ -/]*[@-~]|\x1b[@-Z\\^_P]")


def _strip_all(text: str) -> str:
    return _ANY_ESCAPE.sub("", text)


def to_plain(renderable: RenderableType, width: int) -> str:
    """`renderable` as plain text `width` cells wide, trailing spaces removed."""
    out = _render(renderable, width, False)
    if "\x1b" in out:
        out = _strip_all(out)
    return "\n".join(line.rstrip() for line in out.split("\n"))
