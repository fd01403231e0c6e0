"""Tests of amish.core.protocol, the sans-IO AMI wire format.

Most tests are tables (input -> expected output); the hypothesis tests at the
end check the properties the tables cannot: chunking never changes the result,
encode/parse round-trips, and garbage never raises, hangs or grows the buffer.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from amish.core.protocol import (
    ASTERISK_MAX_HEADERS,
    ASTERISK_MAX_LINE,
    MASK,
    MAX_BANNER,
    Banner,
    HeaderError,
    Message,
    Parser,
    ProtocolError,
    encode_action,
    encode_message,
    is_ami_banner,
    limit_warnings,
    mask_secrets,
)

# -- helpers -------------------------------------------------------------------


def feed(chunks, **kw):
    """Every item a fresh parser gives for `chunks`, eof included."""
    kw.setdefault("expect_banner", False)
    p = Parser(**kw)
    out = []
    for chunk in chunks:
        out += p.receive_data(chunk)
    out += p.eof()
    return out


def parse(data: bytes, **kw):
    return feed([data], **kw)


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]


def headers_of(items):
    """Messages as header lists; anything else as itself."""
    return [it.headers if isinstance(it, Message) else it for it in items]


def norm(items, sample=True):
    """Items in a form where == also compares Message.raw (Message.__eq__ does not)."""
    out = []
    for it in items:
        if isinstance(it, Message):
            out.append(("message", it.headers, it.raw))
        elif isinstance(it, ProtocolError) and not sample:
            out.append(("error", it.reason, it.skipped))
        else:
            out.append(it)
    return out


def assert_raws_are_the_stream(stream: bytes, items) -> None:
    """Each Message.raw is the exact bytes of its message, in stream order;
    only blank lines between messages belong to no message."""
    pos = 0
    for it in items:
        assert isinstance(it, Message), it
        while stream[pos : pos + 1] == b"\n" or stream[pos : pos + 2] == b"\r\n":
            pos += 1 if stream[pos : pos + 1] == b"\n" else 2
        assert stream.startswith(it.raw, pos), (it.raw, stream[pos:])
        pos += len(it.raw)
    assert stream[pos:].strip(b"\r\n") == b""


def msg(*headers, raw=b""):
    return Message(list(headers), raw)


# -- Message -------------------------------------------------------------------

NEWCHANNEL = msg(
    ("Event", "Newchannel"),
    ("Channel", "PJSIP/alice-00000001"),
    ("ChanVariable", "SIPCALLID=abc"),
    ("Variable", "A=1"),
    ("variable", "B=2"),
    (None, "a line with no colon"),
    ("VARIABLE", "C=3"),
    ("Uniqueid", "1700000000.1"),
)


@pytest.mark.parametrize(
    "key, expected",
    [
        pytest.param("Event", "Newchannel", id="exact-case"),
        pytest.param("event", "Newchannel", id="lower-case"),
        pytest.param("EVENT", "Newchannel", id="upper-case"),
        pytest.param("uniqueID", "1700000000.1", id="mixed-case"),
        pytest.param("Variable", "A=1", id="repeated-key-first-value"),
        pytest.param("chanvariable", "SIPCALLID=abc", id="chanvariable"),
        pytest.param("Missing", None, id="missing-is-None"),
        pytest.param("a line with no colon", None, id="no-colon-line-is-not-a-key"),
    ],
)
def test_message_get(key, expected):
    assert NEWCHANNEL.get(key) == expected


def test_message_get_default():
    assert NEWCHANNEL.get("Missing", "dflt") == "dflt"
    assert NEWCHANNEL.get("Event", "dflt") == "Newchannel"


@pytest.mark.parametrize(
    "key, expected",
    [
        pytest.param("Variable", ["A=1", "B=2", "C=3"], id="repeated-any-case-in-order"),
        pytest.param("VARIABLE", ["A=1", "B=2", "C=3"], id="asked-upper-case"),
        pytest.param("ChanVariable", ["SIPCALLID=abc"], id="single"),
        pytest.param("Missing", [], id="missing"),
    ],
)
def test_message_getall(key, expected):
    assert NEWCHANNEL.getall(key) == expected


@pytest.mark.parametrize(
    "key, expected",
    [
        pytest.param("Event", True, id="present"),
        pytest.param("CHANNEL", True, id="present-other-case"),
        pytest.param("Missing", False, id="missing"),
        pytest.param("a line with no colon", False, id="no-colon-line"),
        pytest.param(None, False, id="None"),
        pytest.param(42, False, id="not-a-string"),
    ],
)
def test_message_contains(key, expected):
    assert (key in NEWCHANNEL) is expected


def test_message_getitem():
    assert NEWCHANNEL["channel"] == "PJSIP/alice-00000001"
    with pytest.raises(KeyError):
        NEWCHANNEL["Missing"]


def test_message_keeps_order_case_and_repeats():
    assert list(NEWCHANNEL) == NEWCHANNEL.headers
    assert len(NEWCHANNEL) == 8
    assert [k for k, _ in NEWCHANNEL] == [
        "Event", "Channel", "ChanVariable", "Variable", "variable", None, "VARIABLE", "Uniqueid",
    ]


@pytest.mark.parametrize(
    "headers, kind, name",
    [
        pytest.param([("Response", "Success")], "response", "Success", id="response"),
        pytest.param([("response", "Error"), ("Message", "x")], "response", "Error", id="response-lower"),
        pytest.param([("Event", "Hangup")], "event", "Hangup", id="event"),
        pytest.param([("EVENT", "Hangup")], "event", "Hangup", id="event-upper"),
        pytest.param([("Action", "Ping")], "action", "Ping", id="action"),
        pytest.param([("ActionID", "1"), ("Response", "Success")], "", "1", id="first-header-decides"),
        pytest.param([(None, "text")], "", "text", id="no-colon-first"),
        pytest.param([], "", "", id="empty"),
    ],
)
def test_message_kind_and_name(headers, kind, name):
    m = Message(headers)
    assert (m.kind, m.name) == (kind, name)
    assert m.is_response is (kind == "response")


@pytest.mark.parametrize(
    "headers, query, expected",
    [
        pytest.param([("Event", "Hangup")], None, True, id="any-event"),
        pytest.param([("Event", "Hangup")], "hangup", True, id="named-any-case"),
        pytest.param([("Event", "Hangup")], "Newchannel", False, id="other-name"),
        pytest.param([("Response", "Success")], None, False, id="response"),
    ],
)
def test_message_is_event(headers, query, expected):
    assert Message(headers).is_event(query) is expected


@pytest.mark.parametrize(
    "headers, expected",
    [
        pytest.param(
            [("Event", "A"), ("Channel", "X")], {"Event": "A", "Channel": "X"}, id="plain"
        ),
        pytest.param(
            [("Event", "A"), ("Variable", "a=1"), ("Channel", "X"), ("Variable", "b=2"), ("Variable", "c=3")],
            {"Event": "A", "Variable": ["a=1", "b=2", "c=3"], "Channel": "X"},
            id="repeated-key-becomes-list",
        ),
        pytest.param(
            [("Response", "Success"), ("Output", "one"), ("Output", "")],
            {"Response": "Success", "Output": ["one", ""]},
            id="output-lines",
        ),
        pytest.param(
            [("Event", "A"), (None, "first"), (None, "second")],
            {"Event": "A", "": ["first", "second"]},
            id="no-colon-lines-under-empty-key",
        ),
        pytest.param([(None, "only")], {"": ["only"]}, id="single-no-colon-line-is-a-list"),
        pytest.param([], {}, id="empty"),
    ],
)
def test_message_to_dict(headers, expected):
    d = Message(headers).to_dict()
    assert d == expected
    assert list(d) == list(expected)  # order of first appearance


@pytest.mark.parametrize(
    "headers, expected",
    [
        pytest.param(
            [("Action", "Login"), ("Username", "admin"), ("Secret", "hunter2")],
            [("Action", "Login"), ("Username", "admin"), ("Secret", MASK)],
            id="login-secret",
        ),
        pytest.param(
            [("Action", "Login"), ("AuthType", "md5"), ("Username", "admin"), ("Key", "0123abcd")],
            [("Action", "Login"), ("AuthType", "md5"), ("Username", "admin"), ("Key", MASK)],
            id="login-md5-key",
        ),
        pytest.param(
            [("action", "LOGIN"), ("key", "0123abcd")],
            [("action", "LOGIN"), ("key", MASK)],
            id="login-any-case",
        ),
        pytest.param(
            # Asterisk skips blanks before a header value: this is a Login to it
            [("Action", " Login"), ("Key", "0123abcd")],
            [("Action", " Login"), ("Key", MASK)],
            id="login-with-blank-before-value",
        ),
        pytest.param(
            [("Action", "PJSIPShowEndpoint"), ("SECRET", "s3")],
            [("Action", "PJSIPShowEndpoint"), ("SECRET", MASK)],
            id="secret-in-any-action",
        ),
        pytest.param(
            [("Event", "PeerEntry"), ("Secret", "s3")],
            [("Event", "PeerEntry"), ("Secret", MASK)],
            id="secret-in-event",
        ),
        pytest.param(
            [("Response", "Success"), ("Category-000000", "alice"),
             ("Line-000001-000002", "secret=xyz"), ("Line-000001-000003", "context=default")],
            [("Response", "Success"), ("Category-000000", "alice"),
             ("Line-000001-000002", "secret=" + MASK), ("Line-000001-000003", "context=default")],
            id="getconfig-secret",
        ),
        pytest.param(
            [("Line-000000-000000", "password = pw"), ("Line-000000-000001", "md5secret=ab"),
             ("Line-000000-000002", "remotesecret=x"), ("Line-000000-000003", "passwd=y")],
            [("Line-000000-000000", "password = " + MASK), ("Line-000000-000001", "md5secret=" + MASK),
             ("Line-000000-000002", "remotesecret=" + MASK), ("Line-000000-000003", "passwd=" + MASK)],
            id="getconfig-other-secret-variables",
        ),
    ],
)
def test_message_masked(headers, expected):
    m = Message(headers)
    masked = m.masked()
    assert masked.headers == expected
    assert m.headers == headers  # the original is untouched


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param([("Action", "DBPut"), ("Family", "f"), ("Key", "k"), ("Val", "v")], id="dbput-key"),
        pytest.param([("Action", "DBGet"), ("Family", "f"), ("Key", "k")], id="dbget-key"),
        pytest.param([("Event", "DBGetResponse"), ("Key", "k")], id="event-key"),
        pytest.param([("Event", "Hangup"), ("Channel", "X")], id="nothing-secret"),
        pytest.param([("Line-000000-000000", "context=secret")], id="getconfig-not-a-secret-variable"),
        pytest.param([("Line-000000-000000", "secretary=bob")], id="getconfig-secret-prefix"),
        pytest.param([("Event", "A"), (None, "Secret is a word")], id="no-colon-line"),
    ],
)
def test_message_masked_leaves_non_secrets(headers):
    m = Message(headers, b"raw")
    assert m.masked() is m


def test_message_masked_masks_raw_too():
    data = b"Action: Login\r\nUsername: admin\r\nKey: 0123abcd\r\nSecret: hunter2\r\n\r\n"
    [m] = parse(data)
    masked = m.masked()
    assert masked.raw == b"Action: Login\r\nUsername: admin\r\nKey: ********\r\nSecret: ********\r\n\r\n"
    assert b"hunter2" not in masked.raw and b"0123abcd" not in masked.raw
    assert m.raw == data


def test_message_masked_getconfig_raw():
    data = b"Response: Success\r\nLine-000001-000002: secret=xyz\r\n\r\n"
    [m] = parse(data)
    assert m.masked().raw == b"Response: Success\r\nLine-000001-000002: secret=********\r\n\r\n"


@pytest.mark.parametrize(
    "a, b, equal",
    [
        pytest.param(msg(("Event", "A")), msg(("Event", "A")), True, id="same-headers"),
        pytest.param(msg(("Event", "A"), raw=b"Event: A\r\n\r\n"), msg(("Event", "A")), True, id="raw-ignored"),
        pytest.param(msg(("Event", "A")), msg(("event", "A")), False, id="key-case-matters"),
        pytest.param(msg(("A", "1"), ("B", "2")), msg(("B", "2"), ("A", "1")), False, id="order-matters"),
        pytest.param(msg(("A", "1")), msg(("A", "1"), ("A", "1")), False, id="repeats-matter"),
        pytest.param(msg((None, "x")), msg(("", "x")), False, id="None-key-is-not-empty-key"),
    ],
)
def test_message_equality(a, b, equal):
    assert (a == b) is equal
    assert (a != b) is not equal


def test_message_not_equal_to_other_types_and_unhashable():
    m = msg(("Event", "A"))
    assert m != [("Event", "A")]
    assert m != {"Event": "A"}
    with pytest.raises(TypeError):
        hash(m)


# -- Parser: framing -------------------------------------------------------------

CMD_OUTPUT = [("Response", "Follows"), ("Privilege", "Command"), ("ActionID", "42")]

FRAMING = [
    pytest.param(b"Event: A\r\nK: v\r\n\r\n", [[("Event", "A"), ("K", "v")]], id="crlf"),
    pytest.param(b"Event: A\nK: v\n\n", [[("Event", "A"), ("K", "v")]], id="bare-lf"),
    pytest.param(
        b"Event: CoreShowChannelMapComplete\r\nK: v\r\n\nEvent: B\r\n\r\n",
        [[("Event", "CoreShowChannelMapComplete"), ("K", "v")], [("Event", "B")]],
        id="crlf-then-lf-terminator",
    ),
    pytest.param(
        b"Event: A\nK: v\n\r\nEvent: B\r\n\r\n",
        [[("Event", "A"), ("K", "v")], [("Event", "B")]],
        id="lf-then-crlf-terminator",
    ),
    pytest.param(b"Event: A\r\nK: v\nL: w\r\n\r\n", [[("Event", "A"), ("K", "v"), ("L", "w")]], id="mixed-line-ends"),
    pytest.param(
        b"\r\n\n\r\nEvent: A\r\n\r\n\r\n\n\r\n\nEvent: B\r\n\r\n\r\n",
        [[("Event", "A")], [("Event", "B")]],
        id="blank-lines-between-messages",
    ),
    pytest.param(b"Event:A\r\nK:v\r\n\r\n", [[("Event", "A"), ("K", "v")]], id="no-space-after-colon"),
    pytest.param(b"Event: A\r\nK:  v\r\n\r\n", [[("Event", "A"), ("K", " v")]], id="two-leading-spaces-keep-one"),
    pytest.param(b"Event: A\r\nK: v  \r\n\r\n", [[("Event", "A"), ("K", "v  ")]], id="trailing-spaces-kept"),
    pytest.param(b"Event: A\r\nK:\r\nL: \r\n\r\n", [[("Event", "A"), ("K", ""), ("L", "")]], id="empty-values"),
    pytest.param(
        b"Event: A\r\nAppData: Dial(PJSIP/bob,30,tT):x\r\n\r\n",
        [[("Event", "A"), ("AppData", "Dial(PJSIP/bob,30,tT):x")]],
        id="colons-in-value",
    ),
    pytest.param(
        b"Event: A\r\nsome text without colon\r\n\r\n",
        [[("Event", "A"), (None, "some text without colon")]],
        id="line-with-no-colon",
    ),
    pytest.param(b"actionid: 5\r\nRESPONSE: Success\r\n\r\n", [[("actionid", "5"), ("RESPONSE", "Success")]], id="key-case-kept"),
    pytest.param(
        b"Event: VarSet\r\nVariable: a=1\r\nChanVariable: b=2\r\nVariable: c=3\r\n\r\n",
        [[("Event", "VarSet"), ("Variable", "a=1"), ("ChanVariable", "b=2"), ("Variable", "c=3")]],
        id="repeated-keys-in-order",
    ),
    pytest.param(
        b"Response: Success\r\nActionID: 1\r\n\r\nEvent: A\r\n\r\nEvent: B\nX: y\n\n",
        [[("Response", "Success"), ("ActionID", "1")], [("Event", "A")], [("Event", "B"), ("X", "y")]],
        id="several-messages-in-one-chunk",
    ),
    pytest.param(
        "Event: Newchannel\r\nCallerIDName: José Müller ☎ 電話\r\n\r\n".encode(),
        [[("Event", "Newchannel"), ("CallerIDName", "José Müller ☎ 電話")]],
        id="utf-8",
    ),
    pytest.param(
        b"Response: Success\r\nMessage: Command output follows\r\nOutput: Name/username\r\n"
        b"Output: \r\nOutput: key: value\r\nOutput: 2 objects found.\r\n\r\n",
        [[("Response", "Success"), ("Message", "Command output follows"), ("Output", "Name/username"),
          ("Output", ""), ("Output", "key: value"), ("Output", "2 objects found.")]],
        id="command-output-modern",
    ),
    pytest.param(
        b"Response: Follows\r\nPrivilege: Command\r\nActionID: 42\r\n"
        b"Channel  Location  State\n\nkey: value\n0 active channels\n--END COMMAND--\r\n\r\n",
        [CMD_OUTPUT + [("Output", "Channel  Location  State"), ("Output", ""),
                       ("Output", "key: value"), ("Output", "0 active channels")]],
        id="command-output-legacy-marker-on-own-line",
    ),
    pytest.param(
        b"Response: Follows\r\nPrivilege: Command\r\nActionID: 42\r\n"
        b"No such command 'foo'\n\nsee: help--END COMMAND--\r\n\r\n",
        [CMD_OUTPUT + [("Output", "No such command 'foo'"), ("Output", ""), ("Output", "see: help")]],
        id="command-output-legacy-marker-glued",
    ),
    pytest.param(
        b"Response: Follows\r\nPrivilege: Command\r\n--END COMMAND--\r\n\r\nEvent: A\r\n\r\n",
        [[("Response", "Follows"), ("Privilege", "Command")], [("Event", "A")]],
        id="command-output-legacy-empty",
    ),
    pytest.param(
        b"Response: Follows\r\nPrivilege: Command\r\nActionID: 7\r\n"
        b"a\r\n\r\nb\r\n--END COMMAND--\r\n\r\nEvent: After\r\n\r\n",
        [[("Response", "Follows"), ("Privilege", "Command"), ("ActionID", "7"),
          ("Output", "a"), ("Output", ""), ("Output", "b")], [("Event", "After")]],
        id="command-output-legacy-crlf-body-then-message",
    ),
]


@pytest.mark.parametrize("stream, expected", FRAMING)
def test_framing(stream, expected):
    items = parse(stream)
    assert headers_of(items) == expected


@pytest.mark.parametrize("stream, expected", FRAMING)
def test_framing_raw_is_exact_bytes(stream, expected):
    assert_raws_are_the_stream(stream, parse(stream))


@pytest.mark.parametrize("stream, expected", FRAMING)
def test_framing_split_at_every_byte(stream, expected):
    whole = norm(parse(stream))
    for i in range(len(stream) + 1):
        assert norm(feed([stream[:i], stream[i:]])) == whole, f"split at {i}"
    assert norm(feed([stream[i : i + 1] for i in range(len(stream))])) == whole, "byte by byte"


@pytest.mark.parametrize(
    "stream, raws",
    [
        pytest.param(b"Event: A\r\n\r\n", [b"Event: A\r\n\r\n"], id="crlf"),
        pytest.param(b"Event: A\n\n", [b"Event: A\n\n"], id="lf"),
        pytest.param(b"Event: A\r\n\nEvent: B\n\r\n", [b"Event: A\r\n\n", b"Event: B\n\r\n"], id="mixed-terminators"),
        pytest.param(b"\r\n\nEvent: A\r\n\r\n\r\nEvent: B\r\n\r\n", [b"Event: A\r\n\r\n", b"Event: B\r\n\r\n"],
                     id="blank-lines-belong-to-no-message"),
        pytest.param(
            b"Response: Follows\r\nPrivilege: Command\r\nx\n\ny\n--END COMMAND--\r\n\r\n",
            [b"Response: Follows\r\nPrivilege: Command\r\nx\n\ny\n--END COMMAND--\r\n\r\n"],
            id="legacy-command-output",
        ),
        pytest.param(
            b"Event: A\r\nCallerIDName: \xcf\xf0\xe8\xe2\xe5\xf2\r\n\r\n",
            [b"Event: A\r\nCallerIDName: \xcf\xf0\xe8\xe2\xe5\xf2\r\n\r\n"],
            id="invalid-utf-8",
        ),
    ],
)
def test_raw_table(stream, raws):
    assert [m.raw for m in parse(stream)] == raws


@pytest.mark.parametrize("cut", range(1, 4), ids=lambda c: f"cut-after-byte-{c}-of-euro-sign")
def test_multibyte_character_split_across_chunks(cut):
    data = "Event: A\r\nCallerIDName: 5€ café\r\n\r\n".encode()
    at = data.index("€".encode()) + cut
    [m] = feed([data[:at], data[at:]])
    assert m["CallerIDName"] == "5€ café"
    assert m.raw == data


CP1251_NAME = "Привет".encode("cp1251")
MIXED_ENCODINGS = (
    b"Event: Newchannel\r\nCallerIDName: " + CP1251_NAME + b"\r\n"
    + "ConnectedLineName: José ☎\r\nChannel: PJSIP/Ольга-00000001\r\n\r\n".encode()
)


@pytest.mark.parametrize(
    "fallback, name",
    [
        pytest.param("cp1251", "Привет", id="cp1251-fallback"),
        pytest.param("latin-1", CP1251_NAME.decode("latin-1"), id="default-latin-1-fallback"),
    ],
)
def test_invalid_utf8_decoded_per_line(fallback, name):
    [m] = parse(MIXED_ENCODINGS, fallback_encoding=fallback)
    assert m.headers == [
        ("Event", "Newchannel"),
        ("CallerIDName", name),
        ("ConnectedLineName", "José ☎"),  # the valid UTF-8 lines stay right
        ("Channel", "PJSIP/Ольга-00000001"),
    ]
    assert m.raw == MIXED_ENCODINGS


def test_invalid_utf8_default_fallback_is_lossless():
    [m] = parse(MIXED_ENCODINGS)
    assert m["CallerIDName"].encode("latin-1") == CP1251_NAME


def test_undecodable_bytes_are_kept_as_surrogate_escapes():
    # 0x98 is not a character in cp1251
    data = b"Event: A\r\nName: \x98\xcf\r\n\r\n"
    [m] = parse(data, fallback_encoding="cp1251")
    assert m["Name"].encode("cp1251", "surrogateescape") == b"\x98\xcf"
    assert m.raw == data


def test_invalid_utf8_split_across_chunks():
    whole = norm(parse(MIXED_ENCODINGS, fallback_encoding="cp1251"))
    for i in range(len(MIXED_ENCODINGS) + 1):
        parts = [MIXED_ENCODINGS[:i], MIXED_ENCODINGS[i:]]
        assert norm(feed(parts, fallback_encoding="cp1251")) == whole


# -- Parser: banner -----------------------------------------------------------------


@pytest.mark.parametrize(
    "chunks, banner, version",
    [
        pytest.param([b"Asterisk Call Manager/11.0.0\r\n"], "Asterisk Call Manager/11.0.0", "11.0.0", id="asterisk"),
        pytest.param([b"Asterisk Call Manager/5.0.2\n"], "Asterisk Call Manager/5.0.2", "5.0.2", id="bare-lf"),
        pytest.param([b"Asterisk Call Manager Proxy/1.0\r\n"], "Asterisk Call Manager Proxy/1.0", "1.0", id="proxy"),
        pytest.param([b"Asterisk Call", b" Manager/2.10.4\r", b"\n"], "Asterisk Call Manager/2.10.4", "2.10.4",
                     id="split-in-chunks"),
        pytest.param([b"Hello there\r\n"], "Hello there", "", id="no-version"),
    ],
)
def test_banner(chunks, banner, version):
    items = feed(chunks, expect_banner=True)
    assert items == [Banner(banner)]
    assert items[0].version == version


def test_banner_then_messages_in_same_chunk():
    items = parse(b"Asterisk Call Manager/11.0.0\r\nEvent: FullyBooted\r\n\r\n", expect_banner=True)
    assert headers_of(items) == [Banner("Asterisk Call Manager/11.0.0"), [("Event", "FullyBooted")]]


def test_banner_at_eof_without_line_end():
    assert parse(b"Asterisk Call Manager/11.0.0", expect_banner=True) == [Banner("Asterisk Call Manager/11.0.0")]


def test_no_banner_expected_a_banner_line_is_text_before_the_first_message():
    items = parse(b"Asterisk Call Manager/11.0.0\r\nEvent: A\r\n\r\n", expect_banner=False)
    assert headers_of(items) == [
        ProtocolError("the server sent a new banner mid-stream: 'Asterisk Call Manager/11.0.0'", 30,
                      b"Asterisk Call Manager/11.0.0\r\n"),
        [("Event", "A")],
    ]


def test_banner_without_line_end_in_first_1024_bytes():
    p = Parser()
    assert p.receive_data(b"x" * MAX_BANNER) == []
    assert p.buffered == MAX_BANNER
    items = p.receive_data(b"x" * 976)
    assert items == [
        Banner("x" * MAX_BANNER),
        ProtocolError("no end of line in the first 1024 bytes", 2000, b"x" * 200),
    ]
    assert p.buffered == 0
    assert headers_of(p.receive_data(b"\r\n\r\nEvent: A\r\n\r\n")) == [[("Event", "A")]]


def test_banner_of_exactly_1024_bytes_is_accepted():
    p = Parser()
    assert p.receive_data(b"x" * MAX_BANNER) == []
    assert p.receive_data(b"\r\n") == [Banner("x" * MAX_BANNER)]


# -- Parser: text glued to the next message --------------------------------------------

GLUED_EVENT = b"Event: Glued\r\nSeq: 2\r\n\r\n"
GLUED_RESPONSE = b"Response: Success\r\nActionID: 7\r\nPing: Pong\r\n\r\n"


@pytest.mark.parametrize(
    "stray, message, reason",
    [
        pytest.param(b"garbage\r\n", GLUED_EVENT, "text outside any message, before an event: 'garbage'",
                     id="stray-line-before-an-event"),
        pytest.param(b"Asterisk Call Manager/11.0.0\r\n", GLUED_EVENT,
                     "the server sent a new banner mid-stream: 'Asterisk Call Manager/11.0.0'", id="second-banner"),
        pytest.param(b"\x00garbage without an end\r\n", GLUED_RESPONSE,
                     "text outside any message, before a response: '\\x00garbage without an end'",
                     id="garbage-before-a-response"),
        pytest.param(b"one\r\ntwo\n", b"Action: Ping\r\n\r\n", "text outside any message, before an action: 'one\\r\\ntwo'",
                     id="two-lines-before-an-action"),
        pytest.param(b"caf\xe9 \xff\r\n", GLUED_EVENT, "text outside any message, before an event: 'caf\ufffd \ufffd'",
                     id="not-utf8-said-replaced"),
        pytest.param(b"x" * 100 + b"\r\n", GLUED_EVENT, f"text outside any message, before an event: '{'x' * 77}...'",
                     id="long-text-shortened"),
    ],
)
@pytest.mark.parametrize("size", [1, 5, 1000], ids=lambda s: f"chunks-of-{s}")
def test_text_glued_to_a_message_is_an_error_and_the_message_is_kept(stray, message, reason, size):
    """A stray line or a second banner has no blank line after it: the framing joins it to the next
    message. The parser cuts it off (said as a ProtocolError), so the event is not lost with it and a
    response is still a response (paired with its action), in every transport and mode."""
    before = b"Event: Before\r\n\r\n"
    after = b"Event: After\r\n\r\n"
    items = feed(chunked(before + stray + message + after, size))
    assert norm(items, sample=False) == [
        ("message", [("Event", "Before")], before),
        ("error", reason, len(stray)),
        ("message", Message.from_raw(message).headers, message),
        ("message", [("Event", "After")], after),
    ]
    assert items[1].sample == stray
    assert items[2].kind == message.split(b":")[0].lower().decode()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"no colon at all\r\n\r\n", id="no-colon-anywhere"),
        pytest.param(b"garbage\r\nFoo: bar\r\n\r\n", id="no-kind-after-it"),
        pytest.param(b"garbage\r\nX: 1\r\nEvent: Late\r\n\r\n", id="a-header-before-the-kind"),
        pytest.param(b"Event: A\r\nsome text without colon\r\n\r\n", id="colon-less-line-inside"),
    ],
)
@pytest.mark.parametrize("size", [1, 1000], ids=lambda s: f"chunks-of-{s}")
def test_what_is_not_text_before_a_message_stays_one_message_as_it_came(data, size):
    items = feed(chunked(data, size))
    assert norm(items) == [("message", Message.from_raw(data).headers, data)]


def test_an_event_glued_to_text_costs_no_message_count():
    p = Parser(expect_banner=False)
    items = p.receive_data(b"garbage\r\n" + GLUED_EVENT + GLUED_EVENT)
    assert [type(i) for i in items] == [ProtocolError, Message, Message]
    assert p.messages == 2


# -- Parser: bounds -------------------------------------------------------------------

LONG = b"Event: Long\r\nData: " + b"a" * 300 + b"\r\n\r\n"
NEXT = b"Event: Next\r\n\r\n"


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 100, 319, len(LONG), len(LONG) + len(NEXT)],
                         ids=lambda s: f"chunks-of-{s}")
def test_over_long_message_is_one_error_and_parsing_goes_on(size):
    items = feed(chunked(LONG + NEXT, size), max_message=100)
    assert norm(items, sample=False) == [
        ("error", "message longer than 100 bytes skipped", len(LONG)),
        ("message", [("Event", "Next")], NEXT),
    ]
    assert items[0].sample.startswith(b"Event: Long\r\nData: a")


@pytest.mark.parametrize(
    "extra, is_error",
    [
        pytest.param(-1, False, id="max-minus-1"),
        pytest.param(0, False, id="exactly-max"),
        pytest.param(1, True, id="max-plus-1"),
        pytest.param(2, True, id="max-plus-2"),
    ],
)
def test_max_message_boundary_same_for_every_chunking(extra, is_error):
    max_message = 64
    head = b"Event: E\r\nData: "
    tail = b"\r\n\r\n"
    m = head + b"d" * (max_message + extra - len(head) - len(tail)) + tail
    assert len(m) == max_message + extra
    for size in range(1, len(m) + 1):
        items = feed(chunked(m + NEXT, size), max_message=max_message)
        if is_error:
            expected = [("error", "message longer than 64 bytes skipped", len(m)), ("message", [("Event", "Next")], NEXT)]
        else:
            expected = [("message", [("Event", "E"), ("Data", m[len(head):-4].decode())], m),
                        ("message", [("Event", "Next")], NEXT)]
        assert norm(items, sample=False) == expected, f"chunks of {size}"


def test_over_long_message_then_eof():
    items = feed(chunked(b"Event: Long\r\nData: " + b"a" * 500, 10), max_message=100)
    assert norm(items, sample=False) == [("error", "message longer than 100 bytes skipped", 519)]


def test_line_longer_than_max_line():
    long_msg = b"Event: A\r\nData: " + b"z" * 200 + b"\r\n\r\n"
    stream = b"Event: Before\r\n\r\n" + long_msg + NEXT
    for size in (1, 13, len(stream)):
        items = feed(chunked(stream, size), max_line=100)
        assert headers_of(items) == [
            [("Event", "Before")],
            ProtocolError("line longer than 100 bytes; message skipped", len(long_msg), long_msg[:200]),
            [("Event", "Next")],
        ]


@pytest.mark.parametrize(
    "stream, expected",
    [
        pytest.param(b"Event: A\r\nK: v", [ProtocolError("connection closed in the middle of a message", 14, b"Event: A\r\nK: v")],
                     id="mid-line"),
        pytest.param(b"Event: A\r\n", [ProtocolError("connection closed in the middle of a message", 10, b"Event: A\r\n")],
                     id="after-a-line"),
        pytest.param(b"Event: A\r\n\r\nEvent: B\n",
                     [[("Event", "A")], ProtocolError("connection closed in the middle of a message", 9, b"Event: B\n")],
                     id="after-a-complete-message"),
        pytest.param(b"Response: Follows\r\nPrivilege: Command\r\nout\n\n",
                     [ProtocolError("connection closed in the middle of a message", 44,
                                    b"Response: Follows\r\nPrivilege: Command\r\nout\n\n")],
                     id="legacy-command-output-without-marker"),
        pytest.param(b"\r\n\r\n\n", [], id="only-blank-lines"),
        pytest.param(b"Event: A\r\n\r\n\r\n", [[("Event", "A")]], id="blank-lines-after-last-message"),
        pytest.param(b"", [], id="nothing"),
    ],
)
def test_eof(stream, expected):
    assert headers_of(parse(stream)) == expected


def test_eof_resets_the_parser():
    p = Parser(expect_banner=False)
    p.receive_data(b"Response: Follows\r\nx")
    assert len(p.eof()) == 1
    assert p.buffered == 0
    assert headers_of(p.receive_data(b"Event: A\r\n\r\n")) == [[("Event", "A")]]


def test_memory_is_bounded_for_endless_message():
    max_message = 1024 * 1024
    chunk_size = 64 * 1024
    chunk = (b"Key: value-without-blank-line\r\n" * (chunk_size // 31 + 1))[:chunk_size]
    assert b"\n\n" not in chunk + chunk and b"\n\r\n" not in chunk + chunk
    p = Parser(expect_banner=False, max_message=max_message)
    items = []
    total = 50 * 1024 * 1024
    for _ in range(total // chunk_size):
        items += p.receive_data(chunk)
        assert p.buffered <= max_message + chunk_size
    assert items == []
    assert p.buffered <= max_message
    items = p.receive_data(b"\r\n\r\n" + NEXT)
    assert norm(items, sample=False) == [
        ("error", f"message longer than {max_message} bytes skipped", total + 4),
        ("message", [("Event", "Next")], NEXT),
    ]


def test_over_long_legacy_command_output_in_chunks():
    body = b"Response: Follows\r\nPrivilege: Command\r\n" + b"line\n\n" * 20 + b"--END COMMAND--\r\n\r\n"
    items = feed(chunked(body + NEXT, 7), max_message=60)
    assert norm(items, sample=False) == [
        ("error", "message longer than 60 bytes skipped", len(body)),
        ("message", [("Event", "Next")], NEXT),
    ]


# -- encoding -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers, expected",
    [
        pytest.param([("Action", "Ping")], b"Action: Ping\r\n\r\n", id="one-header"),
        pytest.param(
            [("Action", "Originate"), ("Channel", "PJSIP/alice"), ("Variable", "A=1"), ("Variable", "B=2"),
             ("ActionID", "7")],
            b"Action: Originate\r\nChannel: PJSIP/alice\r\nVariable: A=1\r\nVariable: B=2\r\nActionID: 7\r\n\r\n",
            id="repeated-headers-in-order",
        ),
        pytest.param({"Action": "Ping", "ActionID": "1"}, b"Action: Ping\r\nActionID: 1\r\n\r\n", id="dict"),
        pytest.param([("Action", "Originate"), ("Async", True), ("EarlyMedia", False)],
                     b"Action: Originate\r\nAsync: true\r\nEarlyMedia: false\r\n\r\n", id="bool"),
        pytest.param([("Action", "Originate"), ("Timeout", 30000), ("Priority", 1)],
                     b"Action: Originate\r\nTimeout: 30000\r\nPriority: 1\r\n\r\n", id="int"),
        pytest.param([("Action", "Setvar"), ("Value", "")], b"Action: Setvar\r\nValue: \r\n\r\n", id="empty-value"),
        pytest.param([("Action", "Setvar"), ("Value", " a:b ")], b"Action: Setvar\r\nValue:  a:b \r\n\r\n",
                     id="value-spaces-and-colon-kept"),
        pytest.param([("Action", "Setvar"), ("Value", "José ☎")], "Action: Setvar\r\nValue: José ☎\r\n\r\n".encode(),
                     id="utf-8"),
        pytest.param(msg(("Action", "Ping"), ("ActionID", "9")), b"Action: Ping\r\nActionID: 9\r\n\r\n", id="Message"),
    ],
)
def test_encode_action(headers, expected):
    assert encode_action(headers) == expected


@pytest.mark.parametrize(
    "headers, error",
    [
        pytest.param([("Action", "Ping"), ("ActionID", "x\r\nAction: Hangup")], "line break", id="crlf-in-value"),
        pytest.param([("Action", "Ping"), ("ActionID", "x\nAction: Hangup")], "line break", id="lf-in-value"),
        pytest.param([("Action", "Ping"), ("ActionID", "x\r")], "line break", id="cr-in-value"),
        pytest.param([("Action", "Ping"), ("Action\r\nX", "y")], "line break", id="crlf-in-key"),
        pytest.param([("Action", "Ping"), ("A\nB", "y")], "line break", id="lf-in-key"),
        pytest.param([("Action", "Ping"), ("A:B", "y")], "colon", id="colon-in-key"),
        pytest.param([("Action", "Ping"), ("", "y")], "non-empty", id="empty-key"),
        pytest.param([("Action", "Ping"), (None, "y")], "non-empty", id="None-key"),
        pytest.param([("Action", "Ping"), (" ActionID", "y")], "spaces", id="leading-space-in-key"),
        pytest.param([("Action", "Ping"), ("ActionID ", "y")], "spaces", id="trailing-space-in-key"),
        pytest.param([("Action", "Ping"), ("ActionID\t", "y")], "spaces", id="tab-in-key"),
        pytest.param([], "at least one header", id="no-headers"),
        pytest.param({}, "at least one header", id="empty-dict"),
        # Asterisk reads a line into 1024 bytes, CR LF included: a longer line is cut, and a line of exactly
        # 1023 bytes has its CR and LF read apart, as the empty line that ends a message (what follows runs)
        pytest.param([("Action", "Ping"), ("Data", "y" * 1017)], "1,023 bytes", id="line-of-1023-bytes"),
        pytest.param([("Action", "Ping"), ("Data", "y" * 2040)], "2,046 bytes", id="line-of-2046-bytes"),
        pytest.param([("Action", "Ping"), ("Data", "\u044f" * 600)], "1,206 bytes", id="long-in-utf8-bytes"),
        pytest.param([("Action", "Ping"), ("Action", "UserEvent")], "two Action headers", id="second-action"),
        pytest.param([("Action", "Ping"), ("action", "UserEvent")], "two Action headers", id="second-action-lower"),
    ],
)
def test_encode_action_refuses(headers, error):
    with pytest.raises(HeaderError, match=error):
        encode_action(headers)


def test_a_line_of_1022_bytes_is_the_longest_sent():
    data = encode_action([("Action", "Ping"), ("Data", "y" * 1016)])
    assert max(len(line) for line in data.split(b"\r\n")) == 1022


def test_header_error_is_a_value_error():
    assert issubclass(HeaderError, ValueError)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param([("Action", "Login"), ("Username", "admin"), ("Secret", "hunter2\r\nAction: Hangup")], id="Secret"),
        pytest.param([("Action", "Login"), ("Username", "admin"), ("secret", "hunter2\n")], id="secret-lower"),
        pytest.param([("Action", "Login"), ("AuthType", "md5"), ("Key", "hunter2\r\n")], id="login-Key"),
    ],
)
def test_header_error_does_not_show_the_secret(headers):
    with pytest.raises(HeaderError) as exc:
        encode_action(headers)
    assert "hunter2" not in str(exc.value)
    assert MASK in str(exc.value)


def test_header_error_shows_an_ordinary_value():
    with pytest.raises(HeaderError) as exc:
        encode_action([("Action", "Ping"), ("ActionID", "x\r\nAction: Hangup")])
    assert "Action: Hangup" in str(exc.value)


@pytest.mark.parametrize(
    "headers, expected",
    [
        pytest.param(msg(("Event", "A"), (None, "free text"), ("K", " v")), b"Event: A\r\nfree text\r\nK:  v\r\n\r\n",
                     id="no-colon-line-as-is"),
        pytest.param(msg(("Response", "Success")), b"Response: Success\r\n\r\n", id="plain"),
    ],
)
def test_encode_message(headers, expected):
    assert encode_message(headers) == expected
    assert parse(expected) == [headers]


def _line_of(length: int) -> tuple[str, str]:
    """A header whose line with its CRLF is `length` bytes."""
    return ("Data", "v" * (length - len("Data: \r\n")))


@pytest.mark.parametrize(
    "headers, warnings",
    [
        pytest.param([("Action", "Ping")], 0, id="small"),
        pytest.param([("Action", "Setvar"), _line_of(ASTERISK_MAX_LINE)], 0, id="1024-byte-line"),
        pytest.param([("Action", "Setvar"), _line_of(ASTERISK_MAX_LINE + 1)], 1, id="1025-byte-line"),
        pytest.param([("Action", "Setvar"), _line_of(2000), _line_of(3000)], 2, id="two-long-lines"),
        pytest.param([("Action", "Setvar"), ("Data", "é" * 508)], 0, id="1024-bytes-in-utf-8"),
        pytest.param([("Action", "Setvar"), ("Data", "é" * 509)], 1, id="1026-bytes-in-utf-8"),
        pytest.param([("Action", "Originate")] + [("Variable", f"v{i}=1") for i in range(ASTERISK_MAX_HEADERS - 1)],
                     0, id="128-headers"),
        pytest.param([("Action", "Originate")] + [("Variable", f"v{i}=1") for i in range(ASTERISK_MAX_HEADERS)],
                     1, id="129-headers"),
    ],
)
def test_limit_warnings(headers, warnings):
    assert len(limit_warnings(headers)) == warnings


def test_limit_warnings_text():
    [w] = limit_warnings([("Action", "Setvar"), _line_of(1025)])
    assert "Data" in w and "1025" in w
    [w] = limit_warnings({f"H{i}": "x" for i in range(129)})
    assert "129" in w and "128" in w


@pytest.mark.parametrize(
    "data, expected",
    [
        pytest.param(b"Action: Login\r\nUsername: a\r\nSecret: hunter2\r\n\r\n",
                     b"Action: Login\r\nUsername: a\r\nSecret: ********\r\n\r\n", id="login-secret"),
        pytest.param(b"Action: Login\r\nAuthType: md5\r\nKey: 0a1b\r\n\r\n",
                     b"Action: Login\r\nAuthType: md5\r\nKey: ********\r\n\r\n", id="login-key"),
        pytest.param(b"Key: 0a1b\r\naction: LOGIN\r\n\r\n", b"Key: ********\r\naction: LOGIN\r\n\r\n",
                     id="login-key-before-action-any-case"),
        pytest.param(b"Action: DBPut\r\nFamily: f\r\nKey: k\r\nVal: v\r\n\r\n",
                     b"Action: DBPut\r\nFamily: f\r\nKey: k\r\nVal: v\r\n\r\n", id="dbput-key-untouched"),
        pytest.param(b"Event: PeerEntry\nsecret:abc\n\n", b"Event: PeerEntry\nsecret:********\n\n",
                     id="secret-anywhere-lf-no-space"),
        pytest.param(b"Response: Success\r\nLine-000001-000002: secret=xyz\r\nLine-000001-000003: context=a\r\n\r\n",
                     b"Response: Success\r\nLine-000001-000002: secret=********\r\nLine-000001-000003: context=a\r\n\r\n",
                     id="getconfig-secret"),
        pytest.param(b"Line-000000-000004: password = pw\r\nLine-000000-000005: md5secret=x\r\n",
                     b"Line-000000-000004: password = ********\r\nLine-000000-000005: md5secret=********\r\n",
                     id="getconfig-password-md5secret"),
        pytest.param(b"Line-000000-000004: secretary=bob\r\n", b"Line-000000-000004: secretary=bob\r\n",
                     id="getconfig-not-a-secret"),
        pytest.param(b"Event: A\r\nSecretary: bob\r\n\r\n", b"Event: A\r\nSecretary: bob\r\n\r\n",
                     id="secretary-not-a-secret"),
        pytest.param(b"", b"", id="empty"),
    ],
)
def test_mask_secrets(data, expected):
    assert mask_secrets(data) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("Asterisk Call Manager/11.0.0", True, id="asterisk-modern"),
        pytest.param("Asterisk Call Manager/1.1", True, id="asterisk-1.4"),
        pytest.param("Asterisk Call Manager Proxy/1.0", True, id="astmanproxy"),
        pytest.param("OpenPBX Call Manager/1.0", True, id="openpbx"),
        pytest.param("CallWeaver Call Manager/1.0", True, id="callweaver"),
        pytest.param("SSH-2.0-OpenSSH_9.2", False, id="ssh"),
        pytest.param("HTTP/1.1 400 Bad Request", False, id="http"),
        pytest.param("220 smtp ESMTP", False, id="smtp"),
        pytest.param("", False, id="empty"),
    ],
)
def test_is_ami_banner(text, expected):
    assert is_ami_banner(text) is expected


# -- properties ---------------------------------------------------------------------

TERMINATORS = [b"\r\n\r\n", b"\n\n", b"\r\n\n", b"\n\r\n"]
EOLS = [b"\r\n", b"\n"]

# a message line as bytes: realistic ones and random ones (often invalid UTF-8)
line_bytes = st.one_of(
    st.sampled_from(
        [b"Event: Newchannel", b"Variable: a=1", b"Output: x: y", b"Key:value", b"K:  two",
         b"no colon here", "CallerIDName: José".encode(), b"CallerIDName: " + CP1251_NAME, b"ActionID: 1"]
    ),
    st.binary(min_size=1, max_size=20).filter(lambda b: b"\r" not in b and b"\n" not in b),
).filter(lambda b: not b.lower().startswith(b"response: follows"))


@st.composite
def ami_stream(draw):
    """(stream bytes, expected raws): several messages, any line ends, blank lines between."""
    parts = []
    raws = []
    for _ in range(draw(st.integers(1, 5))):
        parts.append(b"".join(draw(st.lists(st.sampled_from(EOLS), max_size=2))))
        if draw(st.integers(0, 5)) == 0:
            body = draw(st.lists(st.sampled_from([b"out", b"", b"a: b", b"x  y"]), max_size=4))
            raw = (
                b"Response: Follows\r\nPrivilege: Command\r\n"
                + b"".join(b + b"\n" for b in body)
                + draw(st.sampled_from([b"", b"tail"]))
                + b"--END COMMAND--"
                + draw(st.sampled_from(TERMINATORS))
            )
        else:
            lines = draw(st.lists(line_bytes, min_size=1, max_size=5))
            first_keyed = next((line for line in lines if b":" in line), b"")
            if b":" not in lines[0] and first_keyed.split(b":")[0].strip().lower() in (b"event", b"response", b"action"):
                lines[0] = b"K: " + lines[0]  # else stray text before a message: cut off (tested on its own)
            raw = b"".join(line + draw(st.sampled_from(EOLS)) for line in lines[:-1])
            raw += lines[-1] + draw(st.sampled_from(TERMINATORS))
        parts.append(raw)
        raws.append(raw)
    return b"".join(parts), raws


@given(ami_stream(), st.data())
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_property_any_split_gives_the_same_messages(stream_raws, data):
    stream, raws = stream_raws
    whole = parse(stream)
    assert [m.raw for m in whole] == raws
    assert all(isinstance(m, Message) for m in whole)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=12)))
    bounds = [0, *cuts, len(stream)]
    chunks = [stream[a:b] for a, b in zip(bounds, bounds[1:])]
    assert norm(feed(chunks)) == norm(whole)


_text = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n")
keys = st.text(_text.filter(lambda c: c != ":"), min_size=1, max_size=12).filter(lambda k: k == k.strip())
values = st.text(_text, max_size=20)
no_colon_lines = st.text(_text.filter(lambda c: c != ":"), min_size=1, max_size=20)
header = st.one_of(st.tuples(keys, values), st.tuples(st.none(), no_colon_lines))


@given(st.lists(header, min_size=1, max_size=8))
@settings(max_examples=300)
def test_property_encode_then_parse_round_trips(headers):
    m = Message(headers)
    data = encode_message(m)
    assume(data[:17].lower() != b"response: follows")
    # lines with no colon before an Event/Response/Action line are stray text: cut off (tested above)
    keyed = [k.strip().lower() for k, _ in headers if k is not None]
    assume(headers[0][0] is not None or not keyed or keyed[0] not in ("event", "response", "action"))
    [parsed] = parse(data)
    assert parsed == m
    assert parsed.raw == data


@given(keys, values)
def test_property_encode_action_round_trips(key, value):
    data = encode_action([("Action", "Setvar"), (key, value)])
    [parsed] = parse(data)
    assert parsed.headers == [("Action", "Setvar"), (key, value)]


@given(keys, st.text(min_size=1), st.sampled_from(["\r", "\n", "\r\n"]))
def test_property_no_line_break_gets_through(key, value, brk):
    at = len(value) // 2
    with pytest.raises(HeaderError):
        encode_action([("Action", "Ping"), (key, value[:at] + brk + value[at:])])


garbage_token = st.one_of(
    st.binary(max_size=40),
    st.sampled_from([b"\r\n", b"\n", b"\r", b"\r\n\r\n", b"\n\n", b"Event: A\r\n", b"Response: Follows\r\n",
                     b"--END COMMAND--", b":", b"\xff\xfe", b"\xd0", b"Asterisk Call Manager/1.0\r\n"]),
)


@given(
    st.lists(garbage_token, max_size=40),
    st.data(),
    st.booleans(),
    st.integers(1, 80),
    st.integers(1, 80),
)
@settings(max_examples=400, deadline=None)
def test_property_garbage_never_raises_and_stays_bounded(tokens, data, expect_banner, max_message, max_line):
    stream = b"".join(tokens)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=15)))
    bounds = [0, *cuts, len(stream)]
    p = Parser(expect_banner=expect_banner, max_message=max_message, max_line=max_line)
    items = []
    for a, b in zip(bounds, bounds[1:]):
        items += p.receive_data(stream[a:b])
        assert p.buffered <= max(max_message, MAX_BANNER)
    items += p.eof()
    assert p.buffered == 0
    assert all(isinstance(it, (Message, Banner, ProtocolError)) for it in items)
    for it in items:
        if isinstance(it, Message):
            assert len(it.raw) <= max_message
        elif isinstance(it, ProtocolError):
            assert it.skipped > 0


@given(st.binary(max_size=300), st.integers(1, 50))
@settings(max_examples=300)
def test_property_default_parser_garbage_any_chunk_size(stream, size):
    whole = parse(stream)
    assert norm(feed(chunked(stream, size))) == norm(whole)


@given(st.lists(garbage_token, max_size=40), st.integers(2, 80), st.integers(1, 30))
@settings(max_examples=400, deadline=None)
def test_property_bounds_do_not_depend_on_chunking(tokens, max_message, size):
    """Whether a message is over max_message / max_line does not depend on how it was read.

    (Legacy 'Response: Follows' output is left out: its end is the marker, not a blank line.)
    """
    stream = b"".join(tokens)
    assume(b"response: follows" not in stream.lower())
    kw = dict(max_message=max_message, max_line=max_message // 2 + 1)
    whole = feed([stream], **kw)
    assert norm(feed(chunked(stream, size), **kw), sample=False) == norm(whole, sample=False)
    for it in whole:
        if isinstance(it, Message):
            assert len(it.raw) <= max_message


@pytest.mark.parametrize(
    "data, leaked",
    [
        pytest.param(
            b'Response: Success\r\nJSON: {"admin": {"secret": "amish-admin-secret", "read": "all"}}\r\n\r\n',
            b"amish-admin-secret",
            id="getconfigjson-secret",
        ),
        pytest.param(
            b'Response: Success\r\nJSON: {"7001": {"password":"p\\\\"w"}}\r\n\r\n',
            b'p\\\\"w',
            id="getconfigjson-password-with-escaped-quote",
        ),
    ],
)
def test_getconfigjson_secrets_are_masked(data, leaked):
    [m] = parse(data)
    masked = m.masked()
    assert leaked not in masked.raw
    assert leaked.decode() not in masked.get("JSON")
    assert '"********"' in masked.get("JSON")
    assert leaked not in mask_secrets(data)


@pytest.mark.parametrize(
    "data, kind",
    [
        (b"Event: Newchannel\r\nChannel: x\r\n\r\n", "event"),
        (b"Response: Success\r\nPing: Pong\r\n\r\n", "response"),
        (b"event:Hangup\n\n", "event"),
        (b"RESPONSE: Error\r\n\r\n", "response"),
        (b"Action: Ping\r\n\r\n", "action"),
        (b"Foo: bar\r\n\r\n", ""),
        (b"no colon at all\r\n\r\n", ""),
    ],
)
def test_kind_is_read_from_the_bytes_without_parsing(data, kind):
    [m] = parse(data)
    assert m.kind == kind
    if kind:
        assert m._headers is None  # framing only: the headers wait until someone reads them
    assert m.kind == Message(m.headers).kind  # and the parsed answer agrees


def test_headers_are_parsed_on_first_access_and_kept():
    [m] = parse(b"Event: VarSet\r\nVariable: A\r\nValue: 1\r\n\r\n")
    assert m._headers is None
    first = m.headers
    assert first == [("Event", "VarSet"), ("Variable", "A"), ("Value", "1")]
    assert m.headers is first


# -- Message.get on raw bytes: the fast path must give what the full parse gives ------

_raw_line = st.one_of(
    st.sampled_from([b"Event: Newchannel", b"event: lower", b"EVENT: upper", b"Privilege: call,all",
                     b"ActionID: 7", b"actionid:8", b"ACTIONID:  9", b"Key: x", b"\xe2\x84\xaaey: kelvin",
                     b"Value: caf\xc3\xa9", b"Value: caf\xe9", b"Empty:", b"Empty: ", b"no colon here",
                     b" Event: leading space", b"Event : space before colon", b"A: x\r", b"A: x\r\r", b"A:\ry"]),
    st.binary(max_size=12),
)
_raw_end = st.sampled_from([b"\r\n", b"\n"])
_get_keys = ["Event", "event", "EVENT", "Privilege", "ActionID", "actionid", "Key", "key", "Value", "Empty",
             "A", "Missing", "no colon here", " Event", "Event ", "k\u212aey", ""]


@given(st.lists(st.tuples(_raw_line, _raw_end), min_size=1, max_size=8))
@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
def test_property_get_from_raw_bytes_equals_the_full_parse(lines):
    raw = b"".join(line + end for line, end in lines) + b"\r\n"
    for key in _get_keys:
        fast = Message.from_raw(raw)
        full = Message.from_raw(raw)
        full.headers  # parsed: get() goes through the index
        assert fast.get(key) == full.get(key), (key, raw)


@pytest.mark.parametrize(
    "raw, key, expected",
    [
        (b"Event: A\r\nPrivilege: call\r\n\r\n", "Privilege", "call"),
        (b"Event: A\r\nprivilege: low\r\nPrivilege: exact\r\n\r\n", "Privilege", "low"),  # the first, any case
        (b"Event: A\r\nValue:  two spaces\r\n\r\n", "Value", " two spaces"),
        (b"Event: A\r\nValue: x\r\r\n\r\n", "Value", "x\r"),
        (b"Event: A\r\nName: Jos\xe9\r\n\r\n", "Name", "Jos\xe9"),  # not UTF-8: the fallback encoding
        (b"Event: A\r\n\xe2\x84\xaaey: kelvin\r\nKey: ascii\r\n\r\n", "Key", "kelvin"),  # KELVIN SIGN lowers to k
        (b"Event: A\r\nMissing\r\n\r\n", "Missing", None),
    ],
)
def test_get_from_raw_bytes(raw, key, expected):
    assert Message.from_raw(raw).get(key) == expected
