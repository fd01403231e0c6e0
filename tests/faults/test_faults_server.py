"""Faults from the server, through the paths a user takes.

The pipe tool (`python -m amish -u admin -p PORT 127.0.0.1`, actions on stdin)
and `amish events` run in a subprocess against a FakeAMI in this process; the
Connection and the shell are checked in-process where the tests in
test_connection_faults.py stop. For each fault: the exit code, one clear
line on stderr (never a traceback), nothing already received lost, and
memory bounded (VmRSS of the subprocess, or the parser's buffer).

Bounded: every subprocess has a timeout, every flood a byte and time cap,
and all traffic is on the loopback.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time

import pytest

from faultkit import (
    Fake,
    watchdog,
    HOST,
    Spawned,
    after_login,
    assert_one_line,
    assert_partial_list_printed,
    handler_with,
    list_stall_handler,
    run_amish,
)
from fakeami import FakeAMI, default_handler, encode

from amish.transports.connection import Closed, Connection
from amish.core.errors import ActionTimeout, ConnectionLost, TLSError
from amish.core.protocol import DEFAULT_MAX_LINE, DEFAULT_MAX_MESSAGE, Message, Parser, ProtocolError

T = 5.0
MiB = 1024 * 1024
RSS_HEADROOM_MB = 100  # "memory stays bounded": a generous bound over the process' first sample
WATCHDOG = 120.0

CP1251_NAME = "Иван Петров".encode("cp1251")  # invalid UTF-8


_watchdog = pytest.fixture(autouse=True, name="_watchdog")(watchdog(WATCHDOG))


#: amish events prints FullyBooted too: these tests look at the other events
NOT_BOOTED = ("--filter", "!FullyBooted")


def pong_count(out: bytes) -> int:
    return out.count(b"Ping: Pong\r\n")


def flood_without_end(client, stop: threading.Event, limit: int, seconds: float, sent: list) -> None:
    """Lines, never a blank one: a message that never ends (bounded here in bytes and time)."""
    chunk = (b"Output: " + b"y" * 1000 + b"\r\n") * 64
    t0 = time.monotonic()
    while not stop.is_set() and sent[0] < limit and time.monotonic() - t0 < seconds:
        if not client.send(chunk):
            return
        sent[0] += len(chunk)


# == the pipe tool ==============================================================================


def test_pipe_garbage_between_messages_is_skipped_and_the_session_goes_on(tmp_path):
    garbage = [
        b"\x00\xff\xfe garbage \x01\x02\r\n\r\n",  # a "message" of no kind: skipped
        b"no colon at all\n\n",
        bytes(range(256)).replace(b"\n", b"") + b"\r\n\r\n",
        b"\r\n\r\n\n\n",  # blank lines between messages
    ]

    def extra(action, client):
        if action.get("Action") == "Ping":
            client.send(garbage[len(client.actions) % len(garbage)])
        return False

    with Fake(handler_with(extra)) as fake:
        r = run_amish(fake.port, stdin=b"Ping\nPing\nPing\nPing\n", tmp=tmp_path)
    assert r.rc == 0, r
    assert r.err == ""
    assert pong_count(r.out) == 4
    assert b"garbage" not in r.out  # only the responses, exactly as sent


def test_pipe_garbage_glued_to_a_response_costs_nothing(tmp_path):
    """Garbage with no blank line after it frames with the response that follows: the parser cuts
    it off, so that action still gets its response (exit 0), and the next one works."""

    def extra(action, client):
        if action.get("Action") == "Broken":
            client.send(b"\x00garbage without an end\r\n")
            client.respond(action, Message="glued")
            return True
        return False

    with Fake(handler_with(extra)) as fake:
        r = run_amish(fake.port, "--timeout", "1", stdin=b"Broken\nPing\n", tmp=tmp_path)
    assert r.rc == 0, r
    assert r.err == ""
    assert b"Message: glued\r\n" in r.out and b"garbage" not in r.out  # the response exactly as sent
    assert pong_count(r.out) == 1


@pytest.mark.parametrize("fmt", ["raw", "json"])
def test_pipe_invalid_utf8_is_kept(tmp_path, fmt):
    sent = {}

    def extra(action, client):
        if action.get("Action") == "Ping":
            data = encode(("Response", "Success"), ("ActionID", action["ActionID"]),
                          ("CallerIDName", CP1251_NAME), ("Ping", "Pong"))
            sent["data"] = data
            client.send(data)
            return True
        return False

    with Fake(handler_with(extra)) as fake:
        r = run_amish(fake.port, "--format", fmt, stdin=b"Ping\n", tmp=tmp_path)
    assert r.rc == 0 and r.err == "", r
    if fmt == "raw":
        assert r.out == sent["data"]  # byte for byte
    else:
        obj = json.loads(r.out)
        name = obj["response"]["CallerIDName"]
        assert name.encode("latin-1") == CP1251_NAME  # decoded losslessly: the bytes come back
        assert obj["response"]["Ping"] == "Pong"


def test_pipe_one_megabyte_line_arrives_whole(tmp_path):
    sent = {}

    def extra(action, client):
        if action.get("Action") == "Big":
            data = encode(("Response", "Success"), ("ActionID", action["ActionID"]), ("Data", "m" * 1_000_000))
            sent["data"] = data
            client.send(data)
            return True
        return False

    with Fake(handler_with(extra)) as fake:
        r = run_amish(fake.port, stdin=b"Big\nPing\n", tmp=tmp_path)
    assert r.rc == 0 and r.err == "", r
    assert r.out.startswith(sent["data"])
    assert pong_count(r.out) == 1


def over_long_line_handler(action, client):
    if action.get("Action") == "Big":
        client.send(encode(("Response", "Success"), ("ActionID", action["ActionID"]),
                           ("Data", "z" * (DEFAULT_MAX_LINE + 1))))
        return True
    return False


def test_pipe_line_over_the_limit_is_skipped_and_the_next_action_works(tmp_path):
    with Fake(handler_with(over_long_line_handler)) as fake:
        job = Spawned(fake.port, "--timeout", "2", stdin=b"Big\nPing\n", tmp=tmp_path)
        r = job.wait(60)
    assert r.rc == 3, r
    assert_one_line(r, "<stdin>:1:", "Big:")
    assert pong_count(r.out) == 1  # the session survived: the next action got its answer
    assert b"zzzz" not in r.out
    assert job.peak_rss - job.first_rss < RSS_HEADROOM_MB


def test_pipe_says_why_a_response_was_skipped(tmp_path):
    with Fake(handler_with(over_long_line_handler)) as fake:
        r = run_amish(fake.port, "--timeout", "2", stdin=b"Big\nPing\n", tmp=tmp_path)
    line = assert_one_line(r, "<stdin>:1:", "Big")
    assert f"longer than {DEFAULT_MAX_LINE} bytes" in line


@pytest.mark.parametrize("fmt", ["raw", "json"])
def test_pipe_ten_thousand_headers_in_one_response(tmp_path, fmt):
    lines = [f"line {i}" for i in range(10_000)]
    sent = {}

    def extra(action, client):
        if action.get("Action") == "Many":
            data = encode(("Response", "Success"), ("ActionID", action["ActionID"]),
                          *[("Output", line) for line in lines])
            sent["data"] = data
            client.send(data)
            return True
        return False

    with Fake(handler_with(extra)) as fake:
        r = run_amish(fake.port, "--format", fmt, stdin=b"Many\nPing\n", tmp=tmp_path)
    assert r.rc == 0 and r.err == "", r
    if fmt == "raw":
        assert r.out.startswith(sent["data"])
        assert pong_count(r.out) == 1
    else:
        many, ping = (json.loads(line) for line in r.out.splitlines())
        assert many["response"]["Output"] == lines  # every repeat, in order
        assert ping["response"]["Ping"] == "Pong"


def test_pipe_message_cut_by_a_disconnect(tmp_path):
    def extra(action, client):
        if action.get("Action") == "Cut":
            client.send(b"Response: Success\r\nActionID: " + action["ActionID"].encode() + b"\r\nMessage: half")
            client.close()
            return True
        return False

    with Fake(handler_with(extra)) as fake:
        r = run_amish(fake.port, stdin=b"Ping\nCut\nPing\n", tmp=tmp_path)
    assert r.rc == 2, r
    assert_one_line(r, "<stdin>:2:", "Cut:", "closed the connection before the response was complete")
    assert pong_count(r.out) == 1  # what came before the cut was printed


def list_cut_handler(action, client):
    if action.get("Action") == "CoreShowChannels":
        aid = action["ActionID"]
        client.respond(action, EventList="start", Message="Channels will follow")
        client.event("CoreShowChannel", ActionID=aid, Channel="PJSIP/a-00000001")
        client.event("CoreShowChannel", ActionID=aid, Channel="PJSIP/b-00000002")
        client.send(b"Event: CoreShowChannel\r\nActionID: " + aid.encode() + b"\r\nChannel: PJSIP/c-")
        client.close()
        return True
    return False


def test_pipe_prints_what_a_cut_list_had_received(tmp_path):
    with Fake(handler_with(list_cut_handler)) as fake:
        r = run_amish(fake.port, stdin=b"CoreShowChannels\n", tmp=tmp_path)
    assert r.rc == 2
    assert_one_line(r, "<stdin>:1: CoreShowChannels", "closed the connection",
                    "the response and 2 items arrived", "not the Complete event")
    assert b"PJSIP/a-00000001" in r.out and b"PJSIP/b-00000002" in r.out


@pytest.mark.parametrize("mode", [(), ("--pipeline",)], ids=["sequential", "pipeline"])
@pytest.mark.parametrize("fmt", ["raw", "json", "pretty"])
def test_pipe_prints_what_a_list_had_received_when_it_times_out(tmp_path, fmt, mode):
    with Fake(handler_with(list_stall_handler)) as fake:
        r = run_amish(fake.port, *mode, "--timeout", "1", "--format", fmt, stdin=b"Ping\nCoreShowChannels\n",
                      tmp=tmp_path)
    assert r.rc == 3, r
    assert_one_line(r, "<stdin>:2: CoreShowChannels: an incomplete response within 1 s",
                    "the response and 2 items arrived", "not the Complete event")
    assert_partial_list_printed(r.out, fmt)


def test_pipeline_against_a_stalled_server_gives_up_after_one_timeout_of_silence(tmp_path):
    """30 actions, the server answers 3 and then goes silent: the batch ends after about one --timeout
    (not 27 of them, one after the other) and names every action left unanswered."""
    n, answered = 30, 3

    def extra(action, client):
        aid = action.get("ActionID") or ""
        return aid.startswith("p") and int(aid[1:]) >= answered  # taken, never answered

    stdin = "".join(f"Action: Ping\nActionID: p{i}\n\n" for i in range(n)).encode()
    with Fake(handler_with(extra)) as fake:
        r = run_amish(fake.port, "--pipeline", "--timeout", "1", "--format", "json", stdin=stdin, tmp=tmp_path)
        assert len(fake.received("Ping")) == n  # all were sent at once
    assert r.rc == 3, r
    assert r.seconds < 10, r  # a behaviour check: one timeout after another would take 27 s
    assert [json.loads(line)["actionid"] for line in r.out.splitlines()] == [f"p{i}" for i in range(answered)]
    assert "Traceback" not in r.err
    assert r.err_lines == [f"amish: <stdin>:{3 * i + 1}: Ping: no response within 1 s" for i in range(answered, n)]


def test_pipeline_keeps_waiting_while_a_long_list_keeps_coming(tmp_path):
    """Silence is what ends a pipelined batch, not the time since it began: a list whose items
    come for longer than --timeout, but never a timeout apart, is received whole."""
    items = 12

    def extra(action, client):
        if action.get("Action") != "CoreShowChannels":
            return False
        aid = action["ActionID"]
        client.respond(action, EventList="start", Message="Channels will follow")
        for i in range(items):
            time.sleep(0.2)
            client.event("CoreShowChannel", ActionID=aid, Channel=f"PJSIP/{i}")
        client.event("CoreShowChannelsComplete", ActionID=aid, EventList="Complete", ListItems=items)
        return True

    with Fake(handler_with(extra)) as fake:
        r = run_amish(fake.port, "--pipeline", "--timeout", "1", "--format", "json",
                      stdin=b"CoreShowChannels\nPing\n", tmp=tmp_path)
    assert r.rc == 0, r
    channels, ping = (json.loads(line) for line in r.out.splitlines())
    assert len(channels["events"]) == items and channels["complete"] is not None
    assert ping["response"]["Ping"] == "Pong"


def test_pipe_forever_peer_times_out_with_memory_bounded(tmp_path):
    stop = threading.Event()
    sent = [0]

    def extra(action, client):
        if action.get("Action") == "Flood":
            flood_without_end(client, stop, 512 * MiB, 15.0, sent)
            return True
        return False

    with Fake(handler_with(extra)) as fake:
        job = Spawned(fake.port, "--timeout", "3", stdin=b"Ping\nFlood\n", tmp=tmp_path)
        try:
            r = job.wait(60)
        finally:
            stop.set()
            job.kill()
    assert r.rc == 3, r
    assert_one_line(r, "<stdin>:2:", "Flood: no response within 3 s")
    assert pong_count(r.out) == 1
    assert sent[0] > 3 * DEFAULT_MAX_MESSAGE, f"only {sent[0]} bytes sent: the bound was not exercised"
    assert job.peak_rss - job.first_rss < RSS_HEADROOM_MB, (job.first_rss, job.peak_rss, sent[0])


# -- connecting: banners, silence, TLS, login --------------------------------------------------------


MODES = {"pipe": (), "events": ("events",)}


@pytest.mark.parametrize("mode", MODES)
def test_peer_that_sends_nothing(tmp_path, mode):
    with Fake(banner=None) as fake:
        r = run_amish(fake.port, "--connect-timeout", "1", mode=MODES[mode], stdin=b"Ping\n", tmp=tmp_path)
        # no action reaches it (the HTTP probe, on a connection of its own, is not an action)
        assert [m for m in fake.actions if m.get("Action") is not None] == []
    assert r.rc == 2, r
    assert_one_line(r, "sent no AMI banner within 1 s")
    assert r.seconds < 15


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "banner, shown",
    [
        pytest.param(b"SSH-2.0-OpenSSH_9.2\r\n", "SSH-2.0-OpenSSH_9.2", id="ssh"),
        pytest.param(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 400", id="http"),
        pytest.param(b"220 smtp.example.com ESMTP\r\n", "220 smtp", id="smtp"),
        pytest.param(b"\xff\xfd\x18\xff\xfd \r\n", "not AMI", id="telnet-negotiation"),
        pytest.param(b"x" * 5000, "xxxx", id="no-line-end"),
        pytest.param(b"\r\n", "not AMI", id="empty-line"),
    ],
)
def test_non_ami_banner(tmp_path, mode, banner, shown):
    with Fake(banner=banner) as fake:
        r = run_amish(fake.port, mode=MODES[mode], stdin=b"Ping\n", tmp=tmp_path)
        assert fake.actions == []  # nothing was sent to it
    assert r.rc == 2, r
    line = assert_one_line(r, "is not AMI", shown)
    assert len(line) < 300  # the peer's bytes are cut short, not dumped


def banner_then_silence(action, client):
    pass  # never answers anything, not even the Challenge


@pytest.mark.parametrize("mode", MODES)
def test_peer_silent_after_the_banner(tmp_path, mode):
    with Fake(banner_then_silence, auth=False) as fake:
        r = run_amish(fake.port, "--timeout", "1", mode=MODES[mode], stdin=b"Ping\n", tmp=tmp_path)
        assert fake.received("Ping") == []
    assert r.rc in (2, 3), r
    assert_one_line(r)
    assert r.seconds < 15


@pytest.mark.parametrize("mode", MODES)
def test_login_that_never_answers_is_a_connection_failure(tmp_path, mode):
    with Fake(banner_then_silence, auth=False) as fake:
        r = run_amish(fake.port, "--timeout", "1", mode=MODES[mode], stdin=b"Ping\n", tmp=tmp_path)
    assert r.rc == 2
    line = assert_one_line(r, "login")
    assert "Challenge" not in line


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("at", ["challenge", "login"])
def test_peer_closing_during_login(tmp_path, mode, at):
    def handler(action, client):
        if (action.get("Action") or "").lower() == at:
            client.close()
        elif not fake.auth_handler(action, client):
            default_handler(action, client)

    with Fake(handler, auth=False) as fake:
        r = run_amish(fake.port, mode=MODES[mode], stdin=b"Ping\n", tmp=tmp_path)
        assert fake.received("Ping") == []
    assert r.rc == 2, r
    assert_one_line(r, "closed the connection", "login")
    assert "secret" not in r.err.lower().replace("wrong user or secret", "")


@pytest.mark.parametrize("mode", MODES)
def test_tls_to_a_plain_port(tmp_path, mode):
    with Fake() as fake:
        r = run_amish(fake.port, "--tls", "--insecure", mode=MODES[mode], stdin=b"Ping\n", tmp=tmp_path)
        assert fake.actions == []
    assert r.rc == 2, r
    assert_one_line(r, "TLS handshake", "failed", "is this a TLS port?")


@pytest.mark.parametrize("mode", MODES)
def test_tls_certificate_not_trusted(tmp_path, mode):
    with Fake(tls=True) as fake:
        r = run_amish(fake.port, "--tls", mode=MODES[mode], stdin=b"Ping\n", tmp=tmp_path)
        assert fake.actions == []
    assert r.rc == 2, r
    assert_one_line(r, "certificate not trusted", "--cafile")


@pytest.fixture
def mute_listener():
    """A port that accepts TCP and then never says a word (nor completes a TLS handshake)."""
    listener = socket.socket()
    listener.bind((HOST, 0))
    listener.listen(8)
    yield listener.getsockname()[1]
    listener.close()


@pytest.fixture
def slamming_listener():
    """A port that accepts TCP and closes at once, in the middle of any TLS handshake."""
    listener = socket.socket()
    listener.bind((HOST, 0))
    listener.listen(8)
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                sock, _ = listener.accept()
            except OSError:
                continue
            try:
                sock.recv(10)
            except OSError:
                pass
            sock.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(5)
    listener.close()


@pytest.mark.parametrize("mode", MODES)
def test_tls_handshake_never_answered(tmp_path, mode, mute_listener):
    r = run_amish(mute_listener, "--tls", "--insecure", "--connect-timeout", "1", mode=MODES[mode],
                  stdin=b"Ping\n", tmp=tmp_path)
    assert r.rc == 2, r
    assert_one_line(r, "TLS handshake", "timed out")
    assert r.seconds < 15


def test_tls_handshake_timeout_names_the_timeout_not_the_c_source(tmp_path, mute_listener):
    r = run_amish(mute_listener, "--tls", "--insecure", "--connect-timeout", "1", stdin=b"Ping\n", tmp=tmp_path)
    line = assert_one_line(r, "TLS handshake")
    assert "_ssl.c" not in line and "1 s" in line


@pytest.mark.parametrize("mode", MODES)
def test_tls_peer_closing_in_the_handshake(tmp_path, mode, slamming_listener):
    r = run_amish(slamming_listener, "--tls", "--insecure", "--connect-timeout", "2", mode=MODES[mode],
                  stdin=b"Ping\n", tmp=tmp_path)
    assert r.rc == 2, r
    assert_one_line(r, "TLS handshake", "failed")


# == amish events ===============================================================================


def test_events_survive_garbage_invalid_utf8_huge_lines_and_many_headers(tmp_path):
    before = encode(("Event", "Before"), ("Seq", "1"))
    one_mb = encode(("Event", "OneMB"), ("Data", "m" * 1_000_000))
    many = encode(("Event", "Many"), *[("Variable", f"V{i}={i}") for i in range(10_000)])
    cp = encode(("Event", "Cp1251"), ("CallerIDName", CP1251_NAME))
    after = encode(("Event", "After"), ("Seq", "2"))
    over_long = encode(("Event", "Huge"), ("Data", "z" * (DEFAULT_MAX_LINE + 1)))

    def script(client):
        client.send(before)
        client.send(b"\x00\xff garbage \x01\r\n\r\n")  # a message of no kind: not an event
        client.send(over_long)
        client.send(one_mb)
        client.send(many)
        client.send(cp)
        client.send(after)

    with Fake() as fake:
        after_login(fake, script)
        job = Spawned(fake.port, "--count", "5", "--duration", "30", "--format", "raw", *NOT_BOOTED,
                      mode=("events",), tmp=tmp_path)
        r = job.wait(60)
    assert r.rc == 0, r
    assert r.out == before + one_mb + many + cp + after  # byte for byte, in order
    assert_one_line(r, f"protocol error: line longer than {DEFAULT_MAX_LINE} bytes; message skipped",
                    f"({len(over_long)} bytes skipped)")
    assert job.peak_rss - job.first_rss < RSS_HEADROOM_MB


def test_events_jsonl_with_invalid_utf8_and_ten_thousand_headers(tmp_path):
    def script(client):
        client.event("Cp1251", CallerIDName=CP1251_NAME, Channel="PJSIP/iv-1")
        client.send(encode(("Event", "Many"), *[("Variable", f"V{i}={i}") for i in range(10_000)]))

    with Fake() as fake:
        after_login(fake, script)
        r = run_amish(fake.port, "--count", "2", "--duration", "30", "--format", "jsonl", *NOT_BOOTED,
                      mode=("events",), tmp=tmp_path)
    assert r.rc == 0 and r.err == "", r
    cp, many = (json.loads(line) for line in r.out.splitlines())
    assert cp["CallerIDName"].encode("latin-1") == CP1251_NAME
    assert cp["Channel"] == "PJSIP/iv-1"  # the rest of the event is not garbled
    assert many["Variable"] == [f"V{i}={i}" for i in range(10_000)]


def test_events_message_cut_by_a_disconnect(tmp_path):
    events = [encode(("Event", "E"), ("Seq", str(i))) for i in range(3)]
    again = encode(("Event", "Again"), ("Seq", "4"))

    def first(client):
        client.send(b"".join(events) + b"Event: Cut\r\nSeq: 3\r\n")
        client.close()

    with Fake() as fake:
        after_login(fake, first)
        after_login(fake, lambda client: client.send(again), index=1)
        r = run_amish(fake.port, "--count", "4", "--duration", "30", "--format", "raw", *NOT_BOOTED,
                      mode=("events",), tmp=tmp_path)
    assert r.rc == 0, r
    assert r.out == b"".join(events) + again  # nothing received before the cut is lost
    assert "Traceback" not in r.err
    lines = r.err_lines
    assert len(lines) == 3, lines
    assert all(line.startswith("amish: ") for line in lines)
    assert "protocol error: connection closed in the middle of a message (20 bytes skipped)" in lines[0]
    assert "connection lost" in lines[1] and "closed the connection" in lines[1]
    assert "reconnected" in lines[2] and "events in between were not received" in lines[2]


STRAY = [
    pytest.param(b"garbage\r\n", "text outside any message, before an event: 'garbage'", id="stray-line"),
    pytest.param(b"Asterisk Call Manager/11.0.0\r\n",
                 "the server sent a new banner mid-stream: 'Asterisk Call Manager/11.0.0'", id="second-banner"),
]


@pytest.mark.parametrize("fmt", ["raw", "pretty", "jsonl"])
@pytest.mark.parametrize("filtered", [False, True], ids=["all", "filtered"])
@pytest.mark.parametrize("stray, said", STRAY)
def test_events_text_outside_a_message_never_swallows_the_next_event(tmp_path, stray, said, fmt, filtered):
    """A line with no blank line after it is glued to the next message by the framing: the event in it is
    still written (the raw bytes of the event), and the text is said on stderr."""

    def script(client):
        client.event("Before", Seq=1)
        client.send(stray)
        client.event("Glued", Seq=2)
        client.event("After", Seq=3)

    # unfiltered, --format raw takes the I/O thread's own path; FullyBooted comes first then
    args = ("--filter", "Before|Glued|After", "--count", "3") if filtered else ("--count", "4")
    with Fake() as fake:
        after_login(fake, script)
        r = run_amish(fake.port, *args, "--duration", "30", "--format", fmt, mode=("events",), tmp=tmp_path)
    assert r.rc == 0, r
    out = r.out
    if not filtered:
        first, out = out.split(b"\r\n\r\n" if fmt == "raw" else b"\n", 1)
        assert b"FullyBooted" in first
    if fmt == "raw":
        assert out == b"".join(encode(("Event", name), ("Seq", str(i))) for i, name in
                               enumerate(("Before", "Glued", "After"), 1))
    elif fmt == "jsonl":
        assert [json.loads(line) for line in out.splitlines()] == [
            {"Event": "Before", "Seq": "1"}, {"Event": "Glued", "Seq": "2"}, {"Event": "After", "Seq": "3"}]
    else:
        assert [line.split()[1:] for line in out.decode().splitlines()] == [
            ["Before", "Seq=1"], ["Glued", "Seq=2"], ["After", "Seq=3"]]
    assert_one_line(r, said)


def test_events_forever_peer_is_bounded_and_the_stream_goes_on(tmp_path):
    stop = threading.Event()
    sent = [0]

    def script(client):
        client.event("Before", Seq=1)
        flood_without_end(client, stop, 128 * MiB, 10.0, sent)
        client.send(b"\r\n\r\n")
        client.event("After", Seq=2)

    with Fake() as fake:
        after_login(fake, script)
        job = Spawned(fake.port, "--count", "2", "--duration", "60", "--format", "raw", *NOT_BOOTED,
                      mode=("events",), tmp=tmp_path)
        try:
            r = job.wait(90)
        finally:
            stop.set()
            job.kill()
    assert r.rc == 0, r
    assert r.out == encode(("Event", "Before"), ("Seq", "1")) + encode(("Event", "After"), ("Seq", "2"))
    assert sent[0] > 3 * DEFAULT_MAX_MESSAGE
    assert_one_line(r, f"protocol error: message longer than {DEFAULT_MAX_MESSAGE} bytes skipped",
                    f"({sent[0] + 2} bytes skipped)")  # its last line end + the blank line
    assert job.peak_rss - job.first_rss < RSS_HEADROOM_MB, (job.first_rss, job.peak_rss)


# == the Connection: what test_connection_faults.py does not cover ==========================================


def connected(fake, **kw) -> Connection:
    kw.setdefault("banner_timeout", 2.0)
    conn = Connection(HOST, fake.port, **kw)
    conn.connect()
    conn.login("admin", "secret", timeout=T)
    return conn


def items_until(sub, predicate, timeout=T) -> list:
    out = []
    deadline = time.monotonic() + timeout
    while True:
        item = sub.get(max(0.0, deadline - time.monotonic()))
        assert item is not None, f"timed out; got {out!r}"
        out.append(item)
        if predicate(item):
            return out


def is_event(name):
    return lambda item: isinstance(item, Message) and item.get("Event") == name


def test_connection_forever_peer_keeps_the_parser_buffer_bounded():
    stop = threading.Event()
    sent = [0]
    peak = [0]

    def extra(action, client):
        if action.get("Action") == "Flood":
            client.respond(action)
            flood_without_end(client, stop, 64 * MiB, 10.0, sent)
            client.send(b"\r\n\r\n")
            client.event("After")
            return True
        return False

    with FakeAMI(handler_with(extra)) as fake:
        holder = {}

        def on_wire(direction, data):  # the I/O thread, before each chunk is parsed
            if direction == "in" and "conn" in holder:
                peak[0] = max(peak[0], holder["conn"]._parser.buffered)

        conn = connected(fake, on_wire=on_wire)
        holder["conn"] = conn
        try:
            sub = conn.subscribe(maxlen=100)
            assert conn.send([("Action", "Flood")], timeout=T).ok
            got = items_until(sub, is_event("After"), timeout=60)
            errors = [i for i in got if isinstance(i, ProtocolError)]
            assert [e.reason for e in errors] == [f"message longer than {DEFAULT_MAX_MESSAGE} bytes skipped"]
            assert errors[0].skipped == sent[0] + 2  # the message ends at its first blank line
            assert sent[0] >= 64 * MiB
            assert peak[0] <= DEFAULT_MAX_MESSAGE + 262144  # one read past the bound, no more
            assert conn.send([("Action", "Ping")], timeout=T).response.get("Ping") == "Pong"
        finally:
            stop.set()
            conn.close(timeout=1.0)


def test_connection_huge_lines_and_ten_thousand_headers():
    one_mb = encode(("Event", "OneMB"), ("Data", "m" * 1_000_000))
    too_long = encode(("Event", "TooLong"), ("Data", "z" * (DEFAULT_MAX_LINE + 1)))
    many = encode(("Event", "Many"), *[("Variable", f"V{i}={i}") for i in range(10_000)])

    def extra(action, client):
        if action.get("Action") == "Send":
            client.respond(action)
            client.send(one_mb + too_long + many)
            client.event("After")
            return True
        if action.get("Action") == "BigAnswer":
            client.send(encode(("Response", "Success"), ("ActionID", action["ActionID"]),
                               ("Data", "z" * (DEFAULT_MAX_LINE + 1))))
            return True
        if action.get("Action") == "ManyAnswer":
            client.respond(action, *[("Output", f"line {i}") for i in range(10_000)])
            return True
        return False

    with FakeAMI(handler_with(extra)) as fake:
        conn = connected(fake)
        try:
            sub = conn.subscribe(maxlen=100)
            conn.send([("Action", "Send")], timeout=T)
            got = items_until(sub, is_event("After"))
            assert [type(i).__name__ for i in got] == ["Message", "ProtocolError", "Message", "Message"]
            assert got[0].raw == one_mb and len(got[0]["Data"]) == 1_000_000
            assert got[1].reason == f"line longer than {DEFAULT_MAX_LINE} bytes; message skipped"
            assert got[1].skipped == len(too_long) and got[1].sample == too_long[:200]
            assert got[2].getall("Variable") == [f"V{i}={i}" for i in range(10_000)]
            # a response over the line limit: that action times out, the session goes on
            with pytest.raises(ActionTimeout):
                conn.send([("Action", "BigAnswer")], timeout=1)
            assert isinstance(sub.get(T), ProtocolError)
            result = conn.send([("Action", "ManyAnswer")], timeout=T)
            assert result.response.getall("Output") == [f"line {i}" for i in range(10_000)]
            assert conn.send([("Action", "Ping")], timeout=T).ok
        finally:
            conn.close(timeout=1.0)


def test_connection_cut_list_keeps_the_items_received():
    with FakeAMI(handler_with(list_cut_handler)) as fake:
        conn = connected(fake)
        try:
            sub = conn.subscribe()
            pending = conn.submit([("Action", "CoreShowChannels")])
            with pytest.raises(ConnectionLost, match="before the response was complete"):
                pending.wait(T)
            # nothing received is lost: the response and both whole items stay on the Pending
            assert pending.response.get("EventList") == "start"
            assert [e.get("Channel") for e in pending.events] == ["PJSIP/a-00000001", "PJSIP/b-00000002"]
            cut, closed = items_until(sub, lambda i: isinstance(i, Closed))
            assert isinstance(cut, ProtocolError) and cut.reason == "connection closed in the middle of a message"
            assert cut.sample.startswith(b"Event: CoreShowChannel\r\n")
        finally:
            conn.close(timeout=1.0)


def test_connection_backlog_before_any_subscriber_is_bounded_and_counted():
    """The pipe tool never subscribes: a flood of events must not grow without bound."""
    count = 30_000
    flood = b"".join(encode(("Event", "Newexten"), ("Seq", str(i))) for i in range(count))

    def extra(action, client):
        if action.get("Action") == "Flood":
            client.send(flood)
            client.respond(action)
            return True
        return False

    with FakeAMI(handler_with(extra)) as fake:
        conn = connected(fake)
        try:
            assert conn.send([("Action", "Flood")], timeout=30).ok  # after the flood: all of it was read
            sub = conn.subscribe()
            assert len(sub) == 10_000 and sub.dropped == count - 10_000
            assert [int(m["Seq"]) for m in sub.drain()] == list(range(count - 10_000, count))  # newest kept
        finally:
            conn.close(timeout=1.0)


def test_connection_banner_in_another_encoding():
    banner = b"Asterisk Call Manager/11.0.0 " + CP1251_NAME + b"\r\n"
    with FakeAMI(banner=banner) as fake:
        conn = connected(fake)
        try:
            assert conn.banner.text.encode("latin-1") == banner.rstrip(b"\r\n")
            assert conn.send([("Action", "Ping")], timeout=T).ok
        finally:
            conn.close(timeout=1.0)


def test_connection_tls_handshake_timeout_is_bounded(mute_listener):
    conn = Connection(HOST, mute_listener, tls=True, insecure=True, connect_timeout=0.5)
    t0 = time.monotonic()
    with pytest.raises(TLSError, match="TLS handshake"):
        conn.connect()
    assert time.monotonic() - t0 < 60  # bounded (an upper bound only: the mute peer never answers)
    assert not conn.connected


def test_connection_tls_peer_closing_in_the_handshake(slamming_listener):
    conn = Connection(HOST, slamming_listener, tls=True, insecure=True, connect_timeout=2)
    with pytest.raises(TLSError, match="TLS handshake"):
        conn.connect()
    assert not conn.connected


# == the parser: an over-long legacy Command output cut at its end marker ====================================


FOLLOWS = b"Response: Follows\r\nPrivilege: Command\r\n" + b"line of output\n" * 10 + b"--END COMMAND--\r\n\r\n"
NEXT = b"Event: Next\r\n\r\n"


@pytest.mark.parametrize("cut", range(len(FOLLOWS) - 24, len(FOLLOWS) + 1))
def test_over_long_follows_cut_at_its_end_does_not_swallow_what_follows(cut):
    """Regression: when the bound was crossed with the buffer ending inside (or just after) the
    --END COMMAND-- marker, the parser dropped the marker and skipped every later message."""
    p = Parser(expect_banner=False, max_message=60)
    items = p.receive_data(FOLLOWS[:cut]) + p.receive_data(FOLLOWS[cut:] + NEXT) + p.eof()
    assert [(type(i).__name__, getattr(i, "skipped", None)) for i in items] == [
        ("ProtocolError", len(FOLLOWS)),
        ("Message", None),
    ]
    assert items[1].raw == NEXT
    assert p.buffered == 0


# == the shell ====================================================================================


def test_shell_shows_protocol_errors_keeps_events_and_survives(tmp_path, monkeypatch):
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from amish.shell.app import Shell
    from shelldrive import drive

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))

    def extra(action, client):
        name = action.get("Action")
        if name == "UserEvent":
            client.respond(action)
            client.event("Before", Channel="PJSIP/a-1")
            client.send(b"\x00\xff garbage\r\n\r\n")
            client.send(encode(("Event", "Huge"), ("Data", "z" * (DEFAULT_MAX_LINE + 1))))
            client.event("Cp1251", CallerIDName=CP1251_NAME)
            client.event("After", Channel="PJSIP/a-1")
            return True
        if name == "CoreStatus":
            client.event("Last", Channel="PJSIP/a-1")
            client.send(b"Event: Cut\r\nChannel: PJSIP/")
            client.close()
            return True
        return False

    with FakeAMI(handler_with(extra)) as fake:
        conn = connected(fake)
        with create_pipe_input() as pipe:
            shell = Shell(conn, input=pipe, output=DummyOutput(), timeout=3, confirm=False)
            names = lambda: [e.message.get("Event") for e in shell.events.view if e.message.get("Event") != "amish"]
            steps = [
                ("UserEvent UserEvent=x\r", lambda: "After" in names(), "the events around the bad one"),
                ("", lambda: f"line longer than {DEFAULT_MAX_LINE} bytes" in shell.transcript.text(), "the error"),
                ("Ping\r", lambda: "Pong" in shell.transcript.text(), "a Ping after it"),
                ("CoreStatus\r", lambda: shell.state == "disconnected", "the cut"),
            ]
            asyncio.run(drive(shell, pipe, steps))
        conn.close(timeout=1.0)
    text = shell.transcript.text()
    assert [n for n in names() if n] == ["Before", "Cp1251", "After", "Last"]  # nothing received was lost
    assert None in names()  # the garbage is shown too (as a message with no Event), not hidden
    assert "connection closed in the middle of a message" in text
    assert "connection lost" in text
    assert "Traceback" not in text


@pytest.mark.parametrize("line", [b" Secret: hunter2", b"Secret : hunter2", b"\tsecret:hunter2", b"SECRET:  hunter2"])
def test_odd_spacing_around_secret_is_masked_in_headers_as_in_bytes(line):
    """Regression: mask_secrets masked these lines, Message.masked() showed them (found by fuzz/run)."""
    raw = b"Action: Login\r\nUsername: admin\r\n" + line + b"\r\n\r\n"
    (msg,) = Parser(expect_banner=False).receive_data(raw)
    masked = msg.masked()
    assert b"hunter2" not in masked.raw
    assert "hunter2" not in repr(masked.headers)
