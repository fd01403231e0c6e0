"""amish events under a flood (a fake server: Asterisk cannot be made to flood)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from fakeami import FakeAMI, default_handler, encode

N = 60_000


@pytest.mark.parametrize(
    "fmt_args", [["--format", "raw"], ["--format", "jsonl", "--filter", "Newexten|FullyBooted"]], ids=["raw", "jsonl-filtered"]
)
def test_a_flood_to_a_pipe_loses_nothing(tmp_path, fmt_args):
    events = b"".join(
        encode(("Event", "Newexten"), ("Channel", "PJSIP/alice-00000001"), ("Seq", str(i)), ("Uniqueid", "1.1"))
        for i in range(N)
    )

    env = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_")}
    env["AMISH_SECRET"] = "secret"
    with FakeAMI(fully_booted=True) as fake:
        proc = subprocess.Popen(
            [sys.executable, "-m", "amish", "events", "-u", "admin", *fmt_args, "--count", str(N),
             "--duration", "60", fake.host, str(fake.port)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        )
        first = proc.stdout.readline()  # FullyBooted: the tail is subscribed, the flood may start
        assert b"FullyBooted" in first, first
        flood = threading.Thread(target=fake.wait_client().send, args=(events,), daemon=True)
        flood.start()
        stdout, stderr = proc.communicate(timeout=120)
        stdout = first + stdout
        flood.join(30)

    class proc:  # noqa: N801 - the shape the assertions below read
        pass

    proc.stdout, proc.stderr = stdout, stderr
    out = proc.stdout.decode()
    if fmt_args[1] == "raw":
        assert out.startswith("Event: FullyBooted\r\n")  # what came with the login is not lost either
        seqs = [int(line[5:]) for line in out.split("\r\n") if line.startswith("Seq: ")][: N - 1]
        expected = list(range(N - 1))  # --count N includes FullyBooted
    else:
        import json

        seqs = [int(json.loads(line)["Seq"]) for line in out.splitlines()[1:]]
        expected = list(range(N - 1))
    assert seqs == expected, f"{len(seqs)} of {len(expected)}; stderr: {proc.stderr[-300:]!r}"
    assert b"dropped" not in proc.stderr
