"""What the audit says: findings, their severities, the exit code they make, and the ones accepted.

A finding never holds a secret: it says "shorter than 12 characters" or "a
common password", never the value nor its length.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Iterable, Sequence

from ..core.errors import EXIT_OK, InputError

__all__ = [
    "SEVERITIES",
    "RANK",
    "EXIT_BY_SEVERITY",
    "EXIT_CODES_HELP",
    "Finding",
    "sort_findings",
    "worst",
    "exit_code",
    "parse_ignores",
    "split_ignored",
]

#: Most severe first.
SEVERITIES = ("critical", "high", "medium", "low", "info")
RANK = {s: i for i, s in enumerate(reversed(SEVERITIES))}  # info 0 ... critical 4

#: The exit code of `amish audit` by its worst finding (info or nothing: 0).
#: Above amish's own codes (1 action error, 2 connection, 3 timeout, 4 bad input).
EXIT_BY_SEVERITY = {"low": 10, "medium": 11, "high": 12, "critical": 13}

EXIT_CODES_HELP = (
    "exit codes: 0 no findings (or info only), 10 worst finding low, 11 medium, 12 high, 13 critical;\n"
    "2 connection/TLS/login failure, 3 timeout, 4 bad input, 74 an output could not be written,\n"
    "129/143 ended by SIGHUP/SIGTERM. Ignored findings (--ignore) do not count."
)


@dataclass(frozen=True)
class Finding:
    severity: str
    check: str  # e.g. "user.write": what --ignore names
    message: str  # what is wrong, and why it matters
    fix: tuple[str, ...] = ()  # key=value lines to set in `section` of `file`
    file: str | None = None  # "manager.conf", "http.conf", or None (the connection, the server)
    section: str | None = None
    current: str | None = None  # what is set now, e.g. "write=all" or "allowmultiplelogin not set (default yes)"

    @property
    def where(self) -> str:
        if self.file and self.section:
            return f"{self.file} [{self.section}]"
        return self.file or self.section or "connection"

    def to_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "check": self.check,
            "file": self.file,
            "section": self.section,
            "current": self.current,
            "message": self.message,
            "fix": list(self.fix),
        }


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: -RANK[f.severity])


def worst(findings: Iterable[Finding]) -> str | None:
    best = None
    for f in findings:
        if best is None or RANK[f.severity] > RANK[best]:
            best = f.severity
    return best


def exit_code(findings: Iterable[Finding]) -> int:
    """0 for nothing or info only; else EXIT_BY_SEVERITY of the worst."""
    w = worst(findings)
    return EXIT_BY_SEVERITY.get(w or "info", EXIT_OK)


def parse_ignores(values: Iterable[str]) -> list[tuple[str, str | None]]:
    """--ignore CHECK[:SECTION] (globs allowed) -> [(check, section or None)]."""
    out = []
    for value in values:
        check, sep, section = value.partition(":")
        check = check.strip()
        if not check or (sep and not section.strip()):
            raise InputError(f"--ignore takes CHECK or CHECK:SECTION (e.g. user.write:admin), not {value!r}")
        out.append((check, section.strip() if sep else None))
    return out


def split_ignored(findings: Iterable[Finding], ignores: Sequence[tuple[str, str | None]]) -> tuple[list[Finding], list[Finding]]:
    kept, ignored = [], []
    for f in findings:
        hit = any(
            fnmatch.fnmatchcase(f.check, check) and (section is None or (f.section is not None and fnmatch.fnmatchcase(f.section, section)))
            for check, section in ignores
        )
        (ignored if hit else kept).append(f)
    return kept, ignored
