"""The pipe tool and `amish events` against the real Asterisk: formats, exit codes, pipelining."""

from __future__ import annotations

import json
import subprocess
import threading
import time
import uuid

import pexpect
import pytest

from amishcli import AMISH, env, run
from conftest import ADMIN

pytestmark = pytest.mark.asterisk

def action_file(tmp_path, family):
    f = tmp_path / "checklist.ami"
    f.write_text(
        f"""# the seed's checklist, one of each
Ping

Action: Command
Command: core show version

DBPut Family={family} Key=${{EXT}} Val="forward to 7002"
DBGet Family={family} Key=${{EXT}}

Action: CoreShowChannels

Action: GetConfig
Filename: extensions.conf
Category: amish-test

Originate Channel=Local/echo@amish-test Application=Wait Data=0.2 Async=true
"""
    )
    return f


@pytest.mark.parametrize("fmt", ["raw", "pretty", "json"])
def test_the_checklist_in_every_format(asterisk, tmp_path, fmt):
    family = f"amish-{uuid.uuid4().hex[:6]}"
    f = action_file(tmp_path, family)
    proc = run(asterisk, ["-f", str(f), "--format", fmt, "--wait-originate", "--var", "EXT=7001"])
    out = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == b""
    if fmt == "json":
        results = [json.loads(line) for line in out.splitlines()]
        assert [r["action"] for r in results] == ["Ping", "Command", "DBPut", "DBGet", "CoreShowChannels", "GetConfig", "Originate"]
        assert all(r["ok"] for r in results)
        assert results[0]["response"]["Ping"] == "Pong"
        assert results[1]["response"]["Output"][0].startswith("Asterisk 22") or results[1]["response"]["Output"].startswith("Asterisk 22")
        assert results[3]["events"][0]["Key"] == "7001" and results[3]["events"][0]["Val"] == "forward to 7002"
        assert results[4]["complete"]["Event"] == "CoreShowChannelsComplete"
        assert results[5]["response"]["Line-000000-000000"] == "exten=echo,1,Answer()"
        assert results[6]["event"]["Event"] == "OriginateResponse" and results[6]["event"]["Response"] == "Success"
    elif fmt == "raw":
        starts = [m.split("\r\n", 1)[0] for m in out.split("\r\n\r\n") if m]
        assert starts.count("Response: Success") == 7  # (the OriginateResponse event has a Response header too)
        assert "Ping: Pong\r\n" in out
        assert "Event: DBGetResponse\r\n" in out and "Val: forward to 7002\r\n" in out
        assert "Event: OriginateResponse\r\n" in out
        assert "Line-000000-000000: exten=echo,1,Answer()\r\n" in out
    else:
        assert out.count("✔ Success") == 7
        assert "Pong" in out and "forward to 7002" in out and "[amish-test]" in out
        assert "OriginateResponse Success" in out


def test_a_failed_call_is_exit_1_with_its_outcome(asterisk):
    proc = run(
        asterisk,
        ["--format", "json", "--wait-originate", "--originate-timeout", "15"],
        b"Originate Channel=Local/busy@amish-test Application=Wait Data=1 Async=true\nPing\n",
    )
    assert proc.returncode == 1
    first, second = [json.loads(line) for line in proc.stdout.splitlines()]
    assert first["ok"] is False and first["event"]["Response"] == "Failure"
    assert second["ok"] is True  # keeps going by default


def test_stop_on_error(asterisk):
    proc = run(asterisk, ["--stop-on-error"], b"Ping\nNoSuchAction\nAction: Ping\nActionID: never\n")
    assert proc.returncode == 1
    assert b"Ping: Pong" in proc.stdout and b"Invalid/unknown command" in proc.stdout
    assert b"ActionID: never" not in proc.stdout


def test_stop_on_error_with_pipeline_says_what_ran_anyway(asterisk):
    """--pipeline sent everything before the Error came back: the actions after it ran; say which, show their results."""
    proc = run(asterisk, ["--pipeline", "--stop-on-error", "--format", "json"],
               b"Ping\nNoSuchAction\nPing\nDBGet Family=amish-nope Key=nope\n")
    assert proc.returncode == 1
    results = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [(r["action"], r["ok"]) for r in results] == [("Ping", True), ("NoSuchAction", False), ("Ping", True), ("DBGet", False)]
    assert proc.stderr.decode().splitlines() == [
        "amish: <stdin>:2: --stop-on-error, but --pipeline had already sent the 2 action(s) after this one: "
        "Ping (line 3), DBGet (line 4); what they answered follows"
    ]


@pytest.mark.parametrize("pipeline", [False, True], ids=["sequential", "pipeline"])
def test_output_is_in_input_order(asterisk, pipeline):
    n = 300
    stdin = "".join(f"Action: Ping\nActionID: p{i}\n\n" for i in range(n)).encode()
    proc = run(asterisk, ["--format", "json"] + (["--pipeline"] if pipeline else []), stdin)
    assert proc.returncode == 0, proc.stderr
    ids = [json.loads(line)["actionid"] for line in proc.stdout.splitlines()]
    assert ids == [f"p{i}" for i in range(n)]


def test_pipeline_with_a_list_action_and_an_error_in_the_middle(asterisk):
    stdin = b"Ping\nCoreShowChannels\nNoSuchAction\nDBGet Family=nope Key=nope\nPing\n"
    proc = run(asterisk, ["--format", "json", "--pipeline"], stdin)
    results = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["action"] for r in results] == ["Ping", "CoreShowChannels", "NoSuchAction", "DBGet", "Ping"]
    assert [r["ok"] for r in results] == [True, True, False, False, True]
    assert results[1]["complete"] is not None
    assert proc.returncode == 1


def test_broken_file_sends_nothing(asterisk, tmp_path):
    marker = f"k{uuid.uuid4().hex[:6]}"
    f = tmp_path / "broken.ami"
    f.write_text(f"DBPut Family=amish-broken Key={marker} Val=1\nPing\nAction: Ping\nthis is not a header\n")
    proc = run(asterisk, ["-f", str(f)])
    assert proc.returncode == 4
    assert proc.stderr.decode().strip() == f"amish: {f}:4: expected 'Header: value', got 'this is not a header'"
    assert marker not in asterisk.cli("database show amish-broken")


def test_undefined_variable_is_bad_input(asterisk):
    proc = run(asterisk, [], b"DBGet Family=x Key=${NOT_SET_ANYWHERE}\n")
    assert proc.returncode == 4
    assert b"<stdin>:1: ${NOT_SET_ANYWHERE} is not set" in proc.stderr


def test_bad_option_is_exit_4(asterisk):
    proc = run(asterisk, ["--format", "yaml"])
    assert proc.returncode == 4
    assert len(proc.stderr.decode().strip().splitlines()) == 1


# -- amish events ------------------------------------------------------------------


def originate_soon(asterisk, delay=1.0, exten="echo"):
    def go():
        time.sleep(delay)
        run(asterisk, [], f"Originate Channel=Local/{exten}@amish-test Application=Wait Data=0.2 Async=true\n".encode())

    t = threading.Thread(target=go, daemon=True)
    t.start()
    return t


@pytest.mark.parametrize("fmt", ["raw", "jsonl", "pretty"])
def test_events_with_a_filter_shows_exactly_the_matching_events(asterisk, fmt):
    t = originate_soon(asterisk)
    proc = subprocess.run(
        AMISH + ["events", "-u", "admin", "--filter", "Newchannel|Hangup Channel=Local/echo@amish-test*",
                 "--count", "4", "--duration", "20", "--format", fmt, asterisk.host, str(asterisk.port)],
        capture_output=True, timeout=60, env=env(),
    )
    t.join()
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    if fmt == "jsonl":
        events = [json.loads(line) for line in out.splitlines()]
        assert sorted(e["Event"] for e in events) == ["Hangup", "Hangup", "Newchannel", "Newchannel"]
        assert all(e["Channel"].startswith("Local/echo@amish-test-") for e in events)
        assert {e["Channel"][-2:] for e in events} == {";1", ";2"}
    elif fmt == "raw":
        assert out.count("Event: ") == 4
        assert out.count("Event: Newchannel\r\n") == 2 and out.count("Event: Hangup\r\n") == 2
        assert out.endswith("\r\n\r\n")
    else:
        lines = out.splitlines()
        assert len(lines) == 4
        assert [l.split()[1] for l in lines].count("Hangup") == 2


def test_events_until(asterisk):
    t = originate_soon(asterisk)
    proc = subprocess.run(
        AMISH + ["events", "-u", "admin", "--until", "OriginateResponse", "--duration", "20", "--format", "jsonl",
                 asterisk.host, str(asterisk.port)],
        capture_output=True, timeout=60, env=env(),
    )
    t.join()
    assert proc.returncode == 0
    assert json.loads(proc.stdout.splitlines()[-1])["Event"] == "OriginateResponse"


def test_events_duration_without_a_goal_is_success_and_with_a_goal_is_timeout(asterisk):
    base = AMISH + ["events", "-u", "admin", "--filter", "NoSuchEvent", "--duration", "0.5", asterisk.host, str(asterisk.port)]
    assert subprocess.run(base, capture_output=True, timeout=30, env=env()).returncode == 0
    proc = subprocess.run(base + ["--count", "1"], capture_output=True, timeout=30, env=env())
    assert proc.returncode == 3
    assert b"gave up" in proc.stderr


def test_events_ends_when_the_pipe_reader_goes_away(asterisk):
    shell = f"{' '.join(AMISH)} events -u admin --format jsonl {asterisk.host} {asterisk.port} | head -1"
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True, timeout=30, env=env())
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["Event"] == "FullyBooted"
    assert b"Traceback" not in proc.stderr and proc.stderr == b""


def test_events_ctrl_c_is_clean(asterisk):
    child = pexpect.spawn(AMISH[0], AMISH[1:] + ["events", "-u", "admin", asterisk.host, str(asterisk.port)], env=env(), timeout=15)
    child.expect("FullyBooted")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert b"Traceback" not in child.before


def test_events_bad_filter_is_bad_input(asterisk):
    proc = subprocess.run(
        AMISH + ["events", "-u", "admin", "--filter", "(Newchannel", asterisk.host, str(asterisk.port)],
        capture_output=True, timeout=30, env=env(),
    )
    assert proc.returncode == 4
    assert b"--filter" in proc.stderr


# -- amish raw ---------------------------------------------------------------------


def test_raw_mode_is_telnet_with_the_secret_masked(asterisk, tmp_path):
    import io

    child = pexpect.spawn(
        AMISH[0], AMISH[1:] + ["raw", asterisk.host, str(asterisk.port)],
        env=env(XDG_STATE_HOME=str(tmp_path), TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1"), timeout=15,
    )
    child.logfile_read = seen_log = io.BytesIO()
    child.expect("Asterisk Call Manager/")
    for line in ["Action: Login", "Username: admin", f"Secret: {ADMIN[1]}", ""]:
        for ch in line:  # typed key by key, so every keystroke is drawn
            child.send(ch)
            time.sleep(0.01)
        child.send("\r")
        time.sleep(0.1)
    child.expect("accepted")
    child.sendline("Action: Ping")
    child.sendline("")
    child.expect("Pong")
    child.sendeof()
    child.expect(pexpect.EOF)
    seen = seen_log.getvalue()
    child.close()
    history = (tmp_path / "amish" / "history").read_text()
    assert "Action: Ping" in history
    assert ADMIN[1] not in history
    assert b"********" in seen
    assert ADMIN[1].encode() not in seen  # typed, but never left on the screen


def test_raw_mode_masks_the_secret_while_it_is_typed(asterisk, tmp_path):
    from terminal import Terminal

    t = Terminal(["raw", asterisk.host, str(asterisk.port)], {"XDG_STATE_HOME": str(tmp_path)})
    try:
        t.wait_text("Asterisk Call Manager/")
        t.send("Action: Login\r")
        t.send("Username: admin\r")
        t.send(f"Secret: {ADMIN[1]}")
        t.wait_text("Secret: " + "*" * len(ADMIN[1]))
        assert ADMIN[1] not in t.text()
        t.send("\r\r")
        t.wait_text("Authentication accepted")
        assert ADMIN[1] not in t.text()
        assert "Secret: ********" in t.text()
    finally:
        t.close()


def test_read_only_batch_refuses_before_sending(asterisk):
    from amish.core.actionfile import parse_actions
    from amish.pipe import check_read_only
    from amish.core.errors import InputError

    blocks = parse_actions("Ping\nCoreShowChannels\nOriginate Channel=Local/echo@amish-test Application=Wait\n", "f.ami")
    with pytest.raises(InputError) as info:
        check_read_only(blocks, "f.ami")
    assert str(info.value).startswith("f.ami:3: read-only: Originate")


def confirm_in_a_terminal(asterisk, tmp_path, key, answer):
    """amish -f FILE --confirm in a pseudo-terminal: DBPut a key, then DBDel it, which asks; type `answer`."""
    f = tmp_path / "del.ami"
    f.write_text(f"DBPut Family=amish-confirm Key={key} Val=1\nDBDel Family=amish-confirm Key={key}\n")
    child = pexpect.spawn(AMISH[0], AMISH[1:] + ["-u", "admin", "-f", str(f), "--confirm", "--format", "raw",
                                                 asterisk.host, str(asterisk.port)], env=env(), timeout=30)
    try:
        child.expect_exact(f"amish: {f}:2: DBDel deletes from the AstDB. Send it? [y/N] ")
        child.send(answer + "\r")
        child.expect(pexpect.EOF)
        return child.before.decode().replace("\r\n", "\n"), child.wait()
    finally:
        child.close(force=True)


def astdb_has(admin, key) -> bool:
    return admin.send([("Action", "DBGet"), ("Family", "amish-confirm"), ("Key", key)]).ok


@pytest.mark.parametrize("answer", ["y", "yes"])
def test_confirm_yes_on_the_terminal_sends_it(asterisk, admin, tmp_path, answer):
    key = f"k{uuid.uuid4().hex[:8]}"
    seen, code = confirm_in_a_terminal(asterisk, tmp_path, key, answer)
    assert code == 0, seen
    assert "Message: Key deleted successfully" in seen
    assert not astdb_has(admin, key)


@pytest.mark.parametrize("answer", ["n", ""], ids=["n", "enter"])
def test_confirm_no_on_the_terminal_skips_it(asterisk, admin, tmp_path, answer):
    key = f"k{uuid.uuid4().hex[:8]}"
    seen, code = confirm_in_a_terminal(asterisk, tmp_path, key, answer)
    assert code == 0, seen  # a refusal is the user's choice, not a failure
    assert ":2: DBDel skipped" in seen and "Key deleted" not in seen
    assert astdb_has(admin, key)


def test_confirm_without_a_terminal_is_bad_input(asterisk, tmp_path):
    f = tmp_path / "del.ami"
    f.write_text("DBDel Family=amish-confirm Key=never\n")
    proc = subprocess.run(
        AMISH + ["-u", "admin", "-f", str(f), "--confirm", asterisk.host, str(asterisk.port)],
        stdin=subprocess.DEVNULL, capture_output=True, timeout=60, env=env(),
        start_new_session=True,  # no controlling terminal: /dev/tty cannot be opened
    )
    assert proc.returncode == 4
    assert proc.stderr.decode().splitlines() == ["amish: --confirm needs a terminal to ask on"]
    assert proc.stdout == b""


def test_confirm_skips_what_is_refused():
    from amish.core.actionfile import parse_actions
    from amish.pipe import confirmed

    blocks = parse_actions("Ping\nHangup Channel=PJSIP/1\nReload\n", "f.ami")
    asked = []
    kept = confirmed(blocks, "f.ami", lambda q: asked.append(q) or "Reload" in q)
    assert [b.name for b in kept] == ["Ping", "Reload"]
    assert len(asked) == 2 and "hangs up a call (PJSIP/1)" in asked[0]


def test_read_only_from_the_command_line(asterisk):
    proc = run(asterisk, ["--read-only", "--format", "json"], b"Ping\nCoreShowChannels\n!core show version\nDBGet Family=x Key=y\n")
    assert proc.returncode == 1  # DBGet of a missing key answers Error, but it was allowed to run
    assert [json.loads(l)["action"] for l in proc.stdout.splitlines()] == ["Ping", "CoreShowChannels", "Command", "DBGet"]
    marker = f"ro{uuid.uuid4().hex[:6]}"
    proc = run(asterisk, ["--read-only"], f"Ping\nDBPut Family=amish-ro Key={marker} Val=1\n".encode())
    assert proc.returncode == 4
    assert b"<stdin>:2: read-only: DBPut is not on the list of read-only actions; nothing was sent" in proc.stderr
    assert proc.stdout == b""  # not even the Ping went out
    assert marker not in asterisk.cli("database show amish-ro")
