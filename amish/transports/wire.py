r"""The debugger's wire tools: a live trace, a session recording, and readers for dumps.

UI-free: nothing here imports prompt_toolkit or rich. `Tracer` and `Recorder`
are `Connection(on_wire=...)` hooks: called with ``("in", chunk)`` from the I/O
thread for every chunk read (the banner included) and with ``("out", action)``
from the sending thread for each whole encoded action. Both are thread-safe
(one lock), never raise from the hook (a failing write is counted in `errors`,
the first reason kept in `error`, and the hook goes quiet), and mask secrets
with `amish.core.secrets.mask_bytes`.

Masking on whole lines
----------------------
A secret line may be split across two reads (``Line-000001-000002: sec`` |
``ret=xyz``), and a chunk is only safe to mask from a line boundary. So each
direction keeps the incomplete last line of a chunk back and puts it in front
of the next chunk of the same direction; `flush()` (and `close()`) write what
is held back. A Login's ``Key:`` is masked even when its ``Action: Login`` line
came in an earlier chunk, and so is an UpdateConfig's ``Value-N`` whose
``Var-N`` named a secret (`amish.core.secrets.carried_context`). A line with no end in sight is held back at most
`MAX_HELD` bytes (64 KiB); then it is written as is.

The trace (`Tracer`)
--------------------
The shape ``ngrep -W byline`` users know: one block per chunk, a header line,
the payload line by line, then a blank line::

    T 2026/11/27 01:44:07.123456 127.0.0.1:5038 -> amish [in 57 bytes]
    Response: Success\r\n
    ActionID: amish-4242-1\r\n
    Ping: Pong\r\n
    \r\n

    T 2026/11/27 01:44:07.124001 amish -> 127.0.0.1:5038 [out 40 bytes]
    Action: Ping\r\n
    ActionID: amish-4242-2\r\n
    \r\n

- The header: ``T``, the local date and time of the hook call (microseconds),
  who sent -> who received (``PEER -> amish`` for "in", ``amish -> PEER`` for
  "out"), and in brackets the direction and the chunk's size in bytes as it
  was on the wire (before masking). ``, N carried over`` says the first N
  bytes shown are the held-back end of the previous chunk of that direction;
  ``, M held back`` says the last M bytes of this chunk (an incomplete line)
  are shown with the next one. `flush()` writes a held-back line under
  ``[in flush: M bytes without a line end]``.
- The payload is escaped so that every byte can be recovered by eye and no
  line end is ever invisible: CR is ``\r``, LF is ``\n`` (and ends the printed
  line), TAB is ``\t``, a backslash is ``\\``, any other control byte, DEL,
  an invisible Unicode character (NBSP, zero-width, separators) and every byte
  that is not valid UTF-8 is ``\xNN`` (per byte). Printable ASCII and
  printable UTF-8 characters are shown as they are. So ``Ping: Pong\r\n`` is
  a CRLF line, ``Ping: Pong\n`` a bare-LF one, and a line printed with no
  ``\n`` at its end had none (yet). Every physical line break of the trace is
  the tracer's own; no payload byte is a raw line break.
- Secrets are shown as ``********``.

The recording (`Recorder`, format version 1)
--------------------------------------------
JSON Lines, UTF-8, one object per line, written and flushed to the OS record
by record (a crash of amish loses nothing that had arrived, except an
incomplete line held back for masking); the file is created with mode 0600
(and made 0600 if it existed). The first line is the header::

    {"amish-recording": 1, "started": "2026-11-27T01:44:07.123456+00:00",
     "peer": "127.0.0.1:5038", "tls": false, "user": "admin", "amish": "0.1.0"}

(on one line; "started" is the local time with its UTC offset; any other
`meta` keys follow, except secret-looking ones). Then one object per chunk::

    {"t": 0.004512, "dir": "in", "data": "Response: Success\r\n..."}
    {"t": 0.005001, "dir": "out", "b64": "QWN0aW9uOiBQaW5n..."}

- ``t``: seconds since the recorder started (monotonic clock, rounded to
  microseconds); never decreasing.
- ``dir``: ``"in"`` (server to amish) or ``"out"`` (amish to server).
- ``data``: the bytes decoded as UTF-8, or ``b64`` (standard base64) instead
  when they are not valid UTF-8. Secrets masked.
- Chunk boundaries are the wire's, except that an incomplete last line moves
  to the next record of its direction (see above); the bytes of each
  direction, concatenated, are exactly what crossed the wire, secrets masked.

Readers skip objects without ``dir`` (room for future record kinds) and an
unterminated, unparsable last line (a crash mid-write).

Reading dumps (`read_dump`)
---------------------------
What an engineer may have instead of a recording, told apart by content:

- an amish recording (above);
- ``ngrep -W byline`` output (with or without ``-q``, ``-t`` or ``-T``): the
  conversation with the AMI server (the side that sends the banner or
  ``Response:``/``Event:`` messages) is reassembled; ngrep's ``.`` for the CR
  before each LF becomes CRLF again. Other non-printable bytes were replaced
  by ``.`` by ngrep and cannot be recovered. When several clients appear,
  only the first conversation is kept;
- plain AMI text of the server side (saved from telnet or tcpflow): an
  optional banner, messages separated by blank lines, CRLF or LF; telnet's
  ``Trying...``/``Connected to``/``Escape character`` lines are skipped, and
  messages that are actions (typed in telnet) become "out" chunks. Times are 0.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import io
import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, TextIO

from .. import __version__
from ..core.errors import InputError, write_failed
from ..core.protocol import Parser, is_ami_banner
from ..core.secrets import carried_context, is_http_message, mask_bytes, mask_http

__all__ = [
    "Tracer",
    "Recorder",
    "Recording",
    "read_recording",
    "read_dump",
    "read_any",
    "escape_bytes",
    "RECORDING_VERSION",
    "MAX_HELD",
]

RECORDING_VERSION = 1
#: The most bytes of an incomplete line held back for masking before it is written as is.
MAX_HELD = 64 * 1024



class _LineMasker:
    """One direction: holds an incomplete last line back, masks runs of whole lines."""

    __slots__ = ("held", "context")

    def __init__(self) -> None:
        self.held = b""
        # lines of the message still open at the last line boundary that make its later lines secret
        self.context = b""

    def feed(self, data: bytes) -> tuple[bytes, int, int]:
        """(masked complete lines, bytes carried over from before, bytes now held back)."""
        carried = len(self.held)
        buf = self.held + data if carried else data
        nl = buf.rfind(b"\n")
        if nl < 0:
            if len(buf) <= MAX_HELD:
                self.held = buf
                return b"", carried, len(buf)
            self.held = b""
            return self._mask(buf), carried, 0
        complete = buf[: nl + 1]
        self.held = buf[nl + 1 :]
        if len(self.held) > MAX_HELD:
            complete, self.held = buf, b""
        return self._mask(complete), carried, len(self.held)

    def flush(self) -> bytes:
        rest, self.held = self.held, b""
        return self._mask(rest) if rest else b""

    def _mask(self, block: bytes) -> bytes:
        ctx = self.context
        if ctx:  # a Login or UpdateConfig began in an earlier block: mask this one as its rest
            whole = mask_bytes(ctx + block)
            at = 0
            for _ in range(ctx.count(b"\n")):
                at = whole.index(b"\n", at) + 1
            out = whole[at:]
        else:
            out = mask_bytes(block)
        # which message is still open after this block, and what of it matters for the next block?
        tail = -1
        if block.startswith(b"\r\n"):
            tail = 2
        elif block.startswith(b"\n"):
            tail = 1
        i = block.rfind(b"\n\n")
        if i >= 0:
            tail = max(tail, i + 2)
        i = block.rfind(b"\n\r\n")
        if i >= 0:
            tail = max(tail, i + 3)
        if tail < 0:
            ctx += carried_context(block)
        else:
            ctx = carried_context(block[tail:])
        self.context = ctx if block.endswith(b"\n") and len(ctx) <= MAX_HELD else b""
        return out


# -- escaping for the trace ---------------------------------------------------

_PLAIN = re.compile(rb"[\x20-\x5b\x5d-\x7e]*")  # printable ASCII but the backslash
_NAMED = {"\r": "\\r", "\n": "\\n", "\t": "\\t", "\\": "\\\\"}


def _escape_general(data: bytes) -> str:
    out = []
    for ch in data.decode("utf-8", "surrogateescape"):
        o = ord(ch)
        if 0x20 <= o < 0x7F:
            out.append("\\\\" if o == 0x5C else ch)
        elif ch in _NAMED:
            out.append(_NAMED[ch])
        elif 0xDC80 <= o <= 0xDCFF:  # a byte that is not valid UTF-8
            out.append(f"\\x{o - 0xDC00:02x}")
        elif o >= 0x80 and ch.isprintable():
            out.append(ch)
        else:
            out.append("".join(f"\\x{b:02x}" for b in ch.encode("utf-8")))
    return "".join(out)


def escape_bytes(data: bytes) -> str:
    """`data` as the trace shows it: one printed line per payload line, line ends visible.

    The result ends with a newline unless `data` is empty.
    """
    if not data:
        return ""
    lines = data.split(b"\n")
    last = lines.pop()
    out = []
    for line in lines:
        if line.endswith(b"\r") and _PLAIN.fullmatch(line, 0, len(line) - 1):
            out.append(line[:-1].decode("ascii") + "\\r\\n\n")
        elif _PLAIN.fullmatch(line):
            out.append(line.decode("ascii") + "\\n\n")
        else:
            out.append(_escape_general(line + b"\n") + "\n")
    if last:
        out.append(_escape_general(last) + "\n")
    return "".join(out)


def _stamp(t: float) -> str:
    return _dt.datetime.fromtimestamp(t).strftime("%Y/%m/%d %H:%M:%S.%f")


class _Hook:
    """What the tracer and the recorder share: an on_wire hook that never raises.

    Thread-safe (one lock); after the first failed write it goes quiet and
    counts what it skipped; each direction's bytes go through its own
    line-assembling masker.
    """

    _lock: threading.Lock
    _maskers: dict
    closed: bool
    error: str | None
    errors: int

    def __call__(self, direction: str, data: bytes) -> None:
        try:
            with self._lock:
                if self.closed:
                    return
                if self.error is not None:
                    self.errors += 1
                    return
                try:
                    self._handle(direction, bytes(data))
                except Exception as e:
                    self._failed(e)
        except Exception:  # never raise into the connection
            pass

    def _handle(self, direction: str, data: bytes) -> None:  # pragma: no cover - each hook has its own
        raise NotImplementedError

    def _masker(self, direction: str) -> "_LineMasker":
        masker = self._maskers.get(direction)
        if masker is None:
            masker = self._maskers[direction] = _LineMasker()
        return masker

    def _failed(self, e: Exception) -> None:
        self.errors += 1
        if self.error is None:  # an OSError's reason alone: "No space left on device"
            self.error = e.strerror if isinstance(e, OSError) and e.strerror else f"{type(e).__name__}: {e}"


class Tracer(_Hook):
    """An on_wire hook that writes every byte both ways, ngrep-byline style (see the module doc).

    `out` is written to and flushed after each chunk; it is not closed (the
    caller owns it). `clock` gives the time shown (seconds since the epoch);
    `peer` names the server in the headers.
    """

    def __init__(self, out: TextIO, *, clock: Callable[[], float] = time.time, peer: str = "127.0.0.1:5038"):
        self.out = out
        self.clock = clock
        self.peer = peer
        self._lock = threading.Lock()
        self._maskers: dict[str, _LineMasker] = {}
        #: chunks traced
        self.chunks = 0
        #: chunks not traced because a write failed (the tracer is quiet after the first failure)
        self.errors = 0
        #: why the first write failed
        self.error: str | None = None
        self.closed = False

    def _ends(self, direction: str) -> tuple[str, str]:
        if direction == "out":
            return "amish", self.peer
        return (self.peer, "amish") if direction == "in" else (f"{self.peer} ({direction})", "amish")

    def _handle(self, direction: str, data: bytes) -> None:
        if is_http_message(data):  # AMI over HTTP hands each request and response whole
            text, carried, held = mask_http(data), 0, 0
        else:
            text, carried, held = self._masker(direction).feed(data)
        what = f"{direction} {len(data)} bytes"
        if carried and text:
            what += f", {carried} carried over"
        if held:
            what += f", {held} held back"
        src, dst = self._ends(direction)
        self.out.write(f"T {_stamp(self.clock())} {src} -> {dst} [{what}]\n{escape_bytes(text)}\n")
        self.chunks += 1
        flush = getattr(self.out, "flush", None)
        if flush is not None:
            flush()

    def flush(self) -> None:
        """Write what each direction holds back (an incomplete last line), then flush `out`."""
        try:
            with self._lock:
                if self.error is not None:
                    return
                try:
                    parts = []
                    for direction, masker in self._maskers.items():
                        n = len(masker.held)
                        if not n:
                            continue
                        rest = masker.flush()
                        src, dst = self._ends(direction)
                        parts.append(
                            f"T {_stamp(self.clock())} {src} -> {dst} [{direction} flush: {n} bytes without a line end]\n"
                            f"{escape_bytes(rest)}\n"
                        )
                    if parts:
                        self.out.write("".join(parts))
                    flush = getattr(self.out, "flush", None)
                    if flush is not None:
                        flush()
                except Exception as e:
                    self._failed(e)
        except Exception:
            pass

    def close(self) -> None:
        """Flush, then ignore further chunks (`out` stays open: it is the caller's)."""
        self.flush()
        with self._lock:
            self.closed = True


# -- AMI over HTTP in a recording -------------------------------------------------


def http_to_ami(data: bytes) -> bytes:
    """A recorded HTTP request or response of AMI over HTTP as the AMI text it carries.

    A request's form fields become the action's ``Key: Value`` lines; a
    response is its body. The transport's own WaitEvent polls are left out
    (the action, its Response and its WaitEventComplete): only the events
    they fetched remain. Anything else is returned as it is.
    """
    if not is_http_message(data):
        return data
    _head, _sep, body = data.partition(b"\r\n\r\n")
    if not data.startswith(b"HTTP/"):
        from urllib.parse import unquote_to_bytes

        pairs = [f.partition(b"=") for f in body.split(b"&") if f]
        lines = [unquote_to_bytes(k.replace(b"+", b" ")) + b": " + unquote_to_bytes(v.replace(b"+", b" "))
                 for k, _, v in pairs]
        if lines and lines[0].lower().replace(b" ", b"") == b"action:waitevent":
            return b""
        return b"".join(line + b"\r\n" for line in lines) + b"\r\n"
    if b"Waiting for Event completed." in body[:300]:
        messages = [m for m in body.split(b"\r\n\r\n") if m.strip()]
        kept = [m for m in messages
                if not m.startswith(b"Response:") and not m.startswith(b"Event: WaitEventComplete")]
        return b"".join(m + b"\r\n\r\n" for m in kept)
    return body


# -- the recording ------------------------------------------------------------

_SECRET_META = re.compile(r"(?i)secret|passw|^key$")


class Recorder(_Hook):
    """An on_wire hook that writes a recording (JSON Lines, see the module doc).

    `path_or_file`: a path (created or truncated, mode 0600, closed by
    `close()`) or an open file, text or binary (flushed, never closed here).
    `meta`: what the header says about the session: ``peer``, ``tls``,
    ``user``, and any other keys (secret-looking ones are dropped).
    Raises InputError when the file cannot be opened, OutputError (exit 74) when
    its header cannot be written (a full disk); after that it never raises from
    the hook (a failed write is kept in `error`, which the command line reports).
    """

    def __init__(self, path_or_file, *, meta: dict, clock: Callable[[], float] = time.monotonic):
        self._lock = threading.Lock()
        self._clock = clock
        self._maskers: dict[str, _LineMasker] = {}
        self.records = 0
        #: chunks not recorded because a write failed (quiet after the first failure)
        self.errors = 0
        self.error: str | None = None
        self.closed = False
        if isinstance(path_or_file, (str, os.PathLike)):
            self.path = os.fspath(path_or_file)
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), 0o600)
            except OSError as e:
                raise InputError(f"cannot write the recording {self.path}: {e.strerror or e}") from None
            try:
                os.fchmod(fd, 0o600)  # a file that existed: it will hold call data, make it private
            except OSError:
                pass
            self._file = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
            self._owned = True
        else:
            name = getattr(path_or_file, "name", "")
            self.path = name if isinstance(name, str) else ""
            self._file = path_or_file
            self._owned = False
        self._binary = not isinstance(self._file, io.TextIOBase)
        self._start = clock()
        header: dict = {
            "amish-recording": RECORDING_VERSION,
            "started": _dt.datetime.now().astimezone().isoformat(timespec="microseconds"),
            "peer": str(meta.get("peer", "")),
            "tls": bool(meta.get("tls", False)),
            "user": str(meta.get("user", "") or ""),
            "amish": __version__,
        }
        for key, value in meta.items():
            if key not in header and not _SECRET_META.search(str(key)):
                header[key] = value
        try:
            self._write(header)
        except (OSError, ValueError, TypeError) as e:
            if self._owned:
                try:
                    self._file.close()  # flushes again, and fails again on a full disk
                except OSError:
                    pass
            what = f"the recording {self.path or '(file)'}"
            if isinstance(e, OSError):
                raise write_failed(what, e) from None  # opened, but it cannot be written: exit 74
            raise InputError(f"cannot write {what}: {e}") from None

    def _write(self, obj: dict) -> None:
        line = json.dumps(obj, ensure_ascii=False) + "\n"
        self._file.write(line.encode("utf-8") if self._binary else line)
        self._file.flush()

    def _record(self, t: float, direction: str, data: bytes) -> None:
        rec: dict = {"t": round(t, 6), "dir": direction}
        try:
            rec["data"] = data.decode("utf-8")
        except UnicodeDecodeError:
            rec["b64"] = base64.b64encode(data).decode("ascii")
        self._write(rec)
        self.records += 1

    def _handle(self, direction: str, data: bytes) -> None:
        t = self._clock() - self._start
        if is_http_message(data):  # AMI over HTTP hands each request and response whole
            text = mask_http(data)
        else:
            text, _carried, _held = self._masker(direction).feed(data)
        if text:
            self._record(t, direction, text)

    def flush(self) -> None:
        """Record what each direction holds back (an incomplete last line)."""
        try:
            with self._lock:
                if self.closed or self.error is not None:
                    return
                try:
                    t = self._clock() - self._start
                    for direction, masker in self._maskers.items():
                        if masker.held:
                            self._record(t, direction, masker.flush())
                    self._file.flush()
                except Exception as e:
                    self._failed(e)
        except Exception:
            pass

    def close(self) -> None:
        """Flush; close the file when it was opened here. Later chunks are ignored."""
        self.flush()
        with self._lock:
            if self.closed:
                return
            self.closed = True
            if self._owned:
                try:
                    self._file.close()
                except Exception as e:
                    self._failed(e)

    def __enter__(self) -> "Recorder":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# -- reading ------------------------------------------------------------------

Chunk = tuple[float, str, bytes]


@dataclass
class Recording:
    """A session read back: the header (`meta`) and the chunks, (t, "in"|"out", bytes), in order.

    For dumps that are not amish recordings `meta` holds ``format``
    (``"ngrep"`` or ``"ami-text"``), and ``peer`` when known.
    """

    meta: dict
    chunks: list[Chunk] = field(default_factory=list)
    path: str = ""

    @property
    def duration(self) -> float:
        """Seconds from the start to the last chunk."""
        return self.chunks[-1][0] if self.chunks else 0.0

    @property
    def format(self) -> str:
        return str(self.meta.get("format", "amish"))


def _read_bytes(path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise InputError(f"cannot read {os.fspath(path)}: {e.strerror or e}") from None


def read_recording(path) -> Recording:
    """Read an amish recording; InputError (with file:line) when it is not one or is damaged."""
    return _parse_recording(_read_bytes(path), os.fspath(path))


def _parse_recording(raw: bytes, name: str) -> Recording:
    lines = raw.split(b"\n")
    complete = raw.endswith(b"\n")
    meta = None
    chunks: list[Chunk] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        unterminated = number == len(lines) and not complete
        try:
            obj = json.loads(line)
        except ValueError:
            if unterminated and meta is not None:
                break  # a crash in the middle of writing the last record
            what = "not JSON" if meta is not None else "not an amish recording (expected a JSON header line)"
            raise InputError(f"{name}:{number}: {what}") from None
        if meta is None:
            if not isinstance(obj, dict) or "amish-recording" not in obj:
                raise InputError(f"{name}:{number}: not an amish recording (expected a header with \"amish-recording\")")
            version = obj.get("amish-recording")
            if not isinstance(version, int) or version > RECORDING_VERSION:
                raise InputError(
                    f"{name}:{number}: recording format {version!r} is newer than this amish reads ({RECORDING_VERSION})"
                )
            meta = obj
            continue
        if not isinstance(obj, dict):
            raise InputError(f"{name}:{number}: expected a JSON object, found {type(obj).__name__}")
        direction = obj.get("dir")
        if direction is None:
            continue  # a kind of record this version does not know
        if direction not in ("in", "out"):
            raise InputError(f"{name}:{number}: \"dir\" must be \"in\" or \"out\", not {direction!r}")
        t = obj.get("t")
        if isinstance(t, bool) or not isinstance(t, (int, float)):
            raise InputError(f"{name}:{number}: \"t\" must be a number of seconds")
        if "data" in obj and isinstance(obj["data"], str):
            data = obj["data"].encode("utf-8", "surrogateescape")
        elif "b64" in obj and isinstance(obj["b64"], str):
            try:
                data = base64.b64decode(obj["b64"], validate=True)
            except (binascii.Error, ValueError):
                raise InputError(f"{name}:{number}: \"b64\" is not valid base64") from None
        else:
            raise InputError(f"{name}:{number}: a chunk needs \"data\" (text) or \"b64\"")
        chunks.append((float(t), direction, data))
    if meta is None:
        raise InputError(f"{name}: empty (expected an amish recording)")
    return Recording(meta, chunks, name)


def read_dump(path) -> list[Chunk]:
    """The chunks of an amish recording, an ngrep -W byline capture or a plain AMI text dump.

    Each chunk is (seconds from the start, "in" or "out", bytes). The format is
    told by content; anything else raises InputError naming the file.
    """
    return read_any(path).chunks


def read_any(path) -> Recording:
    """Like read_dump, with what is known about the session (`Recording.meta`)."""
    name = os.fspath(path)
    raw = _read_bytes(path)
    body = raw.lstrip(b"\xef\xbb\xbf").lstrip()
    if not body:
        raise InputError(f"{name}: empty (expected an amish recording, AMI text or ngrep -W byline output)")
    if body.startswith(b"{"):
        first = body.split(b"\n", 1)[0]
        try:
            obj = json.loads(first)
        except ValueError:
            obj = None
        if isinstance(obj, dict) and "amish-recording" in obj:
            return _parse_recording(raw, name)
    text = raw.decode("utf-8", "surrogateescape")
    if _looks_like_ngrep(text):
        return _parse_ngrep(text, name)
    data = _strip_telnet(raw)
    if _looks_like_ami(data):
        return Recording({"format": "ami-text"}, _parse_ami_text(data), name)
    raise InputError(
        f"{name}: not an AMI recording or dump (expected an amish recording, AMI text with "
        "'Response:'/'Event:' messages, or ngrep -W byline output)"
    )


# -- plain AMI text ---------------------------------------------------------------

_TELNET = re.compile(rb"^(?:Trying \S+\.\.\.|Connected to \S+\.?|Escape character is .*)\r?$")
_AMI_FIRST = re.compile(rb"(?i)^(?:response|event|action)[ \t]*:")


def _strip_telnet(raw: bytes) -> bytes:
    data = raw.lstrip(b"\xef\xbb\xbf")
    while True:
        stripped = data.lstrip(b"\r\n")
        line, _, rest = stripped.partition(b"\n")
        if _TELNET.match(line):
            data = rest
            continue
        return stripped


def _first_line(data: bytes) -> bytes:
    return data.split(b"\n", 1)[0].rstrip(b"\r")


def _is_banner_line(line: bytes) -> bool:
    text = line.decode("utf-8", "replace")
    return is_ami_banner(text) and not _AMI_FIRST.match(line) and len(line) < 1024


def _looks_like_ami(data: bytes) -> bool:
    first = _first_line(data)
    if _is_banner_line(first):
        rest = data.split(b"\n", 1)[1] if b"\n" in data else b""
        rest = rest.lstrip(b"\r\n")
        return not rest or _AMI_FIRST.match(rest) is not None
    return _AMI_FIRST.match(first) is not None


def _parse_ami_text(data: bytes) -> list[Chunk]:
    chunks: list[Chunk] = []
    first = _first_line(data)
    if _is_banner_line(first):
        nl = data.find(b"\n")
        banner, data = (data, b"") if nl < 0 else (data[: nl + 1], data[nl + 1 :])
        if not banner.endswith(b"\n"):
            banner += b"\r\n"
        chunks.append((0.0, "in", banner))
    eol = b"\r\n" if b"\r\n" in data else b"\n"
    data = data.rstrip(b"\r\n")
    if not data:
        return chunks
    huge = 1 << 62
    parser = Parser(expect_banner=False, max_message=huge, max_line=huge)
    for item in parser.receive_data(data + eol + eol) + parser.eof():
        raw = getattr(item, "raw", None)
        if not raw:
            continue
        direction = "out" if item.kind == "action" else "in"
        chunks.append((0.0, direction, raw))
    return chunks


# -- ngrep -W byline ------------------------------------------------------------

_NGREP_HEADER = re.compile(
    r"^T(?:\(\d+\))? "
    r"(?:(?P<abs>\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2}:\d{2}\.\d+) |\+(?P<rel>\d+\.\d+) )?"
    r"(?P<src>\S+) -> (?P<dst>\S+)"
    r"(?: \[[A-Z]*\])?(?: [+]?\d+@\d+:\d+)?(?: #\d+)?[ \t]*$"
)
_HASHES = re.compile(r"^#+$")
_NGREP_TAIL = re.compile(r"^(?:#*exit|\d+ received, \d+ (?:dropped|matched).*|#+)$")
_SERVER_TEXT = re.compile(r"(?m)^(?:Response|Event)[ \t]*:")
_CLIENT_TEXT = re.compile(r"(?m)^Action[ \t]*:")


def _looks_like_ngrep(text: str) -> bool:
    return any(_NGREP_HEADER.match(line.rstrip("\r")) for line in text.split("\n", 400)[:400])


def _parse_ngrep(text: str, name: str) -> Recording:
    if text.count("\r\n") and text.count("\r\n") == text.count("\n"):
        text = text.replace("\r\n", "\n")  # the capture itself was saved with CRLF
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    heads = [i for i, line in enumerate(lines) if _NGREP_HEADER.match(line)]
    packets = []  # (abs time, rel time, src, dst, payload text)
    for k, i in enumerate(heads):
        m = _NGREP_HEADER.match(lines[i])
        end = heads[k + 1] if k + 1 < len(heads) else len(lines)
        block = lines[i + 1 : end]
        if k + 1 < len(heads):
            if block and _HASHES.match(block[-1]):
                block.pop()  # the hash marks printed before the next packet
            elif block and block[-1] == "":
                block.pop()  # -q: the newline printed before the next packet's "T"
        else:
            while block and _NGREP_TAIL.match(block[-1]):
                block.pop()
        packets.append((m["abs"], m["rel"], m["src"], m["dst"], "\n".join(block)))
    if not packets:
        raise InputError(f"{name}: no packets in the ngrep output")
    server = None
    for _a, _r, src, dst, payload in packets:
        if payload.startswith("Asterisk Call Manager") or _SERVER_TEXT.search(payload):
            server = src
            break
    if server is None:
        for _a, _r, src, dst, payload in packets:
            if _CLIENT_TEXT.search(payload):
                server = dst
                break
    if server is None:
        raise InputError(f"{name}: no AMI messages in the ngrep output (expected 'Response:', 'Event:' or a banner)")
    client = next(dst if src == server else src for _a, _r, src, dst, _p in packets if server in (src, dst))
    # times: absolute (-t), deltas (-T) or offsets from the first packet (-TT)
    rel = [float(r) if r else None for _a, r, _s, _d, _p in packets]
    times: list[float | None]
    if any(a for a, *_ in packets):
        times = [
            _dt.datetime.strptime(a, "%Y/%m/%d %H:%M:%S.%f").timestamp() if a else None for a, *_ in packets
        ]
    elif any(r is not None for r in rel):
        values = [r or 0.0 for r in rel]
        growing = all(b >= a for a, b in zip(values, values[1:]))
        if len(values) >= 3 and growing and values[0] < 1.0:
            times = list(values)  # -TT: offsets from the first packet
        else:
            if values and values[0] > 1e6:
                values[0] = 0.0  # -T's first delta is from the epoch
            times, total = [], 0.0
            for v in values:
                total += v
                times.append(total)
    else:
        times = [None] * len(packets)
    kept = [
        (times[i], "in" if src == server else "out", payload)
        for i, (_a, _r, src, dst, payload) in enumerate(packets)
        if (src, dst) in ((server, client), (client, server))
    ]
    # CR shown as '.': decide whether lines end in CRLF (as Asterisk's do)
    dotted = total_lines = 0
    for _t, _d, payload in kept:
        parts = payload.split("\n")
        for part in parts[:-1]:
            total_lines += 1
            dotted += part.endswith(".")
    crlf = total_lines == 0 or dotted * 2 >= total_lines
    t0 = next((t for t, _d, _p in kept if t is not None), 0.0)
    chunks: list[Chunk] = []
    last_of: dict[str, int] = {}
    for t, direction, payload in kept:
        parts = payload.split("\n")
        out = []
        for part in parts[:-1]:
            if crlf and part.endswith("."):
                part = part[:-1]
            out.append(part + "\r\n")
        out.append(parts[-1])
        data = "".join(out).encode("utf-8", "surrogateescape")
        if not data:
            continue
        prev = last_of.get(direction)
        if crlf and prev is not None and payload.startswith("\n"):
            pt, pd, pdata = chunks[prev]
            if pdata.endswith(b"."):  # a CR at the end of one segment, its LF in the next
                chunks[prev] = (pt, pd, pdata[:-1])
        last_of[direction] = len(chunks)
        chunks.append((0.0 if t is None else round(max(0.0, t - t0), 6), direction, data))
    return Recording({"format": "ngrep", "peer": server, "client": client}, chunks, name)
