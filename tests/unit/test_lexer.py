"""The Pygments lexers for AMI text and the shell's input, and their style."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st
from pygments.token import (
    Comment,
    Generic,
    Keyword,
    Name,
    Operator,
    Punctuation,
    String,
    Text,
    Token,
    Whitespace,
)

from amish.ui import lexer as amish_lexer
from amish.ui.lexer import STYLE, AmiLexer, AmiStyle, InputLexer, ami_style

K, C, S = Name.Attribute, Punctuation, String  # key, colon, plain value


def interesting(lexer, text: str) -> list[tuple[object, str]]:
    """The (token, text) pairs of `text`, whitespace left out."""
    return [
        (token, value)
        for _, token, value in lexer.get_tokens_unprocessed(text)
        if token not in Whitespace and value.strip()
    ]


AMI = [
    (
        "banner",
        "Asterisk Call Manager/11.0.0\r\n",
        [(Generic.Heading, "Asterisk Call Manager/11.0.0")],
    ),
    (
        "action",
        "Action: Originate\r\nChannel: PJSIP/7001\r\n\r\n",
        [(K, "Action"), (C, ":"), (Name.Function, "Originate"), (K, "Channel"), (C, ":"), (S, "PJSIP/7001")],
    ),
    (
        "event",
        "Event: Newchannel\nPrivilege: call,all\n",
        [(K, "Event"), (C, ":"), (Name.Function, "Newchannel"), (K, "Privilege"), (C, ":"), (S, "call,all")],
    ),
    (
        "keys-any-case",
        "event: Hangup\nACTION: ping\n",
        [(K, "event"), (C, ":"), (Name.Function, "Hangup"), (K, "ACTION"), (C, ":"), (Name.Function, "ping")],
    ),
    (
        "success",
        "Response: Success\r\nMessage: Authentication accepted\r\n",
        [
            (K, "Response"), (C, ":"), (Generic.Inserted, "Success"),
            (K, "Message"), (C, ":"), (Generic.Emph, "Authentication accepted"),
        ],
    ),
    (
        "error",
        "Response: Error\r\nMessage: Permission denied\r\n",
        [
            (K, "Response"), (C, ":"), (Generic.Error, "Error"),
            (K, "Message"), (C, ":"), (Generic.Emph, "Permission denied"),
        ],
    ),
    ("error-lowercase", "response: error\n", [(K, "response"), (C, ":"), (Generic.Error, "error")]),
    ("goodbye", "Response: Goodbye\n", [(K, "Response"), (C, ":"), (Generic.Inserted, "Goodbye")]),
    ("follows", "Response: Follows\n", [(K, "Response"), (C, ":"), (Keyword, "Follows")]),
    ("other-response", "Response: Successful\n", [(K, "Response"), (C, ":"), (Keyword, "Successful")]),
    ("masked", "Secret: ********\n", [(K, "Secret"), (C, ":"), (Comment.Special, "********")]),
    ("not-masked", "Secret: ********x\n", [(K, "Secret"), (C, ":"), (S, "********x")]),
    ("comment", "# a comment\nAction: Ping\n", [(Comment.Single, "# a comment"), (K, "Action"), (C, ":"), (Name.Function, "Ping")]),
    ("no-colon", "Channel   Location   State\n", [(Text, "Channel   Location   State")]),
    ("empty-value", "AccountCode: \n", [(K, "AccountCode"), (C, ":")]),
    ("no-space", "Key:value\n", [(K, "Key"), (C, ":"), (S, "value")]),
    ("value-with-colon", "Greeting: a: b\n", [(K, "Greeting"), (C, ":"), (S, "a: b")]),
    (
        "legacy-command",
        "Response: Follows\r\nPrivilege: Command\r\n1 active call\r\n--END COMMAND--\r\n\r\n",
        [
            (K, "Response"), (C, ":"), (Keyword, "Follows"),
            (K, "Privilege"), (C, ":"), (S, "Command"),
            (Text, "1 active call"),
            (Generic.Subheading, "--END COMMAND--"),
        ],
    ),
    (
        "end-command-glued",
        "Privilege: Command\nlast line--END COMMAND--\n",
        [(K, "Privilege"), (C, ":"), (S, "Command"), (Text, "last line"), (Generic.Subheading, "--END COMMAND--")],
    ),
    ("output", "Output: Uptime: 5 minutes\n", [(K, "Output"), (C, ":"), (S, "Uptime: 5 minutes")]),
]


@pytest.mark.parametrize("text, expected", [a[1:] for a in AMI], ids=[a[0] for a in AMI])
def test_ami_lexer(text, expected):
    assert interesting(AmiLexer(), text) == expected


INPUT = [
    ("action-only", "Ping", [(Name.Function, "Ping")]),
    (
        "one-line",
        'Originate Channel=PJSIP/7001 CallerID="Bob <7001>" Variable=A=1',
        [
            (Name.Function, "Originate"),
            (K, "Channel"), (Operator, "="), (S, "PJSIP/7001"),
            (K, "CallerID"), (Operator, "="), (S, '"Bob <7001>"'),
            (K, "Variable"), (Operator, "="), (S, "A=1"),
        ],
    ),
    ("single-quotes", "Setvar Value='a b'", [(Name.Function, "Setvar"), (K, "Value"), (Operator, "="), (S, "'a b'")]),
    ("open-quote", 'Originate CallerID="Bob', [(Name.Function, "Originate"), (K, "CallerID"), (Operator, "="), (S, '"Bob')]),
    ("header-being-typed", "Originate Chan", [(Name.Function, "Originate"), (K, "Chan")]),
    ("empty-value", "Setvar Value=", [(Name.Function, "Setvar"), (K, "Value"), (Operator, "=")]),
    ("quoted-equals", 'Setvar Value="a=b"', [(Name.Function, "Setvar"), (K, "Value"), (Operator, "="), (S, '"a=b"')]),
    ("cli", "!core show channels", [(Keyword, "!"), (Text, "core show channels")]),
    ("cli-indented", "  !core show version", [(Keyword, "!"), (Text, "core show version")]),
    ("local", "/filter Newchannel|Hangup", [(Keyword.Pseudo, "/filter"), (Text, "Newchannel|Hangup")]),
    ("local-bare", "/quit", [(Keyword.Pseudo, "/quit")]),
    ("help", "help", [(Keyword.Pseudo, "help")]),
    ("help-topic", "help Originate", [(Keyword.Pseudo, "help"), (Text, "Originate")]),
    ("question", "?", [(Keyword.Pseudo, "?")]),
    ("exit", "EXIT", [(Keyword.Pseudo, "EXIT")]),
    (
        "telnet",
        "Action: Ping\nActionID: 42\n",
        [(K, "Action"), (C, ":"), (Name.Function, "Ping"), (K, "ActionID"), (C, ":"), (S, "42")],
    ),
    (
        "telnet-pasted",
        "  action: Login\nUsername: admin\nSecret: ********\n\nAction: Ping\n",
        [
            (K, "action"), (C, ":"), (Name.Function, "Login"),
            (K, "Username"), (C, ":"), (S, "admin"),
            (K, "Secret"), (C, ":"), (Comment.Special, "********"),
            (K, "Action"), (C, ":"), (Name.Function, "Ping"),
        ],
    ),
    (
        "several-one-line",
        "Ping\n# a comment\nCoreStatus ActionID=7\n",
        [
            (Name.Function, "Ping"),
            (Comment.Single, "# a comment"),
            (Name.Function, "CoreStatus"), (K, "ActionID"), (Operator, "="), (S, "7"),
        ],
    ),
    ("blank", "   ", []),
]


@pytest.mark.parametrize("text, expected", [i[1:] for i in INPUT], ids=[i[0] for i in INPUT])
def test_input_lexer(text, expected):
    assert interesting(InputLexer(), text) == expected


def test_input_lexer_positions_are_right():
    text = '  Originate Channel="a b" X=1'
    for index, _, value in InputLexer().get_tokens_unprocessed(text):
        assert text[index : index + len(value)] == value


def test_input_forms_are_the_ones_commandline_knows():
    from amish.core import commandline

    assert amish_lexer._LOCAL_PREFIX == commandline.LOCAL_PREFIX
    assert amish_lexer._BARE_LOCAL == commandline.BARE_LOCAL
    assert amish_lexer._TELNET.pattern == commandline._TELNET.pattern


@pytest.mark.parametrize(
    "text",
    ["Ping", "!core show channels", "/filter Hangup", "help", "Action: Ping", "Originate Channel=PJSIP/1"],
)
def test_lexer_and_parser_agree_on_the_form(text):
    from amish.core.commandline import Actions, LocalCommand, parse_input

    parsed = parse_input(text)
    first = interesting(InputLexer(), text)[0][0]
    if isinstance(parsed, LocalCommand):
        assert first is Keyword.Pseudo
    else:
        assert isinstance(parsed, Actions)
        command = parsed.messages[0].get("Action") == "Command" and text.startswith("!")
        assert first is (Keyword if command else Name.Attribute if ":" in text else Name.Function)


# ---------------------------------------------------------------------------
# every character is kept

_AMI_PIECES = st.sampled_from(
    [
        "Action", "Event", "Response", "Message", "Secret", ": ", ":", "Success", "Error", "Goodbye",
        "Follows", "********", "--END COMMAND--", "Asterisk Call Manager/", "#", "!", "/", "=", '"', "'",
        " ", "\t", "\r\n", "\n", "\r", "help", "x", "é", "\x00", "\ufeff",
    ]
)
_TEXT = st.one_of(st.text(), st.lists(_AMI_PIECES, max_size=40).map("".join))


def _pygments_normalised(text: str) -> str:
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if text.endswith("\n") else text + "\n"


@pytest.mark.parametrize("lexer_class", [AmiLexer, InputLexer])
@settings(max_examples=400, deadline=None)
@given(text=_TEXT)
def test_lexing_keeps_every_character(lexer_class, text):
    lexer = lexer_class()
    tokens = list(lexer.get_tokens_unprocessed(text))
    assert "".join(value for _, _, value in tokens) == text
    position = 0
    for index, _, value in tokens:
        assert index == position
        position += len(value)
    # get_tokens normalises newlines and ends the text with one, but strips nothing
    assert "".join(value for _, value in lexer.get_tokens(text)) == _pygments_normalised(text)


# ---------------------------------------------------------------------------
# style

_STYLE_WORD = re.compile(r"^(bold|nobold|italic|noitalic|underline|ansi(black|red|green|yellow|blue|magenta|cyan|gray|white|brightblack))$")


def test_style_uses_only_ansi_colour_names():
    for token, spec in STYLE.items():
        assert token in Token
        for word in spec.split():
            assert _STYLE_WORD.match(word), (token, word)


def test_every_token_the_lexers_emit_is_styled():
    samples = [a[1] for a in AMI] + [i[1] for i in INPUT]
    emitted = {t for s in samples for lx in (AmiLexer(), InputLexer()) for _, t, _ in lx.get_tokens_unprocessed(s)}
    for token in emitted:
        assert any(token in styled for styled in STYLE) or token in Whitespace, token


def test_prompt_toolkit_style():
    from prompt_toolkit.styles import Style

    style = ami_style()
    assert isinstance(style, Style)
    attrs = style.get_attrs_for_style_str("class:pygments.generic.error")
    assert attrs.color == "ansired" and attrs.bold
    attrs = style.get_attrs_for_style_str("class:pygments.name.attribute")
    assert attrs.color == "ansicyan"


def test_prompt_toolkit_lexer_round_trip():
    from prompt_toolkit.document import Document
    from prompt_toolkit.lexers import PygmentsLexer

    text = 'Originate Channel=PJSIP/7001 CallerID="Bob"\n'
    lines = PygmentsLexer(InputLexer).lex_document(Document(text))
    fragments = lines(0)
    assert "".join(t for _, t in fragments) == text.rstrip("\n")
    assert ("class:pygments.name.function", "Originate") in fragments


def test_pygments_style_renders_ansi():
    from pygments import highlight
    from pygments.formatters import Terminal256Formatter

    out = highlight("Response: Error\n", AmiLexer(), Terminal256Formatter(style=AmiStyle))
    assert "\x1b[31;01mError" in out  # bold red, the terminal's own red
