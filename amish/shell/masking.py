"""The input line's secrets shown as stars while they are typed (the buffer keeps the real text).

Which characters are secret is `amish.secrets.typed_secret_spans`'s call; this
is only its prompt_toolkit face, shared by the shell, line mode and raw mode.
"""

from __future__ import annotations

from prompt_toolkit.layout.processors import Processor, Transformation, TransformationInput
from prompt_toolkit.layout.utils import explode_text_fragments

from ..secrets import typed_secret_spans

__all__ = ["MaskTypedSecrets"]


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
