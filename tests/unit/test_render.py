"""amish.ui.render: how results and events look, checked on plain text (and on ANSI codes).

The messages are real ones from the sandbox Asterisk 22 (ActionIDs and times aside).
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass, field

import pytest
from rich.cells import cell_len

from amish.transports.connection import Pending
from amish.core.protocol import Banner, Message, Parser, ProtocolError
from amish.ui.render import (
    render_event_full,
    render_event_line,
    render_message,
    render_protocol_error,
    render_result,
    to_ansi,
    to_plain,
)
from amish.ui.render.ansi import _render

WIDE = 250


def result(action, response, events=(), complete=None, event=None, rtt=0.0032):
    """A finished Pending as the connection would leave it."""
    action = Message(list(action))
    pending = Pending(action, action.get("ActionID") or "amish-4242-7", None)
    pending.response = Message(list(response)) if response is not None else None
    pending.events = [Message(list(e)) for e in events]
    pending.complete = Message(list(complete)) if complete else None
    pending.event = Message(list(event)) if event else None
    pending.done_at = pending.sent_at + rtt
    return pending


@dataclass
class FakeResult:
    """Anything with Pending's attributes renders too."""

    action: Message
    response: Message | None
    events: list = field(default_factory=list)
    complete: Message | None = None
    event: Message | None = None
    rtt: float | None = None
    error: Exception | None = None


def lines_of(text: str) -> list[str]:
    return text.split("\n")


# -- realistic messages --------------------------------------------------------

PING = result(
    [("Action", "Ping")],
    [("Response", "Success"), ("ActionID", "amish-4242-7"), ("Ping", "Pong"), ("Timestamp", "1795742453.667349")],
)

COMMAND_OUTPUT = [
    "Channel                                                          Location                         State   Application(Data)             ",
    "Local/hold@amish-test-00000003;1                                 hold@amish-test:1                Up      Wait(5)                       ",
    "Local/hold@amish-test-00000003;2                                 hold@amish-test:2                Up      Wait(60)                      ",
    "2 active channels",
    "1 active call",
    "4 calls processed",
]
COMMAND = result(
    [("Action", "Command"), ("Command", "core show channels")],
    [("Response", "Success"), ("ActionID", "amish-4242-7"), ("Message", "Command output follows")]
    + [("Output", line) for line in COMMAND_OUTPUT],
)
INDENTED = result(
    [("Action", "Command"), ("Command", "dialplan show amish-test")],
    [("Response", "Success"), ("ActionID", "amish-4242-7"), ("Message", "Command output follows"),
     ("Output", "[ Context 'amish-test' created by 'pbx_config' ]"),
     ("Output", "  'hold' =>         1. Answer()                                   [extensions.conf:12]"),
     ("Output", "                    2. Wait(60)                                   [extensions.conf:13]"),
     ("Output", ""),
     ("Output", "-= 3 extensions (8 priorities) in 1 context. =-")],
)
ERROR = result(
    [("Action", "Foo")],
    [("Response", "Error"), ("ActionID", "amish-4242-7"),
     ("Message", "Invalid/unknown command: Foo. Use Action: ListCommands to show available commands.")],
)


def core_show_channel(n, action_id="amish-4242-7"):
    return [
        ("Event", "CoreShowChannel"), ("ActionID", action_id),
        ("Channel", f"Local/hold@amish-test-00000003;{n}"), ("ChannelState", "6"),
        ("ChannelStateDesc", "Up"), ("CallerIDNum", "<unknown>"), ("CallerIDName", "<unknown>"),
        ("ConnectedLineNum", "<unknown>"), ("ConnectedLineName", "<unknown>"), ("Language", "en"),
        ("AccountCode", ""), ("Context", "amish-test"), ("Exten", "hold"), ("Priority", str(n)),
        ("Uniqueid", f"1795742452.{5 + n}"), ("Linkedid", "1795742452.6"), ("Application", "Wait"),
        ("ApplicationData", "5" if n == 1 else "60"), ("Duration", "00:00:01"), ("BridgeId", ""),
    ]


CHANNELS_RESPONSE = [("Response", "Success"), ("ActionID", "amish-4242-7"), ("EventList", "start"),
                     ("Message", "Channels will follow")]


def channels_complete(n):
    return [("Event", "CoreShowChannelsComplete"), ("ActionID", "amish-4242-7"), ("EventList", "Complete"),
            ("ListItems", str(n))]


CHANNELS = result([("Action", "CoreShowChannels")], CHANNELS_RESPONSE,
                  [core_show_channel(1), core_show_channel(2)], channels_complete(2))

GETCONFIG = result(
    [("Action", "GetConfig"), ("Filename", "manager.conf")],
    [("Response", "Success"), ("ActionID", "amish-4242-7"),
     ("Category-000000", "general"), ("Line-000000-000000", "enabled=yes"),
     ("Line-000000-000001", "port=15038"), ("Line-000000-000002", "bindaddr=127.0.0.1"),
     ("Category-000001", "admin"), ("Line-000001-000000", "secret=amish-admin-secret"),
     ("Line-000001-000001", "deny=0.0.0.0/0.0.0.0"), ("Line-000001-000002", "permit=127.0.0.1/255.255.255.255"),
     ("Line-000001-000003", "read=all"), ("Line-000001-000004", "write=all")],
)

DBGET = result(
    [("Action", "DBGet"), ("Family", "fam"), ("Key", "k1")],
    [("Response", "Success"), ("ActionID", "amish-4242-7"), ("EventList", "start"), ("Message", "Result will follow")],
    [[("Event", "DBGetResponse"), ("Family", "fam"), ("Key", "k1"), ("Val", "v1"), ("ActionID", "amish-4242-7")]],
    [("Event", "DBGetComplete"), ("ActionID", "amish-4242-7"), ("EventList", "Complete"), ("ListItems", "1")],
)

ORIGINATE_FAILED = result(
    [("Action", "Originate"), ("Channel", "Local/nosuch@amish-test"), ("Application", "Wait"), ("Async", "true")],
    [("Response", "Success"), ("ActionID", "amish-4242-7"), ("Message", "Originate successfully queued")],
    event=[("Event", "OriginateResponse"), ("Privilege", "call,all"), ("ActionID", "amish-4242-7"),
           ("Response", "Failure"), ("Channel", "Local/nosuch@amish-test"), ("Application", "Wait"),
           ("Data", "2"), ("Reason", "0"), ("Uniqueid", "<unknown>"), ("CallerIDNum", "<unknown>"),
           ("CallerIDName", "<unknown>")],
)

NEWCHANNEL = Message([
    ("Event", "Newchannel"), ("Privilege", "call,all"), ("Channel", "PJSIP/alice-00000004"),
    ("ChannelState", "0"), ("ChannelStateDesc", "Down"), ("CallerIDNum", "1001"), ("CallerIDName", "Alice"),
    ("ConnectedLineNum", "<unknown>"), ("ConnectedLineName", "<unknown>"), ("Language", "en"),
    ("AccountCode", ""), ("Context", "from-internal"), ("Exten", "200"), ("Priority", "1"),
    ("Uniqueid", "1795742460.8"), ("Linkedid", "1795742460.8"),
])
HANGUP = Message([
    ("Event", "Hangup"), ("Privilege", "call,all"), ("Channel", "PJSIP/alice-00000004"),
    ("ChannelState", "6"), ("ChannelStateDesc", "Up"), ("CallerIDNum", "1001"), ("CallerIDName", "Alice"),
    ("ConnectedLineNum", "200"), ("ConnectedLineName", "<unknown>"), ("Language", "en"), ("AccountCode", ""),
    ("Context", "from-internal"), ("Exten", "200"), ("Priority", "3"), ("Uniqueid", "1795742460.8"),
    ("Linkedid", "1795742460.8"), ("Cause", "16"), ("Cause-txt", "Normal Clearing"),
])
VARSET = Message([
    ("Event", "VarSet"), ("Privilege", "dialplan,all"), ("Channel", "PJSIP/alice-00000004"),
    ("ChannelState", "6"), ("ChannelStateDesc", "Up"), ("CallerIDNum", "1001"), ("CallerIDName", "Alice"),
    ("Language", "en"), ("AccountCode", ""), ("Context", "from-internal"), ("Exten", "200"), ("Priority", "2"),
    ("Uniqueid", "1795742460.8"), ("Linkedid", "1795742460.8"), ("Variable", "BRIDGEPEER"),
    ("Value", "PJSIP/bob-00000005"),
])
DIALBEGIN = Message([
    ("Event", "DialBegin"), ("Privilege", "call,all"), ("Channel", "PJSIP/alice-00000004"),
    ("DestChannel", "PJSIP/bob-00000005"), ("DestChannelState", "0"), ("DestChannelStateDesc", "Down"),
    ("DestUniqueid", "1795742460.9"), ("DialString", "bob"),
])
UNKNOWN = Message([
    ("Event", "MyCustomThing"), ("Privilege", "user,all"), ("SequenceNumber", "12"), ("File", "x.c"),
    ("Foo", "1"), ("Bar", "2"), ("Baz", "3"), ("Qux", "4"),
])
INVALID_PASSWORD = Message([
    ("Event", "InvalidPassword"), ("Privilege", "security,all"), ("EventTV", "2025-01-01T00:00:00.000+0000"),
    ("Severity", "Error"), ("Service", "AMI"), ("EventVersion", "2"), ("AccountID", "admin"),
    ("SessionID", "0x7f0000000001"), ("LocalAddress", "IPV4/TCP/127.0.0.1/15038"),
    ("RemoteAddress", "IPV4/TCP/127.0.0.1/55555"),
])


# -- results --------------------------------------------------------------------


@pytest.mark.parametrize(
    "res, expected, absent",
    [
        (PING, ["✔ Success", "Ping", "3.2 ms", "Pong", "Timestamp", "1795742453.667349"], ["amish-4242-7", "Response"]),
        (ERROR, ["✖ Error", "Foo", "Invalid/unknown command: Foo."], ["✔", "amish-4242-7"]),
        (result([("Action", "Ping"), ("ActionID", "mine-1")],
                [("Response", "Success"), ("ActionID", "mine-1"), ("Ping", "Pong")]), ["✔ Success", "mine-1"], []),
        (result([("Action", "Logoff")], [("Response", "Goodbye"), ("Message", "Thanks for all the fish.")]),
         ["✔ Goodbye", "Thanks for all the fish."], ["✖"]),
        (ORIGINATE_FAILED, ["✔ Success", "Originate successfully queued", "✖ OriginateResponse Failure",
                            "Reason: 0 (failed)", "Local/nosuch@amish-test"], ["Privilege"]),
        (FakeResult(Message([("Action", "Ping")]), None, error=TimeoutError("Ping: no response within 1 s")),
         ["✖", "Ping", "no response within 1 s"], ["✔"]),
    ],
    ids=["ping", "error", "user-actionid", "goodbye", "originate-failed", "no-response"],
)
def test_status_line_and_headers(res, expected, absent):
    out = to_plain(render_result(res), 120)
    for text in expected:
        assert text in out
    for text in absent:
        assert text not in out


def test_an_error_asterisk_words_obscurely_is_explained_in_one_line():
    for message in ("File requires escalated privileges", "File requires escalated priveledges"):
        result = FakeResult(Message([("Action", "UpdateConfig")]),
                            Message([("Response", "Error"), ("ActionID", "amish-1-2"), ("Message", message)]))
        lines = lines_of(to_plain(render_result(result), 300))
        assert lines[0].startswith("✖ Error  UpdateConfig  File requires escalated")
        assert "does not exist yet or lies outside its config directory" in lines[1]
        assert "CreateConfig" in lines[1]
    plain = FakeResult(Message([("Action", "Foo")]), Message([("Response", "Error"), ("Message", "Invalid/unknown command: Foo.")]))
    assert len(lines_of(to_plain(render_result(plain), 300))) == 1  # other errors as they were


def test_the_first_line_says_success_or_error_in_words():
    assert lines_of(to_plain(render_result(PING), 80))[0] == "✔ Success  Ping  3.2 ms"
    assert lines_of(to_plain(render_result(ERROR), 200))[0].startswith("✖ Error  Foo  Invalid/unknown command")


def test_headers_are_aligned_in_two_columns():
    out = lines_of(to_plain(render_result(PING), 80))
    assert out[1:] == ["Ping       Pong", "Timestamp  1795742453.667349"]


@pytest.mark.parametrize("res, output", [(COMMAND, COMMAND_OUTPUT), (INDENTED, None)], ids=["channels", "indented"])
def test_command_output_lines_are_exact(res, output):
    output = output or res.response.getall("Output")
    out = lines_of(to_plain(render_result(res), 160))
    assert out[0] == "✔ Success  Command  Command output follows  3.2 ms"
    assert out[1:] == [line.rstrip() for line in output]


def test_command_output_keeps_leading_spaces():
    out = lines_of(to_plain(render_result(INDENTED), 120))
    assert "                    2. Wait(60)                                   [extensions.conf:13]" in out
    assert "  'hold' =>         1. Answer()                                   [extensions.conf:12]" in out
    assert "" in out  # the empty line of the output is kept


def test_command_output_is_cut_at_the_width_not_rewrapped():
    out = lines_of(to_plain(render_result(COMMAND), 40))
    assert all(cell_len(line) <= 40 for line in out)
    for line in COMMAND_OUTPUT:
        line = line.rstrip()
        chunks = [line[i:i + 40].rstrip() for i in range(0, len(line), 40)]
        start = out.index(chunks[0])
        assert out[start:start + len(chunks)] == chunks  # columns kept, cut every 40 cells


def test_list_as_a_table_with_one_row_per_item():
    out = to_plain(render_result(CHANNELS), WIDE)
    lines = lines_of(out)
    assert lines[1] == "CoreShowChannel"  # the event name is the title
    header = lines[2]
    assert header.split()[:3] == ["Channel", "ChannelState", "ChannelStateDesc"]
    assert "Event" not in header.split() and "ActionID" not in header.split()
    rows = [line for line in lines if line.startswith("Local/hold@amish-test-00000003;")]
    assert len(rows) == 2
    assert rows[0].split()[:3] == ["Local/hold@amish-test-00000003;1", "6", "Up"]
    assert rows[1].split()[-1] == "00:00:01"
    assert "2 items" in lines[-1]
    assert "amish-4242-7" not in out
    assert "ListItems" not in out  # it agrees: nothing to say


def test_a_list_too_wide_leaves_out_the_columns_that_are_the_same_and_says_their_values():
    out = to_plain(render_result(CHANNELS), 100)
    lines = lines_of(out)
    assert lines[1] == "CoreShowChannel"
    assert lines[2].split() == ["Channel", "Priority", "Uniqueid", "ApplicationData"]
    assert lines[4].split() == ["Local/hold@amish-test-00000003;1", "1", "1795742452.6", "5"]
    assert lines[5].split() == ["Local/hold@amish-test-00000003;2", "2", "1795742452.7", "60"]
    caption = " ".join(lines[6:])
    assert caption.startswith("2 items  empty: AccountCode, BridgeId  same in every item: ChannelState=6,")
    for same in ("ChannelStateDesc=Up", "Context=amish-test", "Exten=hold", "Linkedid=1795742452.6",
                 "Application=Wait", "Duration=00:00:01"):
        assert same in caption
    assert all(cell_len(line) <= 100 for line in lines)


def test_a_list_still_too_wide_becomes_one_record_per_item():
    out = to_plain(render_result(CHANNELS), 60)
    lines = lines_of(out)
    assert any(line.startswith("CoreShowChannel 1/2 ─") for line in lines)
    assert any(line.startswith("CoreShowChannel 2/2 ─") for line in lines)
    assert [line.split()[-1] for line in lines if line.startswith("Channel ")] == [
        "Local/hold@amish-test-00000003;1", "Local/hold@amish-test-00000003;2"]
    assert "Context            amish-test" in lines
    assert lines[-1] == "2 items"
    assert all(cell_len(line) <= 60 for line in lines)


def test_list_items_of_different_events_keep_an_event_column():
    items = [
        [("Event", "EndpointList"), ("ActionID", "x1"), ("ObjectType", "endpoint"), ("ObjectName", "alice"),
         ("DeviceState", "Not in use")],
        [("Event", "EndpointList"), ("ActionID", "x1"), ("ObjectType", "endpoint"), ("ObjectName", "bob"),
         ("DeviceState", "Unavailable")],
        [("Event", "ContactList"), ("ActionID", "x1"), ("ObjectType", "contact"), ("ObjectName", "alice;@1"),
         ("Uri", "sip:alice@10.0.0.5:5060")],
    ]
    res = result([("Action", "PJSIPShowThings")],
                 [("Response", "Success"), ("ActionID", "x1"), ("EventList", "start")], items,
                 [("Event", "ThingsComplete"), ("ActionID", "x1"), ("EventList", "Complete"), ("ListItems", "3")])
    lines = lines_of(to_plain(render_result(res), 120))
    header = next(line for line in lines if line.startswith("Event"))
    assert header.split() == ["Event", "ObjectType", "ObjectName", "DeviceState", "Uri"]
    assert any(line.split()[:3] == ["ContactList", "contact", "alice;@1"] for line in lines)
    assert lines[-1] == "3 items"


@pytest.mark.parametrize(
    "said, expected",
    [("3", "2 items  but CoreShowChannelsComplete says ListItems: 3"), ("2", "2 items"),
     ("lots", "says ListItems: lots")],
)
def test_list_items_count_disagreeing_is_reported(said, expected):
    res = result([("Action", "CoreShowChannels")], CHANNELS_RESPONSE,
                 [core_show_channel(1), core_show_channel(2)], channels_complete(said))
    out = to_plain(render_result(res), WIDE)
    assert expected in out
    if said == "2":
        assert "ListItems" not in out


def test_an_empty_list_says_zero_items():
    res = result([("Action", "CoreShowChannels")], CHANNELS_RESPONSE, [], channels_complete(0))
    assert lines_of(to_plain(render_result(res), 80)) == [
        "✔ Success  CoreShowChannels  Channels will follow  3.2 ms", "0 items"]


def test_a_list_cut_short_says_so():
    res = result([("Action", "CoreShowChannels")], CHANNELS_RESPONSE, [core_show_channel(1)], None)
    assert "no ...Complete event" in to_plain(render_result(res), 120)


def test_dbget_shows_family_key_val():
    lines = lines_of(to_plain(render_result(DBGET), 80))
    assert lines[0] == "✔ Success  DBGet  Result will follow  3.2 ms"
    assert lines[1].startswith("DBGetResponse")
    assert lines[2:5] == ["Family  fam", "Key     k1", "Val     v1"]
    assert lines[-1] == "1 item"


def test_getconfig_as_ini():
    lines = lines_of(to_plain(render_result(GETCONFIG), 80))
    assert lines == [
        "✔ Success  GetConfig  3.2 ms",
        "[general]", "enabled=yes", "port=15038", "bindaddr=127.0.0.1", "",
        "[admin]", "secret=********", "deny=0.0.0.0/0.0.0.0", "permit=127.0.0.1/255.255.255.255",
        "read=all", "write=all",
    ]


def test_getconfig_template_categories():
    res = result([("Action", "GetConfig"), ("Filename", "pjsip.conf")],
                 [("Response", "Success"), ("Category-000000", "endpoint-tpl"), ("IsTemplate-000000", "1"),
                  ("Line-000000-000000", "type=endpoint"), ("Category-000001", "alice"),
                  ("Templates-000001", "endpoint-tpl"), ("Line-000001-000000", "auth=alice"),
                  ("Category-000002", "alice-auth"), ("Line-000002-000000", "type=auth"),
                  ("Line-000002-000001", "password=s3cret!")])
    out = to_plain(render_result(res), 80)
    assert "[endpoint-tpl](!)" in out and "[alice](endpoint-tpl)" in out
    assert "password=********" in out and "s3cret" not in out


def test_getconfigjson_as_ini_with_secrets_masked():
    json_text = ('{"general":{"enabled":"yes","port":"15038"},'
                 '"admin":{"secret":"amish-admin-secret","read":"all"}}')
    res = result([("Action", "GetConfigJSON")], [("Response", "Success"), ("JSON", json_text)])
    out = to_plain(render_result(res), 80)
    assert "[general]\nenabled=yes\nport=15038\n\n[admin]\nsecret=********\nread=all" in out
    assert "amish-admin-secret" not in out


# -- secrets ----------------------------------------------------------------------

LOGIN_PLAIN = Message([("Action", "Login"), ("Username", "admin"), ("Secret", "amish-admin-secret"),
                       ("Events", "on"), ("ActionID", "amish-4242-1")])
LOGIN_MD5 = Message([("Action", "Login"), ("Username", "admin"), ("AuthType", "MD5"),
                     ("Key", "0123456789abcdef0123456789abcdef"), ("ActionID", "amish-4242-2")])


@pytest.mark.parametrize(
    "renderable, secret",
    [
        (render_result(result(LOGIN_PLAIN.headers, [("Response", "Success"), ("ActionID", "amish-4242-1"),
                                                     ("Message", "Authentication accepted")])),
         "amish-admin-secret"),
        (render_message(LOGIN_PLAIN), "amish-admin-secret"),
        (render_message(LOGIN_MD5), "0123456789abcdef"),
        (render_event_full(Message([("Event", "Odd"), ("Secret", "hunter2")])), "hunter2"),
        (render_event_line(Message([("Event", "Odd"), ("Secret", "hunter2"), ("Other", "x")])), "hunter2"),
        (render_result(GETCONFIG), "amish-admin-secret"),
        (render_message(Message([("Response", "Success"), ("Secret", "hunter2")])), "hunter2"),
        (render_protocol_error(ProtocolError("connection closed in the middle of a message", 60,
                                             b"Action: Login\r\nUsername: admin\r\nSecret: hunter2\r\n")),
         "hunter2"),
    ],
    ids=["login-result", "login-action", "login-md5-key", "event-full", "event-line", "getconfig",
         "late-response", "protocol-error"],
)
def test_secrets_are_never_drawn(renderable, secret):
    for out in (to_plain(renderable, 200), to_ansi(renderable, 200), to_plain(renderable, 30)):
        assert secret not in out
        assert secret[:8] not in out.replace("\n", "")
    plain = to_plain(renderable, 200)
    if not plain.startswith("✔ Success  Login"):  # a result does not show the action's headers at all
        assert "********" in plain


# -- event lines ------------------------------------------------------------------

TIME = re.compile(r"^\d\d:\d\d:\d\d\.\d\d\d ")


@pytest.mark.parametrize(
    "msg, expected",
    [
        (NEWCHANNEL, ["Newchannel", "PJSIP/alice-00000004", "Down", '"Alice" <1001>', "200@from-internal"]),
        (HANGUP, ["Hangup", "PJSIP/alice-00000004", "cause 16 (Normal Clearing)"]),
        (VARSET, ["VarSet", "PJSIP/alice-00000004", "BRIDGEPEER=PJSIP/bob-00000005"]),
        (DIALBEGIN, ["DialBegin", "PJSIP/alice-00000004 → PJSIP/bob-00000005", "DialString=bob"]),
        (UNKNOWN, ["MyCustomThing", "Foo=1 Bar=2 Baz=3"]),
        (INVALID_PASSWORD, ["InvalidPassword", "Service=AMI", "AccountID=admin",
                            "RemoteAddress=IPV4/TCP/127.0.0.1/55555"]),
        (Message([("Event", "PeerStatus"), ("Privilege", "system,all"), ("ChannelType", "PJSIP"),
                  ("Peer", "PJSIP/alice"), ("PeerStatus", "Reachable")]), ["PeerStatus", "PJSIP/alice Reachable"]),
        (Message([("Event", "FullyBooted"), ("Privilege", "system,all"), ("Status", "Fully Booted"),
                  ("Uptime", "638"), ("LastReload", "638")]), ["FullyBooted", "Fully Booted", "Uptime=638"]),
    ],
    ids=["newchannel", "hangup", "varset", "dialbegin", "unknown", "security", "peerstatus", "fullybooted"],
)
def test_event_line(msg, expected):
    line = render_event_line(msg, time.time())
    out = to_plain(line, 200)
    assert "\n" not in out
    assert TIME.match(out)
    for text in expected:
        assert text in out
    for boiler in ("Privilege", "SequenceNumber", "Linkedid", "1795742460.8", "call,all"):
        assert boiler not in out


def test_event_line_generic_fallback_takes_the_first_three_that_matter():
    out = to_plain(render_event_line(UNKNOWN), 200)
    assert out.split() == ["MyCustomThing", "Foo=1", "Bar=2", "Baz=3"]


def test_event_line_time_is_local_time_with_milliseconds():
    when = time.mktime((2025, 3, 4, 13, 14, 15, 0, 0, -1)) + 0.042
    assert to_plain(render_event_line(NEWCHANNEL, when), 200).startswith("13:14:15.042 Newchannel ")
    assert to_plain(render_event_line(NEWCHANNEL), 200).startswith("Newchannel ")


def test_event_line_never_wraps():
    out = to_plain(render_event_line(HANGUP, time.time()), 40)
    assert "\n" not in out and cell_len(out) == 40 and out.endswith("…")


def test_event_names_are_coloured_by_family():
    colours = {}
    for msg in (NEWCHANNEL, HANGUP, VARSET, DIALBEGIN, INVALID_PASSWORD):
        ansi = to_ansi(render_event_line(msg), 200)
        m = re.match(r"\x1b\[([0-9;]+)m", ansi)
        assert m, ansi
        colours[msg.get("Event")] = m.group(1)
    assert len(set(colours.values())) == 5
    # only the 16 standard colours: 30-37, 90-97
    for code in colours.values():
        assert all(int(c) in (1, 2) or 30 <= int(c) <= 37 or 90 <= int(c) <= 97 for c in code.split(";"))


def parse(data: bytes) -> Message:
    items = Parser(expect_banner=False).receive_data(data)
    assert len(items) == 1 and isinstance(items[0], Message)
    return items[0]


@pytest.mark.parametrize(
    "msg",
    [
        # a cp1251 CallerIDName: not UTF-8, decoded with the latin-1 fallback
        parse(b"Event: Newchannel\r\nChannel: SIP/100-00000001\r\nChannelStateDesc: Ring\r\nCallerIDNum: 100\r\n"
              b"CallerIDName: " + "Иван Петров".encode("cp1251") + b"\r\nExten: 200\r\nContext: default\r\n\r\n"),
        # C1 controls from cp1251 bytes (0x80-0x9f), ESC sequences, BEL, a lone surrogate, a NUL
        Message([("Event", "Newchannel"), ("Channel", "SIP/x-1"),
                 ("CallerIDName", "\x9b31m\x1b]8;;http://evil\x07click\x1b[2J\x00\udcff")]),
        Message([("Event", "VarSet"), ("Channel", "SIP/x-1"), ("Variable", "X"), ("Value", "a\tb\rc\x7f")]),
        Message([("Event", "Odd\x1b[31m"), (None, "a line with no colon \x1b[5m")]),
        Message([("Event", "Newchannel"), ("Channel", "中文/宽字符-渠道"), ("CallerIDName", "😀 émoji")]),
        Message([]),
    ],
    ids=["cp1251", "control-chars", "tab-cr-del", "odd-name", "wide-chars", "empty"],
)
def test_odd_values_are_drawn_safely(msg):
    for renderable in (render_event_line(msg, time.time()), render_event_full(msg), render_message(msg)):
        for width in (200, 40, 7):
            plain = to_plain(renderable, width)
            ansi = to_ansi(renderable, width)
            assert "\x1b" not in plain
            # no escape but SGR, no C1 control, nothing that cannot be encoded
            assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", re.sub(r"\x1b\[[0-9;]*m", "", ansi))
            ansi.encode("utf-8")
            assert all(cell_len(line) <= width for line in plain.split("\n"))


def test_control_characters_are_shown_escaped():
    msg = Message([("Event", "Newchannel"), ("Channel", "SIP/x-1"), ("CallerIDName", "a\x1b[2Jb")])
    assert '"a\\x1b[2Jb"' in to_plain(render_event_line(msg), 200)


def test_render_event_full_shows_every_header_aligned():
    lines = lines_of(to_plain(render_event_full(HANGUP), 100))
    assert len(lines) == len(HANGUP.headers)
    assert lines[0] == "Event              Hangup"
    assert lines[-1] == "Cause-txt          Normal Clearing"
    assert len({line.index(value) for line, (_, value) in zip(lines, HANGUP.headers) if value}) == 1


def test_render_message_for_banner_late_response_and_notices():
    assert to_plain(render_message(Banner("Asterisk Call Manager/11.0.0")), 80) == \
        "connected: Asterisk Call Manager/11.0.0"
    late = Message([("Response", "Success"), ("ActionID", "amish-4242-99"), ("Ping", "Pong")])
    out = to_plain(render_message(late), 120)
    assert out.startswith("✔ Success") and "amish-4242-99" in out and "Ping  Pong" in out

    @dataclass
    class Closed:
        reason: str

    assert to_plain(render_message(Closed("127.0.0.1:15038 closed the connection")), 80) == \
        "✖ 127.0.0.1:15038 closed the connection"


def test_protocol_error_is_one_red_line():
    err = ProtocolError("line longer than 1048576 bytes; message skipped", 2000000, b"Event: Big\r\nData: xxx")
    renderable = render_protocol_error(err)
    out = to_plain(renderable, 200)
    assert out == ("✖ protocol error: line longer than 1048576 bytes; message skipped (2000000 bytes skipped): "
                   "Event: Big\\r\\nData: xxx")
    assert "\x1b[31m" in to_ansi(renderable, 200) or "\x1b[1;31m" in to_ansi(renderable, 200)
    assert "\n" not in to_plain(renderable, 40)


# -- to_ansi / to_plain --------------------------------------------------------------

ALL = [
    render_result(PING), render_result(COMMAND), render_result(INDENTED), render_result(ERROR),
    render_result(CHANNELS), render_result(GETCONFIG), render_result(DBGET), render_result(ORIGINATE_FAILED),
    render_event_line(NEWCHANNEL, time.time()), render_event_line(HANGUP), render_event_full(INVALID_PASSWORD),
    render_message(Banner("Asterisk Call Manager/11.0.0")),
    render_protocol_error(ProtocolError("junk", 10, b"\x00\x01junk")),
]


@pytest.mark.parametrize("renderable", ALL)
def test_ansi_has_sgr_codes_only(renderable):
    out = to_ansi(renderable, 120)
    assert "\x1b]" not in out  # no OSC (hyperlinks)
    assert re.sub(r"\x1b\[[0-9;]*m", "", out).count("\x1b") == 0
    assert "\x1b[" in out  # colours are there
    plain_from_ansi = "\n".join(line.rstrip() for line in re.sub(r"\x1b\[[0-9;]*m", "", out).split("\n"))
    assert plain_from_ansi == to_plain(renderable, 120)


@pytest.mark.parametrize("renderable", ALL)
def test_no_color_env_gives_no_escape_codes(renderable, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b" not in to_ansi(renderable, 120)
    monkeypatch.delenv("NO_COLOR")
    assert "\x1b" not in to_ansi(renderable, 120, color=False)
    assert "\x1b" in to_ansi(renderable, 120)


@pytest.mark.parametrize("width", [40, 20])
@pytest.mark.parametrize("renderable", ALL)
def test_width_is_respected(renderable, width):
    for line in to_plain(renderable, width).split("\n"):
        assert cell_len(line) <= width, line
    for line in re.sub(r"\x1b\[[0-9;]*m", "", to_ansi(renderable, width)).split("\n"):
        assert cell_len(line) <= width, line


def test_env_does_not_change_the_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "20")
    monkeypatch.setenv("TERM", "dumb")
    out = to_plain(render_event_line(HANGUP), 200)
    assert "Normal Clearing" in out


@pytest.mark.parametrize("msg", [NEWCHANNEL, HANGUP, VARSET, DIALBEGIN, UNKNOWN, INVALID_PASSWORD])
@pytest.mark.parametrize("width", [200, 60, 30, 5])
@pytest.mark.parametrize("color", [True, False])
def test_fast_path_for_one_line_matches_rich(msg, width, color):
    line = render_event_line(msg, 1795742453.5)
    assert to_ansi(line, width, color) == _render(line, width, color)


# The speed of render_event_line (< 200 µs per event) is measured by bench/micro.py.


def test_importing_render_does_not_import_prompt_toolkit():
    code = "import sys, amish.ui.render; sys.exit('prompt_toolkit' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
