"""manager.conf and http.conf as the checks read them: any config shape to one, the values that count, the listeners.

A config is ``{section: {key: value}}`` (a value may be a list for a repeated
key such as permit) or ``{section: [(key, value), ...]}`` when the order of
deny/permit lines matters; `normalize` makes either the one shape of
`core.getconfig` (what GetConfig is read into). A value that counts is the
last one given (Asterisk applies lines in order); a default is Asterisk's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from ..core.getconfig import Config, Section
from .network import classify_address, split_hostport

__all__ = [
    "normalize",
    "setting",
    "flag",
    "number",
    "general_of",
    "accounts_of",
    "Listener",
    "listeners_in_manager",
    "listeners_in_http",
    "DEFAULT_PORT",
    "DEFAULT_TLS_PORT",
    "DEFAULT_HTTP_PORT",
    "DEFAULT_HTTPS_PORT",
]

DEFAULT_PORT, DEFAULT_TLS_PORT, DEFAULT_HTTP_PORT, DEFAULT_HTTPS_PORT = 5038, 5039, 8088, 8089

_TRUE = {"yes", "true", "y", "t", "1", "on"}
_FALSE = {"no", "false", "n", "f", "0", "off"}


def normalize(config: object) -> Config:
    """Any accepted config shape -> {section: [(key lower-cased, value), ...]}, order kept."""
    if config is None:
        return {}
    out: Config = {}
    items = config.items() if isinstance(config, Mapping) else config
    for name, body in items:  # type: ignore[misc]
        pairs = out.setdefault(str(name), [])
        entries = body.items() if isinstance(body, Mapping) else body
        for key, value in entries:
            values = value if isinstance(value, (list, tuple)) else [value]
            for v in values:
                if v is not None:  # None: not set
                    pairs.append((str(key).strip().lower(), str(v).strip()))
    return out


def setting(section: Section | None, key: str) -> str | None:
    """The value that counts: the last one given (Asterisk applies lines in order)."""
    if not section:
        return None
    value = None
    for k, v in section:
        if k == key:
            value = v
    return value


def flag(value: str | None, default: bool) -> bool:
    """A yes/no setting as Asterisk's ast_true/ast_false read it; `default` when unset or neither."""
    if value is None:
        return default
    low = value.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    return default


def number(value: str | None, default: int) -> int:
    """A numeric setting; `default` when unset or not a number."""
    try:
        return int(str(value).strip()) if value is not None else default
    except ValueError:
        return default


def general_of(config: Config) -> Section:
    """The [general] section (any case); empty when there is none."""
    for name, section in config.items():
        if name.lower() == "general":
            return section
    return []


def accounts_of(config: Config) -> list[tuple[str, Section]]:
    """Every section but [general]: manager.conf's accounts."""
    return [(name, section) for name, section in config.items() if name.lower() != "general"]


@dataclass
class Listener:
    name: str  # "AMI", "AMI over TLS", "HTTP", "HTTPS"
    file: str
    key: str
    address: str | None  # as configured; None: the default (all addresses)
    port: int
    tls: bool

    @property
    def kind(self) -> str:
        return classify_address(self.address)

    @property
    def exposed(self) -> bool:
        return self.kind != "loopback"

    def shown(self) -> str:
        addr = self.address if self.address is not None else "0.0.0.0/:: (default)"
        host, _ = split_hostport(addr)
        return f"{host}:{self.port}" if self.address is not None else f"all addresses (default), port {self.port}"


def listeners_in_manager(general: Section) -> list[Listener]:
    out = []
    bind = setting(general, "bindaddr")
    port = number(setting(general, "port"), DEFAULT_PORT)
    if bind is not None:
        host, _port = split_hostport(bind)
        bind = host or None
    out.append(Listener("AMI", "manager.conf", "bindaddr", bind, port, tls=False))
    if flag(setting(general, "tlsenable"), False):
        tbind = setting(general, "tlsbindaddr")
        if tbind:
            host, tport = split_hostport(tbind)
            out.append(Listener("AMI over TLS", "manager.conf", "tlsbindaddr", host or None, tport or DEFAULT_TLS_PORT, tls=True))
        else:
            out.append(Listener("AMI over TLS", "manager.conf", "tlsbindaddr", bind, DEFAULT_TLS_PORT, tls=True))
    return out


def listeners_in_http(http: Section) -> list[Listener]:
    """What http.conf serves; empty when the HTTP server is off (enabled=no, or no bindaddr)."""
    if not flag(setting(http, "enabled"), False):
        return []
    bind = setting(http, "bindaddr")
    if not bind:
        return []  # Asterisk does not start the HTTP server without a bindaddr
    host, _ = split_hostport(bind)
    out = [Listener("HTTP", "http.conf", "bindaddr", host, number(setting(http, "bindport"), DEFAULT_HTTP_PORT), tls=False)]
    if flag(setting(http, "tlsenable"), False):
        tbind = setting(http, "tlsbindaddr")
        thost, tport = split_hostport(tbind) if tbind else (host, None)
        out.append(Listener("HTTPS", "http.conf", "tlsbindaddr", thost or host, tport or DEFAULT_HTTPS_PORT, tls=True))
    return out
