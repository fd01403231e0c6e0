"""A fleet: several named servers, each with its own options (and so its own connection, login and secret).

Nothing here is mode-specific: a fleet is a list of `Member`s (a name and the
`Options` of one server), and `run_each` runs one piece of work per member in
at most `parallel` threads, handing each outcome back to the calling thread as
it finishes, in the order they finish. The pipe tool (`pipe.run_fleet`) and
`amish events` (`events.tail_fleet`) are built on it; the shell can be.

The classes of outcome a fleet run reports per server, and their order (the
exit code of a run is the worst class present, README's exit-code section):
unreachable and lost (2) are worse than timeout (3), worse than error (1),
worse than ok (0).

Core: imports nothing from the UI libraries (tests/unit/test_layers.py).
"""

from __future__ import annotations

import queue
import threading

from ..core.errors import EXIT_ACTION_ERROR, EXIT_CONNECTION, EXIT_OK, EXIT_TIMEOUT
from ..core.immutable import Record

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Callable, Iterable

    from .options import Options

__all__ = ["Member", "DEFAULT_PARALLEL", "CLASSES", "worst", "run_each", "exit_class", "close_all"]

#: How many servers the pipe tool talks to at once unless --parallel says otherwise.
DEFAULT_PARALLEL = 10

#: Outcome class -> exit code, worst first: a run exits with the code of its worst class.
CLASSES = {"unreachable": EXIT_CONNECTION, "lost": EXIT_CONNECTION, "timeout": EXIT_TIMEOUT,
           "error": EXIT_ACTION_ERROR, "ok": EXIT_OK}


class Member(Record):
    """One server of a fleet: the name output says it by, and its options."""

    __slots__ = ("name", "opts")

    def __init__(self, name: str, opts: Options) -> None:
        self._fill(locals())


def exit_class(code: int) -> str:
    """The class of a finished run's exit code (2 mid-run: the connection was lost)."""
    return {EXIT_OK: "ok", EXIT_ACTION_ERROR: "error", EXIT_TIMEOUT: "timeout"}.get(code, "lost")


def worst(classes: Iterable[str]) -> int:
    """The exit code of the worst class present (0 for none)."""
    order = list(CLASSES)
    present = [order.index(c) for c in classes]
    return CLASSES[order[min(present)]] if present else EXIT_OK


def run_each(items: list, work: Callable, *, parallel: int, on_done: Callable, poll: float = 0.2) -> None:
    """work(item) for every item, at most `parallel` at once; on_done(item, result, error) in this thread.

    Each outcome is handed over as soon as its work ends (so memory holds at
    most `parallel` results). The workers are daemon threads: Ctrl-C here
    (KeyboardInterrupt, raised in this thread) stops handing out new items and
    goes up at once; the caller ends what is in flight (closing its connections).
    """
    done: queue.SimpleQueue = queue.SimpleQueue()
    lock = threading.Lock()
    todo = iter(items)
    stop = threading.Event()

    def worker() -> None:
        while not stop.is_set():
            with lock:
                item = next(todo, None)
            if item is None:
                return
            try:
                done.put((item, work(item), None))
            except BaseException as e:  # every failure is the item's outcome, said by the caller
                done.put((item, None, e))

    threads = [threading.Thread(target=worker, name="amish-fleet", daemon=True)
               for _ in range(max(1, min(parallel, len(items))))]
    for t in threads:
        t.start()
    left = len(items)
    try:
        while left:
            try:
                item, result, error = done.get(timeout=poll)  # a short wait: Ctrl-C is seen at once
            except queue.Empty:
                continue
            left -= 1
            on_done(item, result, error)
    finally:
        stop.set()


def close_all(sessions) -> None:
    """Close (log off) every session at once: each close waits a little for its Goodbye, so not one after another."""
    threads = [threading.Thread(target=_close_quietly, args=(s,), daemon=True) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(3)


def _close_quietly(session) -> None:
    try:
        session.close()
    except Exception:  # a trace that could not be written was said when it failed
        pass
