"""amish.runtime.output, the modes' one output layer, without a socket: what a failed write means, in every format.

A reader that went away (EPIPE) is BrokenPipeError, which `cli.main` ends with
exit 0; any other OSError is OutputError, exit 74, saying what and why. The
modes' own tests (test_exits.py) check the same end to end against Asterisk.
"""

from __future__ import annotations

import errno
import io

import pytest

from amish.transports.connection import Pending
from amish.core.errors import EXIT_OUTPUT, OutputError
from amish.runtime.output import flush, is_terminal, terminal_width, write
from amish.ui.writers import ResultWriter, event_writer
from amish.core.protocol import Message

EVENT = Message.from_raw(b"Event: PeerStatus\r\nPeer: PJSIP/100\r\nSecret: hunter22\r\n\r\n")


class Stream(io.BytesIO):
    """A stdout that fails its writes and flushes with `error`, or says it is a terminal."""

    def __init__(self, error: OSError | None = None, tty: bool = False):
        super().__init__()
        self.error = error
        self.tty = tty

    def write(self, data):
        if self.error is not None:
            raise self.error
        return super().write(data)

    def flush(self):
        if self.error is not None:
            raise self.error

    def isatty(self):
        return self.tty


def full() -> OSError:
    return OSError(errno.ENOSPC, "No space left on device")


def a_result() -> Pending:
    pending = Pending(Message([("Action", "GetConfig")]), "1", None)
    pending.response = Message.from_raw(
        b"Response: Success\r\nActionID: 1\r\nLine-000000-000000: secret=hunter22\r\n\r\n"
    )
    return pending


def writers(out):
    """Every way a mode writes to stdout, each with what it writes."""
    return {
        "write": lambda: write(out, b"data"),
        "flush": lambda: flush(out),
        **{f"result-{fmt}": (lambda fmt=fmt: ResultWriter(fmt, out)(a_result())) for fmt in ("raw", "json", "pretty")},
        **{f"event-{fmt}": (lambda fmt=fmt: event_writer(fmt, out)(EVENT)) for fmt in ("raw", "jsonl", "pretty")},
    }


KINDS = list(writers(None))


@pytest.mark.parametrize("kind", KINDS)
def test_a_failed_write_is_output_error_exit_74_saying_what_and_why(kind):
    with pytest.raises(OutputError) as caught:
        writers(Stream(full()))[kind]()
    assert caught.value.exit_code == EXIT_OUTPUT
    assert str(caught.value) == "cannot write stdout: No space left on device"


@pytest.mark.parametrize("kind", KINDS)
def test_a_reader_gone_away_is_broken_pipe_not_an_error(kind):
    with pytest.raises(BrokenPipeError):
        writers(Stream(BrokenPipeError(errno.EPIPE, "Broken pipe")))[kind]()


def test_text_is_written_as_bytes_are():
    out = io.StringIO()
    write(out, "a report\n")
    assert out.getvalue() == "a report\n"


@pytest.mark.parametrize("fmt", ["raw", "json"])  # pretty masks everywhere: it is for people
def test_results_to_a_pipe_are_as_received_and_masked_on_a_screen(fmt):
    piped, screen = Stream(), Stream(tty=True)
    ResultWriter(fmt, piped)(a_result())
    ResultWriter(fmt, screen)(a_result())
    assert b"hunter22" in piped.getvalue()
    assert b"hunter22" not in screen.getvalue()


def test_raw_events_are_the_bytes_as_received():
    out = Stream()
    event_writer("raw", out)(EVENT)
    assert out.getvalue() == EVENT.raw


class NoTerminal:
    """Not a file at all (a test's stand-in, a closed stream): no terminal, a default width."""

    def isatty(self):
        raise ValueError("I/O operation on closed file")

    def fileno(self):
        raise ValueError("I/O operation on closed file")


def test_a_stream_that_cannot_answer_is_no_terminal(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    assert is_terminal(NoTerminal()) is False
    assert is_terminal(object()) is False
    assert terminal_width(NoTerminal()) >= 40
