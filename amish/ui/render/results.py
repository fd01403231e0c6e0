"""Results and single messages: the status line, the headers, Command and GetConfig output, lists.

A result is an action and all it got back (`ResultLike`: the response, the
list's events and its ``...Complete``, an awaited event such as
OriginateResponse). Every message goes through `Message.masked()` before
anything of it is drawn; GetConfig and GetConfigJSON output is read into ini
lines by `core.getconfig` (GetConfigJSON masked variable by variable there).
"""

from __future__ import annotations

import re
from typing import Protocol

from rich.console import Group, RenderableType
from rich.text import Text

from ...core.getconfig import ini_lines, json_ini_lines
from ...core.protocol import Banner, Message, ProtocolError
from ...core.secrets import mask_bytes, mask_json
from .eventline import ORIGINATE_REASONS
from .eventstyle import event_style
from .layout import Preformatted, grid
from .listview import ListView
from .safe import clean, safe_text

__all__ = [
    "OK_MARK",
    "ERROR_MARK",
    "ResultLike",
    "error_hint",
    "render_result",
    "render_awaited_event",
    "render_event_full",
    "render_message",
    "render_protocol_error",
]

OK_MARK = "✔"
ERROR_MARK = "✖"


class ResultLike(Protocol):
    """What render_result needs of a result (amish.transports.shared.Pending has it all)."""

    action: Message
    response: Message | None
    events: list[Message]
    complete: Message | None
    event: Message | None

    @property
    def rtt(self) -> float | None: ...


_GENERATED_ID = re.compile(r"^amish-\d+-\d+$")


#: What an Error response's Message means, when Asterisk's own words do not say
#: (lower-cased Message -> one line). Older Asterisk spells it "priveledges".
_ERROR_HINTS = {
    "file requires escalated privileges": (
        "the file does not exist yet or lies outside its config directory, which Asterisk refuses "
        "to any login; make a new one with CreateConfig first"
    ),
}
_ERROR_HINTS["file requires escalated priveledges"] = _ERROR_HINTS["file requires escalated privileges"]


def error_hint(message: str | None) -> str | None:
    """One line explaining an Error response's Message, or None."""
    return _ERROR_HINTS.get((message or "").strip().lower())


def _status_line(mark_ok: bool, status: str, name: str, message: str | None,
                 rtt: float | None) -> Text:
    text = Text()
    if mark_ok:
        text.append(f"{OK_MARK} {status}", style="bold green")
    else:
        text.append(f"{ERROR_MARK} {status}", style="bold red")
    if name:
        text.append("  ")
        text.append(clean(name), style="bold")
    if message:
        text.append("  ")
        text.append(clean(message))
    if rtt is not None:
        text.append("  ")
        text.append(_format_rtt(rtt), style="dim")
    return text


def _format_rtt(seconds: float) -> str:
    ms = seconds * 1000
    if ms < 10:
        return f"{ms:.1f} ms"
    if ms < 10000:
        return f"{ms:.0f} ms"
    return f"{seconds:.1f} s"


def _is_ok_status(status: str) -> bool:
    return status.lower() in ("success", "follows", "goodbye")


def _header_block(msg: Message, skip: set[str], user_id: bool) -> list[RenderableType]:
    """The headers of a response not shown elsewhere: grid, Command output, GetConfig."""
    out: list[RenderableType] = []
    output: list[str] = []
    output_config: list[str] = []
    shown: list[tuple[str | None, str]] = []
    has_config = False
    for key, value in msg.headers:
        low = key.lower() if key is not None else None
        if low in skip:
            continue
        if low == "actionid":
            if user_id:
                shown.append((key, value))
            continue
        if low == "output":
            output.append(value)
            continue
        if low is not None and (low.startswith("category-") or low.startswith("line-")):
            has_config = True
        if low == "json":
            ini = json_ini_lines(value)
            if ini is not None:
                output_config.extend(ini)
                continue
            value = mask_json(value)
        shown.append((key, value))
    config_lines: list[str] = []
    if has_config:
        config_lines, shown = ini_lines(shown)
    if shown:
        styles = {"actionid": "dim"}
        out.append(grid(shown, styles))
    config_lines += output_config
    if config_lines:
        out.append(Preformatted(config_lines))
    if output:
        out.append(Preformatted(output))
    return out


def _items_caption(result: ResultLike) -> Text:
    n = len(result.events)
    caption = Text(f"{n} item" + ("" if n == 1 else "s"), style="dim")
    complete = result.complete
    if complete is not None:
        complete = complete.masked()
        said = complete.get("ListItems")
        if said is not None:
            try:
                count = int(said)
            except ValueError:
                count = None
            if count != n:
                caption.append(f"  but {complete.get('Event') or 'the complete event'} says ListItems: {clean(said)}",
                               style="bold yellow")
    elif getattr(result, "done_at", None) is not None or getattr(result, "done", False):
        caption.append("  (no ...Complete event: the list may be cut short)", style="yellow")
    return caption


def _awaited_event(event: Message) -> list[RenderableType]:
    ev = event.masked()
    status = ev.get("Response") or ""
    ok = status.lower() in ("success", "")
    line = Text()
    line.append(f"{OK_MARK if ok else ERROR_MARK} ", style="bold green" if ok else "bold red")
    line.append(clean(ev.get("Event") or "event"), style="bold")
    if status:
        line.append(" ")
        line.append(clean(status), style="bold green" if ok else "bold red")
    reason = ev.get("Reason")
    if reason is not None:
        txt = ORIGINATE_REASONS.get(reason) if (ev.get("Event") or "").lower() == "originateresponse" else None
        line.append("  Reason: ", style="dim")
        line.append(clean(f"{reason} ({txt})" if txt else reason))
    rest = [
        (k, v) for k, v in ev.headers
        if (k or "").lower() not in ("event", "response", "reason", "privilege", "actionid")
    ]
    out: list[RenderableType] = [line]
    if rest:
        out.append(grid(rest))
    return out


def render_awaited_event(event: Message) -> Group:
    """The event an action's outcome waits for (OriginateResponse): its status, reason and headers."""
    return Group(*_awaited_event(event))


def render_result(result: ResultLike) -> Group:
    """A complete action result: status line, headers, Command output, list table, awaited event."""
    action = result.action.masked()
    name = action.get("Action") or ""
    resp = result.response.masked() if result.response is not None else None
    rtt = getattr(result, "rtt", None)
    parts: list[RenderableType] = []
    if resp is None:
        error = getattr(result, "error", None)
        if error is not None:
            parts.append(_status_line(False, type(error).__name__, name, str(error), rtt))
        else:
            parts.append(_status_line(False, "No response", name, "still waiting", rtt))
        return Group(*parts)
    status = resp.get("Response") or resp.name or "?"
    message = resp.get("Message")
    parts.append(_status_line(_is_ok_status(status), status, name, message, rtt))
    hint = None if _is_ok_status(status) else error_hint(message)
    if hint:
        parts.append(Text(f"  {hint}", style="yellow"))
    action_id = resp.get("ActionID")
    user_id = action_id is not None and not _GENERATED_ID.match(action_id)
    is_list = bool(result.events) or result.complete is not None
    skip = {"response", "message"}
    if is_list:
        skip.add("eventlist")
    parts.extend(_header_block(resp, skip, user_id))
    if is_list:
        items = [m.masked() for m in result.events]
        names = {(m.get("Event") or "") for m in items}
        title = next(iter(names)) if len(names) == 1 else None
        single = len(items) == 1  # one item (DBGet): its headers, as a record
        parts.append(ListView(items, title, _items_caption(result), single))
    if result.event is not None:
        parts.extend(_awaited_event(result.event))
    return Group(*parts)


# -- single messages -----------------------------------------------------------


def render_event_full(msg: Message) -> Group:
    """An event with all its headers aligned; the event name in its family colour."""
    m = msg.masked()
    name = m.get("Event") or m.name
    styles = {"event": event_style(name)} if name else None
    return Group(grid(m.headers, styles))


def render_message(msg: Message | Banner | ProtocolError | object) -> RenderableType:
    """Anything that is not a result or a plain event: a late response, a banner, a notice."""
    if isinstance(msg, ProtocolError):
        return render_protocol_error(msg)
    if isinstance(msg, Banner):
        return Text.assemble(("connected: ", "dim"), (clean(msg.text), "bold"))
    if isinstance(msg, Message):
        m = msg.masked()
        if m.kind == "event":
            return render_event_full(m)
        if m.kind == "response":
            status = m.get("Response") or "?"
            line = _status_line(_is_ok_status(status), status, "", m.get("Message"), None)
            action_id = m.get("ActionID")
            if action_id is not None:
                line.append("  (no action waiting for it; ActionID ", style="dim")
                line.append(clean(action_id), style="dim")
                line.append(")", style="dim")
            return Group(line, *_header_block(m, {"response", "message", "actionid"}, False))
        return grid(m.headers)
    reason = getattr(msg, "reason", None)
    if isinstance(reason, str):  # shared.Closed and the like
        return Text.assemble((f"{ERROR_MARK} ", "bold red"), (clean(reason), "red"))
    if isinstance(msg, Text):
        return msg
    return safe_text(str(msg))


def render_protocol_error(err: ProtocolError) -> Text:
    """One red line: what was wrong, how many bytes were skipped, and their start."""
    text = Text(style="red", no_wrap=True, overflow="ellipsis")
    text.append(f"{ERROR_MARK} protocol error: ", style="bold red")
    text.append(clean(err.reason))
    if err.skipped:
        text.append(f" ({err.skipped} byte{'s' if err.skipped != 1 else ''} skipped)")
    if err.sample:
        sample = mask_bytes(err.sample)[:80]
        shown = repr(sample)[2:-1]  # b'...' -> ...
        text.append(": ", style="dim")
        text.append(clean(shown), style="dim")
    return text

