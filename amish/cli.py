"""The `amish` command line: the options and which mode to run (the connection is amish.runtime.session's).

    amish [options] [HOST [PORT]]           the shell (a terminal) or the pipe tool (-f, stdin)
    amish events [options] [HOST [PORT]]    stream events to stdout
    amish raw [options] [HOST [PORT]]       telnet-like: lines go out as typed
    amish replay [options] FILE             open a recording or AMI dump, no server
    amish audit [options] [HOST [PORT]]     check the server's AMI exposure against best practice

Every AmishError becomes one line on stderr and its exit code; no traceback
reaches a user (set AMISH_DEBUG=1 to see one). Bad options exit 4, like any
bad input, so that 2 always means "could not talk to Asterisk"; an output that
cannot be written exits 74. SIGTERM and SIGHUP end every mode as Ctrl-C does
(every `finally` runs: log off, flush), with 143 and 129.
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import sys
TYPE_CHECKING = False  # typing itself costs 3 ms of every start-up
if TYPE_CHECKING:  # pragma: no cover
    from typing import Callable

from . import __version__

# The modes, and what only some commands need, are imported inside the functions that
# run them: `amish --help`, `--version` and each mode load only their own (bench/startup.py).
from .core.errors import EXIT_INPUT, EXIT_OUTPUT, AmishError, AuthenticationError, InputError, OutputError, Terminated
from .runtime.output import flush

EXIT_CODES = """\
exit codes: 0 all actions succeeded, 1 some action answered Error,
2 connection/TLS/login failure, 3 timeout, 4 bad input, 74 an output could not be written,
129/143 ended by SIGHUP/SIGTERM. On a fleet, the worst server's: 2, then 3, then 1.
The secret comes from AMISH_SECRET, the profile's secret_command or secret, or a prompt
(--secret works but is visible in ps). Profiles: amish --example-config."""

FORMATS = ("pretty", "raw", "json")
EVENT_FORMATS = ("pretty", "raw", "jsonl")


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad option is bad input (one line, exit 4), and an optional value is attached.

    An option whose value may be left out (``--trace`` or ``--trace=FILE``) never
    takes the next word as its value: ``amish --trace pbx`` traces the session
    with pbx, it does not write a trace file called pbx and connect to 127.0.0.1.
    The value goes after an ``=``, so no ordering of options and positionals can
    change the server silently.
    """

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_INPUT, f"{self.prog}: {message} (--help for usage)\n")

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        args = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(attach_optional_values(self, args), namespace)

    def parse_args(self, args=None, namespace=None):  # type: ignore[override]
        # positionals may sit on either side of options: amish pbx --tls 5039
        return self.parse_intermixed_args(args, namespace)


def attach_optional_values(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """`argv` with every bare option of optional value (``--trace``) given its default value attached.

    argparse would take the next word as the value (nargs="?"); writing the
    option as ``--trace=-`` keeps that word a positional. Abbreviations argparse
    accepts (``--tra``) count too; nothing after ``--`` is touched.
    """
    optional = {
        s: action for action in parser._actions if action.nargs == "?" and action.option_strings
        for s in action.option_strings
    }
    if not optional:
        return argv
    out = []
    for i, word in enumerate(argv):
        if word == "--":
            return out + argv[i:]
        action = optional.get(word)
        if action is None and word.startswith("--") and "=" not in word and len(word) > 3:
            matches = {a for s, a in optional.items() if s.startswith(word)}
            longs = [s for a in parser._actions for s in a.option_strings if s.startswith(word)]
            if len(matches) == 1 and all(optional.get(s) in matches for s in longs):
                action = matches.pop()
        if action is not None:
            long = next((s for s in action.option_strings if s.startswith("--")), None)
            if long is not None:  # every such option has one (tests/asterisk/test_cli.py)
                word = f"{long}={action.const}"
        out.append(word)
    return out


def _number(kind: type, low: float, high: float | None, *, low_ok: bool = True, unit: str = ""):
    """An argparse type= for a finite number in [low, high] (or (low, high] without `low_ok`; no high: no bound).

    A bad value is refused while the options are read (exit 4), with the range
    allowed, so that a nan, inf or negative timeout never reaches the network.
    """
    what = "an integer" if kind is int else "a number"
    if unit:
        what += f" of {unit}"

    def shown(x: float) -> str:
        return str(int(x)) if x == int(x) else f"{x:g}"

    if high is None:
        allowed = f"{what} of at least {shown(low)}"
    elif low_ok:
        allowed = f"{what} from {shown(low)} to {shown(high)}"
    else:
        allowed = f"{what} above {shown(low)}, at most {shown(high)}"
    top = float("inf") if high is None else high

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or value != value or not (low <= value <= top) or (not low_ok and value == low):
            raise argparse.ArgumentTypeError(f"{text!r} is not {allowed}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in some messages
    return parse


DAY = 86_400.0
_SCROLLBACK = _number(int, 1, 1_000_000)
_SECONDS = _number(float, 0, DAY, low_ok=False, unit="seconds")  # a timeout: 0 or less would never wait


def _terminal_width() -> int:
    """What argparse would ask shutil for (COLUMNS, else the terminal, else 80), without importing shutil."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return (columns or 80) - 2


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Shows an optional value as it must be written: ``--trace[=FILE]``."""

    def _format_action_invocation(self, action):
        if action.nargs == "?" and action.option_strings:
            metavar = self._get_default_metavar_for_optional(action)
            return ", ".join(f"{s}[={action.metavar or metavar}]" for s in action.option_strings)
        return super()._format_action_invocation(action)

    def _format_usage(self, usage, actions, groups, prefix):
        text = super()._format_usage(usage, actions, groups, prefix)
        for action in actions:
            if action.nargs == "?" and action.option_strings:
                metavar = action.metavar or self._get_default_metavar_for_optional(action)
                for s in action.option_strings:
                    text = text.replace(f"{s} [{metavar}]", f"{s}[={metavar}]")
        return text


def _formatter(prog):
    return _Formatter(prog, max_help_position=30, width=_terminal_width())


def add_connection_options(p: argparse.ArgumentParser, *, positional: bool = True) -> None:
    if positional:
        p.add_argument("host", nargs="?",
                       help="Asterisk host (default 127.0.0.1), or ami://user@host:port (amis:// for TLS), "
                            "or http://user@host:8088/prefix (https://) for AMI over HTTP")
        p.add_argument("port", nargs="?", help="AMI port (default 5038, or 5039 with --tls; 8088/8089 for http:// and https://)")
    c = p.add_argument_group("connection")
    c.add_argument("-H", "--host", dest="host_opt", metavar="HOST", action="append",
                   help="Asterisk host, or ami://user@host:port; more than once: a fleet")
    c.add_argument("-p", "--port", dest="port_opt", metavar="PORT", help="AMI port")
    c.add_argument("--profile", metavar="NAME", action="append",
                   help="fill in what the command line leaves out from [profiles.NAME] of the config file; "
                   "more than once: a fleet")
    c.add_argument("--group", metavar="NAME", action="append",
                   help="a fleet: every profile of [groups] NAME in the config file (repeatable)")
    c.add_argument("-u", "--user", help="AMI user (manager.conf section); default $AMISH_USER, then the profile's")
    c.add_argument("--secret", help="the AMI secret (visible in ps: prefer AMISH_SECRET, a secret_command or the prompt)")
    c.add_argument("--auth", choices=("md5", "plain"), default=None, help="login by MD5 challenge (default) or plain secret")
    c.add_argument("--events", default=None, metavar="MASK",
                   help="the login's Events header: on, off, or classes such as system,call")
    c.add_argument("--connect-timeout", type=_SECONDS, default=5.0, metavar="S", help="seconds to connect and get the banner (default 5)")
    c.add_argument("--timeout", type=_SECONDS, default=10.0, metavar="S", help="seconds to wait for each response (default 10)")
    t = p.add_argument_group("TLS")
    t.add_argument("--tls", action="store_true", default=None, help="connect with TLS (default port 5039)")
    t.add_argument("--cafile", metavar="FILE", help="CA certificates to verify the server with (PEM)")
    t.add_argument("--cert", metavar="FILE", help="client certificate (PEM)")
    t.add_argument("--key", dest="keyfile", metavar="FILE", help="client certificate's private key (PEM)")
    t.add_argument("--insecure", action="store_true", default=None, help="do not verify the server's certificate")
    r = p.add_argument_group("safety and staying connected")
    r.add_argument("--read-only", action="store_true", default=False,
                   help="send only actions on amish's list of read-only ones (statuses, lists, show commands...); "
                   "refuse the rest, in every mode")
    conf = r.add_mutually_exclusive_group()
    conf.add_argument("--confirm", dest="confirm", action="store_true", default=None,
                      help="ask before actions that hang up, move calls, reload or write config (the shell's default; "
                      "for action files it asks on the terminal)")
    conf.add_argument("--no-confirm", dest="confirm", action="store_false", help="never ask")
    r.add_argument("--keepalive", type=_number(float, 1, DAY, unit="seconds"), default=None, metavar="S",
                   help="Ping after S seconds of silence; no answer within S means the peer is dead")
    r.add_argument("--no-reconnect", action="store_true", help="end instead of reconnecting when the connection drops")
    r.add_argument("--boot-timeout", type=_number(float, 0, DAY, unit="seconds"), default=30.0, metavar="S",
                   help="after login, wait up to S seconds for Asterisk to say FullyBooted (default 30; 0: don't wait)")
    d = p.add_argument_group("debugging")
    d.add_argument("--trace", nargs="?", const="-", metavar="FILE",
                   help="show every byte on the wire, both ways, secrets masked: to stderr, or with "
                   "--trace=FILE to FILE (the next word is never taken for the file)")
    d.add_argument("--record", metavar="FILE", help="record the session (both ways, timestamps, secrets masked) for amish replay")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="amish",
        description="The Asterisk Manager Interface shell. On a terminal: an interactive shell. "
        "With -f FILE or a pipe: send the actions and print the responses.\n\n"
        "Other modes: amish events | calls | raw | replay | audit (amish MODE --help).",
        epilog=EXIT_CODES,
        formatter_class=_formatter,
    )
    add_connection_options(p)
    b = p.add_argument_group("actions from a file or a pipe")
    b.add_argument("-f", "--file", metavar="FILE", help="read actions from FILE ('-' for stdin)")
    b.add_argument("--format", choices=FORMATS, default=None,
                   help="pretty (default on a terminal), raw (the AMI text as received; default otherwise), json (one object per action)")
    b.add_argument("--var", action="append", default=[], metavar="NAME=VALUE", help="set ${NAME} in the action file (repeatable; the environment is used too)")
    b.add_argument("--pipeline", action="store_true", help="send every action at once, then print the results in input order")
    stop = b.add_mutually_exclusive_group()
    stop.add_argument("--keep-going", dest="stop_on_error", action="store_false", default=False, help="run every action even after an Error (default)")
    stop.add_argument("--stop-on-error", dest="stop_on_error", action="store_true", help="stop at the first action that answers Error")
    b.add_argument("--wait-originate", action="store_true",
                   help="an async Originate waits for its OriginateResponse and reports the call's outcome")
    b.add_argument("--originate-timeout", type=_SECONDS, default=30.0, metavar="S",
                   help="seconds --wait-originate waits for the call's outcome (default 30)")
    b.add_argument("--parallel", type=_number(int, 1, 1000), default=None, metavar="N",
                   help="on a fleet: at most N servers at once (default 10)")
    b.add_argument("--output-dir", metavar="DIR",
                   help="on a fleet: each server's output in a file of its own in DIR, not on stdout")
    s = p.add_argument_group("the interactive shell")
    s.add_argument("--line", action="store_true", help="line mode: print above a plain prompt instead of the full-screen view")
    s.add_argument("--filter", default="", metavar="EXPR", help="start with this event filter, e.g. 'Newchannel|Hangup'")
    s.add_argument("--scrollback", type=_SCROLLBACK, default=10_000, metavar="N", help="event lines kept in the events pane (default 10000)")
    s.add_argument("--keep-calls", type=_number(int, 0, 10_000_000), default=1000, metavar="N",
                   help="ended calls kept for the Calls view (default 1000; the oldest go first)")
    p.add_argument("--completions", choices=("bash", "zsh", "fish"), metavar="SHELL", help="print the completion script for bash, zsh or fish")
    p.add_argument("--example-config", action="store_true", help="print a commented example config file (profiles, secrets)")
    p.add_argument("--version", action="version", version=f"amish {__version__}")
    return p


def build_events_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="amish events",
        description="Stream the server's events to stdout, filtered.\n\n"
        "  amish events -u admin --filter 'Newchannel|Hangup Channel=PJSIP/*' pbx\n"
        "  amish events -u admin --until FullyBooted --duration 60 --format jsonl pbx",
        epilog="exit codes: 0 done (count reached, --until seen, end of --duration without a goal, the reader "
        "of the pipe gone), 2 connection lost or failed, 3 --duration ran out before --count/--until, 4 bad input, "
        "74 an output could not be written, 130 Ctrl-C, 129/143 ended by SIGHUP/SIGTERM.",
        formatter_class=_formatter,
    )
    add_connection_options(p)
    e = p.add_argument_group("events")
    e.add_argument("--filter", "-e", default="", metavar="EXPR", help="only events matching EXPR (the shell's filter language)")
    e.add_argument("--format", choices=EVENT_FORMATS, default=None, help="pretty (default on a terminal), raw (AMI text; default otherwise), jsonl")
    e.add_argument("--count", "-n", type=_number(int, 1, None), default=None, metavar="N", help="stop after N matching events")
    e.add_argument("--until", default=None, metavar="EVENT", help="stop after the first matching event of this name")
    e.add_argument("--duration", "--for", dest="duration", default=None, metavar="S",
                   type=_number(float, 0, 366 * DAY, low_ok=False, unit="seconds"),
                   help="stop after S seconds (with --count/--until: give up, exit 3)")
    return p


def build_raw_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="amish raw",
        description="Like 'telnet HOST 5038': each line goes out as typed (CRLF added), a blank line ends an "
        "action, and everything the server sends is printed as it arrives. With -u, amish logs in first; "
        "without, type the Login yourself (the secret is masked on screen and kept out of history).",
        formatter_class=_formatter,
    )
    add_connection_options(p)
    return p


def build_replay_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="amish replay",
        description="Open a recording (--record), or a plain AMI dump (telnet/tcpflow text, ngrep -W byline output), "
        "in the shell without a server: events pane, filters, search and transcript work on it.",
        formatter_class=_formatter,
    )
    p.add_argument("file", help="the recording or dump")
    p.add_argument("--speed", type=_number(float, 0, 1_000_000), default=1.0, metavar="X",
                   help="1 = as recorded (default), 10 = ten times faster, 0 = all at once")
    p.add_argument("--line", action="store_true", help="line mode instead of the full-screen view")
    p.add_argument("--filter", default="", metavar="EXPR", help="start with this event filter")
    p.add_argument("--scrollback", type=_SCROLLBACK, default=10_000, metavar="N", help="event lines kept in the events pane")
    p.add_argument("--keep-calls", type=_number(int, 0, 10_000_000), default=1000, metavar="N",
                   help="ended calls kept for the Calls view (default 1000)")
    return p


def build_audit_parser() -> argparse.ArgumentParser:
    from .audit import EXIT_CODES_HELP

    p = _Parser(
        prog="amish audit",
        description="Check the server's AMI exposure against best practice: manager.conf and http.conf "
        "(GetConfig, when this account may), the connection itself (TLS, MD5 challenge, port, peer address), "
        "ListCommands and CoreSettings. Each finding has a severity and the line to set; secrets are never shown.\n\n"
        "  amish audit -u admin pbx\n"
        "  amish audit -u admin --format json --ignore user.write:admin 127.0.0.1",
        epilog=EXIT_CODES_HELP,
        formatter_class=_formatter,
    )
    add_connection_options(p)
    a = p.add_argument_group("audit")
    a.add_argument("--format", choices=("pretty", "json"), default="pretty",
                   help="pretty (a table; plain text when not a terminal) or json (one object with the findings)")
    a.add_argument("--ignore", action="append", default=[], metavar="CHECK[:SECTION]",
                   help="accept a known finding, e.g. user.write:admin (globs allowed; repeatable): shown as ignored, not counted")
    return p


def build_calls_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="amish calls",
        description="Print each call when it ends (from, to, duration, billsec, dials, transfers, cause), "
        "the calls in progress (--live), or the calls in a recording or dump (--from FILE, offline).\n\n"
        "  amish calls -u admin --format jsonl pbx\n"
        "  amish calls -u admin --live pbx\n"
        "  amish calls --from capture.ami --filter 'DialStatus=BUSY'",
        epilog="exit codes: 0 done (count reached, end of the file, the reader of the pipe gone), 2 connection "
        "lost or failed, 4 bad input (a bad filter, an unreadable file), 74 an output could not be written, "
        "130 Ctrl-C, 129/143 ended by SIGHUP/SIGTERM.",
        formatter_class=_formatter,
    )
    add_connection_options(p)
    c = p.add_argument_group("calls")
    c.add_argument("--format", choices=("pretty", "jsonl"), default=None,
                   help="pretty (one line per call; default on a terminal) or jsonl (one JSON object per call)")
    c.add_argument("--filter", "-e", default="", metavar="EXPR",
                   help="only calls with an event matching EXPR (the shell's filter language)")
    c.add_argument("--count", "-n", type=_number(int, 1, None), default=None, metavar="N", help="stop after N calls")
    c.add_argument("--live", action="store_true", help="print the table of calls in progress once and exit")
    c.add_argument("--from", dest="from_file", default=None, metavar="FILE",
                   help="read a recording (--record), a plain AMI dump or an ngrep dump instead of connecting")
    c.add_argument("--keep", type=_number(int, 0, 10_000_000), default=1000, metavar="N",
                   help="ended calls kept in memory (default 1000)")
    return p


SUBCOMMANDS: dict[str, Callable[[], argparse.ArgumentParser]] = {
    "events": build_events_parser,
    "raw": build_raw_parser,
    "replay": build_replay_parser,
    "audit": build_audit_parser,
    "calls": build_calls_parser,
}


# -- connecting -------------------------------------------------------------------


def settings(args: argparse.Namespace):
    """The connection settings: the command line, then the environment, the profile, the defaults.

    Resolved once (amish.runtime.config.resolve) and kept on args.settings; the resolved
    values are also written back to args (user, tls, cafile...), as if they had
    been typed. The modes read them through `options(args)`.
    """
    given = vars(args)
    resolved = given.get("settings")
    if resolved is None:
        from .runtime.config import load_config, resolve

        resolved = resolve(args, load_config())
        args.settings = resolved
        for name in ("user", "tls", "cafile", "cert", "keyfile", "insecure", "auth", "events"):
            setattr(args, name, getattr(resolved, name))
        if "filter" in given:
            args.filter = resolved.filter
        if resolved.read_only or "read_only" not in given:
            args.read_only = resolved.read_only
        if resolved.confirm is not None:
            args.confirm = resolved.confirm  # else the mode's own default
        if resolved.theme == "none":
            os.environ["NO_COLOR"] = "1"  # what the shell and the renderers honour
    return resolved


def endpoint(args: argparse.Namespace) -> tuple[str, int]:
    s = settings(args)
    return s.host, s.port


def options(args: argparse.Namespace, *, connects: bool = True):
    """The typed options of a mode (amish.runtime.options.Options): the command line and, when it connects, the config."""
    from .runtime.options import Options

    return Options.from_args(args, settings(args) if connects else None)


# -- main -------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if sys.stdout is None:  # started with stdout closed (>&-): every mode writes there
        _say("amish: cannot write stdout: it is closed")
        return EXIT_OUTPUT
    if sys.stdin is None:  # started with stdin closed (<&-): an empty input, as </dev/null
        sys.stdin = open(os.devnull, encoding="utf-8")
    if argv == ["--version"]:  # answered before any parser is built: scripts call it a lot
        print(f"amish {__version__}")
        return 0
    mode = argv[0] if argv and argv[0] in SUBCOMMANDS else None
    parser = SUBCOMMANDS[mode]() if mode else build_parser()
    args = parser.parse_args(argv[1:] if mode else argv)
    previous = _trap_signals()
    sys.unraisablehook = _interrupt_again
    try:
        code = _dispatch(mode, args)
        flush(sys.stdout)  # what print() buffered: a full disk is said now, not lost at exit
        return code
    except AmishError as e:
        _say(f"amish: {e}")
        if isinstance(e, OutputError):
            _quiet_broken_pipe()  # what is still buffered would fail again at exit
        return e.exit_code
    except Terminated as e:
        _say(f"amish: {e}")
        return e.exit_code
    except KeyboardInterrupt:
        _say("amish: interrupted")
        return 130
    except BrokenPipeError:
        _quiet_broken_pipe()
        return 0
    except Exception as e:  # the last line of defence: one line, no traceback
        from .core.protocol import HeaderError

        if isinstance(e, HeaderError):  # a value with CR/LF that no check before caught: still bad input
            _say(f"amish: {e}")
            return EXIT_INPUT
        if isinstance(e, OSError) and e.errno in _WRITE_ERRNOS:
            _say(f"amish: I/O error: {e.strerror}")
            _quiet_broken_pipe()
            return EXIT_OUTPUT
        if os.environ.get("AMISH_DEBUG"):
            raise
        _say(f"amish: internal error: {type(e).__name__}: {e} (AMISH_DEBUG=1 shows the traceback)")
        return 70
    finally:
        _restore_signals(previous)


_WRITE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO)


def _dispatch(mode: str | None, args: argparse.Namespace) -> int:
    if mode == "replay":
        return _replay(args)
    if mode is None and args.completions:
        from .completion_scripts import completion_script

        sys.stdout.write(completion_script(args.completions, main=build_parser, subcommands=SUBCOMMANDS))
        return 0
    if mode is None and args.example_config:
        from .runtime.config import example_config

        sys.stdout.write(example_config())
        return 0
    if mode == "calls" and args.from_file:
        from .calls import run_calls_command

        return run_calls_command(args, None)
    from .runtime.config import is_fleet

    if is_fleet(args):
        return _fleet(mode, args)
    if mode is None and (args.parallel is not None or args.output_dir is not None):
        raise InputError(f"{'--parallel' if args.parallel is not None else '--output-dir'} is for a fleet: "
                         "give several --profile, a --group or several -H")
    opts = options(args)  # a mode that connects: the profile fills in the options before the mode reads them
    if mode == "events":
        from .events import run_events_command

        return run_events_command(args, opts)
    if mode == "calls":
        from .calls import run_calls_command

        return run_calls_command(args, opts)
    if mode == "raw":
        from .raw import run_raw_command

        return run_raw_command(opts)
    if mode == "audit":
        from .audit import run_audit_command

        return run_audit_command(args, opts)
    return _run(args, opts)


def fleet_members(args: argparse.Namespace) -> list:
    """The fleet the command line names: one runtime.fleet.Member (a name and its Options) per server."""
    from .runtime.config import load_config, resolve_fleet
    from .runtime.fleet import Member
    from .runtime.options import Options

    return [Member(name, Options.from_args(args, s)) for name, s in resolve_fleet(args, load_config())]


def _fleet(mode: str | None, args: argparse.Namespace) -> int:
    """A mode on a fleet: the pipe tool, amish events and amish calls take one; the others say so before connecting."""
    if getattr(args, "record", None):
        raise InputError("--record on a fleet: record one server at a time")
    if mode == "events":
        from .events import run_fleet_events

        return run_fleet_events(args, fleet_members(args))
    if mode == "calls":
        from .calls import run_fleet_calls

        return run_fleet_calls(args, fleet_members(args))
    if mode is not None:
        raise InputError(f"amish {mode} takes one server, not a fleet: use the shell, an action file (-f) or a pipe, "
                         "amish events or amish calls")
    if args.file is None and sys.stdin.isatty():
        return _fleet_shell(args)
    from .core.actionfile import parse_actions
    from .pipe import run_fleet
    from .runtime.fleet import DEFAULT_PARALLEL

    members = fleet_members(args)  # every target resolved (a bad profile or group said) before the input is read
    text, source = _read_input(args)
    try:
        blocks = parse_actions(text, source, variables=_variables(args), environ=os.environ)
    except InputError as e:
        from .core.secrets import mask_error

        raise InputError(mask_error(str(e), text)) from None
    if blocks and blocks[0].name.lower() == "login":
        raise InputError(f"{source}:{blocks[0].line}: a Login in the input on a fleet: give -u (each server "
                         "logs in with its own secret)")
    return run_fleet(
        members,
        blocks,
        events_default="system,call" if args.wait_originate else "system",
        fmt=args.format or ("pretty" if sys.stdout.isatty() else "raw"),
        source=source,
        parallel=args.parallel or DEFAULT_PARALLEL,
        output_dir=args.output_dir,
        timeout=args.timeout,
        pipeline=args.pipeline,
        stop_on_error=args.stop_on_error,
        wait_originate=args.originate_timeout if args.wait_originate else None,
    )


def _fleet_shell(args: argparse.Namespace) -> int:
    """The shell on a fleet: every server connected at once (runtime.fleet.FleetTransport), then the shell."""
    from .core.errors import ConnectError
    from .runtime.fleet import DEFAULT_PARALLEL, FleetTransport, close_all, open_sessions
    from .runtime.session import Session
    from .shell import run_repl

    members = fleet_members(args)
    if any(m.opts.trace == "-" for m in members):
        raise InputError("--trace without a FILE writes to stderr, which would garble the shell's screen: "
                         "give a file (--trace=wire.log) and follow it with tail -f")
    # a member whose secret_command failed has its AmishError for a session: that server is gone, not the fleet
    sessions: dict = {m.name: s for m, s in open_sessions(members, "on")}
    try:
        fleet = FleetTransport(members, sessions, reconnect=all(m.opts.reconnect for m in members))
        try:
            fleet.open(args.parallel or DEFAULT_PARALLEL)
            if not fleet.members_connected() and all(s == "gone" for s in fleet.states.values()):
                raise ConnectError("no server of the fleet could be reached (and none is retried)")
            return run_repl(fleet, fleet.members[fleet.current].opts, fleet=fleet)
        finally:
            fleet.close()
    finally:
        close_all([s for s in sessions.values() if isinstance(s, Session)])


def _say(line: str) -> None:
    """One line on stderr, if there is a stderr to write to."""
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError, AttributeError):
        pass


def _interrupt_again(unraisable) -> None:
    """A Ctrl-C that lands where Python cannot raise it (a callback of the import machinery while a mode
    starts) is printed as "Exception ignored ... Traceback" and lost. Deliver it again instead: it is
    raised at the next point that can, and ends amish as any Ctrl-C does (one line, exit 130)."""
    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        import _thread

        _thread.interrupt_main()
        return
    sys.__unraisablehook__(unraisable)


def _trap_signals() -> dict:
    """SIGTERM and SIGHUP end amish as Ctrl-C does: every `finally` runs (log off, flush the trace
    and the recording), then one line and exit 128+signal (143, 129). A second one ends at once."""
    said = {signal.SIGTERM: "terminated", signal.SIGHUP: "hung up"}

    def ended(signum, frame):
        for sig in said:
            signal.signal(sig, signal.SIG_DFL)
        ending = Terminated(signum, said[signum])
        if not _end_app(ending):
            raise ending

    previous = {}
    for sig in said:
        try:
            previous[sig] = signal.signal(sig, ended)
        except ValueError:  # not the main thread (amish used as a library): leave signals alone
            pass
    return previous


def _end_app(ending: BaseException) -> bool:
    """A prompt_toolkit application is running (the shell, line mode, raw mode): end it as quitting does.

    Raised in the middle of one of its callbacks, the exception would skip the
    application's own clean-up (the terminal left in the full screen); handed
    to `exit`, the application restores the terminal and then raises it.
    """
    if "prompt_toolkit" not in sys.modules:
        return False
    from prompt_toolkit.application.current import get_app_or_none

    app = get_app_or_none()
    loop = getattr(app, "loop", None)
    if app is None or not app.is_running or loop is None:
        return False

    def end() -> None:
        if app.is_running and app.future is not None and not app.future.done():
            app.exit(exception=ending)
        else:  # it was ending anyway: let the exception end the rest
            raise ending

    loop.call_soon_threadsafe(end)
    return True


def _restore_signals(previous: dict) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def _quiet_broken_pipe() -> None:
    """The reader of our output went away (| head): not an error; say nothing at exit either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _read_input(args: argparse.Namespace) -> tuple[str, str]:
    if args.file in (None, "-"):
        return sys.stdin.buffer.read().decode("utf-8", "surrogateescape"), "<stdin>"
    try:
        with open(args.file, "rb") as f:
            return f.read().decode("utf-8", "surrogateescape"), args.file
    except OSError as e:
        raise InputError(f"cannot read {args.file}: {e.strerror}") from None


def _variables(args: argparse.Namespace) -> dict[str, str]:
    out = {}
    for item in args.var:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InputError(f"--var takes NAME=VALUE, not {item!r}")
        out[name] = value
    return out


def _run(args: argparse.Namespace, opts) -> int:
    from .core.actionfile import parse_actions
    from .runtime.session import Session

    interactive = args.file is None and sys.stdin.isatty()
    blocks = []
    source = "<stdin>"
    if not interactive:
        text, source = _read_input(args)
        try:
            blocks = parse_actions(text, source, variables=_variables(args), environ=os.environ)
        except InputError as e:  # it may quote the input, and the input may hold a secret
            from .core.secrets import mask_error

            raise InputError(mask_error(str(e), text)) from None
        if opts.read_only:  # the whole input, its own Login included, before anything is sent
            from .pipe import check_read_only

            check_read_only(blocks, source)
    # telnet habits: a pipe that starts with its own Login logs in by itself
    own_login = not interactive and not opts.user and bool(blocks) and blocks[0].name.lower() == "login"
    if interactive:
        events_default = "on"
    elif args.wait_originate:
        events_default = "system,call"  # OriginateResponse is a call event; with Events: off it never comes
    else:
        events_default = "system"  # only to see FullyBooted: a flood of call events is not wanted here
    if interactive and opts.trace == "-":
        raise InputError("--trace without a FILE writes to stderr, which would garble the shell's screen: "
                         "give a file (--trace=wire.log) and follow it with tail -f")
    with Session(opts, events_default=events_default, login=not own_login) as session:
        conn = session.connect()
        if interactive:
            from .shell import run_repl

            return run_repl(conn, opts, reconnect=session.connect)
        from .pipe import run_actions

        fmt = args.format or ("pretty" if sys.stdout.isatty() else "raw")
        run = dict(
            fmt=fmt,
            timeout=opts.timeout,
            source=source,
            pipeline=args.pipeline,
            stop_on_error=args.stop_on_error,
            wait_originate=args.originate_timeout if args.wait_originate else None,
            confirm=opts.confirm is True,
        )
        if own_login:
            code = run_actions(conn, blocks[:1], **run)
            if code != 0:
                raise AuthenticationError(f"{source}:{blocks[0].line}: the Login in the input was refused")
            conn.username = blocks[0].message.get("Username")
            blocks = blocks[1:]
        return run_actions(conn, blocks, **run)


def _replay(args: argparse.Namespace) -> int:
    from .transports.replay import ReplayConnection
    from .shell import run_repl

    conn = ReplayConnection.open(args.file, pair=True)  # each recorded response under its recorded action
    conn.start(None if args.speed <= 0 else args.speed)
    try:
        return run_repl(conn, options(args, connects=False))
    finally:
        conn.close()
