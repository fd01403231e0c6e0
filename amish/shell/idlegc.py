"""The cycle collector's full passes, moved to when nobody types.

A big PBX's call model keeps tens of thousands of objects (10,000 channels, their
calls, bridges, 1,000 ended calls). CPython's full collection (generation 2)
walks every one of them and every object they point to: 50-100 ms with the GIL
held, the whole shell frozen, and it starts on its own whenever the long-lived
objects grew by a quarter, which on a busy PBX (400 new channels a second) is
every few seconds, often in the middle of a word being typed.

While the shell runs, generation 2 is never collected on its own (its threshold
is out of reach; generations 0 and 1, a few milliseconds, run as usual). The
shell ticks `IdleCollector` a few times a second and tells it of each key: a full
pass runs once the keyboard has been idle IDLE seconds and the last pass is at
least EVERY seconds old, or after LONGEST seconds whatever the keyboard does, so
garbage in cycles is still freed, only not under the user's fingers. Each pass also
hands the memory the C allocator keeps free back to the system (`full_pass`).
"""

from __future__ import annotations

import gc
import time
from typing import Callable

__all__ = ["IdleCollector", "IDLE", "EVERY", "LONGEST", "full_pass"]

#: A full pass waits for the keyboard to be idle this long (seconds)...
IDLE = 1.0
#: ...and runs at most this often...
EVERY = 10.0
#: ...and at least this often, idle keyboard or not.
LONGEST = 120.0
#: Generation 2's threshold while installed: never reached.
_NEVER = 1 << 30


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None (another C library: nothing to do). Looked up at the first full pass,
    not at import (ctypes is ~15 ms of the shell's start-up), in the process's own symbols (no ldconfig)."""
    import ctypes  # (here for start-up time)

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_UNKNOWN = object()
_TRIM = _UNKNOWN


def full_pass() -> None:
    """A full collection, then the memory the C allocator keeps free handed back to the system.

    glibc returns freed memory only from the top of its heap: what a flood's backlog or the ended
    calls freed in the middle stays in the process (the RSS a user sees) until malloc_trim gives
    those pages back. A few milliseconds, at an idle keyboard like the collection: on a big PBX
    ~11 MiB less (bench/run bigpbx)."""
    global _TRIM
    gc.collect()
    if _TRIM is _UNKNOWN:
        _TRIM = _malloc_trim()
    if _TRIM is not None:
        _TRIM(0)


class IdleCollector:
    def __init__(self, clock: Callable[[], float] = time.monotonic, collect: Callable[[], object] = full_pass):
        self.clock = clock
        self.collect = collect
        self.last_key = 0.0
        self.last_full = clock()
        self.passes = 0
        self._saved: tuple[int, int, int] | None = None

    def install(self) -> None:
        """Generation 2 collected only by `tick` from now on."""
        if self._saved is None:
            self._saved = gc.get_threshold()
            gc.set_threshold(self._saved[0], self._saved[1], _NEVER)

    def uninstall(self) -> None:
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None

    def key(self) -> None:
        """A key was pressed."""
        self.last_key = self.clock()

    def tick(self) -> bool:
        """A full pass now if it is time (True when one ran)."""
        now = self.clock()
        since = now - self.last_full
        if since >= LONGEST or (since >= EVERY and now - self.last_key >= IDLE):
            self.collect()
            self.last_full = self.clock()
            self.passes += 1
            return True
        return False
