"""`amish raw`: like `telnet HOST 5038`, with highlighting, history and a reader thread.

Each line typed goes out as typed, CRLF added; a blank line ends an action,
exactly as over telnet. Everything the server sends is printed as it
arrives, above the prompt, so events never garble what is being typed. A
Secret or Key typed by hand is masked on screen and kept out of history.

Under --read-only (or a profile's read_only), lines are held until the blank
line that ends the action; the block is then judged by
amish.core.safety.read_only_refusal, like every other mode's actions, and sent
whole, or refused with one line and not sent at all.
"""

from __future__ import annotations

import asyncio
import re

from prompt_toolkit import PromptSession
from prompt_toolkit.formatted_text import PygmentsTokens
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.patch_stdout import patch_stdout
from prompt_toolkit.shortcuts import print_formatted_text

from .transports.shared import Closed
from .core.errors import AmishError
from .runtime.options import Options
from .core.protocol import Message, ProtocolError, encode_message
from .core.secrets import mask_typed
from .runtime.session import Session
from .ui.lexer import AmiLexer, ami_style
from .ui.prompt import MaskTypedSecrets, make_history
from .transports.base import Transport
from .transports.items import dispatch

__all__ = ["RawSession", "run_raw_command", "mask_typed_line"]

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def mask_typed_line(line: str) -> str:
    """What the screen shows of a typed line: secret values (and any Key) masked."""
    return mask_typed(line, login=True)


class RawSession:
    def __init__(self, conn: Transport, *, read_only: bool = False):
        self.conn = conn
        self.read_only = read_only
        #: --read-only: the lines of the action being typed, held until its blank line.
        self._held: list[str] = []
        self.lexer = AmiLexer()
        self.style = ami_style()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.closed = False
        self.sub = conn.subscribe(callback=self._wake)
        self._scheduled = False

    def _wake(self) -> None:  # I/O thread: hand over, never print from here
        if not self._scheduled and self.loop is not None:
            self._scheduled = True
            try:
                self.loop.call_soon_threadsafe(self._drain)
            except RuntimeError:
                pass

    def _drain(self) -> None:
        self._scheduled = False
        dispatch(self.sub.drain(), self._show_messages, self._show_protocol_error, self._on_closed)

    def _show_messages(self, messages: list[Message]) -> None:
        for item in messages:
            shown = item.masked()
            text = (shown.raw or encode_message(shown)).decode("utf-8", "replace").replace("\r\n", "\n")
            print_formatted_text(PygmentsTokens(list(self.lexer.get_tokens(text))), style=self.style, end="", include_default_pygments_style=False)

    def _show_protocol_error(self, item: ProtocolError) -> None:
        print_formatted_text(f"[amish: protocol error: {item.reason}]")

    def _on_closed(self, item: Closed) -> None:
        print_formatted_text(f"[amish: {item.reason}]")
        self.closed = True
        app = self.session.app
        if app.is_running:
            app.exit(exception=EOFError())

    def send_line(self, line: str) -> None:
        self.conn.send_raw(line.encode("utf-8", "surrogateescape") + b"\r\n")

    def take_line(self, line: str) -> None:
        """A line typed: out as typed; under --read-only, held until its action is complete and judged."""
        if not self.read_only:
            self.send_line(line)
            return
        for part in _LINE_BREAK.split(line):  # a pasted line break ends a line for Asterisk too
            if part:
                self._held.append(part)
            else:
                self._end_held_block()

    def _end_held_block(self) -> None:
        from .core.safety import read_only_refusal  # only under --read-only

        block, self._held = self._held, []
        if not block:
            return
        data = b"".join(part.encode("utf-8", "surrogateescape") + b"\r\n" for part in block)
        refusal = read_only_refusal(Message.from_raw(data))
        if refusal:
            print_formatted_text(f"[amish: not sent: {refusal} (what passes: README, Safety rails)]")
            return
        self.conn.send_raw(data + b"\r\n")

    async def run(self) -> int:
        self.loop = asyncio.get_running_loop()
        self.session = PromptSession(
            message=[("class:prompt", "")],
            lexer=PygmentsLexer(type(self.lexer)),
            history=make_history(),
            style=self.style,
            include_default_pygments_style=False,
            erase_when_done=True,  # the masked echo below replaces what was typed
            input_processors=[MaskTypedSecrets(login=True)],
        )
        banner = self.conn.banner.text if self.conn.banner else ""
        with patch_stdout(raw=True):
            how = (
                "--read-only: an action goes out at its blank line, whole, if it only reads"
                if self.read_only
                else "lines go out as typed; a blank line ends an action"
            )
            print_formatted_text(f"{banner}  [amish raw: {how}; Ctrl-D quits]")
            self._drain()
            while not self.closed:
                try:
                    line = await self.session.prompt_async()
                except KeyboardInterrupt:
                    continue
                except EOFError:
                    break
                print_formatted_text(
                    PygmentsTokens(list(self.lexer.get_tokens(mask_typed_line(line) + "\n"))),
                    style=self.style,
                    end="",
                    include_default_pygments_style=False,
                )
                try:
                    self.take_line(line)
                except AmishError as e:
                    print_formatted_text(f"[amish: {e}]")
                    break
        return 0


def run_raw_command(opts: Options) -> int:
    if opts.transport == "http":
        from .core.errors import InputError

        raise InputError("amish raw needs AMI's TCP port (ami:// or amis://): over HTTP each action is a request "
                         "of its own, so there is no stream to type bytes into; use the shell (amish http://...)")
    with Session(opts, events_default="on", login=bool(opts.user)) as session:
        conn = session.connect()
        return asyncio.run(RawSession(conn, read_only=opts.read_only).run())
