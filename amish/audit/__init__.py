"""`amish audit`: check a server's AMI exposure against best practice.

Two halves. The checks are pure functions over what was gathered, so each
rule can be tested as a table of config dicts -> findings; gathering is the
only part that talks to the server. One module per reason to change:

| module | what it is |
| --- | --- |
| `findings` | `Finding`, the severities, the exit code by the worst one, `--ignore` |
| `facts` | `Target`, `Facts`: what the checks look at |
| `network` | addresses (loopback, private, public, any) and ACLs (deny/permit) as Asterisk reads them |
| `configs` | manager.conf / http.conf: any config shape to one, the values that count, the listeners |
| `checks` | the rules: `check_manager`, `check_connection`, `check_commands`, `check_server`; `audit(facts)` runs them |
| `gather` | `gather(conn, ...)`: GetConfig of manager.conf and http.conf, ListCommands, CoreSettings, CoreStatus, an MD5 Challenge |
| `probe` | the live look at AMI over HTTP: does `/rawman` answer on each listener http.conf names |
| `report` | the JSON report, the pretty one, and the scrubbing of secrets from both |
| `command` | `run_audit_command`: the command line |

A config is ``{section: {key: value}}`` (a value may be a list for a repeated
key such as permit) or ``{section: [(key, value), ...]}`` when the order of
deny/permit lines matters. GetConfig answers are read by `core.getconfig`.
Secrets are never copied into a finding: a finding says "shorter than 12
characters" or "a common password", never the value nor its length.
"""

from __future__ import annotations

from ..core.getconfig import parse_getconfig
from .checks import audit, check_commands, check_connection, check_http_live, check_manager, check_server
from .command import run_audit_command
from .configs import normalize
from .facts import Facts, Probe, Target
from .findings import EXIT_BY_SEVERITY, EXIT_CODES_HELP, SEVERITIES, Finding, exit_code, parse_ignores, split_ignored
from .gather import gather
from .network import classify_address
from .report import render_pretty, report_dict

__all__ = [
    "SEVERITIES",
    "EXIT_BY_SEVERITY",
    "EXIT_CODES_HELP",
    "Finding",
    "Target",
    "Facts",
    "Probe",
    "normalize",
    "parse_getconfig",
    "classify_address",
    "check_manager",
    "check_connection",
    "check_commands",
    "check_server",
    "check_http_live",
    "audit",
    "exit_code",
    "parse_ignores",
    "split_ignored",
    "gather",
    "report_dict",
    "render_pretty",
    "run_audit_command",
]
