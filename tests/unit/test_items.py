"""amish.transports.items.dispatch: the one switch over what a subscription holds, as a table."""

from __future__ import annotations

import pytest

from amish.core.protocol import Message, ProtocolError
from amish.transports.connection import Closed, Pending
from amish.transports.items import dispatch

E1, E2, E3 = (Message.from_raw(f"Event: E{i}\r\n\r\n".encode()) for i in (1, 2, 3))
ERR = ProtocolError("bad", 3, b"bad")
END = Closed("the server closed the connection")
DONE = Pending(Message([("Action", "Ping")]), "1", None)


def run(items, stop_on=()):
    """What each handler was given, in order; a handler says stop when its item is in `stop_on`."""
    calls = []

    def handler(name):
        def take(arg):
            calls.append((name, list(arg) if name == "messages" else arg))
            return name in stop_on

        return take

    stopped = dispatch(items, handler("messages"), handler("error"), handler("closed"), handler("pending"))
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
    with pytest.raises(TypeError, match="str"):
        run([E1, "what"])
