"""The event filter language: what matches, what is refused, and what the server can do."""

from __future__ import annotations

import re
import threading
import time
import uuid

import pytest
from hypothesis import given, settings, strategies as st

from amish.core.eventfilter import (
    EventFilter,
    FilterError,
    MAX_DEPTH,
    event_names,
    parse_filter,
    server_filter,
)
from amish.core.protocol import Message

# ---------------------------------------------------------------------------
# events

EVENTS: dict[str, list[tuple[str | None, str]]] = {
    "newchannel": [
        ("Event", "Newchannel"),
        ("Privilege", "call,all"),
        ("Channel", "PJSIP/7001-0000002a"),
        ("ChannelState", "4"),
        ("ChannelStateDesc", "Ring"),
        ("CallerIDNum", "7001"),
        ("CallerIDName", "Alice"),
        ("ConnectedLineNum", "<unknown>"),
        ("ConnectedLineName", "<unknown>"),
        ("Language", "en"),
        ("AccountCode", ""),
        ("Context", "from-internal"),
        ("Exten", "7002"),
        ("Priority", "1"),
        ("Uniqueid", "1712345678.42"),
    ],
    "newchannel-7002": [
        ("Event", "Newchannel"),
        ("Channel", "PJSIP/7002-0000002b"),
        ("Context", "from-external"),
    ],
    "hangup": [
        ("Event", "Hangup"),
        ("Privilege", "call,all"),
        ("Channel", "PJSIP/7001-0000002a"),
        ("Context", "from-internal"),
        ("Cause", "16"),
        ("Cause-txt", "Normal Clearing"),
    ],
    "hangup-busy": [
        ("Event", "Hangup"),
        ("Channel", "Local/7002@default-00000001;1"),
        ("Context", "default"),
        ("Cause", "17"),
    ],
    "varset": [
        ("Event", "VarSet"),
        ("Channel", "PJSIP/7001-0000002a"),
        ("Variable", "DIALSTATUS"),
        ("Value", "ANSWER"),
    ],
    "rtcp": [("Event", "RTCPSent"), ("Channel", "PJSIP/7001-0000002a"), ("SSRC", "0x1234")],
    "bridge": [("Event", "BridgeEnter"), ("BridgeUniqueid", "abc"), ("Channel", "PJSIP/7001-0000002a")],
    "phone-space": [("Event", "Newchannel"), ("Channel", "PJSIP/my phone-00000003")],
    "chanvars": [
        ("Event", "Newexten"),
        ("Channel", "PJSIP/7001-0000002a"),
        ("ChanVariable", "FOO=1"),
        ("ChanVariable", "MYVAR=yes"),
        ("ChanVariable", "BAR=2"),
    ],
    "userevent-hangup": [("Event", "UserEvent"), ("UserEvent", "Hangup"), ("Note", "a|b (c)=d")],
    "lowercase": [("event", "newchannel"), ("channel", "pjsip/7001-0000002c")],
    "response": [("Response", "Success"), ("ActionID", "1"), ("Message", "Pong")],
    "no-colon-line": [("Event", "Hangup"), (None, "stray line"), ("Cause", "16")],
}


def event(key: str) -> Message:
    return Message(list(EVENTS[key]))


# (filter, event, matches)
MATCHES = [
    # the empty filter
    ("", "newchannel", True),
    ("   ", "response", True),
    # event-name globs, case-insensitive, whole name
    ("Newchannel", "newchannel", True),
    ("newchannel", "newchannel", True),
    ("NEWCHANNEL", "lowercase", True),
    ("Newchannel", "hangup", False),
    ("Newchan", "newchannel", False),
    ("RTCP*", "rtcp", True),
    ("rtcp*", "rtcp", True),
    ("RTCP*", "newchannel", False),
    ("*Bridge*", "bridge", True),
    ("*Bridge*", "hangup", False),
    ("Hang?p", "hangup", True),
    ("[HV]*", "varset", True),
    ("[!HV]*", "varset", False),
    ("Newchannel", "response", False),
    ('"Newchannel"', "newchannel", True),
    # alternatives
    ("Newchannel|Hangup", "hangup", True),
    ("Newchannel|Hangup", "varset", False),
    ("Newchannel | Hangup", "newchannel", True),
    ("VarSet|RTCP*|*Bridge*", "bridge", True),
    # header globs
    ("Channel=PJSIP/7001*", "newchannel", True),
    ("Channel=PJSIP/7001*", "newchannel-7002", False),
    ("channel=pjsip/7001*", "newchannel", True),
    ("CHANNEL=PJSIP/7001*", "lowercase", True),
    ("Channel=PJSIP/7001", "newchannel", False),
    ("Cause=16", "hangup", True),
    ("Cause=1?", "hangup-busy", True),
    ("Cause=16", "newchannel", False),
    ("Event=Hangup", "hangup", True),
    ("Event=hang*", "hangup", True),
    ("Event=Hangup", "varset", False),
    ("AccountCode=*", "newchannel", True),
    ("AccountCode=*", "hangup", False),
    ('AccountCode=""', "newchannel", True),
    ('CallerIDName=""', "newchannel", False),
    ("Channel=*", "response", False),
    # repeated headers: any value
    ("ChanVariable=MYVAR=*", "chanvars", True),
    ("ChanVariable=FOO=1", "chanvars", True),
    ("ChanVariable=BAR=2", "chanvars", True),
    ("ChanVariable=BAZ=*", "chanvars", False),
    ("ChanVariable!=MYVAR=*", "chanvars", False),
    ("ChanVariable~^BAR=", "chanvars", True),
    # headers after a line with no colon
    ("Cause=16", "no-colon-line", True),
    # != is the negation of =, also true without the header
    ("Cause!=16", "hangup", False),
    ("Cause!=16", "hangup-busy", True),
    ("Cause!=16", "newchannel", True),
    ("Event=Hangup Cause!=16", "hangup", False),
    ("Event=Hangup Cause!=16", "hangup-busy", True),
    ("Event=Hangup Cause!=16", "newchannel", False),
    # regex: search, case-sensitive
    ("Channel~^Local/", "hangup-busy", True),
    ("Channel~^Local/", "hangup", False),
    ("Channel~7001", "newchannel", True),
    ("Channel~pjsip", "newchannel", False),
    ('Channel~"(?i)pjsip"', "newchannel", True),
    ('Channel~"^(PJSIP|SIP)/700[12]-"', "newchannel", True),
    ('Channel~"^(PJSIP|SIP)/700[12]-"', "hangup-busy", False),
    ("Cause~^1[67]$", "hangup-busy", True),
    ("Cause~x", "newchannel", False),
    # quoting
    ('Channel="PJSIP/my phone-*"', "phone-space", True),
    ('Channel="PJSIP/my phone-*"', "newchannel", False),
    ("Channel='PJSIP/my phone-*'", "phone-space", True),
    ('Channel=PJSIP/"my phone"-*', "phone-space", True),
    ('Note="a|b (c)=d"', "userevent-hangup", True),
    ("Note='a|b (c)=d'", "userevent-hangup", True),
    ("UserEvent=Hangup", "userevent-hangup", True),
    ("Hangup", "userevent-hangup", False),
    # AND, explicit or implicit
    ("Newchannel|Hangup Channel=PJSIP/7001*", "newchannel", True),
    ("Newchannel|Hangup Channel=PJSIP/7001*", "hangup", True),
    ("Newchannel|Hangup Channel=PJSIP/7001*", "newchannel-7002", False),
    ("Newchannel|Hangup Channel=PJSIP/7001*", "varset", False),
    ("Newchannel and Channel=PJSIP/7001*", "newchannel", True),
    ("Newchannel AND Context=from-external", "newchannel", False),
    ("Newchannel Exten=7002 Priority=1", "newchannel", True),
    ("Newchannel Exten=7002 Priority=2", "newchannel", False),
    ("Newchannel Exten=7002 Priority=1 Language=en", "newchannel", True),
    # negation
    ("!VarSet !RTCP*", "newchannel", True),
    ("!VarSet !RTCP*", "varset", False),
    ("!VarSet !RTCP*", "rtcp", False),
    ("!VarSet|RTCP*", "rtcp", False),
    ("!VarSet|RTCP*", "hangup", True),
    ("not VarSet", "varset", False),
    ("NOT VarSet", "hangup", True),
    ("!!VarSet", "varset", True),
    ("! VarSet", "varset", False),
    ("!Channel=*", "response", True),
    ("!Channel=*", "hangup", False),
    # or, lower precedence than and
    ("Hangup or Channel~^Local/", "hangup", True),
    ("Hangup or Channel~^Local/", "hangup-busy", True),
    ("Hangup or Channel~^Local/", "newchannel", False),
    ("Hangup or Channel~^Local/", "varset", False),
    ("Newchannel Context=from-external or Cause=17", "newchannel", False),
    ("Newchannel Context=from-external or Cause=17", "newchannel-7002", True),
    ("Newchannel Context=from-external or Cause=17", "hangup-busy", True),
    ("VarSet or RTCP* or *Bridge*", "bridge", True),
    ("VarSet OR RTCP*", "hangup", False),
    # parentheses
    ("(Newchannel or Hangup) and not Context=from-internal", "newchannel", False),
    ("(Newchannel or Hangup) and not Context=from-internal", "newchannel-7002", True),
    ("(Newchannel or Hangup) and not Context=from-internal", "hangup-busy", True),
    ("(Newchannel or Hangup) and not Context=from-internal", "varset", False),
    ("!(Newchannel or Hangup)", "varset", True),
    ("!(Newchannel or Hangup)", "hangup", False),
    ("(Hangup Cause=17)|(Newchannel Exten=7002)", "newchannel", True),
    ("(Hangup Cause=17)|(Newchannel Exten=7002)", "hangup", False),
    ("((((Hangup))))", "hangup", True),
    ("(Hangup) (Cause=16)", "hangup", True),
    # keywords are words only unquoted
    ('"or"', "hangup", False),
    ('Event="not"', "hangup", False),
]


def _id(case) -> str:
    text, key, expected = case
    return f"{text or '<empty>'} @{key} -> {expected}"


@pytest.mark.parametrize("text, key, expected", MATCHES, ids=[_id(c) for c in MATCHES])
def test_match(text, key, expected):
    f = parse_filter(text)
    assert f(event(key)) is expected
    assert f.match(event(key)) is expected
    # the same answer on a message whose index is already built
    m = event(key)
    m.get("Event")
    assert f(m) is expected


def test_event_filter_attributes():
    f = parse_filter("Newchannel|Hangup")
    assert isinstance(f, EventFilter)
    assert f.text == "Newchannel|Hangup"
    assert not f.is_empty
    assert parse_filter("").is_empty and parse_filter(" \t").is_empty
    assert parse_filter("") (event("response"))
    assert parse_filter("A|B") == parse_filter(" A | B ")
    assert "Newchannel" in repr(f)


def test_keywords_are_case_insensitive_and_flatten():
    assert parse_filter("A OR B") == parse_filter("A or B") == parse_filter("A|B")
    assert parse_filter("A AND B") == parse_filter("A B") == parse_filter("A and B")


def test_header_matching_works_on_duck_typed_messages():
    class Dict:
        def __init__(self, d):
            self.d = d

        def get(self, key, default=None):
            return self.d.get(key.lower(), default)

        def getall(self, key):
            v = self.d.get(key.lower())
            return [] if v is None else [v]

    assert parse_filter("Hangup Cause!=16")(Dict({"event": "Hangup", "cause": "17"}))
    assert not parse_filter("Channel=x")(Dict({"event": "Hangup", "channel": "y"}))


# ---------------------------------------------------------------------------
# errors: (filter, message fragment, position)

BAD = [
    ("(Newchannel", "unbalanced '(': missing ')'", 0),
    ("Newchannel)", "unbalanced ')'", 10),
    ("(A or B))", "unbalanced ')'", 8),
    ("A (B", "unbalanced '(': missing ')'", 2),
    ("((A)", "unbalanced '(': missing ')'", 0),
    ("()", "empty parentheses", 0),
    ('Channel="PJSIP/x', 'unterminated " quote', 8),
    ("Channel='PJSIP/x", "unterminated ' quote", 8),
    ("'Newchannel", "unterminated ' quote", 0),
    ('Channel~"^(a"', "bad regex: missing ), unterminated subpattern", 10),
    ("Channel~a{2,1}", "bad regex: min repeat greater than max repeat", 10),
    ("Channel~*x", "bad regex: nothing to repeat", 8),
    ("Channel~[", "bad regex: unterminated character set", 8),
    ("Channel~^(a|b)", "'(' right after a word", 9),
    ("A||B", "empty alternative", 2),
    ("A|", "'|' needs an alternative after it", 1),
    ("|A", "'|' needs an alternative before it", 0),
    ("A|)", "'|' needs an alternative after it", 1),
    ("A| or B", "'|' needs an alternative after it", 1),
    ("A|!B", "a negation cannot follow '|'", 2),
    ("A or", "'or' needs a term after it", 2),
    ("or A", "'or' needs a term before it", 0),
    ("A or or B", "'or' needs a term after it", 2),
    ("(A or)", "'or' needs a term after it", 3),
    ("A and", "'and' needs a term after it", 2),
    ("and A", "'and' needs a term before it", 0),
    ("A and or B", "'and' needs a term after it", 2),
    ("!", "'!' needs a term after it", 0),
    ("A not", "'not' needs a term after it", 2),
    ("Channel=", "missing value after '='", 7),
    ("Channel= PJSIP/7001", "missing value after '='", 7),
    ("Cause!=", "missing value after '!='", 5),
    ("Channel~ x", "missing value after '~'", 7),
    ("Channel~(?i)x", "missing value after '~': quote a value that starts with '('", 7),
    ("=foo", "a header name must come before '='", 0),
    ("!=foo", "a header name must come before '!='", 0),
    ("A ~x", "a header name must come before '~'", 2),
    ('""', "empty event name", 0),
    ("(" * (MAX_DEPTH + 1) + "A" + ")" * (MAX_DEPTH + 1), "nested deeper", MAX_DEPTH),
]


@pytest.mark.parametrize("text, message, position", BAD, ids=[b[0][:40] for b in BAD])
def test_bad_filter(text, message, position):
    with pytest.raises(FilterError) as info:
        parse_filter(text)
    e = info.value
    assert isinstance(e, ValueError)
    assert message in e.message
    assert e.position == position
    assert e.column == position + 1
    assert e.text == text
    assert str(e) == f"{e.message} (column {position + 1})"
    assert "\n" not in str(e)
    line, caret = e.pointer().split("\n")
    assert line == text and caret == " " * position + "^"


def test_deep_but_allowed_nesting():
    depth = MAX_DEPTH
    f = parse_filter("(" * depth + "Hangup" + ")" * depth)
    assert f(event("hangup"))
    assert parse_filter("!" * 5001 + "Hangup")(event("varset"))
    assert parse_filter("!" * 5000 + "Hangup")(event("hangup"))


def test_parse_filter_wants_a_str():
    with pytest.raises(TypeError):
        parse_filter(None)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# properties

_PIECES = st.sampled_from(
    list("ab*?[]!^$\\-=~|()\"' \t")
    + ["or", "and", "not", " or ", " and ", "!=", "Event", "Channel", "Hangup", "(?", "{9999999999}", "\x00", "é", "İ"]
)
_FILTER_TEXT = st.one_of(st.text(max_size=60), st.lists(_PIECES, max_size=40).map("".join))


@settings(max_examples=1500, deadline=2000)
@given(_FILTER_TEXT)
def test_parse_raises_only_filter_error(text):
    try:
        f = parse_filter(text)
    except FilterError as e:
        assert 0 <= e.position <= len(text)
        assert e.message and "\n" not in str(e)
        return
    for key in EVENTS:
        assert f(event(key)) in (True, False)
    event_names(f)
    server_filter(f)


_SAFE = st.text(alphabet="abcdeHNV*?", min_size=1, max_size=12).filter(lambda g: g.lower() not in ("and", "or", "not"))


@settings(max_examples=300, deadline=None)
@given(st.lists(_SAFE, min_size=1, max_size=8), st.text(alphabet="abcde", max_size=2000))
def test_globs_never_backtrack_catastrophically(globs, value):
    # Many stars against a long value that almost matches: fnmatch.translate's
    # output has no nested quantifiers, so this stays linear-ish. (Speed: bench/micro.py.)
    f = parse_filter("|".join(f"Value={g}" for g in globs) + " or " + "|".join(globs))
    answers(f, Message([("Event", value), ("Value", value)]))


def answers(fn, *args, upper_bound: float = 60.0):
    """fn(*args), from a thread given a generous upper bound: a backtracking matcher never answers."""
    out: list = []
    worker = threading.Thread(target=lambda: out.append(fn(*args)), daemon=True)
    worker.start()
    worker.join(upper_bound)
    assert out, "no answer: catastrophic backtracking"
    return out[0]


def test_pathological_glob_is_fast():
    # It answers at all: a backtracking matcher would not, in any time a test can wait
    # (its speed, < 0.5 s, is measured by bench/micro.py).
    f = parse_filter("Value=" + "*a" * 40 + "*b")
    m = Message([("Event", "X"), ("Value", "a" * 20000)])
    assert not answers(f, m)


# The evaluation speed (a 3-term filter on a 15-header event, < 50 µs per event) is measured by bench/micro.py.


# ---------------------------------------------------------------------------
# event_names

NAMES = [
    ("", None),
    ("Newchannel", {"Newchannel"}),
    ("Newchannel|Hangup", {"Newchannel", "Hangup"}),
    ("Newchannel|Hangup Channel=PJSIP/7001*", {"Newchannel", "Hangup"}),
    ("Event=Hangup Cause!=16", {"Hangup"}),
    ("RTCP*|*Bridge*", {"RTCP*", "*Bridge*"}),
    ("Hangup or Newchannel", {"Hangup", "Newchannel"}),
    ("(Newchannel or Hangup) and not Context=from-internal", {"Newchannel", "Hangup"}),
    ("Newchannel|Hangup|VarSet Hangup|VarSet", {"Hangup", "VarSet"}),
    ("Newchannel|Hangup RTCP*", set()),
    ("RTCP* RTCPSent|RTCPReceived|Hangup", {"RTCPSent", "RTCPReceived"}),
    ("Newchannel Hangup", set()),
    ("RTCP* *Sent", {"RTCP*"}),
    ("!VarSet !RTCP*", None),
    ("Hangup or Channel~^Local/", None),
    ("Channel=PJSIP/*", None),
    ("Event!=Hangup", None),
    ("Event~Hang", None),
    ("!(Newchannel or Hangup)", None),
]


@pytest.mark.parametrize("text, expected", NAMES, ids=[n[0] or "<empty>" for n in NAMES])
def test_event_names(text, expected):
    assert event_names(parse_filter(text)) == expected
    assert event_names(text) == expected


# ---------------------------------------------------------------------------
# server_filter

HEAD, TAIL = "(^|[[:cntrl:]])Event: (", ")[[:cntrl:]]"
KNOWN = ["Newchannel", "Hangup", "VarSet", "Newexten", "RTCPSent", "UserEvent"]

SERVER = [
    ("", None, []),
    ("Newchannel|Hangup", KNOWN, [HEAD + "Newchannel|Hangup" + TAIL]),
    ("newchannel or HANGUP", KNOWN, [HEAD + "Newchannel|Hangup" + TAIL]),
    ("Event=Hangup", KNOWN, [HEAD + "Hangup" + TAIL]),
    ("Hangup", None, [HEAD + "[Hh][Aa][Nn][Gg][Uu][Pp]" + TAIL]),
    ("Hangup", ["Other"], [HEAD + "[Hh][Aa][Nn][Gg][Uu][Pp]" + TAIL]),
    ("!VarSet !RTCP*", KNOWN, ["!" + HEAD + "VarSet|[Rr][Tt][Cc][Pp][^[:cntrl:]]*" + TAIL]),
    ("!(VarSet or Newexten)", KNOWN, ["!" + HEAD + "VarSet|Newexten" + TAIL]),
    ("!VarSet|Newexten", KNOWN, ["!" + HEAD + "VarSet|Newexten" + TAIL]),
    ("Hang?p", None, [HEAD + "[Hh][Aa][Nn][Gg][^[:cntrl:]][Pp]" + TAIL]),
    (
        "(Newchannel or Hangup) !Hangup",
        KNOWN,
        [HEAD + "Newchannel|Hangup" + TAIL, "!" + HEAD + "Hangup" + TAIL],
    ),
    ("Foo.Bar", None, [HEAD + r"[Ff][Oo][Oo]\.[Bb][Aa][Rr]" + TAIL]),
    # not expressible: filter locally only
    ("Newchannel|Hangup Channel=PJSIP/7001*", KNOWN, None),
    ("Hangup or Channel~^Local/", KNOWN, None),
    ("(Newchannel or Hangup) and not Context=from-internal", KNOWN, None),
    ("Event=Hangup Cause!=16", KNOWN, None),
    ("Newchannel Hangup", KNOWN, None),
    ("Hangup or !VarSet", KNOWN, None),
    ("!(VarSet Channel=x)", KNOWN, None),
    ("[HV]*", KNOWN, None),
    ("Event!=Hangup", KNOWN, None),
    ("Event~Hangup", KNOWN, None),
]


@pytest.mark.parametrize("text, known, expected", SERVER, ids=[s[0] or "<empty>" for s in SERVER])
def test_server_filter(text, known, expected):
    assert server_filter(parse_filter(text), known_names=known) == expected


def test_server_filter_splits_long_lists():
    names = [f"AmishEvent{i:03d}" for i in range(200)]
    values = server_filter("|".join(names), known_names=names)
    assert values is not None and len(values) > 1
    assert all(len(v) <= 900 for v in values)
    found = [n for v in values for n in v[len(HEAD) : -len(TAIL)].split("|")]
    assert found == names


def _posix_to_python(ere: str) -> re.Pattern[str]:
    """Enough of POSIX ERE for what server_filter emits."""
    ere = ere.replace("[^[:cntrl:]]", "[^\\x00-\\x1f\\x7f]").replace("[[:cntrl:]]", "[\\x00-\\x1f\\x7f]")
    return re.compile(ere)


def _asterisk_passes(values: list[str], message: Message) -> bool:
    """What Asterisk's legacy filters do with an event (manager.c, should_send_event)."""
    payload = "".join(f"{k}: {v}\r\n" for k, v in message.headers if k is not None)
    includes = [_posix_to_python(v) for v in values if not v.startswith("!")]
    excludes = [_posix_to_python(v[1:]) for v in values if v.startswith("!")]
    if includes and not any(r.search(payload) for r in includes):
        return False
    return not any(r.search(payload) for r in excludes)


_NAMES = st.sampled_from(["Newchannel", "Hangup", "VarSet", "RTCPSent", "RTCPReceived", "UserEvent", "Foo.Bar"])
_NAME_GLOB = st.one_of(_NAMES, _NAMES.map(str.lower), _NAMES.map(lambda n: n[:3] + "*"), _NAMES.map(lambda n: "?" + n[1:]))


@st.composite
def _name_filters(draw):
    positive = draw(st.lists(_NAME_GLOB, max_size=3))
    negative = draw(st.lists(st.lists(_NAME_GLOB, min_size=1, max_size=2), max_size=3))
    terms = ["|".join(positive)] if positive else []
    terms += ["!" + "|".join(n) for n in negative]
    return " ".join(terms)


@settings(max_examples=300, deadline=None)
@given(_name_filters(), st.booleans())
def test_server_filter_does_what_the_local_filter_does(text, with_known):
    f = parse_filter(text)
    values = server_filter(f, known_names=["Newchannel", "Hangup", "VarSet"] if with_known else None)
    assert values is not None
    for name in ["Newchannel", "Hangup", "VarSet", "RTCPSent", "RTCPReceived", "UserEvent", "Foo.Bar", "Hangupx"]:
        for m in (
            Message([("Event", name), ("Privilege", "call,all"), ("Channel", "PJSIP/1")]),
            Message([("Event", "UserEvent"), ("UserEvent", name)]),  # a header that looks like a name
        ):
            assert _asterisk_passes(values, m) == f(m), (text, values, m)


# ---------------------------------------------------------------------------
# the real Asterisk agrees


def _wait_hangups(sub, channel_prefix: str, timeout: float = 15.0) -> list[Message]:
    from amish.transports.connection import Closed

    seen: list[Message] = []
    deadline = time.monotonic() + timeout
    while len([m for m in seen if m.is_event("Hangup") and m.get("Channel", "").startswith(channel_prefix)]) < 2:
        item = sub.get(timeout=max(0.0, deadline - time.monotonic()))
        if item is None:
            raise AssertionError(f"timed out; saw {[m.name for m in seen]}")
        assert not isinstance(item, Closed), item
        if isinstance(item, Message):
            seen.append(item)
    return seen


def _originate(conn) -> None:
    result = conn.send(
        [
            ("Action", "Originate"),
            ("Channel", "Local/echo@amish-test"),
            ("Application", "Wait"),
            ("Data", "0.1"),
            ("Async", "true"),
        ]
    )
    assert result.ok, result.messages


@pytest.mark.asterisk
@pytest.mark.parametrize(
    "text, must_see, must_not_see",
    [
        ("newchannel|HANGUP", {"Newchannel", "Hangup"}, {"UserEvent", "VarSet", "Newexten"}),
        ("!VarSet !UserEvent|Newexten", {"Newchannel", "Hangup"}, {"UserEvent", "VarSet", "Newexten"}),
        ("!Hangup|Newexten|VarSet (Newchannel or UserEvent or Hangup or Newexten)", {"Newchannel", "UserEvent"}, {"Hangup"}),
    ],
    ids=["include", "exclude", "include-and-exclude"],
)
def test_asterisk_applies_server_filter_like_the_local_filter(asterisk, admin, text, must_see, must_not_see):
    from amish.transports.connection import Connection
    from conftest import ADMIN

    f = parse_filter(text)
    values = server_filter(f)
    assert values
    sub = admin.subscribe()
    for value in values:
        result = admin.send([("Action", "Filter"), ("Operation", "Add"), ("Filter", value)])
        assert result.ok, result.response
    # Whatever was sent before the filters (FullyBooted at login...) is not the filters' doing.
    # Asterisk sends a session's pending events after each of its actions: after the second
    # Pong, everything pending at the first Ping is in.
    assert admin.send([("Action", "Ping")]).ok
    assert admin.send([("Action", "Ping")]).ok
    sub.drain()
    # A UserEvent whose header says "Hangup" (a naive "Event: Hangup" regex would match it),
    # then a Local call: events of many names.
    witness = Connection(asterisk.host, asterisk.port)  # unfiltered: sees the call end
    witness.connect()
    witness.login(*ADMIN)
    try:
        witness_sub = witness.subscribe()
        assert admin.send([("Action", "UserEvent"), ("UserEvent", "Hangup"), ("Probe", uuid.uuid4().hex)]).ok
        _originate(admin)
        _wait_hangups(witness_sub, "Local/echo@amish-test-")
    finally:
        witness.close()
    if "Hangup" in must_not_see:
        # the Hangups that would mark the end are filtered out: the witness saw them, and
        # two round trips later everything this session was to get is in
        assert admin.send([("Action", "Ping")]).ok
        assert admin.send([("Action", "Ping")]).ok
        seen = [m for m in sub.drain() if isinstance(m, Message)]
    else:
        seen = _wait_hangups(sub, "Local/echo@amish-test-")
    names = {m.name for m in seen}
    assert must_see <= names, names
    assert not (must_not_see & names), names
    assert all(f(m) for m in seen), [m.name for m in seen if not f(m)]
