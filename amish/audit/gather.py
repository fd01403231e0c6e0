"""Asking the server everything the checks use: GetConfig of manager.conf and http.conf,
ListCommands, CoreSettings, CoreStatus, an MD5 Challenge, whether FullyBooted came, and
(`probe`) whether /rawman answers on the HTTP listeners http.conf names.

The only part of the audit that talks to a server: through the transport it
is given, and for the live look at HTTP, a bare connection to each listener. Refusals are facts (`Facts.manager_error`...), not errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.getconfig import Config, parse_getconfig
from ..core.protocol import Message
from .facts import Facts, Target
from .probe import probe_http

if TYPE_CHECKING:  # pragma: no cover
    from ..transports.base import Transport

__all__ = ["gather"]


def _error_text(result) -> str:
    msg = result.response.get("Message") if result.response is not None else None
    return msg or "no response"


def _getconfig(conn, filename: str, timeout: float) -> tuple[Config | None, str | None]:
    result = conn.send([("Action", "GetConfig"), ("Filename", filename)], timeout=timeout)
    if not result.ok:
        return None, _error_text(result)
    return parse_getconfig(result.response), None


def gather(conn: "Transport", *, host: str, port: int, tls: bool = False, insecure: bool = False, auth: str = "md5",
           user: str | None = None, timeout: float = 10.0, booted_wait: float = 0.5, probe: bool = True) -> Facts:
    """Ask the server everything the checks use. Refusals are facts, not errors.

    `probe`: also ask the HTTP/HTTPS listeners of http.conf, live, whether /rawman answers (`probe.probe_http`).
    """
    facts = Facts()
    sub = conn.subscribe(maxlen=1000)  # FullyBooted came with the login (system events)
    try:
        facts.manager, facts.manager_error = _getconfig(conn, "manager.conf", timeout)
        if facts.manager is not None:
            facts.http, facts.http_error = _getconfig(conn, "http.conf", timeout)
        else:
            facts.http_error = facts.manager_error
        result = conn.send([("Action", "ListCommands")], timeout=timeout)
        if result.ok:
            skip = {"response", "actionid", "message"}
            facts.commands = {k.lower() for k, _v in result.response.headers if k and k.lower() not in skip}
        else:
            facts.commands_error = _error_text(result)
        for action, attr in (("CoreSettings", "settings"), ("CoreStatus", "status")):
            result = conn.send([("Action", action)], timeout=timeout)
            if result.ok:
                setattr(facts, attr, {k: v for k, v in result.response.headers if k and k.lower() not in ("response", "actionid")})
        result = conn.send([("Action", "Challenge"), ("AuthType", "MD5")], timeout=timeout)
        md5 = result.ok and bool(result.response.get("Challenge"))
        facts.target = Target(host=host, port=port, tls=tls, insecure=insecure, auth=auth, user=user,
                              peer=conn.peer_ip, md5=md5, transport="http" if conn.kind == "http" else "tcp")
        items = sub.drain()
        if not any(isinstance(i, Message) and i.is_event("FullyBooted") for i in items):
            item = sub.get(timeout=booted_wait)
            items = [item] if item is not None else []
        facts.fully_booted = True if any(isinstance(i, Message) and i.is_event("FullyBooted") for i in items) else None
    finally:
        conn.unsubscribe(sub)
    if probe and facts.http is not None:
        facts.http_probes = probe_http(facts.http, peer=conn.peer_ip, host=host, timeout=min(timeout, 3.0))
    return facts
