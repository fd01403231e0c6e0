"""How amish shows AMI results and events on a terminal, with rich.

Rich only: nothing here imports prompt_toolkit, so the pipe tool and tests can
use it, and the interactive shell turns the output into pane lines with `to_ansi`.

Every message goes through `Message.masked()` before anything of it is drawn,
so a Secret, a Login's Key or a password in GetConfig output never reaches the
screen. Every value is also made safe to print (`safe`): control characters
(ESC, C1 codes such as CSI, CR, BEL...) and undecodable bytes are shown escaped
(``\\x1b``) rather than sent to the terminal, so a hostile CallerIDName cannot
drive the terminal. User text is always wrapped in `Text`, never parsed as
markup, and no link markup is ever used (no OSC-8 sequences).
What counts as a secret (and every masker) is `amish.core.secrets`'s.

One module per reason to change:

| module | what it is |
| --- | --- |
| `safe` | making text safe to print (`clean`, `safe_text`) |
| `eventstyle` | an event's colour by its family |
| `eventline` | the compact event line; `_FIELDS`, the table of what each event shows |
| `layout` | headers in two aligned columns, preformatted lines |
| `listview` | a list result: a table when it fits, else one record per item |
| `results` | results and single messages: status line, headers, Command and GetConfig output |
| `ansi` | renderables to ANSI (with the fast path for one-line texts) or plain text |

Public API::

    render_result(result: Pending) -> Group
    render_event_line(msg: Message, when: float | None = None) -> Text
    render_event_full(msg: Message) -> Group
    render_message(msg: Message | Banner | object) -> renderable
    render_protocol_error(err: ProtocolError) -> Text
    to_ansi(renderable, width: int, color: bool = True) -> str
    to_plain(renderable, width: int) -> str

Colours are the 16 ANSI names only (they follow the user's terminal theme).
"""

from __future__ import annotations

from .ansi import to_ansi, to_plain
from .eventline import render_event_line
from .eventstyle import event_style
from .results import (
    ERROR_MARK,
    OK_MARK,
    ResultLike,
    error_hint,
    render_awaited_event,
    render_event_full,
    render_message,
    render_protocol_error,
    render_result,
)

__all__ = [
    "render_result",
    "render_event_line",
    "render_event_full",
    "render_awaited_event",
    "render_message",
    "render_protocol_error",
    "event_style",
    "error_hint",
    "to_ansi",
    "to_plain",
    "OK_MARK",
    "ERROR_MARK",
    "ResultLike",
]
