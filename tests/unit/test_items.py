"""amish.transports.items.dispatch: the one switch over what a subscription holds, as a table."""

from __future__ import annotations

import pytest

from amish.core.protocol import Message, ProtocolError
from amish.transports.connection import Closed, Pending
from amish.transports.items import dispatch
from amish.transports.shared import Notice, RecordedTime

E1, E2, E3 = (Message.from_raw(f"Event: E{i}\r\n\r\n".encode()) for i in (1, 2, 3))
ERR = ProtocolError("bad", 3, b"bad")
END = Closed("the server closed the connection")
DONE = Pending(Message([("Action", "Ping")]), "1", None)
WHEN = RecordedTime(1_764_000_000.5)
SAID = Notice("the HTTP session expired; logged in again")


class MemberState:  # a kind a layer above the transports defines (runtime.fleet has one of this name)
    pass


LOST = MemberState()


def run(items, stop_on=()):
    """What each handler was given, in order; a handler says stop when its item is in `stop_on`."""
    calls = []

    def handler(name):
        def take(arg):
            calls.append((name, list(arg) if name == "messages" else arg))
            return name in stop_on

        return take

    stopped = dispatch(items, handler("messages"), handler("error"), handler("closed"), handler("pending"),
                       recorded_time=handler("recorded"), notice=handler("notice"), other=handler("other"))
    return calls, stopped


@pytest.mark.parametrize(
    "items, calls",
    [
        pytest.param([], [], id="nothing"),
        pytest.param([E1, E2], [("messages", [E1, E2])], id="only-messages-one-run"),
        pytest.param([ERR], [("error", ERR)], id="only-an-error"),
        pytest.param(
            [E1, ERR, E2, E3, END],
            [("messages", [E1]), ("error", ERR), ("messages", [E2, E3]), ("closed", END)],
            id="runs-between-the-others-in-order",
        ),
        pytest.param([DONE, E1], [("pending", DONE), ("messages", [E1])], id="a-replayed-result"),
        pytest.param([ERR, END], [("error", ERR), ("closed", END)], id="no-messages"),
        pytest.param([WHEN, E1, WHEN, E2], [("recorded", WHEN), ("messages", [E1]), ("recorded", WHEN), ("messages", [E2])],
                     id="a-replay-dates-each-chunk"),
        pytest.param([E1, SAID, E2], [("messages", [E1]), ("notice", SAID), ("messages", [E2])], id="the-transports-word"),
        pytest.param([E1, LOST, END], [("messages", [E1]), ("other", LOST), ("closed", END)], id="a-fleets-member-state"),
    ],
)
def test_each_item_goes_to_the_handler_of_its_kind_in_order(items, calls):
    assert run(items) == (calls, False)


@pytest.mark.parametrize(
    "stop_on, calls",
    [
        pytest.param(("messages",), [("messages", [E1])], id="a-goal-met-in-a-run"),
        pytest.param(("error",), [("messages", [E1]), ("error", ERR)], id="an-error-handler-stops"),
        pytest.param(
            ("closed",), [("messages", [E1]), ("error", ERR), ("messages", [E2]), ("closed", END)], id="closed-stops"
        ),
    ],
)
def test_a_handler_that_says_stop_ends_the_dispatch(stop_on, calls):
    assert run([E1, ERR, E2, END, E3], stop_on) == (calls, True)


def test_a_batch_of_messages_is_handed_over_as_it_is():
    """The hot path (`amish events` under a flood): no copy, one call per read."""
    batch = [E1, E2, E3]
    given = []
    dispatch(batch, given.append, None, None)
    assert given == [batch] and given[0] is batch


def test_without_a_pending_handler_a_pending_is_a_bug_said_as_such():
    with pytest.raises(TypeError, match="Pending"):
        dispatch([DONE], lambda run: None, lambda e: None, lambda c: None)


def test_an_unknown_item_is_a_bug_said_as_such():
    with pytest.raises(TypeError, match="str"):  # without an `other` handler, a kind nobody defined
        dispatch([E1, "what"], lambda items: None, print, print)


def test_a_recorded_time_is_ignored_unless_asked_and_other_kinds_need_a_handler():
    seen = []
    assert dispatch([WHEN, E1], seen.extend, seen.append, seen.append) is False
    assert seen == [E1]  # the time a replay recorded its chunk: only a front end that dates events asks
    with pytest.raises(TypeError):
        dispatch([SAID], seen.extend, seen.append, seen.append)  # a Notice must be shown by whoever drains
    with pytest.raises(TypeError):
        dispatch([LOST], seen.extend, seen.append, seen.append)
