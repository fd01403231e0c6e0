"""What the audit looked at: the connection it used and what the server answered.

`gather.gather` fills these in; the checks read them. Any part may be missing
(None): a refusal is a fact, not an error.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Target", "Facts", "Probe"]


@dataclass
class Target:
    """The connection the audit used."""

    host: str
    port: int
    tls: bool = False
    insecure: bool = False
    auth: str = "md5"
    user: str | None = None
    peer: str | None = None  # the address actually connected to (an IP), None if unknown
    md5: bool | None = None  # the MD5 Challenge answered (None: not tried)
    transport: str = "tcp"  # "http": the audit itself went over AMI over HTTP (/rawman)


@dataclass
class Probe:
    """One HTTP/HTTPS listener asked live whether /rawman answers (`probe.probe_http`)."""

    listener: str  # "HTTP" or "HTTPS"
    url: str  # what was asked (or would have been)
    outcome: str  # "answers", "not-served" (404), "not-ami", "unreachable", "not-probed"
    detail: str
    kind: str  # where the listener is bound: "any", "public", "private", "loopback", "unknown"

    @property
    def exposed(self) -> bool:
        return self.kind != "loopback"


@dataclass
class Facts:
    """Everything the checks look at; any part may be missing (None)."""

    target: Target | None = None
    manager: object = None  # a config (see normalize), or None when not readable
    http: object = None
    manager_error: str | None = None  # why GetConfig manager.conf failed
    http_error: str | None = None
    commands: set[str] | None = None  # ListCommands, lower-case names
    commands_error: str | None = None
    settings: dict[str, str] | None = None  # CoreSettings
    status: dict[str, str] | None = None  # CoreStatus
    fully_booted: bool | None = None
    http_probes: list[Probe] | None = None  # None: http.conf not read, so nothing to ask
