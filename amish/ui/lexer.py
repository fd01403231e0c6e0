"""Pygments lexers for AMI text, and a 16-colour style for them.

`AmiLexer` colours AMI wire text (what Asterisk sends, and the telnet form of
actions); `InputLexer` colours what the user types at the shell's prompt, in
the forms `amish.core.commandline` accepts. Both are exact: the text of the tokens
`get_tokens_unprocessed` yields, joined, is the input, so prompt_toolkit can
use them as they are (``PygmentsLexer(InputLexer)``).

Token types, and how `STYLE` shows them (ANSI colour names only, so the
terminal's own palette decides the shade and light and dark themes both work;
no bright colour but bright black, which reads on both):

==========================  ==========================================  ==================
token                       what                                        style
==========================  ==========================================  ==================
Generic.Heading             the banner ``Asterisk Call Manager/x``      bold
Name.Attribute              a header's key; ``Key`` of ``Key=value``    ansicyan
Punctuation, Operator       the ``:`` of ``Key: value``; the ``=``      ansibrightblack
String                      a header's value (quotes included)          (terminal default)
Name.Function               the value of Action and Event; the action   bold ansiblue
                            name of the one-line form
Keyword                     the value of Response (Follows...); the     bold ansimagenta
                            ``!`` of a CLI command
Generic.Inserted            ``Response: Success`` / ``Goodbye``         bold ansigreen
Generic.Error               ``Response: Error``                         bold ansired
Generic.Emph                the value of Message                        italic
Comment.Special             a masked secret, ``********``               ansibrightblack
Generic.Subheading          ``--END COMMAND--``                         ansibrightblack
Comment.Single              a ``#`` comment line                        italic ansibrightblack
Keyword.Pseudo              a local command (``/filter``, ``help``)     bold ansicyan
Text                        a line with no colon; CLI command text;     (terminal default)
                            a local command's arguments
==========================  ==========================================  ==================
"""

from __future__ import annotations

import re
from typing import Iterator

from pygments.lexer import Lexer, RegexLexer, bygroups
from pygments.style import Style
from pygments.token import (
    Comment,
    Error,
    Generic,
    Keyword,
    Name,
    Operator,
    Punctuation,
    String,
    Text,
    Token,
    Whitespace,
    _TokenType,
)

from ..core import inputforms

__all__ = ["AmiLexer", "InputLexer", "STYLE", "AmiStyle", "ami_style"]

_MASK = r"\*{8}"
# A value runs to the end of the line, or to a legacy "--END COMMAND--" glued
# to the last output line.
_VALUE = r"(?:(?!--END COMMAND--)[^\r\n])*"
_SEP = r"([ \t]*)(:)([ \t]*)"
_EOL = r"(?=[\r\n]|--END COMMAND--|\Z)"


def _header(key: str, value_token: _TokenType, value: str = _VALUE):
    """A rule for ``key: value`` lines whose value is `value_token`."""
    return (
        rf"^({key}){_SEP}({value}){_EOL}",
        bygroups(Name.Attribute, Whitespace, Punctuation, Whitespace, value_token),
    )


class AmiLexer(RegexLexer):
    """AMI wire text: banner, ``Key: value`` headers, legacy command output."""

    name = "AMI"
    aliases = ["ami", "asterisk-manager"]
    filenames = ["*.ami"]
    mimetypes: list[str] = []
    flags = re.MULTILINE

    tokens = {
        "root": [
            (r"^Asterisk Call Manager[^\r\n]*", Generic.Heading),
            (r"--END COMMAND--", Generic.Subheading),
            (r"^[ \t]*#[^\r\n]*", Comment.Single),
            _header("(?i:action|event)", Name.Function),
            _header("(?i:response)", Generic.Inserted, r"(?i:success|goodbye)[ \t]*"),
            _header("(?i:response)", Generic.Error, r"(?i:error)[ \t]*"),
            _header("(?i:response)", Keyword),
            _header("(?i:message)", Generic.Emph),
            _header(r"[^\s:]+", Comment.Special, _MASK + r"[ \t]*"),
            _header(r"[^\s:]+", String),
            (r"(?:(?!--END COMMAND--)[^\r\n])+", Text),
            (r"\r\n|\r|\n", Whitespace),
        ]
    }

    def __init__(self, **options):
        # Keep leading and trailing blank lines: they delimit AMI messages.
        options.setdefault("stripnl", False)
        super().__init__(**options)


# Which form the input is in is inputforms.classify's to say; these names are its.
_LOCAL_PREFIX = inputforms.LOCAL_PREFIX
_BARE_LOCAL = inputforms.BARE_LOCAL
_TELNET = inputforms.TELNET_LINE

# A shell-like word of the one-line form: bare runs and quoted runs, joined.
# A quote left open runs to the end of the line (the user is still typing).
_WORD = re.compile(r"""(?:"[^"\r\n]*"?|'[^'\r\n]*'?|[^\s"'])+""")
_SPACE = re.compile(r"\s+")
_QUOTED = re.compile(r""""[^"\r\n]*"?|'[^'\r\n]*'?""")


class InputLexer(Lexer):
    """The shell's input line, in the forms `amish.core.commandline.parse_input` takes.

    ``Originate Channel=PJSIP/7001 CallerID="Bob <7001>"``: the action name,
    then ``Key`` ``=`` ``value`` words; ``!core show channels``: a CLI command;
    ``/filter ...``, ``help``, ``quit``: local commands; ``Action: X`` lines
    (typed or pasted): the telnet form, coloured like `AmiLexer`. Which form
    it is, `amish.core.inputforms.classify` says, as it does for the parser.
    """

    name = "amish input"
    aliases = ["amish-input"]
    filenames: list[str] = []

    def __init__(self, **options):
        options.setdefault("stripnl", False)
        super().__init__(**options)
        self._ami = AmiLexer(**options)

    def get_tokens_unprocessed(self, text: str) -> Iterator[tuple[int, _TokenType, str]]:
        stripped = text.lstrip()
        lead = len(text) - len(stripped)
        if lead:
            yield 0, Whitespace, text[:lead]
        if not stripped:
            return
        form = inputforms.classify(text)
        if form.kind == inputforms.TELNET:  # AmiLexer colours its comments too
            for index, token, value in self._ami.get_tokens_unprocessed(stripped):
                yield lead + index, token, value
            return
        start = form.start if form.kind in (inputforms.LOCAL, inputforms.CLI) else len(text)
        yield from self._lines(text, lead, start)  # the one-line form, and comments before a command
        if form.kind == inputforms.LOCAL:
            yield from self._local(text, start, form.name_end - start)
        elif form.kind == inputforms.CLI:
            yield start, Keyword, "!"
            if len(text) > start + 1:
                yield start + 1, Text, text[start + 1 :]

    def _lines(self, text: str, begin: int, end: int) -> Iterator[tuple[int, _TokenType, str]]:
        """text[begin:end], lines of the one-line form (or comments)."""
        pos = begin
        for line in text[begin:end].splitlines(keepends=True):
            yield from self._one_line(line, pos)
            pos += len(line)

    @staticmethod
    def _local(text: str, start: int, name_len: int) -> Iterator[tuple[int, _TokenType, str]]:
        end = start + name_len
        yield start, Keyword.Pseudo, text[start:end]
        rest = text[end:]
        if not rest:
            return
        args = rest.lstrip()
        if len(args) < len(rest):
            yield end, Whitespace, rest[: len(rest) - len(args)]
        if args:
            yield end + len(rest) - len(args), Text, args

    @staticmethod
    def _one_line(line: str, base: int) -> Iterator[tuple[int, _TokenType, str]]:
        """One action of the one-line form; `base` is where `line` starts in the text."""
        if line.lstrip().startswith("#"):
            body = line.rstrip("\r\n")
            indent = len(body) - len(body.lstrip())
            if indent:
                yield base, Whitespace, body[:indent]
            yield base + indent, Comment.Single, body[indent:]
            if len(body) < len(line):
                yield base + len(body), Whitespace, line[len(body) :]
            return
        pos = 0
        first = True
        n = len(line)
        while pos < n:
            space = _SPACE.match(line, pos)
            if space:
                yield base + pos, Whitespace, space.group()
                pos = space.end()
                continue
            word = _WORD.match(line, pos)
            if word is None:  # pragma: no cover - a non-space character always starts a word
                yield base + pos, Error, line[pos]
                pos += 1
                continue
            text = word.group()
            if first:
                yield base + pos, Name.Function, text
                first = False
            else:
                yield from InputLexer._param(text, base + pos)
            pos = word.end()

    @staticmethod
    def _param(word: str, at: int) -> Iterator[tuple[int, _TokenType, str]]:
        """``Key=value``: the first '=' outside quotes splits it."""
        eq = _unquoted_eq(word)
        if eq < 0:
            yield at, Name.Attribute, word  # a header name being typed
            return
        if eq:
            yield at, Name.Attribute, word[:eq]
        yield at + eq, Operator, "="
        if eq + 1 < len(word):
            yield at + eq + 1, String, word[eq + 1 :]


def _unquoted_eq(word: str) -> int:
    i, n = 0, len(word)
    while i < n:
        c = word[i]
        if c == "=":
            return i
        if c in "\"'":
            m = _QUOTED.match(word, i)
            i = m.end() if m else n
            continue
        i += 1
    return -1


STYLE: dict[_TokenType, str] = {
    Generic.Heading: "bold",
    Name.Attribute: "ansicyan",
    Punctuation: "ansibrightblack",
    Operator: "ansibrightblack",
    String: "",
    Name.Function: "bold ansiblue",
    Keyword: "bold ansimagenta",
    Keyword.Pseudo: "bold ansicyan",
    Generic.Inserted: "bold ansigreen",
    Generic.Error: "bold ansired",
    Generic.Emph: "italic",
    Generic.Subheading: "ansibrightblack",
    Comment: "italic ansibrightblack",
    Comment.Special: "noitalic ansibrightblack",
    Error: "ansired",
    Text: "",
}


class AmiStyle(Style):
    """`STYLE` as a Pygments style, for Pygments formatters (Terminal256Formatter...)."""

    name = "amish"
    styles = {Token: ""} | STYLE


def ami_style():
    """`STYLE` as a prompt_toolkit Style (for PygmentsLexer-coloured buffers)."""
    from prompt_toolkit.styles import style_from_pygments_dict  # the pretty writers use the lexers without it

    return style_from_pygments_dict(STYLE)
