"""Action files: text -> actions, or file:line errors, as tables."""

from __future__ import annotations

import pytest

from amish.core.actionfile import ActionBlock, parse_actions, substitute
from amish.core.errors import InputError

GOOD = [
    ("Action: Ping\n", [[("Action", "Ping")]]),
    ("Action: Ping\r\n\r\n", [[("Action", "Ping")]]),
    ("Ping\nCoreStatus\n", [[("Action", "Ping")], [("Action", "CoreStatus")]]),
    ("# c\nPing   # not a comment: a header\n", None),  # see the error table
    ("DBGet Family=cf Key=7001\n", [[("Action", "DBGet"), ("Family", "cf"), ("Key", "7001")]]),
    (
        "Originate Channel=Local/1@x Variable=A=1 Variable=B=2\nAction: Ping\nActionID: p\n",
        [
            [("Action", "Originate"), ("Channel", "Local/1@x"), ("Variable", "A=1"), ("Variable", "B=2")],
            [("Action", "Ping"), ("ActionID", "p")],
        ],
    ),
    ("Action:Ping\nActionID:   x\n", [[("Action", "Ping"), ("ActionID", "x")]]),
    ("  \n\n# only a comment\n", []),
    ("!core show channels\n", [[("Action", "Command"), ("Command", "core show channels")]]),
    ('UserEvent UserEvent=Note Text="two words"\n', [[("Action", "UserEvent"), ("UserEvent", "Note"), ("Text", "two words")]]),
]


@pytest.mark.parametrize("text, expected", [g for g in GOOD if g[1] is not None], ids=lambda v: repr(v)[:40] if isinstance(v, str) else "")
def test_actions(text, expected):
    assert [b.message.headers for b in parse_actions(text, "f.ami")] == expected


def test_each_action_knows_its_line():
    blocks = parse_actions("# header\n\nPing\n\nAction: DBGet\nFamily: x\n\nCoreStatus\n", "f.ami")
    assert [(b.name, b.line) for b in blocks] == [("Ping", 3), ("DBGet", 5), ("CoreStatus", 8)]



def test_an_action_block_is_an_immutable_record():
    import copy

    block = parse_actions("Ping\n", "f.ami")[0]
    assert block == ActionBlock(block.message, 1) and block != ActionBlock(block.message, 2)
    assert repr(block) == f"ActionBlock(message={block.message!r}, line=1)"
    with pytest.raises(AttributeError, match="cannot assign to field 'line'"):
        block.line = 3
    assert copy.copy(block) == block

VARS = [
    ("DBGet Family=${FAM} Key=${KEY}", {"FAM": "cf", "KEY": "7001"}, {}, "DBGet Family=cf Key=7001"),
    ("Key: ${KEY}", {}, {"KEY": "from-env"}, "Key: from-env"),
    ("Key: ${KEY}", {"KEY": "var-wins"}, {"KEY": "env"}, "Key: var-wins"),
    ("Data: $${KEY}", {}, {}, "Data: ${KEY}"),
    ("Data: cost $5", {}, {}, "Data: cost $5"),
    ("Data: ${A}${B}", {"A": "1", "B": "2"}, {}, "Data: 12"),
]


@pytest.mark.parametrize("line, variables, environ, expected", VARS, ids=[v[0] for v in VARS])
def test_substitution(line, variables, environ, expected):
    assert substitute(line, variables, environ) == expected


ERRORS = [
    ("Action: Ping\nnot a header\n", "f.ami:2: expected 'Header: value', got 'not a header'"),
    ("Family: x\nKey: y\n", "f.ami:1: this block has no 'Action:' header"),
    ("Action:\n", "f.ami:1: 'Action:' is empty"),
    ("\n\nOriginate Channel\n", "f.ami:3: expected Header=value, got 'Channel'"),
    ('Originate Channel="unterminated\n', "f.ami:1: unbalanced quote"),
    ("Ping\nDBGet Key=${NOPE}\n", "f.ami:2: ${NOPE} is not set: give --var NOPE=VALUE"),
    ("Ping Data=${1x}\n", "f.ami:1: bad variable name ${1x}"),
    ("Action: Ping\nBad Key: x\n", "f.ami:2: header name 'Bad Key' contains a space"),
    ("Ping   # trailing text is not a comment\n", "f.ami:1: expected Header=value, got '#'"),
    ("\x00\x01garbage\xff\n", "f.ami:1:"),
]


@pytest.mark.parametrize("text, message", ERRORS, ids=[m for _, m in ERRORS])
def test_errors_name_the_file_and_line(text, message):
    with pytest.raises(InputError) as info:
        parse_actions(text, "f.ami", variables={}, environ={})
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)
