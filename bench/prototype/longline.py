"""A PROPOSED change to amish.protocol._frame's line-length check, measured by the bench.

Today a message longer than max_line (1 MiB) is split into all its lines
(`_longest_line`: one bytes object per line) just to find the longest, so
framing a 4 MiB message allocates ~50,000 objects that a 1 MiB one does not.
A line longer than L must cover some multiple of L, so looking at the line
around each multiple of L (len/L searches, no allocation) is enough.
"""

from __future__ import annotations

from amish import protocol


def _longest_line_over(raw: bytes, limit: int) -> bool:
    n = len(raw)
    for j in range(limit, n, limit):
        start = raw.rfind(b"\n", 0, j) + 1
        end = raw.find(b"\n", j)
        if (n if end < 0 else end) - start > limit:
            return True
    return False


class _Longest:
    """Stands in for `_longest_line(raw) > max_line` in Parser._frame."""

    def __init__(self, raw: bytes):
        self.raw = raw

    def __gt__(self, limit: int) -> bool:
        return _longest_line_over(self.raw, limit)


protocol._longest_line = _Longest
