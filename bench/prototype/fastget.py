"""A PROPOSED change to amish.protocol, measured by the bench but not part of amish.

Importing this module patches amish.protocol.Message in place (bench/run runs
an extra "amish + proposed fast get" row with it; amish's own test suite can
be run against it with `python bench/prototype/run_tests.py`). It is the
change that the README's Performance section describes for amish/protocol.py.

Message.get(key) on a message that has not been parsed yet finds the one line
it needs in the raw bytes instead of decoding and splitting every line and
building a case-insensitive index (about 5.5 us for a 17-header event, most
of amish's time per event under a flood). It returns exactly what the full
parse would, and falls back to it whenever the bytes leave any doubt:

- keys compare case-insensitively as in the full parse (key.lower()): the
  lookup is on an ASCII-lowered copy of the bytes, so only an ASCII key takes
  the fast path, and a message holding U+212A KELVIN SIGN (the one non-ASCII
  character whose lower() is ASCII) is parsed in full;
- lines end at LF with one CR dropped, as the full parse's CRLF->LF; a
  value ending in CR CR is parsed in full (the per-line fallback decoding
  strips every trailing CR there);
- the first occurrence of a key wins, as in the index;
- the value is decoded as the full parse decodes its line: UTF-8, else the
  fallback encoding with surrogateescape (the key being ASCII, decoding the
  value alone gives the same text for ASCII-compatible single-byte fallbacks).
"""

from __future__ import annotations

from amish import protocol
from amish.protocol import Message

_KELVIN = "\u212a".encode()
_NEEDLES: dict[str, tuple[bytes, bytes] | None] = {}

_slow_get = Message.get


def _needles(key: str):
    found = _NEEDLES.get(key, False)
    if found is False:
        if key and key.isascii() and ":" not in key and "\n" not in key and "\r" not in key:
            low = key.lower().encode()
            exact = key.encode()
            found = (low + b":", b"\n" + low + b":", exact + b":", b"\n" + exact + b":")
        else:
            found = None
        if len(_NEEDLES) > 512:
            _NEEDLES.clear()
        _NEEDLES[key] = found
    return found


def get(self, key, default=None):
    if self._headers is None and self._index is None:
        needles = _NEEDLES.get(key) or _needles(key)
        raw = self.raw
        if needles is not None and (raw.isascii() or _KELVIN not in raw):
            first, later, exact_first, exact_later = needles
            if raw.startswith(exact_first):
                start = len(exact_first)
            else:
                # the key as the caller spelled it (the usual case), then any earlier other spelling
                pos = raw.find(exact_later)
                low = raw[: pos + 1].lower() if pos >= 0 else raw.lower()
                if low.startswith(first):
                    start = len(first)
                else:
                    other = low.find(later)
                    if other >= 0:
                        start = other + len(later)
                    elif pos >= 0:
                        start = pos + len(exact_later)
                    else:
                        return default
            end = raw.find(b"\n", start)
            value = raw[start:end] if end >= 0 else raw[start:]
            if value[-1:] == b"\r":
                if value[-2:] == b"\r\r":
                    return _slow_get(self, key, default)  # the per-line fallback strips every CR
                value = value[:-1]
            if value[:1] == b" ":
                value = value[1:]
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                return value.decode(self._fallback, "surrogateescape")
    return _slow_get(self, key, default)


Message.get = get
protocol.Message.get = get


_slow_kind = Message.kind.fget


def kind(self):
    """The fast path first: a received event starts with the bytes ``Event:`` (as Asterisk writes it)."""
    if self._headers is None and self.raw[:6] == b"Event:":
        return "event"
    return _slow_kind(self)


Message.kind = property(kind, doc=Message.kind.__doc__)
