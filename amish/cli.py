"""The `amish` command line: options, the secret, and which mode to run.

Every AmishError becomes one line on stderr and its exit code; no traceback
reaches a user (set AMISH_DEBUG=1 to see one).
"""

from __future__ import annotations

import argparse
import os
import sys

from . import __version__
from .errors import EXIT_CONNECTION, EXIT_INPUT, AmishError, InputError

EPILOG = """\
exit codes: 0 all actions succeeded, 1 some action answered Error,
2 connection/TLS/login failure, 3 timeout, 4 bad input.
The secret comes from AMISH_SECRET or a prompt (--secret works but is visible in ps).
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="amish",
        description="The Asterisk Manager Interface shell. With a terminal: an interactive shell. "
        "With a pipe or -f FILE: send the actions (telnet form) and print the responses.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("host", nargs="?", help="Asterisk host (default 127.0.0.1)")
    p.add_argument("port", nargs="?", help="AMI port (default 5038, or 5039 with --tls)")
    p.add_argument("-H", "--host", dest="host_opt", metavar="HOST", help="Asterisk host")
    p.add_argument("-p", "--port", dest="port_opt", metavar="PORT", help="AMI port")
    p.add_argument("-u", "--user", default=os.environ.get("AMISH_USER"), help="AMI user (manager.conf section); default $AMISH_USER")
    p.add_argument("--secret", help="the AMI secret (visible in ps: prefer AMISH_SECRET or the prompt)")
    p.add_argument("--auth", choices=("md5", "plain"), default="md5", help="login by MD5 challenge (default) or plain secret")
    p.add_argument("--events", default=None, metavar="MASK", help="Events header of the login: on, off, or a class list such as system,call "
                   "(default: on in the shell, off for action files)")
    tls = p.add_argument_group("TLS")
    tls.add_argument("--tls", action="store_true", help="connect with TLS (default port 5039)")
    tls.add_argument("--cafile", help="CA certificates to verify the server with (PEM)")
    tls.add_argument("--cert", help="client certificate (PEM)")
    tls.add_argument("--key", dest="keyfile", help="client certificate's private key (PEM)")
    tls.add_argument("--insecure", action="store_true", help="do not verify the server's certificate")
    batch = p.add_argument_group("actions from a file or a pipe")
    batch.add_argument("-f", "--file", help="read actions from FILE ('-' for stdin)")
    batch.add_argument("--format", choices=("raw", "json"), default="raw", help="raw: the AMI text as received (default); json: one object per response")
    batch.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each response (default 10)")
    shell = p.add_argument_group("the interactive shell")
    shell.add_argument("--line", action="store_true", help="line mode: print above a plain prompt instead of the full-screen split view")
    shell.add_argument("--filter", default="", metavar="EXPR", help="start with this event filter, e.g. 'Newchannel|Hangup'")
    shell.add_argument("--scrollback", type=int, default=10_000, metavar="N", help="event lines kept in the events pane (default 10000)")
    p.add_argument("--connect-timeout", type=float, default=5.0, help="seconds to connect and get the banner (default 5)")
    p.add_argument("--version", action="version", version=f"amish {__version__}")
    return p


def _endpoint(args: argparse.Namespace) -> tuple[str, int]:
    if args.host and args.host_opt and args.host != args.host_opt:
        raise InputError(f"two hosts given: {args.host} and -H {args.host_opt}")
    if args.port and args.port_opt and args.port != args.port_opt:
        raise InputError(f"two ports given: {args.port} and -p {args.port_opt}")
    host = args.host_opt or args.host or "127.0.0.1"
    port_text = args.port_opt or args.port
    if port_text is None:
        return host, 5039 if args.tls else 5038
    try:
        port = int(port_text)
    except ValueError:
        raise InputError(f"port must be a number, not {port_text!r}") from None
    if not 0 < port < 65536:
        raise InputError(f"port {port} is out of range")
    return host, port


def _secret(args: argparse.Namespace, host: str) -> str:
    if args.secret is not None:
        print("amish: warning: a secret on the command line is visible in ps; use AMISH_SECRET or the prompt", file=sys.stderr)
        return args.secret
    env = os.environ.get("AMISH_SECRET")
    if env is not None:
        return env
    import getpass

    try:
        os.close(os.open("/dev/tty", os.O_RDWR))  # getpass would fall back to echoing on stdin
        return getpass.getpass(f"AMI secret for {args.user}@{host}: ")
    except (EOFError, OSError):
        raise AmishError("no secret: set AMISH_SECRET, or run amish where it can prompt for one") from None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except AmishError as e:
        print(f"amish: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("amish: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader of our output went away (| head): not an error of ours
        try:
            sys.stdout = None  # type: ignore[assignment]
        finally:
            return 0
    except Exception as e:  # the last line of defence: one line, no traceback
        if os.environ.get("AMISH_DEBUG"):
            raise
        print(f"amish: internal error: {type(e).__name__}: {e} (AMISH_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 70


def _run(args: argparse.Namespace) -> int:
    from .actionfile import parse_actions
    from .connection import Connection

    host, port = _endpoint(args)
    interactive = args.file is None and sys.stdin.isatty()
    blocks = []
    source = "<stdin>"
    if not interactive:
        if args.file in (None, "-"):
            text = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
        else:
            source = args.file
            try:
                with open(args.file, "rb") as f:
                    text = f.read().decode("utf-8", "surrogateescape")
            except OSError as e:
                raise InputError(f"cannot read {args.file}: {e.strerror}") from None
        blocks = parse_actions(text, source)
    # telnet habits: a pipe that starts with its own Login logs in by itself
    own_login = not interactive and not args.user and bool(blocks) and blocks[0].name.lower() == "login"
    if not args.user and not own_login:
        raise InputError("no AMI user: give -u USER (or set AMISH_USER)")
    secret = None if own_login else _secret(args, host)

    def new_connection() -> Connection:
        return Connection(
            host,
            port,
            tls=args.tls,
            cafile=args.cafile,
            certfile=args.cert,
            keyfile=args.keyfile,
            insecure=args.insecure,
            connect_timeout=args.connect_timeout,
            banner_timeout=args.connect_timeout,
        )

    events = args.events or ("on" if interactive else "off")

    def reconnect() -> Connection:
        """A new, logged-in connection with the same settings (the shell's /reconnect)."""
        fresh = new_connection()
        fresh.connect()
        try:
            fresh.login(args.user, secret, auth=args.auth, events=events, timeout=args.timeout)
        except BaseException:
            fresh.close(logoff=False)
            raise
        return fresh

    conn = new_connection()
    conn.connect()
    try:
        if not own_login:
            conn.login(args.user, secret, auth=args.auth, events=events, timeout=args.timeout)
        if interactive:
            from .repl import run_repl

            return run_repl(conn, args, reconnect=reconnect)
        from .batch import run_actions

        if own_login:
            return _run_own_login(conn, blocks, args, source)
        return run_actions(conn, blocks, fmt=args.format, timeout=args.timeout, source=source)
    finally:
        conn.close()


def _run_own_login(conn, blocks, args, source) -> int:
    from .batch import run_actions
    from .errors import AuthenticationError

    code = run_actions(conn, blocks[:1], fmt=args.format, timeout=args.timeout, source=source)
    if code != 0:
        raise AuthenticationError(f"{source}:{blocks[0].line}: the Login in the input was refused")
    conn.username = blocks[0].message.get("Username")
    return run_actions(conn, blocks[1:], fmt=args.format, timeout=args.timeout, source=source)
