"""Line mode: responses and filtered events printed above an ordinary prompt.

For tmux logs, dumb terminals and people who want their terminal's own
scrollback and selection. Same input, completion and local commands as the
full-screen shell.
"""

from __future__ import annotations

import asyncio
import shutil
import time

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import ThreadedCompleter
from prompt_toolkit.formatted_text import ANSI
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.patch_stdout import patch_stdout
from prompt_toolkit.shortcuts import print_formatted_text
from prompt_toolkit.styles import merge_styles
from rich.text import Text

from ..ui import render
from ..core.protocol import Message
from ..runtime.fleet import MemberState
from ..transports.base import Transport
from ..transports.items import dispatch
from ..ui.lexer import InputLexer
from ..ui.prompt import SHELL_STYLE, MaskTypedSecrets, make_history
from . import views
from .session import ShellSession
from .stores import EventLog

__all__ = ["LineShell"]

MAX_EVENT_LINES_PER_DRAIN = 200
DRAIN_INTERVAL = 0.1


def _summary(message: Message, when: float) -> str:
    return render.render_event_line(message, when).plain


class LineShell(ShellSession):
    drain_interval = DRAIN_INTERVAL

    def __init__(self, conn: Transport, **kw):
        super().__init__(conn, **kw)
        self.paused = False
        self._exit = False
        # what /filter counts and /save writes: the kept events (only new ones are printed)
        self.events = EventLog(_summary, capacity=self.capacity, scrollback=self.capacity)
        self.session: PromptSession | None = None

    # -- front-end hooks -------------------------------------------------------
    def _drain(self) -> None:
        self._drain_scheduled = False
        self._last_drain = time.monotonic()
        now = time.time()
        shown = {"printed": 0, "skipped": 0}

        def take_messages(messages: list[Message]) -> None:
            events = []
            for item in messages:
                kind = item.kind
                if kind == "response":
                    if not self.replaying:
                        self.note("late response (nobody waited for it):")
                    self.show_renderable(render.render_message(item))
                    continue
                if kind == "action":  # a replay shows what was sent, too
                    self.show_renderable(views.render_sent(item))
                    continue
                events.append(item)
                self.observe_event(item)
                if self.paused or (self.event_filter is not None and not self.event_filter(item)):
                    continue
                if shown["printed"] >= MAX_EVENT_LINES_PER_DRAIN:
                    shown["skipped"] += 1
                    continue
                shown["printed"] += 1
                line = render.render_event_line(item, now)
                if self.fleet is not None:  # the server column
                    width = max(len(n) for n in self.fleet.names)
                    line = Text.assemble(Text(f"{item.get('Server') or '':<{width}} ", style="bold"), line)
                self.show_renderable(line)
            self.events.add(events, now)

        def take_other(item: object) -> None:
            if not isinstance(item, MemberState):
                raise TypeError(f"a subscription never holds {type(item).__name__}")
            self.on_member_state(item)  # a server of the fleet lost, back or gone

        dispatch(
            self.sub.drain(),
            take_messages,
            lambda item: self.show_renderable(render.render_protocol_error(item)),
            lambda item: self.on_closed(item.reason),
            self.show_result,  # a replay's recorded result, paired with its action
            notice=lambda item: self.note(f"amish: {item.text}"),  # an HTTP session logged in again
            other=take_other,
        )
        if shown["skipped"]:
            self.note(f"... {shown['skipped']} more matching events not printed (too many at once; narrow them with /filter)")

    def _print_ansi(self, ansi: str) -> None:
        print_formatted_text(
            ANSI(ansi.rstrip("\n")), style=merge_styles([self.lexer_style, SHELL_STYLE]), include_default_pygments_style=False
        )

    def note(self, text: str, style: str = "yellow") -> None:
        self.show_renderable(Text(text, style=style))

    def error(self, text: str) -> None:
        self.note(text, "red")

    def show_renderable(self, renderable) -> None:
        width = max(20, shutil.get_terminal_size((100, 24)).columns - 1)
        self._print_ansi(render.to_ansi(renderable, width=width, color=self.color))

    def apply_filter_to_view(self) -> None:
        # what was printed stays printed: the filter counts the kept events and prints what comes next
        self.events.set_filter(self.event_filter if self.filter_text else None)

    def clear_events(self) -> None:
        self.events.clear()

    def clear_transcript(self) -> None:
        print("\x1b[H\x1b[2J", end="", flush=True)

    def toggle_pause(self) -> None:
        self.paused = not self.paused
        self.note("events paused (still received)" if self.paused else "events resumed")

    def key_help(self) -> list[tuple[str, str]]:
        return [
            ("Enter", "send (the telnet form: a blank line sends)"),
            ("Alt-Enter", "a new line"),
            ("Tab", "complete"),
            ("Ctrl-C", "clear the input; stop waiting"),
            ("Ctrl-D", "quit"),
        ]

    def invalidate(self) -> None:
        if self.session is not None and self.session.app.is_running:
            self.session.app.invalidate()

    def exit(self) -> None:
        self._exit = True
        if self.session is not None and self.session.app.is_running:
            self.session.app.exit(exception=EOFError())

    # -- running ----------------------------------------------------------------
    def _bindings(self) -> KeyBindings:
        kb = KeyBindings()

        @kb.add("enter")
        def _(event):
            "Enter: send (the telnet form goes on until a blank line)."
            buf = event.current_buffer
            if buf.complete_state is not None and buf.complete_state.current_completion is not None:
                buf.complete_state = None
                return
            if self.wants_more_lines(buf.text):
                buf.insert_text("\n")
            else:
                buf.validate_and_handle()

        @kb.add("escape", "enter")
        def _(event):
            "Alt-Enter: a new line."
            event.current_buffer.insert_text("\n")

        @kb.add("f4")
        def _(event):
            "F4: pause or resume events."
            self.toggle_pause()

        return kb

    def run(self) -> int:
        return asyncio.run(self.run_async())

    def completion_buffer(self):
        session = getattr(self, "session", None)
        return None if session is None else session.default_buffer

    async def run_async(self) -> int:
        self._loop = asyncio.get_running_loop()
        self.session = PromptSession(
            message=lambda: [("class:prompt" if self.conn.connected else "class:prompt.disconnected",
                              f"{self.fleet.current}> " if self.fleet is not None else "ami> ")],
            completer=ThreadedCompleter(self.completer),  # off the UI loop, as in the full-screen shell
            complete_while_typing=True,
            lexer=PygmentsLexer(InputLexer),
            history=make_history(),
            style=merge_styles([self.lexer_style, SHELL_STYLE]),
            include_default_pygments_style=False,
            multiline=True,
            key_bindings=self._bindings(),
            prompt_continuation=lambda width, line, wrap: "...> ".rjust(width),
            input_processors=[MaskTypedSecrets()],  # secrets typed show as *, and stay so once sent
        )
        with patch_stdout(raw=True):
            self.start()
            held = ""
            while not self._exit:
                try:
                    text = await self.session.prompt_async(default=held)
                except KeyboardInterrupt:
                    held = ""
                    self.cancel_held()
                    n = self.abandon_all()
                    if n:
                        self.note(f"stopped waiting for {n} action(s)")
                    continue
                except EOFError:
                    break
                held = text if self.submit_text(text) else ""  # held for a second Enter: back in the input
                await asyncio.sleep(0)
        self.stop()
        return 0
