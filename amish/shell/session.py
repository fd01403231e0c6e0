"""What the shell does, whichever screen it is drawn on (full screen or line mode).

A front end subclasses ShellSession, keeps the events received in
`self.events` (a stores.EventLog) and provides the drawing: note(),
error(), show_renderable(), call_in_ui(), on_items_ready(),
apply_filter_to_view(), clear_events(), clear_transcript(), key_help(),
invalidate() and exit(). Everything here runs on the UI loop, except the
background fetches, which hand their results back with call_in_ui().

Not amish.runtime.session.Session, which opens (and reopens) the logged-in connection
this is given, below every mode; the reconnect backoff is its RECONNECT policy.
"""

from __future__ import annotations

import asyncio
import collections
import os
import threading
import time
from typing import Callable

from ..catalogue import DEFAULT_XML, Catalogue, fetch_live, fetch_manager_show
from ..ui import render
from ..ui.lexer import ami_style
from ..core.correlator import is_async_originate
from ..core.commandline import Actions, LocalCommand, parse_input
from ..transports.shared import Pending
from ..core.errors import AmishError, InputError
from ..core.inputforms import TELNET, classify
from ..core.protocol import Message, limit_warnings
from ..core.safety import confirmation_reason, read_only_refusal
from ..core.secrets import mask_error
from ..runtime.session import RECONNECT
from ..transports.base import Transport
from . import localcommands, views
from .completion import AmiCompleter, LiveValues
from .lookups import ServerLookups

__all__ = ["ShellSession", "LOCAL_COMMANDS"]

#: Async Originates whose outcome the transcript waits for, at most (the oldest are forgotten).
MAX_ORIGINATES_WAITED = 1000

#: The local commands (/help, /filter...): name -> localcommands.Command.
LOCAL_COMMANDS = localcommands.COMMANDS


#: What may wait between two drains of the UI loop (20,000 events a second at
#: full speed). Bigger only adds objects for the cycle collector to scan under
#: a flood, which then pauses the screen; what does not fit is counted as dropped.
SUBSCRIPTION_SIZE = 10_000

def command_output(pending) -> str:
    """The text a Command action answered with (Asterisk 22: Output: headers; older: the raw follows)."""
    lines = []
    for message in getattr(pending, "messages", ()):
        lines += [v for k, v in message.headers if k is not None and k.lower() == "output"]
    return "\n".join(lines)


def read_classes(text: str) -> set[str] | None:
    """The read classes `manager show user` lists ("read perm: system,call"), None when it says none."""
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == "read perm":
            return {c.strip().lower() for c in value.split(",") if c.strip()}
    return None


def no_call_class_note(user: str) -> str:
    """What the Channels and Calls views say to a login without the `call` read class."""
    return (f"this login ({user or '?'}) does not get call events: add call to its read = line in "
            f"manager.conf ([{user or 'user'}] read = ...,call) and run 'manager reload'")


class ShellSession:
    def __init__(
        self,
        conn: Transport,
        *,
        catalogue=None,
        timeout: float = 10.0,
        filter_text: str = "",
        capacity: int = 50_000,
        scrollback: int = 10_000,
        color: bool = True,
        raw: bool = False,
        reconnect: Callable[[], Transport] | None = None,
        auto_reconnect: bool = True,
        read_only: bool = False,
        confirm: bool = True,
        max_ended_calls: int = 1000,
        fleet=None,
    ):
        self.conn = conn
        self._first_conn = conn
        #: On a fleet: the runtime.fleet.FleetTransport that `conn` is (actions to its current member, /use, /all).
        self.fleet = fleet
        self._typed: str | None = None  # the input as typed, while a local command runs (/all holds it)
        self._reconnect = reconnect
        self._reconnecting = False
        self._reconnect_stop = threading.Event()
        self._quitting = False
        self._logged_off = False
        #: Reconnect by itself when the connection drops (Asterisk restarting, a network blip).
        self.auto_reconnect = auto_reconnect
        #: Send only actions on amish.core.safety's list of read-only ones.
        self.read_only = read_only
        #: Ask (Enter again) before actions that hang up, move calls, reload or write config.
        self.confirm = confirm
        #: Actions that changed the server's side of this session (Events mask, Filter): re-sent after a reconnect.
        self._server_setup: list[Message] = []
        self.catalogue = catalogue if catalogue is not None else Catalogue.bundled()
        self.timeout = timeout
        self.capacity = capacity
        self.scrollback = scrollback
        self.color = color
        self.raw_view = raw
        self.live = LiveValues()
        #: The call model (channels, bridges, calls): fed every event; the Channels and Calls views
        #: and channel-name completion read it.
        from ..core.calls import CallTracker
        from .callmodel import CallModel

        self.tracker = CallTracker(max_ended=max_ended_calls, keep_events=0)  # the events pane keeps a call's events
        #: ...fed on its own thread (shell/callmodel.py): the UI only queues events and reads under model.lock.
        #: Completion's values are learned there too (LiveValues.observe): the UI loop reads no event for them.
        self.model = CallModel(self.tracker, on_change=lambda: self.call_in_ui(self._model_changed),
                               learn=self.live.observe)
        self.live.channel_source = self.live_channel_choices
        self.live.channel_search = self.live_channel_choices
        #: The server's dialplan, applications, config files and CLI completion, fetched when first wanted.
        self.lookups = ServerLookups(lambda: self.conn, on_update=lambda: self.call_in_ui(self._lookups_arrived))
        self.completer = AmiCompleter(self.catalogue, self.live, self.lookups)
        self.lexer_style = ami_style()
        self.in_flight: dict[str, Pending] = {}
        #: Async Originates whose outcome (OriginateResponse) is still to come: ActionID -> [Pending, the event if it came first]
        self._originates: collections.OrderedDict[str, list] = collections.OrderedDict()
        #: Showing a recording (amish replay): nothing can be sent.
        self.replaying = not conn.live
        self.state = "replay" if self.replaying else "connected"
        self.asterisk_version = ""
        self.filter_text = ""
        self.event_filter = None
        self._drain_scheduled = False
        self._last_drain = 0.0
        self._loop = None
        self.sub = conn.subscribe(maxlen=SUBSCRIPTION_SIZE, callback=self.on_items_ready)
        self._force_text: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        if filter_text:
            self.set_filter(filter_text, quiet=True)
        if fleet is not None:
            self.live.servers = list(fleet.names)
            self._safety_of(fleet.current)

    # -- the hand-over from other threads ----------------------------------------
    #: At most one drain of the subscription per this many seconds.
    drain_interval = 0.05

    def call_in_ui(self, fn: Callable, *args) -> None:
        """From any thread: run fn(*args) on the UI loop (dropped once the loop is gone)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop is closing
            pass

    def on_items_ready(self) -> None:
        """Called by the I/O thread after each batch: schedule one drain, never block."""
        if not self._drain_scheduled and self._loop is not None:
            self._drain_scheduled = True
            self.call_in_ui(self._drain_soon)

    def _drain_soon(self) -> None:
        wait = self._last_drain + self.drain_interval - time.monotonic()
        if wait > 0:
            self._loop.call_later(wait, self._drain)
        else:
            self._drain()

    def _drain(self) -> None:  # pragma: no cover - each front end drains its own way
        raise NotImplementedError

    # -- life -----------------------------------------------------------------
    def start(self) -> None:
        """On the UI loop, once it runs: the filter given at the start applied; learn the server in the background."""
        if self.filter_text:
            self.apply_filter_to_view()
        self.on_items_ready()
        self._learn_server_in_background()

    def _learn_server_in_background(self) -> None:
        """The channels already up, what this login may run, the version: never waited for."""
        if self.replaying:
            return
        conn = self.conn
        threading.Thread(target=self._seed_channels, args=(conn,), name="amish-channels", daemon=True).start()
        threading.Thread(target=self._fetch_catalogue, name="amish-catalogue", daemon=True).start()

    def _seed_channels(self, conn: Transport) -> None:
        """CoreShowChannels, so that completion offers the channels up before the shell started.

        A login that may not run it learns channels from events only: nothing to say.
        """
        try:
            pending = conn.submit(Message([("Action", "CoreShowChannels")])).wait(max(self.timeout, 10.0))
        except Exception:  # timed out, connection lost: events still teach channels; never a traceback
            return
        if pending.ok:
            self.call_in_ui(self._seeded, pending, conn is not self._first_conn)
        self._check_call_class(conn)

    def _check_call_class(self, conn: Transport) -> None:
        """Does this login receive the `call` events the call model is made of? Asked of Asterisk's
        CLI (manager show user), when the login may run Command; otherwise nothing is said."""
        user = conn.username or ""
        if not user or any(c in user for c in " \t\r\n"):
            return
        try:
            pending = conn.submit(Message([("Action", "Command"), ("Command", f"manager show user {user}")])).wait(
                max(self.timeout, 10.0))
        except Exception:
            return
        if not pending.ok:
            return
        classes = read_classes(command_output(pending))
        if classes is not None:
            self.call_in_ui(self._learned_call_class, "call" in classes or "all" in classes)

    def _learned_call_class(self, has_it: bool) -> None:
        self.call_class = has_it
        self.calls_changed()

    def _seeded(self, pending: Pending, resync: bool) -> None:
        """The CoreShowChannels list: completion and the call model learn the channels up now.
        After a reconnect, the channels the list does not name hung up while we were away."""
        self.live.observe_result(pending)
        tracker = self.tracker
        now = time.time()
        with self.model.lock:
            if resync:
                tracker.begin_resync()
            for message in getattr(pending, "events", ()):
                tracker.feed(message, now)
            gone = tracker.end_resync(now) if resync else None
        self.model.fed_elsewhere()
        if resync:
            if gone:
                self.note(f"{len(gone)} channel(s) hung up while disconnected (their calls are marked ended)")
        self.calls_changed()

    def _model_changed(self) -> None:
        """(UI loop) The model thread changed the tracker: views redraw (at their own rate)."""
        self.model.changes_seen()
        self.calls_changed()

    def calls_changed(self) -> None:
        """The call model changed (events fed, the channel list came): views redraw."""

    def live_channel_choices(self, word: str = "", limit: int | None = None) -> list[tuple[str, str]]:
        """The live channels of the call model whose name holds `word`, newest first, with their caller ID
        (for completion: at most `limit` starting with it, then `limit` holding it elsewhere)."""
        return self.model.channel_choices(word, limit)

    # the Channels and Calls views: the full-screen shell has them (app.Shell overrides these)
    def show_view(self, name: str) -> None:
        raise InputError(f"/{name} needs the full-screen shell (line mode has no views)")

    def narrow_view(self, name: str, text: str) -> None:
        self.show_view(name)

    def view_narrowed(self, name: str) -> bool:
        return False

    def call_events(self, linkedid: str) -> list[tuple[float, Message]]:
        """The kept events of one call (its Linkedid), oldest first, with their arrival times."""
        if not linkedid:
            return []
        return [(e.when, e.message) for e in self.events.call_entries(linkedid)]

    def stop(self) -> None:
        self._quitting = True
        self._reconnect_stop.set()
        self.model.stop()
        self.conn.unsubscribe(self.sub)
        if self.conn is not self._first_conn:  # the caller closes the one it gave us
            self.conn.close()

    def _fetch_catalogue(self) -> None:
        """ListCommands and CoreSettings: what this login may run, and the server's version."""
        if os.path.exists(DEFAULT_XML):  # amish runs on the PBX: its own docs, prose included
            try:
                self.catalogue.merge_xml(DEFAULT_XML)
            except Exception:
                pass
        try:
            fetch_live(self.conn, self.catalogue)
        except Exception:  # the bundled catalogue still completes; say nothing
            return
        self.call_in_ui(self._learned_server)

    def completion_buffer(self):
        """The input buffer whose completions the front end shows (None: none yet)."""
        return getattr(self, "input_buffer", None)

    def _lookups_arrived(self) -> None:
        """A server list completion asked for has come: show what was missing, unless
        the person is choosing in the menu or the input is empty."""
        buf = self.completion_buffer()
        if buf is None or not buf.text.strip():
            return
        state = buf.complete_state
        if state is None or state.complete_index is None:
            buf.start_completion(select_first=False)

    def _learned_server(self) -> None:
        version = self.catalogue.version or ""
        if version and not version.startswith("AMI "):
            self.asterisk_version = version.split("+")[0]
        self.invalidate()

    def on_closed(self, reason: str) -> None:
        if self.replaying:
            self.state = "replay ended"
            self.note(f"{reason}: filters, search and /save still work")
            return
        if self._quitting or self._reconnecting:
            return
        if self._logged_off:
            self.state = "logged off"
            self.note("logged off: /reconnect to log in again, /quit to leave")
            return
        n = self.abandon_all()
        self.error(f"connection lost: {reason}")
        if n:
            self.error(f"{n} action(s) in flight got no answer; they will not be sent again")
        self.mark_gap(f"--- {time.strftime('%H:%M:%S')} connection lost: {reason} ---")
        if self._reconnect is not None and self.auto_reconnect:
            self._start_reconnecting(automatic=True)
        else:
            self.state = "disconnected"
            self.note("/reconnect to log in again")

    # -- input ----------------------------------------------------------------
    @staticmethod
    def wants_more_lines(text: str, document=None) -> bool:
        """The telnet form goes on until a blank line, as in telnet."""
        if classify(text).kind != TELNET:
            return False
        last_line = text.rsplit("\n", 1)[-1]
        return last_line.strip() != ""

    def submit_text(self, text: str) -> bool:
        """Run what was typed. True when it is held for a second Enter: the front end keeps it in the input."""
        try:
            parsed = parse_input(text)
        except InputError as e:
            self.error(mask_error(str(e), text))  # it may quote what was typed
            return False
        if parsed is None:
            return False
        if isinstance(parsed, LocalCommand):
            held = self.run_local(parsed.name, parsed.args, text)
            if not held:
                self._force_text = None
            return held
        assert isinstance(parsed, Actions)
        messages = [self._canonical(m) for m in parsed.messages]
        if self.read_only:
            refusals = [r for r in (read_only_refusal(m) for m in messages) if r]
            if refusals:
                for r in refusals:
                    self.error(f"refused, nothing sent: {r}")
                return False
        if self._force_text != text:
            problems = [p for m in messages for p in self.problems(m)]
            if problems:
                self._force_text = text
                for p in problems:
                    self.error(p)
                self.note("nothing sent: press Enter again to send it anyway (Ctrl-C or an edit cancels)")
                return True
        self._force_text = None
        for message in messages:
            self.send_message(message)
        return False

    def cancel_held(self) -> None:
        """The held input was cleared (Ctrl-C): typing it again asks again."""
        self._force_text = None

    def _canonical(self, message: Message) -> Message:
        """The action's name in the catalogue's spelling (ping -> Ping)."""
        name = message.get("Action") or ""
        spec = self.catalogue.action(name)
        if spec is None or spec.name == name:
            return message
        headers = list(message.headers)
        for i, (k, v) in enumerate(headers):
            if k and k.lower() == "action":
                headers[i] = (k, spec.name)
                break
        return Message(headers)

    def problems(self, message: Message) -> list[str]:
        """What is wrong before sending: unknown action, missing required headers, limits."""
        name = message.get("Action") or ""
        out = []
        spec = self.catalogue.action(name)
        if spec is None:
            guesses = self.catalogue.suggest(name)
            hint = f"; did you mean {' or '.join(guesses)}?" if guesses else ""
            out.append(f"unknown action {name!r}{hint}")
        else:
            given = [k for k, _ in message.headers if k]
            missing = self.catalogue.required_missing(spec.name, given)
            if missing:
                names = ", ".join(getattr(p, "name", str(p)) for p in missing)
                out.append(f"{spec.name} needs {names}")
            if spec.available is False:
                who = f" ({self.conn.username})" if self.conn.username else ""
                out.append(f"this login{who} may not run {spec.name} (ListCommands does not list it): the server will refuse it")
        out.extend(limit_warnings(message))
        if self.confirm:
            reason = confirmation_reason(message)
            if reason:
                out.append(f"{name or 'this action'} {reason}: are you sure?")
        return out

    def send_message(self, message: Message) -> None:
        self._logged_off = (message.get("Action") or "").lower() == "logoff"
        try:
            pending = self.conn.submit(message)
        except AmishError as e:
            self.error(str(e))
            return
        self.in_flight[pending.action_id] = pending
        if is_async_originate(pending.action):
            self._originates[pending.action_id] = [pending, None]
            if len(self._originates) > MAX_ORIGINATES_WAITED:
                self._originates.popitem(last=False)
        self.show_renderable(views.render_sent(pending.action))
        pending.add_done_callback(lambda p: self.call_in_ui(self._on_result, p))
        if self._loop is not None:
            self._loop.call_later(self.timeout, self._check_timeout, pending)
        self.invalidate()

    def _on_result(self, pending: Pending) -> None:
        if self.in_flight.pop(pending.action_id, None) is None:
            return  # abandoned: its late response was shown as such
        if pending.error is not None:
            self._originates.pop(pending.action_id, None)
            self.error(str(pending.error))
            return
        self.show_result(pending)
        waiting = self._originates.get(pending.action_id)
        if waiting is not None and (not pending.ok or waiting[1] is not None):
            del self._originates[pending.action_id]  # refused (no outcome will come), or it came first
            if waiting[1] is not None:
                self.show_renderable(views.render_outcome(pending.action, waiting[1]))

    def show_result(self, pending: Pending) -> None:
        """A complete result in the transcript (also a replay's recorded one); completion learns from it."""
        self.live.observe_result(pending)
        if self.raw_view:
            self.show_renderable(views.render_raw(pending))
        else:
            self.show_renderable(render.render_result(pending))

    #: Whether this login gets the `call` read class (None: not known; False: the views say what to add).
    call_class: bool | None = None

    #: In a replay: the time the events being drained were recorded at (RecordedTime); None: now.
    recorded_now: float | None = None

    def now(self) -> float:
        """The time of what is being shown: now, or in a replay the recorded time reached."""
        return time.time() if self.recorded_now is None else self.recorded_now

    def observe_event(self, message: Message) -> None:
        """Every event received (the events pane has it too): the call model and completion learn from it
        (on the model thread), and an async Originate's outcome is shown under it in the transcript."""
        self.model.put(message, self.now())
        if self._originates and message.get("Event") == "OriginateResponse":
            waiting = self._originates.get(message.get("ActionID") or "")
            if waiting is None:
                return
            pending = waiting[0]
            if pending.action_id in self.in_flight:
                waiting[1] = message  # before the Originate's own response: shown after it
                return
            del self._originates[pending.action_id]
            self.show_renderable(views.render_outcome(pending.action, message))

    def _check_timeout(self, pending: Pending) -> None:
        if pending.action_id in self.in_flight and not pending.done:
            self._forget(pending)
            name = pending.action.get("Action")
            self.error(f"{name}: no complete response within {self.timeout:g} s (a late one will still be shown)")

    def _forget(self, pending: Pending) -> None:
        self.in_flight.pop(pending.action_id, None)
        self.conn.abandon(pending)

    def abandon_all(self) -> int:
        """Stop waiting for every action in flight (Ctrl-C, a lost session), /all's per server too."""
        waiting = list(self.in_flight.items())
        for key, p in waiting:
            self.in_flight.pop(key, None)
            self.conn.abandon(p)
        return len(waiting)

    # -- events ---------------------------------------------------------------
    def set_filter(self, text: str, quiet: bool = False) -> bool:
        from ..core.eventfilter import FilterError, parse_filter  # not at start-up: once a filter is set

        text = text.strip()
        try:
            flt = parse_filter(text)
        except FilterError as e:
            self.error(f"filter: {e}")
            return False
        self.filter_text = "" if flt.is_empty else text
        self.event_filter = None if flt.is_empty else flt
        if not quiet:
            self.apply_filter_to_view()
        return True

    # -- local commands -------------------------------------------------------
    def run_local(self, name: str, args: str, text: str | None = None) -> bool:
        """Run a local command (the registry, localcommands.COMMANDS, says which function);
        True when it holds the input (`text`, as typed) for a second Enter."""
        self._typed = text
        return localcommands.run(self, name, args)

    def fetch_help_in_background(self, name: str) -> None:
        """Ask the server (manager show command) for an action's description; the help shown is replaced."""
        threading.Thread(target=self._fetch_help, args=(name,), daemon=True).start()

    def _fetch_help(self, name: str) -> None:
        try:
            ok = fetch_manager_show(self.conn, self.catalogue, name)
        except Exception:
            return
        if ok:
            spec = self.catalogue.action(name)
            if spec is not None and spec.description:
                self.call_in_ui(self.replace_block, f"help {name}", views.render_action_help(spec))

    def show_block(self, key: str, renderable) -> None:
        """Show a block that replace_block(key, ...) may later replace (where the screen can)."""
        self.show_renderable(renderable)

    def replace_block(self, key: str, renderable) -> None:
        """Show `renderable` in place of the block last shown under `key` (below it where that cannot be)."""
        self.show_renderable(renderable)

    def push_filter_to_server(self) -> None:
        """Push the pane's filter to the server (Filter action), so it sends less."""
        from ..core.eventfilter import parse_filter, server_filter  # not at start-up: once a filter is set

        flt = parse_filter(self.filter_text)
        if flt.is_empty:
            raise InputError("set a filter first (/filter EXPR); /serverfilter sends it to the server")
        values = server_filter(flt, set(self.catalogue.event_names()))
        if values is None:
            raise InputError(
                "this filter tests headers, which Asterisk's Filter action cannot express; it stays local"
            )
        for value in values:
            message = Message([("Action", "Filter"), ("Operation", "Add"), ("Filter", value)])
            self._server_setup.append(message)
            self.send_message(message)
        self.note("sent to the server; a server-side filter lasts until you reconnect (Asterisk cannot remove one)")

    def request_reconnect(self) -> None:
        """Log in again with the same settings, in the background (the screen never waits)."""
        if self.fleet is not None:
            raise InputError("on a fleet each server reconnects by itself (the events pane says lost and back)")
        if self.replaying:
            raise InputError("this is a replay: there is no server to reconnect to")
        if self._reconnect is None:
            raise InputError("this session cannot reconnect")
        if self._reconnecting:
            self.note("already reconnecting...")
            return
        self._start_reconnecting(automatic=False)

    def _start_reconnecting(self, automatic: bool) -> None:
        self._reconnecting = True
        self._reconnect_stop.clear()
        self.state = "reconnecting"
        self.note(f"reconnecting to {self.conn.address}..." + (" (automatically, with backoff)" if automatic else ""))
        self.invalidate()
        threading.Thread(
            target=self._reconnect_loop, args=(automatic,), name="amish-reconnect", daemon=True
        ).start()

    def _reconnect_loop(self, automatic: bool) -> None:
        """Try until it works (automatic: with backoff, amish.runtime.session.RECONNECT), then hand the connection to the UI loop."""
        started = time.monotonic()
        attempt = 0
        while not self._reconnect_stop.is_set():
            attempt += 1
            try:
                fresh = self._reconnect()
            except Exception as e:  # AmishError or not: never a traceback on the screen
                if not RECONNECT.retries(e):
                    self.call_in_ui(self._reconnect_failed, f"{e}; not retrying (/reconnect to try again)")
                    return
                reason = str(e) if isinstance(e, AmishError) else f"{type(e).__name__}: {e}"
                if not automatic:
                    self.call_in_ui(self._reconnect_failed, reason)
                    return
                delay = RECONNECT.delay(attempt)
                self.call_in_ui(self._reconnect_waiting, attempt, reason, delay)
                if self._reconnect_stop.wait(delay):
                    return
                continue
            self.call_in_ui(self._reconnected, fresh, time.monotonic() - started)
            return

    def _reconnect_waiting(self, attempt: int, reason: str, delay: float) -> None:
        self.state = f"reconnecting (try {attempt + 1} in {delay:g} s)"
        if RECONNECT.reports(attempt):
            self.note(f"reconnect attempt {attempt} failed: {reason}; trying again with backoff")
        self.invalidate()

    def _reconnect_failed(self, reason: str) -> None:
        self._reconnecting = False
        self.state = "connected" if self.conn.connected else "disconnected"
        self.error(f"reconnect failed: {reason}")

    def _reconnected(self, fresh: Transport, elapsed: float = 0.0) -> None:
        if self._quitting:
            threading.Thread(target=fresh.close, daemon=True).start()
            return
        n = self.abandon_all()  # never re-sent: an Originate must not go out twice
        if n:
            self.error(f"{n} action(s) in flight on the old connection were not answered and are not re-sent")
        old, self.conn = self.conn, fresh
        old.unsubscribe(self.sub)
        if old.connected:
            threading.Thread(target=old.close, name="amish-close", daemon=True).start()
        self.sub = fresh.subscribe(maxlen=SUBSCRIPTION_SIZE, callback=self.on_items_ready)
        self._reconnecting = False
        self.state = "connected"
        self.mark_gap(
            f"--- {time.strftime('%H:%M:%S')} reconnected after {elapsed:.1f} s; events in between were not received ---"
        )
        self.note(f"reconnected to {fresh.address} as {fresh.username}")
        for message in self._server_setup:  # the server forgot our event mask and filters
            self.send_message(message)
        self.live.forget_channels()
        self._originates.clear()  # their outcomes went with the old connection
        self._learn_server_in_background()

    def mark_gap(self, text: str) -> None:
        """A line in the events pane where events may be missing."""

    def events_shown(self) -> int:
        """How many of the kept events pass the filter."""
        return self.events.shown

    def ask_for_events(self, mask: str) -> None:
        """The Events action with `mask`; sent again after a reconnect."""
        message = Message([("Action", "Events"), ("EventMask", mask)])
        self._server_setup = [m for m in self._server_setup if m.get("Action") != "Events"] + [message]
        try:
            pending = self.conn.submit(message)
        except AmishError as e:
            self.error(str(e))
            return
        self.in_flight[pending.action_id] = pending
        pending.add_done_callback(lambda p: self.call_in_ui(self._on_result, p))

    def saved_events(self) -> list[Message]:
        """The kept events that pass the filter (what /save writes)."""
        return [e.message for e in self.events.view if e.message.get("Event") != "amish"]

    # -- front-end hooks (overridden) -------------------------------------------
    def toggle_pause(self) -> None:  # pragma: no cover - overridden
        pass

    # -- a fleet -----------------------------------------------------------------
    def _safety_of(self, name: str) -> None:
        """The rails of the server actions go to: its --read-only and its confirmations."""
        opts = self.fleet.members[name].opts
        self.read_only = opts.read_only
        self.confirm = opts.confirm is not False

    def use_server(self, name: str) -> None:
        """/use NAME: actions go to NAME from now on (its own --read-only and confirmations apply)."""
        fleet = self.fleet
        if fleet is None:
            raise InputError("/use is for a fleet: start amish with several --profile, a --group or several -H")
        if not name:
            for n in fleet.names:
                m = fleet.members[n].opts
                mark = "*" if n == fleet.current else " "
                self.note(f"{mark} {n}  {m.host}:{m.port}  {fleet.states[n]}" + ("  read-only" if m.read_only else ""))
            return
        if name not in fleet.members:
            raise InputError(f"no server {name!r} in this fleet: {', '.join(fleet.names)}")
        fleet.use(name)
        self._safety_of(name)
        m = fleet.members[name].opts
        self.note(f"actions go to {name} ({m.host}:{m.port}, {fleet.states[name]})"
                  + (": read-only" if self.read_only else ""))
        self.invalidate()

    def on_member_state(self, item) -> None:
        """A server of the fleet was lost, came back or was given up on: said in both panes."""
        words = {"lost": "connection lost", "back": "back", "gone": "gone", "down": "cannot connect"}
        text = f"{item.name}: {words.get(item.state, item.state)}: {item.reason}"
        self.mark_gap(f"--- {time.strftime('%H:%M:%S')} {text} ---")
        if item.state == "back":
            self.note(text)
            if item.name == self.fleet.current:
                self._learn_server_in_background()
        else:
            self.error(text)
        self.invalidate()

    def send_to_all(self, text: str) -> bool:
        """/all ACTION: the action to every server connected, each answer under its server's name.

        Each server's --read-only refuses for that server alone; a confirmation
        names how many servers the action goes to. True: held for a second Enter."""
        fleet = self.fleet
        if fleet is None:
            raise InputError("/all is for a fleet: start amish with several --profile, a --group or several -H")
        if not text.strip():
            raise InputError("/all takes an action, e.g. /all Ping or /all !core show uptime")
        parsed = parse_input(text)
        if not isinstance(parsed, Actions):
            raise InputError("/all takes an action, not a local command")
        messages = [self._canonical(m) for m in parsed.messages]
        targets = fleet.members_connected()
        down = [n for n in fleet.names if fleet.connection(n) is None]
        from ..core.safety import confirmation_reason, read_only_refusal

        allowed = []
        for name, conn in targets:
            if fleet.members[name].opts.read_only:
                refusals = [r for r in (read_only_refusal(m) for m in messages) if r]
                if refusals:
                    self.error(f"{name}: refused, nothing sent there (--read-only): {refusals[0]}")
                    continue
            allowed.append((name, conn))
        if not allowed:
            self.error("nothing sent: no server " + ("connected" if not targets else "left to send it to"))
            return False
        typed = self._typed or text
        if self._force_text != typed:
            n = len(allowed)
            servers = f"{n} server{'s' if n != 1 else ''}"
            problems = []
            for m in messages:
                confirm_before = self.confirm
                self.confirm = False  # the confirmation is asked below, naming the servers
                try:
                    problems += self.problems(m)
                finally:
                    self.confirm = confirm_before
                reason = confirmation_reason(m)
                if reason and any(fleet.members[nm].opts.confirm is not False for nm, _ in allowed):
                    problems.append(f"{m.get('Action') or 'this action'} {reason}: send it to {servers} "
                                    f"({', '.join(nm for nm, _ in allowed)})?")
            if problems:
                self._force_text = typed
                for p in problems:
                    self.error(p)
                self.note("nothing sent: press Enter again to send it anyway (Ctrl-C or an edit cancels)")
                return True
        self._force_text = None
        for message in messages:
            self.show_renderable(views.render_sent(message))
            for name, conn in allowed:
                self._send_to(name, conn, message)
        said = f"sent to {len(allowed)} server{'s' if len(allowed) != 1 else ''}: {', '.join(n for n, _ in allowed)}"
        if down:
            said += f"; not connected, not sent: {', '.join(down)}"
        self.note(said)
        return False

    def _send_to(self, name: str, conn, message: Message) -> None:
        try:
            pending = self.fleet.owned(conn.submit(message), conn)
        except AmishError as e:
            self.error(f"{name}: {e}")
            return

        key = f"{name}\0{pending.action_id}"  # in flight like a single action (the toolbar, Ctrl-C), per server
        self.in_flight[key] = pending

        def done(p) -> None:
            self.in_flight.pop(key, None)
            if p.error is not None:
                self.error(f"{name}: {p.error}")  # Ctrl-C: "pbx2: Ping: no longer waited for", server by server
                return
            self.live.observe_result(p)
            from rich.console import Group
            from rich.text import Text

            body = views.render_raw(p) if self.raw_view else render.render_result(p)
            self.show_renderable(Group(Text(f"── {name} ──", style="bold cyan"), body))

        pending.add_done_callback(lambda p: self.call_in_ui(done, p))
        if self._loop is not None:
            self._loop.call_later(self.timeout, self._all_timeout, name, pending)

    def _all_timeout(self, name: str, pending) -> None:
        if not pending.done and self.in_flight.pop(f"{name}\0{pending.action_id}", None) is not None:
            # its done callback says so, under the server's name
            self.fleet.abandon(pending, f"no complete response within {self.timeout:g} s")
