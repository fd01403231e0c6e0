"""amish.core.getconfig: one reader of GetConfig answers, two readings that must agree.

The screen shows a GetConfig answer as ini lines (`ini_lines`); `amish audit`
checks it as sections (`parse_getconfig`). The two are read from the same
headers here, so a file the screen shows one way is never audited another way.
"""

from __future__ import annotations

import pytest

from amish.core.getconfig import ini_lines, json_ini_lines, parse_getconfig
from amish.core.protocol import Message

# manager.conf as Asterisk 22 answers GetConfig: a template, a user built on it, a repeated section name.
ANSWER = [
    ("Response", "Success"),
    ("ActionID", "7"),
    ("Category-000000", "general"),
    ("Line-000000-000000", "enabled=yes"),
    ("Line-000000-000001", "bindaddr=127.0.0.1"),
    ("Category-000001", "base"),
    ("IsTemplate-000001", "1"),
    ("Line-000001-000000", "read=all"),
    ("Category-000002", "admin"),
    ("Templates-000002", "base"),
    ("Line-000002-000000", "read=all"),
    ("Line-000002-000001", "Secret=a=b"),
    ("Category-000003", "admin"),
    ("Line-000003-000000", "write=call"),
    ("Line-000004-000000", "orphan=1"),  # a line whose category header is missing
]


def test_ini_lines_show_every_category_with_its_marks_and_keep_the_rest():
    lines, rest = ini_lines(ANSWER)
    assert lines == [
        "[general]", "enabled=yes", "bindaddr=127.0.0.1", "",
        "[base](!)", "read=all", "",
        "[admin](base)", "read=all", "Secret=a=b", "",
        "[admin]", "write=call", "",
        "[category 4]", "orphan=1",
    ]
    assert rest == [("Response", "Success"), ("ActionID", "7")]


def test_parse_getconfig_leaves_templates_out_and_merges_sections_of_one_name():
    config = parse_getconfig(Message(ANSWER))
    assert config == {
        "general": [("enabled", "yes"), ("bindaddr", "127.0.0.1")],
        "admin": [("read", "all"), ("secret", "a=b"), ("write", "call")],
    }


def test_the_two_readings_agree_on_every_section_that_is_not_a_template():
    lines, _ = ini_lines(ANSWER)
    shown = {line.split("(")[0].strip("[]") for line in lines if line.startswith("[") and "(!)" not in line}
    assert set(parse_getconfig(ANSWER)) == shown - {"category 4"}


@pytest.mark.parametrize(
    "key",
    ["Category-000000-000001", "IsTemplate-000000-000001", "Line-000000", "Categories-000000", "XCategory-000000"],
)
def test_headers_that_only_look_like_config_are_not_sections(key):
    assert parse_getconfig([("Category-000000", "s"), (key, "x=1")]) == {"s": []}


def test_getconfigjson_as_ini_lines_masks_secrets_variable_by_variable():
    text = '{"admin": {"secret": "hunter2", "read": ["system", "call"]}, "general": {"enabled": "yes"}}'
    assert json_ini_lines(text) == ["[admin]", "secret=********", "read=system", "read=call", "", "[general]",
                                    "enabled=yes"]
    assert json_ini_lines("[1, 2]") is None and json_ini_lines("not json") is None
