"""What the shell's history keeps and where."""

from __future__ import annotations

import os
import stat

import pytest

from amish.runtime.history import ensure_private_file, has_secret, history_path

CASES = [
    ("Ping", False),
    ("DBPut Family=cf Key=7001 Val=7002", False),
    ("Action: DBGet\nFamily: cf\nKey: 7001", False),
    ("Login Username=admin Secret=hunter2", True),
    ("login Username=admin", True),
    ("Action: Login\nUsername: admin\nAuthType: MD5\nKey: 0123abcd", True),
    ("Action: Login\nUsername: admin\nSecret: hunter2", True),
    ("Originate Channel=Local/1@x Variable=PASSWORD=x", True),
    ("UpdateConfig SrcFilename=manager.conf DstFilename=manager.conf Action-000000=Update Cat-000000=admin Var-000000=secret Value-000000=x", True),
    ("!manager show user admin", False),
    ("Command Command='core show channels'", False),
]


@pytest.mark.parametrize("text, secret", CASES, ids=[t.split()[0] + str(i) for i, (t, _) in enumerate(CASES)])
def test_has_secret(text, secret):
    assert has_secret(text) is secret


def test_history_path_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert history_path() == tmp_path / "amish" / "history"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert str(history_path()).endswith(".local/state/amish/history")


def test_history_file_is_private(tmp_path):
    path = tmp_path / "state" / "amish" / "history"
    ensure_private_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    os.chmod(path, 0o644)
    ensure_private_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
