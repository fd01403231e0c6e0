"""Tests of amish.core.correlator, which pairs the server's answers with the actions in flight.

No sockets, no threads, no server: messages are framed by the real
`protocol.Parser` from the text written here and fed to a `Correlator` by
hand, and every rule of the table in its module docstring is checked by what
comes out: the items left for the subscribers and the actions completed.
(tests/faults/test_connection_faults.py checks the same through a live Connection.)
"""

from __future__ import annotations

import pytest

from amish.transports.connection import Pending
from amish.core.correlator import Correlator, awaiting, fully_booted_in
from amish.core.errors import AmishError
from amish.core.protocol import Banner, Message, Parser, ProtocolError

# -- helpers -------------------------------------------------------------------


def framed(*texts: str, **parser_options) -> list:
    """What the Parser frames from these messages, each written as lines of ``Key: value``."""
    data = "".join(text.strip("\n").replace("\n", "\r\n") + "\r\n\r\n" for text in texts)
    return Parser(expect_banner=False, **parser_options).receive_data(data.encode())


def action(action_id: str, wait_event: str | None = None, name: str = "Ping") -> Pending:
    return Pending(Message([("Action", name), ("ActionID", action_id)]), action_id, wait_event)


def shown(item) -> str:
    """How an item left for the subscribers is named in the tables: its Tag, else its first line."""
    if type(item) is not Message:
        return type(item).__name__
    return item.get("Tag") or item.raw.split(b"\r\n", 1)[0].decode()


class Driver:
    """A correlator with some actions in flight, fed one message at a time."""

    def __init__(self, *actions: Pending):
        self.correlator = Correlator()
        self.actions = {p.action_id: p for p in actions}
        for pending in actions:
            self.correlator.expect(pending)

    def feed(self, *texts: str) -> tuple[list[str], list[str]]:
        """(what the subscribers get, which actions completed) for these messages."""
        loose, completed = self.correlator.receive(framed(*texts))
        return [shown(item) for item in loose], [p.action_id for p in completed]

    def __getitem__(self, action_id: str) -> Pending:
        return self.actions[action_id]


# -- the transitions, as tables -------------------------------------------------
#
# Each scenario: the actions in flight (ActionID, wait_event), then steps of
# (message arriving, what the subscribers get, which actions it completes).

SCENARIOS = {
    "a response with its ActionID completes its action": (
        [("a1", None)],
        [("Response: Success\nActionID: a1\nPing: Pong", [], ["a1"])],
    ),
    "responses answered out of order go by ActionID": (
        [("a1", None), ("a2", None), ("a3", None)],
        [
            ("Response: Success\nActionID: a3", [], ["a3"]),
            ("Response: Success\nActionID: a1", [], ["a1"]),
            ("Response: Success\nActionID: a2", [], ["a2"]),
        ],
    ),
    "a response without an ActionID goes to the oldest action still waiting for its response": (
        [("a1", None), ("a2", None), ("a3", None)],
        [
            ("Response: Success\nActionID: a2", [], ["a2"]),
            ("Response: Success\nTag: no-id-1", [], ["a1"]),
            ("Response: Success\nTag: no-id-2", [], ["a3"]),
        ],
    ),
    "a response without an ActionID skips an open list, which has its response": (
        [("l1", None), ("a2", None)],
        [
            ("Response: Success\nActionID: l1\nEventList: start", [], []),
            ("Response: Success\nTag: no-id", [], ["a2"]),
        ],
    ),
    "a response without an ActionID that no action waits for is loose": (
        [("l1", None)],
        [
            ("Response: Success\nActionID: l1\nEventList: start", [], []),
            ("Response: Success\nTag: no-id", ["no-id"], []),
        ],
    ),
    "a response with an unknown ActionID is loose and completes nothing": (
        [("a1", None)],
        [
            ("Response: Success\nActionID: someone-else\nTag: theirs", ["theirs"], []),
            ("Response: Success\nActionID: a1", [], ["a1"]),
        ],
    ),
    "a second response to an action that has its response is loose": (
        [("l1", None)],
        [
            ("Response: Success\nActionID: l1\nEventList: start", [], []),
            ("Response: Success\nActionID: l1\nTag: again", ["again"], []),
        ],
    ),
    "a list action collects its items until the Complete event": (
        [("l1", None)],
        [
            ("Response: Success\nActionID: l1\nEventList: start", [], []),
            ("Event: CoreShowChannel\nActionID: l1\nTag: item-1", [], []),
            ("Event: CoreShowChannel\nActionID: l1\nTag: item-2", [], []),
            ("Event: CoreShowChannelsComplete\nActionID: l1\nEventList: Complete\nListItems: 2", [], ["l1"]),
        ],
    ),
    "events of no action and of other actions interleaved with a list are loose, in order": (
        [("l1", None)],
        [
            ("Response: Success\nActionID: l1\nEventList: start", [], []),
            ("Event: Status\nActionID: l1\nTag: item-1", [], []),
            ("Event: Newchannel\nTag: unrelated", ["unrelated"], []),
            ("Event: Status\nActionID: someone-else\nTag: theirs", ["theirs"], []),
            ("Event: StatusComplete\nActionID: l1\nEventList: Complete", [], ["l1"]),
        ],
    ),
    "an Error response to a list action completes it at once": (
        [("l1", None)],
        [("Response: Error\nActionID: l1\nMessage: Permission denied", [], ["l1"])],
    ),
    "an event with the ActionID of an action that opened no list is loose": (
        [("a1", None)],
        [
            ("Event: UserEvent\nActionID: a1\nTag: early", ["early"], []),
            ("Response: Success\nActionID: a1", [], ["a1"]),
        ],
    ),
    "wait_event after the response: the response alone does not complete it": (
        [("o1", "OriginateResponse")],
        [
            ("Response: Success\nActionID: o1\nMessage: Originate successfully queued", [], []),
            ("Event: OriginateResponse\nActionID: o1\nResponse: Success\nTag: awaited", ["awaited"], ["o1"]),
        ],
    ),
    "wait_event before the response: the response completes it": (
        [("o1", "OriginateResponse")],
        [
            ("Event: OriginateResponse\nActionID: o1\nResponse: Success\nTag: awaited", ["awaited"], []),
            ("Response: Success\nActionID: o1", [], ["o1"]),
        ],
    ),
    "wait_event: an Error response completes it at once, and the event no longer belongs": (
        [("o1", "OriginateResponse")],
        [
            ("Response: Error\nActionID: o1\nMessage: Extension does not exist.", [], ["o1"]),
            ("Event: OriginateResponse\nActionID: o1\nTag: late", ["late"], []),
        ],
    ),
    "wait_event: other events with the ActionID are loose and complete nothing": (
        [("o1", "OriginateResponse")],
        [
            ("Response: Success\nActionID: o1", [], []),
            ("Event: Newchannel\nActionID: o1\nTag: other", ["other"], []),
            ("Event: OriginateResponse\nActionID: o1\nTag: awaited", ["awaited"], ["o1"]),
        ],
    ),
    "a list action with a wait_event arriving in the list waits for the Complete": (
        [("l1", "Done")],
        [
            ("Response: Success\nActionID: l1\nEventList: start", [], []),
            ("Event: Done\nActionID: l1\nTag: awaited", ["awaited"], []),
            ("Event: Item\nActionID: l1\nTag: item", [], []),
            ("Event: ItemsComplete\nActionID: l1\nEventList: Complete", [], ["l1"]),
        ],
    ),
    "a list action with a wait_event arriving after the Complete completes then": (
        [("l1", "Done")],
        [
            ("Response: Success\nActionID: l1\nEventList: start", [], []),
            ("Event: ItemsComplete\nActionID: l1\nEventList: Complete", [], []),
            ("Event: Item\nActionID: l1\nTag: after-complete", ["after-complete"], []),
            ("Event: Done\nActionID: l1\nTag: awaited", ["awaited"], ["l1"]),
        ],
    ),
    "a legacy Follows body (blank lines and all) is one response": (
        [("c1", None)],
        [("Response: Follows\nPrivilege: Command\nActionID: c1\nline one\n\nline three\n--END COMMAND--", [], ["c1"])],
    ),
    "a Follows body without an ActionID goes to the oldest waiting action": (
        [("c1", None), ("c2", None)],
        [("Response: Follows\nPrivilege: Command\nuptime\n--END COMMAND--", [], ["c1"])],
    ),
    "an ActionID header written in another case is still read": (
        [("l1", None)],
        [
            ("Response: Success\nactionid: l1\nEventList: start", [], []),
            ("Event: Item\nACTIONID:l1\nTag: item", [], []),
            ("Event: ItemsComplete\nActionId: l1\nEventList: Complete", [], ["l1"]),
        ],
    ),
    "what is neither a response nor an event is loose": (
        [("a1", None)],
        [
            ("Action: Ping\nActionID: a1\nTag: an-action", ["an-action"], []),
            ("Response: Success\nActionID: a1", [], ["a1"]),
        ],
    ),
}


@pytest.mark.parametrize("in_flight, steps", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_transitions(in_flight, steps):
    driver = Driver(*(action(action_id, wait_event) for action_id, wait_event in in_flight))
    for message, loose, completed in steps:
        assert driver.feed(message) == (loose, completed), message
    done = {p.action_id for p in driver.actions.values() if awaiting(p) is None}
    assert set(driver.correlator.in_flight) == set(driver.actions) - done
    assert driver.correlator.idle == (not driver.correlator.in_flight)


# -- what the completed actions hold ---------------------------------------------


def test_a_list_result_holds_response_items_and_complete_in_order():
    driver = Driver(action("l1", name="CoreShowChannels"))
    loose, completed = driver.feed(
        "Response: Success\nActionID: l1\nEventList: start\nMessage: Channels will follow",
        "Event: CoreShowChannel\nActionID: l1\nSeq: 1",
        "Event: Newchannel\nTag: unrelated",
        "Event: CoreShowChannel\nActionID: l1\nSeq: 2",
        "Event: CoreShowChannelsComplete\nActionID: l1\nEventList: Complete\nListItems: 2",
    )
    assert (loose, completed) == (["unrelated"], ["l1"])
    result = driver["l1"]
    assert result.ok and result.listing
    assert [e.get("Seq") for e in result.events] == ["1", "2"]
    assert result.complete.get("ListItems") == "2"
    assert result.messages == [result.response, *result.events, result.complete]


def test_an_error_response_to_a_list_action_holds_no_items():
    driver = Driver(action("l1", name="CoreShowChannels"))
    driver.feed("Response: Error\nActionID: l1\nMessage: Permission denied")
    result = driver["l1"]
    assert not result.ok and not result.listing
    assert result.events == [] and result.complete is None
    assert result.response.get("Message") == "Permission denied"


@pytest.mark.parametrize("reported, ok", [("Success", True), ("Failure", False)])
def test_the_awaited_event_is_part_of_the_result(reported, ok):
    driver = Driver(action("o1", "OriginateResponse", name="Originate"))
    driver.feed("Response: Success\nActionID: o1", f"Event: OriginateResponse\nActionID: o1\nResponse: {reported}")
    result = driver["o1"]
    assert result.event.get("Event") == "OriginateResponse"
    assert result.ok is ok
    assert result.messages == [result.response, result.event]


def test_the_follows_output_is_in_the_response():
    driver = Driver(action("c1", name="Command"))
    driver.feed("Response: Follows\nPrivilege: Command\nActionID: c1\nline one\n\nline three\n--END COMMAND--")
    result = driver["c1"]
    assert result.ok
    assert result.response.getall("Output") == ["line one", "", "line three"]


def test_several_actions_completed_by_one_read_come_back_in_the_order_they_completed():
    driver = Driver(action("a1"), action("a2"), action("a3"))
    assert driver.feed(
        "Response: Success\nActionID: a2",
        "Event: Newchannel\nTag: between",
        "Response: Success\nActionID: a3",
        "Response: Success\nActionID: a1",
    ) == (["between"], ["a2", "a3", "a1"])
    assert driver.correlator.idle


# -- forgetting: abandoned and timed-out actions ----------------------------------


def test_a_late_response_after_a_timeout_is_loose():
    driver = Driver(action("a1"))
    driver.correlator.forget(driver["a1"])  # the caller stopped waiting
    assert driver.correlator.idle
    assert driver.feed("Response: Success\nActionID: a1\nTag: late") == (["late"], [])
    assert driver["a1"].response is None


def test_a_late_response_is_not_taken_by_another_action_waiting():
    driver = Driver(action("a1"), action("a2"))
    driver.correlator.forget(driver["a1"])
    assert driver.feed("Response: Success\nActionID: a1\nTag: late") == (["late"], [])
    assert driver.feed("Response: Success\nActionID: a2") == ([], ["a2"])


def test_a_forgotten_action_no_longer_takes_responses_without_an_action_id():
    driver = Driver(action("a1"), action("a2"))
    driver.correlator.forget(driver["a1"])
    assert driver.feed("Response: Success\nTag: no-id") == ([], ["a2"])
    assert driver["a1"].response is None


def test_the_rest_of_an_abandoned_list_is_loose():
    driver = Driver(action("l1", name="Status"))
    driver.feed("Response: Success\nActionID: l1\nEventList: start", "Event: Status\nActionID: l1\nTag: item-1")
    driver.correlator.forget(driver["l1"])
    assert driver.feed(
        "Event: Status\nActionID: l1\nTag: item-2",
        "Event: StatusComplete\nActionID: l1\nEventList: Complete\nTag: complete",
    ) == (["item-2", "complete"], [])
    assert [e.get("Tag") for e in driver["l1"].events] == ["item-1"]


def test_forgetting_twice_or_an_action_never_expected_is_harmless():
    driver = Driver(action("a1"))
    stranger = action("a1")  # the same ActionID, another action
    driver.correlator.forget(stranger)
    assert driver.correlator.in_flight == {"a1": driver["a1"]}
    driver.correlator.forget(driver["a1"])
    driver.correlator.forget(driver["a1"])
    assert driver.correlator.idle


def test_forget_all_hands_back_every_action_in_flight():
    driver = Driver(action("a1"), action("l1"))
    driver.feed("Response: Success\nActionID: l1\nEventList: start")
    assert driver.correlator.forget_all() == [driver["a1"], driver["l1"]]
    assert driver.correlator.idle
    assert driver.feed("Response: Success\nActionID: a1\nTag: late") == (["late"], [])


def test_an_action_id_already_in_flight_is_refused():
    driver = Driver(action("dup"))
    with pytest.raises(AmishError, match="ActionID dup is already in flight"):
        driver.correlator.expect(action("dup"))
    driver.feed("Response: Success\nActionID: dup")
    driver.correlator.expect(action("dup"))  # complete: the ActionID may be used again


# -- what goes to the subscribers as it is -------------------------------------


def test_when_idle_everything_is_handed_back_as_it_is():
    items = framed("Event: Newchannel", "Response: Success\nActionID: x", "Event: Hangup\nActionID: y")
    loose, completed = Correlator().receive(items)
    assert loose is items and completed == []


def test_protocol_errors_and_banners_are_loose_in_stream_order():
    too_long = "Event: Big\nFoo: " + "x" * 40
    items = framed("Event: Newchannel\nTag: before", too_long, "Event: Hangup\nTag: after", max_line=30)
    items.insert(1, Banner("Asterisk Call Manager/9.0.0"))
    driver = Driver(action("a1"))
    loose, completed = driver.correlator.receive(items)
    assert [shown(item) for item in loose] == ["before", "Banner", "ProtocolError", "after"]
    assert isinstance(loose[2], ProtocolError) and completed == []


def test_messages_built_here_without_raw_bytes_are_read_properly():
    driver = Driver(action("l1"))
    start = Message([("Response", "Success"), ("ActionID", "l1"), ("EventList", "start")])
    item = Message([("Event", "Item"), ("ActionID", "l1")])
    complete = Message([("Event", "ItemsComplete"), ("ActionID", "l1"), ("EventList", "Complete")])
    loose, completed = driver.correlator.receive([start, item, complete])
    assert loose == [] and completed == [driver["l1"]]
    assert driver["l1"].events == [item]


# -- what an action awaits -------------------------------------------------------

AWAITING = [
    # (response, EventList of the response, complete seen, wait_event, event seen) -> awaiting
    (None, None, False, None, False, "response"),
    (None, None, False, "OriginateResponse", True, "response"),
    ("Success", None, False, None, False, None),
    ("Success", "start", False, None, False, "items"),
    ("Success", "start", True, None, False, None),
    ("Success", None, False, "OriginateResponse", False, "event"),
    ("Success", None, False, "OriginateResponse", True, None),
    ("Error", None, False, "OriginateResponse", False, None),
    ("Follows", None, False, "OriginateResponse", False, None),
    ("Success", "start", False, "Done", True, "items"),
    ("Success", "start", True, "Done", False, "event"),
    ("Success", "start", True, "Done", True, None),
]


@pytest.mark.parametrize("response, eventlist, complete, wait_event, event, expected", AWAITING)
def test_awaiting(response, eventlist, complete, wait_event, event, expected):
    pending = action("a1", wait_event)
    if response is not None:
        pending.response = Message([("Response", response)] + ([("EventList", eventlist)] if eventlist else []))
        pending.listing = eventlist == "start"
    if complete:
        pending.complete = Message([("Event", "ItemsComplete"), ("EventList", "Complete")])
    if event:
        pending.event = Message([("Event", wait_event)])
    assert awaiting(pending) == expected


# -- FullyBooted -----------------------------------------------------------------


@pytest.mark.parametrize(
    "texts, booted",
    [
        (["Event: FullyBooted\nPrivilege: system,all\nStatus: Fully Booted"], True),
        (["Event: Newchannel", "Event: FullyBooted\nStatus: Fully Booted", "Event: Hangup"], True),
        (["Event: Newchannel\nStatus: FullyBooted"], False),  # the name elsewhere than the Event line
        (["Response: Success\nMessage: Event: FullyBooted"], False),
        ([], False),
    ],
)
def test_fully_booted_in(texts, booted):
    assert fully_booted_in(framed(*texts) if texts else []) is booted


def test_fully_booted_goes_to_subscribers_too():
    driver = Driver(action("a1"))
    assert driver.feed("Event: FullyBooted\nStatus: Fully Booted") == (["Event: FullyBooted"], [])
