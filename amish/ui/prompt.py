"""What every prompt of amish shares: the history that keeps secrets out, the style, secrets drawn as stars.

The full-screen shell (`shell.app`), line mode (`shell.linemode`) and `amish raw`
(`amish.raw`) all read it, so it sits beside them, in no mode's package. It imports prompt_toolkit's history and styles
only, never the full-screen application, the renderer or rich: `amish raw`
loads none of them (tests/unit/test_layers.py checks).
"""

from __future__ import annotations

from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.layout.processors import Processor, Transformation, TransformationInput
from prompt_toolkit.layout.utils import explode_text_fragments
from prompt_toolkit.styles import Style

from ..core.secrets import typed_secret_spans
from ..runtime.history import ensure_private_file, has_secret, history_path

__all__ = ["SHELL_STYLE", "make_history", "MaskTypedSecrets"]

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


# -- the input line's secrets, shown as stars while they are typed (the buffer keeps the real text);
# which characters are secret is amish.core.secrets.typed_secret_spans's call


class MaskTypedSecrets(Processor):
    """Shows every secret value of the input (Secret: xyz, Secret=xyz, a Login's Key) as stars.

    `login`: None to tell a Login from the text; True to mask every Key (raw
    mode, where the Login line was sent before).
    """

    def __init__(self, login: bool | None = None) -> None:
        self.login = login
        self._text: str | None = None
        self._spans: list[tuple[int, int]] = []

    def _spans_of(self, text: str) -> list[tuple[int, int]]:
        if text != self._text:  # once per edit, not once per line drawn
            self._text, self._spans = text, typed_secret_spans(text, self.login)
        return self._spans

    def apply_transformation(self, ti: TransformationInput) -> Transformation:
        spans = self._spans_of(ti.document.text)
        if not spans:
            return Transformation(ti.fragments)
        start = ti.document.translate_row_col_to_index(ti.lineno, 0)
        end = start + len(ti.document.lines[ti.lineno])
        hidden = set()
        for s, e in spans:
            for i in range(max(s, start), min(e, end)):
                hidden.add(ti.source_to_display(i - start))
        if not hidden:
            return Transformation(ti.fragments)
        chars = explode_text_fragments(ti.fragments)
        return Transformation([(f[0], "*", *f[2:]) if i in hidden else f for i, f in enumerate(chars)])
