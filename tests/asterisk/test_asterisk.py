"""The connection layer against the real sandbox Asterisk 22."""

from __future__ import annotations

import time
import uuid

import pytest

from amish.transports.connection import Closed, Connection
from amish.core.errors import AuthenticationError, ConnectError, NotAMIError, TLSError
from amish.core.protocol import Message

from conftest import ADMIN, READER

pytestmark = pytest.mark.asterisk


def connect(sandbox, *, tls=False, **kw) -> Connection:
    port = sandbox.tls_port if tls else sandbox.port
    conn = Connection(sandbox.host, port, tls=tls, **kw)
    conn.connect()
    return conn


@pytest.mark.parametrize(
    "tls, auth",
    [(False, "md5"), (False, "plain"), (True, "md5"), (True, "plain")],
    ids=["tcp-md5", "tcp-plain", "tls-md5", "tls-plain"],
)
def test_login_and_ping(asterisk, tls, auth):
    conn = connect(asterisk, tls=tls, cafile=asterisk.cafile if tls else None)
    try:
        assert conn.banner.text.startswith("Asterisk Call Manager/")
        assert conn.banner.version == "11.0.0"  # Asterisk 22's AMI version
        response = conn.login(*ADMIN, auth=auth)
        assert response["Message"] == "Authentication accepted"
        result = conn.send([("Action", "Ping")])
        assert result.ok and result.response["Ping"] == "Pong"
    finally:
        conn.close()
    assert not conn.connected


@pytest.mark.parametrize("auth", ["md5", "plain"])
def test_wrong_secret_is_an_authentication_error(asterisk, auth):
    conn = connect(asterisk)
    try:
        with pytest.raises(AuthenticationError) as info:
            conn.login("admin", "not-the-secret", auth=auth)
        assert "Authentication failed" in str(info.value)
        assert "not-the-secret" not in str(info.value)
    finally:
        conn.close()


def test_tls_with_a_ca_that_did_not_sign_the_server(asterisk):
    with pytest.raises(TLSError) as info:
        connect(asterisk, tls=True, cafile=asterisk.other_cafile)
    assert "certificate" in str(info.value) and "--cafile" in str(info.value)


def test_tls_name_mismatch_says_which_names_the_certificate_holds(asterisk):
    """The sandbox's certificate is trusted but names 127.0.0.1 and localhost: --cafile cannot help."""
    conn = Connection(asterisk.host, asterisk.tls_port, tls=True, cafile=asterisk.cafile,
                      server_hostname="pbx.example.invalid")
    with pytest.raises(TLSError) as info:
        conn.connect()
    message = str(info.value)
    assert "does not name pbx.example.invalid" in message
    assert "127.0.0.1" in message and "localhost" in message  # what it does name
    assert "--cafile" not in message and "not trusted" not in message


def test_tls_insecure_skips_verification(asterisk):
    conn = connect(asterisk, tls=True, insecure=True)
    try:
        conn.login(*ADMIN)
        assert conn.send([("Action", "Ping")]).ok
    finally:
        conn.close()


def test_tls_client_on_the_plain_port_is_a_clear_error(asterisk):
    conn = Connection(asterisk.host, asterisk.port, tls=True, cafile=asterisk.cafile, connect_timeout=3)
    with pytest.raises(TLSError) as info:
        conn.connect()
    assert "TLS" in str(info.value)


def test_plain_client_on_the_tls_port_gets_no_banner(asterisk):
    conn = Connection(asterisk.host, asterisk.tls_port, banner_timeout=0.5)
    with pytest.raises(NotAMIError) as info:
        conn.connect()
    assert "no AMI banner" in str(info.value)


def test_http_port_is_not_ami(asterisk):
    conn = Connection(asterisk.host, asterisk.http_port, banner_timeout=0.5)
    with pytest.raises(NotAMIError):
        conn.connect()


def test_command_output(admin):
    result = admin.send([("Action", "Command"), ("Command", "core show version")])
    assert result.ok
    assert result.response["Message"] == "Command output follows"
    assert result.response.getall("Output")[0].startswith("Asterisk 22.")


def test_command_with_many_output_lines_keeps_every_line(admin):
    result = admin.send([("Action", "Command"), ("Command", "core show applications")])
    lines = result.response.getall("Output")
    assert len(lines) > 50
    assert any("Originate" in line or "Dial" in line for line in lines)


def test_users_action_id_is_kept(admin):
    result = admin.send([("Action", "Ping"), ("ActionID", "mine-42")])
    assert result.response["ActionID"] == "mine-42"


def test_error_response(admin):
    result = admin.send([("Action", "NoSuchAction")])
    assert not result.ok
    assert "Invalid/unknown command" in result.response["Message"]


def test_db_put_get_round_trip(admin):
    family, key, value = "amish-test", f"k-{uuid.uuid4().hex[:8]}", "héllo wörld: 1 2 3"
    put = admin.send([("Action", "DBPut"), ("Family", family), ("Key", key), ("Val", value)])
    assert put.ok
    got = admin.send([("Action", "DBGet"), ("Family", family), ("Key", key)])
    assert got.ok
    assert [e["Event"] for e in got.events] == ["DBGetResponse"]
    assert got.events[0]["Val"] == value
    assert got.complete["EventList"] == "Complete"
    admin.send([("Action", "DBDel"), ("Family", family), ("Key", key)])
    missing = admin.send([("Action", "DBGet"), ("Family", family), ("Key", key)])
    assert not missing.ok


def test_get_config(admin):
    result = admin.send([("Action", "GetConfig"), ("Filename", "extensions.conf"), ("Category", "amish-test")])
    assert result.ok
    assert result.response["Category-000000"] == "amish-test"
    lines = [v for k, v in result.response.headers if k and k.startswith("Line-000000-")]
    assert lines[:3] == ["exten=echo,1,Answer()", "same=n,Wait(0.5)", "same=n,Hangup()"]


def test_get_config_of_manager_conf_masks_secrets_for_display(admin):
    result = admin.send([("Action", "GetConfig"), ("Filename", "manager.conf")])
    assert result.ok
    assert "secret=amish-admin-secret" in result.response.getall("Line-000001-000000") + [
        v for k, v in result.response.headers if k and k.startswith("Line-")
    ]
    shown = result.response.masked()
    assert b"amish-admin-secret" not in shown.raw
    assert not any("amish-admin-secret" in v for _, v in shown.headers)


def test_core_show_channels_is_collected_as_one_result(admin):
    result = admin.send([("Action", "CoreShowChannels")])
    assert result.ok and result.response["EventList"] == "start"
    assert result.complete["Event"] == "CoreShowChannelsComplete"
    assert int(result.complete["ListItems"]) == len(result.events)


def wait_for(sub, predicate, timeout=10.0) -> list[Message]:
    """Collect subscription items until predicate(collected) is true."""
    seen: list[Message] = []
    deadline = time.monotonic() + timeout
    while not predicate(seen):
        item = sub.get(timeout=max(0.0, deadline - time.monotonic()))
        if item is None:
            raise AssertionError(f"timed out; saw {[getattr(m, 'name', m) for m in seen]}")
        assert not isinstance(item, Closed), item
        if isinstance(item, Message):
            seen.append(item)
    return seen


def test_originate_local_call_and_its_events(admin):
    sub = admin.subscribe()
    result = admin.send(
        [
            ("Action", "Originate"),
            ("Channel", "Local/echo@amish-test"),
            ("Application", "Wait"),
            ("Data", "0.2"),
            ("Async", "true"),
            ("Variable", "AMISH_A=1"),
            ("Variable", "AMISH_B=2"),
        ],
        wait_event="OriginateResponse",
        timeout=15,
    )
    assert result.ok, result.messages
    assert result.response["Message"] == "Originate successfully queued"
    assert result.event["Event"] == "OriginateResponse"
    assert result.event["Response"] == "Success"
    channel = result.event["Channel"]
    assert channel.startswith("Local/echo@amish-test-")

    def both_hung_up(seen):
        return len([m for m in seen if m.is_event("Hangup") and m["Channel"].startswith("Local/echo@amish-test-")]) >= 2

    seen = wait_for(sub, both_hung_up, timeout=15)
    names = [m.name for m in seen]
    assert "Newchannel" in names
    assert names.index("Newchannel") < names.index("Hangup")
    # the two variables were set on the channel, in order
    varsets = [(m["Variable"], m["Value"]) for m in seen if m.is_event("VarSet") and m["Variable"].startswith("AMISH_")]
    assert ("AMISH_A", "1") in varsets and ("AMISH_B", "2") in varsets
    # the OriginateResponse reached the subscribers too
    assert "OriginateResponse" in names


def test_restricted_user_may_not_originate(asterisk):
    conn = connect(asterisk)
    try:
        conn.login(*READER)
        result = conn.send([("Action", "Originate"), ("Channel", "Local/echo@amish-test"), ("Application", "Wait")])
        assert not result.ok
        assert "Permission denied" in result.response["Message"]
        assert conn.send([("Action", "Ping")]).ok
    finally:
        conn.close()


def test_events_off_at_login_sends_no_events(asterisk, admin):
    witness = admin.subscribe()  # events on: proves the UserEvent was raised
    conn = connect(asterisk)
    try:
        conn.login(*ADMIN, events="off")
        sub = conn.subscribe()
        probe = f"AmishProbe-{uuid.uuid4().hex[:8]}"
        conn.send([("Action", "UserEvent"), ("UserEvent", probe)])
        wait_for(witness, lambda seen: any(m.is_event("UserEvent") and m["UserEvent"] == probe for m in seen))
        # Asterisk sends a session's pending events after each of its actions: once this Pong
        # is in, an event for this session would have come before it
        assert conn.send([("Action", "Ping")]).ok
        assert [m for m in sub.drain() if isinstance(m, Message)] == []
    finally:
        conn.close()


def test_user_event_reaches_a_subscriber_with_its_headers(admin):
    sub = admin.subscribe()
    admin.send([("Action", "UserEvent"), ("UserEvent", "AmishProbe"), ("Greeting", "Привет: мир")])
    seen = wait_for(sub, lambda s: any(m.is_event("UserEvent") for m in s))
    event = next(m for m in seen if m.is_event("UserEvent"))
    assert event["UserEvent"] == "AmishProbe"
    assert event["Greeting"] == "Привет: мир"


def manager_sessions(sandbox) -> int:
    """How many manager sessions Asterisk lists now (`manager show connected`)."""
    out = sandbox.cli("manager show connected")
    return sum(1 for line in out.splitlines() if line.split()[:1] in (["admin"], ["reader"]))


def wait_sessions(sandbox, count: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout  # an upper bound only: Asterisk ends a session in its own thread
    while manager_sessions(sandbox) != count:
        assert time.monotonic() < deadline, sandbox.cli("manager show connected")
        time.sleep(0.1)


def test_logoff_on_close(asterisk):
    before = manager_sessions(asterisk)
    wire: list[tuple[str, bytes]] = []
    conn = Connection(asterisk.host, asterisk.port, on_wire=lambda direction, data: wire.append((direction, bytes(data))))
    conn.connect()
    conn.login(*ADMIN)
    assert conn.send([("Action", "Ping")]).ok
    wait_sessions(asterisk, before + 1)
    conn.close()
    assert conn.closed_reason is not None
    sent = b"".join(data for direction, data in wire if direction == "out")
    received = b"".join(data for direction, data in wire if direction == "in")
    assert b"Action: Logoff\r\n" in sent
    assert b"Response: Goodbye\r\n" in received  # Asterisk itself answered the Logoff
    wait_sessions(asterisk, before)


def client_certificate(tmp_path):
    import subprocess

    key, cert = tmp_path / "client.key", tmp_path / "client.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=amish client",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


def test_client_certificate_is_presented_and_a_bad_one_is_a_clear_error(asterisk, tmp_path):
    from fakeami import FakeAMI

    cert, key = client_certificate(tmp_path)
    # The sandbox never asks for a client certificate: a server that requires one says it was presented.
    with FakeAMI(tls=True, client_ca=str(cert)) as fake:
        conn = Connection(fake.host, fake.port, tls=True, cafile=fake.cafile, certfile=str(cert), keyfile=str(key))
        conn.connect()
        try:
            conn.login(fake.username, fake.secret)
            assert conn.send([("Action", "Ping")]).ok
        finally:
            conn.close()
        (client,) = fake.clients
        assert client.peer_cert is not None
        assert dict(pair for rdn in client.peer_cert["subject"] for pair in rdn)["commonName"] == "amish client"
        # and without it, that server refuses the handshake: the check above can fail
        bare = Connection(fake.host, fake.port, tls=True, cafile=fake.cafile, banner_timeout=5)
        try:
            with pytest.raises(ConnectError, match="certificate required"):
                bare.connect()
        finally:
            bare.close(logoff=False)
        assert fake.wait_for(lambda: fake.tls_failures)
    conn = connect(asterisk, tls=True, cafile=asterisk.cafile, certfile=str(cert), keyfile=str(key))
    try:
        conn.login(*ADMIN)
        assert conn.send([("Action", "Ping")]).ok
    finally:
        conn.close()
    bad = Connection(asterisk.host, asterisk.tls_port, tls=True, cafile=asterisk.cafile, certfile=str(tmp_path / "nope.pem"))
    with pytest.raises(TLSError) as info:
        bad.connect()
    assert "cannot load client certificate" in str(info.value)


@pytest.mark.parametrize("events, sees_it", [("system", True), ("on", True), ("call", False), ("off", False)])
def test_fully_booted_arrives_with_system_events(asterisk, events, sees_it):
    conn = connect(asterisk)
    try:
        conn.login(*ADMIN, events=events, wait_booted=5)  # returns at once when it cannot see FullyBooted
        assert conn.wait_fully_booted(0.5 if not sees_it else 5) is sees_it
    finally:
        conn.close()
