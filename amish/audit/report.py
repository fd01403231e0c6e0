"""The report: findings as JSON or as a table for people, and no secret in either.

`report_dict` is what ``--format json`` prints; `render_pretty` the rich
renderable of ``--format pretty`` (rich is imported when it is asked for,
so the JSON report never loads it); `scrub` takes out, belt and braces,
every secret of the configs read and of this login.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from ..core.secrets import MASK, is_secret_name
from .configs import normalize
from .facts import Facts
from .findings import SEVERITIES, Finding, exit_code, worst
from .network import classify_host

__all__ = ["report_dict", "render_pretty", "scrub", "secrets_of"]


def _counts(findings: Sequence[Finding]) -> dict[str, int]:
    return {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}


def report_dict(facts: Facts, findings: Sequence[Finding], ignored: Sequence[Finding] = ()) -> dict[str, object]:
    t = facts.target
    settings = facts.settings or {}
    code = exit_code(findings)
    return {
        "target": None if t is None else {
            "host": t.host, "port": t.port, "peer": t.peer, "peer_kind": classify_host(t.peer or t.host),
            "tls": t.tls, "transport": t.transport, "verified": (not t.insecure) if t.tls else None, "auth": t.auth, "user": t.user,
            "md5_challenge": t.md5,
        },
        "server": {
            "asterisk_version": settings.get("AsteriskVersion"),
            "ami_version": settings.get("AMIversion"),
            "fully_booted": facts.fully_booted,
        },
        "checked": {
            "manager.conf": facts.manager is not None,
            "http.conf": facts.http is not None,
            "ListCommands": facts.commands is not None,
            "CoreSettings": facts.settings is not None,
        },
        "errors": {k: v for k, v in (("manager.conf", facts.manager_error), ("http.conf", facts.http_error),
                                     ("ListCommands", facts.commands_error)) if v},
        "http_probes": None if facts.http_probes is None else [
            {"listener": p.listener, "url": p.url, "outcome": p.outcome, "detail": p.detail, "bound": p.kind}
            for p in facts.http_probes],
        "findings": [f.to_dict() for f in findings],
        "ignored": [f.to_dict() for f in ignored],
        "counts": _counts(findings),
        "worst": worst(findings),
        "exit_code": code,
    }


_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "cyan", "info": "dim"}


def render_pretty(facts: Facts, findings: Sequence[Finding], ignored: Sequence[Finding] = (), width: int = 120):
    # rich only here: the JSON report (a script's, a cron job's) never loads it
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    t = facts.target
    settings = facts.settings or {}
    head = Text()
    if t is not None:
        kind = classify_host(t.peer or t.host)
        head.append("amish audit ", style="bold")
        head.append(f"{t.user}@{t.host}:{t.port}")
        plain, secure = ("plain HTTP", "HTTPS") if t.transport == "http" else ("plain TCP", "TLS")
        head.append(f"  {secure + ('' if not t.insecure else ' (unverified)') if t.tls else plain}, {kind} peer")
        if settings.get("AsteriskVersion"):
            head.append(f"; Asterisk {settings['AsteriskVersion']} (AMI {settings.get('AMIversion', '?')})")
    checked = []
    checked.append("manager.conf " + ("read" if facts.manager is not None else f"not readable ({facts.manager_error})"))
    if facts.manager is not None:
        checked.append("http.conf " + ("read" if facts.http is not None else f"not readable ({facts.http_error})"))
    for probe in facts.http_probes or ():
        checked.append(f"{probe.url} live: {probe.outcome.replace('-', ' ')}")
    checked.append(f"ListCommands: {len(facts.commands)} actions" if facts.commands is not None else "ListCommands failed")
    if t is not None and t.md5 is not None:
        checked.append("MD5 challenge " + ("available" if t.md5 else "refused"))
    parts: list = [head, Text("checked: " + "; ".join(checked), style="dim")]

    if not findings:
        parts.append(Text("No findings.", style="green"))
    elif width >= 100:
        table = Table(show_lines=True, expand=True, pad_edge=False)
        table.add_column("severity", no_wrap=True)
        table.add_column("where / check", no_wrap=True)
        table.add_column("finding", ratio=3, overflow="fold")
        table.add_column("set", ratio=2, overflow="fold")
        for f in findings:
            where = Text(f.where)
            where.append("\n" + f.check, style="dim")
            what = Text(f.message)
            if f.current:
                what.append("\nnow: " + f.current, style="dim")
            table.add_row(Text(f.severity, style=_STYLE[f.severity]), where, what, Text("\n".join(f.fix)))
        parts.append(table)
    else:  # a narrow screen: one block per finding reads better than a squeezed table
        for f in findings:
            block = Text()
            block.append(f.severity.upper(), style=_STYLE[f.severity])
            block.append(f"  {f.where}  ")
            block.append(f.check, style="dim")
            block.append("\n  " + f.message)
            if f.current:
                block.append("\n  now: " + f.current, style="dim")
            for line in f.fix:
                block.append("\n  set: " + line)
            parts.append(block)
            parts.append(Text(""))
    counts = _counts(findings)
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "none"
    line = Text(f"{len(findings)} finding{'s' if len(findings) != 1 else ''}: {summary}")
    if ignored:
        line.append(f"; {len(ignored)} ignored ({', '.join(sorted({f'{f.check}:{f.section}' if f.section else f.check for f in ignored}))})")
    line.append(f"; exit {exit_code(findings)}")
    parts.append(line)
    if facts.manager is not None:
        parts.append(Text("GetConfig reads the files on disk: edits not yet applied (manager reload) are audited as if live.",
                          style="dim"))
    return Group(*parts)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Belt and braces: no secret of the config (or of this login) reaches the output."""
    for s in sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True):
        text = text.replace(s, MASK)
    return text


def secrets_of(facts: Facts, own: str | None) -> list[str]:
    out = [own] if own else []
    for cfg in (facts.manager, facts.http):
        for _name, section in normalize(cfg).items():
            out.extend(v for k, v in section if is_secret_name(k))
    return out
