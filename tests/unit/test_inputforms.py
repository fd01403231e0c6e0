"""One classifier of the input forms; one registry of local commands.

The parser, the highlighter, the completer and Enter all ask
inputforms.classify() which form the text is in; these tables check that they
agree on tricky inputs. Then: every local command is in /help, in completion
with the same wording, has a handler, and is in README's table.
"""

from __future__ import annotations

import re

import pytest
from pygments.token import Comment, Keyword, Name, Whitespace
from rich.console import Console

from amish.core import inputforms as F
from amish.catalogue import Catalogue
from amish.core.commandline import Actions, LocalCommand, parse_input
from amish.core.errors import InputError
from amish.ui.lexer import InputLexer
from amish.shell import localcommands
from amish.shell.completion import LiveValues, complete_text
from amish.shell.session import ShellSession

from conftest import ROOT

# (text, form, what parse_input gives: a LocalCommand, the actions' headers, None, or InputError)
TRICKY = [
    ("Action: Ping", F.TELNET, [[("Action", "Ping")]]),
    ("action:ping", F.TELNET, [[("action", "ping")]]),
    ("  Secret: x", F.TELNET, InputError),  # a header with no Action: the telnet form, refused
    ("  Action: Login\n  Username: a\n  Secret: x", F.TELNET, [[("Action", "Login"), ("Username", "a"), ("Secret", "x")]]),
    ("help: me", F.TELNET, InputError),  # a header called help, not the command
    ("Action: Ping\n\nAction: CoreStatus\n", F.TELNET, [[("Action", "Ping")], [("Action", "CoreStatus")]]),
    ("# a comment first\nAction: Ping\n", F.TELNET, [[("Action", "Ping")]]),
    ("/filter x", F.LOCAL, LocalCommand("filter", "x")),
    ("  /FILTER  Newchannel|Hangup ", F.LOCAL, LocalCommand("filter", "Newchannel|Hangup")),
    ("help", F.LOCAL, LocalCommand("help", "")),
    ("HELP Originate", F.LOCAL, LocalCommand("help", "Originate")),
    ("?", F.LOCAL, LocalCommand("help", "")),
    ("? Ping", F.LOCAL, LocalCommand("help", "Ping")),
    ("exit", F.LOCAL, LocalCommand("exit", "")),
    ("# c\n/filter Hangup", F.LOCAL, LocalCommand("filter", "Hangup")),
    ("!core show channels", F.CLI, [[("Action", "Command"), ("Command", "core show channels")]]),
    ("\n\n  !core show version", F.CLI, [[("Action", "Command"), ("Command", "core show version")]]),
    ("!", F.CLI, InputError),
    ("Originate Channel=PJSIP/1 Context=c Exten=2 Priority=1",
     F.LINE, [[("Action", "Originate"), ("Channel", "PJSIP/1"), ("Context", "c"), ("Exten", "2"), ("Priority", "1")]]),
    ("Ping Channel:=x", F.LINE, [[("Action", "Ping"), ("Channel", "x")]]),
    ("helpme", F.LINE, [[("Action", "helpme")]]),
    ("Ping\nCoreStatus\n# c\nDBGet Family=a Key=b", F.LINE,
     [[("Action", "Ping")], [("Action", "CoreStatus")], [("Action", "DBGet"), ("Family", "a"), ("Key", "b")]]),
    ("1abc: x", F.LINE, InputError),  # a header name starts with a letter: not the telnet form
    ("", F.NOTHING, None),
    ("   \n\t", F.NOTHING, None),
    ("# only a comment", F.NOTHING, None),
    ("  # c\n\n# d\n", F.NOTHING, None),
]
IDS = [repr(t)[:40] for t, _, _ in TRICKY]


@pytest.mark.parametrize("text, form, parsed", TRICKY, ids=IDS)
def test_classify(text, form, parsed):
    assert F.classify(text).kind == form


@pytest.mark.parametrize("text, form, parsed", TRICKY, ids=IDS)
def test_the_parser_reads_the_form_classify_says(text, form, parsed):
    if parsed is InputError:
        with pytest.raises(InputError):
            parse_input(text)
        return
    got = parse_input(text)
    if isinstance(parsed, list):
        assert isinstance(got, Actions)
        assert [m.headers for m in got.messages] == parsed
    else:
        assert got == parsed


def _lexer_form(text: str) -> str:
    """The form the highlighter shows: the token of the first thing that is not space or a comment."""
    for _, token, value in InputLexer().get_tokens_unprocessed(text):
        if token in Whitespace or token in Comment or not value.strip():
            continue
        if token is Keyword.Pseudo:
            return F.LOCAL
        if token is Keyword:
            return F.CLI
        if token is Name.Attribute:
            return F.TELNET  # Key of Key: value (the one-line form starts with its action's name)
        if token is Name.Function:
            return F.LINE
        raise AssertionError(f"first token {token} {value!r}")
    return F.NOTHING


@pytest.mark.parametrize("text, form, parsed", TRICKY, ids=IDS)
def test_the_highlighter_colours_the_form_classify_says(text, form, parsed):
    assert _lexer_form(text) == form


def _completer_form(s: F.Suggestion) -> str | None:
    if s.kind in (F.LOCAL, F.LOCAL_ARG):
        return F.LOCAL
    if s.kind == F.CLI:
        return F.CLI
    if s.kind == F.NOTHING:
        return None  # nothing to offer: several one-line actions, a comment...
    return F.TELNET if s.form == F.TELNET else F.LINE


@pytest.mark.parametrize("text, form, parsed", TRICKY, ids=IDS)
def test_the_completer_completes_in_the_form_classify_says(text, form, parsed):
    got = _completer_form(F.suggest_type(text))
    if not text:
        assert got == F.LINE  # an empty line is where an action's name begins (Tab offers them all)
    elif form == F.TELNET or (form != F.NOTHING and "\n" not in text.strip()):
        assert got == form
    else:
        assert got in (form, None)


@pytest.mark.parametrize("text, form, parsed", TRICKY, ids=IDS)
def test_enter_waits_for_a_blank_line_only_in_the_telnet_form(text, form, parsed):
    assert ShellSession.wants_more_lines(text) is (form == F.TELNET and text.rsplit("\n", 1)[-1].strip() != "")


def test_the_telnet_line_is_the_action_files():
    from amish.core import actionfile, commandline
    from amish.ui import lexer

    assert actionfile.TELNET_LINE is F.TELNET_LINE is commandline._TELNET is lexer._TELNET
    assert commandline.BARE_LOCAL is F.BARE_LOCAL is lexer._BARE_LOCAL


# -- the registry of local commands ----------------------------------------------------


class FakeSession:
    """What a handler may call, recorded."""

    def __init__(self):
        self.calls: list[tuple] = []
        self.catalogue = Catalogue.bundled()
        self.raw_view = False
        self.filter_text = ""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *a: self.calls.append((name, *a))

    def key_help(self):
        return [("F1", "help for the action typed")]


def _render(renderable) -> str:
    console = Console(width=400, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_every_command_has_a_handler_and_a_one_line_help():
    for command in localcommands.COMMANDS.values():
        assert callable(command.handler), command.name
        assert command.help and "\n" not in command.help, command.name
        assert command.usage.startswith("/" + command.name)


def test_every_command_is_in_help_and_in_completion_with_the_same_wording():
    shown = _render(localcommands.general_help(FakeSession()))
    _, offered = complete_text(Catalogue.bundled(), LiveValues(), "/")
    by_display = {display: meta for _, display, meta in offered}
    assert set(by_display) == {"/" + n for n in localcommands.COMMANDS}
    for command in localcommands.COMMANDS.values():
        assert re.search(rf"^{re.escape(command.usage)} +{re.escape(command.help)} *$", shown, re.M), command.name
        assert by_display["/" + command.name] == command.help


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("### Local commands", 1)[1].split("\n#", 1)[0]
    return re.findall(r"^\| `/(\w+)", section, re.M)


def test_readme_lists_exactly_the_registered_commands():
    assert sorted(_readme_commands()) == sorted(localcommands.COMMANDS)


DISPATCH = [
    ("raw", "", lambda s: s.raw_view is True),
    ("clear", "", lambda s: s.calls == [("clear_transcript",)]),
    ("clear", "events", lambda s: s.calls == [("clear_events",)]),
    ("pause", "", lambda s: s.calls == [("toggle_pause",)]),
    ("events", "", lambda s: s.calls == [("ask_for_events", "on")]),
    ("events", " system,call ", lambda s: s.calls == [("ask_for_events", "system,call")]),
    ("serverfilter", "", lambda s: s.calls == [("push_filter_to_server",)]),
    ("reconnect", "", lambda s: s.calls == [("request_reconnect",)]),
    ("quit", "", lambda s: s.calls == [("exit",)]),
    ("exit", "", lambda s: s.calls == [("exit",)]),
    ("EXIT", "", lambda s: s.calls == [("exit",)]),
    ("keys", "", lambda s: [c[0] for c in s.calls] == ["show_renderable"] and "F1" in _render(s.calls[0][1])),
    ("help", "", lambda s: [c[0] for c in s.calls] == ["show_renderable"] and "/serverfilter" in _render(s.calls[0][1])),
    ("help", "exit", lambda s: s.calls == [("note", "/quit: " + localcommands.COMMANDS["quit"].help)]),
    ("help", "/save", lambda s: s.calls == [("note", "/save FILE: " + localcommands.COMMANDS["save"].help)]),
    ("save", "", lambda s: s.calls == [("error", "/save needs a file name")]),
    ("quitt", "", lambda s: s.calls == [("error", "unknown command /quitt; did you mean /quit?")]),
    ("zzz", "", lambda s: s.calls == [("error", "unknown command /zzz; /help lists them")]),
]


@pytest.mark.parametrize("name, args, check", DISPATCH, ids=[f"{n} {a}" for n, a, _ in DISPATCH])
def test_dispatch_runs_the_registered_handler(name, args, check):
    session = FakeSession()
    localcommands.run(session, name, args)
    assert check(session), session.calls


def test_the_session_dispatches_through_the_registry():
    """No _cmd_<name> methods found by name; every method a handler calls exists in both front ends."""
    from amish.shell.app import Shell
    from amish.shell.linemode import LineShell

    for front_end in (Shell, LineShell):
        assert not [n for n in dir(front_end) if n.startswith("_cmd_")]
        for command in localcommands.COMMANDS.values():
            for method in re.findall(r"session\.(\w+)\(", _source(command.handler)):
                assert callable(getattr(front_end, method, None)), (front_end.__name__, command.name, method)


def _source(fn) -> str:
    import inspect

    return inspect.getsource(fn)
