"""A PROPOSED change to amish.protocol.Parser._frame, measured by the bench but not part of amish.

Importing this module patches amish.protocol.Parser in place. The current
_frame runs one regex search, one bytearray slice and one bytes copy per
message, in a Python loop. This one frames every complete message of a read
in one call: it finds the end of the last terminator in the buffer, copies
that region once and splits it with one C call (re.split on the same
terminator, LF [CR] LF, keeping the separators so each message's raw bytes
are exact). Blank lines between messages, a legacy "Response: Follows"
body, over-long messages and lines are handled as before: blank lines are
stripped the same way, and at a Follows response (whose body may hold blank
lines) or anything over a bound it hands the rest to the original _frame.
An incomplete message is never copied (no terminator in the new bytes: the
original's incremental scan), so a 4 MiB message still costs linear time.
"""

from __future__ import annotations

import re

from amish import protocol
from amish.protocol import _FOLLOWS, Message, Parser, ProtocolError, _longest_line

_SPLIT = re.compile(rb"(\n\r?\n)")
_TERMINATOR = protocol._TERMINATOR
_orig_frame = Parser._frame


def _frame(self, out) -> None:
    buf = self._buf
    if self._follows or not buf:
        return _orig_frame(self, out)
    if _TERMINATOR.search(buf, self._scan) is None:
        return _orig_frame(self, out)  # nothing complete: the incremental scan, bounds
    # the end of the last terminator (LF CR LF in a CRLF stream; LF LF after it only from bare-LF senders)
    crlf = buf.rfind(b"\n\r\n")
    last = max(crlf + 3, buf.rfind(b"\n\n", max(crlf, 0)) + 2)
    region = bytes(memoryview(buf)[:last])  # one copy (a slice of a bytearray would be two)
    del buf[:last]
    self._scan = 0
    fallback = self._fallback
    max_line = self._max_line
    max_message = self._max_message
    from_raw = Message.from_raw
    append = out.append
    parts = _SPLIT.split(region)
    pos = 0
    for i in range(0, len(parts) - 1, 2):
        raw = parts[i] + parts[i + 1]
        at = pos
        pos += len(raw)
        c = raw[0]
        if c == 10 or c == 13:  # blank lines before a message are not part of it
            while True:
                if raw[:1] == b"\n":
                    raw = raw[1:]
                    at += 1
                elif raw[:2] == b"\r\n":
                    raw = raw[2:]
                    at += 2
                else:
                    break
            if not raw:
                continue
            c = raw[0]
        if (c == 82 or c == 114) and raw[: len(_FOLLOWS)].lower() == _FOLLOWS:
            # a legacy Command body may hold blank lines: the original from here
            buf[:0] = region[at:]
            return _orig_frame(self, out)
        n = len(raw)
        if n > max_message:
            append(ProtocolError(f"message longer than {max_message} bytes skipped", n, raw[:200]))
            continue
        if n > max_line and _longest_line(raw) > max_line:
            append(ProtocolError(f"line longer than {max_line} bytes; message skipped", n, raw[:200]))
            continue
        append(from_raw(raw, fallback))
    if buf:
        _orig_frame(self, out)  # what is left is incomplete: set the scan, check the bound


Parser._frame = _frame
