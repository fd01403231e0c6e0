"""`amish audit` on the command line: connect, gather, check, report, exit by the worst finding."""

from __future__ import annotations

import json
import sys

from ..runtime.options import Options
from ..runtime.output import is_terminal, terminal_width, write
from ..runtime.session import Session
from .checks import audit
from .findings import exit_code, parse_ignores, split_ignored
from .gather import gather
from .report import render_pretty, report_dict, scrub, secrets_of

__all__ = ["run_audit_command"]


def run_audit_command(args, opts: Options) -> int:
    ignores = parse_ignores(args.ignore or [])
    with Session(opts, events_default="system") as session:
        conn = session.connect()
        facts = gather(conn, host=session.host, port=session.port, tls=opts.tls, insecure=opts.insecure,
                       auth=opts.auth, user=opts.user, timeout=opts.timeout)
    findings, ignored = split_ignored(audit(facts), ignores)
    secrets = secrets_of(facts, session.secret)
    out = sys.stdout
    if args.format == "json":
        text = json.dumps(report_dict(facts, findings, ignored), ensure_ascii=False)
    else:
        # rich (through the renderers) only for the pretty report: the JSON one never loads it
        from ..ui.render import to_ansi, to_plain

        width = min(terminal_width(out), 160)
        renderable = render_pretty(facts, findings, ignored, width)
        text = to_ansi(renderable, width) if is_terminal(out) else to_plain(renderable, width)
    write(out, scrub(text, secrets) + "\n")
    return exit_code(findings)
