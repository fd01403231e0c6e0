"""`amish calls --from FILE` as a user runs it: a capture becomes a list of calls, offline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "calls"
AMISH = [sys.executable, "-m", "amish", "calls"]


def calls(*args, **kw):
    return subprocess.run(AMISH + list(args), capture_output=True, timeout=60, **kw)


def test_a_recording_becomes_one_json_object_per_call():
    p = calls("--from", str(DATA / "busy.ami"), "--format", "jsonl")
    assert p.returncode == 0, p.stderr
    [line] = p.stdout.decode().splitlines()
    call = json.loads(line)
    for key in ("linkedid", "start", "answer", "end", "duration", "billsec", "from", "to", "channels", "dials",
                "transfers", "cause", "cause_text"):
        assert key in call
    assert (call["from"], call["to"], call["cause"], call["cause_text"]) == ("100", "202", 17, "USER_BUSY")
    assert {"from": "Local/100@amish-phones-00000006;1", "to": "Local/202@amish-phones-00000007;1",
            "status": "BUSY"} in call["dials"]
    assert call["answer"] is None and call["billsec"] == 0
    assert call["start"].endswith("+00:00") or "T" in call["start"]  # ISO 8601


def test_pretty_is_one_line_per_call_with_its_transfer():
    p = calls("--from", str(DATA / "blind-transfer.ami"), "--format", "pretty")
    assert p.returncode == 0, p.stderr
    [line] = p.stdout.decode().splitlines()
    assert "100 -> 210" in line and "blind 230@amish-calls" in line and "NORMAL_CLEARING (16)" in line


def test_the_filter_runs_over_the_calls_events(tmp_path):
    both = tmp_path / "both.txt"
    # a plain AMI dump of two calls, one after the other (what telnet or tcpflow would save)
    text = b""
    for name in ("busy", "answered"):
        from amish.calls import messages_from_file

        text += b"".join(m.raw for _t, m in messages_from_file(DATA / f"{name}.ami"))
    both.write_bytes(text)
    p = calls("--from", str(both), "--format", "jsonl")
    assert p.returncode == 0, p.stderr
    assert [json.loads(x)["to"] for x in p.stdout.decode().splitlines()] == ["202", "200"]
    p = calls("--from", str(both), "--format", "jsonl", "--filter", "DialEnd DialStatus=BUSY")
    assert [json.loads(x)["to"] for x in p.stdout.decode().splitlines()] == ["202"]
    p = calls("--from", str(both), "--format", "jsonl", "--count", "1")
    assert len(p.stdout.splitlines()) == 1 and p.returncode == 0


def test_bad_input_is_one_line_and_exit_4(tmp_path):
    p = calls("--from", str(DATA / "busy.ami"), "--filter", "Channel~^(a")
    assert p.returncode == 4 and p.stdout == b""
    assert len(p.stderr.decode().strip().splitlines()) == 1 and b"Traceback" not in p.stderr
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\n")
    p = calls("--from", str(junk))
    assert p.returncode == 4 and b"not an AMI recording" in p.stderr and b"Traceback" not in p.stderr
    p = calls("--from", str(tmp_path / "missing.ami"))
    assert p.returncode == 4 and b"cannot read" in p.stderr


def test_a_call_still_up_at_the_end_of_the_file_is_said(tmp_path):
    lines = (DATA / "answered.ami").read_text().splitlines()
    cut = tmp_path / "cut.ami"
    cut.write_text("\n".join(lines[: len(lines) // 2]) + "\n")
    p = calls("--from", str(cut), "--format", "jsonl")
    assert p.returncode == 0 and p.stdout == b""
    assert b"1 call still in progress at the end of the file" in p.stderr
