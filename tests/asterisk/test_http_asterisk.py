"""AMI over HTTP (/rawman) against the real sandbox Asterisk: the HttpConnection and the command line.

The same things as over TCP: login both ways, actions, list actions, Command output,
repeated headers, non-ASCII values, events idle and under a flood, session expiry,
a wrong prefix, webenabled=no, HTTPS; and the command line's modes over http://.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
import uuid

import pytest

from amish.core.errors import AuthenticationError, ConnectionLost, NotAMIError, TLSError
from amish.core.protocol import Message
from amish.transports import http as H
from amish.transports.connection import Closed, Connection, Notice
from amish.transports.http import HttpConnection
from amish.transports.replay import ReplayConnection
from amishcli import AMISH, env
from conftest import ADMIN, READER
from managerconf import canonical_manager_conf, live_manager_conf, manager_conf_lock, purge_expired_sessions, short_http_sessions

pytestmark = pytest.mark.asterisk


@pytest.fixture
def web(asterisk):
    """A logged-in admin HttpConnection (events on), with the sandbox's own manager.conf live."""
    with manager_conf_lock(asterisk, exclusive=False):
        conn = HttpConnection(asterisk.host, asterisk.http_port)
        conn.connect()
        conn.login(*ADMIN)
        yield conn
        conn.close()


def events_named(sub, name, n, timeout=20.0):
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        item = sub.get(0.5)
        if type(item) is Message and item.get("Event") == name:
            got.append(item)
        assert not isinstance(item, Closed), item
    return got


@pytest.mark.parametrize("auth", ["md5", "plain"])
def test_login_both_ways_and_an_action(asterisk, auth):
    with manager_conf_lock(asterisk, exclusive=False):
        conn = HttpConnection(asterisk.host, asterisk.http_port)
        assert conn.kind == "http" and conn.live
        assert conn.connect() is None and conn.banner is None  # HTTP has no greeting
        conn.login(*ADMIN, auth=auth)
        try:
            result = conn.send([("Action", "Ping")])
            assert result.ok and result.response["Ping"] == "Pong"
            assert result.response["ActionID"] == result.action_id
            assert conn.peer_ip == "127.0.0.1" and conn.address == f"http://127.0.0.1:{asterisk.http_port}"
        finally:
            conn.close()
        assert not conn.connected


def test_a_refused_login_says_so(asterisk):
    conn = HttpConnection(asterisk.host, asterisk.http_port)
    conn.connect()
    try:
        with pytest.raises(AuthenticationError, match="login to .* as admin failed"):
            conn.login("admin", "wrong")
    finally:
        conn.close(logoff=False)


def test_list_action_command_output_and_config_groups(web):
    family = f"amish-http-{uuid.uuid4().hex[:6]}"
    for key in ("a", "b", "c"):
        assert web.send([("Action", "DBPut"), ("Family", family), ("Key", key), ("Val", f"v-{key}")]).ok
    tree = web.send([("Action", "DBGetTree"), ("Family", family)])
    assert tree.ok and tree.complete is not None and tree.complete["Event"] == "DBGetTreeComplete"
    assert sorted(e["Key"] for e in tree.events) == [f"/{family}/a", f"/{family}/b", f"/{family}/c"]
    web.send([("Action", "DBDelTree"), ("Family", family)])

    out = web.send([("Action", "Command"), ("Command", "core show help core show")])
    assert out.ok and len(out.response.getall("Output")) > 3  # one Output header per line, as over TCP

    name = f"amish-http-{uuid.uuid4().hex[:6]}.conf"
    assert web.send([("Action", "CreateConfig"), ("Filename", name)]).ok
    update = web.send([
        ("Action", "UpdateConfig"), ("SrcFilename", name), ("DstFilename", name), ("Reload", "no"),
        ("Action-000000", "NewCat"), ("Cat-000000", "général"),
        ("Action-000001", "Append"), ("Cat-000001", "général"), ("Var-000001", "nom"), ("Value-000001", "Zoë ✓"),
        ("Action-000002", "Append"), ("Cat-000002", "général"), ("Var-000002", "two"), ("Value-000002", "a&b=c%20"),
    ])
    assert update.ok, update.response
    got = web.send([("Action", "GetConfig"), ("Filename", name)])
    assert got.response["Category-000000"] == "général"
    assert got.response["Line-000000-000000"] == "nom=Zoë ✓"
    assert got.response["Line-000000-000001"] == "two=a&b=c%20"  # form-encoding round trip, byte for byte


def test_actions_are_pipelined_on_one_connection_and_answered_in_order(asterisk):
    """2,000 actions submitted at once go out back to back on one connection; each gets its own answer."""
    with manager_conf_lock(asterisk, exclusive=False):
        wire = _Wire()
        conn = HttpConnection(asterisk.host, asterisk.http_port, on_wire=wire)
        conn.connect()
        conn.login(*ADMIN)
        try:
            family = f"amish-pipe-{uuid.uuid4().hex[:6]}"
            pendings = []
            for i in range(2000):
                if i % 100 == 7:
                    pendings.append(conn.submit([("Action", "DBGetTree"), ("Family", family)]))
                elif i % 10 == 3:
                    pendings.append(conn.submit([("Action", "DBPut"), ("Family", family), ("Key", str(i)), ("Val", "v")]))
                else:
                    pendings.append(conn.submit([("Action", "Ping")]))
            for p in pendings:
                p.wait(60)
            assert all(p.ok or p.action["Action"] == "DBGetTree" for p in pendings)
            assert all(p.response["ActionID"] == p.action_id for p in pendings)
            # a list action's items are the DBPuts sent before it on the same connection: order kept
            for i, p in enumerate(pendings):
                if p.action["Action"] == "DBGetTree":
                    assert len(p.events) == len([j for j in range(i) if j % 10 == 3 and j % 100 != 7])
            conn.send([("Action", "DBDelTree"), ("Family", family)])
        finally:
            conn.close()
        assert wire.sent(b"Action=Ping") == 2000 - 200 - 20  # each request written once


def test_repeated_headers_and_non_ascii_arrive_intact_as_events(web):
    sub = web.subscribe()
    tag = f"héllo-{uuid.uuid4().hex[:6]}"
    assert web.send([("Action", "UserEvent"), ("UserEvent", tag), ("Variable", "a=1"), ("Variable", "b=ü"),
                     ("X", "ä ö + & = %")]).ok
    (event,) = [e for e in events_named(sub, "UserEvent", 1) if e["UserEvent"] == tag] or [None]
    assert event is not None
    assert event.getall("Variable") == ["a=1", "b=ü"]
    assert event["X"] == "ä ö + & = %"


def test_events_while_idle(web, monkeypatch):
    monkeypatch.setattr(H, "POLL_TIMEOUT", 1)  # several polls come back empty before the event
    sub = web.subscribe()
    time.sleep(3.5)
    web.send([("Action", "UserEvent"), ("UserEvent", "amish-idle")])
    got = [e for e in events_named(sub, "UserEvent", 1) if e["UserEvent"] == "amish-idle"]
    assert got and web.connected


def test_a_flood_of_events_count_equal_order_kept(asterisk, web):
    """UserEvents sent on a TCP session arrive over HTTP, every one, in order."""
    n = 3000
    sub = web.subscribe(maxlen=n * 2)
    tag = f"flood-{uuid.uuid4().hex[:6]}"
    tcp = Connection(asterisk.host, asterisk.port)
    tcp.connect()
    tcp.login(*ADMIN, events="off")
    try:
        pendings = [tcp.submit([("Action", "UserEvent"), ("UserEvent", tag), ("Seq", str(i))]) for i in range(n)]
        for p in pendings:
            p.wait(30)
    finally:
        tcp.close()
    got = [e for e in events_named(sub, "UserEvent", n, timeout=60) if e["UserEvent"] == tag]
    deadline = time.monotonic() + 30
    while len(got) < n and time.monotonic() < deadline:
        got += [e for e in events_named(sub, "UserEvent", n - len(got), timeout=5) if e["UserEvent"] == tag]
    assert [int(e["Seq"]) for e in got] == list(range(n))
    assert sub.dropped == 0


def test_an_originate_response_pairs_through_waitevent(web):
    result = web.send([("Action", "Originate"), ("Channel", "Local/echo@amish-test"), ("Application", "Wait"),
                       ("Data", "0.2"), ("Async", "true")], wait_event="OriginateResponse", timeout=20)
    assert result.event is not None and result.event["Response"] == "Success"


def test_https_verified_and_not(asterisk):
    with manager_conf_lock(asterisk, exclusive=False):
        conn = HttpConnection("localhost", asterisk.https_port, tls=True, cafile=asterisk.cafile)
        conn.connect()
        conn.login(*ADMIN)
        try:
            assert conn.send([("Action", "Ping")]).ok and conn.address.startswith("https://")
        finally:
            conn.close()
        other = HttpConnection("localhost", asterisk.https_port, tls=True, cafile=asterisk.other_cafile)
        with pytest.raises(TLSError, match="certificate not trusted.*--cafile"):
            other.connect()
        plain_port = HttpConnection(asterisk.host, asterisk.http_port, tls=True, cafile=asterisk.cafile)
        with pytest.raises(TLSError, match="is this an HTTPS port"):
            plain_port.connect()


def test_wrong_prefix_and_wrong_port_say_the_fix(asterisk):
    wrong = HttpConnection(asterisk.host, asterisk.http_port, prefix="/asterisk")
    with pytest.raises(NotAMIError, match=r"no prefix '/asterisk'.*use http://127\.0\.0\.1:\d+$"):
        wrong.connect()
    ami = HttpConnection(asterisk.host, asterisk.port)
    with pytest.raises(NotAMIError, match=rf"AMI's TCP port.*use ami://127\.0\.0\.1:{asterisk.port}"):
        ami.connect()
    tcp = Connection(asterisk.host, asterisk.http_port, banner_timeout=3)
    with pytest.raises(NotAMIError, match=rf"Asterisk's HTTP server .*use http://127\.0\.0\.1:{asterisk.http_port}"):
        tcp.connect()
    tcp.close()


def test_webenabled_no_is_a_404_that_names_the_setting(asterisk):
    with live_manager_conf(asterisk) as apply:
        text = canonical_manager_conf(asterisk)
        apply(text.replace("webenabled = yes", "webenabled = no"))
        conn = HttpConnection(asterisk.host, asterisk.http_port)
        with pytest.raises(NotAMIError, match=r"no manager at /rawman \(HTTP 404\): .*webenabled = yes"):
            conn.connect()


class _Wire:
    """An on_wire hook that counts the requests sent and can hold the event reader's polls back.

    Holding a poll back (in the reader thread, before it is written) is how a test makes the
    server forget a session for real: nothing renews it for longer than httptimeout.
    """

    def __init__(self):
        self.out: list[bytes] = []
        self.hold_polls = threading.Event()
        self.released = threading.Event()
        self.held = threading.Event()

    def __call__(self, direction, data):
        if direction != "out":
            return
        self.out.append(data)
        if b"Action=WaitEvent" in data and self.hold_polls.is_set():
            self.held.set()
            self.released.wait(30)

    def sent(self, needle: bytes) -> int:
        return sum(1 for d in self.out if needle in d)


def _notices(sub, timeout=10.0):
    deadline = time.monotonic() + timeout
    got = []
    while not got and time.monotonic() < deadline:
        item = sub.get(0.5)
        assert not isinstance(item, Closed), item
        if isinstance(item, Notice):
            got.append(item)
    return got


@pytest.fixture
def short_sessions(asterisk):
    """manager.conf with httptimeout = 3 (the sandbox's own otherwise)."""
    with short_http_sessions(asterisk, 3):
        yield


def test_polls_keep_a_short_session_alive_without_spinning(asterisk, short_sessions):
    """Asterisk holds no WaitEvent for a session shorter than 11 s (it answers at once): amish paces its polls."""
    wire = _Wire()
    conn = HttpConnection(asterisk.host, asterisk.http_port, on_wire=wire)
    conn.connect()
    conn.login(*ADMIN)
    try:
        assert conn._max_age == 3  # the cookie said so: polls are short enough to keep it alive
        sub = conn.subscribe()
        time.sleep(5)  # longer than httptimeout
        assert 4 <= wire.sent(b"Action=WaitEvent") <= 5 / H.POLL_PACE + 2  # renewed, and no busy loop
        assert conn.send([("Action", "Ping")]).ok
        time.sleep(0.2)
        assert not [i for i in sub.drain() if isinstance(i, (Notice, Closed))]  # the session never lapsed
    finally:
        conn.close()


def test_a_session_the_server_forgot_an_action_finds_it_is_reported_and_never_resent(asterisk, short_sessions):
    """The server really forgets the session (nothing renews it for > httptimeout); the next action finds out.

    That action fails, said so, and goes out once only; the reader alone logs in again (one Login);
    an action submitted meanwhile waits for that login and then runs; the notice is a Notice.
    """
    wire = _Wire()
    conn = HttpConnection(asterisk.host, asterisk.http_port, on_wire=wire)
    conn.connect()
    conn.login(*ADMIN)
    try:
        sub = conn.subscribe()
        wire.hold_polls.set()
        assert wire.held.wait(10)  # the reader is held before its next poll: nothing renews the session
        time.sleep(4)  # > httptimeout: Asterisk forgets it
        purge_expired_sessions(asterisk)
        refused = conn.submit([("Action", "Ping"), ("ActionID", "amish-test-refused")])
        with pytest.raises(ConnectionLost, match="forgotten the HTTP session.*not run and is not sent again"):
            refused.wait(10)
        later = conn.submit([("Action", "Ping"), ("ActionID", "amish-test-later")])
        time.sleep(0.5)
        assert not later.done  # held back while the session is being logged in again
        wire.hold_polls.clear()
        wire.released.set()
        (notice,) = _notices(sub)
        assert "the HTTP session expired" in notice.text and "logged in again" in notice.text
        assert later.wait(10).ok
        assert conn.send([("Action", "Ping")]).ok and conn.connected
        assert wire.sent(b"ActionID=amish-test-refused") == 1  # never re-sent
        assert wire.sent(b"ActionID=amish-test-later") == 1
        assert wire.sent(b"Action=Login") == 2  # the first login and one login again
    finally:
        wire.released.set()
        conn.close()


def test_a_session_the_event_reader_finds_forgotten_is_logged_in_again_once(asterisk):
    """A cookie the server never issued stands for a forgotten one: the reader's next poll finds out."""
    with manager_conf_lock(asterisk, exclusive=False):
        wire = _Wire()
        conn = HttpConnection(asterisk.host, asterisk.http_port, on_wire=wire)
        conn.connect()
        conn.login(*ADMIN)
        try:
            sub = conn.subscribe()
            with conn._lock:
                conn._cookie = "deadbeef"
            conn._expired("deadbeef")  # as a refused poll would say
            (notice,) = _notices(sub)
            assert "logged in again" in notice.text
            assert conn.send([("Action", "Ping")]).ok
            assert wire.sent(b"Action=Login") == 2
            time.sleep(1.0)
            assert not [i for i in sub.drain() if isinstance(i, (Notice, Closed))]  # one notice, one login again
        finally:
            conn.close()


def test_asterisk_restart_ends_the_session_with_closed(asterisk):
    with manager_conf_lock(asterisk, exclusive=False):
        conn = HttpConnection(asterisk.host, asterisk.http_port)
        conn.connect()
        conn.login(*ADMIN)
        sub = conn.subscribe()
        try:
            asterisk.cli("core restart now")
            deadline = time.monotonic() + 30
            closed = None
            while closed is None and time.monotonic() < deadline:
                item = sub.get(0.5)
                if isinstance(item, Closed):
                    closed = item
            assert closed is not None and "127.0.0.1" in closed.reason
            assert not conn.connected
        finally:
            conn.close()
            for _ in range(300):  # the rest of the suite needs it back
                try:
                    c = Connection(asterisk.host, asterisk.port)
                    c.connect()
                    c.login(*ADMIN, wait_booted=30)
                    c.close()
                    break
                except Exception:
                    time.sleep(0.1)


# -- the command line over http:// ----------------------------------------------------------


def url(asterisk, scheme="http", port=None):
    return f"{scheme}://admin@{asterisk.host}:{port or asterisk.http_port}"


def amish(args, stdin=b"", **extra):
    return subprocess.run(AMISH + args, input=stdin, capture_output=True, timeout=60, env=env(**extra))


def test_pipe_tool_pipeline_json_over_http(asterisk, tmp_path):
    f = tmp_path / "a.ami"
    f.write_text("Ping\n\nAction: Command\nCommand: core show version\n\nAction: CoreShowChannels\n")
    proc = amish([url(asterisk), "-f", str(f), "--format", "json", "--pipeline"])
    assert proc.returncode == 0, proc.stderr
    results = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [r["action"] for r in results] == ["Ping", "Command", "CoreShowChannels"]
    assert results[2]["complete"]["Event"] == "CoreShowChannelsComplete"


def test_trace_and_recording_mask_the_secret_and_the_cookie_and_replay(asterisk, tmp_path):
    trace, rec = tmp_path / "t.txt", tmp_path / "r.jsonl"
    proc = amish([url(asterisk), "--auth", "plain", "--trace=" + str(trace), "--record", str(rec)],
                 b"Action: UserEvent\nUserEvent: amish-rec\n\n")
    assert proc.returncode == 0, proc.stderr
    for path in (trace, rec):
        text = path.read_text()
        assert ADMIN[1] not in text and "Secret=********" in text
        assert "mansession_id=" in text
        assert not re.search(r'mansession_id=\\?"?(?!\*)[0-9a-f]{6}', text), path
    assert "POST /rawman HTTP/1.1" in trace.read_text()
    replay = ReplayConnection.open(str(rec), pair=True)
    sub = replay.subscribe()
    replay.start(None)
    items = []
    while not items or not isinstance(items[-1], Closed):
        items.append(sub.get(5))
    actions = [i.action["Action"] for i in items if type(i).__name__ == "Pending"]
    assert "UserEvent" in actions and "Login" in actions and "WaitEvent" not in actions
    assert any(type(i) is Message and i.get("UserEvent") == "amish-rec" for i in items)


def test_events_mode_over_http(asterisk):
    tag = f"ev-{uuid.uuid4().hex[:6]}"
    proc = subprocess.Popen(AMISH + ["events", url(asterisk), "--format", "jsonl", "--count", "2",
                                     "--filter", f"UserEvent UserEvent={tag}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env())
    time.sleep(2)
    sender = amish([url(asterisk)], f"UserEvent UserEvent={tag} N=1\nUserEvent UserEvent={tag} N=2\n".encode())
    assert sender.returncode == 0, sender.stderr
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert [json.loads(line)["N"] for line in out.decode().splitlines()] == ["1", "2"]


def test_audit_over_http(asterisk):
    proc = amish(["audit", url(asterisk), "--format", "json"])
    assert proc.stderr == b""
    report = json.loads(proc.stdout)
    assert report["checked"]["manager.conf"] is True and report["checked"]["http.conf"] is True
    assert report["target"]["transport"] == "http"
    assert proc.returncode == report["exit_code"]  # the sandbox's admin has write=all: a finding, as over TCP
    pretty = amish(["audit", url(asterisk)])
    assert "plain HTTP, loopback peer" in pretty.stdout.decode()


def test_audit_checks_rawman_live_on_every_listener_it_learns_of(asterisk):
    """The live look agrees with the server, not with the file: a manager.conf saying webenabled=no
    that was not reloaded still serves /rawman, and the audit says so; reloaded, /rawman is gone (404)."""
    def probes():
        proc = amish(["audit", url(asterisk, port=asterisk.port).replace("http://", "ami://"), "--format", "json"])
        report = json.loads(proc.stdout)
        return {p["url"]: p["outcome"] for p in report["http_probes"]}, report

    urls = [f"http://127.0.0.1:{asterisk.http_port}/rawman", f"https://127.0.0.1:{asterisk.https_port}/rawman"]
    with live_manager_conf(asterisk) as apply:
        got, _ = probes()
        assert got == dict.fromkeys(urls, "answers")
        text = canonical_manager_conf(asterisk).replace("webenabled = yes", "webenabled = no")
        from pathlib import Path
        from managerconf import LIVE_REL

        (Path(asterisk.root) / LIVE_REL).write_text(text)  # the file only: no reload
        got, report = probes()
        assert got == dict.fromkeys(urls, "answers")  # what runs, not what the file says
        apply(text)  # reloaded
        got, report = probes()
        assert got == dict.fromkeys(urls, "not-served")
        pretty = amish(["audit", url(asterisk, port=asterisk.port).replace("http://", "ami://")]).stdout.decode()
        assert f"http://127.0.0.1:{asterisk.http_port}/rawman live: not served" in " ".join(pretty.split())


def test_raw_says_it_needs_tcp(asterisk):
    proc = amish(["raw", url(asterisk)])
    assert proc.returncode == 4 and b"needs AMI's TCP port" in proc.stderr and b"Traceback" not in proc.stderr


def test_reader_is_refused_what_it_may_not_do_over_http(asterisk):
    """Permission denied for an action is not mistaken for a forgotten session."""
    with manager_conf_lock(asterisk, exclusive=False):
        conn = HttpConnection(asterisk.host, asterisk.http_port)
        conn.connect()
        conn.login(*READER)
        try:
            result = conn.send([("Action", "Command"), ("Command", "core show version")])
            assert not result.ok and result.response["Message"] == "Permission denied"
            assert conn.send([("Action", "Ping")]).ok
        finally:
            conn.close()
