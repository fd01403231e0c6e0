"""amish on the command line against the sandbox Asterisk, as a script runs it."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ADMIN

AMISH = [sys.executable, "-m", "amish"]


def env(**extra):
    e = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_")}
    e["AMISH_SECRET"] = ADMIN[1]
    e.update(extra)
    return e


def run(asterisk, args, stdin=b"", **extra):
    return subprocess.run(
        AMISH + ["-u", "admin"] + args + [asterisk.host, str(asterisk.port)],
        input=stdin, capture_output=True, timeout=60, env=env(**extra),
    )
