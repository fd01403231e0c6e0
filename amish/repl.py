"""Start the interactive shell: full screen, or line mode where full screen cannot work."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing costs start-up time
if TYPE_CHECKING:  # pragma: no cover
    from .transport import Transport

__all__ = ["run_repl", "can_full_screen"]


def can_full_screen() -> bool:
    term = os.environ.get("TERM", "")
    return sys.stdout.isatty() and sys.stdin.isatty() and term not in ("", "dumb", "unknown")


def run_repl(conn: "Transport", args, reconnect=None) -> int:
    color = not os.environ.get("NO_COLOR")
    options = dict(
        reconnect=reconnect,
        read_only=bool(getattr(args, "read_only", False)),
        auto_reconnect=not getattr(args, "no_reconnect", False),
        confirm=getattr(args, "confirm", True) is not False,
        timeout=args.timeout,
        filter_text=getattr(args, "filter", "") or "",
        scrollback=getattr(args, "scrollback", 10_000),
        color=color,
    )
    if getattr(args, "line", False) or not can_full_screen():
        from .shell.linemode import LineShell

        return LineShell(conn, **options).run()
    from .shell.app import Shell

    return Shell(conn, **options).run()
