"""The core is UI-free: importing it loads no prompt_toolkit, rich or pygments.

Protocol, connection, session, models, safety and config are what a script,
a test or another front end builds on (like pgcli's pgexecute.py): they must
not drag the terminal UI in. Each module is imported in a fresh interpreter,
so an import made by another test cannot hide a leak.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

UI = ("prompt_toolkit", "rich", "pygments")

CORE = [
    "amish.protocol",
    "amish.correlator",
    "amish.connection",
    "amish.transport",
    "amish.config",
    "amish.eventfilter",
    "amish.errors",
    "amish.safety",
    "amish.records",
    "amish.actionfile",
    "amish.commandline",
    "amish.inputforms",
    "amish.wire",
    "amish.replay",
    "amish.catalogue",
    "amish.formats",
    "amish.history",
]


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_no_ui_library(module):
    code = (
        f"import sys, {module}; "
        f"print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & {set(UI)!r})))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"{module} loads {proc.stdout.strip()}"
