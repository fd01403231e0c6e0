"""The core is UI-free: importing it loads no prompt_toolkit, rich or pygments.

Protocol, connection, session, models, safety and config are what a script,
a test or another front end builds on (like pgcli's pgexecute.py): they must
not drag the terminal UI in. Each module is imported in a fresh interpreter,
so an import made by another test cannot hide a leak.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

UI = ("prompt_toolkit", "rich", "pygments")

# The folders are the layers (docs/ARCHITECTURE.md): every module of the layers below the
# presentation is listed by walking them, so a module added to a core folder is checked at once.
CORE_PACKAGES = ("core", "catalogue", "transports", "runtime")


def _modules_of(package: str) -> list[str]:
    from conftest import ROOT

    base = ROOT / "amish" / package
    if not base.is_dir():
        return [f"amish.{package}"]
    return sorted(
        "amish." + ".".join(p.relative_to(ROOT / "amish").with_suffix("").parts).removesuffix(".__init__")
        for p in base.rglob("*.py")
    )


CORE = [m for package in CORE_PACKAGES for m in _modules_of(package)]


def test_the_core_list_is_walked_from_the_folders():
    assert "amish.core.protocol" in CORE and "amish.transports.connection" in CORE and "amish.runtime.session" in CORE
    assert len(CORE) >= 20


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_no_ui_library(module):
    code = (
        f"import sys, {module}; "
        f"print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & {set(UI)!r})))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"{module} loads {proc.stdout.strip()}"


# `amish raw` as far as its first prompt and out again (Ctrl-D), over a stand-in
# connection: everything raw mode imports on the way, lazy imports included.
_RAW_MODE_RUN = textwrap.dedent(
    """
    import asyncio, sys
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput
    import amish.raw

    class Subscription:
        def drain(self, limit=None):
            return []

    class Connection:
        banner = None
        def subscribe(self, callback=None, maxlen=None):
            return Subscription()
        def send_raw(self, data):
            pass

    with create_pipe_input() as keys:
        keys.send_text("\\x04")
        with create_app_session(input=keys, output=DummyOutput()):
            code = asyncio.run(amish.raw.RawSession(Connection()).run())
    print("exit", code, "loaded:", *sorted(m for m in FULL_SCREEN if m in sys.modules))
    """
)

FULL_SCREEN = ("rich", "amish.ui.render", "amish.shell.app", "amish.shell.session")


def test_raw_mode_loads_neither_rich_nor_the_full_screen_shell(tmp_path):
    """`amish raw` shares the history and the style with the shell (amish/prompt.py), not the shell itself."""
    code = f"FULL_SCREEN = {FULL_SCREEN!r}\n" + _RAW_MODE_RUN
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path))  # its history file goes there
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "exit 0 loaded:"
    assert (tmp_path / "amish" / "history").exists()  # the private history was the one used


MODES = ["amish.pipe", "amish.events", "amish.raw", "amish.audit", "amish.shell"]


def test_no_mode_imports_another_mode_or_the_command_line():
    """docs/ARCHITECTURE.md: a mode opens its transport through the session and uses the layers below; what
    two modes share belongs in a layer below them (is_async_originate lives in the correlator, not the pipe tool)."""
    import ast

    from conftest import ROOT

    root = ROOT / "amish"
    found = []
    for mode in MODES:
        name = mode.split(".", 1)[1]
        files = sorted((root / name).rglob("*.py")) if (root / name).is_dir() else [root / f"{name}.py"]
        for path in files:
            pkg = ["amish", *path.relative_to(root).parent.parts]
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom):
                    base = pkg[: len(pkg) - node.level + 1] if node.level else []
                    target = ".".join(base + ([node.module] if node.module else []))
                    if node.level and not node.module:  # from . import x
                        targets = [f"{target}.{a.name}" for a in node.names]
                    else:
                        targets = [target]
                    for t in targets:
                        other = [m for m in MODES + ["amish.cli"] if (t == m or t.startswith(m + ".")) and m != mode]
                        if other:
                            found.append(f"{path.relative_to(root.parent)}:{node.lineno} imports {t}")
    assert not found, found


# Each layer imports only from the layers below it (docs/ARCHITECTURE.md, "The layers").
# Rank by folder; the modes and the command line are above them all.
LAYER_RANK = {"core": 1, "catalogue": 1, "transports": 2, "runtime": 3, "ui": 4}


def _rank(module: str) -> int:
    parts = module.split(".")
    if len(parts) < 2 or parts[1] == "__version__":
        return 0  # amish itself (__version__)
    return LAYER_RANK.get(parts[1], 5)


def _imports(path, root):
    import ast

    pkg = ["amish", *path.relative_to(root).parent.parts]
    tree = ast.parse(path.read_text())
    type_only = set()  # imports under `if TYPE_CHECKING:` name types for annotations; nothing is loaded
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            type_only.update(id(n) for n in ast.walk(node))
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom):
            base = pkg[: len(pkg) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            if node.level and not node.module:
                yield node.lineno, [f"{target}.{a.name}" for a in node.names]
            elif target.startswith("amish"):
                yield node.lineno, [target]
        elif isinstance(node, ast.Import):
            yield node.lineno, [a.name for a in node.names if a.name.startswith("amish")]


def test_every_layer_imports_only_from_the_layers_below_it():
    """A core module that reached up into a transport, a session or the UI would drag them into every script
    built on it; the rule is checked on every import statement, the lazy ones inside functions included."""
    from conftest import ROOT

    root = ROOT / "amish"
    found = []
    for path in sorted(root.rglob("*.py")):
        module = "amish." + ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        rank = _rank(module)
        if rank >= 5:
            continue
        for lineno, targets in _imports(path, root):
            for t in targets:
                if _rank(t) > rank:
                    found.append(f"{path.relative_to(root.parent)}:{lineno} ({module}) imports {t}")
    assert not found, found
