"""The live fetch: what the connected server says about its actions, merged into a catalogue.

The only part of the catalogue that talks to a server, and only through the
`Transport` it is given (`submit`/`send`); it never opens a connection.
Meant for a background thread (the shell's): each call waits for its answers.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..transports.base import Transport
    from .store import Catalogue

__all__ = ["fetch_live", "fetch_manager_show"]


def fetch_live(conn: "Transport", catalogue: "Catalogue", timeout: float = 10.0) -> bool:
    """Ask the server which actions this login may run (``ListCommands``) and its
    version (``CoreSettings``, or the banner's AMI version), merge, and load the
    manager-show cache of that version. Meant for a background thread; two round
    trips. False when ListCommands failed (nothing merged)."""
    listing = conn.submit([("Action", "ListCommands")])
    settings = conn.submit([("Action", "CoreSettings")])
    listing.wait(timeout)
    try:
        settings.wait(timeout)
        version = settings.response.get("AsteriskVersion") if settings.ok else None
    except Exception:
        version = None
    if not version and conn.banner is not None and conn.banner.version:
        version = f"AMI {conn.banner.version}"
    if not listing.ok or not catalogue.merge_list_commands(listing.response):
        return False
    if version:
        catalogue.version = version
        catalogue.load_cache(version)
    return True


_ACTION_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def fetch_manager_show(
    conn: "Transport", catalogue: "Catalogue", name: str, timeout: float = 10.0, *, save: bool = True
) -> bool:
    """Fetch ``manager show command NAME`` (``Action: Command``; needs the
    ``command`` write privilege) and merge it. False, with the catalogue as it was,
    on an Error response (no privilege) or an unknown action. With `save` and a
    known server version, the on-disk cache is updated."""
    if not _ACTION_NAME.match(name):
        return False
    result = conn.send([("Action", "Command"), ("Command", f"manager show command {name}")], timeout=timeout)
    if not result.ok or result.response is None:
        return False
    if not catalogue.merge_manager_show(name, result.response.getall("Output")):
        return False
    if save and catalogue.version:
        try:
            catalogue.save_cache()
        except OSError:
            pass  # a cache is a convenience
    return True

