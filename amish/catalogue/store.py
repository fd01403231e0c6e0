"""The catalogue itself: actions and events by name, merged from every source, safe across threads.

Specs are immutable. A merge builds new dicts and swaps them in under a lock,
so a completer reading from another thread sees either the old catalogue or
the new one, never a half-updated one. What each source says is read
elsewhere (`bundled`, `scrape`, `xmldoc`, `cache`); here it is merged:
the running server beats a local file, which beats the bundled structure.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from .bundled import parse_bundled, read_bundled
from .cache import load_pages, save_pages
from .scrape import parse_manager_show
from .specs import ActionSpec, EventSpec, Param, sort_key
from .xmldoc import DEFAULT_XML, read_docs

if TYPE_CHECKING:  # pragma: no cover
    from ..core.protocol import Message

__all__ = ["Catalogue"]


class _State:
    """One immutable snapshot: readers take a reference and use it freely."""

    __slots__ = ("actions", "events", "action_names", "event_names", "live")

    def __init__(self, actions: dict[str, ActionSpec], events: dict[str, EventSpec], live: bool = False):
        self.actions = actions  # lower-case name -> spec
        self.events = events
        self.action_names = tuple(sorted((a.name for a in actions.values()), key=sort_key))
        self.event_names = tuple(sorted((e.name for e in events.values()), key=sort_key))
        self.live = live


_bundled_state: _State | None = None  # loaded on first Catalogue.bundled(), never at import
_bundled_lock = threading.Lock()
_PRIV = re.compile(r"^(?P<synopsis>.*?)\s*\(Priv:\s*(?P<priv>[^)]*)\)\s*$", re.S)
_SKIP_LIST_HEADERS = frozenset({"response", "actionid", "message", "eventlist"})


def _load_bundled_state() -> _State:
    global _bundled_state
    state = _bundled_state
    if state is not None:
        return state
    with _bundled_lock:
        if _bundled_state is None:
            _bundled_state = _State(*parse_bundled(read_bundled()))
        return _bundled_state


class Catalogue:
    """Actions and events by name (any case). Thread-safe; merges swap whole snapshots.

    ``Catalogue.bundled()`` is what amish ships; ``fetch_live``,
    ``fetch_manager_show`` and ``merge_xml`` add what a server or a local file
    knows. ``version`` is the server version the live data came from.
    """

    def __init__(
        self,
        actions: Iterable[ActionSpec] = (),
        events: Iterable[EventSpec] = (),
        *,
        version: str | None = None,
    ):
        self._lock = threading.Lock()
        self._state = _State({a.name.lower(): a for a in actions}, {e.name.lower(): e for e in events})
        self._shown: dict[str, tuple[str, ...]] = {}  # manager show output by action, for the cache
        self.version = version

    @classmethod
    def _from_state(cls, state: _State) -> "Catalogue":
        cat = cls()
        cat._state = state
        return cat

    @classmethod
    def bundled(cls) -> "Catalogue":
        """A new catalogue holding the bundled data (read once, then shared: specs are immutable)."""
        return cls._from_state(_load_bundled_state())

    # -- reading ----------------------------------------------------------
    def action(self, name: str) -> ActionSpec | None:
        return self._state.actions.get(name.lower())

    def event(self, name: str) -> EventSpec | None:
        return self._state.events.get(name.lower())

    def action_names(self, available_only: bool = False) -> tuple[str, ...]:
        """All action names, sorted (case-insensitively); `available_only` drops those
        ListCommands did not list for this login."""
        state = self._state
        if not available_only:
            return state.action_names
        actions = state.actions
        return tuple(n for n in state.action_names if actions[n.lower()].available is not False)

    def event_names(self) -> tuple[str, ...]:
        return self._state.event_names

    def actions(self) -> tuple[ActionSpec, ...]:
        state = self._state
        return tuple(state.actions[n.lower()] for n in state.action_names)

    def events(self) -> tuple[EventSpec, ...]:
        state = self._state
        return tuple(state.events[n.lower()] for n in state.event_names)

    def __len__(self) -> int:
        return len(self._state.actions)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._state.actions

    def param(self, action: str, header: str) -> Param | None:
        spec = self.action(action)
        return None if spec is None else spec.param(header)

    def suggest(self, name: str, n: int = 3) -> list[str]:
        """Action names close to `name`: case-insensitive prefix matches first, then
        difflib's close matches ("QueueStats" -> QueueStatus)."""
        if n <= 0 or not name:
            return []
        state = self._state
        low = name.lower()
        out: list[str] = []
        exact = state.actions.get(low)
        if exact is not None:
            out.append(exact.name)
        for candidate in state.action_names:
            if len(out) >= n:
                break
            if candidate.lower().startswith(low) and candidate not in out:
                out.append(candidate)
        if len(out) < n:
            import difflib  # only for a name that is not a prefix: importing the catalogue stays quick

            lowered = {c.lower(): c for c in state.action_names}
            for match in difflib.get_close_matches(low, list(lowered), n=n, cutoff=0.6):
                candidate = lowered[match]
                if candidate not in out:
                    out.append(candidate)
                if len(out) >= n:
                    break
        return out[:n]

    def required_missing(self, action_name: str, given_header_names: Iterable[str]) -> list[str]:
        """Names of the required parameters of `action_name` not among `given_header_names`
        (any case). ActionID is never required; an unknown action misses nothing."""
        spec = self.action(action_name)
        if spec is None:
            return []
        given = {h.lower() for h in given_header_names if h}
        return [
            p.name
            for p in spec.params
            if p.required and p.name.lower() != "actionid" and p.name.lower() not in given
        ]

    # -- merging ----------------------------------------------------------
    def _swap(self, actions: dict[str, ActionSpec] | None = None, events: dict[str, EventSpec] | None = None,
              live: bool | None = None) -> None:
        # called with self._lock held
        old = self._state
        self._state = _State(
            old.actions if actions is None else actions,
            old.events if events is None else events,
            old.live if live is None else live,
        )

    def merge_list_commands(self, response: "Message") -> int:
        """Merge a ``ListCommands`` response: one ``Name: Synopsis (Priv: a,b)`` header
        per action this login may run. Those become available (with their privilege
        and synopsis), unknown ones are added, every other action becomes
        unavailable. Returns how many actions were listed; 0 (and no change) for an
        error response."""
        status = (response.get("Response") or "").lower()
        if status and status != "success":
            return 0
        listed: dict[str, tuple[str, str, str]] = {}
        for key, value in response.headers:
            if key is None or key.lower() in _SKIP_LIST_HEADERS or not key.strip():
                continue
            m = _PRIV.match(value)
            if m:
                synopsis, priv = m.group("synopsis").strip(), m.group("priv").strip()
            else:
                synopsis, priv = value.strip(), ""
            if priv == "<none>":
                priv = ""
            listed[key.strip().lower()] = (key.strip(), synopsis, priv)
        if not listed:
            return 0
        with self._lock:
            actions = dict(self._state.actions)
            for low, spec in actions.items():
                if low not in listed and spec.available is not False:
                    actions[low] = replace(spec, available=False)
            for low, (name, synopsis, priv) in listed.items():
                spec = actions.get(low)
                if spec is None:
                    actions[low] = ActionSpec(
                        name, synopsis=synopsis, privilege=priv, available=True, source=frozenset({"live"})
                    )
                else:
                    actions[low] = replace(
                        spec,
                        synopsis=synopsis or spec.synopsis,
                        privilege=priv,
                        available=True,
                        source=spec.source | {"live"},
                    )
            self._swap(actions, live=True)
        return len(listed)

    def merge_manager_show(self, name: str, output_lines: list[str]) -> bool:
        """Merge the Output lines of ``manager show command NAME``.

        Synopsis, description, syntax, privilege and the parameters (in the
        server's order; required = not in [brackets] in its Syntax) go over the
        bundled structure, whose repeatable flags, defaults and values are kept.
        False (and no change) when the lines are not such a page (unknown action).
        """
        parsed = parse_manager_show(output_lines)
        if parsed is None:
            return False
        real_name = parsed["name"] or name
        with self._lock:
            actions = dict(self._state.actions)
            low = real_name.lower()
            old = actions.get(low) or ActionSpec(
                real_name, available=False if self._state.live else None
            )
            old_params = {p.name.lower(): p for p in old.params}
            params = []
            for pname, required in parsed["params"]:
                desc = parsed["arguments"].get(pname.lower(), "")
                base = old_params.get(pname.lower())
                if pname.lower() == "actionid":
                    required = False
                if base is None:
                    params.append(Param(pname, required=required, description=desc))
                else:
                    params.append(replace(base, name=pname, required=required, description=desc or base.description))
            actions[low] = replace(
                old,
                name=real_name if old.name.lower() == low else old.name,
                params=tuple(params) if parsed["syntax_found"] else old.params,
                list_action=parsed["list_action"] or old.list_action,
                final_event=parsed["final_event"] or old.final_event,
                synopsis=parsed["synopsis"] or old.synopsis,
                description=parsed["description"] or old.description,
                syntax=parsed["syntax"] or old.syntax,
                privilege=parsed["privilege"] if parsed["privilege"] is not None else old.privilege,
                source=old.source | {"manager-show"},
            )
            self._shown[real_name] = tuple(output_lines)
            self._swap(actions)
        return True

    def merge_xml(self, path: str | os.PathLike = DEFAULT_XML) -> int:
        """Merge a local ``core-en_US.xml``: synopses, descriptions and parameters of
        every action and event in it. Takes about 0.1 s for Asterisk 22's 1.6 MB
        file; may run in a background thread. Returns how many actions it held. Raises OSError or
        xml.etree.ElementTree.ParseError for a missing or broken file."""
        actions_xml, events_xml = read_docs(path, prose=True)
        with self._lock:
            state = self._state
            actions = dict(state.actions)
            for low, new in actions_xml.items():
                old = actions.get(low)
                if old is None:
                    actions[low] = replace(new, available=False if state.live else None, source=frozenset({"xml"}))
                    continue
                shown = "manager-show" in old.source  # the running server beats a file
                actions[low] = replace(
                    old,
                    params=old.params if shown else _merge_params(new.params, old.params),
                    list_action=old.list_action or new.list_action,
                    final_event=old.final_event or new.final_event,
                    synopsis=(old.synopsis if shown and old.synopsis else new.synopsis or old.synopsis),
                    description=(old.description if shown and old.description else new.description or old.description),
                    syntax=(old.syntax if shown and old.syntax else new.syntax or old.syntax),
                    source=old.source | {"xml"},
                )
            events = dict(state.events)
            for low, new in events_xml.items():
                old = events.get(low)
                if old is None:
                    events[low] = replace(new, source=frozenset({"xml"}))
                else:
                    events[low] = replace(
                        old,
                        headers=_merge_params(new.headers, old.headers),
                        event_class=new.event_class or old.event_class,
                        synopsis=new.synopsis or old.synopsis,
                        description=new.description or old.description,
                        source=old.source | {"xml"},
                    )
            self._swap(actions, events)
        return len(actions_xml)

    # -- the manager-show cache --------------------------------------------
    def save_cache(self) -> Path | None:
        """Write the merged ``manager show command`` pages for `version` to
        ``$XDG_CACHE_HOME/amish/`` (mode 0600; `cache.save_pages`). None when there is no version or
        nothing to save."""
        version = self.version
        with self._lock:
            shown = dict(self._shown)
        if not version or not shown:
            return None
        return save_pages(version, shown)

    def load_cache(self, version: str | None = None) -> int:
        """Merge the cached ``manager show command`` pages of server `version`
        (default: `self.version`, which is set when it was None). Returns how many
        were merged; 0 when there is no (readable) cache."""
        version = version or self.version
        if not version:
            return 0
        pages = load_pages(version)
        if pages is None:
            return 0
        if self.version is None:
            self.version = version
        merged = 0
        for name, lines in pages.items():
            merged += self.merge_manager_show(name, lines)
        return merged


def _merge_params(new: tuple[Param, ...], old: tuple[Param, ...]) -> tuple[Param, ...]:
    """`new` (from a local XML), keeping flags of `old` that XML cannot express."""
    by_name = {p.name.lower(): p for p in old}
    out = []
    for p in new:
        base = by_name.get(p.name.lower())
        if base is not None and base.multiple and not p.multiple:
            p = replace(p, multiple=True)
        out.append(p)
    return tuple(out)

