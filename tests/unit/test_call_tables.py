"""The call views' pure parts: table rows, layout, sorting, narrowing, the timeline; on captured real calls."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from conftest import ROOT
from amish.core.calls import CallTracker
from amish.core.eventfilter import parse_filter
from amish.core.protocol import Message, Parser
from amish.shell import tables
from amish.shell.callviews import CALL_COLUMNS, CHANNEL_COLUMNS, call_rows, channel_rows
from amish.shell.completion import LiveValues
from amish.shell.panes import TableLine, TablePane

CALLS = ROOT / "tests" / "data" / "calls"


def recorded_events(name: str) -> list[tuple[float, Message]]:
    """The events of a committed recording (amish --record), with their times."""
    parser, out = Parser(), []
    for line in (CALLS / name).read_text().splitlines():
        item = json.loads(line)
        if item.get("dir") == "in":
            for m in parser.receive_data(item["data"].encode("latin-1")):
                if isinstance(m, Message) and m.get("Event"):
                    out.append((item["t"], m))
    return out


def busiest_call(events):
    linkedid = Counter(m.get("Linkedid") for _, m in events if m.get("Linkedid")).most_common(1)[0][0]
    needle = b"inkedid: " + linkedid.encode() + b"\r"
    return linkedid, [(t, m) for t, m in events if needle in m.raw]


def test_the_timeline_of_a_blind_transfer_has_its_steps_in_order_each_with_its_events():
    _, events = busiest_call(recorded_events("blind-transfer.ami"))
    channels, steps, _start = tables.call_steps(events)
    assert len(channels) == 4  # two Local channels, two halves each
    kinds = [s.kind for s in steps]
    for before, after in [("dial", "answer"), ("answer", "bridge"), ("bridge", "transfer"), ("transfer", "hangup")]:
        assert kinds.index(before) < kinds.index(after), kinds
    assert kinds.count("hangup") == 4
    assert all(s.events for s in steps)  # the events behind each step, one key away
    assert sum(len(s.events) for s in steps) >= len(events) - 10  # nearly every event lands on a step
    assert [s.t for s in steps] == sorted(s.t for s in steps)

    lines = tables.timeline_lines(channels, steps, 30)
    assert lines[0].step is None and all(name[:20] in lines[0].plain for name in channels)
    by_kind = {line.step.kind: line.plain for line in lines[1:]}
    assert "►" in by_kind["dial"] and "◄" in by_kind["answer"] and "═" in by_kind["bridge"]
    assert "blind transfer to 230" in by_kind["transfer"]
    assert "hang-up 16 Normal Clearing" in by_kind["hangup"]
    for line in lines[1:]:
        assert line.plain[: tables.TIME_WIDTH].strip().replace(".", "").isdigit()  # its time from the start
        assert "".join(t for _, t in line.fragments()) == line.plain  # colours never shift the text


def test_the_timeline_never_invents_a_channel_from_a_dial_string():
    events = [(0.0, Message([("Event", "DialBegin"), ("DestChannel", "PJSIP/7002-1"), ("DestUniqueid", "2"),
                              ("DialString", "7002")])),
              (1.0, Message([("Event", "Hangup"), ("Channel", "PJSIP/ghost-9"), ("Uniqueid", "9"), ("Cause", "16")])),
              (2.0, Message([("Event", "Nonsense")]))]
    channels, steps, _ = tables.call_steps(events)
    assert channels == ["PJSIP/7002-1"]
    assert [s.kind for s in steps] == ["dial"]


def row(key, *cells, sort=()):
    return tables.Row(key, cells, sort, [("Channel", cells[0])])


def test_rows_sort_by_a_column_numbers_as_numbers_empty_last_either_way():
    rows = [row("a", "x", sort=("x", 9.0)), row("b", "y", sort=("y", 10.0)), row("c", "z", sort=("z", ""))]
    assert [r.key for r in tables.sort_rows(rows, 1)] == ["a", "b", "c"]
    assert [r.key for r in tables.sort_rows(rows, 1, reverse=True)] == ["b", "a", "c"]
    assert [r.key for r in tables.sort_rows(rows, 0, reverse=True)] == ["c", "b", "a"]


def test_rows_are_narrowed_with_the_filter_language():
    rows = [row("1", "PJSIP/7001-1"), row("2", "Local/hold@x-1;1"), row("3", "PJSIP/7002-2")]
    assert [r.key for r in tables.narrow(rows, parse_filter("Channel=pjsip/*"))] == ["1", "3"]
    assert [r.key for r in tables.narrow(rows, parse_filter("!Channel~^PJSIP"))] == ["2"]
    assert tables.narrow(rows, None) == rows


def test_layout_fits_the_width_and_cuts_long_cells_visibly():
    columns = (tables.Column("Name", 4, 60), tables.Column("Secs", 4, 8, numeric=True))
    rows = [row("1", "A" * 50, "7"), row("2", "short", "12")]
    header, lines = tables.layout(columns, rows, 30)
    assert all(len(line) <= 30 for line in [header] + lines)
    assert lines[0].startswith("A" * 10) and "…" in lines[0]
    assert lines[1].endswith(" 12") and lines[0].endswith("  7")  # numbers right-aligned


def test_call_colours_and_tags_are_stable_per_call():
    assert tables.call_colour("1712345678.42") == tables.call_colour("1712345678.42")
    assert len({tables.call_colour(f"1712345678.{i}") for i in range(40)}) > 3
    assert tables.call_tag("1712345678.42") == "#42"
    assert tables.call_style("1712345678.42").startswith("fg:ansi")


def fed(name: str) -> CallTracker:
    tracker = CallTracker()
    for t, m in recorded_events(name):
        tracker.feed(m, 1_800_000_000.0 + t)
    return tracker


def test_channel_and_call_rows_come_from_the_tracker():
    tracker = CallTracker()
    events = recorded_events("answered.ami")
    half = len(events) // 2
    live_seen = False
    for i, (t, m) in enumerate(events):
        tracker.feed(m, 1_800_000_000.0 + t)
        rows = channel_rows(tracker, 1_800_000_100.0)
        assert {r.key for r in rows} == set(tracker.channels)  # the live ones, never a dead one
        live_seen |= bool(rows)
        for r in rows:
            assert len(r.cells) == len(CHANNEL_COLUMNS)
    assert live_seen
    calls = call_rows(tracker, 1_800_000_100.0)
    assert calls and all(len(r.cells) == len(CALL_COLUMNS) for r in calls)
    ended = [r for r in calls if r.cells[2] == "ended"]
    assert ended and all(r.cells[4] for r in ended)  # an end cause
    assert tables.narrow(calls, parse_filter("State=ended")) == ended


@pytest.fixture
def pane():
    return TablePane("test")


def test_the_selection_stays_on_its_row_however_the_rows_move(pane):
    def items(*keys):
        return [TableLine("header", [("", "header")], None)] + [TableLine(k, [("", k)], k) for k in keys]

    pane.show(items("a", "b", "c"))
    assert pane.selected_key() == "a"  # the first row, not the header
    pane.show(items("a", "b", "c"), select="b")
    pane.show(items("c", "x", "b", "a"))
    assert pane.selected_key() == "b"
    pane.show(items("c", "x", "a"))  # b went: the selection stays where it was
    assert pane.selected_key() == "a"


def test_channel_completion_offers_the_model_s_live_channels_with_caller_id():
    live = LiveValues()
    live.channel_source = lambda: [("PJSIP/7001-00000001", "Alice <7001>")]
    from amish.shell.completion import _value_choices
    from amish.catalogue import Catalogue

    choices = _value_choices(Catalogue.bundled(), live, "Hangup", "Channel")
    assert ("PJSIP/7001-00000001", "Alice <7001>") in choices


def _listed(name: str, uid: str, caller: str) -> Message:
    """One CoreShowChannel list item as Asterisk 22 sends it (recorded from the sandbox)."""
    return Message([("Event", "CoreShowChannel"), ("ActionID", "c"), ("Channel", name), ("ChannelState", "6"),
                    ("ChannelStateDesc", "Up"), ("CallerIDNum", caller), ("CallerIDName", "<unknown>"),
                    ("ConnectedLineNum", "<unknown>"), ("ConnectedLineName", "<unknown>"), ("AccountCode", ""),
                    ("Context", "amish-test"), ("Exten", "hold"), ("Priority", "1"), ("Uniqueid", uid),
                    ("Linkedid", "1796009663.58"), ("Application", "Wait"), ("ApplicationData", "60"),
                    ("Duration", "00:00:01"), ("BridgeId", "")])  # fmt: skip


def test_channel_completion_is_newest_first_whatever_order_the_channel_list_came_in():
    """CoreShowChannels lists in Asterisk's container order, which changes from run to run: the
    completion order must not follow it (the e2e test saw the Local halves either way round)."""
    from amish.shell.callmodel import channel_choices

    one = _listed("Local/hold@amish-test-0000001d;1", "1796009663.58", "100")
    two = _listed("Local/hold@amish-test-0000001d;2", "1796009663.59", "<unknown>")
    seen = []
    for items in ([one, two], [two, one]):
        tracker = CallTracker()
        tracker.feed_all(items, 1796009664.0)
        seen.append(channel_choices(tracker.channels.values()))
    assert seen[0] == seen[1] == [("Local/hold@amish-test-0000001d;2", "Up"),
                                  ("Local/hold@amish-test-0000001d;1", "<100>")]  # fmt: skip
