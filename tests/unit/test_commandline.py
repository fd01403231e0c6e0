"""Shell input -> actions or local commands, as tables."""

from __future__ import annotations

import pytest

from amish.core.commandline import Actions, LocalCommand, parse_input, split_words
from amish.core.errors import InputError

ONE_ACTION = [
    ("Ping", [("Action", "Ping")]),
    ("  ping  ", [("Action", "ping")]),
    (
        "Originate Channel=PJSIP/7001 Context=phones Exten=7002 Priority=1 Variable=A=1 Variable=B=2",
        [
            ("Action", "Originate"),
            ("Channel", "PJSIP/7001"),
            ("Context", "phones"),
            ("Exten", "7002"),
            ("Priority", "1"),
            ("Variable", "A=1"),
            ("Variable", "B=2"),
        ],
    ),
    ('Originate CallerID="Bob <7001>" Data=\'a b\'', [("Action", "Originate"), ("CallerID", "Bob <7001>"), ("Data", "a b")]),
    (r"DBPut Family=x Key=y Val=C:\path", [("Action", "DBPut"), ("Family", "x"), ("Key", "y"), ("Val", r"C:\path")]),
    ("Setvar Variable= Value=", [("Action", "Setvar"), ("Variable", ""), ("Value", "")]),
    ("Ping Channel:=x", [("Action", "Ping"), ("Channel", "x")]),
    ("!core show channels", [("Action", "Command"), ("Command", "core show channels")]),
    ("!  dialplan show amish-test  ", [("Action", "Command"), ("Command", "dialplan show amish-test")]),
    ("Action: Ping", [("Action", "Ping")]),
    ("Action: Originate\nChannel: Local/1@x\nVariable: A=1\nVariable: B=2\n", [
        ("Action", "Originate"), ("Channel", "Local/1@x"), ("Variable", "A=1"), ("Variable", "B=2"),
    ]),
]


@pytest.mark.parametrize("text, headers", ONE_ACTION, ids=[t[:30] for t, _ in ONE_ACTION])
def test_one_action(text, headers):
    parsed = parse_input(text)
    assert isinstance(parsed, Actions)
    assert [m.headers for m in parsed.messages] == [headers]


MANY = [
    ("Action: Ping\n\nAction: CoreStatus\n\n", ["Ping", "CoreStatus"]),
    ("Action: Ping\nActionID: 1\n\n\n\nAction: Ping\nActionID: 2", ["Ping", "Ping"]),
    ("Ping\nCoreStatus\n# comment\nDBGet Family=a Key=b", ["Ping", "CoreStatus", "DBGet"]),
]


@pytest.mark.parametrize("text, names", MANY, ids=["telnet-blocks", "extra-blank-lines", "one-line-paste"])
def test_pasted_blocks_are_several_actions(text, names):
    parsed = parse_input(text)
    assert [m["Action"] for m in parsed.messages] == names


LOCAL = [
    ("/help", LocalCommand("help", "")),
    ("/help Originate", LocalCommand("help", "Originate")),
    ("/FILTER Newchannel|Hangup  Channel=PJSIP/*", LocalCommand("filter", "Newchannel|Hangup  Channel=PJSIP/*")),
    ("help Originate", LocalCommand("help", "Originate")),
    ("?", LocalCommand("help", "")),
    ("quit", LocalCommand("quit", "")),
    ("exit", LocalCommand("exit", "")),
]


@pytest.mark.parametrize("text, expected", LOCAL, ids=[t for t, _ in LOCAL])
def test_local_commands(text, expected):
    assert parse_input(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "# just a comment", "  # c\n# d"])
def test_nothing_to_do(text):
    assert parse_input(text) is None


ERRORS = [
    ('Originate Channel="PJSIP/7001', "unbalanced quote"),
    ("Originate Channel", "expected Header=value, got 'Channel'"),
    ("Originate =x", "has no header name"),
    ("Channel=x", "start with the action's name"),
    ("!", "needs a CLI command"),
    ("/", "needs a name"),
    ("Action: Ping\nnot a header", "input:2: expected 'Header: value'"),
    ("Channel: x\n", "no 'Action:' header"),
    ("Originate 'Chan nel'=x", "cannot contain spaces"),
]


@pytest.mark.parametrize("text, message", ERRORS, ids=[m for _, m in ERRORS])
def test_errors_are_one_line_input_errors(text, message):
    with pytest.raises(InputError) as info:
        parse_input(text)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_split_words_keeps_backslashes_and_quotes():
    assert split_words(r'a="x y" b=\n c') == ["a=x y", r"b=\n", "c"]
