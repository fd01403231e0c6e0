"""Action files and piped input, read (and checked) before anything is sent.

Two forms, mixed freely:

    # comments start with '#'
    Action: DBPut                 the telnet form: Header: value lines,
    Family: cf                    a blank line (or the end) ends the action
    Key: ${EXT}
    Val: 7002

    Ping                          the one-line form of the shell: one action per line
    DBGet Family=cf Key=${EXT}    (quotes hold spaces; a header may repeat)
    !core show channels           an Asterisk CLI command (Action: Command)

``${NAME}`` is replaced from ``--var NAME=VALUE`` or the environment, so one
file serves many runs; ``$${NAME}`` stands for a literal ``${NAME}``. Every
error carries file:line and is raised before a single action goes out: that
includes an ActionID given to two actions.
"""

from __future__ import annotations

import re
import shlex

from .errors import InputError
from .inputforms import TELNET_LINE
from .protocol import HeaderError, Message, encode_action
from .immutable import Record

TYPE_CHECKING = False  # typing and dataclasses cost ~10 ms of the pipe tool's start-up
if TYPE_CHECKING:  # pragma: no cover
    from typing import Mapping

__all__ = ["ActionBlock", "parse_actions", "split_words", "one_line_action", "substitute", "TELNET_LINE"]

_VAR = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ACTION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class ActionBlock(Record):
    """One action from the input, with where it started (immutable, compared and shown by value)."""

    __slots__ = ("message", "line")

    def __init__(self, message: Message, line: int) -> None:
        self._fill(locals())

    @property
    def name(self) -> str:
        return self.message.get("Action") or ""


def split_words(text: str) -> list[str]:
    """Split the one-line form like a shell: quotes group, backslashes are literal."""
    lex = shlex.shlex(text, posix=True)
    lex.whitespace_split = True
    lex.escape = ""
    lex.commenters = ""
    try:
        return list(lex)
    except ValueError:
        raise InputError("unbalanced quote: close it, or put the value in the other kind of quotes") from None


def one_line_action(text: str) -> Message:
    """``Originate Channel=PJSIP/7001 Variable=A=1 Variable=B=2`` as a Message."""
    if _CONTROL.search(text):
        raise InputError("the line holds a control character (form feed, escape...): type it as text")
    if text.isascii() and "'" not in text and '"' not in text:
        words = text.split()  # what shlex gives here (no quotes; the control characters were refused), 20x faster
    else:
        words = split_words(text)
    action, params = words[0], words[1:]
    if not _ACTION_NAME.match(action):
        raise InputError(f"start with the action's name, e.g. 'Ping' or 'Originate Channel=...', not {_shown(action)}")
    headers: list[tuple[str, str]] = [("Action", action)]
    for word in params:
        key, sep, value = word.partition("=")
        if not sep:
            raise InputError(f"expected Header=value, got {_shown(word)}")
        if not key:
            raise InputError(f"{_shown(word)} has no header name before '='")
        if key.endswith(":"):
            key = key[:-1]
        if any(c.isspace() or c == ":" for c in key):
            raise InputError(f"header name {_shown(key)} cannot contain spaces or ':'")
        if key.lower() == "action":
            raise InputError("a second Action header: one line is one action")
        headers.append((key, value))
    return Message(headers)


def substitute(line: str, variables: Mapping[str, str], environ: Mapping[str, str]) -> str:
    """``${NAME}`` from `variables`, then `environ`; raises InputError (no file:line) when undefined."""
    if "$" not in line:
        return line

    def value(m: re.Match) -> str:
        if m.group(0) == "$${":
            return "${"
        name = m.group(1)
        if not _NAME.match(name):
            raise InputError(f"bad variable name ${{{name}}}")
        if name in variables:
            found = variables[name]
        elif name in environ:
            found = environ[name]
        else:
            raise InputError(f"${{{name}}} is not set: give --var {name}=VALUE or set it in the environment")
        if "\r" in found or "\n" in found:
            raise InputError(f"${{{name}}} holds a line break; that would inject headers")
        return found

    return _VAR.sub(value, line)


def parse_actions(
    text: str,
    source: str = "<stdin>",
    *,
    variables: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[ActionBlock]:
    """Every action in `text`; raises InputError('source:line: ...') on the first bad line."""
    variables = variables or {}
    environ = environ if environ is not None else {}
    blocks: list[ActionBlock] = []
    headers: list[tuple[str, str]] = []
    start = 0
    action_ids: dict[str, int] = {}  # the input's own ActionIDs: where each was first given

    def check(message: Message, line: int) -> None:
        name = message.get("Action")
        if name is None:
            raise InputError(f"{source}:{line}: this block has no 'Action:' header")
        if not name.strip():
            raise InputError(f"{source}:{line}: 'Action:' is empty")
        for key, value in message.headers:
            if _CONTROL.search(key or "") or _CONTROL.search(value):
                raise InputError(f"{source}:{line}: {key} holds a control character; is this a text file of actions?")
        try:
            encode_action(message)
        except HeaderError as e:
            raise InputError(f"{source}:{line}: {e}") from None
        action_id = message.get("ActionID")
        if action_id is not None:
            if action_id in action_ids:
                # the answers could not be told apart (a late one would go to the wrong action)
                raise InputError(f"{source}:{line}: ActionID {_shown(action_id)} is already used at line "
                                 f"{action_ids[action_id]}: give each action its own")
            action_ids[action_id] = line
        blocks.append(ActionBlock(message, line))

    def finish() -> None:
        if headers:
            check(Message(list(headers)), start)
            headers.clear()

    # LF (with an optional CR before it) is the only line end: str.splitlines() would also
    # break at a lone CR, FF, VT, NEL, U+2028..., and what follows one inside a value would
    # become a header of its own (an injected "Action: Hangup")
    for number, raw_line in enumerate(text.split("\n"), 1):
        raw_line = raw_line.removesuffix("\r")
        stripped = raw_line.strip()
        if not stripped:
            finish()
            continue
        if stripped.startswith("#"):
            continue
        try:
            line = substitute(raw_line, variables, environ)
        except InputError as e:
            raise InputError(f"{source}:{number}: {e}") from None
        if not headers and line.strip().startswith("!"):
            command = line.strip()[1:].strip()
            if not command:
                raise InputError(f"{source}:{number}: '!' needs a CLI command after it, e.g. !core show channels")
            check(Message([("Action", "Command"), ("Command", command)]), number)
            continue
        if not headers and not TELNET_LINE.match(line):
            try:
                message = one_line_action(line.strip())
            except InputError as e:
                raise InputError(f"{source}:{number}: {e}") from None
            check(message, number)
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep or not key:
            raise InputError(f"{source}:{number}: expected 'Header: value', got {_shown(raw_line)}")
        if any(c.isspace() for c in key):
            raise InputError(f"{source}:{number}: header name {key!r} contains a space")
        if _CONTROL.search(line):
            raise InputError(f"{source}:{number}: {key} holds a control character; is this a text file of actions?")
        if not headers:
            start = number
        headers.append((key, value.lstrip()))
    finish()
    return blocks


def _shown(line: str) -> str:
    return repr(line if len(line) <= 60 else line[:57] + "...")
