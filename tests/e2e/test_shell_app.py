"""The full-screen application driven through prompt_toolkit's pipe input (no terminal)."""

from __future__ import annotations

import asyncio
import os
import stat
import threading
import time

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from amish.transports.connection import Connection
from amish.shell.app import Shell
from fakeami import FakeAMI, default_handler
from shelldrive import drive


def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def fake():
    def handler(action, client):
        name = (action.get("Action") or "").lower()
        if name == "userevent":
            client.event(action.get("UserEvent") or "UserEvent", Channel=action.get("Channel") or "PJSIP/x-1")
        default_handler(action, client)

    with FakeAMI(handler) as server:
        yield server


@pytest.fixture
def shell_and_pipe(fake, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    conn = Connection(fake.host, fake.port, banner_timeout=2)
    conn.connect()
    conn.login("admin", "secret", timeout=5)
    with create_pipe_input() as pipe:
        shell = Shell(conn, input=pipe, output=DummyOutput(), timeout=3)
        yield shell, pipe
    conn.close(timeout=1)


def test_an_action_and_its_response(shell_and_pipe):
    shell, pipe = shell_and_pipe
    asyncio.run(
        drive(
            shell,
            pipe,
            [("Ping\r", lambda: "Pong" in shell.transcript.text(), "the Pong")],
        )
    )
    text = shell.transcript.text()
    assert "» Ping" in text and "✔ Success" in text
    assert not shell.in_flight


def test_events_reach_the_pane_and_the_filter_refilters_them(shell_and_pipe):
    shell, pipe = shell_and_pipe
    steps = [
        ("UserEvent UserEvent=Alpha Channel=PJSIP/a-1\r", lambda: shell.events.received >= 1, "Alpha"),
        ("UserEvent UserEvent=Beta Channel=PJSIP/b-1\r", lambda: shell.events.received >= 2, "Beta"),
        ("/filter Beta\r", lambda: shell.filter_text == "Beta", "the filter"),
    ]
    asyncio.run(drive(shell, pipe, steps))
    names = [e.message.get("Event") for e in shell.events.view]
    assert names == ["Beta"]
    assert shell.events.received >= 2
    assert "Beta" in shell.events_pane.buffer.text and "Alpha" not in shell.events_pane.buffer.text


def test_completion_learns_from_events_off_the_ui_loop(shell_and_pipe, fake, monkeypatch):
    """What completion learns from events (a context, a queue) is read on the call model's thread: under a
    big PBX's thousands of events a second the UI loop only queues them, and the values are still offered."""
    from amish.shell.completion import LiveValues, complete_text

    shell, pipe = shell_and_pipe
    readers: list[str] = []
    learn = LiveValues.learn

    def spying(self, message):
        readers.append(threading.current_thread().name)
        return learn(self, message)

    monkeypatch.setattr(LiveValues, "learn", spying)

    def sent():
        for client in fake.clients:
            client.event("QueueMemberStatus", Queue="support-line", Interface="PJSIP/7001")
            client.event("Newexten", Channel="PJSIP/7001-00000001", Uniqueid="17.1", Linkedid="17.1",
                         Context="sales-floor", Exten="100", Priority="1", Application="Dial", AppData="")
        return True

    steps = [("", sent, "the events sent"),
             ("", lambda: shell.events.received >= 2 and shell.model.wait_idle(0.05), "both taken in")]
    asyncio.run(drive(shell, pipe, steps))
    assert readers and set(readers) == {"amish-calls"}, readers  # never the UI loop (MainThread)
    _, offered = complete_text(shell.catalogue, shell.live, "Originate Channel=PJSIP/7001 Context=")
    assert "sales-floor" in [insert.strip() for insert, _, _ in offered]
    _, offered = complete_text(shell.catalogue, shell.live, "QueueStatus Queue=")
    assert "support-line" in [insert.strip() for insert, _, _ in offered]


def test_a_slow_completion_never_holds_the_keys_echo(shell_and_pipe):
    """Completion is worked out off the UI loop (a big PBX's channel names scanned at each key): while it
    runs, the loop goes on, keys are taken and drawn; its menu comes when it is ready."""
    shell, pipe = shell_and_pipe
    started: list[float] = []
    completer = shell.completer

    def slow(document, complete_event):
        started.append(time.monotonic())
        time.sleep(1.5)
        yield from type(completer).get_completions(completer, document, complete_event)

    completer.get_completions = slow
    steps = [
        ("Orig", lambda: bool(started), "completion asked for"),
        # the loop is free while the completer works: the keys are in the buffer, and more are taken
        ("in", lambda: shell.input_buffer.text == "Origin" and time.monotonic() - started[0] < 1.0, "keys taken"),
    ]
    asyncio.run(drive(shell, pipe, steps))


def test_a_bad_filter_is_one_line_and_changes_nothing(shell_and_pipe):
    shell, pipe = shell_and_pipe
    steps = [
        ("/filter Newchannel\r", lambda: shell.filter_text == "Newchannel", "first filter"),
        ('/filter Channel="unterminated\r', lambda: "filter:" in shell.transcript.text() and "quote" in shell.transcript.text(), "error"),
    ]
    asyncio.run(drive(shell, pipe, steps))
    assert shell.filter_text == "Newchannel"


def test_telnet_form_is_sent_at_the_blank_line(shell_and_pipe, fake):
    shell, pipe = shell_and_pipe
    steps = [
        ("Action: Ping\rActionID: mine\r", lambda: True, "typing"),
        ("", lambda: not fake.received("Ping") and shell.input_buffer.text.count("\n") == 2, "not yet sent"),
        ("\r", lambda: "Pong" in shell.transcript.text(), "sent at the blank line"),
    ]
    asyncio.run(drive(shell, pipe, steps))
    (ping,) = fake.received("Ping")
    assert ping.get("ActionID") == "mine"


def test_a_pasted_block_of_actions_sends_each(shell_and_pipe, fake):
    shell, pipe = shell_and_pipe
    paste = "\x1b[200~Action: Ping\nActionID: one\n\nAction: Ping\nActionID: two\n\x1b[201~"
    steps = [(paste, lambda: True, "paste"), ("\r", lambda: len(fake.received("Ping")) == 2, "two pings")]
    asyncio.run(drive(shell, pipe, steps))
    assert [p.get("ActionID") for p in fake.received("Ping")] == ["one", "two"]


def test_unknown_action_needs_a_second_enter(shell_and_pipe, fake):
    shell, pipe = shell_and_pipe
    steps = [
        ("QueueStats\r", lambda: "did you mean QueueStatus" in shell.transcript.text(), "the suggestion"),
        ("", lambda: not fake.received("QueueStats"), "nothing sent"),
        ("", lambda: shell.input_buffer.text == "QueueStats", "the input kept for the second Enter"),
        ("\r", lambda: len(fake.received("QueueStats")) == 1, "sent when forced"),
    ]
    asyncio.run(drive(shell, pipe, steps))


def test_a_held_input_cleared_by_ctrl_c_asks_again(shell_and_pipe, fake):
    shell, pipe = shell_and_pipe
    steps = [
        ("QueueStats\r", lambda: "did you mean QueueStatus" in shell.transcript.text(), "the suggestion"),
        ("\x03", lambda: shell.input_buffer.text == "", "Ctrl-C clears it"),
        ("QueueStats\r", lambda: shell.transcript.text().count("did you mean QueueStatus") == 2, "asked again"),
        ("", lambda: not fake.received("QueueStats"), "nothing sent"),
    ]
    asyncio.run(drive(shell, pipe, steps))


def test_an_action_that_times_out_is_reported_and_its_late_response_shown(shell_and_pipe, fake):
    shell, pipe = shell_and_pipe
    late = {}

    def slow(action, client):
        if (action.get("Action") or "") == "Slow":
            late["reply"] = lambda: client.respond(action, Message="at last")
            return
        default_handler(action, client)

    fake.handler = slow
    shell.timeout = 0.3
    steps = [
        ("Slow\r", lambda: "unknown action 'Slow'" in shell.transcript.text(), "the warning"),
        ("\r", lambda: "no complete response within 0.3 s" in shell.transcript.text(), "the timeout"),
        ("", lambda: late.get("reply") and (late["reply"]() or True), "the late reply"),
        ("", lambda: "late response" in shell.transcript.text() and "at last" in shell.transcript.text(), "late shown"),
    ]
    asyncio.run(drive(shell, pipe, steps))


def test_connection_loss_is_shown(shell_and_pipe, fake):
    shell, pipe = shell_and_pipe

    def closer(action, client):
        client.close()

    fake.handler = closer
    steps = [("Ping\r", lambda: shell.state == "disconnected", "disconnected")]
    asyncio.run(drive(shell, pipe, steps))
    assert "connection lost" in shell.transcript.text()
    assert shell.toolbar_state().state == "disconnected"


def test_secrets_never_reach_the_screen(shell_and_pipe, fake, tmp_path):
    shell, pipe = shell_and_pipe
    steps = [("Login Username=x Secret=hunter2\r", lambda: "Login" in shell.transcript.text() and not shell.in_flight, "login")]
    asyncio.run(drive(shell, pipe, steps))
    assert "hunter2" not in shell.transcript.text()
    assert "Secret=********" in shell.transcript.text()
    # and on a screen drawn in a real terminal: the secret is the session's own, the Login is accepted
    from terminal import Terminal

    fake.secret = "hunter2"
    term = Terminal(["-u", "admin", fake.host, str(fake.port)],
                    {"XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
                     "AMISH_SECRET": "hunter2"})
    try:
        term.wait_text("connected")
        term.send("Login Username=admin Secret=hunter2\r")
        term.wait_text("Secret=********")
        term.wait_text("Authentication accepted")
        term.send("Ping\r")
        term.wait_text("Pong")
        assert "hunter2" not in term.text()  # (what a person types shows as typed, until Enter)
    finally:
        term.close()


def test_help_for_an_action(shell_and_pipe):
    shell, pipe = shell_and_pipe
    steps = [("/help Originate\r", lambda: "Channel" in shell.transcript.text() and "required" in shell.transcript.text(), "help")]
    asyncio.run(drive(shell, pipe, steps))


def test_unknown_local_command(shell_and_pipe):
    shell, pipe = shell_and_pipe
    steps = [("/fitler x\r", lambda: "did you mean /filter" in shell.transcript.text(), "suggestion")]
    asyncio.run(drive(shell, pipe, steps))


@pytest.mark.parametrize("automatic", [True, False], ids=["automatic", "manual"])
def test_reconnect_after_the_server_closed(fake, tmp_path, monkeypatch, automatic):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))

    def connect():
        c = Connection(fake.host, fake.port, banner_timeout=2)
        c.connect()
        c.login("admin", "secret", timeout=5)
        return c

    conn = connect()

    def closer(action, client):
        if (action.get("Action") or "") == "Hangup":
            client.close()
            return
        default_handler(action, client)

    fake.handler = closer
    with create_pipe_input() as pipe:
        shell = Shell(conn, input=pipe, output=DummyOutput(), timeout=3, reconnect=connect, auto_reconnect=automatic, confirm=False)
        steps = [("/events system,call\r", lambda: len(fake.received("Events")) == 1, "an event mask set by hand")]
        if automatic:
            steps.append(("Hangup Channel=x\r", lambda: shell.state == "connected" and shell.conn is not conn, "reconnected by itself"))
        else:
            steps += [
                ("Hangup Channel=x\r", lambda: shell.state == "disconnected", "the server closes"),
                ("/reconnect\r", lambda: shell.state == "connected" and shell.conn is not conn, "reconnected"),
            ]
        steps.append(("Ping\r", lambda: "Pong" in shell.transcript.text(), "a Ping on the new connection"))
        asyncio.run(drive(shell, pipe, steps))
    text = shell.transcript.text()
    assert "connection lost" in text and "reconnected to" in text
    gaps = [e.plain for e in shell.events.view_lines() if e.plain.startswith("---")]
    assert any("connection lost" in g for g in gaps) and any("reconnected after" in g for g in gaps)
    assert len(fake.received("Hangup")) == 1  # the Hangup in flight was not sent again
    assert len(fake.received("Events")) == 2  # the event mask was set again on the new connection
    conn.close(timeout=1)


def test_logoff_does_not_reconnect(shell_and_pipe, fake):
    shell, pipe = shell_and_pipe
    calls = []
    shell._reconnect = lambda: calls.append(1) or shell.conn
    steps = [("Logoff\r", lambda: shell.state == "logged off", "logged off")]
    asyncio.run(drive(shell, pipe, steps))
    assert "reconnecting" not in shell.transcript.text()
    assert calls == []


def test_save_writes_the_events_shown_as_ami_text(shell_and_pipe, tmp_path):
    shell, pipe = shell_and_pipe
    out = tmp_path / "events.ami"
    steps = [
        ("UserEvent UserEvent=Alpha Channel=PJSIP/a-1\r", lambda: shell.events.received >= 1, "Alpha"),
        ("UserEvent UserEvent=Beta Channel=PJSIP/b-1\r", lambda: shell.events.received >= 2, "Beta"),
        ("/filter Beta\r", lambda: shell.filter_text == "Beta", "filter"),
        (f"/save {out}\r", lambda: out.exists() and "saved 1 events" in shell.transcript.text(), "saved"),
    ]
    asyncio.run(drive(shell, pipe, steps))
    data = out.read_bytes()
    assert data.startswith(b"Event: Beta\r\n") and data.endswith(b"\r\n\r\n")
    assert b"Alpha" not in data


def test_save_writes_a_private_file_even_over_one_that_existed(shell_and_pipe, tmp_path):
    """Saved events hold call data: 0600 like the history, traces and recordings, whatever the umask."""
    shell, pipe = shell_and_pipe
    fresh, existing = tmp_path / "fresh.ami", tmp_path / "existing.ami"
    existing.write_bytes(b"old")
    existing.chmod(0o644)
    old_umask = os.umask(0o022)
    try:
        steps = [
            ("UserEvent UserEvent=Alpha Channel=PJSIP/a-1\r", lambda: shell.events.received >= 1, "Alpha"),
            (f"/save {fresh}\r", lambda: "events to " + str(fresh) in shell.transcript.text(), "saved fresh"),
            (f"/save {existing}\r", lambda: "events to " + str(existing) in shell.transcript.text(), "saved over"),
        ]
        asyncio.run(drive(shell, pipe, steps))
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    assert stat.S_IMODE(existing.stat().st_mode) == 0o600
    assert existing.read_bytes().startswith(b"Event: Alpha\r\n")


def test_read_only_refuses_what_changes_state(fake, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    conn = Connection(fake.host, fake.port, banner_timeout=2)
    conn.connect()
    conn.login("admin", "secret", timeout=5)
    with create_pipe_input() as pipe:
        shell = Shell(conn, input=pipe, output=DummyOutput(), timeout=3, read_only=True)
        steps = [
            ("Originate Channel=Local/1@x Application=Wait\r", lambda: "refused, nothing sent" in shell.transcript.text(), "refused"),
            ("Originate Channel=Local/1@x Application=Wait\r", lambda: shell.transcript.text().count("refused") == 2, "still refused"),
            ("Ping\r", lambda: "Pong" in shell.transcript.text(), "reads pass"),
        ]
        asyncio.run(drive(shell, pipe, steps))
        assert "READ-ONLY" in "".join(t for _, t in __import__("amish.shell.toolbar", fromlist=["x"]).toolbar_fragments(shell.toolbar_state()))
    assert fake.received("Originate") == []
    conn.close(timeout=1)


def test_hangup_asks_first(shell_and_pipe, fake):
    shell, pipe = shell_and_pipe
    steps = [
        ("Hangup Channel=PJSIP/7001-1\r", lambda: "hangs up a call (PJSIP/7001-1): are you sure?" in shell.transcript.text(), "asked"),
        ("", lambda: fake.received("Hangup") == [], "not sent"),
        ("\r", lambda: len(fake.received("Hangup")) == 1, "sent on the second Enter"),
    ]
    asyncio.run(drive(shell, pipe, steps))


def test_channels_up_are_learned_at_the_start_and_again_after_a_reconnect(fake, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    logins = []

    def handler(action, client):
        if (action.get("Action") or "") == "CoreShowChannels":
            channel = f"PJSIP/7001-0000000{len(fake.clients)}"  # another call up on each connection
            client.respond(action, EventList="start", Message="Channels will follow")
            client.event("CoreShowChannel", ActionID=action.get("ActionID"), Channel=channel, Uniqueid=f"17.{len(fake.clients)}")
            client.event("CoreShowChannelsComplete", ActionID=action.get("ActionID"), EventList="Complete", ListItems="1")
            return
        default_handler(action, client)

    fake.handler = handler

    def connect():
        c = Connection(fake.host, fake.port, banner_timeout=2)
        c.connect()
        c.login("admin", "secret", timeout=5)
        logins.append(c)
        return c

    conn = connect()
    with create_pipe_input() as pipe:
        shell = Shell(conn, input=pipe, output=DummyOutput(), timeout=3, reconnect=connect, auto_reconnect=False)
        steps = [
            ("", lambda: shell.live.for_header("Channel") == ["PJSIP/7001-00000001"], "seeded at the start"),
            ("/reconnect\r", lambda: shell.conn is not conn, "reconnected"),
            ("", lambda: shell.live.for_header("Channel") == ["PJSIP/7001-00000002"], "seeded again, the old one forgotten"),
        ]
        asyncio.run(drive(shell, pipe, steps))
    assert len(fake.received("CoreShowChannels")) == 2
    for c in logins:
        c.close(timeout=1)


def test_an_originate_outcome_that_comes_before_its_response_is_shown_after_it(fake, shell_and_pipe):
    shell, pipe = shell_and_pipe
    seen = {}

    def handler(action, client):
        if (action.get("Action") or "") == "Originate":
            client.event("OriginateResponse", ActionID=action.get("ActionID"), Response="Failure",
                         Channel="PJSIP/nobody", Reason="5", Uniqueid="<unknown>")
            # the response only once the shell has taken the event in (and kept it for later)
            seen["event first"] = wait_until(lambda: any(w[1] is not None for w in list(shell._originates.values())))
            client.respond(action, Message="Originate successfully queued")
            return
        default_handler(action, client)

    fake.handler = handler
    steps = [("Originate Channel=PJSIP/nobody Application=Wait Async=true\r",
              lambda: "Reason: 5 (busy)" in shell.transcript.text(), "the outcome")]
    asyncio.run(drive(shell, pipe, steps))
    assert seen["event first"]
    text = shell.transcript.text()
    assert text.index("Originate successfully queued") < text.index("outcome of Originate Channel=PJSIP/nobody")
    assert shell.live.for_header("Channel") == []  # a dial string, not a channel
