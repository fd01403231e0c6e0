"""Typed errors, each with the exit code the command line turns it into.

Exit codes (documented in README.md, relied on by scripts):
  0  every action succeeded
  1  some action answered Error
  2  could not connect, TLS failed, not an AMI server, login refused, connection lost
  3  an action timed out
  4  bad input (an action file, an option)
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ACTION_ERROR = 1
EXIT_CONNECTION = 2
EXIT_TIMEOUT = 3
EXIT_INPUT = 4


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
