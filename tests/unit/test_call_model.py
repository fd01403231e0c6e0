"""The shell's call model thread (shell/callmodel.py) and the big Channels view's window built from it."""

from __future__ import annotations

import random
import sys
import time

import pytest

from conftest import ROOT
from amish.core.calls import CallTracker
from amish.core.protocol import Message, Parser
from amish.shell import callviews, tables
from amish.shell import callmodel
from amish.shell.callmodel import CallModel, Placed, channel_choices, channel_sort_value, pick_choices, sort_keys

sys.path.insert(0, str(ROOT / "bench"))
from callflood import CallFlood  # noqa: E402  (the big PBX's call lifecycles, as the bench sends them)


def flood(calls: int, then: float = 0.0) -> list[Message]:
    f = CallFlood(calls, 200, 0.0)
    data = b"".join(f.tick(0.0)) + (b"".join(f.tick(then)) if then else b"")
    return [m for m in Parser().receive_data(data) if isinstance(m, Message)]


def test_sort_keys_orders_as_the_tables_sort_rows_does_both_ways():
    rng = random.Random(3)
    pool = ["", None, "b", "B", "a", "c", 3.0, 1.5, 0.0, 7]
    values = {f"k{i:03d}": rng.choice(pool[:6]) for i in range(120)}
    numbers = {f"n{i:03d}": rng.choice(pool[6:]) for i in range(120)}
    for vals in (values, numbers):
        rows = [tables.Row(k, (), (v,)) for k, v in vals.items()]
        for reverse in (False, True):
            assert sort_keys(vals, reverse) == [r.key for r in tables.sort_rows(rows, 0, reverse)]


def test_the_model_thread_feeds_the_tracker_and_never_lets_changes_pile_up():
    told = []
    tracker = CallTracker(max_ended=100, keep_events=0)
    model = CallModel(tracker, on_change=lambda: told.append(1))
    try:
        for m in flood(300, then=10.0):
            model.put(m, 1.0)
        assert model.wait_idle(30)
        assert len(tracker.channels) == 2 * 300 + 2 * 2000 - 2 * len(tracker.ended) - 2 * tracker.dropped_calls
        assert len(tracker.ended) == 100 and told == [1]  # told once until the UI took it
        assert not tracker.take_changes()  # taken by the model thread: nothing kept for ever
    finally:
        model.stop()


def test_a_full_queue_drops_and_counts_never_blocks():
    model = CallModel(CallTracker(), maxlen=10)
    model._start = lambda: None  # no thread: nothing takes from the queue
    model._thread = object()
    for m in flood(5)[:25]:
        model.put(m, 1.0)
    assert len(model._queue) == 10 and model.dropped == 15


class _Pane:
    def __init__(self):
        self.key = None
        self.items = []

    def selected_key(self):
        return self.key

    def show(self, items):
        self.items = items

    class buffer:
        class document:
            cursor_position_row = 0


class _Shell:
    call_class = True
    replaying = False

    def __init__(self, tracker, model):
        self.tracker = tracker
        self.model = model

    def now(self):
        return 10.0


@pytest.mark.parametrize("sort,reverse", [(6, True), (0, False), (5, False)])
def test_the_big_channels_view_lays_out_only_a_window_in_the_order_a_full_sort_gives(sort, reverse):
    """Over WINDOW channels: the rows come from the model thread's order, incrementally kept as
    channels come and go, and are exactly the window a full sort of every row would show."""
    tracker = CallTracker(max_ended=50, keep_events=0)
    model = CallModel(tracker)
    messages = flood(600, then=2.0)  # 1,200 channels up, then 400 calls more and their first ends
    try:
        views = callviews.CallViews.__new__(callviews.CallViews)
        views.shell = _Shell(tracker, model)
        st = callviews._TableState(callviews.CHANNEL_COLUMNS, sort, reverse)
        views.state = {callviews.CHANNELS: st}
        pane = _Pane()
        views.channels = pane
        views.pane = lambda view: pane
        for chunk in (messages[: len(messages) // 2], messages[len(messages) // 2:]):
            for m in chunk:
                model.put(m, 1.0)
            assert model.wait_idle(30)
            model.want_order(sort, reverse)
            for _ in range(200):  # the model thread sorts what changed since
                order = model.order
                if order is not None and order.version == tracker.version and (order.sort, order.reverse) == (sort, reverse):
                    break
                model.fed_elsewhere()
                time.sleep(0.05)
            with model.lock:
                window = views._channel_window(tracker, model, pane)
            assert window is not None
            rows, above, below = window
            full = tables.sort_rows(callviews.channel_rows(tracker, 10.0), sort, reverse)
            assert len(rows) == callviews.WINDOW and above + len(rows) + below == len(full) > callviews.WINDOW
            assert [r.cells for r in rows] == [r.cells for r in full[above:above + len(rows)]]
            pane.key = full[-5].key  # the selection near the end: the window follows it
            with model.lock:
                rows, above, below = views._channel_window(tracker, model, pane)
            assert below == 0 and full[-5].key in [r.key for r in rows]
            pane.key = None
        assert channel_sort_value(tracker, next(iter(tracker.channels.values())), 5)  # bridged with its peer
    finally:
        model.stop()


@pytest.mark.parametrize("reverse", [False, True])
def test_placed_keeps_the_order_a_whole_sort_gives_as_values_change(reverse):
    """The big Channels view's order is kept by moving each changed row (callmodel.Placed), not by
    sorting every row again: after any run of changes it is exactly sort_keys' (tables.sort_rows') order."""
    rng = random.Random(11)
    pool = ["", None, "b", "B", "a", "c", "ab", "Zed", 3.0, 1.5, 0.0, 7, -2]
    for strings in (True, False):
        choices = pool[:8] if strings else pool[8:]
        values = {f"k{i:04d}": rng.choice(choices) for i in range(300)}
        placed = Placed()
        placed.rebuild(values, reverse)
        assert placed.keys == sort_keys(values, reverse)
        for step in range(1500):
            key = f"k{rng.randrange(400):04d}"
            if rng.random() < 0.25:
                values.pop(key, None)
                placed.remove(key)
            else:
                values[key] = rng.choice(choices)
                placed.put(key, values[key])
            if step % 100 == 0:
                assert placed.keys == sort_keys(values, reverse)
        assert placed.keys == sort_keys(values, reverse)
        rows = [tables.Row(k, (), (v,)) for k, v in values.items()]
        assert placed.keys == [r.key for r in tables.sort_rows(rows, 0, reverse)]


def test_pick_choices_gives_what_the_completion_menu_can_show_of_them():
    entries = [(f"u{i}", name, name.lower(), "live") for i, name in
               enumerate(["PJSIP/7001-1", "PJSIP/7002-2", "Local/x@ctx-3;1", "SIP/pjsip-4", "PJSIP/7003-5"])]
    assert pick_choices(entries, "pjsip") == [("PJSIP/7001-1", "live"), ("PJSIP/7002-2", "live"),
                                              ("PJSIP/7003-5", "live"), ("SIP/pjsip-4", "live")]
    assert pick_choices(entries, "PJSIP", limit=1) == [("PJSIP/7001-1", "live"), ("SIP/pjsip-4", "live")]
    assert pick_choices(entries, "", limit=2) == [("PJSIP/7001-1", "live"), ("PJSIP/7002-2", "live")]
    live = {"u1": type("Ch", (), {"name": "PJSIP/7002-renamed"})()}
    assert pick_choices(entries, "7", live=live) == [("PJSIP/7002-renamed", "live")]  # only live ones, as named now


def test_channel_completion_on_a_big_pbx_never_sorts_every_channel_per_keystroke_and_never_offers_a_dead_one():
    """Over BIG_CHOICES channels completion reads the list the model thread keeps: the same newest-first
    choices a whole sort gives, a channel that hung up since is never offered, and the list is made again
    on the model thread (not at the keystroke) once the tracker changed."""
    tracker = CallTracker(max_ended=50, keep_events=0)
    model = CallModel(tracker)
    messages = flood(callmodel.BIG_CHOICES)  # 2 channels a call
    try:
        for m in messages:
            model.put(m, 1.0)
        assert model.wait_idle(30) and len(tracker.channels) > callmodel.BIG_CHOICES
        made = []
        real = callmodel._choice_entries
        callmodel._choice_entries = lambda channels: (made.append(1), real(channels))[1]
        expected = channel_choices(tracker.channels.values())
        made.clear()
        assert model.channel_choices("", 200) == expected[:200]
        assert model.channel_choices("PJSIP/10", 200) == [c for c in expected if c[0].lower().startswith("pjsip/10")][:200]
        assert model.channel_choices("PJSIP/10", None) == [c for c in expected if "pjsip/10" in c[0].lower()]
        assert made == [1]  # sorted once, then read: the keystrokes after did not sort
        newest = expected[0][0]
        uid = next(u for u, ch in tracker.channels.items() if ch.name == newest)
        with model.lock:
            tracker.feed(Message([("Event", "Hangup"), ("Channel", newest), ("Uniqueid", uid), ("Cause", "16")]), 2.0)
        assert newest not in [n for n, _ in model.channel_choices("", None)]  # gone at once, before any new list
        def published():
            for _ in range(100):  # the model thread publishes its list again (the tracker changed)
                if model._choices[0] == tracker.version:
                    return True
                model._wake.set()
                time.sleep(0.05)

        assert published() and len(made) == 2  # its own list, made once
        assert model.channel_choices("", None) == channel_choices(tracker.channels.values())
        for m in flood(callmodel.BIG_CHOICES + 300, then=12.0)[len(messages):]:  # 300 calls more, the first end
            model.put(m, 3.0)
        assert model.wait_idle(30) and published()
        assert len(made) == 3  # (the third: this test's own channel_choices) kept as they came and went, not sorted again
        assert model.channel_choices("", None) == channel_choices(tracker.channels.values())
    finally:
        callmodel._choice_entries = real
        model.stop()


def test_the_big_channels_window_is_made_again_when_the_selection_nears_its_edge():
    """Only WINDOW rows are laid out: moving the selection within EDGE rows of the window's edge, with rows
    beyond it, asks the shell for a refresh at once, and that refresh centres the window on the selection."""
    from amish.shell.panes import TablePane

    tracker = CallTracker(max_ended=50, keep_events=0)
    model = CallModel(tracker)
    try:
        for m in flood(600):
            model.put(m, 1.0)
        assert model.wait_idle(30)

        class Shell(_Shell):
            view = callviews.CHANNELS

            class conn:
                username = "admin"

            def __init__(self, tracker, model):
                super().__init__(tracker, model)
                self.edges = []

            def view_edge_reached(self, view):
                self.edges.append(view)

        shell = Shell(tracker, model)
        views = callviews.CallViews(shell)
        pane = views.pane(callviews.CHANNELS)
        for _ in range(100):  # the model thread's order first, then the window from it
            views.refresh(callviews.CHANNELS, 120)
            if model.order is not None and views.state[callviews.CHANNELS].total == len(tracker.channels):
                views.refresh(callviews.CHANNELS, 120)
                break
            time.sleep(0.05)
        keys = [item.key for item in pane.items if item.key is not None]
        assert len(keys) == callviews.WINDOW and keys == model.order.keys[:callviews.WINDOW]
        pane.scroll_to(len(pane.items) - callviews.EDGE - 5)  # still far enough from the edge
        assert shell.edges == []
        pane.scroll_to(len(pane.items) - 3)
        assert shell.edges == [callviews.CHANNELS]
        selected = pane.selected_key()
        views.refresh(callviews.CHANNELS, 120)
        keys = [item.key for item in pane.items if item.key is not None]
        at = keys.index(selected)  # still selected, now in the middle of the new window
        assert pane.selected_key() == selected and callviews.EDGE < at < len(keys) - callviews.EDGE
        assert keys == model.order.keys[model.order.index[keys[0]]:][:len(keys)]
    finally:
        model.stop()
