"""Making text safe to print: the one gate every value goes through on its way to a terminal.

Control characters (ESC, C1 codes such as CSI, CR, BEL...) and undecodable
bytes are shown escaped (``\\x1b``) rather than sent to the terminal, so a
hostile CallerIDName cannot drive it. User text is always wrapped in `Text`,
never parsed as markup.
"""

from __future__ import annotations

import re

from rich.style import Style
from rich.text import Text

__all__ = ["UNSAFE", "clean", "safe_text"]


# C0 controls except TAB, DEL, C1 controls (0x9b is a one-byte CSI on some
# terminals), and lone surrogates (undecodable bytes kept by surrogateescape).
UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff]")


def _escape_char(m: re.Match[str]) -> str:
    c = ord(m.group())
    if 0xDC80 <= c <= 0xDCFF:  # surrogateescape of byte c - 0xDC00
        return f"\\x{c - 0xDC00:02x}"
    if c >= 0xD800:
        return "\ufffd"
    return f"\\x{c:02x}"


def clean(text: str) -> str:
    """`text` with every character that could drive a terminal shown escaped."""
    if UNSAFE.search(text) is None:
        return text
    return UNSAFE.sub(_escape_char, text)


def safe_text(value: str | None, style: str | Style = "") -> Text:
    """`value` (None: empty) as a `Text` safe to print; never parsed as markup."""
    return Text(clean(value or ""), style=style)
