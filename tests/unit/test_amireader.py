"""The test servers' reader follows Asterisk's rules (main/manager.c), not amish's: checked here on its own."""

from __future__ import annotations

import pytest

from amireader import AmiReader


def read(*chunks: bytes):
    reader = AmiReader()
    out = []
    for chunk in chunks:
        out += reader.feed(chunk)
    return out


def test_crlf_or_lf_ends_a_line_and_an_empty_line_ends_the_message():
    (a, b) = read(b"Action: Ping\r\nActionID: 1\r\n\r\nAction: Ping\nActionID: 2\n\n")
    assert (a.get("ActionID"), b.get("ActionID")) == ("1", "2")
    assert a.refused is None and b.refused is None


def test_a_lone_cr_stays_inside_the_line():
    (a,) = read(b"Action: Ping\r\nData: a\rAction: Hangup\r\n\r\n")
    assert a.getall("Data") == ["a\rAction: Hangup"] and a.getall("Action") == ["Ping"]


def test_the_first_header_wins_any_case_and_blanks_before_the_value_are_skipped():
    (a,) = read(b"Action: Ping\r\naction:Hangup\r\nX:\t  v \r\n\r\n")
    assert a.get("Action") == "Ping" and a.get("x") == "v " and a.getall("ACTION") == ["Ping", "Hangup"]
    assert a.get("X ") is None  # "Key :" is not the header "Key"


def test_an_empty_action_is_skipped_for_the_next_one_and_none_is_refused():
    (a, b) = read(b"Action:\r\nAction: Ping\r\n\r\nChannel: x\r\n\r\n")
    assert a.get("Action") == "Ping" and a.refused is None
    assert b.refused == "Missing action in request"


def test_bytes_may_arrive_one_at_a_time():
    data = b"Action: Ping\r\nActionID: 7\r\n\r\n"
    (a,) = read(*[data[i : i + 1] for i in range(len(data))])
    assert a.get("ActionID") == "7"


@pytest.mark.parametrize("length", [1022, 1023, 1024, 2046])
def test_the_1024_byte_buffer(length):
    line = b"Data: " + b"y" * (length - 6)
    got = read(b"Action: Ping\r\n" + line + b"\r\nAction: UserEvent\r\n\r\nAction: Ping\r\nActionID: next\r\n\r\n")
    if length <= 1022:  # fits with its CRLF
        assert [(m.get("Action"), m.refused) for m in got] == [("Ping", None), ("Ping", None)]
    elif length % 1023:  # too long: the whole message is refused
        assert [m.refused for m in got] == ["Failed to parse message: line too long", None]
    else:  # CR at the end of a full buffer, LF at the start of the next: an empty line
        assert [(m.get("Action"), m.refused) for m in got] == [
            ("Ping", "Failed to parse message: line too long"), ("UserEvent", None), ("Ping", None)]
    assert got[-1].get("ActionID") == "next"


def test_more_than_128_lines_refuse_the_message():
    many = b"".join(b"V: %d\r\n" % i for i in range(200))
    (a, b) = read(b"Action: Ping\r\n" + many + b"\r\nAction: Ping\r\n\r\n")
    assert a.refused == "Too many lines in message or allocation failure" and b.refused is None
