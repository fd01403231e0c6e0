"""Drive the full-screen application through prompt_toolkit's pipe input (no terminal)."""

from __future__ import annotations

import asyncio
import time

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from amish.shell.app import Shell


async def drive(shell: Shell, pipe, steps):
    """Run the app; feed each (text, predicate) step, waiting for the predicate after it."""
    task = asyncio.create_task(shell.run_async())
    try:
        deadline = time.monotonic() + 8
        while not shell.app.is_running:  # the app takes keys once it runs
            assert time.monotonic() < deadline, "the app never started"
            await asyncio.sleep(0.02)
        for text, predicate, what in steps:
            if text:
                pipe.send_text(text)
            deadline = time.monotonic() + 8
            while not predicate():
                assert time.monotonic() < deadline, f"timed out: {what}\ntranscript:\n{shell.transcript.text()}"
                await asyncio.sleep(0.02)
    finally:
        if shell.app.is_running:
            shell.app.exit(result=0)
        await asyncio.wait_for(task, 5)
