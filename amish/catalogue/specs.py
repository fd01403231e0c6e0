"""The immutable specs of AMI actions and events: what every other part of the catalogue trades in.

A spec changes only by being replaced (`dataclasses.replace`), so a reader in
another thread can keep one as long as it likes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Param", "ActionSpec", "EventSpec", "NUMBERED_HEADER", "sort_key"]


@dataclass(frozen=True, slots=True)
class Param:
    """One header of an action (a parameter) or of an event."""

    name: str
    required: bool = False
    #: May be given more than once (Originate's ``Variable``).
    multiple: bool = False
    default: str | None = None
    #: The values Asterisk documents (an enumeration), in its order.
    values: tuple[str, ...] = ()
    #: Help text, from the server or a local XML file; never bundled.
    description: str = ""


@dataclass(frozen=True, slots=True)
class ActionSpec:
    name: str
    params: tuple[Param, ...] = ()
    #: Documented as answering with a list of events (``EventList: start``).
    list_action: bool = False
    #: The event that ends the list (``CoreShowChannelsComplete``).
    final_event: str | None = None
    synopsis: str = ""
    description: str = ""
    syntax: str = ""
    #: The privilege classes ListCommands reported ("originate,all"; "" for none).
    privilege: str = ""
    #: True/False once ListCommands told whether this login may run it; None: unknown.
    available: bool | None = None
    #: Where this spec came from: "bundled", "live", "xml", "manager-show".
    source: frozenset[str] = frozenset()

    def param(self, header: str) -> Param | None:
        """The parameter for `header` (any case); numbered ones map to their pattern.

        ``Action-000003`` (UpdateConfig) finds ``Action-000000``,
        ``UnitAmount(2)`` (AOCMessage) finds ``UnitAmount(0)``.
        """
        return _find_param(self.params, header)


@dataclass(frozen=True, slots=True)
class EventSpec:
    name: str
    headers: tuple[Param, ...] = ()
    #: The event class(es) as used in manager.conf and ``Events:`` ("call").
    event_class: str = ""
    synopsis: str = ""
    description: str = ""
    source: frozenset[str] = frozenset()

    def header(self, name: str) -> Param | None:
        return _find_param(self.headers, name)


#: A numbered header: ``Action-000003`` (UpdateConfig), ``UnitAmount(2)`` (AOCMessage).
NUMBERED_HEADER = re.compile(r"^(.*?)(?:-(\d{6})|\((\d+)\))$")


def _find_param(params: tuple[Param, ...], header: str) -> Param | None:
    low = header.lower()
    for p in params:
        if p.name.lower() == low:
            return p
    m = NUMBERED_HEADER.match(low)
    if m:
        pattern = f"{m.group(1)}-000000" if m.group(2) is not None else f"{m.group(1)}(0)"
        for p in params:
            if p.name.lower() == pattern:
                return p
    return None


def sort_key(name: str) -> tuple[str, str]:
    """The order names are listed in: case-insensitive, then as spelled."""
    return (name.lower(), name)
