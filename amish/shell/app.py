"""The full-screen shell: events pane, transcript, input line, toolbar.

Threads: the connection's I/O thread only calls `_wake` (which schedules a
drain on the UI loop with call_soon_threadsafe) and Pending callbacks (which
hand the result over the same way). Everything that touches a store, a
buffer or the screen runs on the UI loop, at a bounded rate.
"""

from __future__ import annotations

import asyncio
import gc
import collections
import time

from prompt_toolkit.application import Application
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.completion import ThreadedCompleter
from prompt_toolkit.document import Document
from prompt_toolkit.filters import Condition
from prompt_toolkit.layout import (
    ConditionalContainer,
    Float,
    FloatContainer,
    HSplit,
    Layout,
    Window,
)
from prompt_toolkit.layout.controls import BufferControl, FormattedTextControl
from prompt_toolkit.layout.dimension import Dimension as D
from prompt_toolkit.layout.menus import CompletionsMenu
from prompt_toolkit.layout.processors import BeforeInput
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.styles import merge_styles
from prompt_toolkit.widgets import SearchToolbar

from rich.console import Group
from rich.text import Text

from ..ui import render
from ..ui.render.eventline import NAME_WIDTH
from ..transports.shared import Closed, Notice, RecordedTime
from ..core.protocol import Message, ProtocolError
from ..runtime.fleet import MemberState
from ..transports.base import Transport
from ..transports.items import dispatch
from ..ui.lexer import InputLexer
from ..ui.prompt import SHELL_STYLE, MaskTypedSecrets, make_history
from .idlegc import IdleCollector
from .keys import describe_bindings, shell_key_bindings
from . import tables, views
from .callviews import CALLS, CHANNELS, TIMELINE, CallViews
from .panes import Pane, ansi_lines
from .session import ShellSession
from .stores import EventLog, Transcript
from .toolbar import ToolbarState, toolbar_fragments

__all__ = ["Shell", "SHELL_STYLE"]

DRAIN_INTERVAL = 0.05  # at most 20 drains (and redraws) a second under a flood
MAX_ITEMS_PER_DRAIN = 1000  # then the loop takes keystrokes before the next slice
PANE_REFRESH_BUSY = 0.25  # under a flood the events pane is rebuilt at most 4 times a second
FLOOD_TAIL = 150  # ...from its newest lines only (more than a pane's height), while it follows; the full view returns when it calms
FLOOD_CALM = 1.0  # seconds without a full drain slice before the flood is over
MIN_REDRAW = 0.016  # a keystroke's echo waits at most this long for a redraw
ESC_WAIT = 0.4  # seconds a lone Esc waits for the key of an Alt-chord (prompt_toolkit: 1.0)
EVENTS_SHARE = 0.4  # of the terminal's rows, for the events pane at the start
VIEW_REFRESH = 0.25  # a Channels or Calls view is rebuilt at most 4 times a second when the model changes...
VIEW_REFRESH_BUSY = 1.0  # ...once a second under a flood (and once a second anyway: durations tick)
BIG_TABLE = 2000  # rows from which a view is rebuilt once a second whatever the rate
GC_TICK = 0.25  # how often the idle collector (shell/idlegc.py) looks whether a full pass may run


class Shell(ShellSession):
    """The full-screen application around a logged-in session (any `Transport`)."""

    def __init__(self, conn: Transport, *, input=None, output=None, **kw):
        super().__init__(conn, **kw)
        self.events = EventLog(self._summarize, capacity=self.capacity, scrollback=self.scrollback)
        self.transcript = Transcript()
        self.events_visible = True
        self.paused = False
        self.events_share = EVENTS_SHARE  # of the terminal's rows: a resize keeps the proportions
        self._blocks: dict[str, tuple[int, int]] = {}  # key -> (position, lines) in the transcript
        self._fragment_cache: dict[int, list] = {}
        self._rate_samples: collections.deque = collections.deque(maxlen=20)
        self._last_pane_refresh = 0.0
        self._pane_refresh_scheduled = False
        self._flood_until = 0.0

        self.idle_gc = IdleCollector()
        self.search = SearchToolbar(ignore_case=True)
        #: What the top of the screen shows: "events", or the "channels", "calls" or "timeline" view.
        self.view = "events"
        #: The Linkedid of the call the events pane follows ("" for all).
        self.following_call = ""
        self.callviews = CallViews(self, self.search.control)
        self._view_version = -1
        self._last_view_refresh = 0.0
        self._view_refresh_scheduled = False
        self.events_pane = Pane("events", self.events.view_lines, self._event_fragments, self.search.control)
        self.transcript_pane = Pane(
            "transcript", lambda: self.transcript.lines, lambda line: line.fragments, self.search.control
        )
        self.input_buffer = Buffer(
            name="input",
            multiline=True,
            # completion is worked out off the UI loop (a big PBX's 10,000 channel names scanned at each key
            # of a Channel= value): the key's echo is drawn without waiting for the menu
            completer=ThreadedCompleter(self.completer),
            complete_while_typing=True,
            history=make_history(),
            enable_history_search=False,
        )
        self.key_bindings = shell_key_bindings(self)
        self.app = Application(
            layout=self._layout(),
            key_bindings=self.key_bindings,
            style=merge_styles([self.lexer_style, SHELL_STYLE]),
            include_default_pygments_style=False,
            full_screen=True,
            mouse_support=False,
            min_redraw_interval=MIN_REDRAW,
            refresh_interval=1.0,
            input=input,
            output=output,
        )
        # a lone Esc (closing the completion menu) waits this long for a key that would make it
        # Alt-something (Alt-Enter), instead of prompt_toolkit's full second
        self.app.timeoutlen = ESC_WAIT

    # -- layout ---------------------------------------------------------------
    def _layout(self) -> Layout:
        events_window = Window(
            self.events_pane.control, wrap_lines=False, height=self._events_height,
            cursorline=Condition(lambda: self.focused_pane() is self.events_pane),
        )
        transcript_window = Window(
            self.transcript_pane.control, wrap_lines=False,
            cursorline=Condition(lambda: self.focused_pane() is self.transcript_pane),
        )
        self.events_window = events_window
        self.transcript_window = transcript_window
        events_title = Window(
            FormattedTextControl(self._events_title), height=1, style=lambda: self._title_style(events_window)
        )
        transcript_title = Window(
            FormattedTextControl(self._transcript_title), height=1, style=lambda: self._title_style(transcript_window)
        )
        input_window = Window(
            BufferControl(
                self.input_buffer,
                lexer=PygmentsLexer(InputLexer),
                input_processors=[MaskTypedSecrets(), BeforeInput(self._prompt)],  # secrets typed show as *
            ),
            height=D(min=1, max=8),
            wrap_lines=True,
            dont_extend_height=True,
        )
        self.input_window = input_window
        self.view_windows = {}
        view_containers = []
        for name in (CHANNELS, CALLS, TIMELINE):
            pane = self.callviews.pane(name)
            window = Window(pane.control, wrap_lines=False, height=self._events_height, cursorline=True)
            self.view_windows[name] = window
            title = Window(
                FormattedTextControl(lambda name=name: self.callviews.title(name)), height=1,
                style=lambda window=window: self._title_style(window),
            )
            view_containers.append(ConditionalContainer(
                HSplit([title, window]), filter=Condition(lambda name=name: self.view == name)
            ))
        panes = HSplit(
            [
                ConditionalContainer(
                    HSplit([events_title, events_window]),
                    filter=Condition(lambda: self.events_visible and self.view == "events"),
                ),
                *view_containers,
                transcript_title,
                transcript_window,
                input_window,
                self.search,
            ]
        )
        # the completion menu floats over the panes only: the toolbar below stays in sight
        body = HSplit(
            [
                FloatContainer(
                    content=panes,
                    floats=[Float(xcursor=True, ycursor=True, content=CompletionsMenu(max_height=12, scroll_offset=1))],
                ),
                Window(FormattedTextControl(self._toolbar), height=1, style="class:toolbar"),
            ]
        )
        return Layout(body, focused_element=input_window)

    def _terminal_rows(self) -> int:
        return self.app.output.get_size().rows if hasattr(self, "app") else 24

    def events_rows(self) -> int:
        """The events pane's height: its share of the terminal's rows, leaving room for the rest."""
        rows = self._terminal_rows()
        return max(1, min(round(rows * self.events_share), rows - 6))

    def _events_height(self) -> D:
        return D.exact(self.events_rows())

    def _title_style(self, window: Window) -> str:
        return "class:title.focused" if self.app.layout.has_focus(window) else "class:title"

    def _prompt(self):
        style = "class:prompt" if self.conn.connected else "class:prompt.disconnected"
        return [(style, f"{self.fleet.current}> " if self.fleet is not None else "ami> ")]

    def _focus_mark(self, pane: Pane) -> list:
        return [("class:title", "[focused] ")] if self.focused_pane() is pane else []

    def _events_title(self):
        log = self.events
        parts = [("class:title", " Events "), *self._focus_mark(self.events_pane)]
        parts.append(("class:title.dim", f"{log.shown} shown of {log.received} received"))
        if log.evicted:
            parts.append(("class:title.dim", f", {log.evicted} evicted"))
        if self.sub.dropped:
            parts.append(("fg:ansired", f", {self.sub.dropped} dropped"))
        if self.filter_text:
            parts.append(("fg:ansicyan", f"  filter: {self.filter_text}"))
        if self.following_call:
            parts.append((f"{tables.call_style(self.following_call)} bold",
                          f"  following call {tables.call_tag(self.following_call)} ({self.following_call}; c to stop)"))
        if self.paused:
            parts.append(("fg:ansiyellow", "  PAUSED (F4)"))
        elif not self.events_pane.follow:
            parts.append(("fg:ansiyellow", "  scrolled (End or F5 to follow)"))
        return parts

    def _transcript_title(self):
        parts = [("class:title", " Transcript "), *self._focus_mark(self.transcript_pane)]
        if self.transcript_pane.follow:
            parts.append(("class:title.dim", "(F3 to focus, PageUp/PageDown to scroll)"))
        else:
            parts.append(("fg:ansiyellow", "scrolled (Ctrl-End for the newest)"))
        return parts

    def toolbar_state(self) -> ToolbarState:
        now = time.monotonic()
        samples = self._rate_samples
        rate = 0.0
        if samples:
            t0, n0 = samples[0]
            if now - t0 > 0.5:
                rate = (self.events.received - n0) / (now - t0)
        return ToolbarState(
            address=self.conn.address,
            tls=self.conn.tls,
            user=self.conn.username or "",
            ami_version=self.conn.banner.version if self.conn.banner else "",
            asterisk_version=self.asterisk_version,
            state=self.state,
            filter_text=self.filter_text,
            follow=self.events_pane.follow,
            paused=self.paused,
            events_visible=self.events_visible,
            rate=rate,
            received=self.events.received,
            shown=self.events.shown,
            evicted=self.events.evicted,
            dropped=self.sub.dropped,
            in_flight=len(self.in_flight),
            focus=self._focus_name(),
            read_only=self.read_only,
        )

    def _toolbar(self):
        now = time.monotonic()
        if not self._rate_samples or now - self._rate_samples[-1][0] >= 0.5:
            self._rate_samples.append((now, self.events.received))
        return toolbar_fragments(self.toolbar_state(), self.app.output.get_size().columns)

    # -- running --------------------------------------------------------------
    def run(self) -> int:
        return asyncio.run(self.run_async())

    async def run_async(self) -> int:
        self._loop = asyncio.get_running_loop()
        # Everything made so far (prompt_toolkit, the catalogue, the widgets) lives as
        # long as the shell: out of the cycle collector's way, its full passes under a
        # flood scan only what is new, in a few ms instead of a paused screen.
        gc.freeze()
        # ...and the full passes over what the shell keeps (a big PBX's call model) wait for an idle keyboard
        self.idle_gc.install()
        self.app.key_processor.before_key_press += lambda _kp: self.idle_gc.key()
        self._loop.call_later(GC_TICK, self._gc_tick)
        self.start()
        self.app.after_render += lambda _app: None
        try:
            await self.app.run_async()
        finally:
            self.idle_gc.uninstall()
            self.stop()
        return 0

    def _gc_tick(self) -> None:
        self.idle_gc.tick()
        self._loop.call_later(GC_TICK, self._gc_tick)

    def _drain(self) -> None:
        """Take one bounded slice of what arrived; more slices follow after keystrokes get their turn."""
        self._last_drain = time.monotonic()
        items = self.sub.drain(MAX_ITEMS_PER_DRAIN)
        if len(self.sub):
            self._loop.call_later(DRAIN_INTERVAL, self._drain)  # still scheduled: no new call_soon needed
        else:
            self._drain_scheduled = False
        if not items:
            return
        dispatch(items, self._take_messages, self._take_protocol_error, self._take_closed, self.show_result,
                 recorded_time=self._take_recorded_time, notice=self._take_notice, other=self._take_member_state)
        busy = len(items) >= MAX_ITEMS_PER_DRAIN
        if busy:
            self._flood_until = time.monotonic() + FLOOD_CALM
            if self.events_pane.tail_source is None:
                self.events_pane.tail_source = lambda: self.events.view_tail(FLOOD_TAIL)
                self._loop.call_later(FLOOD_CALM + 0.1, self._flood_over)
        # the call views redraw when the model thread has fed what this slice queued (calls_changed)
        if self._refresh_events(busy) or not (busy or self.view != "events"):
            # under a flood the screen changes with the pane (4 times a second), not with
            # every slice: fewer redraws leave the loop to the keystrokes
            self.app.invalidate()

    def _take_messages(self, messages: list[Message]) -> None:
        events: list[Message] = []
        observe = self.observe_event
        for item in messages:
            kind = item.kind
            if kind == "response":
                note = None if self.replaying else "late response (nobody waited for it)"
                self.show_lines(self.render_lines(render.render_message(item), note))
            elif kind == "action":  # a replay shows what was sent, too
                self.show_lines(self.render_lines(views.render_sent(item)))
            else:
                observe(item)
                events.append(item)
        if events:
            self.events.add(events, self.recorded_now)

    def _take_recorded_time(self, item: RecordedTime) -> None:
        self.recorded_now = item.when  # a replay: what follows was recorded then

    def _take_protocol_error(self, item: ProtocolError) -> None:
        self.events.add_marker(f"protocol error: {item.reason} ({item.skipped} bytes skipped)")
        self.show_lines(self.render_lines(render.render_protocol_error(item)))

    def _take_closed(self, item: Closed) -> None:
        self.on_closed(item.reason)

    def _take_notice(self, item: Notice) -> None:  # the transport's own word (an HTTP session logged in again)
        self.events.add_marker(f"amish: {item.text}")
        self.note(f"amish: {item.text}")

    def _take_member_state(self, item: object) -> None:
        if isinstance(item, MemberState):  # a server of the fleet lost, back or gone
            self.on_member_state(item)
        else:
            raise TypeError(f"a subscription never holds {type(item).__name__}")

    def _flood_over(self) -> None:
        """Back to the full scrollback in the pane once the flood calms."""
        if time.monotonic() < self._flood_until:
            self._loop.call_later(self._flood_until - time.monotonic() + 0.05, self._flood_over)
            return
        self.events_pane.tail_source = None
        self._last_pane_refresh = 0.0
        self._refresh_events()
        self.app.invalidate()

    def _refresh_events(self, busy: bool = False) -> bool:
        """Refresh the events pane now or schedule it (at most every PANE_REFRESH_BUSY under a flood).

        True when it was refreshed now.
        """
        if self.paused or self.view != "events":
            # a call view covers the pane: nothing to lay out (show_view("events") brings it up to date)
            return False
        wait = self._last_pane_refresh + (PANE_REFRESH_BUSY if busy else 0) - time.monotonic()
        if wait > 0:
            if not self._pane_refresh_scheduled:
                self._pane_refresh_scheduled = True
                self._loop.call_later(wait, self._scheduled_refresh)
            return False
        self._last_pane_refresh = time.monotonic()
        self.events_pane.refresh(self.events.take_view_evicted())
        return True

    def _scheduled_refresh(self) -> None:
        self._pane_refresh_scheduled = False
        self._refresh_events()
        self.app.invalidate()

    # -- the call views ---------------------------------------------------------
    def _refresh_view(self, busy: bool = False, force: bool = False) -> None:
        """Rebuild the table shown when the call model changed (at a bounded rate) or when forced."""
        if self.view in ("events", TIMELINE):
            return
        version = self.tracker.version
        if not force and version == self._view_version:
            return
        big = self.callviews.state[self.view].total > BIG_TABLE  # a big PBX: once a second, like a flood
        wait = self._last_view_refresh + (VIEW_REFRESH_BUSY if busy or big else VIEW_REFRESH) - time.monotonic()
        if wait > 0 and not force:
            if not self._view_refresh_scheduled and self._loop is not None:
                self._view_refresh_scheduled = True
                self._loop.call_later(wait, self._scheduled_view_refresh)
            return
        self._view_version = version
        self._last_view_refresh = time.monotonic()
        self.callviews.refresh(self.view, self.width())
        self.app.invalidate()

    def view_edge_reached(self, view: str) -> None:
        """The selection came near the edge of the rows laid out (callviews.WINDOW): the rows beyond it
        now, not at the next refresh (after the key that moved it)."""
        if self._loop is not None:
            self._loop.call_soon(lambda: view == self.view and self._refresh_view(force=True))

    def _scheduled_view_refresh(self) -> None:
        self._view_refresh_scheduled = False
        self._refresh_view()

    def _tick_view(self) -> None:
        """Once a second while a table is shown: the durations move on."""
        if self.view in (CHANNELS, CALLS):
            if time.monotonic() - self._last_view_refresh >= VIEW_REFRESH_BUSY * 0.9:
                self._refresh_view(force=True)
            self._loop.call_later(VIEW_REFRESH_BUSY, self._tick_view)

    def show_view(self, name: str) -> None:
        """Show a view at the top (the events pane when `name` is "events"), focused."""
        was = self.view
        self.view = name
        if name == "events":
            self.events_visible = True
            self.follow_events()
            self.app.layout.focus(self.events_window)
            return
        if name == TIMELINE:
            self.callviews.refresh_timeline()
        else:
            self._refresh_view(force=True)
            if was not in (CHANNELS, CALLS) and self._loop is not None:
                self._loop.call_later(VIEW_REFRESH_BUSY, self._tick_view)
        self.app.layout.focus(self.view_windows[name])

    def toggle_view(self, name: str) -> None:
        """F6/F7: that view, or back to the events pane when it is already shown."""
        self.show_view("events" if self.view == name else name)

    def calls_changed(self) -> None:
        self._refresh_view(busy=time.monotonic() < self._flood_until)

    def sort_view(self, reverse: bool) -> None:
        view = self.table_focused()
        if view is None:
            return
        if reverse:
            self.callviews.reverse_sort(view)
        else:
            self.callviews.next_sort(view)
        self._refresh_view(force=True)

    def view_narrowed(self, view: str) -> bool:
        return bool(self.callviews.state[view].filter_text)

    def narrow_view(self, view: str, text: str) -> None:
        """/channels EXPR, /calls EXPR: narrow the view and show it."""
        self.note(self.callviews.narrow(view, text))
        self.show_view(view)

    def table_focused(self) -> str | None:
        """The view whose table has the focus, if any."""
        for name, window in self.view_windows.items():
            if self.view == name and self.app.layout.has_focus(window):
                return name
        return None

    def table_enter(self) -> None:
        view = self.table_focused()
        if view == CHANNELS:
            self.row_action(self.callviews.details)
        elif view == CALLS:
            linkedid = self.callviews.selected_linkedid(CALLS)
            if linkedid:
                self.callviews.open_timeline(linkedid)
                self.show_view(TIMELINE)
        elif view == TIMELINE:
            events = self.callviews.step_events()
            if events:
                self.show_lines(self.render_lines(Group(*[render.render_event_full(m) for m in events])))

    def row_action(self, action) -> None:
        """Run a row's action; a problem (no row, a channel gone) is one error line."""
        from ..core.errors import AmishError

        try:
            action()
        except AmishError as e:
            self.error(str(e))

    def type_action(self, text: str, send: bool) -> None:
        """Put an action in the input line, focused: `send` submits it at once (a Hangup then waits for
        its confirmation there, --read-only refuses it), otherwise it waits to be completed and sent."""
        buf = self.input_buffer
        self.focus_input()
        buf.set_document(Document(text), bypass_readonly=True)
        if send:
            self.on_enter()
        else:
            buf.start_completion(select_first=False)

    def follow_call(self, linkedid: str) -> None:
        """The events pane shows only one call's events ("" shows all again)."""
        self.following_call = linkedid
        self.apply_filter_to_view()

    def follow_call_of_selection(self) -> None:
        """e on a row, c on an event: follow that call in the events pane (c again: stop)."""
        view = self.table_focused()
        if view is not None:
            linkedid = self.callviews.selected_linkedid(view)
            if not linkedid:
                self.error("no call selected")
                return
            self.follow_call(linkedid)
            self.show_view("events")
            return
        if self.following_call:
            self.follow_call("")
            return
        pane = self.focused_pane()
        if pane is not self.events_pane:
            return
        row = pane.buffer.document.cursor_position_row
        try:
            entry = pane.snapshot[row]
        except IndexError:
            return
        linkedid = entry.message.get("Linkedid") or ""
        if not linkedid:
            self.error("this event belongs to no call (it has no Linkedid)")
            return
        self.follow_call(linkedid)

    def _view_predicate(self):
        """What the events pane shows: the filter, and only the followed call's events."""
        flt = self.event_filter if self.filter_text else None
        linkedid = self.following_call
        if not linkedid:
            return flt
        needle = b"inkedid: " + linkedid.encode() + b"\r"

        def of_the_call(message: Message) -> bool:
            return needle in (message.raw or b"") and (flt is None or flt(message))

        return of_the_call

    # -- the panes -------------------------------------------------------------
    def _event_text(self, message: Message, when: float):
        """An event's line, with its call (the Linkedid's tag, in the call's colour) after its name."""
        text = render.render_event_line(message, when)
        linkedid = message.get("Linkedid")
        if linkedid:
            name = message.get("Event") or ""
            at = min(len(text.plain), 13 + max(len(name), NAME_WIDTH))
            tag = Text(" " + tables.call_tag(linkedid), style=tables.call_colour(linkedid))
            text = Text.assemble(text[:at], tag, text[at:], no_wrap=True, overflow="ellipsis")
        if self.fleet is not None:  # the server column: which server of the fleet sent it
            width = max(len(n) for n in self.fleet.names)
            text = Text.assemble(Text(f"{message.get('Server') or '':<{width}} ", style="bold"), text,
                                 no_wrap=True, overflow="ellipsis")
        return text

    def _summarize(self, message: Message, when: float) -> str:
        return self._event_text(message, when).plain

    def _event_fragments(self, entry) -> list:
        cached = self._fragment_cache.get(entry.seq)
        if cached is None:
            if len(self._fragment_cache) > 4000:
                self._fragment_cache.clear()
            if entry.message.get("Event") == "amish":
                cached = [("fg:ansiyellow", entry.plain)]
            else:
                text = self._event_text(entry.message, entry.when)
                lines = ansi_lines(render.to_ansi(text, width=max(len(entry.plain) + 1, 20), color=self.color))
                cached = lines[0] if lines else [("", entry.plain)]
                if "".join(t for _, t in cached) != entry.plain:
                    cached = [("", entry.plain)]  # never let colours shift the searchable text
            self._fragment_cache[entry.seq] = cached
        return cached

    def width(self) -> int:
        try:
            return max(20, self.app.output.get_size().columns - 1)
        except Exception:
            return 100

    def render_lines(self, renderable, note: str | None = None) -> list[list]:
        lines = ansi_lines(render.to_ansi(renderable, width=self.width(), color=self.color))
        if note:
            lines.insert(0, [("fg:ansiyellow", note)])
        return lines

    def show_lines(self, lines: list[list]) -> int:
        """Add lines to the transcript and bring it back to its newest line; returns their position."""
        position = self.transcript.add_lines(lines)
        self._refresh_transcript()
        return position

    def _refresh_transcript(self) -> None:
        self.transcript_pane.follow = True  # what was sent or came back is what the user looks for
        self.transcript_pane.refresh(self.transcript.take_evicted())
        self.app.invalidate()

    def focused_pane(self) -> Pane | None:
        layout = self.app.layout
        if layout.has_focus(self.events_window):
            return self.events_pane
        if layout.has_focus(self.transcript_window):
            return self.transcript_pane
        view = self.table_focused()
        if view is not None:
            return self.callviews.pane(view)
        return None

    def _focus_name(self) -> str:
        pane = self.focused_pane()
        return pane.name if pane else "input"

    # -- key actions -----------------------------------------------------------
    def on_enter(self) -> None:
        buf = self.input_buffer
        text = buf.text
        if self.wants_more_lines(text, buf.document):
            buf.insert_text("\n")
            return
        if text.strip():
            buf.append_to_history()
        buf.reset()
        if self.submit_text(text):  # held for a second Enter: it stays in the input
            buf.set_document(Document(text), bypass_readonly=True)

    def cancel(self) -> None:
        self.cancel_held()
        if self.input_buffer.text:
            self.input_buffer.reset()
            return
        self.stop_waiting()

    def stop_waiting(self) -> None:
        n = self.abandon_all()
        if n:
            self.note(f"stopped waiting for {n} action(s); a late response will still be shown")

    def quit(self) -> None:
        if self.app.is_running:
            self.app.exit(result=0)

    def help_for_input(self) -> None:
        word = self.input_buffer.text.strip().split(None, 1)
        name = word[0] if word else ""
        if name.lower().startswith("action:"):
            name = name.split(":", 1)[1].strip() or (word[1].split()[0] if len(word) > 1 else "")
        self.run_local("help", name)

    def toggle_events(self) -> None:
        if self.view != "events":  # F2 over a view: back to the events pane
            self.show_view("events")
            return
        self.events_visible = not self.events_visible
        if not self.events_visible and self.app.layout.has_focus(self.events_window):
            self.focus_input()

    def cycle_focus(self) -> None:
        top = self.events_window if self.view == "events" else self.view_windows[self.view]
        order = [self.input_window, top, self.transcript_window]
        if self.view == "events" and not self.events_visible:
            order.remove(self.events_window)
        current = next((i for i, w in enumerate(order) if self.app.layout.has_focus(w)), 0)
        self.app.layout.focus(order[(current + 1) % len(order)])

    def focus_input(self) -> None:
        self.app.layout.focus(self.input_window)

    def toggle_pause(self) -> None:
        self.paused = not self.paused
        if not self.paused:
            self.events_pane.refresh(self.events.take_view_evicted())

    def follow_events(self) -> None:
        self.paused = False
        self.events_pane.follow = True
        self.events_pane.refresh(self.events.take_view_evicted())

    def clear_transcript(self) -> None:
        self.transcript.clear()
        self.transcript_pane.refresh()

    def resize_events(self, delta: int) -> None:
        rows = self._terminal_rows()
        wanted = max(1, min(self.events_rows() + delta, rows - 6))
        self.events_share = wanted / rows

    def page_size(self, pane: str) -> int:
        window = self.transcript_window if pane == "transcript" else self.events_window
        info = window.render_info
        return max(1, (info.window_height - 1) if info else 10)

    def scroll(self, pane: str, lines: int) -> None:
        """Move a pane's view by `lines` (negative: up), from the edge of what it shows.

        Its cursor goes that far past the top (or bottom) line on screen, so the view
        moves at once (moved from the cursor, the first page up would only bring the
        cursor to the top line).
        """
        if pane == "transcript":
            target, window = self.transcript_pane, self.transcript_window
        else:
            target, window = self.events_pane, self.events_window
        info = window.render_info
        if info is None:
            target.scroll(lines)
            return
        edge = info.first_visible_line() if lines < 0 else info.last_visible_line()
        target.scroll_to(edge + lines)

    def to_newest(self, pane: str) -> None:
        """A pane back to its newest line (the events pane follows again)."""
        if pane == "events":
            self.follow_events()
        else:
            self.transcript_pane.to_end()

    def expand_current_event(self) -> None:
        pane = self.focused_pane()
        if pane is not self.events_pane:
            return
        row = pane.buffer.document.cursor_position_row
        try:
            entry = pane.snapshot[row]
        except IndexError:
            return
        self.show_lines(self.render_lines(render.render_event_full(entry.message)))

    # -- what ShellSession needs from a front end -------------------------------
    def note(self, text: str, style: str = "fg:ansiyellow") -> None:
        self.show_lines([[(style, line)] for line in text.splitlines() or [""]])

    def error(self, text: str) -> None:
        self.note(text, "fg:ansired")

    def show_renderable(self, renderable) -> None:
        self.show_lines(self.render_lines(renderable))

    def show_block(self, key: str, renderable) -> None:
        lines = self.render_lines(renderable)
        if len(self._blocks) > 20:
            self._blocks.clear()
        self._blocks[key] = (self.show_lines(lines), len(lines))

    def replace_block(self, key: str, renderable) -> None:
        old = self._blocks.pop(key, None)
        lines = self.render_lines(renderable)
        if old is None or not self.transcript.replace(old[0], old[1], lines):
            self.show_lines(lines)
            return
        start, delta = old[0], len(lines) - old[1]
        self._blocks = {k: (p + delta if p > start else p, n) for k, (p, n) in self._blocks.items()}
        self._refresh_transcript()

    def apply_filter_to_view(self) -> None:
        self.events.set_filter(self._view_predicate())
        self._fragment_cache.clear()
        self.events_pane.follow = True
        self.events_pane.refresh()

    def clear_events(self) -> None:
        self.events.clear()
        self.events_pane.refresh()

    def mark_gap(self, text: str) -> None:
        self.events.add_marker(text)
        self._refresh_events()

    def key_help(self) -> list[tuple[str, str]]:
        return describe_bindings(self.key_bindings)

    def invalidate(self) -> None:
        self.app.invalidate()

    def exit(self) -> None:
        self.quit()
