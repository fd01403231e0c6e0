"""The amish command line in a pipe, against the real sandbox Asterisk."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from conftest import ADMIN

pytestmark = pytest.mark.asterisk


def run(cmd, args, stdin="", secret=ADMIN[1], timeout=60):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_")}
    if secret is not None:
        env["AMISH_SECRET"] = secret
    return subprocess.run(
        cmd + args, input=stdin.encode(), capture_output=True, timeout=timeout, env=env, stdin=None
    )


def test_ping_from_a_pipe_prints_pong(asterisk, amish_cmd):
    proc = run(amish_cmd, ["-u", "admin", asterisk.host, str(asterisk.port)], "Action: Ping\n\n")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    assert out.startswith("Response: Success\r\n")
    assert "Ping: Pong\r\n" in out
    assert out.endswith("\r\n\r\n")
    assert proc.stderr == b""


@pytest.mark.parametrize(
    "stdin, expected_code",
    [
        ("Action: Ping\n\nAction: Ping\n", 0),
        ("# a comment\nAction: Ping\n\n\n\n", 0),
        ("Action: Ping\n\nAction: NoSuchAction\n\nAction: Ping\n", 1),
        ("Action: Ping\nthis line has no colon\n", 4),
        ("Header: without action\n", 4),
    ],
    ids=["two-pings", "comment-and-blank-lines", "one-error", "bad-line", "no-action"],
)
def test_exit_codes(asterisk, amish_cmd, stdin, expected_code):
    proc = run(amish_cmd, ["-u", "admin", asterisk.host, str(asterisk.port)], stdin)
    assert proc.returncode == expected_code, proc.stderr


def test_an_error_does_not_stop_the_rest(asterisk, amish_cmd):
    stdin = "Action: Ping\n\nAction: NoSuchAction\n\nAction: Ping\nActionID: last\n"
    proc = run(amish_cmd, ["-u", "admin", asterisk.host, str(asterisk.port)], stdin)
    out = proc.stdout.decode()
    assert proc.returncode == 1
    assert out.count("Ping: Pong") == 2
    assert "Invalid/unknown command: NoSuchAction" in out
    assert "ActionID: last" in out


def test_bad_input_names_the_line_and_sends_nothing(asterisk, amish_cmd, tmp_path):
    family = "amish-cli-test"
    f = tmp_path / "actions.ami"
    f.write_text(f"Action: DBPut\nFamily: {family}\nKey: should-not-exist\nVal: 1\n\nAction: Ping\nbroken line\n")
    proc = run(amish_cmd, ["-u", "admin", "-f", str(f), asterisk.host, str(asterisk.port)])
    assert proc.returncode == 4
    assert proc.stderr.decode().strip() == f"amish: {f}:7: expected 'Header: value', got 'broken line'"
    assert "should-not-exist" not in asterisk.cli(f"database show {family}")


def test_json_format_with_a_list_action(asterisk, amish_cmd):
    stdin = "Action: DBPut\nFamily: amish-cli-json\nKey: k\nVal: v 1\n\nAction: DBGet\nFamily: amish-cli-json\nKey: k\n"
    proc = run(amish_cmd, ["-u", "admin", "--format", "json", asterisk.host, str(asterisk.port)], stdin)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode().splitlines()
    assert len(lines) == 2
    put, get = map(json.loads, lines)
    assert put["action"] == "DBPut" and put["ok"] is True
    assert get["action"] == "DBGet" and get["ok"] is True
    assert get["events"] == [
        {"Event": "DBGetResponse", "ActionID": get["actionid"], "Family": "amish-cli-json", "Key": "k", "Val": "v 1"}
    ]
    assert get["complete"]["ListItems"] == "1"


def test_json_keeps_repeated_headers_as_lists(asterisk, amish_cmd):
    proc = run(
        amish_cmd,
        ["-u", "admin", "--format", "json", asterisk.host, str(asterisk.port)],
        "Action: Command\nCommand: core show help manager\n",
    )
    assert proc.returncode == 0, proc.stderr
    obj = json.loads(proc.stdout)
    assert isinstance(obj["response"]["Output"], list) and len(obj["response"]["Output"]) > 3


def test_raw_output_is_the_bytes_asterisk_sent(asterisk, amish_cmd):
    # the exact bytes of an empty channel list: calls another test left up (a 60 s hold) are hung up first
    asterisk.cli("channel request hangup all")
    deadline = time.monotonic() + 10
    while asterisk.cli("core show channels concise").strip() and time.monotonic() < deadline:
        time.sleep(0.1)
    proc = run(amish_cmd, ["-u", "admin", asterisk.host, str(asterisk.port)], "Action: CoreShowChannels\nActionID: csc\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        b"Response: Success\r\nActionID: csc\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n"
        b"Event: CoreShowChannelsComplete\r\nActionID: csc\r\nEventList: Complete\r\nListItems: 0\r\n\r\n"
    )


@pytest.mark.parametrize("auth", ["md5", "plain"])
def test_tls_from_the_command_line(asterisk, amish_cmd, auth):
    proc = run(
        amish_cmd,
        ["-u", "admin", "--tls", "--cafile", asterisk.cafile, "--auth", auth, asterisk.host, str(asterisk.tls_port)],
        "Action: Ping\n",
    )
    assert proc.returncode == 0, proc.stderr
    assert b"Ping: Pong" in proc.stdout


@pytest.mark.parametrize(
    "args, secret, message",
    [
        (["-u", "admin"], "wrong", "amish: login to 127.0.0.1:{port} as admin failed: Authentication failed"),
        (["-u", "nobody"], "wrong", "amish: login to 127.0.0.1:{port} as nobody failed: Authentication failed"),
        (["-u", "admin", "--tls", "--cafile", "{other_ca}", "-p", "{tls_port}"], ADMIN[1], "certificate not trusted"),
        (["-u", "admin", "-p", "{http_port}"], ADMIN[1], "is Asterisk's HTTP server (Asterisk/22"),
        (["-u", "admin", "-p", "1"], ADMIN[1], "cannot connect to 127.0.0.1:1: connection refused"),
    ],
    ids=["wrong-secret", "unknown-user", "wrong-ca", "http-port", "closed-port"],
)
def test_connection_failures_exit_2_with_one_line(asterisk, amish_cmd, args, secret, message):
    fill = dict(port=asterisk.port, tls_port=asterisk.tls_port, http_port=asterisk.http_port, other_ca=asterisk.other_cafile)
    args = [a.format(**fill) for a in args]
    if "-p" not in args:
        args += ["-p", str(asterisk.port)]
    proc = run(amish_cmd, args + [asterisk.host], "Action: Ping\n", secret=secret)
    err = proc.stderr.decode()
    assert proc.returncode == 2
    assert message.format(**fill) in err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert secret not in err or secret == ADMIN[1] and ADMIN[1] not in err


def test_tls_to_a_name_the_certificate_does_not_hold_says_so(asterisk, amish_cmd):
    """127.1 reaches the sandbox's TLS port, whose certificate names 127.0.0.1 and localhost only."""
    args = ["-u", "admin", "--tls", "--cafile", asterisk.cafile, "-p", str(asterisk.tls_port), "127.1"]
    proc = run(amish_cmd, args, "Action: Ping\n")
    err = proc.stderr.decode()
    assert proc.returncode == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert f"TLS to 127.1:{asterisk.tls_port}: the certificate does not name 127.1" in err
    assert "127.0.0.1" in err and "localhost" in err and "--cafile" not in err


def test_a_pipe_with_its_own_login(asterisk, amish_cmd):
    stdin = f"Action: Login\nUsername: admin\nSecret: {ADMIN[1]}\n\nAction: Ping\n"
    proc = run(amish_cmd, [asterisk.host, str(asterisk.port)], stdin, secret=None)
    assert proc.returncode == 0, proc.stderr
    assert b"Authentication accepted" in proc.stdout and b"Ping: Pong" in proc.stdout


def test_no_user_is_an_input_error(asterisk, amish_cmd):
    proc = run(amish_cmd, [asterisk.host, str(asterisk.port)], "Action: Ping\n")
    assert proc.returncode == 4
    assert b"-u USER" in proc.stderr


def test_secret_on_the_command_line_warns(asterisk, amish_cmd):
    proc = run(amish_cmd, ["-u", "admin", "--secret", ADMIN[1], asterisk.host, str(asterisk.port)], "Action: Ping\n", secret=None)
    assert proc.returncode == 0
    assert b"visible in ps" in proc.stderr


def test_no_secret_and_no_terminal(asterisk, amish_cmd):
    proc = subprocess.run(
        amish_cmd + ["-u", "admin", asterisk.host, str(asterisk.port)],
        input=b"Action: Ping\n",
        capture_output=True,
        timeout=30,
        env={k: v for k, v in os.environ.items() if not k.startswith("AMISH_")},
        start_new_session=True,  # no controlling terminal: nowhere to prompt
    )
    assert proc.returncode == 2
    assert b"AMISH_SECRET" in proc.stderr and b"Traceback" not in proc.stderr


def test_version_and_module_entry_point(amish_cmd):
    from amish import __version__

    proc = subprocess.run(amish_cmd + ["--version"], capture_output=True, timeout=30)
    assert proc.returncode == 0
    assert proc.stdout.decode().strip() == f"amish {__version__}"


def test_console_script_is_installed():
    import sys
    from pathlib import Path

    script = Path(sys.executable).parent / "amish"
    proc = subprocess.run([str(script), "--help"], capture_output=True, timeout=30)
    assert proc.returncode == 0
    assert b"exit codes" in proc.stdout


def test_secrets_in_responses_are_masked_on_a_terminal_but_exact_in_a_pipe(asterisk, amish_cmd, tmp_path):
    import pexpect

    actions = tmp_path / "get.ami"
    actions.write_text("Action: GetConfig\nFilename: manager.conf\nCategory: admin\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_")}
    env["AMISH_SECRET"] = ADMIN[1]
    args = ["-u", "admin", "-f", str(actions), asterisk.host, str(asterisk.port)]
    piped = subprocess.run(amish_cmd + args, capture_output=True, timeout=30, env=env)
    assert b"secret=amish-admin-secret" in piped.stdout  # a backup must be exact
    child = pexpect.spawn(amish_cmd[0], amish_cmd[1:] + args, env=env, timeout=15)
    screen = child.read().decode()
    child.close()
    assert child.exitstatus == 0
    assert "secret=********" in screen
    assert "amish-admin-secret" not in screen
