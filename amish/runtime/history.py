"""The shell's persistent history: XDG state dir, mode 0600, no secrets in it."""

from __future__ import annotations

import os
from pathlib import Path

from ..core.secrets import has_secret  # what may not be stored: amish.core.secrets decides

__all__ = ["history_path", "has_secret", "ensure_private_file"]


def history_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "amish" / "history"


def ensure_private_file(path: Path) -> Path:
    """Create `path` (and its directory) readable by its owner only; fix the mode if it exists."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
    os.close(fd)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    return path
