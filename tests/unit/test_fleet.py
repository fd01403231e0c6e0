"""runtime.fleet: the outcome classes and their order, and running work on many members at once."""

from __future__ import annotations

import threading
import time

import pytest

from amish.runtime.fleet import CLASSES, exit_class, run_each, worst


@pytest.mark.parametrize(
    "classes, code",
    [
        ([], 0),
        (["ok", "ok"], 0),
        (["ok", "error"], 1),
        (["error", "timeout", "ok"], 3),
        (["timeout", "unreachable"], 2),
        (["error", "lost"], 2),
        (["unreachable", "error", "timeout", "ok"], 2),
    ],
)
def test_the_exit_code_is_the_worst_class(classes, code):
    assert worst(classes) == code


def test_the_order_of_the_classes():
    """README's exit-code section says this order: unreachable/lost, timeout, error, ok."""
    assert list(CLASSES) == ["unreachable", "lost", "timeout", "error", "ok"]
    assert [exit_class(c) for c in (0, 1, 2, 3)] == ["ok", "error", "lost", "timeout"]


def test_run_each_bounds_the_work_in_flight_and_hands_every_outcome_back():
    busy, most, lock = [0], [0], threading.Lock()

    def work(i):
        with lock:
            busy[0] += 1
            most[0] = max(most[0], busy[0])
        time.sleep(0.01)
        with lock:
            busy[0] -= 1
        if i == 7:
            raise ValueError("seven")
        return i * 2

    got = {}
    caller = threading.current_thread()

    def on_done(item, result, error):
        assert threading.current_thread() is caller
        got[item] = error if error is not None else result

    run_each(list(range(40)), work, parallel=5, on_done=on_done)
    assert most[0] <= 5 and most[0] > 1
    assert set(got) == set(range(40))
    assert isinstance(got[7], ValueError) and got[8] == 16


def test_a_slow_member_does_not_hold_the_others():
    order = []
    slow = threading.Event()

    def work(i):
        if i == 0:
            slow.wait(5)
        return i

    def on_done(item, result, error):
        order.append(item)
        if len(order) == 9:
            slow.set()  # all the others were handed back while the slow one still ran

    run_each(list(range(10)), work, parallel=3, on_done=on_done)
    assert order[-1] == 0 and sorted(order) == list(range(10))


def test_a_fleet_event_carries_its_server_and_the_filter_sees_it():
    from amish.core.eventfilter import parse_filter
    from amish.core.protocol import Message
    from amish.runtime.fleet import tag_event

    raw = b"Event: Hangup\r\nChannel: PJSIP/7001-0001\r\nCause: 16\r\n\r\n"
    tagged = tag_event(Message.from_raw(raw), "pbx2")
    assert tagged.get("Server") == "pbx2" and tagged.get("Cause") == "16" and tagged.kind == "event"
    assert tagged.raw == b"Event: Hangup\r\nServer: pbx2\r\nChannel: PJSIP/7001-0001\r\nCause: 16\r\n\r\n"
    assert parse_filter("Hangup Server=pbx2")(tagged)
    assert not parse_filter("Server=pbx1")(tagged)


def test_an_events_own_server_header_never_hides_the_fleet_tag():
    """A UserEvent may carry any header, `Server` too: the member's tag is the only `Server` (column, filter),
    the event's own is kept as `EventServer`."""
    from amish.core.eventfilter import parse_filter
    from amish.core.protocol import Message
    from amish.runtime.fleet import tag_event

    for own in (b"Server: pbx1", b"server: pbx1", b"SERVER: pbx1"):
        raw = b"Event: UserEvent\r\nUserEvent: spoof\r\n" + own + b"\r\n\r\n"
        for parsed in (False, True):
            message = Message.from_raw(raw)
            if parsed:
                message.headers  # noqa: B018 - the parsed path as well as the raw fast path
            tagged = tag_event(message, "pbx2")
            assert tagged.get("Server") == "pbx2" and tagged.kind == "event"
            assert parse_filter("Server=pbx2")(tagged) and not parse_filter("Server=pbx1")(tagged)
            assert tagged.get("EventServer") == "pbx1"  # its own value kept, under a name of its own


def test_use_completes_the_servers_of_the_fleet_and_all_completes_as_the_prompt():
    from amish.catalogue import Catalogue
    from amish.shell.completion import LiveValues, complete_text

    live = LiveValues()
    live.servers = ["pbx1", "pbx2", "lab-a"]
    word, choices = complete_text(Catalogue.bundled(), live, "/use pb")
    assert word == "pb" and [c[1] for c in choices] == ["pbx1", "pbx2"]
    word, choices = complete_text(Catalogue.bundled(), live, "/all Pin")
    assert "Ping" in [c[1] for c in choices]
