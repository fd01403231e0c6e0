"""The live look at AMI over HTTP: does ``/rawman`` answer on the listeners http.conf names?

What the configs say and what the server does can differ (a manager.conf
changed but not reloaded, a prefix, a listener the config read missed), so the
audit asks each HTTP/HTTPS listener it learned of, the way a stranger would:
an MD5 ``Challenge`` (no login, so nothing lands in the PBX's security log)
to ``[prefix]/rawman``, TLS unverified (the question is exposure, not trust).
An AMI answer means the manager is served over HTTP there; HTTP 404 means it
is not; no connection means the listener is not reachable from here.

Where to knock: a listener bound to one address is asked there; one bound to
every address (0.0.0.0, ::) is asked at the address the audit reached; one
bound to loopback only when the audit itself runs on the server (its peer is
loopback); else it is not asked, and says so.
"""

from __future__ import annotations

from ..core.errors import AmishError, NotAMIError
from ..transports.http import HttpConnection
from .configs import Listener, general_of, listeners_in_http, normalize, setting
from .facts import Probe
from .network import classify_address, classify_host, split_hostport

__all__ = ["probe_http", "where_to_knock"]


def where_to_knock(listener: Listener, peer: str | None, host: str) -> str | None:
    """The address to ask `listener` at, or None when it cannot be reached from here (loopback, elsewhere)."""
    kind = listener.kind
    reached = peer or host
    if kind == "any":
        return reached
    if kind == "loopback":
        return listener.address if classify_host(reached) == "loopback" else None
    host_part, _ = split_hostport(listener.address or "")
    return host_part or reached


def probe_http(http: object, *, peer: str | None, host: str, timeout: float = 3.0) -> list[Probe]:
    """Ask each listener of http.conf whether ``/rawman`` answers (see the module doc)."""
    general = general_of(normalize(http))
    prefix = (setting(general, "prefix") or "").strip("/")
    out = []
    for listener in listeners_in_http(general):
        scheme = "https" if listener.tls else "http"
        address = where_to_knock(listener, peer, host)
        shown_prefix = f"/{prefix}" if prefix else ""
        if address is None:
            out.append(Probe(listener.name, f"{scheme}://{listener.address}:{listener.port}{shown_prefix}/rawman",
                             "not-probed", "bound to loopback, and this audit runs elsewhere", listener.kind))
            continue
        shown_host = f"[{address}]" if ":" in address else address
        url = f"{scheme}://{shown_host}:{listener.port}{shown_prefix}/rawman"
        conn = HttpConnection(address, listener.port, prefix=prefix, tls=listener.tls, insecure=True,
                              connect_timeout=timeout)
        try:
            conn.connect()
            outcome, detail = "answers", "the manager answered an unauthenticated Challenge"
        except NotAMIError as e:
            outcome = "not-served" if "HTTP 404" in str(e) else "not-ami"
            detail = "HTTP 404: no manager there" if outcome == "not-served" else str(e)
        except AmishError as e:
            outcome, detail = "unreachable", str(e)
        finally:
            conn.close(logoff=False)
        out.append(Probe(listener.name, url, outcome, detail, classify_address(listener.address)))
    return out
