"""The shell's pure parts as tables: toolbar, stores, key binding docs, Enter semantics."""

from __future__ import annotations

import pytest
from prompt_toolkit.buffer import Buffer

from amish.core.protocol import Message
from amish.shell.keys import describe_bindings, shell_key_bindings
from amish.shell.session import ShellSession
from amish.shell.stores import EventLog, Transcript
from amish.shell.toolbar import ToolbarState, toolbar_fragments


def toolbar_text(**kw) -> str:
    return "".join(text for _, text in toolbar_fragments(ToolbarState(**kw)))


TOOLBAR = [
    (dict(address="127.0.0.1:5038", user="admin"), ["connected", "admin@127.0.0.1:5038", "plain", "follow"]),
    (dict(address="pbx:5039", tls=True, user="admin"), ["TLS"]),
    (dict(state="reconnecting"), ["reconnecting"]),
    (dict(state="disconnected"), ["disconnected"]),
    (dict(asterisk_version="22.10.1", ami_version="11.0.0"), ["Asterisk 22.10.1", "AMI 11.0.0"]),
    (dict(follow=False), ["scrolled"]),
    (dict(paused=True), ["PAUSED"]),
    (dict(filter_text="Newchannel|Hangup"), ["filter: Newchannel|Hangup"]),
    (dict(filter_text="x" * 50), ["filter: " + "x" * 29 + "…"]),
    (dict(received=12_345, shown=100), ["events 100/12.3k"]),
    (dict(received=2_500_000, shown=10), ["events 10/2.5M"]),
    (dict(evicted=5), ["evicted 5"]),
    (dict(dropped=7), ["dropped 7"]),
    (dict(rate=1234.4), ["1234/s"]),
    (dict(in_flight=2), ["waiting for 2"]),
    (dict(events_visible=False), ["events hidden"]),
]


@pytest.mark.parametrize("state, expected", TOOLBAR, ids=[str(list(s)) for s, _ in TOOLBAR])
def test_toolbar(state, expected):
    text = toolbar_text(**state)
    for part in expected:
        assert part in text


BUSY = dict(
    address="127.0.0.1:15038", user="admin", asterisk_version="22.10.1", ami_version="11.0.0", received=250,
    shown=20, rate=4, dropped=3, filter_text="Newchannel|Hangup", in_flight=1, read_only=True, follow=False,
)
CALM = dict(
    address="127.0.0.1:15038", user="admin", asterisk_version="22.10.1", ami_version="11.0.0", received=26, shown=26
)

# (state, width, shown, left out): the fields go by rank, whole, never cut
TOOLBAR_WIDTHS = [
    (BUSY, 160, ["connected", "admin@127.0.0.1:15038", "READ-ONLY", "AMI 11.0.0", "events 20/250 4/s", "dropped 3",
                 "scrolled", "filter: Newchannel|Hangup", "waiting for 1"], ["F1"]),
    (BUSY, 100, ["connected", "READ-ONLY", "events 20/250 ", "dropped 3", "scrolled", "filter: Newchannel|Hangup",
                 "waiting for 1"], ["admin", "Asterisk", "4/s"]),
    (BUSY, 80, ["connected", "READ-ONLY", "dropped 3", "scrolled", "filter: Newchannel|Hangup"], ["events", "waiting"]),
    (BUSY, 50, ["connected", "READ-ONLY", "dropped 3", "scrolled", "filter"], ["Newchannel"]),
    (BUSY, 40, ["connected", "READ-ONLY", "dropped 3", "filter"], ["scrolled"]),
    (BUSY, 30, ["connected", "READ-ONLY", "filter"], ["dropped"]),
    (BUSY, 5, ["connected"], ["READ-ONLY"]),
    (CALM, 180, ["connected", "admin@127.0.0.1:15038", "Asterisk 22.10.1", "events 26/26", "follow", "F6 channels  F7 calls  Ctrl-D quit"], []),
    (CALM, 80, ["connected", "admin@127.0.0.1:15038", "plain", "events 26/26 0/s", "follow", "F1 help"], ["Asterisk", "F2"]),
    (CALM, 60, ["connected", "127.0.0.1:15038", "events 26/26 0/s", "follow"], ["admin", "F1"]),
    (CALM, 40, ["connected", "events 26/26 0/s", "follow"], ["plain"]),
    (CALM, 30, ["connected", "plain", "follow"], ["events"]),
]


@pytest.mark.parametrize(
    "state, width, shown, left_out", TOOLBAR_WIDTHS,
    ids=[f"{'busy' if s is BUSY else 'calm'}-{w}" for s, w, *_ in TOOLBAR_WIDTHS],
)
def test_toolbar_fits_the_width_by_rank(state, width, shown, left_out):
    text = "".join(t for _, t in toolbar_fragments(ToolbarState(**state), width))
    assert len(text) <= max(width, len(" connected "))
    for part in shown:
        assert part in text
    for part in left_out:
        assert part not in text


@pytest.mark.parametrize("state", [BUSY, CALM], ids=["busy", "calm"])
def test_toolbar_never_cuts_a_field_at_any_width(state):
    full = "".join(t for _, t in toolbar_fragments(ToolbarState(**state)))
    for width in range(0, len(full) + 2):
        fragments = toolbar_fragments(ToolbarState(**state), width)
        text = "".join(t for _, t in fragments)
        assert len(text) <= max(width, len(" connected "))
        for _, piece in fragments:  # each piece is whole: in the full toolbar, or a shorter form of a field
            assert piece in full or piece.startswith("filter") or piece == "F1 help " or piece in ("127.0.0.1:15038 ",)


def test_toolbar_leaves_out_what_is_zero():
    text = toolbar_text()
    assert "evicted" not in text and "dropped" not in text and "waiting" not in text


def ev(name, **headers):
    return Message([("Event", name), *headers.items()])


def test_event_log_is_bounded_and_counts_what_it_evicts():
    log = EventLog(lambda m, t: m.get("Event"), capacity=5, scrollback=3)
    added = log.add([ev(f"E{i}") for i in range(8)])
    assert added == 8
    assert (log.received, log.evicted, log.shown) == (8, 3, 3)
    assert [e.message.get("Event") for e in log.all] == ["E3", "E4", "E5", "E6", "E7"]
    assert [e.plain for e in log.view_lines()] == ["E5", "E6", "E7"]
    assert log.take_view_evicted() == 5 and log.take_view_evicted() == 0


def test_event_log_refilters_what_it_kept():
    log = EventLog(lambda m, t: m.get("Event"), capacity=100, scrollback=100)
    log.add([ev("Newchannel"), ev("VarSet"), ev("Hangup"), ev("VarSet")])
    assert log.set_filter(lambda m: m.get("Event") != "VarSet") == 2
    assert log.text() == "Newchannel\nHangup"
    log.add([ev("VarSet"), ev("Newstate")])
    assert log.text() == "Newchannel\nHangup\nNewstate"
    assert log.set_filter(None) == 6
    assert log.received == 6


def test_summaries_are_made_only_for_what_is_shown():
    made = []
    log = EventLog(lambda m, t: made.append(m.get("Event")) or m.get("Event"), capacity=1000, scrollback=2)
    log.add([ev(f"E{i}") for i in range(100)])
    assert made == []
    log.view_lines()
    assert made == ["E98", "E99"]


def test_markers_show_in_the_view():
    log = EventLog(lambda m, t: m.get("Event"), capacity=10, scrollback=10)
    log.add_marker("--- reconnected ---")
    assert log.view_lines()[0].plain == "--- reconnected ---"
    assert log.received == 0


def test_transcript_is_bounded():
    t = Transcript(maxlines=3)
    t.add_lines([[("", f"line {i}")] for i in range(5)])
    assert t.text() == "line 2\nline 3\nline 4"
    assert t.take_evicted() == 2


def lines(*texts):
    return [[("", x)] for x in texts]


def test_transcript_replaces_a_block_in_place():
    t = Transcript(maxlines=5)
    t.add_lines(lines("a"))
    help_at = t.add_lines(lines("short help", "asking..."))
    after = t.add_lines(lines("b"))
    assert t.replace(help_at, 2, lines("full help", "with", "more")) and t.text() == "a\nfull help\nwith\nmore\nb"
    assert t.replace(after + 1, 1, lines("b2"))  # positions after it moved with it
    assert t.text() == "a\nfull help\nwith\nmore\nb2"
    t.add_lines(lines("c", "d"))  # "a" and "full help" fall off the top
    assert not t.replace(help_at, 3, lines("x")) and t.text() == "with\nmore\nb2\nc\nd"
    t.clear()
    assert not t.replace(after, 1, lines("x")) and t.text() == ""


ENTER = [
    ("Ping", False),
    ("Originate Channel=x", False),
    ("!core show channels", False),
    ("/filter a:b", False),
    ("Action: Ping", True),
    ("Action: Ping\nActionID: 1", True),
    ("Action: Ping\n", False),
    ("Action: Ping\n   ", False),
    ("", False),
]


@pytest.mark.parametrize("text, more", ENTER, ids=[repr(t) for t, _ in ENTER])
def test_enter_sends_unless_the_telnet_form_goes_on(text, more):
    assert ShellSession.wants_more_lines(text) is more


def test_every_key_binding_says_what_it_does():
    class Fake:
        input_buffer = Buffer()

        def focused_pane(self):
            return None

    kb = shell_key_bindings(Fake())
    described = describe_bindings(kb)
    assert len(described) == len(kb.bindings)
    assert all(what for _, what in described)
