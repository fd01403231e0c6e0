"""Completion for the shell's input: actions, their headers, and values.

Two steps, kept apart: inputforms.suggest_type() classifies what is being
typed (an action, a header of an action, the value of a header, a CLI word
after ``!``, a /command or its argument), knowing nothing of the server;
complete() offers what fits it. The local commands, their wording and what
their arguments are come from the registry, localcommands.COMMANDS.

Data-driven: what to offer comes from the catalogue (bundled + live server),
from values learned from the server while the shell runs (channels from
events and CoreShowChannels, contexts, queues, endpoints, AstDB families), and
from the server's own lists (lookups.ServerLookups: its dialplan for
Exten/Priority, its applications, config files and CLI completion).
Never blocks: everything it reads is already in memory; a list not known yet
is asked for in the background, and meanwhile what is known is offered.
"""

from __future__ import annotations

import collections
import threading
import time
from typing import Iterable

from prompt_toolkit.completion import Completer, Completion
from prompt_toolkit.document import Document

from ..catalogue import NUMBERED_HEADER
from ..core.inputforms import ACTION, CLI, HEADER, LOCAL, LOCAL_ARG, NOTHING, TELNET, VALUE, Suggestion, suggest_type
from ..core.protocol import Message
from . import localcommands
from .lookups import COMMON_CONFIG_FILES

__all__ = [
    "AmiCompleter", "LiveValues", "Suggestion", "suggest_type", "complete", "complete_text",
    "ACTION", "CLI", "HEADER", "LOCAL", "LOCAL_ARG", "NOTHING", "VALUE",
]

_BOOL = ("true", "false")
_BOOL_PARAMS = {"async", "earlymedia", "mixmonitor", "fullytooted"}
_CLI_STARTERS = (
    "core show channels",
    "core show channels concise",
    "core show version",
    "core show uptime",
    "core show settings",
    "core reload",
    "database show",
    "dialplan show",
    "dialplan reload",
    "manager show commands",
    "manager show command",
    "manager show connected",
    "manager show events",
    "manager set debug on",
    "manager set debug off",
    "module show like",
    "pjsip show endpoints",
    "pjsip show contacts",
    "pjsip show registrations",
    "queue show",
    "sip show peers",
)
_CHANNEL_HEADERS = {"channel", "destchannel", "extrachannel", "channel1", "channel2", "transferer"}


#: Headers whose values completion learns from events, and how they show in the bytes.
_LEARNED = tuple(
    (h, b"\n" + h.encode() + b":") for h in ("Context", "Queue", "Endpoint", "Peer", "Family", "BridgeUniqueid")
)


class LiveValues:
    """Values the server has shown, for completion. Bounded; safe to feed from one thread (the shell's
    call-model thread: the UI thread never reads an event for it) while completion reads on another.

    With a call model (`channel_source`), live channels are the model's and only the other values
    (contexts, queues, endpoints...) are learned here. Without one, a channel is learned only from an
    event that names a real one (Newchannel, or one carrying the channel's Uniqueid: Newstate,
    CoreShowChannel...), never from a dial string (a failed OriginateResponse names what it tried to
    dial), and forgotten at its Hangup; a name that hung up is learned again only from a Newchannel
    (a late Cdr or a CoreShowChannels answer overtaken by the Hangup would bring it back).
    """

    def __init__(self, limit: int = 2000):
        self.channels: collections.OrderedDict[str, None] = collections.OrderedDict()
        self.values: dict[str, collections.OrderedDict[str, None]] = collections.defaultdict(collections.OrderedDict)
        self._ended: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._limit = limit
        #: Where live channels come from when there is a call model: () -> [(name, caller ID)]...
        self.channel_source = None
        #: ...or (word, limit) -> [(name, caller ID)] of those whose name holds word (callmodel.pick_choices):
        #: a big PBX's 10,000 channels are scanned, not listed, at each keystroke.
        self.channel_search = None
        #: The servers of a fleet (/use NAME completes them); empty for one server.
        self.servers: list[str] = []
        self._window = 0.0
        self._seen = 0
        self._lock = threading.Lock()  # learning on one thread, completion reading on another

    def _add(self, store: collections.OrderedDict, value: str) -> None:
        if not value or value == "<unknown>":
            return
        store[value] = None
        store.move_to_end(value)
        if len(store) > self._limit:
            store.popitem(last=False)

    #: Under a flood, learn from at most this many events per window (parsing each costs ~10 us).
    OBSERVE_BUDGET = 150
    OBSERVE_WINDOW = 0.05

    def observe(self, message: Message) -> None:
        """Learn from an event: channels come and go; contexts, queues, endpoints stay.

        Under a flood only a budget of events is read, but every Hangup is: a
        channel offered as live must not be one that is gone.
        """
        now = time.monotonic()
        if now - self._window >= self.OBSERVE_WINDOW:
            self._window = now
            self._seen = 0
        self._seen += 1
        if self._seen > self.OBSERVE_BUDGET and (
                self.channel_source is not None or not (message.raw or b"").startswith(b"Event: Hangup\r")):
            return
        self.learn(message)

    def learn(self, message: Message) -> None:
        """Learn from one event, whatever the budget. The event is read first; the lock is held only to
        store what it said (completion reading on another thread waits for no parsing)."""
        event = message.get("Event")
        if event is None:
            return
        channel = message.get("Channel") if self.channel_source is None else None
        real = bool(channel) and _is_uniqueid(message.get("Uniqueid"))
        raw = message.raw
        found = []
        for header, needle in _LEARNED:
            if raw and needle not in raw:
                continue  # a hint source, not an audit: Asterisk spells its headers so
            value = message.get(header)
            if value:
                found.append((header.lower(), value))
        with self._lock:
            if channel:
                if event == "Hangup":
                    self.channels.pop(channel, None)
                    self._add(self._ended, channel)
                elif event == "Newchannel":  # made now, whatever an earlier channel of that name did
                    self._ended.pop(channel, None)
                    self._add(self.channels, channel)
                elif real and channel not in self._ended:
                    self._add(self.channels, channel)
            for key, value in found:
                self._add(self.values[key], value)

    def forget_channels(self) -> None:
        """After a reconnect: what hung up meanwhile was never heard of (CoreShowChannels tells again),
        and a restarted Asterisk numbers its channels from the start again."""
        with self._lock:
            self.channels.clear()
            self._ended.clear()

    def observe_result(self, result) -> None:
        """Learn from a list result (CoreShowChannels, DBGet, QueueStatus...), every item."""
        for message in getattr(result, "events", ()):
            self.learn(message)

    def channel_choices(self, word: str = "", limit: int | None = None) -> list[tuple[str, str]]:
        """(live channel, what to show beside it): from the call model when there is one. With `word`
        (and `limit`), at least every channel completion of `word` can show (more may come)."""
        if self.channel_search is not None:
            return self.channel_search(word, limit)
        if self.channel_source is not None:
            return self.channel_source()
        with self._lock:
            return [(c, "live") for c in reversed(self.channels)]

    def for_header(self, header: str) -> list[str]:
        low = header.lower()
        if low in _CHANNEL_HEADERS:
            if self.channel_source is not None:
                return [name for name, _ in self.channel_choices()]
            with self._lock:
                return list(reversed(self.channels))
        if low in ("exten", "extension"):
            return []
        key = {"extracontext": "context", "peer": "endpoint"}.get(low, low)
        with self._lock:
            return list(reversed(self.values.get(key, {})))


def _is_uniqueid(value: str | None) -> bool:
    """A real channel's Uniqueid (a failed Originate's says <unknown>: it made no channel)."""
    return bool(value) and value not in ("<null>", "<unknown>", "<none>")


# -- the matchers: what to offer for it -------------------------------------------------


def _spec_params(catalogue, action: str):
    spec = catalogue.action(action) if action else None
    return spec, (tuple(spec.params) if spec is not None else ())


#: Headers naming a dialplan place, and the headers that say where: exten -> its context;
#: priority -> (its context, its exten).
_EXTEN_CONTEXT = {"exten": "context", "extension": "context", "extraexten": "extracontext"}
_PRIORITY_PLACE = {"priority": ("context", "exten"), "extrapriority": ("extracontext", "extraexten")}
_CONTEXT_HEADERS = {"context", "extracontext"}
#: Headers naming a config file, in the actions that read or write them.
_CONFIG_FILE_HEADERS = {"filename", "srcfilename", "dstfilename"}
_CONFIG_ACTIONS = {"getconfig", "getconfigjson", "createconfig", "updateconfig", "listcategories"}


def _server_values(lookups, action: str, header: str, suggestion: Suggestion | None) -> list[tuple[str, str]]:
    """(value, meta) from the server's lists: dialplan places, applications, config files.
    Only what is already known; asking for the rest happens in the background."""
    lookups = lookups or _NO_LOOKUPS
    low = header.lower()
    given = suggestion.given_value if suggestion is not None else (lambda h: None)
    if low in _CONTEXT_HEADERS:
        plan = lookups.dialplan() or {}
        return [(ctx, "dialplan") for ctx in plan]
    if low in _EXTEN_CONTEXT:
        plan = lookups.dialplan() or {}
        context = given(_EXTEN_CONTEXT[low])
        if context is not None:
            return [(ext, context) for ext in plan.get(context, {})]
        where: dict[str, list[str]] = {}
        for ctx, extens in plan.items():
            for ext in extens:
                where.setdefault(ext, []).append(ctx)
        return [(ext, ", ".join(ctxs)) for ext, ctxs in where.items()]
    if low in _PRIORITY_PLACE:
        plan = lookups.dialplan() or {}
        ctx_header, exten_header = _PRIORITY_PLACE[low]
        context, exten = given(ctx_header), given(exten_header)
        contexts = [plan.get(context, {})] if context is not None else list(plan.values())
        out: dict[str, None] = {}
        for extens in contexts:
            for ext, priorities in extens.items():
                if exten is None or ext == exten:
                    out.update(dict.fromkeys(priorities))
        return [(p, "") for p in out]
    if low == "application" and action.lower() == "originate":
        return [(a, "") for a in lookups.applications() or ()]
    if low in _CONFIG_FILE_HEADERS and action.lower() in _CONFIG_ACTIONS:
        files = lookups.config_files()
        return [(f, "") for f in (files or COMMON_CONFIG_FILES)]
    return []


class _NoLookups:
    """No server to ask (a table test, a replay): nothing is known."""

    def dialplan(self):
        return None

    applications = config_files = dialplan

    def cli_matches(self, line):
        return None


_NO_LOOKUPS = _NoLookups()


def _value_choices(catalogue, live: LiveValues, action: str, header: str, lookups=None,
                   suggestion: Suggestion | None = None) -> list[tuple[str, str]]:
    """(value, meta) pairs for a header of an action."""
    out: list[tuple[str, str]] = []
    param = catalogue.param(action, header) if action else None
    if param is not None:
        for v in param.values:
            out.append((v, "default" if v == param.default else ""))
        if param.default and param.default not in [v for v, _ in out]:
            out.append((param.default, "default"))
        if not param.values and (param.default or "").lower() in _BOOL or header.lower() in _BOOL_PARAMS:
            out.extend((b, "") for b in _BOOL if b not in [v for v, _ in out])
    elif header.lower() in _BOOL_PARAMS:
        out.extend((b, "") for b in _BOOL)
    seen = {v for v, _ in out}
    for v, meta in _server_values(lookups, action, header, suggestion):
        if v not in seen:
            seen.add(v)
            out.append((v, meta))
    if header.lower() in _CHANNEL_HEADERS:
        word = "" if suggestion is None else suggestion.word if suggestion.form == TELNET \
            else suggestion.word.strip("\"'")
        learned = live.channel_choices(word, MENU_LIMIT)  # only what the menu can show of a big PBX's
    else:
        learned = [(v, "live") for v in live.for_header(header)]
    for v, meta in learned:
        if v not in seen:
            seen.add(v)
            out.append((v, meta))
    if action.lower() == "command" and header.lower() == "command":
        out.extend((c, "CLI") for c in _CLI_STARTERS)
    return out


#: The completion menu offers at most this many choices.
MENU_LIMIT = 200

#: The completion menu's note on an action ListCommands did not list for this login.
NOT_PERMITTED = "not for this login"


def _action_choices(catalogue, meta: str) -> list[tuple[str, str]]:
    """(name, meta) for every action; those this login may not run say so."""
    out = []
    for name in catalogue.action_names():
        spec = catalogue.action(name)
        out.append((name, NOT_PERMITTED if spec is not None and spec.available is False else meta))
    return out


def _numbered(name: str) -> tuple[str, str] | None:
    """("Action-", "") for ``Action-000000``, ("UnitAmount(", ")") for ``UnitAmount(0)``."""
    m = NUMBERED_HEADER.match(name)
    if m is None:
        return None
    return (m.group(1) + "-", "") if m.group(2) is not None else (m.group(1) + "(", ")")



def _group_name(affixes: tuple[str, str], n: int) -> str:
    prefix, suffix = affixes
    return f"{prefix}{n:06d}" if not suffix else f"{prefix}{n}{suffix}"


def _header_choices(catalogue, action: str, given: Iterable[str]) -> list[tuple[str, str]]:
    """(header, meta) for an action: required first, given ones left out unless they may repeat.

    Numbered headers (UpdateConfig's ``Action-000000``, ``Cat-000000``...) are
    offered in the group being filled, and the next group once one is begun:
    after ``Action-000000`` comes ``Action-000001``, after ``Action-000001``
    also ``Cat-000001``.
    """
    spec, params = _spec_params(catalogue, action)
    given_low = {g.lower() for g in given}
    groups = _given_groups(params, given_low)
    required, optional = [], []
    for p in params:
        if p.name.lower() == "action":
            continue
        affixes = _numbered(p.name)
        if affixes is not None:
            name = _next_in_group(affixes, groups, given_low)
            optional.append((name, "next group" if groups and name.lower() not in _all_names(affixes, groups) else ""))
            continue
        if p.name.lower() in given_low and not p.multiple:
            continue
        meta = "required" if p.required else ("repeatable" if p.multiple else "")
        (required if p.required else optional).append((p.name, meta))
    return required + optional


def _given_groups(params, given_low: set[str]) -> list[int]:
    """The group numbers used by the numbered headers given so far, sorted."""
    used: set[int] = set()
    for p in params:
        affixes = _numbered(p.name)
        if affixes is None:
            continue
        prefix, suffix = (a.lower() for a in affixes)
        for g in given_low:
            if g.startswith(prefix) and g.endswith(suffix):
                digits = g[len(prefix):len(g) - len(suffix)] if suffix else g[len(prefix):]
                if digits.isdigit():
                    used.add(int(digits))
    return sorted(used)


def _all_names(affixes: tuple[str, str], groups: list[int]) -> set[str]:
    return {_group_name(affixes, n).lower() for n in groups}


def _next_in_group(affixes: tuple[str, str], groups: list[int], given_low: set[str]) -> str:
    """The first group begun without this header, else the group after the last."""
    for n in groups:
        name = _group_name(affixes, n)
        if name.lower() not in given_low:
            return name
    return _group_name(affixes, groups[-1] + 1 if groups else 0)


def _matches(word: str, candidates: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Prefix matches (case-insensitive) first, then substring matches."""
    low = word.lower()
    prefix, inner = [], []
    for value, meta in candidates:
        v = value.lower()
        if v.startswith(low):
            prefix.append((value, meta))
        elif low and low in v:
            inner.append((value, meta))
    return prefix + inner


_EVENT_MASKS = ("on", "off", "system", "call", "log", "verbose", "command", "agent", "user", "config", "dtmf",
                "reporting", "cdr", "dialplan", "originate", "agi", "cc", "aoc", "test", "security", "message", "all")


def _complete_topic(catalogue, word: str) -> tuple[str, list[tuple[str, str, str]]]:
    """/help's argument: an action or an event."""
    names = [(n, "action") for n in catalogue.action_names()] + [(n, "event") for n in catalogue.event_names()]
    return word, [(n, n, m) for n, m in _matches(word, names)]


def _complete_event_mask(catalogue, word: str) -> tuple[str, list[tuple[str, str, str]]]:
    """/events' argument: on, off, or a class of events."""
    return word, [(v, v, "") for v, _ in _matches(word, [(x, "") for x in _EVENT_MASKS])]


def _complete_local_arg(catalogue, s: Suggestion, live=None, lookups=None) -> tuple[str, list[tuple[str, str, str]]]:
    """(the word being completed, choices) for a local command's argument, as its registry entry says."""
    command = localcommands.lookup(s.command)
    if command is not None and command.argument == localcommands.SERVER:
        servers = live.servers if live is not None else []
        return s.word, [(n, n, "server") for n, _ in _matches(s.word, [(n, "") for n in servers])]
    complete_argument = _ARGUMENTS.get(command.argument) if command is not None else None
    if complete_argument is None:
        return s.word, []
    return complete_argument(catalogue, s.word)


def _local_choices(word: str) -> list[tuple[str, str, str]]:
    """The local commands whose name matches `word`, with their help."""
    commands = [(c.name, c.help) for c in localcommands.COMMANDS.values()]
    return [(n, "/" + n, m) for n, m in _matches(word, commands)]


def _cli_words(line: str, lookups) -> list[tuple[str, str]]:
    """(next word, meta) after the CLI words `line`: the server's own completion when it
    has answered, else the next words of the commands amish knows."""
    server = (lookups or _NO_LOOKUPS).cli_matches(line + " " if line else "")
    if server:
        return [(w, "") for w in server]
    words = line.split()
    out: dict[str, None] = {}
    for cmd in _CLI_STARTERS:
        parts = cmd.split()
        if len(parts) > len(words) and parts[: len(words)] == words:
            out[parts[len(words)]] = None
    return [(w, "CLI") for w in out]


def _complete_cli(s: Suggestion, lookups) -> list[tuple[str, str, str]]:
    low = s.word.lower()
    return [(w + " ", w, meta) for w, meta in _cli_words(s.command, lookups) if w.lower().startswith(low)]


def _quoted(value: str) -> str:
    return f'"{value}"' if (" " in value or not value) else value


def complete(catalogue, live: LiveValues, s: Suggestion, lookups=None) -> list[tuple[str, str, str]]:
    """[(insert, display, meta)] for a classified input."""
    if s.kind == LOCAL:
        return _local_choices(s.word)
    if s.kind == LOCAL_ARG:
        return _complete_local_arg(catalogue, s, live, lookups)[1]
    if s.kind == CLI:
        return _complete_cli(s, lookups)
    telnet = s.form == TELNET
    if s.kind == ACTION:
        if telnet:
            return [(n, n, meta) for n, meta in _matches(s.word, _action_choices(catalogue, ""))]
        return [(n + " ", n, meta) for n, meta in _matches(s.word, _action_choices(catalogue, "action"))]
    if s.kind == HEADER:
        choices = _matches(s.word, _header_choices(catalogue, s.action, [k for k, _ in s.given]))
        return [(h + (": " if telnet else "="), h, meta) for h, meta in choices]
    if s.kind == VALUE:
        choices = _value_choices(catalogue, live, s.action, s.header, lookups, s)
        if telnet:
            return [(v, v, meta) for v, meta in _matches(s.word, choices)]
        return [(_quoted(v) + " ", v, meta) for v, meta in _matches(s.word.strip("\"'"), choices)]
    return []


def complete_text(catalogue, live: LiveValues, text: str, lookups=None) -> tuple[str, list[tuple[str, str, str]]]:
    """What to complete at the end of `text`: (the word being completed, [(insert, display, meta)]).

    The pure core of the completer, tested as a table: suggest_type() says what
    is being typed, complete() what to offer for it. `lookups` (ServerLookups)
    adds the server's lists it already has, and asks for the others in the background.
    """
    head, sep, rest = text.partition(" ")
    if sep and head.startswith("/"):
        command = localcommands.lookup(head[1:])
        if command is not None and command.argument == localcommands.ACTION:  # /all ACTION...: as at the prompt
            return complete_text(catalogue, live, rest.lstrip(), lookups)
    s = suggest_type(text)
    if s.kind == LOCAL_ARG:
        return _complete_local_arg(catalogue, s, live, lookups)
    return s.word, complete(catalogue, live, s, lookups)


def _filter_completions(catalogue, word: str) -> tuple[str, list[tuple[str, str, str]]]:
    prefix = ""
    for ch in ("!", "("):
        while word.startswith(ch):
            prefix += ch
            word = word[1:]
    alts = word.split("|")
    last = alts[-1]
    if "=" in last or "~" in last:
        return last, []
    names = [(n, "event") for n in catalogue.event_names()]
    headers = sorted({p.name for e in (catalogue.event(n) for n in catalogue.event_names()) if e for p in e.headers})
    candidates = _matches(last, names) + [(h + "=", "header") for h, _ in _matches(last, [(h, "") for h in headers])]
    return last, [(c, c, m) for c, m in candidates]


#: How each kind of local-command argument (localcommands.Command.argument) is completed.
_ARGUMENTS = {
    localcommands.TOPIC: _complete_topic,
    localcommands.FILTER: _filter_completions,
    localcommands.EVENT_MASK: _complete_event_mask,
}


class AmiCompleter(Completer):
    def __init__(self, catalogue, live: LiveValues, lookups=None):
        self.catalogue = catalogue
        self.live = live
        self.lookups = lookups

    def get_completions(self, document: Document, complete_event):
        text = document.text_before_cursor
        if not text.strip() and not getattr(complete_event, "completion_requested", True):
            return  # an empty line offers everything only on Tab, not while typing
        word, choices = complete_text(self.catalogue, self.live, text, self.lookups)
        for insert, display, meta in choices[:MENU_LIMIT]:
            yield Completion(insert, start_position=-len(word), display=display, display_meta=meta)
