"""Every example a user is shown (--help of each mode, the README's shell blocks) is a command amish takes.

Each example is run through the parser of its mode: an option that does not
exist, a value it refuses, a positional too many all fail here instead of in
front of a user. Examples that stop on a goal are checked for the right bound
(issue 10, item 19: `--timeout` is the per-response wait, `--duration` ends a stream).
"""

from __future__ import annotations

import re
import shlex

import pytest

from amish import cli

from conftest import ROOT


def _help_examples():
    for mode, build in [(None, cli.build_parser), *cli.SUBCOMMANDS.items()]:
        parser = build()
        for text in (parser.description or "", parser.epilog or ""):
            for line in text.splitlines():
                if line.strip().startswith("amish "):
                    yield f"--help of amish {mode or ''}".strip(), line.strip()


def _readme_examples():
    in_sh = False
    for n, line in enumerate((ROOT / "README.md").read_text().splitlines(), 1):
        if line.startswith("```"):
            in_sh = line.strip() in ("```sh", "```bash", "```console")
            continue
        if in_sh and line.startswith("amish "):
            yield f"README.md:{n}", line


EXAMPLES = list(_help_examples()) + list(_readme_examples())


def _command(line: str) -> list[str]:
    """The amish command in a shell line: up to a pipe, a redirection, && or a comment."""
    words = shlex.split(line, comments=True)
    out = []
    for w in words[1:]:
        if w in ("|", "&&", "||", ";") or re.match(r"^\d?[<>]", w):
            break
        out.append(w)
    return out


def test_there_are_examples_from_help_and_readme():
    sources = {where.split(":")[0] for where, _ in EXAMPLES}
    assert "README.md" in sources and "--help of amish events" in sources and "--help of amish audit" in sources
    assert len(EXAMPLES) > 25


@pytest.mark.parametrize("where, line", EXAMPLES, ids=[f"{w}: {l[:50]}" for w, l in EXAMPLES])
def test_example_parses(where, line, capsys):
    argv = _command(line)
    mode = argv[0] if argv and argv[0] in cli.SUBCOMMANDS else None
    parser = cli.SUBCOMMANDS[mode]() if mode else cli.build_parser()
    try:
        parser.parse_args(argv[1:] if mode else argv)
    except SystemExit as e:
        if e.code != 0 or not {"--version", "--help", "-h"} & set(argv):
            pytest.fail(f"{where}: {line!r} is refused: {capsys.readouterr().err.strip()}")


@pytest.mark.parametrize("where, line", EXAMPLES, ids=[f"{w}: {l[:50]}" for w, l in EXAMPLES])
def test_a_stream_that_stops_on_a_goal_is_bounded_by_duration(where, line):
    argv = _command(line)
    if argv[:1] == ["events"] and {"--until", "--count", "-n"} & set(argv):
        assert "--timeout" not in argv, f"{where}: --timeout is the per-response wait; a stream is bounded by --duration"
