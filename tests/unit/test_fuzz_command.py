"""fuzz/run, the fixed-budget fuzz of the protocol core, kept working: a short run must pass."""

from __future__ import annotations

import re
import subprocess
import sys
import time

from conftest import ROOT

FUZZ = ROOT / "fuzz" / "run"


def test_fuzz_command_runs_within_its_budget_and_passes():
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, str(FUZZ), "--seconds", "5"], capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - t0
    assert proc.returncode == 0, proc.stdout + proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    m = re.match(r"fuzz: OK: (\d+) examples in ([\d.]+) s \((\d+)/s\), budget 5 s, seed \d+", last)
    assert m, proc.stdout
    assert int(m.group(1)) > 100
    assert elapsed < 60  # the budget holds (a batch may run a little past it)
    for prop in ("chunking never changes the items", "valid messages come out whole", "encode_action", "mask_secrets"):
        assert prop in proc.stdout


def test_fuzz_command_is_executable_and_documented():
    assert FUZZ.stat().st_mode & 0o111
    assert FUZZ.read_text().startswith("#!/usr/bin/env python3")
    readme = (FUZZ.parent.parent / "README.md").read_text()
    assert "fuzz/run" in readme
