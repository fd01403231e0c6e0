"""The test suite's own layout (tests/README.md): helpers live in tests/support, no test file imports another."""

from __future__ import annotations

import ast

from conftest import ROOT

KINDS = {"unit", "asterisk", "e2e", "faults", "support", "data"}  # data: committed captures (tests/data/calls)


def test_tests_live_in_a_folder_of_their_kind():
    loose = sorted(p.name for p in (ROOT / "tests").glob("test_*.py"))
    assert loose == [], f"put these in one of {sorted(KINDS)}: {loose}"
    assert {p.name for p in (ROOT / "tests").iterdir() if p.is_dir() and not p.name.startswith((".", "_"))} == KINDS


def test_no_test_file_imports_another():
    found = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module] if isinstance(node, ast.ImportFrom) and node.module else (
                [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            found += [f"{path.relative_to(ROOT)}:{node.lineno} imports {n}" for n in names if n.startswith("test_")]
    assert not found, found
