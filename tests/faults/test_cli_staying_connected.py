"""Staying connected, from the command line: --no-reconnect, --keepalive, --boot-timeout, line-mode reconnect.

Each option is given as a person gives it, to `amish` in a subprocess (the
pipe tool, `amish events`) or in a pseudo-terminal (the line-mode shell),
against a fake server: a real Asterisk cannot be made to stop answering Pings
or to stay "booting". Every check waits for what happened (a line on stderr,
text on the screen, the process's end), never for a time.
"""

from __future__ import annotations

import pexpect

from faultkit import after_login, connections_made, run_amish
from fakeami import FakeAMI, default_handler
from terminal import Terminal

NOT_BOOTED = ("--filter", "!FullyBooted")


def Fake(*args, **kw) -> FakeAMI:
    kw.setdefault("fully_booted", True)
    return FakeAMI(*args, **kw)


def line_shell(fake, tmp_path, *args) -> Terminal:
    return Terminal(["--line", *args, "-u", "admin", fake.host, str(fake.port)],
                    {"XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
                     "AMISH_SECRET": "secret"})


def close_on(name):
    """A handler that closes the connection when `name` arrives (the server goes away mid-session)."""

    def handler(action, client):
        if (action.get("Action") or "").lower() == name.lower():
            client.close()
            return
        default_handler(action, client)

    return handler


def hold(name):
    """A handler that never answers `name` (a peer that stopped responding to it)."""

    def handler(action, client):
        if (action.get("Action") or "").lower() == name.lower():
            return
        default_handler(action, client)

    return handler


def ended(term: Terminal) -> int:
    term.send("\x04")
    term.child.expect(pexpect.EOF, timeout=15)
    term.child.close()
    assert "Traceback" not in term.text()
    return term.child.exitstatus


# == --no-reconnect ==================================================================================


def test_events_no_reconnect_ends_with_exit_2(tmp_path):
    with Fake() as fake:
        after_login(fake, lambda client: client.close())
        r = run_amish(fake.port, "--no-reconnect", "--duration", "60", *NOT_BOOTED, mode=("events",), tmp=tmp_path)
        assert len(connections_made(fake)) == 1
    assert r.rc == 2, r
    assert "Traceback" not in r.err
    assert r.err_lines == [line for line in r.err_lines if line.startswith("amish: ")]
    assert any("connection lost" in line for line in r.err_lines), r.err
    assert not any("reconnect" in line for line in r.err_lines), r.err


def test_events_without_no_reconnect_reconnects(tmp_path):
    # the same server, without the option: the tail reconnects and goes on
    with Fake() as fake:
        after_login(fake, lambda client: client.close())
        after_login(fake, lambda client: client.event("Again", Seq=1), index=1)
        r = run_amish(fake.port, "--count", "1", "--duration", "60", "--format", "raw", *NOT_BOOTED,
                      mode=("events",), tmp=tmp_path)
    assert r.rc == 0, r
    assert r.out == b"Event: Again\r\nSeq: 1\r\n\r\n"
    assert any("reconnected after" in line for line in r.err_lines), r.err


def test_line_shell_no_reconnect_waits_for_the_person(tmp_path):
    with Fake(close_on("Hangup")) as fake:
        term = line_shell(fake, tmp_path, "--no-reconnect", "--no-confirm")
        try:
            term.wait_text("ami>")
            term.send("Hangup Channel=x\r")
            term.wait_text("connection lost")
            term.wait_text("/reconnect to log in again")  # the shell decided: no reconnect of its own
            assert "reconnecting" not in term.text()
            assert len(connections_made(fake)) == 1
            term.send("/reconnect\r")  # by hand, it does
            term.wait_text("reconnected to")
            term.send("Ping\r")
            term.wait_text("Pong")
            assert len(connections_made(fake)) == 2
            assert len(fake.received("Hangup")) == 1
            assert ended(term) == 0
        finally:
            term.close()


# == reconnect in line mode ============================================================================


def test_line_shell_reconnects_by_itself_and_never_resends(tmp_path):
    with Fake(close_on("Hangup")) as fake:
        term = line_shell(fake, tmp_path, "--no-confirm")
        try:
            term.wait_text("ami>")
            term.send("/events system,call\r")
            fake.wait_action("Events")
            term.send("Hangup Channel=x\r")
            term.wait_text("connection lost")
            term.wait_text("reconnected to")
            term.send("Ping\r")
            term.wait_text("Pong")
            assert len(connections_made(fake)) == 2
            assert len(fake.received("Hangup")) == 1  # the action in flight was not sent again
            assert len(fake.wait_action("Events", 2)) == 2  # the event mask was set again
            assert ended(term) == 0
        finally:
            term.close()


# == --keepalive =====================================================================================


def test_events_keepalive_declares_a_silent_peer_dead(tmp_path):
    with Fake(hold("Ping")) as fake:
        r = run_amish(fake.port, "--keepalive", "1", "--no-reconnect", "--duration", "120", *NOT_BOOTED,
                      mode=("events",), tmp=tmp_path)
        pings = fake.received("Ping")
    assert r.rc == 2, r
    assert pings, "no keepalive Ping was sent"
    assert any("did not answer a keepalive Ping in 1 s (dead peer?)" in line for line in r.err_lines), r.err
    assert "Traceback" not in r.err


def test_line_shell_keepalive_declares_a_silent_peer_dead(tmp_path):
    with Fake(hold("Ping")) as fake:
        term = line_shell(fake, tmp_path, "--keepalive", "1", "--no-reconnect")
        try:
            term.wait_text("ami>")
            term.wait_text("did not answer a keepalive Ping in 1 s (dead peer?)", timeout=60)
            assert fake.received("Ping")
            assert ended(term) == 0
        finally:
            term.close()


def test_keepalive_keeps_a_quiet_but_live_peer(tmp_path):
    # the same silence, with a peer that answers its Pings: no drop (three Pings answered, still connected)
    with Fake() as fake:
        term = line_shell(fake, tmp_path, "--keepalive", "1", "--no-reconnect")
        try:
            term.wait_text("ami>")
            fake.wait_action("Ping", 3, timeout=60)
            term.send("CoreStatus\r")
            term.send("\r")  # unknown to the fake: Enter again sends it anyway
            term.wait_text("Invalid/unknown command: CoreStatus")
            assert "connection lost" not in term.text()
            assert ended(term) == 0
        finally:
            term.close()


# == --boot-timeout ==================================================================================


def test_boot_timeout_gives_up_on_a_server_that_never_finishes_booting(tmp_path):
    # no FullyBooted, and `core waitfullybooted` never answers: Asterisk still starting
    with FakeAMI(hold("Command"), fully_booted=False) as fake:
        r = run_amish(fake.port, "--boot-timeout", "2", stdin=b"Ping\n", tmp=tmp_path)
        assert len(connections_made(fake)) == 1
        fake.wait_for(lambda: fake.clients[0].closed.is_set(), 30)
        assert [a.get("Command") for a in fake.received("Command")] == ["core waitfullybooted"]
        assert fake.received("Ping") == []  # the user's actions never went out
    assert r.rc == 3, r
    assert "Traceback" not in r.err
    assert r.err_lines[-1].startswith("amish: ")
    assert "did not finish booting within 2 s (is Asterisk still starting?)" in r.err_lines[-1]
    assert any("is still starting: waiting for FullyBooted" in line for line in r.err_lines), r.err
    assert r.out == b""


def test_boot_timeout_0_does_not_wait(tmp_path):
    with FakeAMI(hold("Command"), fully_booted=False) as fake:
        r = run_amish(fake.port, "--boot-timeout", "0", stdin=b"Ping\n", tmp=tmp_path)
        assert fake.received("Command") == []
    assert r.rc == 0, r
    assert b"Ping: Pong" in r.out and r.err == ""


def test_boot_timeout_waits_for_a_server_that_finishes_booting(tmp_path):
    # `core waitfullybooted` answers when Asterisk is up: then, and only then, the Ping goes out
    def booting(action, client):
        if (action.get("Action") or "").lower() == "command":
            assert not client.server.received("Ping")
            client.respond(action, Message="Command output follows", Output="Asterisk has fully booted.")
            return
        default_handler(action, client)

    with FakeAMI(booting, fully_booted=False) as fake:
        r = run_amish(fake.port, "--boot-timeout", "30", stdin=b"Ping\n", tmp=tmp_path)
        assert len(fake.received("Command")) == 1 and len(fake.received("Ping")) == 1
    assert r.rc == 0, r
    assert b"Ping: Pong" in r.out
