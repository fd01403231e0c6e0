"""The debugger's wire tools: Tracer, Recorder, the dump readers and ReplayConnection."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import re
import stat
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amish.transports.connection import Closed, Connection
from amish.core.errors import AmishError, InputError
from amish.core.protocol import Message, ProtocolError, mask_secrets
from amish.transports.replay import BATCH, ReplayConnection, ReplayError
from amish.transports.wire import Recorder, Tracer, escape_bytes, read_any, read_dump, read_recording

from conftest import ADMIN

CLOCK = 1796000000.123456  # a fixed wall clock for the trace headers
HEADER = re.compile(
    r"^T (\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6}) (\S+) -> (\S+) \[(in|out|\w+)(?: flush:)? (\d+) bytes(.*)\]$"
)


def trace(*chunks: tuple[str, bytes], flush: bool = False) -> str:
    out = io.StringIO()
    tracer = Tracer(out, clock=lambda: CLOCK, peer="10.0.0.5:5038")
    for direction, data in chunks:
        tracer(direction, data)
    if flush:
        tracer.flush()
    return out.getvalue()


def blocks(text: str) -> list[list[str]]:
    """The trace split into its blocks (header line, payload lines)."""
    assert text.endswith("\n\n") or not text
    return [block.split("\n") for block in text[:-2].split("\n\n")] if text else []


def unescape(lines: list[str]) -> bytes:
    """Recover the bytes from printed payload lines (the trace's escaping, undone)."""
    out = bytearray()
    text = "".join(lines)
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            nxt = text[i + 1]
            if nxt == "x":
                out.append(int(text[i + 2 : i + 4], 16))
                i += 4
                continue
            out += {"r": b"\r", "n": b"\n", "t": b"\t", "\\": b"\\"}[nxt]
            i += 2
            continue
        out += ch.encode("utf-8")
        i += 1
    return bytes(out)


# -- Tracer -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "action, hidden, shown",
    [
        (
            b"Action: Login\r\nUsername: admin\r\nAuthType: MD5\r\nKey: 2271dddd9b1828bd8c3e51fe63c15976\r\nEvents: on\r\n"
            b"ActionID: amish-1-2\r\n\r\n",
            "2271dddd9b1828bd8c3e51fe63c15976",
            "Key: ********\\r\\n",
        ),
        (
            b"Action: Login\r\nUsername: admin\r\nSecret: amish-admin-secret\r\nActionID: amish-1-1\r\n\r\n",
            "amish-admin-secret",
            "Secret: ********\\r\\n",
        ),
        (  # a DBPut's Key is not a secret
            b"Action: DBPut\r\nFamily: cf\r\nKey: 7001\r\nVal: 7002\r\n\r\n",
            None,
            "Key: 7001\\r\\n",
        ),
    ],
    ids=["md5-key", "plain-secret", "dbput-key-kept"],
)
def test_trace_of_an_outgoing_action(action, hidden, shown):
    text = trace(("out", action))
    [block] = blocks(text)
    m = HEADER.match(block[0])
    assert m, block[0]
    assert m.group(2, 3, 4, 5) == ("amish", "10.0.0.5:5038", "out", str(len(action)))
    assert shown in block[1:]
    assert block[1] == block[1].split("\\r\\n")[0] + "\\r\\n"  # every line shows its CRLF
    assert block[-1] == "\\r\\n"  # the empty line that ends the action
    if hidden:
        assert hidden not in text
    else:
        assert unescape(block[1:]) == action


def test_a_login_key_is_masked_when_the_action_line_came_in_an_earlier_chunk():
    text = trace(
        ("out", b"Action: Login\r\nUsername: admin\r\n"),
        ("out", b"AuthType: MD5\r\nKey: 0123456789abcdef\r\n\r\n"),
        ("out", b"Action: DBGet\r\nFamily: cf\r\nKey: 7001\r\n\r\n"),
    )
    assert "0123456789abcdef" not in text
    assert "Key: ********\\r\\n" in text
    assert "Key: 7001\\r\\n" in text  # the Login is over: the next action's Key is shown


@pytest.mark.parametrize("cut", [3, 19, 24, 30, 36, 41])
def test_a_secret_line_split_between_two_reads_is_masked_after_reassembly(cut):
    data = (
        b"Response: Success\r\nActionID: 7\r\nCategory-000000: admin\r\n"
        b"Line-000001-000002: secret=xyz-very-secret\r\nLine-000001-000003: read=all\r\n\r\n"
    )
    start = data.index(b"Line-000001-000002")
    first, second = data[: start + cut], data[start + cut :]
    text = trace(("in", first), ("in", second))
    assert "very-secret" not in text and "xyz" not in text
    one, two = blocks(text)
    h1, h2 = HEADER.match(one[0]), HEADER.match(two[0])
    assert h1.group(2, 3, 4) == ("10.0.0.5:5038", "amish", "in")
    assert h1.group(5) == str(len(first)) and f", {cut} held back" in h1.group(6)
    assert h2.group(5) == str(len(second)) and f", {cut} carried over" in h2.group(6)
    assert "Line-000001-000002: secret=********\\r\\n" in two
    assert unescape(one[1:] + two[1:]) == mask_secrets(data)


@pytest.mark.parametrize(
    "data, printed",
    [
        (b"Ping: Pong\r\n", ["Ping: Pong\\r\\n"]),
        (b"Ping: Pong\n", ["Ping: Pong\\n"]),
        (b"a\r\n\r\nb\n\n", ["a\\r\\n", "\\r\\n", "b\\n", "\\n"]),
        (b"x\r\r\n", ["x\\r\\r\\n"]),
        (b"A\x00B\r\n", ["A\\x00B\\r\\n"]),
        (b"\x1b[31mred\x1b[0m\n", ["\\x1b[31mred\\x1b[0m\\n"]),
        (b"tab\there\n", ["tab\\there\\n"]),
        (b"back\\slash\n", ["back\\\\slash\\n"]),
        (b"del\x7f\n", ["del\\x7f\\n"]),
        (b"caf\xc3\xa9 \xd0\x96\n", ["café Ж\\n"]),
        (b"cp1251 \xc8\xe2\xe0\xed\n", ["cp1251 \\xc8\\xe2\\xe0\\xed\\n"]),
        (b"nbsp\xc2\xa0zw\xe2\x80\x8b\n", ["nbsp\\xc2\\xa0zw\\xe2\\x80\\x8b\\n"]),
        (b"trailing space \r\n", ["trailing space \\r\\n"]),
    ],
    ids=[
        "crlf", "lf", "blank-lines", "double-cr", "nul", "ansi", "tab", "backslash", "del",
        "utf8", "not-utf8", "invisible-unicode", "trailing-space",
    ],
)
def test_payload_escaping_makes_every_byte_and_line_end_visible(data, printed):
    assert escape_bytes(data) == "".join(p + "\n" for p in printed)
    [block] = blocks(trace(("in", data)))
    assert block[1:] == printed
    assert unescape(printed) == data


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_every_byte_is_recoverable_from_the_trace(data):
    data += b"\n"
    text = trace(("in", data))
    [block] = blocks(text)
    assert unescape(block[1:]) == mask_secrets(data)


def test_an_incomplete_line_is_held_back_until_flush():
    text = trace(("in", b"Event: A\r\nPartial: li"), flush=True)
    one, two = blocks(text)
    assert one[1:] == ["Event: A\\r\\n"]
    assert HEADER.match(one[0]).group(6) == ", 11 held back"
    assert two[0].endswith("[in flush: 11 bytes without a line end]")
    assert two[1:] == ["Partial: li"]  # no \r\n: there was none


def test_a_chunk_with_no_line_end_shows_only_its_header():
    text = trace(("in", b"Secret"), ("in", b": hush\r\n"))
    one, two = blocks(text)
    assert one[1:] == []  # a header alone: the whole chunk is held back
    assert "hush" not in text and two[1:] == ["Secret: ********\\r\\n"]


def test_directions_are_held_back_separately():
    text = trace(("in", b"Event: A\r\nLine-000001-000001: sec"), ("out", b"Action: Ping\r\n\r\n"), ("in", b"ret=x\r\n\r\n"))
    b1, b2, b3 = blocks(text)
    assert b2[1:] == ["Action: Ping\\r\\n", "\\r\\n"]
    assert b3[1:] == ["Line-000001-000001: secret=********\\r\\n", "\\r\\n"]


def test_the_header_shows_the_time_and_the_arrows():
    text = trace(("in", b"Asterisk Call Manager/11.0.0\r\n"), ("out", b"Action: Ping\r\n\r\n"))
    one, two = blocks(text)
    stamp = time.strftime("%Y/%m/%d %H:%M:%S", time.localtime(CLOCK)) + ".123456"
    assert one[0] == f"T {stamp} 10.0.0.5:5038 -> amish [in 30 bytes]"
    assert two[0] == f"T {stamp} amish -> 10.0.0.5:5038 [out 16 bytes]"
    assert text.count("\n\n") == 2  # a blank line after each chunk


def test_two_threads_hammering_the_tracer_never_interleave_within_a_chunk():
    out = io.StringIO()
    tracer = Tracer(out)
    n = 400

    def hammer(direction: str, tag: str):
        for i in range(n):
            tracer(direction, f"{tag}: {i}\r\nX-{tag}: {'y' * (i % 50)}{i}\r\n\r\n".encode())

    threads = [threading.Thread(target=hammer, args=a) for a in (("in", "Event"), ("out", "Action"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seen = {"in": [], "out": []}
    for block in blocks(out.getvalue()):
        m = HEADER.match(block[0])
        direction = m.group(4)
        tag = "Event" if direction == "in" else "Action"
        i = int(block[1].removeprefix(f"{tag}: ").removesuffix("\\r\\n"))
        assert block[1:] == [f"{tag}: {i}\\r\\n", f"X-{tag}: {'y' * (i % 50)}{i}\\r\\n", "\\r\\n"]
        seen[direction].append(i)
    assert seen == {"in": list(range(n)), "out": list(range(n))}
    assert tracer.errors == 0 and tracer.chunks == 2 * n


def test_a_failing_write_is_counted_and_the_tracer_goes_quiet():
    class Broken(io.StringIO):
        def write(self, s):
            raise OSError(28, "No space left on device")

    tracer = Tracer(Broken())
    tracer("in", b"Event: A\r\n\r\n")  # never raises
    tracer("out", b"Action: Ping\r\n\r\n")
    tracer.flush()
    assert tracer.errors == 2 and "No space left" in tracer.error


# -- Recorder ---------------------------------------------------------------------

STREAM_IN = (
    b"Asterisk Call Manager/11.0.0\r\n"
    b"Response: Success\r\nActionID: 1\r\nMessage: Authentication accepted\r\n\r\n"
    b"Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n"
    b"Response: Success\r\nActionID: 2\r\nCategory-000000: admin\r\nLine-000000-000000: secret=amish-admin-secret\r\n"
    b"Line-000000-000001: read=all\r\n\r\n"
    b"Event: Newchannel\r\nChannel: PJSIP/7001-00000001\r\nCallerIDName: J\xc3\xb6rg\r\nUniqueid: 1796000000.1\r\n\r\n"
)
STREAM_OUT = [
    b"Action: Login\r\nUsername: admin\r\nSecret: amish-admin-secret\r\nActionID: 1\r\n\r\n",
    b"Action: GetConfig\r\nFilename: manager.conf\r\nActionID: 2\r\n\r\n",
]


def by_direction(chunks) -> dict[str, bytes]:
    out = {"in": b"", "out": b""}
    for _t, direction, data in chunks:
        out[direction] += data
    return out


def record(path, chunks, **meta) -> Recorder:
    recorder = Recorder(path, meta={"peer": "127.0.0.1:15038", "tls": False, "user": "admin", **meta})
    for direction, data in chunks:
        recorder(direction, data)
    recorder.close()
    return recorder


def test_the_recording_starts_with_its_header(tmp_path):
    path = tmp_path / "s.amish"
    record(path, [("in", b"Asterisk Call Manager/11.0.0\r\n")], tls=True, note="ticket 42", secret="nope")
    first = json.loads(path.read_text().split("\n")[0])
    assert first["amish-recording"] == 1
    assert first["peer"] == "127.0.0.1:15038" and first["tls"] is True and first["user"] == "admin"
    assert first["amish"] and first["note"] == "ticket 42" and "secret" not in first
    started = first["started"]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$", started), started
    assert list(first)[:6] == ["amish-recording", "started", "peer", "tls", "user", "amish"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=len(STREAM_IN) - 1), max_size=12, unique=True))
def test_records_round_trip_to_the_same_bytes_secrets_masked(tmp_path_factory, cuts):
    path = tmp_path_factory.mktemp("rec") / "s.amish"
    cuts = sorted(cuts)
    pieces = [STREAM_IN[a:b] for a, b in zip([0] + cuts, cuts + [len(STREAM_IN)])]
    chunks = [("in", pieces[0]), ("out", STREAM_OUT[0])] + [("in", p) for p in pieces[1:]] + [("out", STREAM_OUT[1])]
    record(path, chunks)
    recording = read_recording(path)
    got = by_direction(recording.chunks)
    assert got["in"] == mask_secrets(STREAM_IN)
    assert got["out"] == b"".join(mask_secrets(a) for a in STREAM_OUT)
    assert b"amish-admin-secret" not in path.read_bytes()
    times = [t for t, _d, _b in recording.chunks]
    assert times == sorted(times) and all(t >= 0 for t in times)
    # every record holds whole lines (the last one of a direction excepted: flushed at close)
    assert all(data.endswith(b"\n") for _t, _d, data in recording.chunks)


def test_chunk_boundaries_are_kept_when_chunks_end_at_line_ends(tmp_path):
    path = tmp_path / "s.amish"
    chunks = [("in", b"Asterisk Call Manager/11.0.0\r\n"), ("out", b"Action: Ping\r\n\r\n"),
              ("in", b"Response: Success\r\nPing: Pong\r\n\r\n"), ("in", b"Event: A\n\n")]
    record(path, chunks)
    assert [(d, b) for _t, d, b in read_recording(path).chunks] == chunks


def test_a_chunk_that_is_not_utf8_is_stored_as_base64_and_read_back_exactly(tmp_path):
    path = tmp_path / "s.amish"
    data = b"Event: Newchannel\r\nCallerIDName: \xc8\xe2\xe0\xed\r\nBinary: \x00\xff\xfe\r\n\r\n"
    record(path, [("in", data), ("in", b"Event: Plain\r\n\r\n")])
    lines = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    assert "b64" in lines[0] and "data" not in lines[0]
    assert base64.b64decode(lines[0]["b64"]) == data
    assert lines[1]["data"] == "Event: Plain\r\n\r\n"
    assert [b for _t, _d, b in read_recording(path).chunks] == [data, b"Event: Plain\r\n\r\n"]


def test_each_record_is_on_disk_while_the_recorder_is_still_open(tmp_path):
    path = tmp_path / "s.amish"
    recorder = Recorder(path, meta={"peer": "x:1"})
    assert len(path.read_text().splitlines()) == 1
    recorder("in", b"Event: A\r\n\r\n")
    assert [b for _t, _d, b in read_recording(path).chunks] == [b"Event: A\r\n\r\n"]
    recorder("out", b"Action: Login\r\nSecret: hush\r\n\r\n")
    assert len(read_recording(path).chunks) == 2 and b"hush" not in path.read_bytes()
    recorder("in", b"Event: B\r\nPartial")
    assert read_recording(path).chunks[-1][2] == b"Event: B\r\n"  # the incomplete line is held back
    recorder.close()
    assert read_recording(path).chunks[-1][2] == b"Partial"


def test_the_recording_is_private(tmp_path):
    path = tmp_path / "s.amish"
    record(path, [("in", b"Event: A\r\n\r\n")])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    other = tmp_path / "existing.amish"
    other.write_text("old")
    os.chmod(other, 0o644)
    record(other, [])
    assert stat.S_IMODE(os.stat(other).st_mode) == 0o600
    assert "old" not in other.read_text()


def test_no_secret_reaches_the_file(tmp_path):
    path = tmp_path / "s.amish"
    secret_chunks = [
        ("out", b"Action: Login\r\nUsername: admin\r\nAuthType: MD5\r\n"),
        ("out", b"Key: 0123456789abcdef0123456789abcdef\r\n\r\n"),
        ("out", b"Action: Login\r\nUsername: admin\r\nSecret: plain-secret-1\r\n\r\n"),
        ("in", b"Response: Success\r\nLine-000001-000002: secr"),
        ("in", b"et=config-secret-2\r\nJSON: {\"admin\": {\"secret\": \"json-secret-3\"}}\r\n\r\n"),
    ]
    record(path, secret_chunks)
    raw = path.read_bytes()
    for secret in (b"0123456789abcdef", b"plain-secret-1", b"config-secret-2", b"json-secret-3"):
        assert secret not in raw


def test_the_recorder_writes_to_an_open_file_and_never_raises(tmp_path):
    text = io.StringIO()
    recorder = Recorder(text, meta={"peer": "a:1"})
    recorder("in", b"Event: A\r\n\r\n")
    recorder.close()
    assert not text.closed and json.loads(text.getvalue().splitlines()[1])["data"] == "Event: A\r\n\r\n"
    binary = io.BytesIO()
    recorder = Recorder(binary, meta={})
    recorder("out", b"Action: Ping\r\n\r\n")
    assert b'"dir": "out"' in binary.getvalue()
    binary.close()  # the file goes away underneath
    recorder("in", b"Event: B\r\n\r\n")  # counted, not raised
    recorder("in", b"Event: C\r\n\r\n")
    assert recorder.errors == 2 and recorder.error
    recorder.close()


def test_recorder_on_an_unwritable_path_is_an_input_error(tmp_path):
    with pytest.raises(InputError) as info:
        Recorder(tmp_path / "no" / "such" / "dir" / "s.amish", meta={})
    assert "cannot write the recording" in str(info.value)


def test_read_recording_tolerates_a_crash_mid_write_and_names_a_damaged_line(tmp_path):
    path = tmp_path / "s.amish"
    record(path, [("in", b"Event: A\r\n\r\n")])
    with open(path, "a") as f:
        f.write('{"t": 0.5, "dir": "in", "da')  # the process died here
    assert len(read_recording(path).chunks) == 1
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], "{broken", lines[1]]) + "\n")
    with pytest.raises(InputError, match=r"s\.amish:2: not JSON"):
        read_recording(path)
    path.write_text(lines[0] + '\n{"t": 1, "dir": "sideways", "data": ""}\n')
    with pytest.raises(InputError, match=":2: .*dir"):
        read_recording(path)


# -- read_dump ----------------------------------------------------------------------

SESSION_IN = [
    b"Asterisk Call Manager/11.0.0\r\n",
    b"Response: Success\r\nActionID: 1\r\nMessage: Authentication accepted\r\n\r\n"
    b"Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n",
    b"Response: Success\r\nActionID: 2\r\nPing: Pong\r\nTimestamp: 1796000000.123456\r\n\r\n",
    b"Event: Newchannel\r\nChannel: Local/echo@amish-test-00000001;1\r\nUniqueid: 1796000000.1\r\n\r\n",
]
SESSION_OUT = [
    b"Action: Login\r\nUsername: admin\r\nSecret: amish-admin-secret\r\nActionID: 1\r\n\r\n",
    b"Action: Ping\r\nActionID: 2\r\n\r\n",
]


def ngrep_output(packets, *, quiet=False, stamps=None, exit_line=True) -> str:
    """What ngrep -W byline prints for these (src, dst, payload) packets (its dump_packet/dump_byline)."""
    out = [] if quiet else ["interface: lo (127.0.0.0/255.0.0.0)\nfilter: ( port 15038 ) and ((ip || ip6) || (vlan && (ip || ip6)))\n"]
    for n, (src, dst, payload) in enumerate(packets, 1):
        if not quiet:
            out.append("#")
        stamp = f"{stamps[n - 1]} " if stamps else ""
        shown = "".join(chr(b) if b == 10 or 32 <= b < 127 else "." for b in payload)
        out.append(f"\nT {stamp}{src} -> {dst} [AP] #{n * 2}\n{shown}\n")
    if exit_line and not quiet:
        out.append("##exit\n")
    return "".join(out)


SERVER, CLIENT = "127.0.0.1:15038", "127.0.0.1:46012"
PACKETS = [
    (SERVER, CLIENT, SESSION_IN[0]),
    (CLIENT, SERVER, SESSION_OUT[0]),
    (SERVER, CLIENT, SESSION_IN[1]),
    (CLIENT, SERVER, SESSION_OUT[1]),
    (SERVER, CLIENT, SESSION_IN[2]),
    (SERVER, CLIENT, SESSION_IN[3]),
]

NGREP_LITERAL = """\
interface: lo (127.0.0.0/255.0.0.0)
filter: ( port 15038 ) and ((ip || ip6) || (vlan && (ip || ip6)))
#
T 2026/11/27 01:44:07.100000 127.0.0.1:15038 -> 127.0.0.1:46012 [AP] #4
Asterisk Call Manager/11.0.0.

##
T 2026/11/27 01:44:07.250000 127.0.0.1:46012 -> 127.0.0.1:15038 [AP] #6
Action: Ping.
ActionID: 2.
.

#
T 2026/11/27 01:44:07.300000 127.0.0.1:15038 -> 127.0.0.1:46012 [AP] #7
Response: Success.
ActionID: 2.
Ping: Pong.
.

####
T 2026/11/27 01:44:08.600000 127.0.0.1:15038 -> 127.0.0.1:46012 [AP] #12
Event: Hangup.
Channel: Local/echo@amish-test-00000001;2.
Uniqueid: 1796000000.2.
Cause-txt: Normal Clearing.
.

exit
"""


def test_read_dump_of_literal_ngrep_byline_output(tmp_path):
    path = tmp_path / "capture.txt"
    path.write_text(NGREP_LITERAL)
    chunks = read_dump(path)
    assert [(round(t, 6), d) for t, d, _b in chunks] == [(0.0, "in"), (0.15, "out"), (0.2, "in"), (1.5, "in")]
    assert chunks[0][2] == b"Asterisk Call Manager/11.0.0\r\n"
    assert chunks[1][2] == b"Action: Ping\r\nActionID: 2\r\n\r\n"
    assert chunks[2][2] == b"Response: Success\r\nActionID: 2\r\nPing: Pong\r\n\r\n"
    assert chunks[3][2].endswith(b"Cause-txt: Normal Clearing\r\n\r\n")
    recording = read_any(path)
    assert recording.meta["format"] == "ngrep" and recording.meta["peer"] == SERVER


@pytest.mark.parametrize(
    "quiet, stamps",
    [(False, None), (True, None), (False, [f"2026/11/27 01:44:0{i}.{i}00000" for i in range(6)]),
     (True, ["+0.000000", "+0.100000", "+0.050000", "+0.200000", "+0.010000", "+1.000000"])],
    ids=["plain", "quiet", "absolute-times", "delta-times"],
)
def test_read_dump_reassembles_ngrep_byline_both_ways(tmp_path, quiet, stamps):
    path = tmp_path / "ngrep.out"
    path.write_text(ngrep_output(PACKETS, quiet=quiet, stamps=stamps))
    chunks = read_dump(path)
    got = by_direction(chunks)
    assert got["in"] == b"".join(SESSION_IN)
    assert got["out"] == b"".join(SESSION_OUT)
    times = [t for t, _d, _b in chunks]
    if stamps is None:
        assert times == [0.0] * 6
    elif stamps[0].startswith("+"):
        assert times == pytest.approx([0.0, 0.1, 0.15, 0.35, 0.36, 1.36])
    else:
        assert times == pytest.approx([0.0, 1.1, 2.2, 3.3, 4.4, 5.5])


def test_ngrep_keeps_only_the_ami_conversation_and_mends_a_cr_lf_split(tmp_path):
    other = "127.0.0.1:46999"
    packets = [
        (SERVER, CLIENT, SESSION_IN[0]),
        (SERVER, CLIENT, b"Event: UserEvent\r\nUserEvent: Split\r"),
        (SERVER, CLIENT, b"\n\r\n"),
        (SERVER, other, b"Asterisk Call Manager/11.0.0\r\n"),  # a second client
        ("127.0.0.1:5060", "127.0.0.1:5061", b"OPTIONS sip:x SIP/2.0\r\n\r\n"),  # another protocol
        (CLIENT, SERVER, b"Action: Ping\r\n\r\n"),
    ]
    path = tmp_path / "ngrep.out"
    path.write_text(ngrep_output(packets, quiet=True))
    got = by_direction(read_dump(path))
    assert got["in"] == SESSION_IN[0] + b"Event: UserEvent\r\nUserEvent: Split\r\n\r\n"
    assert got["out"] == b"Action: Ping\r\n\r\n"


@pytest.mark.parametrize(
    "text, expected",
    [
        (  # telnet, copied from the terminal: LF line ends, the typed action included
            "Trying 127.0.0.1...\nConnected to localhost.\nEscape character is '^]'.\n"
            "Asterisk Call Manager/11.0.0\nAction: Ping\nActionID: 5\n\n"
            "Response: Success\nActionID: 5\nPing: Pong\n\nEvent: Hangup\nUniqueid: 1.2\n",
            [("in", b"Asterisk Call Manager/11.0.0\n"), ("out", b"Action: Ping\nActionID: 5\n\n"),
             ("in", b"Response: Success\nActionID: 5\nPing: Pong\n\n"), ("in", b"Event: Hangup\nUniqueid: 1.2\n\n")],
        ),
        (  # tcpflow's file of the server side: CRLF, no banner, extra blank lines
            "\r\nEvent: Newchannel\r\nUniqueid: 1.1\r\n\r\n\r\nEvent: Hangup\r\nUniqueid: 1.1\r\n\r\n",
            [("in", b"Event: Newchannel\r\nUniqueid: 1.1\r\n\r\n"), ("in", b"Event: Hangup\r\nUniqueid: 1.1\r\n\r\n")],
        ),
        (
            "Asterisk Call Manager/2.10.4\r\n",
            [("in", b"Asterisk Call Manager/2.10.4\r\n")],
        ),
    ],
    ids=["telnet", "tcpflow", "banner-only"],
)
def test_read_dump_of_plain_ami_text(tmp_path, text, expected):
    path = tmp_path / "dump.txt"
    path.write_bytes(text.encode())
    chunks = read_dump(path)
    assert [(d, b) for _t, d, b in chunks] == expected
    assert all(t == 0.0 for t, _d, _b in chunks)
    assert read_any(path).meta["format"] == "ami-text"


def test_read_dump_of_an_amish_recording(tmp_path):
    path = tmp_path / "s.amish"
    record(path, [("in", SESSION_IN[0]), ("out", SESSION_OUT[1]), ("in", SESSION_IN[2])])
    assert [(d, b) for _t, d, b in read_dump(path)] == [("in", SESSION_IN[0]), ("out", SESSION_OUT[1]), ("in", SESSION_IN[2])]


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\n\n  \n",
        b"hello world\nthis is not AMI\n",
        bytes(range(256)) * 4,
        b'{"some": "json"}\n',
        b"<html><body>Asterisk</body></html>\n",
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    ],
    ids=["empty", "blank", "text", "binary", "other-json", "html", "http"],
)
def test_garbage_is_a_one_line_input_error(tmp_path, content):
    path = tmp_path / "garbage.bin"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        read_dump(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    assert "expected" in message
    assert info.value.exit_code == 4


def test_a_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        read_dump(tmp_path / "nope")


# -- ReplayConnection ---------------------------------------------------------------


def small_recording() -> list:
    return [
        (0.0, "in", SESSION_IN[0]),
        (0.01, "out", SESSION_OUT[0]),
        (0.02, "in", SESSION_IN[1]),
        (0.03, "out", SESSION_OUT[1]),
        (0.04, "in", SESSION_IN[2]),
        (0.3, "in", SESSION_IN[3]),
    ]


def collect(sub, timeout=10.0) -> list:
    items = []
    deadline = time.monotonic() + timeout
    while True:
        item = sub.get(timeout=max(0.0, deadline - time.monotonic()))
        assert item is not None, f"no Closed within {timeout} s; got {items}"
        items.append(item)
        if isinstance(item, Closed):
            return items


def test_submit_on_a_replay_raises_a_clear_error():
    conn = ReplayConnection(small_recording(), name="/tmp/session.amish")
    for call in (lambda: conn.submit([("Action", "Ping")]), lambda: conn.send([("Action", "Ping")]),
                 lambda: conn.send_raw(b"Action: Ping\r\n\r\n")):
        with pytest.raises(ReplayError) as info:
            call()
        assert isinstance(info.value, AmishError)
        assert str(info.value) == "this is a replay of session.amish: nothing is sent"


def test_replay_puts_events_responses_and_actions_in_recorded_order():
    conn = ReplayConnection(small_recording(), meta={"peer": "127.0.0.1:15038", "user": "admin"})
    assert conn.banner.text == "Asterisk Call Manager/11.0.0" and conn.banner.version == "11.0.0"
    assert conn.address == "127.0.0.1:15038" and conn.username == "admin" and conn.connected
    sub = conn.subscribe()
    conn.start(None)
    items = collect(sub)
    assert [(m.kind, m.name) for m in items[:-1]] == [
        ("action", "Login"), ("response", "Success"), ("event", "FullyBooted"),
        ("action", "Ping"), ("response", "Success"), ("event", "Newchannel"),
    ]
    assert items[1]["Message"] == "Authentication accepted"
    assert items[0]["Secret"] == "********"  # actions are put masked
    assert isinstance(items[-1], Closed) and items[-1].reason == "end of recording"
    assert conn.wait(1) and not conn.connected and conn.closed_reason == "end of recording"
    late = conn.subscribe()
    assert isinstance(late.get(0), Closed)


def test_replay_without_a_banner_and_with_a_damaged_message():
    chunks = [(0.0, "in", b"Event: A\r\n\r\n"), (0.0, "in", b"Event: B\r\nX: half a mess")]
    conn = ReplayConnection(chunks)
    assert conn.banner is None
    sub = conn.subscribe()
    conn.start(None)
    items = collect(sub)
    assert items[0].name == "A"
    assert isinstance(items[1], ProtocolError) and "middle of a message" in items[1].reason


def test_replay_may_start_before_anyone_subscribes():
    conn = ReplayConnection(small_recording())
    conn.start(None)
    time.sleep(0.2)
    assert not conn.finished  # waiting for a subscriber: nothing is played to nobody
    sub = conn.subscribe()
    assert len([m for m in collect(sub) if isinstance(m, Message)]) == 6


def test_replay_is_paced_by_speed():
    chunks = [(i / 10, "in", f"Event: Tick\r\nN: {i}\r\n\r\n".encode()) for i in range(11)]  # 1 s
    times = {}
    for speed in (None, 10.0):
        conn = ReplayConnection(chunks)
        sub = conn.subscribe()
        begin = time.monotonic()
        conn.start(speed)
        items = collect(sub)
        times[speed] = time.monotonic() - begin
        assert [m["N"] for m in items[:-1]] == [str(i) for i in range(11)]
    assert times[10.0] > 0.05, times  # paced: about 0.1 s
    assert times[10.0] < 3.0, times
    assert times[None] < times[10.0], times


def test_pause_resume_and_stop():
    chunks = [(i / 20, "in", f"Event: Tick\r\nN: {i}\r\n\r\n".encode()) for i in range(40)]  # 2 s
    conn = ReplayConnection(chunks)
    sub = conn.subscribe()
    conn.start(1.0)
    time.sleep(0.3)
    conn.pause()
    assert conn.paused
    time.sleep(0.05)
    n = len(sub)
    time.sleep(0.3)
    assert len(sub) == n  # nothing played while paused
    conn.resume()
    conn.set_speed(100.0)
    items = collect(sub, timeout=5)
    assert [m["N"] for m in items[:-1]] == [str(i) for i in range(40)]
    assert items[-1].reason == "end of recording"

    conn = ReplayConnection(chunks)
    sub = conn.subscribe()
    conn.start(1.0)
    time.sleep(0.2)
    conn.stop()
    items = collect(sub, timeout=2)
    assert items[-1].reason == "replay stopped" and len(items) < 40
    assert conn.closed_reason == "replay stopped" and not conn.connected


def test_a_flood_is_put_in_batches_and_a_slow_consumer_loses_nothing():
    flood = b"".join(f"Event: VarSet\r\nVariable: V\r\nValue: {i}\r\n\r\n".encode() for i in range(20_000))
    conn = ReplayConnection([(0.0, "in", flood)])
    wakeups = []
    sub = conn.subscribe(maxlen=3000, callback=lambda: wakeups.append(1))
    conn.start(None)
    got = []
    while True:
        time.sleep(0.005)  # a screen that drains a slice now and then
        items = sub.drain(800)
        got.extend(items)
        if items and isinstance(items[-1], Closed):
            break
    values = [m["Value"] for m in got if isinstance(m, Message)]
    assert values == [str(i) for i in range(20_000)]
    assert sub.dropped == 0
    assert len(wakeups) <= 20_000 // BATCH * 2 + 2  # batches, not one wake-up per event


def test_replay_open_reads_any_format(tmp_path):
    path = tmp_path / "capture.txt"
    path.write_text(NGREP_LITERAL)
    conn = ReplayConnection.open(path)
    assert conn.address == SERVER and conn.banner.version == "11.0.0"
    sub = conn.subscribe()
    conn.start(None)
    names = [m.name for m in collect(sub) if isinstance(m, Message)]
    assert names == ["Ping", "Success", "Hangup"]
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"\x00\x01 nope")
    with pytest.raises(InputError):
        ReplayConnection.open(garbage)


def test_the_full_screen_shell_opens_a_replay(tmp_path, monkeypatch):
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from amish.shell.app import Shell

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    conn = ReplayConnection(small_recording(), meta={"peer": "127.0.0.1:15038", "user": "admin"}, name="s.amish")

    async def drive(shell, pipe):
        task = asyncio.create_task(shell.run_async())
        try:
            await asyncio.sleep(0.2)
            conn.start(None)  # once the UI loop runs
            deadline = time.monotonic() + 8
            while "end of recording" not in shell.transcript.text():
                assert time.monotonic() < deadline, shell.transcript.text()
                await asyncio.sleep(0.02)
            pipe.send_text("Ping\r")
            while "nothing is sent" not in shell.transcript.text():
                assert time.monotonic() < deadline, shell.transcript.text()
                await asyncio.sleep(0.02)
        finally:
            shell.app.exit(result=0)
            await asyncio.wait_for(task, 5)

    with create_pipe_input() as pipe:
        shell = Shell(conn, input=pipe, output=DummyOutput(), timeout=3)
        asyncio.run(drive(shell, pipe))
    assert shell.events.received >= 2
    assert "this is a replay of s.amish: nothing is sent" in shell.transcript.text()
    conn.close()


# -- against the real Asterisk --------------------------------------------------------


@pytest.mark.asterisk
def test_record_a_real_session_and_replay_it(asterisk, tmp_path):
    path = tmp_path / "live.amish"
    recorder = Recorder(path, meta={"peer": f"{asterisk.host}:{asterisk.port}", "tls": False, "user": ADMIN[0]})
    wire: list[tuple[str, bytes]] = []

    def on_wire(direction, data):
        wire.append((direction, data))
        recorder(direction, data)

    conn = Connection(asterisk.host, asterisk.port, on_wire=on_wire)
    pendings = []
    send = conn.send
    conn.send = lambda *a, **kw: pendings.append(send(*a, **kw)) or pendings[-1]  # every result, login's too
    live_items = []
    try:
        conn.connect()
        conn.login(*ADMIN, auth="md5")
        sub = conn.subscribe()
        again = conn.send([("Action", "Login"), ("Username", ADMIN[0]), ("Secret", ADMIN[1])])
        assert again.ok, again.response  # "Already authenticated": a plain Secret crossed the wire too
        assert conn.send([("Action", "Ping")]).response["Ping"] == "Pong"
        conn.send([("Action", "UserEvent"), ("UserEvent", "AmishReplay"), ("Header1", "héllo")])
        listing = conn.send([("Action", "CoreShowChannels")])
        assert listing.complete is not None
        call = conn.send(
            [("Action", "Originate"), ("Channel", "Local/echo@amish-test"), ("Application", "Wait"),
             ("Data", "0.2"), ("Async", "true")],
            wait_event="OriginateResponse",
            timeout=15,
        )
        assert call.ok, call.messages
        hangups = 0
        deadline = time.monotonic() + 15
        while hangups < 2:  # the whole call, so the recording holds it
            item = sub.get(timeout=max(0.0, deadline - time.monotonic()))
            assert item is not None, "the Local channels did not hang up"
            live_items.append(item)
            if isinstance(item, Message) and item.is_event("Hangup") and item["Channel"].startswith("Local/echo@amish-test-"):
                hangups += 1
        time.sleep(0.8)  # a quiet moment, then one more round trip: a recording of about a second
        assert conn.send([("Action", "Ping")]).ok
    finally:
        conn.close()
        recorder.close()
    live_items += sub.drain()
    assert recorder.errors == 0
    md5_key = next(
        line.split(b": ", 1)[1] for d, data in wire if d == "out" and b"AuthType: MD5" in data
        for line in data.split(b"\r\n") if line.startswith(b"Key: ")
    )
    raw = path.read_bytes()
    assert b"amish-admin-secret" not in raw and md5_key not in raw and len(md5_key) == 32

    # what the live side saw: the subscription's events, and every result (responses, list items)
    live_events = [m for m in live_items if isinstance(m, Message) and m.kind == "event"]
    claimed = {id(m) for p in pendings for m in p.events + ([p.complete] if p.complete else [])}
    responses = [p.response for p in pendings]
    assert [r["Response"] for r in responses][:2] == ["Success", "Success"]  # Challenge, Login
    assert responses[-1]["Response"] == "Goodbye"

    recording = read_recording(path)
    assert recording.meta["user"] == "admin" and recording.duration > 0.8
    conn = ReplayConnection(recording)
    assert conn.banner.text.startswith("Asterisk Call Manager/")
    replay_sub = conn.subscribe()
    conn.start(None)
    replayed = collect(replay_sub)
    assert replayed[-1].reason == "end of recording"
    messages = [m for m in replayed if isinstance(m, Message)]
    assert not [m for m in replayed if isinstance(m, ProtocolError)]
    list_ids = {p.action_id for p in pendings if p.listing}
    replay_events = [m for m in messages if m.kind == "event"]
    # the list items were claimed by their action live, and are in the replay's stream
    unclaimed = [m for m in replay_events if m.get("ActionID") not in list_ids]
    key = lambda m: (m.name, m.get("Uniqueid"))  # noqa: E731
    assert [key(m) for m in unclaimed] == [key(m) for m in live_events]
    assert [m.raw for m in unclaimed] == [m.raw for m in live_events]
    items_of_lists = [m for m in replay_events if m.get("ActionID") in list_ids]
    assert [m.raw for m in items_of_lists] == [m.raw for p in pendings if p.listing for m in p.events + [p.complete]]
    assert len(claimed) == len(items_of_lists)
    assert [m.raw for m in messages if m.kind == "response"] == [r.raw for r in responses]
    actions = [m for m in messages if m.kind == "action"]
    assert [(a["Action"], a["ActionID"]) for a in actions] == [(p.action["Action"], p.action_id) for p in pendings]
    login_md5, login_plain = actions[1], actions[2]
    assert login_md5["Key"] == "********" and login_plain["Secret"] == "********"
    names = [m.name for m in unclaimed]
    assert "AmishReplay" in [m.get("UserEvent") for m in unclaimed] and "OriginateResponse" in names

    # paced: speed 10 takes about a tenth of the recorded time; all at once is faster still
    elapsed = {}
    for speed in (10.0, None):
        replay = ReplayConnection(recording)
        s = replay.subscribe()
        begin = time.monotonic()
        replay.start(speed)
        got = collect(s)
        elapsed[speed] = time.monotonic() - begin
        assert len([m for m in got if isinstance(m, Message)]) == len(messages)
    tenth = recording.duration / 10
    assert elapsed[10.0] > 0.05, (elapsed, recording.duration)  # paced: about 0.1 s
    assert elapsed[10.0] < tenth + 2.0, (elapsed, recording.duration)
    assert elapsed[None] < elapsed[10.0], elapsed
    with pytest.raises(ReplayError, match="nothing is sent"):
        replay.submit([("Action", "Ping")])


def test_http_chunks_are_masked_whole_and_replay_as_ami(tmp_path):
    """AMI over HTTP hands each request/response whole: Secret, Key and the session cookie never reach the file."""
    from amish.transports.wire import Recorder, Tracer, http_to_ami
    import io as _io

    login = (b'POST /rawman HTTP/1.1\r\nHost: pbx:8088\r\nCookie: mansession_id="1a2b3c4d"\r\n'
             b"Content-Length: 60\r\n\r\nAction=Login&Username=admin&Secret=s%26cr%C3%A9t&Events=on")
    md5 = b"POST /rawman HTTP/1.1\r\n\r\nAction=Login&Username=admin&AuthType=MD5&Key=0123abcd&ActionID=x"
    answer = (b'HTTP/1.1 200 OK\r\nSet-Cookie: mansession_id="1a2b3c4d"; Version=1; Max-Age=60\r\n\r\n'
              b"Response: Success\r\nActionID: x\r\nMessage: Authentication accepted\r\n\r\n")
    poll = (b"HTTP/1.1 200 OK\r\n\r\nResponse: Success\r\nActionID: p1\r\nMessage: Waiting for Event completed.\r\n\r\n"
            b"Event: UserEvent\r\nUserEvent: x\r\n\r\nEvent: WaitEventComplete\r\nActionID: p1\r\n\r\n")
    out = _io.StringIO()
    tracer = Tracer(out)
    path = tmp_path / "r.jsonl"
    rec = Recorder(str(path), meta={"peer": "pbx:8088"})
    for direction, data in (("out", login), ("out", md5), ("in", answer), ("in", poll)):
        tracer(direction, data)
        rec(direction, data)
    tracer.close()
    rec.close()
    for text in (out.getvalue(), path.read_text()):
        assert "1a2b3c4d" not in text and "s%26cr" not in text and "0123abcd" not in text
        assert "Secret=********" in text and "Key=********" in text
        assert text.count("mansession_id=") == 2 and re.search(r'mansession_id=\\?"\*{8}\\?"', text)
        assert "held back" not in text  # a body without a line end is not held for the next chunk
    assert http_to_ami(login) == b"Action: Login\r\nUsername: admin\r\nSecret: s&cr\xc3\xa9t\r\nEvents: on\r\n\r\n"
    assert http_to_ami(b"POST /rawman HTTP/1.1\r\n\r\nAction=WaitEvent&Timeout=20") == b""
    assert http_to_ami(poll) == b"Event: UserEvent\r\nUserEvent: x\r\n\r\n"
    assert http_to_ami(b"Response: Success\r\n\r\n") == b"Response: Success\r\n\r\n"  # AMI text stays as it is
