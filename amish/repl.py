"""Start the interactive shell: full screen, or line mode where full screen cannot work."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing costs start-up time
if TYPE_CHECKING:  # pragma: no cover
    from .options import Options
    from .transport import Transport

__all__ = ["run_repl", "can_full_screen"]


def can_full_screen() -> bool:
    term = os.environ.get("TERM", "")
    return sys.stdout.isatty() and sys.stdin.isatty() and term not in ("", "dumb", "unknown")


def run_repl(conn: "Transport", opts: "Options", reconnect=None) -> int:
    color = not os.environ.get("NO_COLOR")
    options = dict(
        reconnect=reconnect,
        read_only=opts.read_only,
        auto_reconnect=opts.reconnect,
        confirm=opts.confirm is not False,
        timeout=opts.timeout,
        filter_text=opts.filter,
        scrollback=opts.scrollback,
        color=color,
    )
    if opts.line or not can_full_screen():
        from .shell.linemode import LineShell

        return LineShell(conn, **options).run()
    from .shell.app import Shell

    return Shell(conn, **options).run()
