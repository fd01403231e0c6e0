"""How Asterisk reads what a client sends: an independent reader for the test servers.

The fake server must not judge amish with amish's own parser (a bug there
would hide itself), so this reader knows nothing of `amish` and follows the
rules of Asterisk's main/manager.c (get_input, do_message, process_message,
__astman_get_header), not amish's:

- a line ends at CRLF or at a lone LF; a CR not followed by LF stays in the line;
- the input buffer holds 1024 bytes: a line that fills it without an end is
  discarded, and the whole message it belongs to is refused ("line too long")
  when its empty line comes;
- an empty line ends a message; at most 128 lines are kept per message (more
  and the message is refused);
- a header is found by the line starting with ``Key:`` (any case, no space
  before the colon); its value is what follows, with leading bytes below 33
  skipped and the rest kept as is; the FIRST line with that key wins
  (``Action`` skips empty values, as process_message asks).
"""

from __future__ import annotations

LINE_MAX = 1024  # sizeof(inbuf) - 1
HEADERS_MAX = 128  # AST_MAX_MANHEADERS


class AmiAction:
    """One message as Asterisk holds it: its lines, in order, as bytes."""

    def __init__(self, lines: list[bytes], refused: str | None = None):
        self.lines = lines
        self.refused = refused  # why Asterisk would answer Error without running it, or None

    def _values(self, key: str):
        name = key.encode("ascii").lower()
        for line in self.lines:
            if line[: len(name)].lower() == name and line[len(name) : len(name) + 1] == b":":
                yield line[len(name) + 1 :].lstrip(bytes(range(1, 33))).decode("utf-8", "replace")

    def get(self, key: str, default: str | None = None) -> str | None:
        """The first value of `key`, as Asterisk's astman_get_header finds it (Action: the first non-empty)."""
        for value in self._values(key):
            if value or key.lower() != "action":
                return value
        return default

    def getall(self, key: str) -> list[str]:
        return list(self._values(key))

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    @property
    def headers(self) -> list[tuple[str | None, str]]:
        out: list[tuple[str | None, str]] = []
        for line in self.lines:
            text = line.decode("utf-8", "replace")
            key, colon, value = text.partition(":")
            out.append((key, value.lstrip("".join(map(chr, range(1, 33))))) if colon else (None, text))
        return out

    @property
    def raw(self) -> bytes:
        return b"".join(line + b"\r\n" for line in self.lines) + b"\r\n"

    def __repr__(self) -> str:
        return f"AmiAction({self.lines!r}, refused={self.refused!r})"


class AmiReader:
    """Feed bytes as they arrive; get the complete messages, as Asterisk would cut them."""

    def __init__(self):
        self._buf = bytearray()
        self._lines: list[bytes] = []
        self._too_long = False
        self._too_many = False

    def feed(self, data: bytes) -> list[AmiAction]:
        out: list[AmiAction] = []
        buf = self._buf
        buf += data
        pos = 0
        while True:
            end = buf.find(b"\n", pos, pos + LINE_MAX)  # Asterisk looks only in its 1024-byte buffer
            if end < 0:
                if len(buf) - pos < LINE_MAX:
                    break
                # no end in a full buffer: discarded; the last byte is kept (it may be a CRLF's CR)
                pos += LINE_MAX - 1
                self._too_long = True
                continue
            line = bytes(buf[pos:end])
            pos = end + 1
            if line.endswith(b"\r"):
                line = line[:-1]
            if line:
                if len(self._lines) < HEADERS_MAX:
                    self._lines.append(line)
                else:
                    self._too_many = True
                continue
            out.append(AmiAction(self._lines, self._refusal()))
            self._lines, self._too_long, self._too_many = [], False, False
        del buf[:pos]
        return out

    def _refusal(self) -> str | None:
        """Why Asterisk answers this message with an Error instead of running it (do_message's order)."""
        if self._too_many:
            return "Too many lines in message or allocation failure"
        if self._too_long:
            return "Failed to parse message: line too long"
        if not AmiAction(self._lines).get("Action"):
            return "Missing action in request"
        return None
