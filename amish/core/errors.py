"""Typed errors, each with the exit code the command line turns it into.

Exit codes (documented in README.md, relied on by scripts):
  0  every action succeeded
  1  some action answered Error
  2  could not connect, TLS failed, not an AMI server, login refused, connection lost
  3  an action timed out
  4  bad input (an action file, an option)
 74  an output could not be written (stdout, --trace, --record: disk full, I/O error,
     closed); a reader that went away (EPIPE, `| head`) is not an error: exit 0
129  ended by SIGHUP (the terminal hung up), 143 by SIGTERM; 130 by Ctrl-C
 70  internal error: a bug
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ACTION_ERROR = 1
EXIT_CONNECTION = 2
EXIT_TIMEOUT = 3
EXIT_INPUT = 4
EXIT_OUTPUT = 74  # sysexits' EX_IOERR, as 70 is its EX_SOFTWARE


class AmishError(Exception):
    """Base of every error amish reports to a user as one line."""

    exit_code = EXIT_CONNECTION


class ConnectError(AmishError):
    """The TCP connection could not be made."""


class TLSError(ConnectError):
    """The TLS handshake or certificate verification failed."""


class NotAMIError(ConnectError):
    """The peer answered, but it is not an Asterisk Manager Interface."""


class AuthenticationError(AmishError):
    """The server refused the login (`refused`), or closed the connection during it.

    A refusal is final (retrying a wrong secret only locks the account out); a
    connection closed during the login is what a restarting Asterisk does, and
    is worth another try.
    """

    def __init__(self, message: str, *, refused: bool = True):
        super().__init__(message)
        self.refused = refused


class ConnectionLost(AmishError):
    """The connection closed or failed while in use."""


class ActionTimeout(AmishError):
    """No (complete) response to an action in time."""

    exit_code = EXIT_TIMEOUT


class InputError(AmishError):
    """Bad input from the user: an action file, a header, an option."""

    exit_code = EXIT_INPUT


class OutputError(AmishError):
    """An output amish was asked to write (stdout, a trace, a recording, a saved file) failed.

    Not for EPIPE: a reader that went away (`| head`) is not an error.
    """

    exit_code = EXIT_OUTPUT


def write_failed(what: str, e: OSError) -> OutputError:
    """The error for a failed write of `what` ("stdout", "the trace wire.log"): what, and why."""
    return OutputError(f"cannot write {what}: {e.strerror or e}")


class Terminated(SystemExit):
    """SIGTERM or SIGHUP: raised in the main thread so that every `finally` runs (log off, flush).

    A SystemExit, so that no `except Exception` takes it and asyncio lets it
    through (the shell's loop would otherwise hand an exception raised in one of
    its callbacks to prompt_toolkit's "Press ENTER to continue" handler).
    """

    def __init__(self, signum: int, message: str):
        super().__init__(message)
        self.exit_code = self.code = 128 + signum
