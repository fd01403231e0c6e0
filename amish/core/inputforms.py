"""Which form the text typed at the shell is in: the one place the forms are recognised.

The shell's input takes four forms (amish.core.commandline shows them):

    Originate Channel=PJSIP/7001 Exten=7002   LINE: the one-line form, an action per line
    Action: Originate                         TELNET: ``Key: value`` lines
    !core show channels                       CLI: an Asterisk CLI command
    /filter Newchannel|Hangup, help, ?        LOCAL: a command amish runs itself

`classify(text)` says which one `text` is in, and nothing else. Each reader
asks it, then does its own job: `commandline.parse_input` turns the text into
actions, `lexer.InputLexer` colours it, `shell.completion` offers choices, and
Enter asks whether the telnet form goes on. So the four always agree.

The first line that is neither blank nor a ``#`` comment decides the form
(comments may come first in a paste, as in an action file); text with no
such line is NOTHING. Pure: imports only `re` (and `immutable`), so the pipe tool's start-up
and the UI-free core can use it.

`suggest_type(text)` goes one step further for completion (as pgcli's
``sqlcompletion.suggest_type()``, kept apart from its matchers): in that form,
what is the word before the cursor (an action, a header, a value, a local
command or its argument, a CLI word)? It knows no catalogue and no server.
"""

from __future__ import annotations

import re

from .immutable import Record

__all__ = [
    "NOTHING", "LOCAL", "CLI", "TELNET", "LINE", "Form", "classify", "is_comment",
    "LOCAL_ARG", "ACTION", "HEADER", "VALUE", "Suggestion", "suggest_type",
    "LOCAL_PREFIX", "CLI_PREFIX", "COMMENT_PREFIX", "BARE_LOCAL", "TELNET_LINE",
]

LOCAL_PREFIX = "/"
CLI_PREFIX = "!"
COMMENT_PREFIX = "#"
#: Words that are local commands even without the prefix (no AMI action has these names).
BARE_LOCAL = frozenset({"help", "quit", "exit", "?"})
#: A line of the telnet form: a header name, a colon; then (groups) the name and the value.
#: Also the action file's (actionfile.TELNET_LINE is this pattern).
TELNET_LINE = re.compile(r"^\s*([A-Za-z][\w-]*)\s*:[ \t]?(.*)")

NOTHING, LOCAL, CLI, TELNET, LINE = "nothing", "local", "cli", "telnet", "line"


class Form(Record):
    """What `classify` found: `kind`, and `start`, where the deciding line's text begins
    (its first character that is not a space; len(text) for NOTHING).

    For LOCAL, `name_end` is where the command's name ends (``/filter``, ``help``, ``?``).
    """

    __slots__ = ("kind", "start", "name_end")

    def __init__(self, kind: str, start: int, name_end: int = 0) -> None:
        self._fill(locals())


def is_comment(line: str) -> bool:
    """A ``#`` comment line (spaces before the ``#`` allowed)."""
    return line.lstrip().startswith(COMMENT_PREFIX)


def classify(text: str) -> Form:
    """The form of `text` (typed, pasted, or the part before the cursor)."""
    pos, n = 0, len(text)
    while pos < n:
        end = text.find("\n", pos)
        if end < 0:
            end = n
        line = text[pos:end]
        body = line.strip()
        if body and not body.startswith(COMMENT_PREFIX):
            start = pos + len(line) - len(line.lstrip())
            return _kind_of(text, start, body)
        pos = end + 1
    return Form(NOTHING, n)


def _kind_of(text: str, start: int, body: str) -> Form:
    """The form decided by the line `body`, which starts at `start` in `text`."""
    first = body.split(None, 1)[0]
    if body.startswith(LOCAL_PREFIX) or first.lower() in BARE_LOCAL:
        return Form(LOCAL, start, start + len(first))
    if body.startswith(CLI_PREFIX):
        return Form(CLI, start)
    if TELNET_LINE.match(body):
        return Form(TELNET, start)
    return Form(LINE, start)


# -- what the word before the cursor is, for completion ------------------------------

#: What suggest_type() finds (LOCAL, CLI and NOTHING are the forms' own names).
LOCAL_ARG, ACTION, HEADER, VALUE = "local-arg", "action", "header", "value"


class Suggestion(Record):
    """What the text before the cursor is in the middle of.

    `kind` says what to offer; `word` is the part a completion replaces. For
    HEADER and VALUE, `action` and `given` (the headers before the word, with
    their values) tell which; `form` is "line" (``Originate Channel=...``) or
    "telnet" (``Action: Originate`` lines). For LOCAL_ARG, `command` is the
    /command; for CLI, `command` is the words before the one being typed.
    """

    __slots__ = ("kind", "word", "form", "action", "header", "given", "command")

    def __init__(self, kind: str, word: str = "", form: str = LINE, action: str = "", header: str = "",
                 given: tuple[tuple[str, str], ...] = (), command: str = "") -> None:
        self._fill(locals())

    def given_value(self, header: str) -> str | None:
        """The value given for `header` (any case), the last one if repeated."""
        low = header.lower()
        found = None
        for key, value in self.given:
            if key.lower() == low:
                found = value
        return found


def suggest_type(text: str) -> Suggestion:
    """Classify the text before the cursor. Pure: knows no catalogue and no server."""
    form = classify(text)
    rest = text[form.start:]
    one_line = "\n" not in rest
    if form.kind == LOCAL:
        return _suggest_local(rest) if one_line else Suggestion(NOTHING)
    if form.kind == CLI:
        if not one_line:
            return Suggestion(NOTHING)
        before, _, word = rest[len(CLI_PREFIX):].lstrip().rpartition(" ")
        return Suggestion(CLI, word, command=" ".join(before.split()))
    if form.kind == TELNET:
        return _suggest_telnet(rest.split("\n"))
    if "\n" in text:
        return Suggestion(NOTHING)
    if form.kind == NOTHING and text.strip():
        return Suggestion(NOTHING)  # a comment
    return _suggest_line(text)


def _suggest_local(line: str) -> Suggestion:
    """``/filter Newch``, ``help Orig``: the command's name, or a word of its arguments."""
    body = line[len(LOCAL_PREFIX):] if line.startswith(LOCAL_PREFIX) else line
    if " " not in body:
        return Suggestion(LOCAL, body)
    name, _, args = body.partition(" ")
    name = name.lower()
    return Suggestion(LOCAL_ARG, args.rsplit(" ", 1)[-1], command="help" if name == "?" else name)


def _suggest_line(line: str) -> Suggestion:
    """The one-line form: ``Originate Channel=x Cont``."""
    words = line.split(" ")
    if len(words) == 1:
        return Suggestion(ACTION, words[0])
    given = tuple(
        (k, v.strip("\"'")) for k, _, v in (w.partition("=") for w in words[1:-1] if "=" in w)
    )
    word = words[-1]
    if "=" in word:
        header, _, value = word.partition("=")
        return Suggestion(VALUE, value, action=words[0], header=header, given=given)
    return Suggestion(HEADER, word, action=words[0], given=given)


def _suggest_telnet(lines: list[str]) -> Suggestion:
    """``Action: X`` lines: the action's name, a header's name, or its value."""
    action = ""
    given = []
    for line in lines[:-1]:
        m = TELNET_LINE.match(line)
        if m:
            given.append((m.group(1), m.group(2).strip()))
            if m.group(1).lower() == "action":
                action = m.group(2).strip()
    line = lines[-1]
    m = TELNET_LINE.match(line)
    if m is None:
        if not action and len(lines) == 1:
            return Suggestion(NOTHING, line.strip(), form=TELNET)
        return Suggestion(HEADER, line.strip(), form=TELNET, action=action, given=tuple(given))
    key, value = m.group(1), m.group(2)
    if key.lower() == "action":
        return Suggestion(ACTION, value, form=TELNET)
    return Suggestion(VALUE, value, form=TELNET, action=action, header=key, given=tuple(given))
