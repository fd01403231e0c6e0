"""amish.transports.connection.Connection against a fake AMI server that misbehaves on purpose.

These are the faults a real Asterisk cannot be made to produce: wrong
banners, silence, cuts in the middle of a message, garbage, floods, answers
out of order. Every wait has a timeout, and a watchdog ends the run if a test
hangs anyway.
"""

from __future__ import annotations

import faulthandler
import hashlib
import socket
import sys
import threading
import time
from contextlib import contextmanager

import pytest

from fakeami import FakeAMI, default_handler, encode

from amish.transports.connection import Closed, Connection, Subscription
from amish.core.errors import (
    ActionTimeout,
    AmishError,
    AuthenticationError,
    ConnectError,
    ConnectionLost,
    NotAMIError,
    TLSError,
)
from amish.core.protocol import HeaderError, Message, ProtocolError

HOST = "127.0.0.1"
T = 5.0  # the longest any single wait may take in these tests
BIG = 600.0  # a timeout that must NOT be what ends a wait: the test asserts far less than this
WATCHDOG = 90.0  # a test that runs longer than this is hung: dump stacks and exit


@pytest.fixture(autouse=True)
def _watchdog():
    faulthandler.dump_traceback_later(WATCHDOG, exit=True, file=sys.__stderr__)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


# -- helpers -------------------------------------------------------------------


def new_conn(fake: FakeAMI, **kw) -> Connection:
    kw.setdefault("banner_timeout", 0.5)
    kw.setdefault("connect_timeout", 2.0)
    return Connection(HOST, fake.port, **kw)


@contextmanager
def session(fake: FakeAMI, *, login: bool = True, subscribe: int | None = None, **kw):
    """A connected (and logged-in) Connection, closed at the end; with `subscribe`, (conn, sub)."""
    conn = new_conn(fake, **kw)
    sub = conn.subscribe(maxlen=subscribe) if subscribe else None
    try:
        conn.connect()
        if login:
            conn.login("admin", fake.secret, timeout=T)
        yield (conn, sub) if subscribe else conn
    finally:
        conn.close(timeout=1.0)


def wait_until(predicate, timeout: float = T, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout:g} s")
        time.sleep(0.002)


def get_items(sub: Subscription, count: int, timeout: float = T) -> list:
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < count:
        item = sub.get(max(0.0, deadline - time.monotonic()))
        if item is None:
            raise AssertionError(f"got {len(out)} of {count} items: {out!r}")
        out.append(item)
    return out


def assert_nothing_more(sub: Subscription, wait: float = 0.1) -> None:
    item = sub.get(wait)
    assert item is None, f"unexpected item {item!r}"


def closed_port() -> int:
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()  # never listened: connecting is refused
    return port


def exception_texts(exc: BaseException) -> str:
    """Everything an exception (and whatever it chains to) could show a user."""
    parts = []
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        parts += [str(exc), repr(exc), repr(exc.args)]
        exc = exc.__cause__ or exc.__context__
    return "\n".join(parts)


def hold_handler(held: dict, names=("Hold",)):
    """A handler that keeps actions named in `names` unanswered (in `held`, by Tag) and pings."""
    lowered = {n.lower() for n in names}

    def handler(action, client):
        if (action.get("Action") or "").lower() in lowered:
            held[action.get("Tag")] = (action, client)
        else:
            default_handler(action, client)

    return handler


# -- connecting ----------------------------------------------------------------


def test_non_ami_banner_is_named():
    with FakeAMI(banner=b"SSH-2.0-OpenSSH_9.2\r\n") as fake:
        conn = new_conn(fake, banner_timeout=BIG)
        t0 = time.monotonic()
        with pytest.raises(NotAMIError) as info:
            conn.connect()
        assert time.monotonic() - t0 < BIG / 10  # told at once, not after the banner timeout
        assert "not AMI" in str(info.value)
        assert "SSH-2.0-OpenSSH_9.2" in str(info.value)
        assert not conn.connected and conn._thread is None
        conn.close()


def test_silent_server_is_not_ami_after_banner_timeout():
    with FakeAMI(banner=None) as fake:
        conn = new_conn(fake, banner_timeout=0.5)
        t0 = time.monotonic()
        with pytest.raises(NotAMIError) as info:
            conn.connect()
        elapsed = time.monotonic() - t0
        assert 0.45 <= elapsed < BIG / 10  # (an upper bound only: a loaded machine is slow, never early)
        assert "no AMI banner within 0.5 s" in str(info.value)
        assert not conn.connected


class _HTTPServer:
    """A loopback HTTP server that answers every request with `reply` (and counts them)."""

    def __init__(self, reply: bytes):
        import socketserver

        outer = self
        self.requests: list[bytes] = []

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = self.request.recv(1024)
                    if not chunk:
                        return
                    data += chunk
                outer.requests.append(data)
                self.request.sendall(reply)

        self.server = socketserver.ThreadingTCPServer((HOST, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(
    "reply, said",
    [
        (b"HTTP/1.1 404 Not Found\r\nServer: Asterisk/22.1.0\r\n\r\n", "is Asterisk's HTTP server (Asterisk/22.1.0)"),
        (b"HTTP/1.0 200 OK\r\nServer: nginx\r\n\r\n", "is an HTTP server (nginx), not AMI"),
        (b"HTTP/1.0 400 Bad Request\r\n\r\n", "is an HTTP server, not AMI"),
    ],
    ids=["asterisk", "nginx", "no-server-header"],
)
def test_an_http_server_is_recognised_long_before_the_banner_timeout(reply, said):
    with _HTTPServer(reply) as http:
        conn = Connection(HOST, http.port, connect_timeout=2.0, banner_timeout=60)
        with pytest.raises(NotAMIError) as info:  # a 60 s banner wait would fail the test's own timeout
            conn.connect()
        assert said in str(info.value)
        assert len(http.requests) == 1 and http.requests[0].startswith(b"HEAD / HTTP/1.0")
        assert not conn.connected


def test_a_late_banner_is_taken_and_the_http_probe_leaves_the_ami_session_alone():
    """An AMI server slower than the probe: the probe went to a connection of its own."""
    def late(client):
        time.sleep(1.0)
        client.send(b"Asterisk Call Manager/11.0.0\r\n")

    with FakeAMI(banner=None, on_connect=late) as fake:
        with session(fake, login=False, banner_timeout=5) as conn:
            assert conn.banner.text == "Asterisk Call Manager/11.0.0"
            assert conn.send([("Action", "Ping")], timeout=5).response is not None
        assert [m.get("Action") for m in fake.actions if m.get("Action")] == ["Ping"]  # the probe sent no action


def test_connection_refused_is_connect_error():
    port = closed_port()
    conn = Connection(HOST, port, connect_timeout=2.0, banner_timeout=0.5)
    with pytest.raises(ConnectError) as info:
        conn.connect()
    assert not isinstance(info.value, NotAMIError)
    assert f"cannot connect to {HOST}:{port}" in str(info.value)
    assert "refused" in str(info.value).lower()
    assert not conn.connected


def test_server_closing_before_banner_is_not_ami():
    with FakeAMI(banner=None, on_connect=lambda client: client.close()) as fake:
        conn = new_conn(fake)
        with pytest.raises(NotAMIError) as info:
            conn.connect()
        assert "closed the connection before sending a banner" in str(info.value)


def test_banner_dripped_byte_by_byte():
    def drip(client):
        client.send(b"Asterisk Call Manager/11.0.0\r\n", chunk=1, delay=0.003)

    with FakeAMI(banner=None, on_connect=drip) as fake:
        with session(fake, login=False) as conn:
            assert conn.banner.text == "Asterisk Call Manager/11.0.0"
            assert conn.banner.version == "11.0.0"


def test_message_in_the_same_packet_as_the_banner_is_delivered():
    def banner_and_event(client):
        client.send(b"Asterisk Call Manager/11.0.0\r\n" + encode(("Event", "FullyBooted"), ("Status", "Fully Booted")))

    with FakeAMI(banner=None, on_connect=banner_and_event) as fake:
        with session(fake, login=False, subscribe=100) as (conn, sub):
            (event,) = get_items(sub, 1)
            assert event.get("Event") == "FullyBooted"
            assert conn.send([("Action", "Challenge"), ("AuthType", "MD5")], timeout=T).ok


# -- login ---------------------------------------------------------------------


def test_md5_login_sends_md5_of_challenge_and_secret():
    with FakeAMI(secret="t0p-s3cret") as fake:
        with session(fake, login=False) as conn:
            response = conn.login("admin", "t0p-s3cret", timeout=T)
            assert response.get("Message") == "Authentication accepted"
            assert conn.username == "admin"
            (login,) = fake.logins
            challenge = fake.clients[0].challenge
            assert challenge
            assert login.get("AuthType") == "MD5"
            assert login.get("Username") == "admin"
            assert login.get("Key") == hashlib.md5((challenge + "t0p-s3cret").encode()).hexdigest()
            assert "Secret" not in login
            assert conn.send([("Action", "Ping")], timeout=T).response.get("Ping") == "Pong"


def test_plain_login_sends_the_secret():
    with FakeAMI(secret="t0p-s3cret") as fake:
        with session(fake, login=False) as conn:
            response = conn.login("admin", "t0p-s3cret", auth="plain", events="off", timeout=T)
            assert response.get("Message") == "Authentication accepted"
            (login,) = fake.logins
            assert login.get("Secret") == "t0p-s3cret"
            assert login.get("Events") == "off"
            assert "Key" not in login
            assert fake.received("Challenge") == []


@pytest.mark.parametrize("auth", ["md5", "plain"])
def test_wrong_secret_is_authentication_error_with_the_servers_message(auth):
    secret = "Wr0ng-Secr3t-x9"
    with FakeAMI(secret="right", auth_fail_delay=0.2) as fake:
        with session(fake, login=False) as conn:
            t0 = time.monotonic()
            with pytest.raises(AuthenticationError) as info:
                conn.login("admin", secret, auth=auth, timeout=T)
            assert time.monotonic() - t0 >= 0.2  # the server's delay, then its answer
            assert "Authentication failed" in str(info.value)
            assert "admin" in str(info.value)
            assert secret not in exception_texts(info.value)
            assert conn.username is None
            wait_until(lambda: not conn.connected, what="the server closing")


def test_server_closing_during_login_is_authentication_error():
    secret = "Cl0sed-Secr3t-x9"

    def handler(action, client):
        if (action.get("Action") or "").lower() == "login":
            client.close()  # no answer at all
        elif not fake.auth_handler(action, client):
            default_handler(action, client)

    with FakeAMI(handler, auth=False) as fake:
        with session(fake, login=False) as conn:
            with pytest.raises(AuthenticationError) as info:
                conn.login("admin", secret, timeout=T)
            assert "closed the connection during login" in str(info.value)
            assert secret not in exception_texts(info.value)


def test_refused_challenge_is_authentication_error():
    secret = "Ch4llenge-Secr3t"

    def handler(action, client):
        if (action.get("Action") or "").lower() == "challenge":
            client.respond(action, response="Error", Message="Must specify AuthType")
        elif not fake.auth_handler(action, client):
            default_handler(action, client)

    with FakeAMI(handler, auth=False) as fake:
        with session(fake, login=False) as conn:
            with pytest.raises(AuthenticationError) as info:
                conn.login("admin", secret, timeout=T)
            assert "refused the MD5 challenge (Must specify AuthType)" in str(info.value)
            assert secret not in exception_texts(info.value)
            assert fake.logins == []


def test_secret_with_a_line_break_is_refused_without_showing_it():
    secret = "Inj3ct\r\nAction: Originate"
    with FakeAMI() as fake:
        with session(fake, login=False) as conn:
            with pytest.raises(HeaderError) as info:
                conn.login("admin", secret, auth="plain", timeout=T)
            assert "Inj3ct" not in exception_texts(info.value)
            assert conn.send([("Action", "Ping")], timeout=T).response is not None
            assert fake.logins == []


# -- correlation ---------------------------------------------------------------


def test_responses_matched_by_action_id_when_answered_out_of_order():
    held: dict = {}

    def handler(action, client):
        name = action.get("Action")
        if name == "Slow":
            held["slow"] = action
        elif name == "Fast":
            client.respond(action, Tag="fast")  # the later action is answered first
            client.respond(held["slow"], Tag="slow")

    with FakeAMI(handler) as fake:
        with session(fake, subscribe=100) as (conn, sub):
            slow = conn.submit([("Action", "Slow")])
            fast = conn.submit([("Action", "Fast")])
            assert fast.wait(T).response.get("Tag") == "fast"
            assert slow.wait(T).response.get("Tag") == "slow"
            assert slow.action_id != fast.action_id
            assert slow.response.get("ActionID") == slow.action_id
            assert fast.response.get("ActionID") == fast.action_id
            assert [a.get("ActionID") for a in fake.received("Slow") + fake.received("Fast")] == [
                slow.action_id,
                fast.action_id,
            ]
            assert_nothing_more(sub)


def test_users_own_action_id_is_kept():
    with FakeAMI() as fake:
        with session(fake) as conn:
            pending = conn.submit([("Action", "Ping"), ("ActionID", "my-own-id")])
            assert pending.action_id == "my-own-id"
            assert pending.wait(T).response.get("ActionID") == "my-own-id"
            (sent,) = fake.received("Ping")
            assert sent.getall("ActionID") == ["my-own-id"]


def test_duplicate_action_id_in_flight_is_refused():
    held: dict = {}
    with FakeAMI(hold_handler(held)) as fake:
        with session(fake) as conn:
            conn.submit([("Action", "Hold"), ("ActionID", "dup"), ("Tag", "a")])
            with pytest.raises(AmishError, match="already in flight"):
                conn.submit([("Action", "Hold"), ("ActionID", "dup"), ("Tag", "b")])


def test_response_without_action_id_goes_to_the_oldest_waiting_action():
    held: dict = {}

    def handler(action, client):
        if action.get("Action") == "Hold":
            held[action.get("Tag")] = action
        elif action.get("Action") == "Release":
            client.respond(action)
            client.respond(held["b"], Tag="b")  # B by its ActionID
            client.respond(None, Tag="no-id-1")  # then two without one
            client.respond(None, Tag="no-id-2")

    with FakeAMI(handler) as fake:
        with session(fake, subscribe=100) as (conn, sub):
            a, b, c = (conn.submit([("Action", "Hold"), ("Tag", t)]) for t in "abc")
            fake.wait_action("Hold", 3)
            conn.send([("Action", "Release")], timeout=T)
            assert b.wait(T).response.get("Tag") == "b"
            assert a.wait(T).response.get("Tag") == "no-id-1"  # the oldest still waiting
            assert c.wait(T).response.get("Tag") == "no-id-2"
            assert_nothing_more(sub)


def test_list_action_collects_its_items_and_leaves_unrelated_events():
    def handler(action, client):
        if action.get("Action") != "CoreShowChannels":
            return default_handler(action, client)
        aid = action["ActionID"]
        client.respond(action, EventList="start", Message="Channels will follow")
        client.event("CoreShowChannel", ActionID=aid, Channel="PJSIP/a-1", Seq=1)
        client.event("Newchannel", Channel="PJSIP/x-9", Uniqueid="9.1")  # unrelated, no ActionID
        client.event("CoreShowChannel", ActionID=aid, Channel="PJSIP/b-2", Seq=2)
        client.event("CoreShowChannel", ActionID="someone-else", Channel="PJSIP/z-3")  # not ours
        client.event("CoreShowChannel", ActionID=aid, Channel="PJSIP/c-3", Seq=3)
        client.event("CoreShowChannelsComplete", ActionID=aid, EventList="Complete", ListItems=3)

    with FakeAMI(handler) as fake:
        with session(fake, subscribe=100) as (conn, sub):
            result = conn.send([("Action", "CoreShowChannels")], timeout=T)
            assert result.ok and result.listing
            assert [e.get("Seq") for e in result.events] == ["1", "2", "3"]
            assert result.complete.get("Event") == "CoreShowChannelsComplete"
            assert result.complete.get("ListItems") == "3"
            assert result.messages == [result.response, *result.events, result.complete]
            unrelated = get_items(sub, 2)
            assert [(m.get("Event"), m.get("Channel")) for m in unrelated] == [
                ("Newchannel", "PJSIP/x-9"),
                ("CoreShowChannel", "PJSIP/z-3"),
            ]
            assert_nothing_more(sub)


def originate_response(action, result="Success"):
    return encode(
        ("Event", "OriginateResponse"),
        ("ActionID", action["ActionID"]),
        ("Response", result),
        ("Channel", "PJSIP/100-00000001"),
        ("Reason", "4" if result == "Success" else "0"),
    )


def test_wait_event_arriving_after_the_response():
    go = threading.Event()

    def handler(action, client):
        if action.get("Action") != "Originate":
            return default_handler(action, client)
        client.respond(action, Message="Originate successfully queued")
        client.event("Marker")  # after the response: once it is in, the response has been handled
        go.wait(T)
        client.send(originate_response(action))

    with FakeAMI(handler) as fake:
        with session(fake, subscribe=100) as (conn, sub):
            pending = conn.submit([("Action", "Originate"), ("Async", "true")], wait_event="OriginateResponse")
            (marker,) = get_items(sub, 1)
            assert marker.get("Event") == "Marker" and pending.response is not None
            assert not pending.done  # the response alone does not finish it
            go.set()
            pending.wait(T)
            assert pending.ok
            assert pending.event.get("Event") == "OriginateResponse"
            assert pending.messages == [pending.response, pending.event]
            # only list items are withheld from subscribers: the awaited event is shown too
            (shown,) = get_items(sub, 1)
            assert shown is pending.event
            assert_nothing_more(sub)


def test_wait_event_arriving_before_the_response():
    def handler(action, client):
        if action.get("Action") != "Originate":
            return default_handler(action, client)
        client.send(originate_response(action))
        time.sleep(0.05)
        client.respond(action, Message="Originate successfully queued")

    with FakeAMI(handler) as fake:
        with session(fake) as conn:
            pending = conn.send([("Action", "Originate")], wait_event="OriginateResponse", timeout=T)
            assert pending.ok
            assert pending.response.get("Message") == "Originate successfully queued"
            assert pending.event.get("Event") == "OriginateResponse"


def test_wait_event_reporting_failure_is_not_ok():
    def handler(action, client):
        if action.get("Action") != "Originate":
            return default_handler(action, client)
        client.respond(action, Message="Originate successfully queued")
        client.send(originate_response(action, "Failure"))

    with FakeAMI(handler) as fake:
        with session(fake) as conn:
            pending = conn.send([("Action", "Originate")], wait_event="OriginateResponse", timeout=T)
            assert pending.response.get("Response") == "Success"
            assert not pending.ok


def test_error_response_with_wait_event_finishes_at_once():
    def handler(action, client):
        if action.get("Action") != "Originate":
            return default_handler(action, client)
        client.respond(action, response="Error", Message="Extension does not exist.")

    with FakeAMI(handler) as fake:
        with session(fake) as conn:
            t0 = time.monotonic()
            pending = conn.send([("Action", "Originate")], wait_event="OriginateResponse", timeout=BIG)
            assert time.monotonic() - t0 < BIG / 10  # at once, not after the timeout
            assert pending.done and not pending.ok
            assert pending.event is None
            assert pending.response.get("Message") == "Extension does not exist."


# -- timeouts ------------------------------------------------------------------


def test_action_timeout_then_late_response_goes_to_subscribers():
    held: dict = {}
    with FakeAMI(hold_handler(held)) as fake:
        with session(fake, subscribe=100) as (conn, sub):
            t0 = time.monotonic()
            with pytest.raises(ActionTimeout) as info:
                conn.send([("Action", "Hold"), ("Tag", "late")], timeout=0.3)
            assert 0.3 <= time.monotonic() - t0 < BIG / 10  # (an upper bound only)
            assert str(info.value) == "Hold: no response within 0.3 s"
            action, client = held["late"]
            client.respond(action, Tag="late")
            (late,) = get_items(sub, 1)
            assert isinstance(late, Message)
            assert late.get("ActionID") == action["ActionID"] and late.get("Tag") == "late"
            assert conn.connected
            assert conn.send([("Action", "Ping")], timeout=T).ok
            assert_nothing_more(sub)


def test_late_response_is_not_taken_by_another_waiting_action():
    held: dict = {}
    with FakeAMI(hold_handler(held)) as fake:
        with session(fake, subscribe=100) as (conn, sub):
            with pytest.raises(ActionTimeout):
                conn.send([("Action", "Hold"), ("Tag", "late")], timeout=0.2)
            other = conn.submit([("Action", "Hold"), ("Tag", "other")])
            fake.wait_action("Hold", 2)
            action, client = held["late"]
            client.respond(action, Tag="late")  # carries the timed-out action's ActionID
            (late,) = get_items(sub, 1)
            assert late.get("Tag") == "late"
            assert not other.done
            action, client = held["other"]
            client.respond(action, Tag="other")
            assert other.wait(T).response.get("Tag") == "other"


def test_incomplete_list_times_out_and_the_rest_goes_to_subscribers():
    held: dict = {}

    def handler(action, client):
        if action.get("Action") != "Status":
            return default_handler(action, client)
        client.respond(action, EventList="start", Message="Channel status will follow")
        client.event("Status", ActionID=action["ActionID"], Channel="PJSIP/a-1")
        held["status"] = action

    with FakeAMI(handler) as fake:
        with session(fake, subscribe=100) as (conn, sub):
            with pytest.raises(ActionTimeout, match="Status: an incomplete response within 0.3 s"):
                conn.send([("Action", "Status")], timeout=0.3)
            action = held["status"]
            fake.clients[0].event("StatusComplete", ActionID=action["ActionID"], EventList="Complete", ListItems=1)
            (complete,) = get_items(sub, 1)
            assert complete.get("Event") == "StatusComplete"
            assert conn.send([("Action", "Ping")], timeout=T).ok


# -- garbage, encodings, cuts ----------------------------------------------------


def test_garbage_between_messages_does_not_stop_parsing():
    long_line = b"x" * (1024 * 1024 + 10)

    def handler(action, client):
        if action.get("Action") != "Ping":
            return default_handler(action, client)
        client.event("First", Seq=1)
        client.send(b"\x00\x01\xfe\xff binary junk\r\n\r\n")
        client.send(b"\r\n\r\n\n\n")  # stray blank lines
        client.send(b"a line with no colon\r\n\r\n")
        client.send(b"Event: TooLong\r\nData: " + long_line + b"\r\n\r\n")
        client.event("Second", Seq=2)
        default_handler(action, client)

    with FakeAMI(handler) as fake:
        with session(fake, subscribe=100) as (conn, sub):
            pending = conn.send([("Action", "Ping")], timeout=T)
            assert pending.response.get("Ping") == "Pong"
            assert pending.response.get("ActionID") == pending.action_id
            first, junk, no_colon, too_long, second = get_items(sub, 5)
            assert first.get("Event") == "First"
            assert isinstance(junk, Message) and junk.kind == "" and junk.headers[0][0] is None
            assert junk.raw.startswith(b"\x00\x01\xfe\xff binary junk")
            assert no_colon.headers == [(None, "a line with no colon")]
            assert isinstance(too_long, ProtocolError) and "line longer than" in too_long.reason
            assert second.get("Event") == "Second"
            assert_nothing_more(sub)
            assert conn.send([("Action", "Ping")], timeout=T).ok


def test_invalid_utf8_in_an_event_value():
    cp1251 = "Привет".encode("cp1251")

    def handler(action, client):
        if action.get("Action") != "Ping":
            return default_handler(action, client)
        client.event("Newchannel", Channel="PJSIP/100-00000001", CallerIDName=cp1251, Exten="Zürich")
        client.event("After", Seq=2)
        client.respond(action, Ping="Pong", Note=b"\xff\xfe")

    with FakeAMI(handler) as fake:
        with session(fake, subscribe=100) as (conn, sub):
            pending = conn.send([("Action", "Ping")], timeout=T)
            assert pending.response.get("Note") == b"\xff\xfe".decode("latin-1")
            event, after = get_items(sub, 2)
            assert event.get("Channel") == "PJSIP/100-00000001"
            assert event.get("CallerIDName") == cp1251.decode("latin-1")  # lossless fallback
            assert event.get("Exten") == "Zürich"  # the other lines are still UTF-8
            assert b"CallerIDName: " + cp1251 + b"\r\n" in event.raw
            assert after.get("Event") == "After"


@pytest.mark.parametrize("cut", ["event", "response"])
def test_message_cut_by_a_disconnect(cut):
    def handler(action, client):
        if action.get("Action") != "Hold":
            return default_handler(action, client)
        client.event("Before", Seq=1)
        if cut == "event":
            client.send(b"Event: Partial\r\nChannel: PJSIP/cut")
        else:
            client.send(b"Response: Success\r\nActionID: " + action["ActionID"].encode() + b"\r\nMess")
        client.close()

    with FakeAMI(handler) as fake:
        with session(fake, subscribe=100) as (conn, sub):
            pending = conn.submit([("Action", "Hold")])
            with pytest.raises(ConnectionLost) as info:
                pending.wait(T)
            assert str(info.value).startswith("Hold: ")
            assert "closed the connection" in str(info.value)
            before, partial, closed = get_items(sub, 3)
            assert before.get("Event") == "Before"
            assert isinstance(partial, ProtocolError)
            assert partial.reason == "connection closed in the middle of a message"
            assert partial.sample.startswith(b"Event: Partial" if cut == "event" else b"Response: Success")
            assert isinstance(closed, Closed) and "closed the connection" in closed.reason
            assert_nothing_more(sub)
            assert not conn.connected
            with pytest.raises(ConnectionLost):
                conn.submit([("Action", "Ping")])


# -- load ------------------------------------------------------------------------

FLOOD = 200_000


@pytest.mark.parametrize("maxlen", [FLOOD + 1000, 1000])
def test_flood_is_counted_and_never_blocks_the_io_thread(maxlen):
    """The server floods until it receives a Ping: if the I/O thread only read and
    never got round to writing during a flood, the Ping would never arrive."""
    batch = 500
    sent = [0]  # events handed to the socket so far
    ping_seen = threading.Event()
    at_ping: dict = {}

    def handler(action, client):
        if action.get("Action") == "Ping" and not ping_seen.is_set():
            at_ping["sent"] = sent[0]
            ping_seen.set()
        default_handler(action, client)

    def flood(client):
        deadline = time.monotonic() + 60  # bounded even if the Ping never comes
        while time.monotonic() < deadline:  # no end of its own: only the Ping stops it
            if ping_seen.is_set() and sent[0] >= 50_000:
                break
            chunk = b"".join(
                encode(("Event", "Newexten"), ("Channel", "PJSIP/alice-00000001"), ("Seq", i), ("Uniqueid", "1700000000.1"))
                for i in range(sent[0], sent[0] + batch)
            )
            if not client.send(chunk):  # whole events only, so answers are never spliced into one
                return
            sent[0] += batch

    with FakeAMI(handler) as fake:
        with session(fake, subscribe=maxlen) as (conn, sub):
            flooder = threading.Thread(target=flood, args=(fake.clients[0],), daemon=True)
            flooder.start()
            wait_until(lambda: sub.received >= 10_000, 30, "the flood to start")
            ping = conn.submit([("Action", "Ping")])
            assert ping.wait(30).response.get("Ping") == "Pong"
            assert ping.response.get("ActionID") == ping.action_id
            flooder.join(30)
            assert not flooder.is_alive()  # the server could send everything: nobody blocked
            total = sent[0]
            assert total < FLOOD, at_ping  # the Ping got through mid-flood, long before 200,000 events
            wait_until(lambda: sub.received >= total, 30, "the whole flood")
            assert sub.received == total
            assert sub.dropped + len(sub) == sub.received
            items = sub.drain()
            if maxlen > total:
                assert sub.dropped == 0
                assert [int(m.get("Seq")) for m in items] == list(range(total))
            else:
                assert sub.dropped == total - maxlen > 0
                assert [int(m.get("Seq")) for m in items] == list(range(total - maxlen, total))  # newest kept
            assert conn.send([("Action", "Ping")], timeout=T).ok


def test_tls_flood_with_pings_in_between():
    count = 50_000
    chunks = [
        b"".join(encode(("Event", "Newexten"), ("Seq", i)) for i in range(start, min(start + 500, count)))
        for start in range(0, count, 500)
    ]

    def handler(action, client):
        if action.get("Action") != "Flood":
            return default_handler(action, client)
        client.respond(action)
        for chunk in chunks:  # from the client's own thread: TLS is never written from two
            client.send(chunk)

    with FakeAMI(handler, tls=True) as fake:
        with session(fake, tls=True, cafile=fake.cafile, subscribe=count + 10) as (conn, sub):
            conn.send([("Action", "Flood")], timeout=T)
            pings = []
            while sub.received < count and len(pings) < 50:
                pings.append(conn.submit([("Action", "Ping")]))
                time.sleep(0.005)
            for ping in pings:
                assert ping.wait(30).response.get("ActionID") == ping.action_id
            wait_until(lambda: sub.received >= count, 30, "the whole flood")
            assert sub.received == count and sub.dropped == 0
            assert [int(m.get("Seq")) for m in sub.drain()] == list(range(count))


def test_close_during_a_flood_is_prompt():
    burst = b"".join(encode(("Event", "Newexten"), ("Seq", i)) for i in range(2000))
    stop = threading.Event()

    def flood(client):
        while not stop.is_set() and client.send(burst):
            pass

    with FakeAMI() as fake:
        conn = new_conn(fake)
        sub = conn.subscribe(maxlen=100)
        conn.connect()
        conn.login("admin", "secret", timeout=T)
        flooder = threading.Thread(target=flood, args=(fake.clients[0],), daemon=True)
        flooder.start()
        try:
            wait_until(lambda: sub.received > 10_000, what="the flood")
            t0 = time.monotonic()
            conn.close(logoff=False, timeout=BIG)
            assert time.monotonic() - t0 < BIG / 10  # not the join timeout
            assert not conn._thread.is_alive()
        finally:
            stop.set()
            flooder.join(T)


def test_slow_drip_response_arrives_intact():
    body = encode(
        ("Response", "Success"),
        ("ActionID", "drip-1"),
        ("Message", "Grüße — 日本 ✓"),
        ("Ping", "Pong"),
    )

    def handler(action, client):
        if action.get("Action") == "Ping":
            client.send(body, chunk=1, delay=0.002)

    with FakeAMI(handler) as fake:
        with session(fake) as conn:
            pending = conn.send([("Action", "Ping"), ("ActionID", "drip-1")], timeout=T)
            assert pending.response.raw == body
            assert pending.response.get("Message") == "Grüße — 日本 ✓"
            assert pending.response.get("Ping") == "Pong"


def test_concurrent_sends_from_many_threads():
    def handler(action, client):
        client.respond(action, Ping="Pong", Echo=action.get("Tag"))

    threads_n, per_thread = 8, 200
    failures: list = []

    def worker(conn, n):
        try:
            for i in range(per_thread):
                tag = f"{n}-{i}"
                pending = conn.send([("Action", "Ping"), ("Tag", tag)], timeout=T)
                assert pending.response.get("ActionID") == pending.action_id
                assert pending.response.get("Echo") == tag
        except BaseException as e:  # noqa: BLE001 - reported below
            failures.append(e)

    with FakeAMI(handler) as fake:
        with session(fake) as conn:
            workers = [threading.Thread(target=worker, args=(conn, n)) for n in range(threads_n)]
            for w in workers:
                w.start()
            for w in workers:
                w.join(60)
            assert not any(w.is_alive() for w in workers)
            assert failures == []
            pings = fake.received("Ping")
            assert len(pings) == threads_n * per_thread
            # every action arrived whole: one Action, one ActionID, one Tag each
            assert all(len(p.getall("Action")) == len(p.getall("ActionID")) == len(p.getall("Tag")) == 1 for p in pings)
            assert len({p["ActionID"] for p in pings}) == threads_n * per_thread


# -- closing ---------------------------------------------------------------------


def test_close_logs_off_and_ends_the_io_thread():
    with FakeAMI() as fake:
        conn = new_conn(fake)
        sub = conn.subscribe()
        conn.connect()
        conn.login("admin", "secret", timeout=T)
        thread = conn._thread
        assert thread.is_alive()
        conn.close(timeout=2.0)
        assert len(fake.received("Logoff")) == 1
        assert not thread.is_alive()
        assert not conn.connected
        with pytest.raises(ConnectionLost):
            conn.submit([("Action", "Ping")])
        with pytest.raises(ConnectionLost):
            conn.send_raw(b"Action: Ping\r\n\r\n")
        (closed,) = get_items(sub, 1)
        assert isinstance(closed, Closed)
        conn.close()  # twice is harmless
        late = conn.subscribe()
        assert isinstance(late.get(0), Closed)


def test_close_without_login_sends_no_logoff():
    with FakeAMI() as fake:
        conn = new_conn(fake)
        conn.connect()
        conn.close(timeout=2.0)
        assert not conn._thread.is_alive()
        fake.wait_for(lambda: fake.clients[0].closed.is_set())  # the fake has read all it will
        assert fake.received("Logoff") == []


def test_a_signal_between_the_login_answer_and_its_bookkeeping_still_logs_off(monkeypatch):
    """SIGTERM/SIGHUP end amish as Ctrl-C does, at any bytecode: one landing after the Login's answer
    was read but before the connection noted it was logged in must still log off on close."""
    with FakeAMI() as fake:
        conn = new_conn(fake)
        conn.connect()
        send = conn.send

        def interrupted(headers, *args, **kwargs):
            result = send(headers, *args, **kwargs)
            if dict(headers).get("Action") == "Login":
                raise KeyboardInterrupt  # what cli's signal handler raises
            return result

        monkeypatch.setattr(conn, "send", interrupted)
        with pytest.raises(KeyboardInterrupt):
            conn.login("admin", "secret", timeout=T)
        assert conn.username is None  # the window: answered, not yet noted
        monkeypatch.setattr(conn, "send", send)
        conn.close(timeout=2.0)
        assert len(fake.received("Logoff")) == 1


def test_a_refused_login_is_not_followed_by_a_logoff():
    with FakeAMI(secret="other") as fake:
        conn = new_conn(fake)
        conn.connect()
        with pytest.raises(AuthenticationError):
            conn.login("admin", "secret", timeout=T)
        conn.close(timeout=2.0)
        fake.wait_for(lambda: fake.clients[0].closed.is_set())
        assert fake.received("Logoff") == []


def test_close_when_logoff_is_never_answered():
    def handler(action, client):
        if (action.get("Action") or "").lower() == "logoff":
            return  # ignore it
        if not fake.auth_handler(action, client):
            default_handler(action, client)

    with FakeAMI(handler, auth=False) as fake:
        conn = new_conn(fake)
        conn.connect()
        conn.login("admin", "secret", timeout=T)
        t0 = time.monotonic()
        conn.close(timeout=0.3)
        assert time.monotonic() - t0 < BIG / 10  # (an upper bound only: it gives up, it does not hang)
        assert not conn._thread.is_alive()
        assert len(fake.received("Logoff")) == 1


def test_close_after_the_server_closed():
    with FakeAMI() as fake:
        conn = new_conn(fake)
        conn.connect()
        conn.login("admin", "secret", timeout=T)
        fake.clients[0].close()
        wait_until(lambda: not conn.connected, what="the connection loss")
        assert "closed the connection" in conn.closed_reason
        t0 = time.monotonic()
        conn.close(timeout=BIG)
        assert time.monotonic() - t0 < BIG / 10  # no Logoff waited for on a closed connection
        assert not conn._thread.is_alive()
        assert fake.received("Logoff") == []


# -- subscriptions -----------------------------------------------------------------


def test_subscription_get_returns_none_on_timeout():
    sub = Subscription()
    t0 = time.monotonic()
    assert sub.get(0.2) is None
    assert 0.2 <= time.monotonic() - t0 < BIG / 10  # (an upper bound only)
    assert sub.get(0) is None
    with FakeAMI() as fake:
        with session(fake, subscribe=10) as (conn, sub):
            assert sub.get(0.1) is None


def test_callback_is_called_from_the_io_thread():
    calls: list = []

    def handler(action, client):
        client.event("Hello")
        default_handler(action, client)

    with FakeAMI(handler) as fake:
        conn = new_conn(fake)
        try:
            conn.connect()
            conn.login("admin", "secret", timeout=T)
            sub = conn.subscribe(callback=lambda: calls.append(threading.current_thread()))
            conn.send([("Action", "Ping")], timeout=T)
            (hello,) = get_items(sub, 1)
            assert hello.get("Event") == "Hello"
            assert calls and set(calls) == {conn._thread}
            assert conn._thread is not threading.current_thread()
        finally:
            conn.close(timeout=1.0)


def test_unsubscribed_gets_nothing_more():
    def handler(action, client):
        client.event("Hello")
        default_handler(action, client)

    with FakeAMI(handler) as fake:
        with session(fake, subscribe=10) as (conn, sub):
            conn.send([("Action", "Ping")], timeout=T)
            get_items(sub, 1)
            conn.unsubscribe(sub)
            conn.send([("Action", "Ping")], timeout=T)
            assert_nothing_more(sub)


# -- TLS -------------------------------------------------------------------------


def test_tls_with_the_servers_ca():
    with FakeAMI(tls=True) as fake:
        with session(fake, tls=True, cafile=fake.cafile) as conn:
            assert conn.banner.text == "Asterisk Call Manager/11.0.0"
            assert conn.send([("Action", "Ping")], timeout=T).response.get("Ping") == "Pong"


def test_tls_insecure_skips_verification():
    with FakeAMI(tls=True) as fake:
        with session(fake, tls=True, insecure=True) as conn:
            assert conn.send([("Action", "Ping")], timeout=T).ok


def test_tls_untrusted_certificate_is_tls_error():
    with FakeAMI(tls=True) as fake:
        conn = new_conn(fake, tls=True)
        with pytest.raises(TLSError, match="certificate not trusted"):
            conn.connect()


def test_tls_to_a_plain_port_is_tls_error():
    with FakeAMI() as fake:
        conn = new_conn(fake, tls=True, insecure=True)
        with pytest.raises(TLSError, match="is this a TLS port"):
            conn.connect()


def test_plain_to_a_tls_port_is_not_ami():
    with FakeAMI(tls=True) as fake:
        conn = new_conn(fake, banner_timeout=0.5)
        with pytest.raises(NotAMIError, match="TLS-only port"):
            conn.connect()


def test_events_before_the_first_subscription_reach_the_first_subscriber():
    """FullyBooted arrives during login, before a shell can subscribe: it must not be lost."""

    def handler(action, client):
        if (action.get("Action") or "").lower() == "ping":
            client.event("FullyBooted", Status="Fully Booted")
        default_handler(action, client)

    with FakeAMI(handler) as fake:
        conn = new_conn(fake)
        try:
            conn.connect()
            conn.login("admin", "secret", timeout=T)
            conn.send([("Action", "Ping")], timeout=T)
            first = conn.subscribe()
            second = conn.subscribe()
            (booted,) = get_items(first, 1)
            assert booted.get("Event") == "FullyBooted"
            assert second.get(0.2) is None  # the backlog goes to the first subscriber only
        finally:
            conn.close(timeout=1.0)


@pytest.mark.parametrize("cut", [0, 3, 8, 12, 18, 19, 21, 40])
def test_fully_booted_is_seen_whichever_read_its_name_is_cut_across(cut):
    """The I/O thread looks for FullyBooted only in reads whose bytes hold its name; cut anywhere, it is found."""
    booted = encode(("Event", "FullyBooted"), ("Privilege", "system,all"), ("Status", "Fully Booted"))
    flood = b"".join(encode(("Event", "VarSet"), ("Variable", f"V{i}")) for i in range(50))

    def handler(action, client):
        if (action.get("Action") or "").lower() == "ping":
            data = flood + booted + flood
            cut_at = len(flood) + cut
            client.send(data[:cut_at])
            time.sleep(0.05)  # two reads on the other side
            client.send(data[cut_at:])
        default_handler(action, client)

    with FakeAMI(handler) as fake:
        conn = new_conn(fake)
        try:
            conn.connect()
            conn.login("admin", "secret", timeout=T)
            assert not conn.fully_booted.is_set()
            conn.send([("Action", "Ping")], timeout=T)
            assert conn.fully_booted.wait(T)
        finally:
            conn.close(timeout=1.0)


def test_a_failing_subscriber_callback_does_not_kill_the_connection():
    def handler(action, client):
        client.event("Hello")
        default_handler(action, client)

    def broken():
        raise RuntimeError("consumer bug")

    with FakeAMI(handler) as fake:
        conn = new_conn(fake)
        try:
            conn.connect()
            conn.login("admin", "secret", timeout=T)
            sub = conn.subscribe(callback=broken)
            assert conn.send([("Action", "Ping")], timeout=T).ok
            assert conn.send([("Action", "Ping")], timeout=T).ok
            assert conn.connected
            assert get_items(sub, 1)[0].get("Event") == "Hello"
        finally:
            conn.close(timeout=1.0)


def test_server_closing_at_the_md5_challenge_is_an_authentication_error():
    def handler(action, client):
        if (action.get("Action") or "").lower() == "challenge":
            client.close()
            return
        default_handler(action, client)

    with FakeAMI(handler, auth=False) as fake:
        conn = new_conn(fake)
        try:
            conn.connect()
            with pytest.raises(AuthenticationError) as info:
                conn.login("admin", "secret", timeout=T)
            assert "challenge" in str(info.value)
        finally:
            conn.close(timeout=1.0)


# -- staying connected ----------------------------------------------------------------


def test_keepalive_pings_a_quiet_server_and_stays_up():
    with FakeAMI() as fake:
        conn = new_conn(fake, keepalive=0.2)
        try:
            conn.connect()
            conn.login("admin", "secret", timeout=T)
            sub = conn.subscribe()
            wait_until(lambda: len(fake.received("Ping")) >= 3, 10, "three keepalive Pings")
            assert conn.connected
            # the keepalive answers are the connection's own business: nobody else sees them
            assert not [m for m in sub.drain() if isinstance(m, Message) and m.get("Ping")]
        finally:
            conn.close(timeout=1.0)


def test_keepalive_detects_a_dead_peer():
    def silent(action, client):
        if (action.get("Action") or "") == "Ping":
            return  # a peer that is there but never answers
        default_handler(action, client)

    with FakeAMI(silent) as fake:
        conn = new_conn(fake, keepalive=0.2)
        try:
            conn.connect()
            conn.login("admin", "secret", timeout=T)
            sub = conn.subscribe()
            wait_until(lambda: not conn.connected, 10, "the dead peer to be noticed")
            assert "keepalive" in conn.closed_reason
            closed = [m for m in sub.drain() if isinstance(m, Closed)]
            assert closed and "did not answer" in closed[0].reason
        finally:
            conn.close(timeout=1.0)


@pytest.mark.parametrize("booted", [True, False])
def test_wait_fully_booted(booted):
    with FakeAMI(fully_booted=booted) as fake:
        conn = new_conn(fake)
        try:
            conn.connect()
            conn.login("admin", "secret", events="system", timeout=T)
            assert conn.wait_fully_booted(0.5 if not booted else T) is booted
        finally:
            conn.close(timeout=1.0)
