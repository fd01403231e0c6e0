"""The disk cache of ``manager show command`` pages, one file per server version.

A page costs a round trip (and the ``command`` privilege), and it is the same
for every server of one Asterisk version, so the pages amish has fetched are
kept in ``$XDG_CACHE_HOME/amish/manager-show-VERSION.json`` (mode 0600,
written atomically). `Catalogue.save_cache` / `load_cache` use it; this
module knows only where the file is and what is in it.
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from typing import Mapping, Sequence

__all__ = ["FORMAT", "cache_dir", "cache_file", "save_pages", "load_pages"]

#: The version of the file's layout; a file of another one is ignored.
FORMAT = 1


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/amish`` (default ``~/.cache/amish``)."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base or not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "amish"


def cache_file(version: str) -> Path:
    """The cache file of server `version` (any characters a file name should not hold become ``_``)."""
    safe = re.sub(r"[^A-Za-z0-9._+-]", "_", version)[:100].lstrip(".") or "unknown"
    return cache_dir() / f"manager-show-{safe}.json"


def save_pages(version: str, pages: Mapping[str, Sequence[str]]) -> Path:
    """Write the pages (action name -> Output lines) of server `version`, replacing the file atomically."""
    path = cache_file(version)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = json.dumps(
        {"format": FORMAT, "version": version, "commands": {k: list(v) for k, v in sorted(pages.items())}},
        separators=(",", ":"),
    ).encode("utf-8", "surrogateescape")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def load_pages(version: str) -> dict[str, list[str]] | None:
    """The cached pages of server `version`; None when there is no readable cache of that version.

    Entries that are not a name and a list of strings are left out."""
    try:
        data = json.loads(cache_file(version).read_bytes().decode("utf-8", "surrogateescape"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != version:
        return None
    commands = data.get("commands")
    if not isinstance(commands, dict):
        return None
    return {
        name: lines
        for name, lines in commands.items()
        if isinstance(name, str) and isinstance(lines, list) and all(isinstance(x, str) for x in lines)
    }
