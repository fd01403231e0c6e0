"""What every prompt of amish shares: the history that keeps secrets out, and the style.

The full-screen shell (`app`), line mode (`linemode`) and `amish raw`
(`amish.rawmode`) all read it. It imports prompt_toolkit's history and styles
only, never the full-screen application, the renderer or rich: `amish raw`
loads none of them (tests/unit/test_layers.py checks).
"""

from __future__ import annotations

from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.styles import Style

from ..history import ensure_private_file, has_secret, history_path

__all__ = ["SHELL_STYLE", "make_history"]

SHELL_STYLE = Style.from_dict(
    {
        "toolbar": "reverse",
        "toolbar.ok": "reverse fg:ansigreen",
        "toolbar.warn": "reverse fg:ansiyellow",
        "toolbar.bad": "reverse fg:ansired",
        "toolbar.dim": "reverse fg:ansibrightblack",
        "toolbar.filter": "reverse fg:ansicyan",
        "title": "bold",
        "title.dim": "fg:ansibrightblack",
        # the focused pane: its title and the line under its cursor in reverse video
        # (NO_COLOR keeps reverse video, and the title also says it in words)
        "title.focused": "reverse bold",
        "cursor-line": "reverse nounderline",
        "prompt": "bold fg:ansigreen",
        "prompt.disconnected": "bold fg:ansired",
    }
)


class _PrivateHistory(FileHistory):
    """File history that never stores an input holding a secret."""

    def store_string(self, string: str) -> None:
        if not has_secret(string):
            super().store_string(string)


def make_history() -> History:
    """The history file (XDG state dir, mode 0600, no secrets); in memory when it cannot be opened."""
    try:
        return _PrivateHistory(str(ensure_private_file(history_path())))
    except OSError:
        return InMemoryHistory()
