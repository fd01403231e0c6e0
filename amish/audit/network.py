"""Addresses and ACLs the way Asterisk reads them: where a listener is, who may log in.

`classify_address` says whether an address is loopback, private, public or
"any" (0.0.0.0, ::); `acl_rules` / `acl_allows` apply an account's
deny/permit lines as Asterisk's ast_apply_ha does (allowed unless a rule
says otherwise; the last matching rule wins).
"""

from __future__ import annotations

import ipaddress
from typing import Sequence

from ..core.getconfig import Section

__all__ = ["split_hostport", "classify_address", "classify_host", "ipv6_capable", "BadACL", "acl_rules", "acl_allows"]


def split_hostport(text: str) -> tuple[str, int | None]:
    """'0.0.0.0:5039' -> ('0.0.0.0', 5039); '[::]:5038' -> ('::', 5038); '::1' -> ('::1', None)."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        return host, int(port) if port.isdigit() else None
    try:
        ipaddress.ip_address(text)
        return text, None  # a bare address (an IPv6 one holds colons)
    except ValueError:
        pass
    host, sep, port = text.rpartition(":")
    if sep and port.isdigit() and ":" not in host:
        return host, int(port)
    return text, None


def classify_address(text: str | None) -> str:
    """'any' (0.0.0.0, ::, empty), 'loopback', 'private' (not routed on the internet),
    'public', or 'unknown' (a name or garbage: treated as exposed)."""
    if text is None:
        return "any"
    host, _port = split_hostport(text)
    host = host.strip()
    if host in ("", "*"):
        return "any"
    if host.lower() == "localhost":
        return "loopback"
    try:
        addr = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return "unknown"
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if addr.is_unspecified:
        return "any"
    if addr.is_loopback:
        return "loopback"
    if addr.is_global:
        return "public"
    return "private"


def ipv6_capable(text: str | None) -> bool:
    """Whether a listener on this address (None: the default) takes IPv6 clients too."""
    if text is None:
        return True  # Asterisk's default bind is [::]: IPv4 and IPv6
    host, _ = split_hostport(text)
    return ":" in host


def classify_host(host: str | None) -> str:
    """`classify_address` of a host connected to: "any" there means a public listener; None is unknown."""
    if host is None:
        return "unknown"
    kind = classify_address(host)
    return "public" if kind == "any" else kind


class BadACL(ValueError):
    """A deny/permit line Asterisk refuses (and with it the whole account)."""


def acl_rules(section: Section) -> tuple[list[tuple[bool, object, bool]], list[str]]:
    """deny/permit lines in order -> [(allow, network, negated)], and named acl= entries."""
    rules: list[tuple[bool, object, bool]] = []
    named: list[str] = []
    for key, value in section:
        if key == "acl":
            named.extend(v.strip() for v in value.split(",") if v.strip())
            continue
        if key not in ("permit", "deny"):
            continue
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            negated = part.startswith("!")
            part = part.lstrip("!").strip()
            try:
                net = ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise BadACL(f"{key}={value}") from None
            rules.append((key == "permit", net, negated))
    return rules, named


def acl_allows(rules: Sequence[tuple[bool, object, bool]], address: str) -> bool:
    """Asterisk's ast_apply_ha: allowed unless a rule says otherwise; the last matching rule wins."""
    addr = ipaddress.ip_address(address)
    allowed = True
    for allow, net, negated in rules:
        if net.version != addr.version:  # type: ignore[attr-defined]
            continue
        match = addr in net  # type: ignore[operator]
        if match != negated:
            allowed = allow
    return allowed
