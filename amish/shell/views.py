"""Shell-only renderables: the echo of a sent action, raw views, help pages."""

from __future__ import annotations

from rich.console import Group
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from ..core.protocol import Message, encode_message
from ..ui.lexer import AmiLexer
from ..ui.render import render_awaited_event

__all__ = ["render_sent", "render_outcome", "render_raw", "render_action_help", "render_event_help"]


def render_sent(action: Message) -> Text:
    """One line for what was sent, secrets masked: » Originate Channel=... (ActionID dim)."""
    masked = action.masked()
    text = Text("» ", style="bold cyan")
    name = masked.get("Action") or "?"
    text.append(name, style="bold")
    for key, value in masked.headers:
        if key is None or key.lower() == "action":
            continue
        shown = f'"{value}"' if (" " in value or not value) else value
        style = "dim" if key.lower() == "actionid" else ""
        text.append(" ")
        text.append(f"{key}=", style=style or "cyan")
        text.append(shown, style=style)
    return text


def render_outcome(action: Message, event: Message) -> Group:
    """What became of an async action (an Originate's OriginateResponse), under a line naming it."""
    heading = Text("outcome of ", style="dim")
    heading.append_text(render_sent(action)[2:])
    return Group(heading, render_awaited_event(event))


def _ami_text(messages: list[Message]) -> str:
    parts = []
    for m in messages:
        masked = m.masked()
        raw = masked.raw or encode_message(masked)
        parts.append(raw.decode("utf-8", "replace").replace("\r\n", "\n"))
    return "".join(parts).rstrip("\n")


def render_raw(result) -> Syntax:
    """A result as the AMI text received, highlighted."""
    return Syntax(_ami_text(result.messages), AmiLexer(), theme="ansi_dark", background_color="default", word_wrap=False)


def render_action_help(spec) -> Group:
    parts = []
    title = Text(spec.name, style="bold")
    if spec.synopsis:
        title.append(f" — {spec.synopsis}")
    parts.append(title)
    meta = []
    if spec.privilege:
        meta.append(f"privilege: {spec.privilege}")
    if spec.available is False:
        meta.append("this login may not run it")
    if spec.list_action:
        meta.append("answers with a list" + (f" ending in {spec.final_event}" if spec.final_event else ""))
    if meta:
        parts.append(Text("; ".join(meta), style="dim"))
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    table.add_column("header")
    table.add_column("")
    table.add_column("values / default")
    table.add_column("about")
    for p in spec.params:
        if p.name.lower() == "action":
            continue
        flag = "required" if p.required else ("repeatable" if p.multiple else "")
        values = ", ".join(p.values)
        if p.default:
            values = (values + "; " if values else "") + f"default {p.default}"
        table.add_row(
            Text(p.name, style="bold" if p.required else ""),
            Text(flag, style="yellow" if p.required else "dim"),
            values,
            getattr(p, "description", "")[:200],
        )
    parts.append(table)
    example = [spec.name] + [f"{p.name}=…" for p in spec.params if p.required]
    parts.append(Text("e.g. " + " ".join(example), style="dim"))
    if spec.description:
        parts.append(Text(spec.description.strip()))
    elif "manager-show" not in spec.source:
        parts.append(Text("(asking the server for the full description...)", style="dim"))
    return Group(*parts)


def render_event_help(spec) -> Group:
    parts = [Text(f"Event: {spec.name}", style="bold")]
    if spec.synopsis:
        parts.append(Text(spec.synopsis))
    if spec.event_class:
        parts.append(Text(f"class: {spec.event_class}", style="dim"))
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    table.add_column("header")
    table.add_column("values")
    for p in spec.headers:
        table.add_row(p.name, ", ".join(p.values))
    parts.append(table)
    return Group(*parts)
