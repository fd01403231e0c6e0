"""The shell's persistent history: XDG state dir, mode 0600, no secrets in it."""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["history_path", "has_secret", "ensure_private_file"]

_SECRET_WORDS = r"(?:secret|md5secret|remotesecret|password|passwd)"
_SECRET_HEADER = re.compile(rf"(?im)(?:^|[\s=:]){_SECRET_WORDS}\s*[:=]")
_LOGIN = re.compile(r"(?im)^\s*(?:action\s*:\s*)?login\b")
_CONFIG_SECRET_VAR = re.compile(rf"(?im)\bvar-\d+\s*[:=]\s*{_SECRET_WORDS}\b")


def history_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "amish" / "history"


def has_secret(text: str) -> bool:
    """True when an input line must not be stored: it holds or may hold a secret.

    Login actions in any form (with their Secret or MD5 Key), Secret and
    password headers, and UpdateConfig changes of a secret variable.
    """
    return bool(_SECRET_HEADER.search(text) or _LOGIN.search(text) or _CONFIG_SECRET_VAR.search(text))


def ensure_private_file(path: Path) -> Path:
    """Create `path` (and its directory) readable by its owner only; fix the mode if it exists."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
    os.close(fd)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    return path
