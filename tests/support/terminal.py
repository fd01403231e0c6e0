"""amish in a pseudo-terminal, its screen kept by pyte: what every screen test types into and reads."""

from __future__ import annotations

import os
import sys
import time

import pexpect
import pyte

from conftest import ADMIN

COLS, ROWS = 140, 44


class Terminal:
    """amish in a pseudo-terminal, its screen kept by pyte."""

    def __init__(self, args, env_extra=None, size=(ROWS, COLS)):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_")}
        env.update({"TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1", "AMISH_SECRET": ADMIN[1]})
        env["XDG_STATE_HOME"] = env_extra.pop("XDG_STATE_HOME") if env_extra and "XDG_STATE_HOME" in env_extra else "/tmp/amish-e2e-state"
        env.update(env_extra or {})
        env = {k: v for k, v in env.items() if v is not None}  # None: not set at all (AMISH_SECRET)
        rows, cols = size
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.child = pexpect.spawn(
            sys.executable, ["-m", "amish", *args], env=env, dimensions=(rows, cols), timeout=10
        )

    def pump(self, seconds=0.05):
        end = time.monotonic() + seconds
        while True:
            try:
                data = self.child.read_nonblocking(65536, timeout=max(0.0, end - time.monotonic()))
                self.stream.feed(data)
            except pexpect.TIMEOUT:
                pass
            except pexpect.EOF:
                return
            if time.monotonic() >= end:
                return

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait_for(self, predicate, timeout=10.0, what=""):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump(0.05)
            if predicate(self.text()):
                return
        raise AssertionError(f"timed out waiting for {what or predicate}; screen:\n{self.text()}")

    def wait_text(self, needle, timeout=10.0):
        self.wait_for(lambda t: needle in t, timeout, repr(needle))

    def send(self, keys: str):
        self.child.send(keys)
        self.pump(0.05)

    def input_line(self) -> str:
        return next((l for l in reversed(self.screen.display) if l.startswith("ami> ")), "")

    def events_pane(self) -> list[str]:
        lines = self.screen.display
        start = next(i for i, l in enumerate(lines) if l.startswith(" Events "))
        end = next(i for i, l in enumerate(lines) if l.startswith(" Transcript "))
        return [l.rstrip() for l in lines[start + 1 : end] if l.strip()]

    def close(self):
        if self.child.isalive():
            self.child.terminate(force=True)
