"""Completion for the shell's input: actions, their headers, and values.

Data-driven: what to offer comes from the catalogue (bundled + live server)
and from values learned from the server while the shell runs (channels from
events and CoreShowChannels, contexts, queues, endpoints, AstDB families).
Never blocks: everything it reads is already in memory.
"""

from __future__ import annotations

import collections
import re
import time
from typing import Iterable

from prompt_toolkit.completion import Completer, Completion
from prompt_toolkit.document import Document

from ..protocol import Message

__all__ = ["AmiCompleter", "LiveValues", "complete_text"]

_BOOL = ("true", "false")
_BOOL_PARAMS = {"async", "earlymedia", "mixmonitor", "fullytooted"}
_LOCAL = {
    "help": "help [ACTION|EVENT]",
    "filter": "filter events",
    "serverfilter": "filter on the server",
    "events": "ask for events",
    "clear": "clear transcript",
    "raw": "toggle raw view",
    "save": "save events",
    "pause": "pause events",
    "keys": "key bindings",
    "reconnect": "log in again",
    "quit": "leave",
}
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
    """Values the server has shown, for completion. Bounded; updated on the UI thread.

    A channel is learned only from an event that names a real one (Newchannel,
    or one carrying the channel's Uniqueid: Newstate, CoreShowChannel...), never
    from a dial string (a failed OriginateResponse names what it tried to dial),
    and forgotten at its Hangup; a name that hung up is learned again only from
    a Newchannel (a late Cdr or a CoreShowChannels answer overtaken by the Hangup
    would bring it back).
    """

    def __init__(self, limit: int = 2000):
        self.channels: collections.OrderedDict[str, None] = collections.OrderedDict()
        self.values: dict[str, collections.OrderedDict[str, None]] = collections.defaultdict(collections.OrderedDict)
        self._ended: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._limit = limit
        self._window = 0.0
        self._seen = 0

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
        if self._seen > self.OBSERVE_BUDGET and not (message.raw or b"").startswith(b"Event: Hangup\r"):
            return
        self.learn(message)

    def learn(self, message: Message) -> None:
        """Learn from one event, whatever the budget."""
        event = message.get("Event")
        if event is None:
            return
        channel = message.get("Channel")
        if channel:
            if event == "Hangup":
                self.channels.pop(channel, None)
                self._add(self._ended, channel)
            elif event == "Newchannel":  # made now, whatever an earlier channel of that name did
                self._ended.pop(channel, None)
                self._add(self.channels, channel)
            elif channel not in self._ended and _is_uniqueid(message.get("Uniqueid")):
                self._add(self.channels, channel)
        raw = message.raw
        for header, needle in _LEARNED:
            if raw and needle not in raw:
                continue  # a hint source, not an audit: Asterisk spells its headers so
            value = message.get(header)
            if value:
                self._add(self.values[header.lower()], value)

    def forget_channels(self) -> None:
        """After a reconnect: what hung up meanwhile was never heard of (CoreShowChannels tells again),
        and a restarted Asterisk numbers its channels from the start again."""
        self.channels.clear()
        self._ended.clear()

    def observe_result(self, result) -> None:
        """Learn from a list result (CoreShowChannels, DBGet, QueueStatus...), every item."""
        for message in getattr(result, "events", ()):
            self.learn(message)

    def for_header(self, header: str) -> list[str]:
        low = header.lower()
        if low in _CHANNEL_HEADERS:
            return list(reversed(self.channels))
        if low in ("exten", "extension"):
            return []
        key = {"extracontext": "context", "peer": "endpoint"}.get(low, low)
        return list(reversed(self.values.get(key, {})))


def _is_uniqueid(value: str | None) -> bool:
    """A real channel's Uniqueid (a failed Originate's says <unknown>: it made no channel)."""
    return bool(value) and value not in ("<null>", "<unknown>", "<none>")


def _spec_params(catalogue, action: str):
    spec = catalogue.action(action) if action else None
    return spec, (tuple(spec.params) if spec is not None else ())


def _value_choices(catalogue, live: LiveValues, action: str, header: str) -> list[tuple[str, str]]:
    """(value, meta) pairs for a header of an action."""
    out: list[tuple[str, str]] = []
    spec, params = _spec_params(catalogue, action)
    param = next((p for p in params if p.name.lower() == header.lower()), None)
    if param is not None:
        for v in param.values:
            out.append((v, "default" if v == param.default else ""))
        if param.default and param.default not in [v for v, _ in out]:
            out.append((param.default, "default"))
        if not param.values and (param.default or "").lower() in _BOOL or header.lower() in _BOOL_PARAMS:
            out.extend((b, "") for b in _BOOL if b not in [v for v, _ in out])
    elif header.lower() in _BOOL_PARAMS:
        out.extend((b, "") for b in _BOOL)
    for v in live.for_header(header):
        if v not in [x for x, _ in out]:
            out.append((v, "live"))
    if action.lower() == "command" and header.lower() == "command":
        out.extend((c, "CLI") for c in _CLI_STARTERS)
    return out


#: The completion menu's note on an action ListCommands did not list for this login.
NOT_PERMITTED = "not for this login"


def _action_choices(catalogue, meta: str) -> list[tuple[str, str]]:
    """(name, meta) for every action; those this login may not run say so."""
    out = []
    for name in catalogue.action_names():
        spec = catalogue.action(name)
        out.append((name, NOT_PERMITTED if spec is not None and spec.available is False else meta))
    return out


def _header_choices(catalogue, action: str, given: Iterable[str]) -> list[tuple[str, str]]:
    """(header, meta) for an action: required first, given ones left out unless they may repeat."""
    spec, params = _spec_params(catalogue, action)
    given_low = {g.lower() for g in given}
    required, optional = [], []
    for p in params:
        if p.name.lower() in given_low and not p.multiple:
            continue
        if p.name.lower() == "action":
            continue
        meta = "required" if p.required else ("repeatable" if p.multiple else "")
        (required if p.required else optional).append((p.name, meta))
    return required + optional


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


_TELNET_LINE = re.compile(r"^\s*([A-Za-z][\w-]*)\s*:\s?(.*)$")


def complete_text(catalogue, live: LiveValues, text: str) -> tuple[str, list[tuple[str, str, str]]]:
    """What to complete at the end of `text`: (the word being completed, [(insert, display, meta)]).

    The pure core of the completer, tested as a table.
    """
    lines = text.split("\n")
    line = lines[-1]
    # -- local commands
    if len(lines) == 1 and line.lstrip().startswith("/"):
        body = line.lstrip()[1:]
        if " " not in body:
            return body, [(n, "/" + n, m) for n, m in _matches(body, _LOCAL.items())]
        cmd, _, rest = body.partition(" ")
        word = rest.rsplit(" ", 1)[-1]
        if cmd == "help":
            names = [(n, "action") for n in catalogue.action_names()] + [(n, "event") for n in catalogue.event_names()]
            return word, [(n, n, m) for n, m in _matches(word, names)]
        if cmd == "filter":
            return _filter_completions(catalogue, word)
        if cmd == "events":
            return word, [(v, v, "") for v, _ in _matches(word, [(x, "") for x in ("on", "off", "system", "call", "log", "verbose", "command", "agent", "user", "config", "dtmf", "reporting", "cdr", "dialplan", "originate", "agi", "cc", "aoc", "test", "security", "message", "all")])]
        return word, []
    # -- CLI commands
    if len(lines) == 1 and line.lstrip().startswith("!"):
        typed = line.lstrip()[1:].lstrip()
        out = []
        for cmd in _CLI_STARTERS:
            if cmd.startswith(typed.lower()) and cmd != typed:
                out.append((cmd, cmd, "CLI"))
        return typed, out
    # -- the telnet form
    first = _TELNET_LINE.match(lines[0])
    if first is not None:
        action = ""
        given = []
        for l in lines[:-1]:
            m = _TELNET_LINE.match(l)
            if m:
                given.append(m.group(1))
                if m.group(1).lower() == "action":
                    action = m.group(2).strip()
        m = _TELNET_LINE.match(line)
        if m is None or ":" not in line:
            word = line.strip()
            if not action and len(lines) == 1:
                return word, []
            return word, [(h + ": ", h, meta) for h, meta in _matches(word, _header_choices(catalogue, action, given))]
        key, value = m.group(1), m.group(2)
        if key.lower() == "action":
            return value, [(n, n, meta) for n, meta in _matches(value, _action_choices(catalogue, ""))]
        return value, [(v, v, meta) for v, meta in _matches(value, _value_choices(catalogue, live, action, key))]
    # -- the one-line form
    if len(lines) > 1:
        return "", []
    words = line.split(" ")
    if len(words) == 1:
        word = words[0]
        if word.lower().startswith("action:"):
            return word, []
        return word, [(n + " ", n, meta) for n, meta in _matches(word, _action_choices(catalogue, "action"))]
    action = words[0]
    word = words[-1]
    given = [w.split("=", 1)[0] for w in words[1:-1] if "=" in w]
    if "=" in word:
        header, _, value = word.partition("=")
        choices = _value_choices(catalogue, live, action, header)
        out = []
        for v, meta in _matches(value.strip("\"'"), choices):
            quoted = f'"{v}"' if (" " in v or not v) else v
            out.append((quoted + " ", v, meta))
        return value, out
    return word, [(h + "=", h, meta) for h, meta in _matches(word, _header_choices(catalogue, action, given))]


def _filter_completions(catalogue, word: str) -> tuple[str, list[tuple[str, str, str]]]:
    prefix = ""
    for ch in ("!", "("):
        while word.startswith(ch):
            prefix += ch
            word = word[1:]
    alts = word.split("|")
    head = "|".join(alts[:-1]) + ("|" if len(alts) > 1 else "")
    last = alts[-1]
    if "=" in last or "~" in last:
        return last, []
    names = [(n, "event") for n in catalogue.event_names()]
    headers = sorted({p.name for e in (catalogue.event(n) for n in catalogue.event_names()) if e for p in e.headers})
    candidates = _matches(last, names) + [(h + "=", "header") for h, _ in _matches(last, [(h, "") for h in headers])]
    return last, [(c, c, m) for c, m in candidates]


class AmiCompleter(Completer):
    def __init__(self, catalogue, live: LiveValues):
        self.catalogue = catalogue
        self.live = live

    def get_completions(self, document: Document, complete_event):
        text = document.text_before_cursor
        if not text.strip() and not getattr(complete_event, "completion_requested", True):
            return  # an empty line offers everything only on Tab, not while typing
        word, choices = complete_text(self.catalogue, self.live, text)
        for insert, display, meta in choices[:200]:
            yield Completion(insert, start_position=-len(word), display=display, display_meta=meta)
