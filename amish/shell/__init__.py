"""The interactive shell: the full-screen split screen and the line mode.

`run_repl` starts it: full screen, or line mode where full screen cannot work
(not a terminal, TERM dumb, or --line). Importing the package costs os and sys
only: `amish raw` imports `amish.ui.prompt` (what every prompt shares) without loading the full screen.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing costs start-up time
if TYPE_CHECKING:  # pragma: no cover
    from ..runtime.options import Options
    from ..transports.base import Transport

__all__ = ["run_repl", "run_fleet_repl", "can_full_screen"]


def can_full_screen() -> bool:
    term = os.environ.get("TERM", "")
    return sys.stdout.isatty() and sys.stdin.isatty() and term not in ("", "dumb", "unknown")


def run_repl(conn: "Transport", opts: "Options", reconnect=None, fleet=None) -> int:
    """The shell on `conn`; on a fleet, `conn` is the runtime.fleet.FleetTransport also given as `fleet`
    (each server reconnects by itself; its own --read-only and confirmations apply while it is /use'd)."""
    color = not os.environ.get("NO_COLOR")
    options = dict(
        fleet=fleet,
        reconnect=reconnect,
        read_only=opts.read_only,
        auto_reconnect=opts.reconnect,
        confirm=opts.confirm is not False,
        timeout=opts.timeout,
        filter_text=opts.filter,
        scrollback=opts.scrollback,
        max_ended_calls=opts.keep_calls,
        color=color,
    )
    if opts.line or not can_full_screen():
        from .linemode import LineShell  # each front end loads only its own layout

        return LineShell(conn, **options).run()
    from .app import Shell

    return Shell(conn, **options).run()
