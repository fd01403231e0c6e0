"""The `amish` command line: options, the secret, and which mode to run.

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
import sys
TYPE_CHECKING = False  # typing itself costs 3 ms of every start-up
if TYPE_CHECKING:  # pragma: no cover
    from typing import Callable

from . import __version__
from .errors import EXIT_INPUT, EXIT_OUTPUT, AmishError, InputError, Terminated

EXIT_CODES = """\
exit codes: 0 all actions succeeded, 1 some action answered Error,
2 connection/TLS/login failure, 3 timeout, 4 bad input, 74 an output could not be written,
129/143 ended by SIGHUP/SIGTERM.
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
            if long is not None:  # every such option has one (tests/test_cli.py)
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
                       help="Asterisk host (default 127.0.0.1), or ami://user@host:port (amis:// for TLS)")
        p.add_argument("port", nargs="?", help="AMI port (default 5038, or 5039 with --tls)")
    c = p.add_argument_group("connection")
    c.add_argument("-H", "--host", dest="host_opt", metavar="HOST", help="Asterisk host")
    c.add_argument("-p", "--port", dest="port_opt", metavar="PORT", help="AMI port")
    c.add_argument("--profile", metavar="NAME",
                   help="fill in what the command line leaves out from [profiles.NAME] of the config file")
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
        "Other modes: amish events | raw | replay | audit (amish MODE --help).",
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
    s = p.add_argument_group("the interactive shell")
    s.add_argument("--line", action="store_true", help="line mode: print above a plain prompt instead of the full-screen view")
    s.add_argument("--filter", default="", metavar="EXPR", help="start with this event filter, e.g. 'Newchannel|Hangup'")
    s.add_argument("--scrollback", type=_SCROLLBACK, default=10_000, metavar="N", help="event lines kept in the events pane (default 10000)")
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


SUBCOMMANDS: dict[str, Callable[[], argparse.ArgumentParser]] = {
    "events": build_events_parser,
    "raw": build_raw_parser,
    "replay": build_replay_parser,
    "audit": build_audit_parser,
}


# -- connecting -------------------------------------------------------------------


def settings(args: argparse.Namespace):
    """The connection settings: the command line, then the environment, the profile, the defaults.

    Resolved once (amish.config.resolve) and kept on args.settings; the resolved
    values are also written back to args (user, tls, cafile...), so every mode
    reads them as if they had been typed.
    """
    resolved = getattr(args, "settings", None)
    if resolved is None:
        from .config import load_config, resolve

        resolved = resolve(args, load_config())
        args.settings = resolved
        for name in ("user", "tls", "cafile", "cert", "keyfile", "insecure", "auth", "events"):
            setattr(args, name, getattr(resolved, name))
        if hasattr(args, "filter"):
            args.filter = resolved.filter
        if resolved.read_only or not hasattr(args, "read_only"):
            args.read_only = resolved.read_only
        if resolved.confirm is not None:
            args.confirm = resolved.confirm  # else the mode's own default
        if resolved.theme == "none":
            os.environ["NO_COLOR"] = "1"  # what the shell and the renderers honour
    return resolved


def endpoint(args: argparse.Namespace) -> tuple[str, int]:
    s = settings(args)
    return s.host, s.port


#: A secret typed at the prompt may be typed again after a refused login, this many tries in all.
SECRET_TRIES = 3


def secret_prompt(args: argparse.Namespace, host: str):
    """The prompt for the secret, on the terminal (never echoed)."""
    s = settings(args)

    def prompt() -> str:
        import getpass

        try:
            os.close(os.open("/dev/tty", os.O_RDWR))  # getpass would fall back to echoing on stdin
            return getpass.getpass(f"AMI secret for {s.user or args.user}@{host}: ")
        except (EOFError, OSError):
            raise AmishError(
                "no secret: set AMISH_SECRET or a profile's secret_command, or run amish where it can prompt for one"
            ) from None

    return prompt


def read_secret(args: argparse.Namespace, host: str, prompt=None) -> str:
    """--secret (warned about), AMISH_SECRET, the profile's secret_command, its secret, a prompt."""
    if args.secret is not None:
        print("amish: warning: a secret on the command line is visible in ps; use AMISH_SECRET or the prompt", file=sys.stderr)
        secret = args.secret
    else:
        from .config import find_secret

        secret = find_secret(settings(args), environ=os.environ, prompt=prompt or secret_prompt(args, host))
    if "\r" in secret or "\n" in secret:
        raise InputError("the AMI secret holds a line break (CR or LF), which no manager.conf secret can: "
                         "check AMISH_SECRET or the profile's secret or secret_command")
    return secret


def _check_line(what: str, value: str | None) -> None:
    """A value that goes into a header of the login: a CR or LF in it is bad input, said before connecting."""
    if value and ("\r" in value or "\n" in value):
        raise InputError(f"{what} holds a line break (CR or LF): {value!r}")


class Session:
    """How to open (and reopen) a logged-in connection from the options; the wire hooks."""

    def __init__(self, args: argparse.Namespace, *, events_default: str, login: bool = True):
        self.args = args
        self.host, self.port = endpoint(args)
        self.login = login
        if login and not args.user:
            raise InputError("no AMI user: give -u USER (or set AMISH_USER, or user in a --profile)")
        self.events = args.events or events_default
        _check_line("the AMI user (-u, AMISH_USER or the profile's user)", args.user)
        _check_line("the event mask (--events or the profile's events)", self.events)
        from .safety import plaintext_login_warning

        warning = plaintext_login_warning(self.host, tls=bool(args.tls), auth=args.auth or "md5") if login else None
        if warning:
            print(f"amish: warning: {warning}", file=sys.stderr)
        self.secret = None
        #: Set when the secret was typed at the prompt: a refused first login asks again (SECRET_TRIES in all).
        self._ask_again = None
        if login:
            prompt = secret_prompt(args, self.host)
            asked = []
            self.secret = read_secret(args, self.host, lambda: asked.append(True) or prompt())
            self._ask_again = prompt if asked else None
        self.hooks = []
        self._closers = []
        self._outputs = []  # (what, hook): said and ended on when a write to it failed
        self._reported = False
        if args.trace:
            from .wire import Tracer

            stream = sys.stderr if args.trace == "-" else _open_private(args.trace, "a")
            tracer = Tracer(stream, peer=f"{self.host}:{self.port}")
            self.hooks.append(tracer)
            self._outputs.append(("the trace to stderr" if args.trace == "-" else f"the trace {args.trace}", tracer))
            self._closers.append(tracer.flush)
            if stream is not sys.stderr:
                self._closers.append(stream.close)
        if args.record:
            from .wire import Recorder

            recorder = Recorder(
                args.record,
                meta={"peer": f"{self.host}:{self.port}", "tls": bool(args.tls), "user": args.user or ""},
            )
            self.hooks.append(recorder)
            self._outputs.append((f"the recording {args.record}", recorder))
            self._closers.append(recorder.close)

    def _on_wire(self, direction: str, data: bytes) -> None:
        for hook in self.hooks:
            hook(direction, data)

    def connect(self):
        """A logged-in connection. A secret typed at the prompt and refused is asked for again,
        as a login prompt does, at the first login only (a reconnect never prompts)."""
        from .errors import AuthenticationError

        ask_again, self._ask_again = self._ask_again, None
        tries = SECRET_TRIES if ask_again is not None else 1
        for attempt in range(1, tries + 1):
            try:
                return self._connect()
            except AuthenticationError as e:
                if attempt == tries or not e.refused:
                    raise
                left = tries - attempt
                print(f"amish: {e} ({left} more {'try' if left == 1 else 'tries'})", file=sys.stderr)
                self.secret = ask_again()

    def _connect(self):
        from .connection import Connection

        a = self.args
        conn = Connection(
            self.host,
            self.port,
            tls=a.tls,
            cafile=a.cafile,
            certfile=a.cert,
            keyfile=a.keyfile,
            insecure=a.insecure,
            connect_timeout=a.connect_timeout,
            banner_timeout=a.connect_timeout,
            on_wire=self._on_wire if self.hooks else None,
            keepalive=getattr(a, "keepalive", None),
        )
        conn.connect()
        if self.login:
            try:
                conn.login(
                    a.user,
                    self.secret,
                    auth=a.auth,
                    events=self.events,
                    timeout=a.timeout,
                    wait_booted=getattr(a, "boot_timeout", 0) or None,
                    booting=lambda: print(
                        f"amish: {conn.address} is still starting: waiting for FullyBooted...", file=sys.stderr
                    ),
                )
            except BaseException:
                conn.close(logoff=False)
                raise
        try:
            self.check_outputs()  # a trace or recording that cannot be written fails now, not at the end
        except BaseException:
            conn.close()
            raise
        return conn

    def check_outputs(self) -> None:
        """Raise OutputError (exit 74) once if a write to the trace or the recording failed."""
        if self._reported:
            return
        for what, hook in self._outputs:
            if hook.error is not None:
                self._reported = True
                from .errors import OutputError

                raise OutputError(f"cannot write {what}: {hook.error}")

    def close(self) -> None:
        """Flush and close the trace and the recording; raises OutputError if one could not be written."""
        for closer in self._closers:
            try:
                closer()
            except Exception:
                pass
        self.check_outputs()


def _open_private(path: str, mode: str):
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC), 0o600)
        return os.fdopen(fd, mode, buffering=1, encoding="utf-8", errors="backslashreplace")
    except OSError as e:
        raise InputError(f"cannot write {path}: {e.strerror}") from None


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
    try:
        code = _dispatch(mode, args)
        from .output import flush

        flush(sys.stdout)  # what print() buffered: a full disk is said now, not lost at exit
        return code
    except AmishError as e:
        from .errors import OutputError

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
        from .protocol import HeaderError

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
    if hasattr(args, "host_opt") and not getattr(args, "completions", None) and not getattr(args, "example_config", False):
        settings(args)  # a mode that connects: the profile fills in the options before the mode reads them
    if mode == "events":
        from .tail import run_events_command

        return run_events_command(args)
    if mode == "raw":
        from .rawmode import run_raw_command

        return run_raw_command(args)
    if mode == "replay":
        return _replay(args)
    if mode == "audit":
        from .audit import run_audit_command

        return run_audit_command(args)
    if args.completions:
        from .completions import completion_script

        sys.stdout.write(completion_script(args.completions))
        return 0
    if args.example_config:
        from .config import example_config

        sys.stdout.write(example_config())
        return 0
    return _run(args)


def _say(line: str) -> None:
    """One line on stderr, if there is a stderr to write to."""
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError, AttributeError):
        pass


def _trap_signals() -> dict:
    """SIGTERM and SIGHUP end amish as Ctrl-C does: every `finally` runs (log off, flush the trace
    and the recording), then one line and exit 128+signal (143, 129). A second one ends at once."""
    import signal

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
    import signal

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


def _run(args: argparse.Namespace) -> int:
    from .actionfile import parse_actions

    interactive = args.file is None and sys.stdin.isatty()
    blocks = []
    source = "<stdin>"
    if not interactive:
        text, source = _read_input(args)
        blocks = parse_actions(text, source, variables=_variables(args), environ=os.environ)
        if args.read_only:  # the whole input, its own Login included, before anything is sent
            from .batch import check_read_only

            check_read_only(blocks, source)
    # telnet habits: a pipe that starts with its own Login logs in by itself
    own_login = not interactive and not args.user and bool(blocks) and blocks[0].name.lower() == "login"
    if interactive:
        events_default = "on"
    elif args.wait_originate:
        events_default = "system,call"  # OriginateResponse is a call event; with Events: off it never comes
    else:
        events_default = "system"  # only to see FullyBooted: a flood of call events is not wanted here
    if interactive and args.trace == "-":
        raise InputError("--trace without a FILE writes to stderr, which would garble the shell's screen: "
                         "give a file (--trace=wire.log) and follow it with tail -f")
    session = Session(args, events_default=events_default, login=not own_login)
    try:
        conn = session.connect()
        try:
            if interactive:
                from .repl import run_repl

                return run_repl(conn, args, reconnect=session.connect)
            from .batch import run_actions

            fmt = args.format or ("pretty" if sys.stdout.isatty() else "raw")
            options = dict(
                fmt=fmt,
                timeout=args.timeout,
                source=source,
                pipeline=args.pipeline,
                stop_on_error=args.stop_on_error,
                wait_originate=args.originate_timeout if args.wait_originate else None,
                confirm=args.confirm is True,
            )
            if own_login:
                code = run_actions(conn, blocks[:1], **options)
                if code != 0:
                    from .errors import AuthenticationError

                    raise AuthenticationError(f"{source}:{blocks[0].line}: the Login in the input was refused")
                conn.username = blocks[0].message.get("Username")
                blocks = blocks[1:]
            return run_actions(conn, blocks, **options)
        finally:
            conn.close()
    finally:
        session.close()


def _replay(args: argparse.Namespace) -> int:
    from .replay import ReplayConnection
    from .repl import run_repl

    conn = ReplayConnection.open(args.file, pair=True)  # each recorded response under its recorded action
    conn.start(None if args.speed <= 0 else args.speed)
    args.timeout = 10.0
    try:
        return run_repl(conn, args)
    finally:
        conn.close()
