"""The shell's local commands (/help, /filter, /quit...): one registry.

Each command is one entry in COMMANDS: its name, its arguments as /help
writes them, a one-line help, the function that runs it, and what kind of
argument it takes (for completion). Dispatch (`run`), the /help list and the
completer all read this table, so a new command is one entry here and one
function; README's "Local commands" table lists the same names (a test
checks it).

A handler takes the ShellSession and the text after the name; it may raise
AmishError for a one-line error. The session's state stays the session's:
a handler that needs more than its public drawing hooks calls a method of it.
"""

from __future__ import annotations

import os
from typing import Callable

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..core.errors import AmishError, InputError
from ..core.immutable import Record
from . import views

__all__ = ["Command", "COMMANDS", "lookup", "run", "general_help", "TOPIC", "FILTER", "EVENT_MASK", "SERVER",
           "ACTION"]

#: What an argument is, for completion: an action or event name, a filter expression, an event mask,
#: a server of the fleet, an action as typed at the prompt.
TOPIC, FILTER, EVENT_MASK, SERVER, ACTION = "topic", "filter", "event-mask", "server", "action"


class Command(Record):
    """One local command: what /help says of it, what runs it, what completes its argument."""

    __slots__ = ("name", "args", "help", "handler", "argument", "aliases")

    def __init__(self, name: str, args: str, help: str, handler: Callable[[object, str], None],
                 argument: str | None = None, aliases: tuple[str, ...] = ()) -> None:
        self._fill(locals())

    @property
    def usage(self) -> str:
        """``/filter [EXPR]``: how /help writes it."""
        return f"/{self.name} {self.args}".rstrip()


# -- the handlers ---------------------------------------------------------------------


def _help(session, args: str) -> None:
    name = args.strip()
    if not name:
        session.show_renderable(general_help(session))
        return
    spec = session.catalogue.action(name)
    if spec is not None:
        session.show_block(f"help {spec.name}", views.render_action_help(spec))
        if not spec.description and "manager-show" not in getattr(spec, "source", ()):
            session.fetch_help_in_background(spec.name)
        return
    event = session.catalogue.event(name)
    if event is not None:
        session.show_renderable(views.render_event_help(event))
        return
    command = lookup(name.lstrip("/"))
    if command is not None:
        session.note(f"{command.usage}: {command.help}")
        return
    guesses = session.catalogue.suggest(name)
    hint = f"; did you mean {' or '.join(guesses)}?" if guesses else ""
    session.error(f"no action or event named {name!r}{hint}")


def _filter(session, args: str) -> None:
    if args.strip() in ("help", "?"):
        from ..core import eventfilter  # not at start-up: only for /filter help

        session.note((eventfilter.__doc__ or "").strip())
        return
    if session.set_filter(args):
        if session.filter_text:
            session.note(f"filter: {session.filter_text} ({session.events_shown()} of the kept events match)")
        else:
            session.note("filter cleared: all events shown")


def _events(session, args: str) -> None:
    session.ask_for_events(args.strip() or "on")


def _clear(session, args: str) -> None:
    if args.strip() == "events":
        session.clear_events()
    else:
        session.clear_transcript()


def _serverfilter(session, args: str) -> None:
    session.push_filter_to_server()


def _raw(session, args: str) -> None:
    session.raw_view = not session.raw_view
    session.note("raw view on: responses shown as the AMI text received" if session.raw_view else "raw view off")


def _save(session, args: str) -> None:
    path = args.strip()
    if not path:
        raise InputError("/save needs a file name")
    entries = session.saved_events()
    try:
        # events hold call data: private (0600) like every file amish writes, even one that existed
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "wb") as f:
            try:
                os.fchmod(fd, 0o600)
            except OSError:
                pass  # not ours to change: written all the same
            for message in entries:
                masked = message.masked()
                f.write(masked.raw if masked.raw else b"")
    except OSError as e:
        raise InputError(f"cannot write {path}: {e.strerror}") from None
    session.note(f"saved {len(entries)} events to {path}")


def _pause(session, args: str) -> None:
    session.toggle_pause()


def _keys(session, args: str) -> None:
    session.show_renderable(_key_table(session))


def _reconnect(session, args: str) -> None:
    session.request_reconnect()


def _view(name: str):
    def show(session, args: str) -> None:
        if args.strip() or session.view_narrowed(name):
            session.narrow_view(name, args)
        else:
            session.show_view(name)

    return show


def _quit(session, args: str) -> None:
    session.exit()


def _use(session, args: str) -> None:
    session.use_server(args.strip())


def _all(session, args: str) -> bool:
    return session.send_to_all(args)


#: Every local command, in the order /help lists them.
COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        Command("help", "[ACTION|EVENT]", "this help, or an action's or event's headers and description",
                _help, TOPIC),
        Command("filter", "[EXPR]",
                "show only matching events (no EXPR: show all); e.g. /filter Newchannel|Hangup Channel=PJSIP/*",
                _filter, FILTER),
        Command("events", "on|off|MASK", "ask the server for events (the Events action), e.g. /events system,call",
                _events, EVENT_MASK),
        Command("clear", "[events]", "clear the transcript (or the events pane)", _clear),
        Command("serverfilter", "",
                "send the current filter to the server (Filter action) so it sends less; lasts the session",
                _serverfilter),
        Command("raw", "", "toggle raw view: responses as the AMI text received instead of tables", _raw),
        Command("save", "FILE", "save the events shown (AMI text, secrets masked) to FILE", _save),
        Command("pause", "", "pause or resume the events pane (F4)", _pause),
        Command("channels", "[EXPR]",
                "the Channels view (F6): live channels; EXPR narrows it (filter language, e.g. Channel=PJSIP/*)",
                _view("channels"), FILTER),
        Command("calls", "[EXPR]",
                "the Calls view (F7): live and recently ended calls; EXPR narrows it (e.g. State=ended)",
                _view("calls"), FILTER),
        Command("keys", "", "list the key bindings", _keys),
        Command("reconnect", "", "log in again with the same settings (actions in flight are not re-sent)",
                _reconnect),
        Command("use", "[NAME]", "on a fleet: send actions to server NAME from now on (no NAME: list the servers)",
                _use, SERVER),
        Command("all", "ACTION...", "on a fleet: send the action to every server connected; each answer under its "
                "server's name", _all, ACTION),
        Command("quit", "", "log off and leave (also: /exit, Ctrl-D)", _quit, aliases=("exit",)),
    )
}

_ALIASES = {alias: c for c in COMMANDS.values() for alias in c.aliases}


def lookup(name: str) -> Command | None:
    """The command called `name` (or one of its aliases), any case."""
    low = name.lower()
    return COMMANDS.get(low) or _ALIASES.get(low)


def run(session, name: str, args: str) -> bool:
    """Run local command `name` on `session`; an unknown name or an AmishError is one error line.

    True when the command holds the input for a second Enter (/all asking to confirm)."""
    command = lookup(name)
    if command is None:
        from difflib import get_close_matches  # only for a mistyped command

        guess = get_close_matches(name, list(COMMANDS) + list(_ALIASES), 1)
        hint = f"; did you mean /{guess[0]}?" if guess else "; /help lists them"
        session.error(f"unknown command /{name}{hint}")
        return False
    try:
        return bool(command.handler(session, args))
    except AmishError as e:
        session.error(str(e))
        return False


def _key_table(session) -> Table:
    keys = Table.grid(padding=(0, 2))
    keys.add_column(style="bold")
    keys.add_column()
    for k, what in session.key_help():
        keys.add_row(Text(k), Text(what))
    return keys


def general_help(session):
    """What /help with no argument shows: the input forms, the local commands, the keys."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    for command in COMMANDS.values():
        table.add_row(Text(command.usage), Text(command.help))  # Text: "[events]" is no markup
    return Group(
        Text("Type an action:", style="bold"),
        Text("  Originate Channel=PJSIP/7001 Context=phones Exten=7002 Priority=1 Variable=A=1"),
        Text("  Action: Ping            (the telnet form; a blank line sends; pastes work)"),
        Text("  !core show channels     (an Asterisk CLI command)"),
        Text("Tab completes actions, headers and values; F1 shows help for the action typed.", style="dim"),
        Text(""),
        Text("Local commands:", style="bold"),
        table,
        Text(""),
        Text("Keys:", style="bold"),
        _key_table(session),
        Text(""),
        Text("Filter language: /help filter", style="dim"),
    )
