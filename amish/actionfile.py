"""Action files and piped input: the telnet form, read before anything is sent.

    # comments start with '#'
    Action: DBPut
    Family: amish
    Key: greeting
    Val: hello

    Action: Ping

Blocks of ``Header: value`` lines end at a blank line (or the end of the
input); every block needs an ``Action`` header. Errors carry file:line and
are raised before a single action goes out.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InputError
from .protocol import HeaderError, Message, encode_action

__all__ = ["ActionBlock", "parse_actions"]


@dataclass(frozen=True, slots=True)
class ActionBlock:
    """One action from the input, with where it started."""

    message: Message
    line: int

    @property
    def name(self) -> str:
        return self.message.get("Action") or ""


def parse_actions(text: str, source: str = "<stdin>") -> list[ActionBlock]:
    """Every action in `text`; raises InputError('source:line: ...') on the first bad line."""
    blocks: list[ActionBlock] = []
    headers: list[tuple[str, str]] = []
    start = 0

    def finish() -> None:
        if not headers:
            return
        message = Message(list(headers))
        if message.get("Action") is None:
            raise InputError(f"{source}:{start}: this block has no 'Action:' header")
        if not message.get("Action", "").strip():
            raise InputError(f"{source}:{start}: 'Action:' is empty")
        try:
            encode_action(message)
        except HeaderError as e:  # pragma: no cover - lines cannot hold CR/LF here
            raise InputError(f"{source}:{start}: {e}") from None
        blocks.append(ActionBlock(message, start))
        headers.clear()

    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped:
            finish()
            continue
        if stripped.startswith("#"):
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep or not key:
            raise InputError(f"{source}:{number}: expected 'Header: value', got {_shown(line)}")
        if any(c.isspace() for c in key):
            raise InputError(f"{source}:{number}: header name {key!r} contains a space")
        if not headers:
            start = number
        headers.append((key, value.lstrip()))
    finish()
    return blocks


def _shown(line: str) -> str:
    return repr(line if len(line) <= 60 else line[:57] + "...")
