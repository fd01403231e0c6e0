"""Lists the server knows, for completion: its dialplan, applications, config
files and its own CLI completion.

Fetched on first need, in the background: a getter never waits. It returns
what is known (None while a list is still unknown) and, the first time, sends
the action that brings it (``Connection.submit`` only queues); the answer is
parsed in the I/O thread's done-callback and swapped in whole, then
`on_update` is called so the front end can show the completions that were
missing. Each list is fetched once per connection (a new connection after a
reconnect fetches again); a refused action (no privilege) leaves it empty.
"""

from __future__ import annotations

import os
import re
import threading
from typing import Callable

from ..core.protocol import Message

__all__ = ["ServerLookups", "parse_dialplan", "parse_applications", "parse_config_list", "parse_cli_matches"]

#: The CLI commands that answer each list, sent as ``Action: Command``.
APPLICATIONS_COMMAND = "core show applications"
CONFIG_LIST_COMMAND = "config list"
_CLI_MATCHES = '_command matchesarray "{line}" ""'

_APP_LINE = re.compile(r"^\s*([A-Za-z0-9_]+):\s")
_CONFIG_LINE = re.compile(r"^\S+\s+(/\S+)\s*$")


def parse_dialplan(items: list[Message]) -> dict[str, dict[str, tuple[str, ...]]]:
    """ShowDialPlan's ListDialplan items -> {context: {extension: (priorities and labels)}}.

    Contexts with only includes or switches are kept (empty); a hint is an
    extension but not a priority one can go to.
    """
    plan: dict[str, dict[str, list[str]]] = {}
    for item in items:
        context = item.get("Context")
        if not context:
            continue
        extens = plan.setdefault(context, {})
        exten = item.get("Extension")
        if not exten:
            continue
        priorities = extens.setdefault(exten, [])
        for value in (item.get("Priority"), item.get("ExtensionLabel")):
            if value and value != "hint" and value not in priorities:
                priorities.append(value)
    return {
        ctx: {ext: tuple(sorted(prios, key=_priority_key)) for ext, prios in extens.items()}
        for ctx, extens in plan.items()
    }


def _priority_key(value: str) -> tuple[int, int, str]:
    return (0, int(value), "") if value.isdigit() else (1, 0, value)


def parse_applications(output: list[str]) -> tuple[str, ...]:
    """``core show applications`` Output lines -> application names."""
    return tuple(m.group(1) for m in map(_APP_LINE.match, output) if m)


def parse_config_list(output: list[str]) -> tuple[str, ...]:
    """``config list`` Output lines (``module  /etc/asterisk/x.conf``) -> file names, once each."""
    names: dict[str, None] = {}
    for line in output:
        m = _CONFIG_LINE.match(line)
        if m:
            names[os.path.basename(m.group(1))] = None
    return tuple(sorted(names))


def parse_cli_matches(output: list[str]) -> tuple[str, ...]:
    """``_command matchesarray`` Output -> the matches.

    One line: the longest common prefix, then each match, then ``_EOF_``,
    separated by spaces (an empty prefix leaves a leading space).
    """
    words = " ".join(output).split(" ")
    if words and words[-1] == "_EOF_":
        words.pop()
    return tuple(dict.fromkeys(w for w in words[1:] if w))


#: Config files most servers have: offered for ``Filename=`` until the server said its own.
COMMON_CONFIG_FILES = (
    "extensions.conf", "pjsip.conf", "manager.conf", "modules.conf", "asterisk.conf", "logger.conf",
    "queues.conf", "voicemail.conf", "musiconhold.conf", "features.conf", "rtp.conf", "cdr.conf",
    "confbridge.conf", "http.conf", "ari.conf", "sip.conf", "iax.conf",
)


class ServerLookups:
    """Per-connection cache of server lists. Getters are safe on the UI thread."""

    #: Past this many lists kept, the CLI completions are forgotten (each CLI line typed is one).
    MAX_KEYS = 500

    def __init__(self, connection: Callable[[], object], on_update: Callable[[], None] = lambda: None):
        self._connection = connection
        self._on_update = on_update
        self._lock = threading.Lock()
        self._conn = None
        self._data: dict[str, object] = {}  # key -> parsed list (replaced whole, never mutated)
        self._asked: set[str] = set()

    # -- what completion reads ------------------------------------------------
    def dialplan(self) -> dict[str, dict[str, tuple[str, ...]]] | None:
        return self._get("dialplan", [("Action", "ShowDialPlan")], lambda p: parse_dialplan(p.events))

    def applications(self) -> tuple[str, ...] | None:
        return self._command("applications", APPLICATIONS_COMMAND, parse_applications)

    def config_files(self) -> tuple[str, ...] | None:
        return self._command("config", CONFIG_LIST_COMMAND, parse_config_list)

    def cli_matches(self, line: str) -> tuple[str, ...] | None:
        """The server's completions for the next word after `line` (whole words and a
        trailing space, or ""). None until known; () when the server cannot say."""
        if '"' in line or "\n" in line:
            return ()
        with self._lock:
            if len(self._asked) > self.MAX_KEYS:  # many CLI lines typed: start their cache again
                self._data = {k: v for k, v in self._data.items() if not k.startswith("cli:")}
                self._asked = {k for k in self._asked if not k.startswith("cli:")}
        return self._command("cli:" + line, _CLI_MATCHES.format(line=line), parse_cli_matches)

    # -- fetching -------------------------------------------------------------
    def _command(self, key: str, command: str, parse: Callable[[list[str]], tuple[str, ...]]):
        return self._get(
            key, [("Action", "Command"), ("Command", command)], lambda p: parse(p.response.getall("Output"))
        )

    def _get(self, key: str, action: list[tuple[str, str]], parse: Callable):
        conn = self._connection()
        with self._lock:
            if conn is not self._conn:  # a new connection: what the old one said may be stale
                self._conn, self._data, self._asked = conn, {}, set()
            if key in self._data:
                return self._data[key]
            if key in self._asked or conn is None or not conn.live:
                return None
            self._asked.add(key)
        try:
            pending = conn.submit(action)
        except Exception:  # not connected: ask again next time
            with self._lock:
                self._asked.discard(key)
            return None
        pending.add_done_callback(lambda p: self._arrived(conn, key, p, parse))
        return None

    def _arrived(self, conn, key: str, pending, parse: Callable) -> None:
        """In the I/O thread: parse, swap in, tell the front end. Never raises."""
        try:
            value = parse(pending) if pending.ok else None
        except Exception:
            value = None
        if value is None:
            value = {} if key == "dialplan" else ()
        with self._lock:
            if conn is not self._conn or key not in self._asked:  # a new connection, or forgotten
                return
            data = dict(self._data)
            data[key] = value
            self._data = data
        try:
            self._on_update()
        except Exception:
            pass
