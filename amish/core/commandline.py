"""What the user typed in the shell, turned into actions or a local command.

Four forms, one line each unless pasted:

    Originate Channel=PJSIP/7001 Context=phones Exten=7002 Priority=1 Variable=A=1 Variable=B=2
    CallerID="Bob <7001>"                  quotes hold spaces; a header may repeat
    Action: Originate                      the telnet form, typed or pasted as is;
    Channel: PJSIP/7001                    several blocks pasted send several actions
    !core show channels                    an Asterisk CLI command (Action: Command)
    /filter Newchannel|Hangup              a local command (/help lists them)

Which form the text is in is amish.core.inputforms.classify()'s to say (the
highlighter and the completer ask it too); this module turns it into actions.
Pure: no I/O, no UI. Errors are InputError with a one-line message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .actionfile import one_line_action, parse_actions, split_words
from .errors import InputError
from .inputforms import BARE_LOCAL, CLI, LINE, LOCAL, LOCAL_PREFIX, NOTHING, TELNET, TELNET_LINE, classify, is_comment
from .protocol import Message

__all__ = ["Actions", "LocalCommand", "parse_input", "split_words", "LOCAL_PREFIX", "BARE_LOCAL"]

_TELNET = TELNET_LINE


@dataclass(frozen=True, slots=True)
class Actions:
    """One or more actions to send, in order."""

    messages: tuple[Message, ...]


@dataclass(frozen=True, slots=True)
class LocalCommand:
    """A command amish itself runs: /help, /filter, /quit ..."""

    name: str
    args: str


def parse_input(text: str) -> Actions | LocalCommand | None:
    """The actions or local command in `text`; None for nothing (blank, or only comments).

    inputforms.classify() says which form the text is in; this turns it into actions.
    """
    form = classify(text)
    if form.kind == NOTHING:
        return None
    stripped = text[form.start:].strip()
    if form.kind == LOCAL:
        if stripped.startswith(LOCAL_PREFIX):
            name, _, args = stripped[len(LOCAL_PREFIX):].partition(" ")
            if not name:
                raise InputError("a local command needs a name: /help lists them")
            return LocalCommand(name.lower(), args.strip())
        first_word = stripped.split(None, 1)[0].lower()
        name = "help" if first_word == "?" else first_word
        return LocalCommand(name, stripped[len(first_word):].strip())
    if form.kind == CLI:
        command = stripped[1:].strip()
        if not command:
            raise InputError("'!' needs a CLI command after it, e.g. !core show channels")
        if "\n" in command:
            raise InputError("a CLI command is one line")
        return Actions((Message([("Action", "Command"), ("Command", command)]),))
    if form.kind == TELNET:
        blocks = parse_actions(text.strip(), "input")  # from the top: its comments, and its line numbers
        return Actions(tuple(b.message for b in blocks))
    assert form.kind == LINE
    if "\n" in stripped:
        # several one-line actions pasted at once
        messages: list[Message] = []
        for line in re.split(r"\r?\n", stripped):
            if line.strip() and not is_comment(line):
                messages.extend(_one_line(line.strip()).messages)
        return Actions(tuple(messages))
    return _one_line(stripped)


def _one_line(text: str) -> Actions:
    return Actions((one_line_action(text),))
