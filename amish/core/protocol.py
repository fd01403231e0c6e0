"""The AMI wire format, sans-IO: bytes in, messages out; messages in, bytes out.

Nothing here touches a socket, a thread or a screen. `Parser` is fed whatever
chunks the transport happened to read and hands back complete items: the
banner, messages and protocol errors. `encode_action` turns headers into the
bytes of an action, refusing header injection. Everything else in amish
(connection, the pipe tool, the shell) is built on these two.

Framing is done on bytes and each complete message is decoded once (UTF-8,
with a lossless per-line fallback), never per chunk, so a multi-byte
character split across two reads is never damaged.
"""

from __future__ import annotations

import itertools
import re

from .immutable import Record
from .secrets import MASK, headers_may_hold_secret, is_secret_name, mask_bytes, mask_header, secret_var_numbers

TYPE_CHECKING = False  # typing and dataclasses cost ~8 ms of every start-up
if TYPE_CHECKING:  # pragma: no cover
    from typing import Iterable, Iterator

__all__ = [
    "Banner",
    "Message",
    "ProtocolError",
    "Parser",
    "HeaderError",
    "encode_action",
    "encode_message",
    "limit_warnings",
    "is_ami_banner",
    "mask_secrets",
    "ASTERISK_MAX_LINE",
    "ASTERISK_MAX_HEADERS",
]

#: Asterisk reads a line into a 1025-byte buffer: a line with its CRLF may be 1024 bytes.
ASTERISK_MAX_LINE = 1024
#: AST_MAX_MANHEADERS: the most lines Asterisk accepts in one action.
ASTERISK_MAX_HEADERS = 128


DEFAULT_MAX_MESSAGE = 16 * 1024 * 1024
DEFAULT_MAX_LINE = 1024 * 1024
MAX_BANNER = 1024

# A message ends with an empty line: the end of its last line (LF, CR LF) then an
# empty line (LF or CR LF). "\n\r?\n" matches all four combinations.
_TERMINATOR = re.compile(rb"\n\r?\n")
_SPLIT = re.compile(rb"(\n\r?\n)")
# How a piece of a split read may start that needs a look: blank lines, nothing, a Response (Follows?)
_SPECIAL_STARTS = frozenset((b"", b"\r", b"\n", b"R", b"r"))
_FOLLOWS = b"response: follows"
_END_COMMAND = b"--END COMMAND--"
# The first line that has a colon, and its key (how a message glued to stray text starts).
_FIRST_KEYED_LINE = re.compile(rb"^([^:\n]*):", re.M)
_KINDS = frozenset((b"event", b"response", b"action"))


class Message:
    """One AMI message: an ordered multimap of headers.

    Keys are looked up case-insensitively; their original case, their order
    and repeated keys (``Variable``, ``ChanVariable``, ``Output``) are kept.
    A line with no colon is kept as a header whose key is None.
    ``raw`` holds the bytes exactly as received (empty for messages built here).

    A received message is parsed lazily: the parser only frames it, and its
    bytes are decoded and split into headers on first access. So the I/O
    thread's cost per message is framing alone, and a consumer pays for the
    headers it actually reads (a flood of events nobody looks at costs little).
    """

    __slots__ = ("_headers", "raw", "_index", "_fallback")

    def __init__(self, headers: Iterable[tuple[str | None, str]] = (), raw: bytes = b""):
        self._headers: list[tuple[str | None, str]] | None = (
            headers if type(headers) is list else list(headers)
        )
        self.raw = raw
        self._index: dict[str, str] | None = None

    @classmethod
    def from_raw(cls, raw: bytes, fallback: str = "latin-1") -> "Message":
        """A message whose headers are parsed from `raw` when first needed."""
        msg = cls.__new__(cls)
        msg._headers = None
        msg.raw = raw
        msg._index = None
        msg._fallback = fallback
        return msg

    @property
    def headers(self) -> list[tuple[str | None, str]]:
        """The (key, value) pairs in order; key None for a line with no colon."""
        headers = self._headers
        if headers is None:
            headers = self._headers = _parse_headers(self.raw, self._fallback)
        return headers

    # -- lookup -------------------------------------------------------------
    def _build_index(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for key, value in reversed(self.headers):
            if key is not None:
                index[key.lower()] = value
        self._index = index
        return index

    def index(self) -> None:
        """Parse for lookup now: every `get` after is one dict lookup. For a reader about to read
        many headers of a message (a single `get` reads its one line from the raw bytes)."""
        if self._index is None:
            self._build_index()

    def get(self, key: str, default: str | None = None) -> str | None:
        """The first value of `key` (any case), or `default`.

        On a message not parsed yet, the one line asked for is found in the raw
        bytes (a consumer reading the Event and ActionID of each event in a flood
        never pays for the rest). It returns exactly what the full parse would,
        and leaves the doubtful cases to it: a key that is not plain ASCII, a
        message holding U+212A KELVIN SIGN (the one non-ASCII character whose
        lower() is ASCII), a value that is not UTF-8 or ends in CR CR.
        """
        index = self._index
        if index is None:
            if self._headers is None:
                needles = _NEEDLES.get(key) or _needles(key)
                if needles is not None:
                    raw = self.raw
                    if raw.startswith(needles[0]):  # the first line: the first of any spelling
                        start = needles[4]
                    else:
                        # found in the lowered bytes: the first line of any spelling. The last
                        # message lowered is kept (one), as a reader asks for several keys in turn.
                        global _LOWERED
                        lowered = _LOWERED
                        if lowered[0] is not raw:
                            lowered = _LOWERED = (raw, raw.lower(), _KELVIN in raw)
                        if lowered[2] and not needles[5]:
                            start = -1  # a KELVIN SIGN may spell this key: the full parse decides
                        else:
                            low = lowered[1]
                            if low.startswith(needles[2]):
                                start = needles[6]
                            else:
                                start = low.find(needles[3])
                                if start < 0:
                                    return default
                                start += needles[7]
                    if start >= 0:
                        stop = raw.find(b"\n", start)
                        if stop < 0:
                            stop = len(raw)
                        if stop > start and raw[stop - 1] == 13:  # CR LF
                            stop -= 1
                        # CR CR LF: left to the full parse (its per-line fallback strips every CR)
                        if stop <= start or raw[stop - 1] != 13:
                            if stop > start and raw[start] == 32:
                                start += 1
                            try:
                                return raw[start:stop].decode("utf-8")
                            except UnicodeDecodeError:
                                pass
            index = self._build_index()
        return index.get(key.lower(), default)

    def getall(self, key: str) -> list[str]:
        """Every value of `key` (any case), in order."""
        key = key.lower()
        return [v for k, v in self.headers if k is not None and k.lower() == key]

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[tuple[str | None, str]]:
        return iter(self.headers)

    def __len__(self) -> int:
        return len(self.headers)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Message):
            return self.headers == other.headers
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Message({self.headers!r})"

    # -- what kind of message ----------------------------------------------
    @property
    def kind(self) -> str:
        """'response', 'event', 'action' or '' by the first header's key."""
        if self._headers is None:
            # fast path for the I/O thread: the first key, read from the bytes
            if self.raw[:6] == b"Event:":
                return "event"
            colon = self.raw.find(b":", 0, 40)
            if colon > 0:
                first = self.raw[:colon].lower()
                if first in (b"event", b"response", b"action"):
                    return first.decode()
        if not self.headers:
            return ""
        key = self.headers[0][0]
        key = key.lower() if key else ""
        return key if key in ("response", "event", "action") else ""

    @property
    def name(self) -> str:
        """The value of the first header: the event name, the response status or the action."""
        return self.headers[0][1] if self.headers else ""

    def is_event(self, name: str | None = None) -> bool:
        ev = self.get("Event")
        if ev is None:
            return False
        return name is None or ev.lower() == name.lower()

    @property
    def is_response(self) -> bool:
        return self.kind == "response"

    def to_dict(self) -> dict[str, object]:
        """Headers as a dict for JSON: a repeated key becomes a list, order kept.

        Lines with no colon go under the key "" as a list.
        """
        out: dict[str, object] = {}
        for key, value in self.headers:
            k = "" if key is None else key
            if k in out:
                prev = out[k]
                if isinstance(prev, list):
                    prev.append(value)
                else:
                    out[k] = [prev, value]
            elif key is None:
                out[k] = [value]
            else:
                out[k] = value
        return out

    def masked(self) -> "Message":
        """This message with every secret masked (itself when it holds none).

        What `amish.core.secrets` calls a secret: secret-named headers, a Login's
        Key, secret variables in GetConfig and GetConfigJSON output, the
        Value of an UpdateConfig change to a secret variable.
        """
        if not headers_may_hold_secret(self.headers):
            return self  # the common case, fast: no header whose name could hold a secret
        raw = self.raw
        is_login = (self.get("Action") or "").strip().lower() == "login"
        secret_vars = secret_var_numbers(self.headers)
        headers = None
        for i, (key, value) in enumerate(self.headers):
            shown = mask_header(key, value, is_login, secret_vars)
            if shown is not None:
                if headers is None:
                    headers = list(self.headers)
                headers[i] = (key, shown)
        if headers is None:
            return self
        return Message(headers, mask_bytes(raw) if raw else b"")


_KELVIN = "\u212a".encode()
# key -> (b"Key:", b"\nKey:", b"key:", b"\nkey:", len(b"Key:"), no_k, len(b"key:"), len(b"\nkey:")),
# or None for a key the fast get leaves alone.
# no_k: the key has no K, so U+212A KELVIN SIGN (whose lower() is "k") cannot spell it.
_NEEDLES: dict[str, tuple | None] = {}
# the last message `get` lowered: (its raw bytes, lowered, whether it holds a KELVIN SIGN)
_LOWERED: tuple[bytes, bytes, bool] = (b"", b"", False)


def _needles(key: str) -> tuple | None:
    found = _NEEDLES.get(key, False)
    if found is False:
        if isinstance(key, str) and key and key.isascii() and not any(c in key for c in ":\r\n"):
            exact, low = key.encode(), key.lower().encode()
            found = (exact + b":", b"\n" + exact + b":", low + b":", b"\n" + low + b":", len(exact) + 1,
                     b"k" not in low, len(low) + 1, len(low) + 2)
        else:
            found = None
        if len(_NEEDLES) > 1024:
            _NEEDLES.clear()
        _NEEDLES[key] = found
    return found


class Banner(Record):
    """The first line a server sends, e.g. ``Asterisk Call Manager/11.0.0``."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self._fill(locals())

    @property
    def version(self) -> str:
        """The protocol version after the last '/', or '' (``11.0.0``)."""
        head, sep, tail = self.text.rpartition("/")
        return tail.strip() if sep else ""


class ProtocolError(Record):
    """Something in the stream that is not a valid message; parsing goes on after it.

    `skipped`: how many bytes were skipped because of it; `sample`: the first of
    them, for the user to see.
    """

    __slots__ = ("reason", "skipped", "sample")

    def __init__(self, reason: str, skipped: int = 0, sample: bytes = b""):
        self._fill(locals())


Item = "Message | Banner | ProtocolError"  # for annotations


def is_ami_banner(text: str) -> bool:
    """True for the banners of Asterisk and of the proxies and forks that speak AMI."""
    low = text.lower()
    return "call manager" in low or low.startswith("asterisk")


class Parser:
    """Incremental AMI parser: feed it chunks, get back complete items.

    `expect_banner`: the stream starts with a banner line (a live connection);
    False for dumps and captures that start with messages.
    `fallback_encoding`: how a line that is not valid UTF-8 is decoded; the
    bytes are never lost (undecodable ones become surrogate escapes, and
    `Message.raw` keeps the original bytes).
    Bounded: a message longer than `max_message` bytes or with a line longer
    than `max_line` is reported as a ProtocolError, skipped, and parsing goes on.
    """

    def __init__(
        self,
        *,
        expect_banner: bool = True,
        fallback_encoding: str = "latin-1",
        max_message: int = DEFAULT_MAX_MESSAGE,
        max_line: int = DEFAULT_MAX_LINE,
    ):
        self._buf = bytearray()
        self._scan = 0  # where the next terminator search may start (relative to _buf)
        self._need_banner = expect_banner
        self._fallback = fallback_encoding
        self._max_message = max_message
        self._max_line = max_line
        self._skipping = 0  # bytes dropped so far of an over-long message
        self._skip_sample = b""
        self._follows = False  # the message at the head of _buf is a legacy "Response: Follows"
        self.bytes_received = 0
        #: Messages framed so far (not counting banners and errors).
        self.messages = 0

    @property
    def buffered(self) -> int:
        """Bytes held for an incomplete message."""
        return len(self._buf)

    def receive_data(self, data: bytes) -> list[Item]:
        """Feed bytes; returns the items completed by them, in stream order."""
        self.bytes_received += len(data)
        buf = self._buf
        buf += data
        out: list[Item] = []
        if self._need_banner:
            if not self._take_banner(out):
                return out
        if self._skipping:
            if not self._skip_rest(out):
                return out
        self._frame(out)
        return out

    def eof(self) -> list[Item]:
        """The stream ended: whatever is left is reported, never silently dropped."""
        out: list[Item] = []
        buf = self._buf
        if self._need_banner and buf:
            self._need_banner = False
            out.append(Banner(_decode_text(bytes(buf).rstrip(b"\r\n"), self._fallback)))
            buf.clear()
        if self._skipping:
            out.append(self._skip_error(len(buf)))
            buf.clear()
        rest = bytes(buf)
        if rest.strip(b"\r\n"):
            out.append(
                ProtocolError(
                    "connection closed in the middle of a message", len(rest), rest[:200]
                )
            )
        buf.clear()
        self._scan = 0
        self._follows = False
        return out

    # -- internals ----------------------------------------------------------
    def _take_banner(self, out: list[Item]) -> bool:
        buf = self._buf
        nl = buf.find(b"\n")
        if nl < 0:
            if len(buf) > MAX_BANNER:
                self._need_banner = False
                out.append(Banner(_decode_text(bytes(buf[:MAX_BANNER]), self._fallback)))
                out.append(ProtocolError("no end of line in the first 1024 bytes", len(buf), bytes(buf[:200])))
                buf.clear()
                self._scan = 0
            return False
        line = bytes(buf[:nl]).rstrip(b"\r")
        del buf[: nl + 1]
        self._need_banner = False
        out.append(Banner(_decode_text(line, self._fallback)))
        return True

    def _skip_error(self, extra: int) -> ProtocolError:
        skipped = self._skipping + extra
        self._skipping = 0
        sample, self._skip_sample = self._skip_sample, b""
        return ProtocolError(
            f"message longer than {self._max_message} bytes skipped", skipped, sample
        )

    def _skip_rest(self, out: list[Item]) -> bool:
        """Drop bytes of an over-long message up to its terminator. True when done."""
        buf = self._buf
        if self._follows:
            # a legacy Command body may hold blank lines: its end is the marker
            e = buf.find(_END_COMMAND)
            if e < 0:
                keep = len(_END_COMMAND) - 1
                if len(buf) > keep:
                    self._skipping += len(buf) - keep
                    del buf[: len(buf) - keep]
                self._scan = 0
                return False
            cut = e + len(_END_COMMAND)
            self._skipping += cut
            del buf[:cut]
            self._follows = False
        m = _TERMINATOR.search(buf)
        if m is None:
            keep = 2  # a terminator may start in the last two bytes
            if len(buf) > keep:
                self._skipping += len(buf) - keep
                del buf[: len(buf) - keep]
            self._scan = 0
            return False
        end = m.end()
        del buf[:end]
        out.append(self._skip_error(end))
        self._scan = 0
        self._follows = False
        return True

    def _frame(self, out: list[Item]) -> None:
        """Append every message completed in the buffer to `out`.

        The fast path frames all the complete messages of a read at once: it
        finds the end of the last terminator in the new bytes, copies that
        region once and cuts it with one C-level split (no per-message regex
        search or bytearray slicing). What it cannot take in one go (a legacy
        "Response: Follows" body, which may hold blank lines) and the
        incomplete tail go through `_frame_each`, which scans incrementally so
        a message arriving in many reads costs linear time.
        """
        buf = self._buf
        if not self._follows:
            scan = self._scan
            crlf = buf.rfind(b"\n\r\n", scan)
            lflf = buf.rfind(b"\n\n", scan)
            if crlf >= 0 or lflf >= 0:
                last = crlf + 3 if crlf + 1 > lflf else lflf + 2
                region = bytes(memoryview(buf)[:last])  # one copy (slicing a bytearray makes two)
                del buf[:last]
                self._scan = 0
                rest = self._frame_region(region, lflf < 0, out)
                if rest:
                    buf[:0] = rest  # from a Follows response on: the careful way
        if buf:
            self._frame_each(out)

    def _frame_region(self, region: bytes, crlf_only: bool, out: list[Item]) -> bytes:
        """Frame `region`, which ends with a terminator; returns what must be framed one by one."""
        if crlf_only:
            # no LF LF anywhere: every terminator is LF CR LF, so a plain split finds them all
            parts = region.split(b"\n\r\n")
            tail = parts.pop()  # after the last terminator: empty
            sep = b"\n\r\n"
        else:
            pieces = _SPLIT.split(region)  # [message, terminator, message, terminator, ..., tail]
            parts = [pieces[i] + pieces[i + 1] for i in range(0, len(pieces) - 1, 2)]
            tail = pieces[-1]  # blank (a CR LF the last match left), unless inside a Follows body
            sep = b""
        fallback = self._fallback
        limit = min(self._max_line, self._max_message)
        check_size = len(region) > limit
        from_raw = Message.from_raw
        append = out.append
        before = len(out)
        errors = 0
        for i, raw in enumerate(parts):
            if raw[:6] != b"Event:":  # anything but an event takes a look (an event: this comparison only)
                c = raw[:1]
                if c in _SPECIAL_STARTS:
                    if c != b"R" and c != b"r":  # blank lines before a message are not part of it
                        raw = _strip_blank_lines(raw)
                        if not raw or raw == b"\r":
                            continue
                        c = raw[:1]
                    if (c == b"R" or c == b"r") and raw[: len(_FOLLOWS)].lower() == _FOLLOWS:
                        # a legacy Command body may hold blank lines: from here on, one by one
                        self.messages += len(out) - before - errors
                        return (sep.join(parts[i:]) + sep if sep else b"".join(parts[i:])) + tail
                if sep:
                    raw += sep
                if check_size and len(raw) > limit:
                    error = self._over_bounds(raw)
                    if error is not None:
                        append(error)
                        errors += 1
                        continue
                if raw.find(b":", 0, raw.find(b"\n")) < 0:  # a first line with no colon
                    error, raw = _split_stray_text(raw, fallback)
                    if error is not None:
                        append(error)
                        errors += 1
                append(from_raw(raw, fallback))
                continue
            if sep:
                raw += sep
            if check_size and len(raw) > limit:
                error = self._over_bounds(raw)
                if error is not None:
                    append(error)
                    errors += 1
                    continue
            append(from_raw(raw, fallback))
        self.messages += len(out) - before - errors
        return tail if tail.strip(b"\r\n") else b""

    def _over_bounds(self, raw: bytes) -> ProtocolError | None:
        """The error for a complete message past a bound, or None."""
        if len(raw) > self._max_message:
            return ProtocolError(f"message longer than {self._max_message} bytes skipped", len(raw), raw[:200])
        if len(raw) > self._max_line and _has_line_over(raw, self._max_line):
            return ProtocolError(f"line longer than {self._max_line} bytes; message skipped", len(raw), raw[:200])
        return None

    def _frame_each(self, out: list[Item]) -> None:
        buf = self._buf
        start = 0
        scan = self._scan
        n = len(buf)
        search = _TERMINATOR.search
        fallback = self._fallback
        max_line = self._max_line
        while True:
            # blank lines between messages are not messages
            while start < n:
                c = buf[start]
                if c == 10:
                    start += 1
                elif c == 13 and start + 1 < n and buf[start + 1] == 10:
                    start += 2
                else:
                    break
            if start >= n:
                break
            if scan < start:
                scan = start
            if not self._follows and (c == 82 or c == 114) and n - start >= len(_FOLLOWS):
                if buf[start : start + len(_FOLLOWS)].lower() == _FOLLOWS:
                    self._follows = True
            if self._follows:
                # Asterisk <= 13 Command output: a raw body (which may hold blank
                # lines) up to "--END COMMAND--", then the empty line.
                e = buf.find(_END_COMMAND, scan)
                if e < 0:
                    scan = max(start, n - len(_END_COMMAND))
                    m = None
                else:
                    m = search(buf, e)
                    if m is None:
                        scan = e  # found the marker; wait for the line ends
            else:
                m = search(buf, scan)
                if m is None:
                    scan = max(start, n - 2)
            if m is None:
                if n - start > self._max_message:
                    self._skip_sample = bytes(buf[start : start + 200])
                    keep = 2  # a terminator may start in the last two bytes
                    if self._follows:
                        if e >= 0:
                            # the end marker is here: only the blank line after it is missing
                            keep = min(2, n - e - len(_END_COMMAND))
                            self._follows = False
                        else:
                            keep = len(_END_COMMAND) - 1  # the marker may start in the last bytes
                    self._skipping = n - start - keep
                    del buf[: n - keep]
                    self._scan = 0
                    return  # still _follows (marker not seen yet): the skip must find it
                break
            end = m.end()
            if end - start > self._max_message:
                # arrived complete, but over the bound all the same (as if read in pieces)
                out.append(
                    ProtocolError(
                        f"message longer than {self._max_message} bytes skipped",
                        end - start,
                        bytes(buf[start : start + 200]),
                    )
                )
                start = scan = end
                self._follows = False
                continue
            raw = bytes(memoryview(buf)[start:end])  # one copy (slicing a bytearray makes two)
            start = scan = end
            if self._follows:
                self._follows = False
                out.append(_parse_follows(raw, fallback))
                self.messages += 1
                continue
            if len(raw) > max_line:
                error = self._over_bounds(raw)
                if error is not None:
                    out.append(error)
                    continue
            if raw[:6] != b"Event:" and raw.find(b":", 0, raw.find(b"\n")) < 0:  # a first line with no colon
                error, raw = _split_stray_text(raw, fallback)
                if error is not None:
                    out.append(error)
            out.append(Message.from_raw(raw, fallback))
            self.messages += 1
        if start:
            del buf[:start]
            scan -= start
        self._scan = max(scan, 0)


def _has_line_over(raw: bytes, limit: int) -> bool:
    """Whether a line of `raw` is longer than `limit` bytes, without splitting it into lines.

    Such a line covers some multiple of `limit`, so looking at the line around
    each multiple is enough: len/limit searches and no allocation, where
    splitting a 4 MiB Command output would make some 50,000 objects.
    """
    n = len(raw)
    for j in range(limit, n, limit):
        start = raw.rfind(b"\n", 0, j) + 1
        end = raw.find(b"\n", j)
        if (n if end < 0 else end) - start > limit:
            return True
    return False


def _split_stray_text(raw: bytes, fallback: str) -> tuple[ProtocolError | None, bytes]:
    """Text glued to the message after it: (the error that says it, the message's own bytes).

    A stray line or a second banner mid-stream has no blank line after it, so
    the framing joins it to the next message; the lines with no colon before a
    line that starts an event, a response or an action are cut off and said as
    a ProtocolError, so the message is not lost with them (a response is still
    paired with its action). Anything else stays one message of no kind, as it came.
    """
    m = _FIRST_KEYED_LINE.search(raw)
    if m is None or m.group(1).strip().lower() not in _KINDS:
        return None, raw
    stray, raw = raw[: m.start()], raw[m.start():]
    text = stray.decode("utf-8", "replace").strip()
    shown = text if len(text) <= 80 else text[:77] + "..."
    if is_ami_banner(text.splitlines()[0] if text else ""):
        reason = f"the server sent a new banner mid-stream: {shown!r}"
    else:
        before = {b"event": "an event", b"response": "a response", b"action": "an action"}[m.group(1).strip().lower()]
        reason = f"text outside any message, before {before}: {shown!r}"
    return ProtocolError(reason, len(stray), stray[:200]), raw


def _strip_blank_lines(raw: bytes) -> bytes:
    """`raw` without the empty lines (LF or CR LF) it starts with."""
    while True:
        if raw[:1] == b"\n":
            raw = raw[1:]
        elif raw[:2] == b"\r\n":
            raw = raw[2:]
        else:
            return raw


def _decode_text(data: bytes, fallback: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode(fallback, "surrogateescape")


def _split_lines(raw: bytes, fallback: str) -> list[str]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        # Decode line by line, so one cp1251 CallerIDName does not garble the rest.
        return [_decode_text(line.rstrip(b"\r"), fallback) for line in raw.split(b"\n")]
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    return text.split("\n")


def _parse_headers(raw: bytes, fallback: str) -> list[tuple[str | None, str]]:
    headers: list[tuple[str | None, str]] = []
    append = headers.append
    for line in _split_lines(raw, fallback):
        if not line:
            continue
        key, sep, value = line.partition(":")
        if sep:
            if value[:1] == " ":
                value = value[1:]
            append((key, value))
        else:
            append((None, line))
    return headers


_FOLLOWS_HEADERS = ("response", "privilege", "actionid")


def _parse_follows(raw: bytes, fallback: str) -> Message:
    """A legacy Command response: leading headers, then body lines as ``Output``.

    Presenting the body as Output headers lets everything downstream treat old
    and new Asterisk alike; `raw` still holds the bytes as they came.
    """
    lines = _split_lines(raw, fallback)
    # drop the line ends after the marker
    while lines and not lines[-1]:
        lines.pop()
    headers: list[tuple[str | None, str]] = []
    i = 0
    while i < len(lines):
        key, sep, value = lines[i].partition(":")
        if not sep or key.strip().lower() not in _FOLLOWS_HEADERS:
            break
        headers.append((key, value[1:] if value[:1] == " " else value))
        i += 1
    if i < len(lines):
        last = lines[-1]
        marker = _END_COMMAND.decode()
        if last.endswith(marker):
            last = last[: -len(marker)]
            if last:
                lines[-1] = last
            else:
                lines.pop()
    # the body: one Output header per line, the tuples made in C
    headers += zip(itertools.repeat("Output"), itertools.islice(lines, i, None))
    return Message(headers, raw)


# -- encoding ---------------------------------------------------------------


#: The longest header line Asterisk reads whole (main/manager.c reads into 1024 bytes, CR LF included).
MAX_LINE = 1022


class HeaderError(ValueError):
    """A header that cannot be sent as is (CR or LF inside, an empty or bad key)."""


def _check_header(key: object, value: object) -> tuple[str, str]:
    if not isinstance(key, str) or not key:
        raise HeaderError(f"header name must be a non-empty string, not {key!r}")
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif not isinstance(value, str):
        value = str(value)
    if "\r" in key or "\n" in key:
        raise HeaderError(f"header name {key!r} contains a line break")
    if ":" in key:
        raise HeaderError(f"header name {key!r} contains a colon")
    if key != key.strip():
        raise HeaderError(f"header name {key!r} has surrounding spaces")
    if "\r" in value or "\n" in value:
        shown = MASK if is_secret_name(key) or key.lower() == "key" else repr(value)
        raise HeaderError(f"value of {key} contains a line break ({shown}); that would inject headers")
    return key, value


HeadersLike = "Message | Iterable[tuple[str, object]]"  # for annotations


def header_pairs(headers: HeadersLike) -> Iterable[tuple[str | None, object]]:
    if isinstance(headers, Message):
        return headers.headers
    if isinstance(headers, dict):
        return headers.items()
    return headers


def encode_action(headers: HeadersLike) -> bytes:
    """The bytes of an action: ``Key: value`` lines with CRLF, then an empty line.

    Repeated headers are sent in order. Raises HeaderError for a CR or LF in a
    key or value (header injection), a colon in a key, or an empty key.
    """
    parts = []
    actions = 0
    for key, value in header_pairs(headers):
        k, v = _check_header(key, value)
        line = f"{k}: {v}"
        if len(line) > MAX_LINE // 4 and len(line.encode("utf-8", "surrogateescape")) > MAX_LINE:
            raise HeaderError(
                f"the {k} line is {len(line.encode('utf-8', 'surrogateescape')):,} bytes; Asterisk reads at most "
                f"{MAX_LINE} a line (with its CR LF, 1024), and a longer one is cut where what follows can run "
                "as an action of its own"
            )
        if k.lower() == "action":
            actions += 1
            if actions == 2:
                raise HeaderError("two Action headers in one action: Asterisk runs the first and the rest is not "
                                  "what it seems; end the first action with an empty line")
        parts.append(line + "\r\n")
    if not parts:
        raise HeaderError("an action needs at least one header")
    parts.append("\r\n")
    return "".join(parts).encode("utf-8", "surrogateescape")


def encode_message(message: Message) -> bytes:
    """Any message back to bytes (CRLF), lines with no colon written as they were."""
    parts = []
    for key, value in message.headers:
        parts.append(f"{value}\r\n" if key is None else f"{key}: {value}\r\n")
    parts.append("\r\n")
    return "".join(parts).encode("utf-8", "surrogateescape")


def limit_warnings(headers: HeadersLike) -> list[str]:
    """Where an action goes past what Asterisk accepts (it would answer Error)."""
    warnings = []
    count = 0
    for key, value in header_pairs(headers):
        count += 1
        line = len(f"{key}: {value}\r\n".encode("utf-8", "surrogateescape"))
        if line > ASTERISK_MAX_LINE:
            warnings.append(
                f"header {key} is {line} bytes long; Asterisk rejects lines over {ASTERISK_MAX_LINE} bytes"
            )
    if count > ASTERISK_MAX_HEADERS:
        warnings.append(
            f"{count} headers; Asterisk rejects actions with more than {ASTERISK_MAX_HEADERS}"
        )
    return warnings


def mask_secrets(data: bytes) -> bytes:
    """`data` with every secret masked (`amish.core.secrets.mask_bytes`), kept here for the library API."""
    return mask_bytes(data)
