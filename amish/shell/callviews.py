"""The Channels and Calls views and the call timeline: what they show and what their keys do.

The rows come from the call tracker (amish.core.calls, fed every event by the
shell's drain); the tables are laid out by shell/tables.py and shown in
panes.TablePane. Every action on a row goes through the input line the way a
typed one does (ShellSession.submit_text): `--read-only` refuses it, a Hangup or
Redirect asks for a second Enter, and what is sent is echoed in the transcript.
Nothing here waits on the network.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING

from ..core.errors import InputError
from . import tables
from .callmodel import caller_text, channel_sort_value
from .panes import TableLine, TablePane

if TYPE_CHECKING:  # pragma: no cover
    from .app import Shell

__all__ = ["CallViews", "CHANNEL_COLUMNS", "CALL_COLUMNS", "channel_rows", "call_rows"]

CHANNEL_COLUMNS = (
    tables.Column("Channel", 32, 44),
    tables.Column("State", 4, 10),
    tables.Column("Caller ID", 6, 28),
    tables.Column("Connected", 6, 28),
    tables.Column("Where", 8, 36),
    tables.Column("Bridged with", 8, 44),
    tables.Column("Duration", 8, 9, numeric=True),
)
CALL_COLUMNS = (
    tables.Column("From", 10, 34),
    tables.Column("To", 6, 30),
    tables.Column("State", 5, 11),
    tables.Column("Duration", 8, 9, numeric=True),
    tables.Column("End cause", 6, 30),
    tables.Column("Channels", 8, 60),
)

#: At most this many rows of a table are laid out, around the selected one (a few screens): a PBX's
#: 10,000 channels are sorted (on the model thread) and counted, but the UI makes only these rows...
WINDOW = 120
#: ...and makes the window again, around the selection, as soon as it comes this near the window's edge
#: with more rows beyond (a refresh of WINDOW rows, not of the table).
EDGE = 30

#: The views and what their titles call them.
CHANNELS, CALLS, TIMELINE = "channels", "calls", "timeline"


# -- rows from the tracker (the one place that reads its records) -----------------------------


def _bridges(channels) -> dict[str, list[str]]:
    by_bridge: dict[str, list[str]] = {}
    for ch in channels:
        if ch.bridge:
            by_bridge.setdefault(ch.bridge, []).append(ch.name)
    return by_bridge


def channel_rows(tracker, now: float, channels=None, by_bridge=None) -> list[tables.Row]:
    """One row per live channel of the tracker (amish.core.calls.CallTracker), or of `channels` of it."""
    rows = []
    if channels is None:
        channels = list(tracker.channels.values()) if tracker is not None else []
    if by_bridge is None:
        by_bridge = _bridges(channels)
    for ch in channels:
        where = ch.where
        peers = ", ".join(n for n in by_bridge.get(ch.bridge, ()) if n != ch.name) if ch.bridge else ""
        duration = max(0.0, now - ch.created) if ch.created else None
        state = ch.state_desc or str(ch.state)
        if ch.on_hold:
            state += ", hold"
        if ch.recording:
            state += ", rec"
        caller = caller_text(ch.caller_num, ch.caller_name)
        connected = caller_text(ch.connected_num, ch.connected_name)
        rows.append(tables.Row(
            ch.uniqueid,
            (ch.name, state, caller, connected, where, peers, tables.duration_text(duration)),
            (ch.name, state, caller, connected, where, peers, duration or 0.0),
            lambda ch=ch, peers=peers: [
                ("Channel", ch.name), ("ChannelStateDesc", ch.state_desc), ("ChannelState", str(ch.state)),
                ("CallerIDNum", ch.caller_num), ("CallerIDName", ch.caller_name),
                ("ConnectedLineNum", ch.connected_num), ("ConnectedLineName", ch.connected_name),
                ("AccountCode", ch.accountcode), ("Context", ch.context), ("Exten", ch.exten),
                ("Priority", str(ch.priority)), ("Application", ch.application), ("AppData", ch.app_data),
                ("Uniqueid", ch.uniqueid), ("Linkedid", ch.linkedid), ("BridgeUniqueid", ch.bridge),
                ("BridgedWith", peers)],
            linkedid=ch.linkedid,
        ))
    return rows


def call_rows(tracker, now: float) -> list[tables.Row]:
    """One row per call of the tracker, live and recently ended (newest ended last)."""
    rows = []
    calls = (list(tracker.calls.values()) + tracker.ended) if tracker is not None else []
    for call in calls:
        duration = call.duration_at(now) if call.start is not None else None
        cause = ""
        if call.end is not None and call.cause is not None:
            cause = f"{call.cause} {call.cause_text}".strip()
        names = [ch.name for ch in call.channels]
        rows.append(tables.Row(
            call.linkedid,
            (call.caller, call.callee, call.state, tables.duration_text(duration), cause, ", ".join(names)),
            (call.caller, call.callee, call.state, duration or 0.0, cause, ", ".join(names)),
            [("Linkedid", call.linkedid), ("From", call.caller), ("To", call.callee), ("State", call.state),
             ("Cause", "" if call.cause is None else str(call.cause)), ("Cause-txt", call.cause_text)]
            + [("Channel", n) for n in names],
            style="fg:ansibrightblack" if call.end is not None else "",
            linkedid=call.linkedid,
        ))
    return rows


class _TableState:
    def __init__(self, columns, sort: int, reverse: bool):
        self.columns = columns
        self.sort = sort
        self.reverse = reverse
        self.filter_text = ""
        self.predicate = None
        self.total = 0
        self.shown = 0


class CallViews:
    """What the top of the shell shows instead of the events pane: the Channels view, the Calls
    view, a call's timeline. The shell calls refresh() (at a bounded rate) and the keys' methods."""

    def __init__(self, shell: "Shell", search_control=None):
        self.shell = shell
        self.channels = TablePane(CHANNELS, search_control)
        self.calls = TablePane(CALLS, search_control)
        self.timeline = TablePane(TIMELINE, search_control)
        self.state = {
            CHANNELS: _TableState(CHANNEL_COLUMNS, len(CHANNEL_COLUMNS) - 1, True),  # the longest first
            CALLS: _TableState(CALL_COLUMNS, 3, False),
        }
        self.timeline_call = ""
        self.timeline_steps = 0
        self._last: dict[str, float] = {}
        #: per view: the pane's lines of its window's first and last rows, and whether rows lie beyond them
        self._edges: dict[str, tuple[int, int, bool, bool]] = {}
        for view in (CHANNELS, CALLS):
            pane = self.pane(view)
            pane.buffer.on_cursor_position_changed += lambda _buf, view=view: self._moved(view)

    def _moved(self, view: str) -> None:
        """The selection moved: near the edge of a window with rows beyond, the shell refreshes the view."""
        pane = self.pane(view)
        edges = self._edges.get(view)
        if pane._updating or edges is None or self.shell.view != view:
            return
        first, last, more_above, more_below = edges
        row = pane.buffer.document.cursor_position_row
        if (more_above and row - first < EDGE) or (more_below and last - row < EDGE):
            self._edges.pop(view, None)  # once until the window is made again
            self.shell.view_edge_reached(view)

    # -- what is shown ------------------------------------------------------------------
    def pane(self, view: str) -> TablePane:
        return {CHANNELS: self.channels, CALLS: self.calls, TIMELINE: self.timeline}[view]

    def rows(self, view: str, now: float | None = None) -> list[tables.Row]:
        now = self.shell.now() if now is None else now
        tracker = self.shell.tracker
        if view == CHANNELS:
            rows = channel_rows(tracker, now)
        else:
            rows = call_rows(tracker, now)
        st = self.state[view]
        st.total = len(rows)
        rows = tables.narrow(rows, st.predicate)
        st.shown = len(rows)
        return tables.sort_rows(rows, st.sort, st.reverse)

    def refresh(self, view: str, width: int) -> None:
        """Rebuild the view's lines (the selection stays on its row)."""
        if view == TIMELINE:
            return  # a timeline is drawn once, when opened (and again by refresh_timeline)
        st = self.state[view]
        pane = self.pane(view)
        tracker = self.shell.tracker
        model = getattr(self.shell, "model", None)
        with model.lock if model is not None else contextlib.nullcontext():  # the model thread feeds it
            window = None
            big = view == CHANNELS and st.predicate is None and tracker is not None and len(tracker.channels) > WINDOW
            if model is not None and view == CHANNELS:
                model.want_order(st.sort, st.reverse) if big else model.want_order(None)
            if big:
                window = self._channel_window(tracker, model, pane) if model is not None else None
                all_rows = self._big_channel_rows(tracker, pane) if window is None else []
            else:
                all_rows = self.rows(view)
        if window is not None:
            rows, above, below = window
        else:
            rows, above, below = self._window(all_rows, pane)
        self._show(view, st, rows, above, below, width)

    @staticmethod
    def _window(all_rows: list, pane) -> tuple[list, int, int]:
        """The WINDOW rows around the selection, and how many are above and below them."""
        rows = all_rows
        above = below = 0
        if len(all_rows) > WINDOW:
            key = pane.selected_key()
            at = next((i for i, r in enumerate(all_rows) if r.key == key), None) if key is not None else None
            if at is None:
                at = max(0, min(pane.buffer.document.cursor_position_row - 1, len(all_rows) - 1))
            above = max(0, min(at - WINDOW // 2, len(all_rows) - WINDOW))
            rows = all_rows[above:above + WINDOW]
            below = len(all_rows) - above - len(rows)
        return rows, above, below

    def _show(self, view: str, st: "_TableState", rows: list, above: int, below: int, width: int) -> None:
        header, lines = tables.layout(st.columns, rows, width)
        items = [TableLine(header, [("class:table.header bold", header)], None)]
        if above:
            more = f"… {above} rows above (move up, sort or narrow to see them)"
            items.append(TableLine(more, [("class:title.dim", more)], None))
        if self.shell.call_class is False:  # the model hears nothing: say why, and what to change
            from .session import no_call_class_note

            note = no_call_class_note(self.shell.conn.username or "")
            items.append(TableLine(note, [("fg:ansired", note)], None))
        first = len(items)
        for row, line in zip(rows, lines):
            style = row.style
            if view == CALLS and not style:
                style = tables.call_style(row.linkedid)
            items.append(TableLine(line, [(style, line)] if style else [("", line)], row.key))
        self._edges[view] = (first, len(items) - 1, above > 0, below > 0)
        if below:
            more = f"… {below} rows below (move down, sort or narrow to see them)"
            items.append(TableLine(more, [("class:title.dim", more)], None))
        if not rows and self.shell.call_class is not False:
            note = "no live channels" if view == CHANNELS else "no calls yet"
            if self.shell.tracker is None:
                note = "the call model is not available in this session"
            elif st.total:
                note = f"none of the {st.total} match the filter: {st.filter_text}"
            items.append(TableLine(note, [("class:title.dim", note)], None))
        self.pane(view).show(items)

    def _channel_window(self, tracker, model, pane):
        """(Under the model's lock) A big PBX's channels in the order the model thread keeps: only the
        WINDOW rows around the selection are made; (rows, above, below), or None until that order is made."""
        st = self.state[CHANNELS]
        order = model.order
        if order is None or (order.sort, order.reverse) != (st.sort, st.reverse):
            return None
        keys = order.keys
        st.total = st.shown = len(tracker.channels)
        key = pane.selected_key()
        at = order.index.get(key) if key is not None else None
        if at is None:
            at = max(0, min(pane.buffer.document.cursor_position_row - 1, len(keys) - 1))
        lo = max(0, min(at - WINDOW // 2, len(keys) - WINDOW))
        picked = keys[lo:lo + WINDOW]
        channels = tracker.channels
        wanted = [ch for ch in map(channels.get, picked) if ch is not None]  # not those ended since the sort
        by_bridge: dict[str, list[str]] = {}
        for ch in wanted:
            if ch.bridge and ch.bridge not in by_bridge:
                br = tracker.bridges.get(ch.bridge)
                members = br.members if br is not None else ()
                by_bridge[ch.bridge] = [channels[u].name for u in members if u in channels]
        return channel_rows(tracker, self.shell.now(), wanted, by_bridge), lo, len(keys) - lo - len(picked)

    def _big_channel_rows(self, tracker, pane) -> list:
        """A big PBX's channels, sorted by the one value each sorts by; only the window around the selection
        made into full rows (the rest stay light rows: a key and a sort value)."""
        st = self.state[CHANNELS]
        now = self.shell.now()
        channels = list(tracker.channels.values())
        by_bridge = _bridges(channels)
        # sorted as the model thread will keep them (callmodel.channel_sort_value), until it has
        light = [tables.Row(ch.uniqueid, (), (channel_sort_value(tracker, ch, st.sort),)) for ch in channels]
        light = tables.sort_rows(light, 0, st.reverse)
        st.total = st.shown = len(light)
        key = pane.selected_key()
        at = next((i for i, r in enumerate(light) if r.key == key), None) if key is not None else None
        if at is None:
            at = max(0, min(pane.buffer.document.cursor_position_row - 1, len(light) - 1))
        lo = max(0, min(at - WINDOW // 2, len(light) - WINDOW))
        wanted = [tracker.channels[r.key] for r in light[lo:lo + WINDOW]]
        full = channel_rows(tracker, now, wanted, by_bridge)
        return light[:lo] + full + light[lo + WINDOW:]

    def title(self, view: str) -> list:
        if view == TIMELINE:
            return [("class:title", " Call timeline "),
                    ("class:title.dim", f"{tables.call_tag(self.timeline_call)} {self.timeline_call}  "
                                        "(Enter: the events of a step, e: all its events, Esc: back to Calls)")]
        st = self.state[view]
        name = "Channels" if view == CHANNELS else "Calls"
        arrow = "↓" if st.reverse else "↑"
        parts = [("class:title", f" {name} "),
                 ("class:title.dim", f"{st.shown} shown of {st.total}  sort: {st.columns[st.sort].title} {arrow}")]
        if st.filter_text:
            parts.append(("fg:ansicyan", f"  narrowed: {st.filter_text}"))
        if view == CHANNELS:
            keys = "  Enter details  h hang up  r redirect  m MixMonitor  e events  s/S sort"
        else:
            keys = "  Enter timeline  e events  s/S sort"
        parts.append(("class:title.dim", keys))
        return parts

    # -- sorting and narrowing ------------------------------------------------------------
    def next_sort(self, view: str) -> None:
        st = self.state.get(view)
        if st is not None:
            st.sort = (st.sort + 1) % len(st.columns)

    def reverse_sort(self, view: str) -> None:
        st = self.state.get(view)
        if st is not None:
            st.reverse = not st.reverse

    def narrow(self, view: str, text: str) -> str:
        """Narrow a view with the filter language; returns what to say."""
        from ..core.eventfilter import FilterError, parse_filter

        st = self.state[view]
        text = text.strip()
        try:
            flt = parse_filter(text)
        except FilterError as e:
            raise InputError(f"filter: {e}") from None
        st.filter_text = "" if flt.is_empty else text
        st.predicate = None if flt.is_empty else flt
        return f"{view} narrowed: {text}" if st.filter_text else f"{view}: all shown"

    # -- the selected row ---------------------------------------------------------------------
    def selected_channel(self):
        key = self.channels.selected_key()
        tracker = self.shell.tracker
        if key is None or tracker is None:
            return None
        return tracker.channels.get(key)  # a live one: the actions need it up

    def selected_linkedid(self, view: str) -> str:
        pane = self.pane(view)
        key = pane.selected_key()
        if key is None:
            return ""
        if view == CALLS:
            return key
        if view == TIMELINE:
            return self.timeline_call
        ch = self.selected_channel()
        return ch.linkedid if ch is not None else ""

    def _need_channel(self):
        ch = self.selected_channel()
        if ch is None:
            raise InputError("no channel selected (it may have hung up)")
        return ch

    def _need_server(self, what: str) -> None:
        if self.shell.replaying:
            raise InputError(f"this is a replay: nothing can be sent ({what} needs a live server)")

    def details(self) -> None:
        """The selected channel's details now (from the model), its variables when Status answers."""
        ch = self._need_channel()
        self.shell.show_renderable(render_channel(ch))
        if not self.shell.replaying:  # a replay has the model's details only
            self.shell.submit_text(f"Status Channel={ch.name} AllVariables=true")

    def hangup(self) -> None:
        self._need_server("hanging up")
        ch = self._need_channel()
        self.shell.type_action(f"Hangup Channel={ch.name} Cause=16", send=True)  # 16: normal clearing

    def redirect(self) -> None:
        self._need_server("redirecting")
        ch = self._need_channel()
        self.shell.type_action(f"Redirect Channel={ch.name} Context=", send=False)

    def mixmonitor(self) -> None:
        self._need_server("MixMonitor")
        ch = self._need_channel()
        if ch.recording:
            self.shell.type_action(f"StopMixMonitor Channel={ch.name}", send=False)
        else:
            safe = "".join(c if c.isalnum() or c in "-." else "-" for c in ch.uniqueid)
            self.shell.type_action(f"MixMonitor Channel={ch.name} File=amish-{safe}.wav", send=False)

    # -- the timeline ------------------------------------------------------------------------
    def open_timeline(self, linkedid: str) -> None:
        self.timeline_call = linkedid
        self.refresh_timeline()

    def refresh_timeline(self) -> None:
        events = self.shell.call_events(self.timeline_call)
        channels, steps, _start = tables.call_steps(events)
        self.timeline_steps = len(steps)
        width = max(16, min(44, max((len(n) for n in channels), default=16) + 3))
        lines = tables.timeline_lines(channels, steps, width)
        items = [TableLine(l.plain, l.fragments(), None if l.step is None else str(i))
                 for i, l in enumerate(lines)]
        if not steps:
            note = "no events of this call are kept (it was up before amish started, or they were evicted)"
            items.append(TableLine(note, [("class:title.dim", note)], None))
        self._timeline_lines = lines
        self.timeline.show(items)

    def step_events(self) -> list:
        """The events behind the selected step of the timeline."""
        key = self.timeline.selected_key()
        if key is None:
            return []
        line = self._timeline_lines[int(key)]
        return list(line.step.events) if line.step is not None else []


def channel_details(ch) -> list[tuple[str, str]]:
    """What the model knows of a channel, as (label, value) pairs (empty values left out)."""
    when = lambda t: time.strftime("%H:%M:%S", time.localtime(t)) if t else ""
    pairs = [
        ("Channel", ch.name), ("Uniqueid", ch.uniqueid), ("Linkedid", ch.linkedid),
        ("State", ch.state_desc or str(ch.state)), ("Caller ID", caller_text(ch.caller_num, ch.caller_name)),
        ("Connected line", caller_text(ch.connected_num, ch.connected_name)), ("Account code", ch.accountcode),
        ("Where", ch.where), ("Bridge", ch.bridge), ("Created", when(ch.created)), ("Answered", when(ch.answered)),
        ("On hold", "yes" if ch.on_hold else ""), ("Recording", "yes (MixMonitor)" if ch.recording else ""),
        ("Renamed from", ", ".join(ch.names[:-1])),
        ("Up before amish started", "yes" if ch.seeded else ""),
    ]
    return [(k, v) for k, v in pairs if v]


def render_channel(ch):
    """A channel's details as the model has them."""
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim")
    grid.add_column()
    for key, value in channel_details(ch):
        grid.add_row(Text(key), Text(str(value)))
    return grid
